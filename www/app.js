// The admin page: its panes wired together. Plain ES modules, no build step. "graph-mailbox-import" resolves
// through the page's import map to the package's browser entry, which initialises the wasm before this
// module runs.
//
// Two modes. Offline (no tenant in the settings pane): the mock tenant that scripts/demo.mjs starts, with a
// fixed token. Real tenant (application id and tenant saved in the settings pane): sign-in with
// @azure/msal-browser, whose acquireTokenSilent is the package's token provider, against Microsoft Graph.
//
// The panes, one file each: session-pane.js (createImportSession), settings-pane.js (tenant, sign-in, the
// page's mode), simulate-pane.js (the mock's faults), mailbox-lookup.js, import-pane.js, copy-pane.js and
// folder-picker.js. All but the session pane share one MailboxClient (clients.js) made from the same options
// as createImportSession. jobs-pane.js is the Jobs view: migration jobs on the example Worker, which the demo
// server starts next to the mock tenant (config.jobs.workerUrl), with a token for its API (jobsConnection).
// folders-pane.js copies folder trees, pass after pass.

import { completeAuthResponse, describeAuthError, isAuthResponse, loadGraphOverride } from "./auth.js";
import { createClientPool } from "./clients.js";
import { setupCopyPane } from "./copy-pane.js";
import { setupFolderPicker } from "./folder-picker.js";
import { setupFoldersPane } from "./folders-pane.js";
import { setupImportPane } from "./import-pane.js";
import { setupJobsPane } from "./jobs-pane.js";
import { setupMailboxLookup } from "./mailbox-lookup.js";
import { setupSessionPane } from "./session-pane.js";
import { setupSettingsPane } from "./settings-pane.js";
import { setupSimulatePane } from "./simulate-pane.js";
import { $, PaneError, setStatus } from "./ui.js";

// Tells boot.js that the package loaded, so later unrelated errors are not reported as a load failure.
window.demoStarted = true;

// In offline mode the mock tenant accepts any token except those starting "expired" or "forbidden".
const DEMO_TOKEN = "demo-token";
const MAX_RETRIES = 3;
// Shorter than the package's default first backoff (1 s) so that a simulated throttle does not keep people
// waiting; retries still double with jitter from here.
const RETRY_BASE_DELAY_MS = 500;

let config = null; // /config.json: the mock tenant's URLs
let settings = null; // see settings-pane.js: the page's mode and MSAL
let session = null; // see session-pane.js
let offlineJobsToken = null; // { accessToken, expiresOn } from the demo server, for the Worker's jobs API
const clients = createClientPool();

if (isAuthResponse(window.location)) {
  // This window is the sign-in's redirect target (a popup, or this tab after a redirect): pass the answer
  // to MSAL and let it close the popup or go back to the page. The page itself does not start here.
  await finishSignInResponse();
} else {
  await start();
}

async function finishSignInResponse() {
  setStatus($("status"), "Completing sign-in…");
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
    settings?.setStatus(`The sign-in answer could not be used (${describeAuthError(err)}). Sign in again.`, "error");
  }
}

