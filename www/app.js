// The admin page: create an import session and show it, or show why it failed.
// Plain ES module, no build step. "graph-mailbox-import" resolves through the page's import map to the
// package's browser entry, which initialises the wasm before this module runs.

import { createImportSession, isMailboxError } from "graph-mailbox-import";

// Tells boot.js that the package loaded, so later unrelated errors are not reported as a load failure.
window.demoStarted = true;

// In offline mode the mock tenant accepts any token except those starting "expired" or "forbidden".
const DEMO_TOKEN = "demo-token";
const MAX_RETRIES = 3;
// Shorter than the package's default first backoff (1 s) so that a simulated throttle does not keep people
// waiting; retries still double with jitter from here.
const RETRY_BASE_DELAY_MS = 500;
const MASK = "••••••";

const $ = (id) => document.getElementById(id);

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
  attemptsLog: $("attempts-log"),
  error: $("error-panel"),
  errorHint: $("error-hint"),
  errorCode: $("error-code"),
  errorStatus: $("error-status"),
  errorRequestId: $("error-request-id"),
  errorMessage: $("error-message"),
  simulate: $("simulate"),
  faultState: $("fault-state"),
  banner: $("mode-banner"),
};

/** The page's settings from the demo server: the mock tenant's URLs. */
const config = await loadConfig();

let busy = false;
let current = null; // { importUrl, expiresAt } of the session on show
let revealed = false;
let countdownTimer = null;
let copyFeedbackTimer = null;

// ---------------------------------------------------------------------------------------------------------
// Start

async function loadConfig() {
  try {
    const res = await fetch("/config.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`status ${res.status}`);
    return await res.json();
  } catch (err) {
    setStatus(`Could not load /config.json (${err.message}). Start the page with scripts/demo.mjs.`, "error");
    throw err;
  }
}

const offline = config.mode === "offline";
els.banner.hidden = !offline;
els.simulate.hidden = !offline;

els.form.addEventListener("submit", onCreate);
els.reveal.addEventListener("click", onReveal);
els.copy.addEventListener("click", onCopy);
for (const button of els.simulate.querySelectorAll("button[data-fault]")) {
  button.addEventListener("click", () => onSimulate(button.dataset.fault));
}

els.create.disabled = false;
setStatus("Ready.");
if (offline) refreshFaultState();

// ---------------------------------------------------------------------------------------------------------
// Create

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
  setStatus("Creating import session…");

  const mailboxId = els.mailboxId.value.trim();
  const options = {
    token: DEMO_TOKEN,
    apiVersion: els.apiVersion.value,
    graphBaseUrl: config.graphBaseUrl,
    trustedImportHosts: config.trustedImportHosts,
    maxRetries: MAX_RETRIES,
    retryBaseDelayMs: RETRY_BASE_DELAY_MS,
  };
  const seenBefore = offline ? await mockRequestCount() : null;
  try {
    const session = await createImportSession(mailboxId, options);
    const statuses = await mockStatusesSince(seenBefore);
    showResult(session, statuses);
    setStatus(`Import session created${statuses ? ` (${describeStatuses(statuses)})` : ""}.`, "ok");
  } catch (err) {
    showError(err);
    const status = isMailboxError(err) && err.status ? ` (${err.status})` : "";
    setStatus(`Failed: ${isMailboxError(err) ? err.code : "unexpected error"}${status}.`, "error");
  } finally {
    busy = false;
    els.create.removeAttribute("aria-disabled");
    els.form.removeAttribute("aria-busy");
    if (offline) refreshFaultState();
  }
}

