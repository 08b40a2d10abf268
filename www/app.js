// The admin page: create an import session and show it, or show why it failed.
// Plain ES modules, no build step. "graph-mailbox-import" resolves through the page's import map to the
// package's browser entry, which initialises the wasm before this module runs.
//
// Two modes. Offline (no tenant in the settings panel): the mock tenant that scripts/demo.mjs starts, with
// a fixed token. Real tenant (application id and tenant saved in the settings panel): sign-in with
// @azure/msal-browser, whose acquireTokenSilent is the package's token provider, against Microsoft Graph.
//
// The panes below the session form (mailbox lookup, import, copy, folder pickers) share one MailboxClient
// (clients.js) made from the same options as createImportSession.

import { createImportSession, isMailboxError } from "graph-mailbox-import";
import {
  GRAPH_ROOT,
  clearSettings,
  completeAuthResponse,
  createMsalAuth,
  describeAuthError,
  isAuthResponse,
  loadGraphOverride,
  loadSettings,
  saveSettings,
  validateSettings,
} from "./auth.js";
import { createClientPool } from "./clients.js";
import { setupCopyPane } from "./copy-pane.js";
import { setupFolderPicker } from "./folder-picker.js";
import { setupImportPane } from "./import-pane.js";
import { setupMailboxLookup } from "./mailbox-lookup.js";
import { PaneError } from "./ui.js";

// Tells boot.js that the package loaded, so later unrelated errors are not reported as a load failure.
window.demoStarted = true;

// In offline mode the mock tenant accepts any token except those starting "expired" or "forbidden".
const DEMO_TOKEN = "demo-token";
const MAX_RETRIES = 3;
// Shorter than the package's default first backoff (1 s) so that a simulated throttle does not keep people
// waiting; retries still double with jitter from here.
const RETRY_BASE_DELAY_MS = 500;
const MASK = "••••••";
// Simulate: the wait the mock tenant adds to every import post, long enough to press Stop mid-copy.
const SLOW_IMPORT_MS = 400;
// Simulate: what exportItems answers for the one item it refuses.
const EXPORT_REFUSAL = { code: "ErrorCorruptData", message: "The item is corrupt and cannot be exported." };

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
  attemptsLabel: $("attempts-label"),
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
  bannerOffline: $("banner-offline"),
  bannerTenant: $("banner-tenant"),
  bannerTenantName: $("banner-tenant-name"),
  bannerClientId: $("banner-client-id"),
  bannerGraphRoot: $("banner-graph-root"),
  bannerOverride: $("banner-override"),
  bannerSettingsLink: $("banner-settings-link"),
  settingsForm: $("settings-form"),
  clientId: $("client-id"),
  clientIdError: $("client-id-error"),
  tenant: $("tenant-id"),
  tenantError: $("tenant-error"),
  settingsClear: $("settings-clear"),
  settingsStatus: $("settings-status"),
  accountPanel: $("account-panel"),
  accountState: $("account-state"),
  signIn: $("sign-in-button"),
  signOut: $("sign-out-button"),
};

let config = null; // /config.json: the mock tenant's URLs
let mode = "offline"; // "offline" (mock tenant) or "tenant" (a real tenant, through MSAL)
let auth = null; // in tenant mode, once MSAL is ready: see auth.js createMsalAuth
let authGeneration = 0; // settings applied so far; a slower, older MSAL start is dropped
let signingIn = false;
let busy = false;
let current = null; // { importUrl, expiresAt } of the session on show
let revealed = false;
let countdownTimer = null;
let copyFeedbackTimer = null;
let importPane = null; // see import-pane.js
let importPicker = null; // the import pane's folder picker, see folder-picker.js
let lookup = null; // see mailbox-lookup.js
let copyPane = null; // see copy-pane.js
const clients = createClientPool();

// ---------------------------------------------------------------------------------------------------------
// Start

if (isAuthResponse(window.location)) {
  // This window is the sign-in's redirect target (a popup, or this tab after a redirect): pass the answer
  // to MSAL and let it close the popup or go back to the page. The page itself does not start here.
  await finishSignInResponse();
} else {
  await start();
}

async function finishSignInResponse() {
  setStatus("Completing sign-in…");
  try {
    await completeAuthResponse();
    // A popup has closed and a redirect has left by now. Still here: the answer was not for a sign-in this
    // browser started (an old link, or the popup's opener is gone). Run the page without it.
    setTimeout(() => {
      history.replaceState(null, "", window.location.pathname);
      start();
    }, 2000);
  } catch (err) {
    // Not a response MSAL started (or one it cannot read): drop it from the URL and run the page normally.
    history.replaceState(null, "", window.location.pathname);
    await start();
    setSettingsStatus(`The sign-in answer could not be used (${describeAuthError(err)}). Sign in again.`, "error");
  }
}

