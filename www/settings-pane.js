// Tenant and sign-in: the settings form (application id and tenant, kept in localStorage; both empty means the
// offline demo tenant), the banner saying which tenant the page talks to, and sign-in and sign-out with
// @azure/msal-browser (auth.js). It owns the page's mode and its MSAL; app.js asks for them.

import {
  GRAPH_ROOT,
  clearSettings,
  createMsalAuth,
  describeAuthError,
  jobsSettingsOf,
  loadGraphOverride,
  loadSettings,
  saveSettings,
  validateSettings,
} from "./auth.js";
import { $ } from "./ui.js";

/**
 * msal: config.json's `msal` ({ available, reason }); onModeChange(mode): whenever the page switches between
 * "offline" and "tenant" (and when settings are applied again), before MSAL starts; setPageStatus(text): the
 * page's status line; onSignedIn(), onSignedOut(): after a sign-in from the page, after a sign-out.
 * Returns { start(), mode(), auth(), jobs(), generation(), setStatus(text, kind), focusSignIn() }.
 */
export function setupSettingsPane({ msal, onModeChange, setPageStatus, onSignedIn = () => {}, onSignedOut = () => {} }) {
  const els = {
    banner: $("mode-banner"),
    bannerOffline: $("banner-offline"),
    bannerTenant: $("banner-tenant"),
    bannerTenantName: $("banner-tenant-name"),
    bannerClientId: $("banner-client-id"),
    bannerGraphRoot: $("banner-graph-root"),
    bannerOverride: $("banner-override"),
    bannerSettingsLink: $("banner-settings-link"),
    form: $("settings-form"),
    clientId: $("client-id"),
    clientIdError: $("client-id-error"),
    tenant: $("tenant-id"),
    tenantError: $("tenant-error"),
    jobsDetails: $("jobs-settings"),
    jobsWorkerUrl: $("jobs-worker-url"),
    jobsWorkerUrlError: $("jobs-worker-url-error"),
    jobsApi: $("jobs-api"),
    jobsApiError: $("jobs-api-error"),
    clear: $("settings-clear"),
    status: $("settings-status"),
    accountPanel: $("account-panel"),
    accountState: $("account-state"),
    signIn: $("sign-in-button"),
    signOut: $("sign-out-button"),
  };

  let mode = "offline"; // "offline" (mock tenant) or "tenant" (a real tenant, through MSAL)
  let auth = null; // in tenant mode, once MSAL is ready: see auth.js createMsalAuth
  let applied = null; // the settings in use (null: offline)
  let generation = 0; // settings applied so far; a slower, older MSAL start is dropped
  let signingIn = false;

  els.form.addEventListener("submit", onSave);
  els.clear.addEventListener("click", onClear);
  els.signIn.addEventListener("click", onSignIn);
  els.signOut.addEventListener("click", onSignOut);
  els.bannerSettingsLink.addEventListener("click", (event) => {
    event.preventDefault();
    els.clientId.focus();
  });

  /** Switches the page to the offline demo tenant (settings null) or to the real tenant they name. */
  async function apply(settings) {
    const mine = ++generation;
    applied = settings;
    auth = null;
    mode = settings ? "tenant" : "offline";
    const offline = mode === "offline";

    els.banner.classList.toggle("tenant", !offline);
    els.bannerOffline.hidden = !offline;
    els.bannerTenant.hidden = offline;
    els.accountPanel.hidden = offline;
    onModeChange(mode);
    if (offline) return;

    const override = loadGraphOverride();
    els.bannerTenantName.textContent = settings.tenant;
    els.bannerClientId.textContent = settings.clientId;
    els.bannerGraphRoot.textContent = override?.graphBaseUrl ?? GRAPH_ROOT;
    els.bannerOverride.hidden = !override;

    renderAccount();
    if (!msal?.available) {
      els.accountState.textContent = `Sign-in is not available: ${msal?.reason ?? "msal-browser is missing"}.`;
      return;
    }
    els.accountState.textContent = "Starting Microsoft sign-in…";
    try {
      const created = await createMsalAuth({ ...settings, redirectUri: new URL("./", window.location.href).href });
      if (mine !== generation) return;
      auth = created;
      renderAccount();
      if (auth.redirectError) setStatus(`Sign-in failed: ${describeAuthError(auth.redirectError)}`, "error");
    } catch (err) {
      if (mine !== generation) return;
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

  async function onSave(event) {
    event.preventDefault();
    const { settings, errors } = validateSettings({
      clientId: els.clientId.value,
      tenant: els.tenant.value,
      jobsWorkerUrl: els.jobsWorkerUrl.value,
      jobsApi: els.jobsApi.value,
    });
    showFieldError(els.clientId, els.clientIdError, errors.clientId);
    showFieldError(els.tenant, els.tenantError, errors.tenant);
    showFieldError(els.jobsWorkerUrl, els.jobsWorkerUrlError, errors.jobsWorkerUrl);
    showFieldError(els.jobsApi, els.jobsApiError, errors.jobsApi);
    const firstWrong = [
      [errors.clientId, els.clientId],
      [errors.tenant, els.tenant],
      [errors.jobsWorkerUrl, els.jobsWorkerUrl],
      [errors.jobsApi, els.jobsApi],
    ].find(([message]) => message);
    if (firstWrong) {
      if (firstWrong[1] === els.jobsWorkerUrl || firstWrong[1] === els.jobsApi) els.jobsDetails.open = true;
      firstWrong[1].focus();
      setStatus("Not saved: check the fields above.", "error");
      return;
    }
    if (settings) saveSettings(settings);
    else clearSettings();
    fillForm(settings);
    setStatus(settings ? "Saved. Sign in with Microsoft to continue." : "Using the offline demo tenant.", "ok");
    setPageStatus("Ready.");
    await apply(settings);
    if (settings && auth?.account) setStatus("Saved.", "ok"); // still signed in from earlier in this tab
  }

  async function onClear() {
    clearSettings();
    fillForm(null);
    showFieldError(els.clientId, els.clientIdError, null);
    showFieldError(els.tenant, els.tenantError, null);
    showFieldError(els.jobsWorkerUrl, els.jobsWorkerUrlError, null);
    showFieldError(els.jobsApi, els.jobsApiError, null);
    setStatus("Using the offline demo tenant.", "ok");
    setPageStatus("Ready.");
    await apply(null);
  }

  function onSignIn() {
    if (!auth || signingIn) return;
    signingIn = true;
    els.signIn.setAttribute("aria-disabled", "true");
    setStatus("Signing in (a Microsoft window opens)…");
    // Called without awaiting anything first, so the popup opens within the click.
    auth
      .signIn()
      .then((result) => {
        if (result.redirecting) {
          setStatus("Going to the Microsoft sign-in page…");
          return;
        }
        renderAccount(); // announced: the account line is a live region
        setStatus("");
        onSignedIn();
      })
      .catch((err) => {
        const cancelled = err?.errorCode === "user_cancelled";
        setStatus(cancelled ? "Sign-in cancelled." : `Sign-in failed: ${describeAuthError(err)}`, cancelled ? "" : "error");
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
    onSignedOut();
    setStatus("");
    els.signIn.focus();
  }

  function fillForm(settings) {
    els.clientId.value = settings?.clientId ?? "";
    els.tenant.value = settings?.tenant ?? "";
    els.jobsWorkerUrl.value = settings?.jobsWorkerUrl ?? "";
    els.jobsApi.value = settings?.jobsApi ?? "";
  }

  function setStatus(text, kind = "") {
    els.status.textContent = text;
    els.status.className = kind ? `status status-${kind}` : "status";
  }

  return {
    /** Fills the form from the saved settings and applies them; resolves once MSAL is ready (or not needed). */
    start() {
      const settings = loadSettings();
      fillForm(settings);
      return apply(settings);
    },
    mode: () => mode,
    auth: () => auth,
    /** The Migration jobs settings in use with a real tenant ({ workerUrl, api, scope }), or null. */
    jobs: () => jobsSettingsOf(applied),
    /** Bumped whenever settings are applied: part of the key that names the page's MailboxClient. */
    generation: () => generation,
    setStatus,
    focusSignIn: () => els.signIn.focus(),
  };
}
