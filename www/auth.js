// Tenant settings (kept in localStorage) and sign-in with @azure/msal-browser.
//
// MSAL is loaded with a dynamic import, only when a real tenant is configured: the offline demo never
// downloads it. "@azure/msal-browser" resolves through the page's import map (scripts/demo.mjs serves the
// package's ESM build from node_modules).

const SETTINGS_KEY = "graph-mailbox-import-demo:settings";

// Test hook: a Graph root (and import hosts) to use instead of Microsoft's in real-tenant mode, so that
// browser tests can point the signed-in page at the mock tenant. Loopback addresses only, and only from
// localStorage (never from the URL): a link cannot redirect a real access token anywhere.
const GRAPH_OVERRIDE_KEY = "graph-mailbox-import-demo:graph-override";

export const GRAPH_ROOT = "https://graph.microsoft.com";
export const LOGIN_HOST = "https://login.microsoftonline.com";

/**
 * Asked for at sign-in, so that one consent covers every pane: the delegated import permission (which also
 * covers exportItems), User.Read.All for looking mailboxes up by user (resolveMailbox), MailboxFolder.Read
 * for the folder pickers (listFolders) and MailboxItem.Read for listing a folder's items (listItems). Graph
 * calls then ask acquireTokenSilent for the scopes the package names; the token Entra returns for the Graph
 * resource carries every consented one.
 */
export const SIGN_IN_SCOPES = [
  `${GRAPH_ROOT}/MailboxItem.ImportExport`,
  `${GRAPH_ROOT}/User.Read.All`,
  `${GRAPH_ROOT}/MailboxFolder.Read`,
  `${GRAPH_ROOT}/MailboxItem.Read`,
];

// ---------------------------------------------------------------------------------------------------------
// Settings

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

// The Worker's application id URI ("api://…"), or its client id: what PORTAL_AUDIENCE names.
const API_ID = /^api:\/\/[^\s/?#][^\s?#]*$/i;

/**
 * Checks the optional Migration jobs settings: the Worker's URL (https, or http on loopback) and its API.
 * Returns { jobs, errors }: jobs is null when both are empty; `scope` is what MSAL is asked for.
 */
function validateJobsSettings(input, errors) {
  const workerUrl = String(input.jobsWorkerUrl ?? "").trim().replace(/\/+$/, "");
  const api = String(input.jobsApi ?? "").trim().replace(/\/+$/, "");
  if (!workerUrl && !api) return null;
  let url = null;
  try {
    url = new URL(workerUrl);
  } catch {
    // reported below
  }
  if (!workerUrl) errors.jobsWorkerUrl = "Enter the Worker's URL, or clear both jobs fields.";
  else if (!url || !(url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname))) || url.pathname !== "/" || url.search || url.hash) {
    errors.jobsWorkerUrl = "Enter the Worker's origin, such as https://graph-mailbox-import-relay-app.contoso.workers.dev.";
  }
  if (!api) errors.jobsApi = "Enter the Worker's application id URI, or clear both jobs fields.";
  else if (!API_ID.test(api) && !GUID.test(api)) errors.jobsApi = "An application id URI looks like api://graph-mailbox-import-jobs.";
  if (errors.jobsWorkerUrl || errors.jobsApi) return null;
  return { workerUrl: url.origin, api, scope: `${api}/.default` };
}

/**
 * Checks what the settings form holds. Returns { settings, errors }: settings is null when both tenant fields
 * are empty (offline demo tenant) or when errors has a message for a field. The jobs fields (optional) add
 * settings.jobs.
 */
export function validateSettings(input) {
  const clientId = String(input.clientId ?? "").trim();
  const tenant = String(input.tenant ?? "").trim();
  const errors = {};
  const jobs = validateJobsSettings(input, errors);
  if (!clientId && !tenant) {
    if (jobs) errors.jobsWorkerUrl = "Jobs need a tenant to sign in with: fill in the application id and tenant above.";
    return { settings: null, errors };
  }
  if (!clientId) errors.clientId = "Enter the application (client) id, or clear both fields for the offline demo.";
  else if (!GUID.test(clientId)) errors.clientId = "An application id looks like 1b2c3d4e-0000-0000-0000-00000000abcd.";
  if (!tenant) errors.tenant = "Enter the tenant id or domain, or clear both fields for the offline demo.";
  else if (!GUID.test(tenant) && !DOMAIN.test(tenant) && tenant.toLowerCase() !== "organizations") {
    errors.tenant = "Enter a directory (tenant) id, a domain such as contoso.onmicrosoft.com, or organizations.";
  }
  if (Object.keys(errors).length) return { settings: null, errors };
  const settings = { clientId: clientId.toLowerCase(), tenant };
  if (jobs) Object.assign(settings, { jobsWorkerUrl: jobs.workerUrl, jobsApi: jobs.api });
  return { settings, errors };
}

/** The jobs part of valid settings: { workerUrl, api, scope }, or null when they name no Worker. */
export function jobsSettingsOf(settings) {
  if (!settings?.jobsWorkerUrl) return null;
  return { workerUrl: settings.jobsWorkerUrl, api: settings.jobsApi, scope: `${settings.jobsApi}/.default` };
}

/** The saved settings, or null (offline demo tenant). */
export function loadSettings() {
  try {
    const raw = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? "null");
    if (!raw || typeof raw !== "object") return null;
    return validateSettings(raw).settings;
  } catch {
    return null;
  }
}