async function start() {
  try {
    config = await loadConfig();
  } catch (err) {
    setStatus(`Could not load /config.json (${err.message}). Start the page with scripts/demo.mjs.`, "error");
    return;
  }

  els.form.addEventListener("submit", onCreate);
  els.reveal.addEventListener("click", onReveal);
  els.copy.addEventListener("click", onCopy);
  for (const button of els.simulate.querySelectorAll("button[data-fault]")) {
    button.addEventListener("click", () => onSimulate(button.dataset.fault));
  }
  els.settingsForm.addEventListener("submit", onSaveSettings);
  els.settingsClear.addEventListener("click", onClearSettings);
  els.signIn.addEventListener("click", onSignIn);
  els.signOut.addEventListener("click", onSignOut);
  els.bannerSettingsLink.addEventListener("click", (event) => {
    event.preventDefault();
    els.clientId.focus();
  });

  const afterRun = () => {
    if (mode === "offline") refreshFaultState();
  };
  const sessionMailbox = () => {
    const mailboxId = els.mailboxId.value.trim();
    if (!mailboxId) throw new PaneError("Enter the mailbox id in the Import session form first.", els.mailboxId);
    return mailboxId;
  };
  importPane = setupImportPane({
    prepare: () => {
      const { key, options } = connection();
      return { mailboxId: sessionMailbox(), key, options };
    },
    clients,
    onRunEnd: afterRun,
  });
  importPicker = setupFolderPicker({
    toggle: $("import-browse"),
    panel: $("import-picker"),
    input: $("import-folder"),
    pathEl: $("import-folder-path"),
    mailbox: sessionMailbox,
    run: withClient,
  });
  $("import-browse").disabled = false;
  els.mailboxId.addEventListener("input", () => importPicker.reset());
  copyPane = setupCopyPane({ run: withClient, onRunEnd: afterRun });
  lookup = setupMailboxLookup({
    run: withClient,
    targets: {
      copySource: (id, who) => {
        copyPane.setSource(id);
        return `The copy pane now copies from ${who}.`;
      },
      copyTarget: (id, who) => {
        copyPane.setTarget(id);
        return `The copy pane now copies into ${who}.`;
      },
      importInto: (id, who) => {
        els.mailboxId.value = id;
        importPicker.reset();
        hideResult();
        hideError();
        return `The import session form and the import pane now use ${who}.`;
      },
    },
  });
  $("lookup-button").disabled = false;

  const settings = loadSettings();
  els.clientId.value = settings?.clientId ?? "";
  els.tenant.value = settings?.tenant ?? "";
  const ready = applySettings(settings);

  els.create.disabled = false;
  setStatus("Ready.");
  await ready;
}

/**
 * The client options for the page's mode, and the key naming them (the same key, the same MailboxClient), or
 * a PaneError when a real tenant is configured but nobody is signed in.
 */
function connection() {
  if (mode !== "offline" && !auth?.account) {
    throw new PaneError(auth ? "Sign in with Microsoft first." : "Microsoft sign-in is not ready yet.", auth ? els.signIn : null);
  }
  // The same options as for createImportSession; one client for as long as they stay the same.
  const key = JSON.stringify([mode, authGeneration, auth?.account?.homeAccountId ?? null, els.apiVersion.value]);
  return { key, options: clientOptions(auth) };
}

/** Calls fn(client) with the page's MailboxClient; rejects with a PaneError when nobody is signed in. */
async function withClient(fn) {
  const { key, options } = connection();
  return clients.use(key, options, fn);
}

async function loadConfig() {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`status ${res.status}`);
  return await res.json();
}

// ---------------------------------------------------------------------------------------------------------
// Settings and sign-in