function showResult(session, statuses) {
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
  els.attemptsLog.textContent = statuses ? `Mock tenant answered ${describeStatuses(statuses)}` : "—";
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

/** Graph writes 7 fractional digits ("2024-10-17T19:00:48.1052906Z"); Date.parse wants at most 3. */
function parseGraphDate(text) {
  return Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
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

// ---------------------------------------------------------------------------------------------------------
// The import URL: masked until revealed, copied in full

/** The URL with its authtoken value replaced, so it can be on screen (or in a screenshot) safely. */
function maskAuthtoken(url) {
  return url.replace(/([?&]authtoken=)[^&#]*/gi, `$1${MASK}`);
}

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

// ---------------------------------------------------------------------------------------------------------
// Errors

/** What to do about each error code, in plain words. */
function hintFor(err) {
  const retries = Math.max(0, (err.attempts ?? 1) - 1);
  const retried = `retried ${retries} time${retries === 1 ? "" : "s"}`;
  switch (err.code) {
    case "forbidden":
      return "The app lacks the MailboxItem.ImportExport permission (or MailboxItem.ImportExport.All for an app-only token), or an administrator has not consented to it.";
    case "unauthorized":
      return "The sign-in is no longer valid. Sign in again.";
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
      return "No access token could be obtained. Sign in again.";
    case "graphError":
      return "Microsoft Graph returned an error. The message and request id say more.";
    default:
      return "See the message for details.";
  }
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

// ---------------------------------------------------------------------------------------------------------
// Simulate (offline mode): faults queued on the mock tenant for the next call

const FAULTS = {
  "throttle-once": [{ kind: "status", status: 429, times: 1 }],
  // One more 429 than the retries allow, so the call gives up with `throttled`.
  "throttle-always": [{ kind: "status", status: 429, times: MAX_RETRIES + 1 }],
  forbidden: [
    { kind: "status", status: 403, times: 1, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again." },
  ],
};

async function mock(method, path, body) {
  const init = { method, cache: "no-store" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const res = await fetch(`${config.mockControlUrl}${path}`, init);
  if (!res.ok) throw new Error(`mock tenant: ${method} ${path} answered ${res.status}`);
  return res.status === 204 ? null : res.json();
}

async function onSimulate(kind) {
  try {
    // Replace whatever was queued, so "next call" means exactly what was last clicked.
    await mock("DELETE", "/faults");
    if (FAULTS[kind]) await mock("POST", "/faults", { faults: FAULTS[kind] });
  } catch (err) {
    els.faultState.textContent = `Could not reach the mock tenant (${err.message}).`;
    return;
  }
  await refreshFaultState();
}

async function refreshFaultState() {
  try {
    const { faults } = await mock("GET", "/faults");
    els.faultState.textContent = `Next call: ${describeFaults(faults)}`;
  } catch (err) {
    els.faultState.textContent = `Could not reach the mock tenant (${err.message}).`;
  }
}

function describeFaults(faults) {
  if (!faults.length) return "normal";
  return faults.map((f) => `${f.status ?? f.kind}${f.times > 1 ? ` ×${f.times}` : " once"}`).join(", then ");
}

/** How many Graph requests the mock tenant has seen, to tell this call's requests from earlier ones. */
async function mockRequestCount() {
  try {
    return (await mock("GET", "/requests?server=graph")).requests.length;
  } catch {
    return null;
  }
}

/** Statuses the mock tenant answered since `before` requests, e.g. [429, 200]; null when unknown. */
async function mockStatusesSince(before) {
  if (before === null) return null;
  try {
    const { requests } = await mock("GET", "/requests?server=graph");
    return requests.slice(before).map((r) => r.status);
  } catch {
    return null;
  }
}

function describeStatuses(statuses) {
  const retries = statuses.length - 1;
  const n = statuses.length;
  return (
    `${n} request${n === 1 ? "" : "s"}: ${statuses.join(" → ")}` +
    (retries > 0 ? `, ${retries} retr${retries === 1 ? "y" : "ies"}` : "")
  );
}

// ---------------------------------------------------------------------------------------------------------

function setStatus(text, kind = "") {
  els.status.textContent = text;
  els.status.className = kind ? `status status-${kind}` : "status";
}
