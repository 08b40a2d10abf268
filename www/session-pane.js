// The import session form: create an import session with createImportSession and show it (its expiry with a
// countdown, the import URL with its authtoken masked until revealed, how many requests it took or how the
// token was obtained), or show why it failed with a hint for each error code. Its mailbox id is also the
// import pane's mailbox.

import { createImportSession, isMailboxError } from "graph-mailbox-import";
import { $ } from "./ui.js";

const MASK = "••••••";

/**
 * mode(): "offline" or "tenant"; auth(): the page's MSAL (auth.js createMsalAuth) or null; clientOptions(auth):
 * the package's options for the page's mode; simulate: the Simulate panel (simulate-pane.js), for the mock's
 * request log and its fault line after a call; focusSignIn(): moves focus to the sign-in button.
 * Returns { mailboxInput, apiVersion(), setStatus(text, kind), setMode(mode), reset(), hideResult() }.
 */
export function setupSessionPane({ mode, auth, clientOptions, simulate, focusSignIn }) {
  const els = {
    form: $("session-form"),
    mailboxId: $("mailbox-id"),
    apiVersion: $("api-version"),
    create: $("create-button"),
    status: $("status"),
    result: $("result-panel"),
    expiration: $("expiration"),
    countdown: $("countdown"),
    importUrl: $("import-url"),
    reveal: $("reveal-button"),
    copy: $("copy-button"),
    copyFeedback: $("copy-feedback"),
    attemptsLabel: $("attempts-label"),
    attemptsLog: $("attempts-log"),
    error: $("error-panel"),
    errorHint: $("error-hint"),
    errorCode: $("error-code"),
    errorStatus: $("error-status"),
    errorRequestId: $("error-request-id"),
    errorMessage: $("error-message"),
  };

  let busy = false;
  let current = null; // { importUrl, expiresAt } of the session on show
  let revealed = false;
  let countdownTimer = null;
  let copyFeedbackTimer = null;

  els.form.addEventListener("submit", onCreate);
  els.reveal.addEventListener("click", onReveal);
  els.copy.addEventListener("click", onCopy);
  // Disabled in the HTML until the package has loaded and this pane is wired.
  els.create.disabled = false;

  async function onCreate(event) {
    event.preventDefault();
    // The button stays enabled (and focused) while a call runs, so keyboard focus is not lost; repeated
    // submits are ignored instead.
    if (busy) return;
    busy = true;
    els.create.setAttribute("aria-disabled", "true");
    els.form.setAttribute("aria-busy", "true");
    hideResult();
    hideError();

    const offline = mode() === "offline";
    const signedIn = auth(); // this call's MSAL, even if the settings change while it runs
    const mailboxId = els.mailboxId.value.trim();
    if (!offline && !signedIn?.account) {
      done();
      setStatus(signedIn ? "Sign in with Microsoft first." : "Microsoft sign-in is not ready yet.", "error");
      if (signedIn) focusSignIn();
      return;
    }
    const options = clientOptions(signedIn);
    if (!offline) signedIn.tokenCalls = [];
    setStatus("Creating import session…");
    const seenBefore = offline ? await simulate.graphRequestCount() : null;
    try {
      const session = await createImportSession(mailboxId, options);
      if (offline) {
        const statuses = await simulate.graphStatusesSince(seenBefore);
        showResult(session, statuses ? `Mock tenant answered ${describeStatuses(statuses)}` : "—");
        setStatus(`Import session created${statuses ? ` (${describeStatuses(statuses)})` : ""}.`, "ok");
      } else {
        showResult(session, describeTokenCalls(signedIn.tokenCalls));
        setStatus("Import session created.", "ok");
      }
    } catch (err) {
      showError(err);
      const status = isMailboxError(err) && err.status ? ` (${err.status})` : "";
      setStatus(`Failed: ${isMailboxError(err) ? err.code : "unexpected error"}${status}.`, "error");
    } finally {
      done();
      if (offline) simulate.refresh();
    }

    function done() {
      busy = false;
      els.create.removeAttribute("aria-disabled");
      els.form.removeAttribute("aria-busy");
    }
  }

  function showResult(session, requestsText) {
    current = {
      importUrl: session.importUrl,
      expiresAt: parseGraphDate(session.expirationDateTime),
    };
    revealed = false;
    els.expiration.dateTime = session.expirationDateTime;
    els.expiration.textContent = session.expirationDateTime;
    if (Number.isFinite(current.expiresAt)) {
      els.expiration.title = `Local time: ${new Date(current.expiresAt).toLocaleString()}`;
    }
    renderUrl();
    els.copyFeedback.textContent = "";
    els.attemptsLog.textContent = requestsText;
    els.result.hidden = false;
    updateCountdown();
    countdownTimer = setInterval(updateCountdown, 1000);
  }

  function hideResult() {
    clearInterval(countdownTimer);
    countdownTimer = null;
    current = null;
    els.result.hidden = true;
  }

  function updateCountdown() {
    if (!current || !Number.isFinite(current.expiresAt)) {
      els.countdown.textContent = "";
      return;
    }
    const left = current.expiresAt - Date.now();
    if (left <= 0) {
      els.countdown.textContent = "expired";
      els.countdown.classList.add("expired");
      clearInterval(countdownTimer);
      return;
    }
    els.countdown.classList.remove("expired");
    const total = Math.floor(left / 1000);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const pad = (n) => String(n).padStart(2, "0");
    els.countdown.textContent = `${h > 0 ? `${h}:${pad(m)}` : m}:${pad(s)} left`;
  }

  // The import URL: masked until revealed, copied in full.

  function renderUrl() {
    if (!current) return;
    els.importUrl.textContent = revealed ? current.importUrl : maskAuthtoken(current.importUrl);
    els.reveal.setAttribute("aria-pressed", String(revealed));
  }

  function onReveal() {
    revealed = !revealed;
    renderUrl();
  }

  async function onCopy() {
    if (!current) return;
    clearTimeout(copyFeedbackTimer);
    try {
      await navigator.clipboard.writeText(current.importUrl);
      els.copyFeedback.textContent = "Copied to the clipboard.";
      els.copyFeedback.className = "copy-feedback ok";
    } catch {
      els.copyFeedback.textContent = "Copy failed: the browser refused clipboard access. Reveal the URL and copy it by hand.";
      els.copyFeedback.className = "copy-feedback failed";
    }
    copyFeedbackTimer = setTimeout(() => {
      els.copyFeedback.textContent = "";
    }, 5000);
  }

  function showError(err) {
    const known = isMailboxError(err);
    els.errorCode.textContent = known ? err.code : "unexpected";
    els.errorStatus.textContent = known && err.status ? String(err.status) : "—";
    els.errorRequestId.textContent = (known && err.requestId) || "—";
    els.errorMessage.textContent = (err && err.message) || String(err);
    els.errorHint.textContent = known ? hintFor(err) : "Something went wrong in the page itself.";
    els.error.hidden = false;
  }

  function hideError() {
    els.error.hidden = true;
  }

  function setStatus(text, kind = "") {
    els.status.textContent = text;
    els.status.className = kind ? `status status-${kind}` : "status";
  }

  return {
    /** The mailbox id field: the import pane's mailbox too. */
    mailboxInput: els.mailboxId,
    apiVersion: () => els.apiVersion.value,
    /** The page's status line, under the form. */
    setStatus,
    /** "Requests" (the mock's answers) offline, "Access token" (how MSAL got it) with a real tenant. */
    setMode(pageMode) {
      els.attemptsLabel.textContent = pageMode === "offline" ? "Requests" : "Access token";
    },
    /** Hides the session or error on show (the mailbox, tenant or account changed). */
    reset() {
      hideResult();
      hideError();
    },
    /** Hides the session on show (signed out: it was made with that account's token). */
    hideResult,
  };
}