/** Switches the page to the offline demo tenant (settings null) or to the real tenant they name. */
async function applySettings(settings) {
  const generation = ++authGeneration;
  auth = null;
  mode = settings ? "tenant" : "offline";
  const offline = mode === "offline";

  els.banner.classList.toggle("tenant", !offline);
  els.bannerOffline.hidden = !offline;
  els.bannerTenant.hidden = offline;
  els.simulate.hidden = !offline;
  els.accountPanel.hidden = offline;
  for (const el of document.querySelectorAll("[data-mode]")) el.hidden = el.dataset.mode !== mode;
  importPane?.setMode(mode);
  importPicker?.reset();
  lookup?.setMode(mode, config.demoUsers?.source);
  copyPane?.setMode(mode);
  els.attemptsLabel.textContent = offline ? "Requests" : "Access token";
  hideResult();
  hideError();

  if (offline) {
    refreshFaultState();
    return;
  }

  const override = loadGraphOverride();
  els.bannerTenantName.textContent = settings.tenant;
  els.bannerClientId.textContent = settings.clientId;
  els.bannerGraphRoot.textContent = override?.graphBaseUrl ?? GRAPH_ROOT;
  els.bannerOverride.hidden = !override;

  renderAccount();
  if (!config.msal?.available) {
    els.accountState.textContent = `Sign-in is not available: ${config.msal?.reason ?? "msal-browser is missing"}.`;
    return;
  }
  els.accountState.textContent = "Starting Microsoft sign-in…";
  try {
    const created = await createMsalAuth({ ...settings, redirectUri: new URL("./", window.location.href).href });
    if (generation !== authGeneration) return;
    auth = created;
    renderAccount();
    if (auth.redirectError) setSettingsStatus(`Sign-in failed: ${describeAuthError(auth.redirectError)}`, "error");
  } catch (err) {
    if (generation !== authGeneration) return;
    els.accountState.textContent = `Sign-in is not available: ${describeAuthError(err)}`;
  }
}

function accountName(account) {
  return account.username || account.name || "your account";
}

function renderAccount() {
  const account = auth?.account ?? null;
  if (account) {
    els.accountState.textContent = `Signed in as ${accountName(account)}${account.name && account.username ? ` (${account.name})` : ""}.`;
  } else {
    els.accountState.textContent = auth ? "Not signed in." : "Starting Microsoft sign-in…";
  }
  els.signIn.hidden = Boolean(account);
  els.signIn.disabled = !auth;
  els.signOut.hidden = !account;
}