async function start() {
  try {
    config = await loadConfig();
  } catch (err) {
    setStatus($("status"), `Could not load /config.json (${err.message}). Start the page with scripts/demo.mjs.`, "error");
    return;
  }

  const mode = () => settings.mode();
  const afterRun = () => {
    if (mode() === "offline") simulate.refresh();
  };
  let copyPane = null;
  const simulate = setupSimulatePane({
    controlUrl: config.mockControlUrl,
    maxRetries: MAX_RETRIES,
    importMailbox: () => session.mailboxInput.value.trim(),
    chosenItemIds: () => copyPane.selectedItemIds(),
  });
  session = setupSessionPane({
    mode,
    auth: () => settings.auth(),
    clientOptions,
    simulate,
    focusSignIn: () => settings.focusSignIn(),
  });

  const sessionMailbox = () => {
    const mailboxId = session.mailboxInput.value.trim();
    if (!mailboxId) throw new PaneError("Enter the mailbox id in the Import session form first.", session.mailboxInput);
    return mailboxId;
  };
  let importPicker = null;
  const importPane = setupImportPane({
    prepare: () => {
      const { key, options } = connection();
      return { mailboxId: sessionMailbox(), key, options, folderPath: importPicker.pickedPath() };
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
  session.mailboxInput.addEventListener("input", () => importPicker.reset());
  copyPane = setupCopyPane({ run: withClient, onRunEnd: afterRun });
  const foldersPane = setupFoldersPane({ run: withClient, controlUrl: config.mockControlUrl, onRunEnd: afterRun });
  const lookup = setupMailboxLookup({
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
        session.mailboxInput.value = id;
        session.reset();
        // The folder in the field belongs to the mailbox before: the new one's Inbox replaces it.
        importPicker.pickInbox();
        return `The import session form and the import pane now use ${who}, its Inbox unless you pick another folder.`;
      },
    },
  });
  $("lookup-button").disabled = false;

  const jobs = setupJobsPane({
    connection: jobsConnection,
    folderTree: (mailboxId) => withClient((client) => client.listFolderTree(mailboxId)),
    mock: simulate,
  });

  settings = setupSettingsPane({
    msal: config.msal,
    onModeChange: (pageMode) => {
      const offline = pageMode === "offline";
      $("simulate").hidden = !offline;
      for (const el of document.querySelectorAll("[data-mode]")) el.hidden = el.dataset.mode !== pageMode;
      importPane.setMode(pageMode);
      importPicker.reset();
      lookup.setMode(pageMode, config.demoUsers?.source);
      copyPane.setMode(pageMode);
      jobs.setMode(pageMode, { ...config.demoUsers, sourceFolderId: config.jobs?.demoSourceFolderId });
      foldersPane.setMode(pageMode, offline ? config.demoUsers : null);
      session.setMode(pageMode);
      session.reset();
      if (offline) simulate.refresh();
    },
    setPageStatus: (text) => session.setStatus(text),
    onSignedIn: () => $("create-button").focus(),
    onSignedOut: () => session.hideResult(),
  });
  const ready = settings.start();
  session.setStatus("Ready.");
  await ready;
  await jobs.start();
}

/**
 * Where the Jobs view calls and with which token: offline, the Worker the demo server started, with a token
 * the mock tenant's Entra ID minted for its API; with a real tenant, the Worker named in the settings, with
 * MSAL's token for its application id URI. Throws a PaneError saying what is missing.
 */
function jobsConnection() {
  if (settings.mode() === "offline") {
    if (!config.jobs?.available) throw new PaneError(`The Jobs view is unavailable: ${config.jobs?.reason ?? "no Worker"}.`);
    return { workerUrl: config.jobs.workerUrl, token: offlineToken };
  }
  const jobsSettings = settings.jobs();
  if (!jobsSettings) {
    throw new PaneError("Enter the jobs Worker's URL and API under Tenant and sign-in (Migration jobs).", $("jobs-worker-url"));
  }
  const auth = settings.auth();
  if (!auth?.account) throw new PaneError(auth ? "Sign in with Microsoft first." : "Microsoft sign-in is not ready yet.", auth ? $("sign-in-button") : null);
  return {
    workerUrl: jobsSettings.workerUrl,
    token: () => auth.tokenProvider({ scopes: [jobsSettings.scope], forceRefresh: false }),
  };
}

/** The demo server's token for the Worker's API, kept until five minutes before it expires. */
async function offlineToken() {
  if (!offlineJobsToken || offlineJobsToken.expiresOn - Date.now() < 5 * 60_000) {
    const res = await fetch("/jobs-token", { cache: "no-store" });
    if (!res.ok) throw new PaneError(`The demo server gave no token for the jobs API (status ${res.status}).`);
    offlineJobsToken = await res.json();
  }
  return offlineJobsToken.accessToken;
}

/**
 * The client options for the page's mode, and the key naming them (the same key, the same MailboxClient), or
 * a PaneError when a real tenant is configured but nobody is signed in.
 */
function connection() {
  const auth = settings.auth();
  if (settings.mode() !== "offline" && !auth?.account) {
    throw new PaneError(auth ? "Sign in with Microsoft first." : "Microsoft sign-in is not ready yet.", auth ? $("sign-in-button") : null);
  }
  // The same options as for createImportSession; one client for as long as they stay the same.
  const key = JSON.stringify([settings.mode(), settings.generation(), auth?.account?.homeAccountId ?? null, session.apiVersion()]);
  return { key, options: clientOptions(auth) };
}

/** Calls fn(client) with the page's MailboxClient; rejects with a PaneError when nobody is signed in. */
async function withClient(fn) {
  const { key, options } = connection();
  return clients.use(key, options, fn);
}

/** The package's options for the page's mode: the mock tenant offline, else MSAL's token provider. */
function clientOptions(signedIn) {
  const options = {
    apiVersion: session.apiVersion(),
    maxRetries: MAX_RETRIES,
    retryBaseDelayMs: RETRY_BASE_DELAY_MS,
  };
  if (settings.mode() === "offline") {
    return Object.assign(options, {
      token: DEMO_TOKEN,
      graphBaseUrl: config.graphBaseUrl,
      trustedImportHosts: config.trustedImportHosts,
    });
  }
  // Microsoft Graph and its import hosts (the package's defaults), unless the test hook says otherwise.
  return Object.assign(options, { token: signedIn.tokenProvider }, loadGraphOverride() ?? {});
}

async function loadConfig() {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`status ${res.status}`);
  return await res.json();
}