export function saveSettings(settings) {
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
}

export function clearSettings() {
  localStorage.removeItem(SETTINGS_KEY);
}

function isLoopbackHost(hostname) {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** The test hook's { graphBaseUrl, trustedImportHosts }, or null when unset or not loopback. */
export function loadGraphOverride() {
  try {
    const raw = JSON.parse(localStorage.getItem(GRAPH_OVERRIDE_KEY) ?? "null");
    if (!raw || typeof raw.graphBaseUrl !== "string") return null;
    const url = new URL(raw.graphBaseUrl);
    if (!["http:", "https:"].includes(url.protocol) || !isLoopbackHost(url.hostname)) return null;
    const hosts = Array.isArray(raw.trustedImportHosts) ? raw.trustedImportHosts : [];
    if (!hosts.every((h) => typeof h === "string" && isLoopbackHost(h.replace(/:\d+$/, "")))) return null;
    return { graphBaseUrl: raw.graphBaseUrl, trustedImportHosts: hosts.length ? hosts : undefined };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The redirect target: this page is the redirect URI for both the popup and the redirect flow

/** Whether the URL carries an authorization response (this window came back from the sign-in page). */
export function isAuthResponse(location) {
  const parts = [location.hash.replace(/^#/, ""), location.search.replace(/^\?/, "")];
  return parts.some((part) => {
    const params = new URLSearchParams(part);
    return params.has("state") && (params.has("code") || params.has("error"));
  });
}

/**
 * Hands the response to the window that started the sign-in (msal-browser's redirect bridge): in a popup it
 * posts the response to the opener and closes the popup; after a full-page redirect it stores the response
 * and goes back to the page the sign-in started from, where handleRedirectPromise completes it.
 */
export async function completeAuthResponse() {
  const { broadcastResponseToMainFrame } = await import("@azure/msal-browser/redirect-bridge");
  await broadcastResponseToMainFrame();
}

// ---------------------------------------------------------------------------------------------------------
// MSAL

const POPUP_UNAVAILABLE = new Set(["popup_window_error", "empty_window_error"]);

/**
 * Creates and initialises MSAL for the settings, finishing a redirect sign-in if one just came back.
 * Returns { authority, account, redirectError, signIn(), signOut(), tokenProvider, tokenCalls }.
 */
export async function createMsalAuth({ clientId, tenant, redirectUri }) {
  const msal = await import("@azure/msal-browser");
  const authority = `${LOGIN_HOST}/${encodeURIComponent(tenant)}`;
  const pca = new msal.PublicClientApplication({
    auth: { clientId, authority, redirectUri, postLogoutRedirectUri: redirectUri },
    // Per tab, gone when the tab closes: an admin tool should not keep tokens around.
    cache: { cacheLocation: msal.BrowserCacheLocation.SessionStorage },
  });
  await pca.initialize();

  // A redirect sign-in that just came back: its account, or why it failed (declined consent, say). A failure
  // here leaves MSAL usable, so the person can try again.
  let redirectError = null;
  try {
    const redirected = await pca.handleRedirectPromise();
    if (redirected?.account) pca.setActiveAccount(redirected.account);
  } catch (err) {
    redirectError = err;
  }

  const auth = {
    clientId,
    authority,
    redirectError,
    account: pca.getActiveAccount() ?? pca.getAllAccounts()[0] ?? null,
    /** What the token provider did since the last reset: [{ forceRefresh, fromCache }]. */
    tokenCalls: [],

    /**
     * Interactive sign-in: a popup, or a full-page redirect when the browser blocks popups. Call it straight
     * from a click handler (nothing awaited before), or the browser may block the popup.
     * Resolves { account } after a popup, { redirecting: true } when the page is navigating away.
     */
    async signIn() {
      const request = { scopes: SIGN_IN_SCOPES, prompt: "select_account" };
      let result;
      try {
        result = await pca.loginPopup(request);
      } catch (err) {
        if (!POPUP_UNAVAILABLE.has(err?.errorCode)) throw err;
        await pca.loginRedirect(request);
        return { redirecting: true };
      }
      pca.setActiveAccount(result.account);
      auth.account = result.account;
      return { account: result.account };
    },

    /** Forgets the account and its tokens in this tab (the Microsoft session itself stays). */
    async signOut() {
      const account = auth.account;
      auth.account = null;
      pca.setActiveAccount(null);
      if (account) await pca.clearCache({ account });
    },

    /**
     * The package's token provider: MSAL's cache, refreshed by MSAL when needed, and bypassed
     * (forceRefresh) when Graph answered 401 to the cached token.
     */
    tokenProvider: async ({ scopes, forceRefresh }) => {
      if (!auth.account) throw new Error("Not signed in: sign in with Microsoft first.");
      const result = await pca.acquireTokenSilent({ account: auth.account, scopes, forceRefresh });
      auth.tokenCalls.push({ forceRefresh, fromCache: result.fromCache });
      return result.accessToken;
    },
  };
  return auth;
}

/** "user_cancelled: ..." style text for an MSAL error, for the page. */
export function describeAuthError(err) {
  if (err?.errorCode) return `${err.errorCode}${err.errorMessage ? `: ${err.errorMessage}` : ""}`;
  return err?.message || String(err);
}