function showFieldError(input, errorEl, message) {
  errorEl.textContent = message ?? "";
  errorEl.hidden = !message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

async function onSaveSettings(event) {
  event.preventDefault();
  const { settings, errors } = validateSettings({ clientId: els.clientId.value, tenant: els.tenant.value });
  showFieldError(els.clientId, els.clientIdError, errors.clientId);
  showFieldError(els.tenant, els.tenantError, errors.tenant);
  if (errors.clientId || errors.tenant) {
    (errors.clientId ? els.clientId : els.tenant).focus();
    setSettingsStatus("Not saved: check the fields above.", "error");
    return;
  }
  if (settings) saveSettings(settings);
  else clearSettings();
  els.clientId.value = settings?.clientId ?? "";
  els.tenant.value = settings?.tenant ?? "";
  setSettingsStatus(settings ? "Saved. Sign in with Microsoft to continue." : "Using the offline demo tenant.", "ok");
  setStatus("Ready.");
  await applySettings(settings);
  if (settings && auth?.account) setSettingsStatus("Saved.", "ok"); // still signed in from earlier in this tab
}

async function onClearSettings() {
  clearSettings();
  els.clientId.value = "";
  els.tenant.value = "";
  showFieldError(els.clientId, els.clientIdError, null);
  showFieldError(els.tenant, els.tenantError, null);
  setSettingsStatus("Using the offline demo tenant.", "ok");
  setStatus("Ready.");
  await applySettings(null);
}

function onSignIn() {
  if (!auth || signingIn) return;
  signingIn = true;
  els.signIn.setAttribute("aria-disabled", "true");
  setSettingsStatus("Signing in (a Microsoft window opens)…");
  // Called without awaiting anything first, so the popup opens within the click.
  auth
    .signIn()
    .then((result) => {
      if (result.redirecting) {
        setSettingsStatus("Going to the Microsoft sign-in page…");
        return;
      }
      renderAccount(); // announced: the account line is a live region
      setSettingsStatus("");
      els.create.focus();
    })
    .catch((err) => {
      const cancelled = err?.errorCode === "user_cancelled";
      setSettingsStatus(cancelled ? "Sign-in cancelled." : `Sign-in failed: ${describeAuthError(err)}`, cancelled ? "" : "error");
    })
    .finally(() => {
      signingIn = false;
      els.signIn.removeAttribute("aria-disabled");
    });
}

async function onSignOut() {
  if (!auth) return;
  await auth.signOut();
  renderAccount();
  hideResult();
  setSettingsStatus("");
  els.signIn.focus();
}

function setSettingsStatus(text, kind = "") {
  els.settingsStatus.textContent = text;
  els.settingsStatus.className = kind ? `status status-${kind}` : "status";
}

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

  const offline = mode === "offline";
  const signedIn = auth; // this call's MSAL, even if the settings change while it runs
  const mailboxId = els.mailboxId.value.trim();
  if (!offline && !signedIn?.account) {
    done();
    setStatus(signedIn ? "Sign in with Microsoft first." : "Microsoft sign-in is not ready yet.", "error");
    if (signedIn) els.signIn.focus();
    return;
  }
  const options = clientOptions(signedIn);
  if (!offline) signedIn.tokenCalls = [];
  setStatus("Creating import session…");
  const seenBefore = offline ? await mockRequestCount() : null;
  try {
    const session = await createImportSession(mailboxId, options);
    if (offline) {
      const statuses = await mockStatusesSince(seenBefore);
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
    if (offline) refreshFaultState();
  }

  function done() {
    busy = false;
    els.create.removeAttribute("aria-disabled");
    els.form.removeAttribute("aria-busy");
  }
}

/** The package's options for the page's mode: the mock tenant offline, else MSAL's token provider. */
function clientOptions(signedIn) {
  const options = {
    apiVersion: els.apiVersion.value,
    maxRetries: MAX_RETRIES,
    retryBaseDelayMs: RETRY_BASE_DELAY_MS,
  };
  if (mode === "offline") {
    return Object.assign(options, {
      token: DEMO_TOKEN,
      graphBaseUrl: config.graphBaseUrl,
      trustedImportHosts: config.trustedImportHosts,
    });
  }
  // Microsoft Graph and its import hosts (the package's defaults), unless the test hook says otherwise.
  return Object.assign(options, { token: signedIn.tokenProvider }, loadGraphOverride() ?? {});
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
  "throttle-once": () => [{ kind: "status", status: 429, times: 1 }],
  // One more 429 than the retries allow, so the call gives up with `throttled`.
  "throttle-always": () => [{ kind: "status", status: 429, times: MAX_RETRIES + 1 }],
  forbidden: () => [
    { kind: "status", status: 403, times: 1, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again." },
  ],
  // On the import host, for the mailbox in the form: three posts refused, each retried after a backoff.
  "throttle-imports": () => [
    { target: "import", mailbox: els.mailboxId.value.trim(), kind: "status", status: 429, times: 3 },
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
    if (kind === "export-error") {
      // One of the items chosen in the copy pane (the third, or the last of fewer): exportItems answers it
      // with an error, until Clear.
      const ids = copyPane.selectedItemIds();
      if (!ids.length) {
        els.faultState.textContent = "Choose items in the copy pane first: one of them is then refused.";
        return;
      }
      const id = ids[Math.min(2, ids.length - 1)];
      await mock("POST", "/config", { exportItemErrors: { [id]: EXPORT_REFUSAL } });
    } else if (kind === "slow-imports") {
      await mock("POST", "/config", { importLatencyMs: SLOW_IMPORT_MS });
    } else {
      // Replace whatever was queued, so "next call" means exactly what was last clicked.
      await mock("DELETE", "/faults");
      if (kind === "clear") await mock("POST", "/config", { exportItemErrors: {}, importLatencyMs: 0 });
      if (FAULTS[kind]) await mock("POST", "/faults", { faults: FAULTS[kind]() });
    }
  } catch (err) {
    els.faultState.textContent = `Could not reach the mock tenant (${err.message}).`;
    return;
  }
  await refreshFaultState();
}

async function refreshFaultState() {
  try {
    const [{ faults }, settings] = await Promise.all([mock("GET", "/faults"), mock("GET", "/config")]);
    els.faultState.textContent = [describeFaults(faults), ...describeSettings(settings)].join(". ");
  } catch (err) {
    els.faultState.textContent = `Could not reach the mock tenant (${err.message}).`;
  }
}

/** "Next call: 429 once", "Next imports into MBX:...: 429 ×3", or both, from the mock's fault queue. */
function describeFaults(faults) {
  const list = (some) => some.map((f) => `${f.status ?? f.kind}${f.times > 1 ? ` ×${f.times}` : " once"}`).join(", then ");
  const graph = faults.filter((f) => (f.target ?? "graph") === "graph");
  const imports = faults.filter((f) => f.target === "import");
  const parts = [];
  if (graph.length || !imports.length) parts.push(`Next call: ${graph.length ? list(graph) : "normal"}`);
  const mailboxes = [...new Set(imports.map((f) => f.mailbox ?? null))];
  for (const mailbox of mailboxes) {
    const some = imports.filter((f) => (f.mailbox ?? null) === mailbox);
    parts.push(`Next imports${mailbox ? ` into ${mailbox}` : ""}: ${list(some)}`);
  }
  return parts.join(". ");
}

/** The lasting misbehaviour set through the mock's config: refused exports, slow imports. */
function describeSettings(settings) {
  const parts = [];
  const refused = Object.keys(settings.exportItemErrors ?? {});
  if (refused.length) parts.push(`Export refused for ${refused.length === 1 ? `item ${refused[0]}` : `${refused.length} items`}`);
  if (settings.importLatencyMs > 0) parts.push(`Every import waits ${settings.importLatencyMs} ms`);
  return parts;
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