/** The URL with its authtoken value replaced, so it can be on screen (or in a screenshot) safely. */
function maskAuthtoken(url) {
  return url.replace(/([?&]authtoken=)[^&#]*/gi, `$1${MASK}`);
}

/** Graph writes 7 fractional digits ("2024-10-17T19:00:48.1052906Z"); Date.parse wants at most 3. */
function parseGraphDate(text) {
  return Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
}

/** How the access token was obtained, e.g. "from MSAL's cache (acquireTokenSilent)". */
function describeTokenCalls(calls) {
  if (!calls.length) return "—";
  const source = (call) => (call.fromCache ? "from MSAL's cache" : "fetched from Microsoft");
  const first = `MSAL acquireTokenSilent, ${source(calls[0])}`;
  const refreshed = calls.slice(1).filter((call) => call.forceRefresh);
  if (!refreshed.length) return `${first}.`;
  return `${first}. Graph refused it (401), so a new one was asked for with forceRefresh: ${source(refreshed.at(-1))}.`;
}

function describeStatuses(statuses) {
  const retries = statuses.length - 1;
  const n = statuses.length;
  return (
    `${n} request${n === 1 ? "" : "s"}: ${statuses.join(" → ")}` +
    (retries > 0 ? `, ${retries} retr${retries === 1 ? "y" : "ies"}` : "")
  );
}

/** What to do about each error code, in plain words. */
function hintFor(err) {
  const retries = Math.max(0, (err.attempts ?? 1) - 1);
  const retried = `retried ${retries} time${retries === 1 ? "" : "s"}`;
  switch (err.code) {
    case "forbidden":
      return "The app lacks the MailboxItem.ImportExport permission (or MailboxItem.ImportExport.All for an app-only token), or an administrator has not consented to it.";
    case "unauthorized":
      return "Graph refused the access token, even after a fresh one was fetched. Sign in again.";
    case "notFound":
      return "No mailbox has this id. Check the mailbox id (the user's primaryMailboxId).";
    case "throttled": {
      const wait = err.retryAfterMs ? ` It asked to wait ${Math.ceil(err.retryAfterMs / 1000)} s.` : "";
      return `Exchange asked to slow down (HTTP 429); the call ${retried} and gave up.${wait} Try again in a moment.`;
    }
    case "serviceUnavailable":
      return `Exchange is temporarily unavailable; the call ${retried}. Try again later.`;
    case "network":
      return "The request did not reach the server. Check the connection, and that the server allows requests from this page (CORS).";
    case "timeout":
      return `The server did not answer in time; the call ${retried}. Check the connection and try again.`;
    case "invalidArgument":
      return "The input was refused before anything was sent. Fix the input and try again.";
    case "untrustedImportUrl":
      return "Graph returned an import URL on a host that is not trusted, so it was not used.";
    case "invalidResponse":
      return "The answer was not what the API documents. Try again; if it keeps happening, report the request id.";
    case "tokenProviderFailed":
      return "MSAL could not get an access token without asking you (the sign-in expired, or consent or MFA is needed). Sign in again.";
    case "graphError":
      return "Microsoft Graph returned an error. The message and request id say more.";
    default:
      return "See the message for details.";
  }
}
