// The Worker's settings, read from its bindings (wrangler.toml [vars] and secrets) once per `env` object and
// checked whole: a Worker with a bad setting answers every request with 500 `workerMisconfigured` and logs
// which settings are wrong (their names, never their values).

import { cachedPerEnv, varReaders } from "./env-vars.js";

export const DEFAULTS = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  // Time to receive a whole body: 4 MiB at about 1.1 Mbit/s. A body that trickles in slower is refused (408).
  bodyTimeoutMs: 30_000,
  maxBatchItems: 10,
  maxCopyItems: 40,
  importConcurrency: 4,
  maxRetryDelayMs: 10_000,
});

/** Shortest relay key accepted: a key from `openssl rand -base64 32` has 44 characters. */
export const MIN_API_KEY_LENGTH = 32;

const MODES = ["delegated", "app-only"];

/**
 * `{ config }` or `{ problems }` (a list of "NAME: what is wrong" without any value). Cached per env object.
 * @param {Record<string, unknown>} env
 */
export const readConfig = cachedPerEnv(parse);

function parse(env) {
  const problems = [];
  const { text, list, integer } = varReaders(env, problems);

  const mode = text("TOKEN_MODE");
  if (!MODES.includes(mode)) problems.push(`TOKEN_MODE: must be "delegated" or "app-only"`);

  const allowedOrigins = new Set();
  for (const origin of list("ALLOWED_ORIGINS")) {
    let parsed = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
      // Never "*": the allowlist is the point. An origin is scheme://host[:port], nothing after it.
      problems.push("ALLOWED_ORIGINS: each entry must be an origin such as https://portal.contoso.com (no path, no \"*\")");
      break;
    }
    allowedOrigins.add(origin);
  }

  const apiVersion = text("GRAPH_API_VERSION");
  if (apiVersion !== undefined && apiVersion !== "v1.0" && apiVersion !== "beta") {
    problems.push(`GRAPH_API_VERSION: must be "v1.0" or "beta"`);
  }
  // URLs the package will call: https, or http on loopback only (the package's own rule; checked here so a bad
  // setting is the operator's 500, not every caller's 400).
  const baseUrl = (name) => {
    const v = text(name);
    if (v === undefined) return undefined;
    let url = null;
    try {
      url = new URL(v);
    } catch {
      // reported below
    }
    const loopback = url && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname);
    if (!url || !(url.protocol === "https:" || (url.protocol === "http:" && loopback)) || url.search || url.hash) {
      problems.push(`${name}: must be an https URL (http only for localhost) without query`);
      return undefined;
    }
    return v.replace(/\/+$/, "");
  };
  const trustedImportHosts = list("TRUSTED_IMPORT_HOSTS");
  if (!trustedImportHosts.every((h) => /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$/.test(h))) {
    problems.push("TRUSTED_IMPORT_HOSTS: each entry must be a host or host:port, such as outlook.office365.com");
  }
  const graph = { graphBaseUrl: baseUrl("GRAPH_BASE_URL"), apiVersion, trustedImportHosts };

  const limits = {
    maxBodyBytes: integer("MAX_BODY_BYTES", DEFAULTS.maxBodyBytes, 1024, 100 * 1024 * 1024),
    bodyTimeoutMs: integer("BODY_TIMEOUT_MS", DEFAULTS.bodyTimeoutMs, 100, 300_000),
    maxBatchItems: integer("MAX_BATCH_ITEMS", DEFAULTS.maxBatchItems, 1, 100),
    maxCopyItems: integer("MAX_COPY_ITEMS", DEFAULTS.maxCopyItems, 1, 1000),
    importConcurrency: integer("IMPORT_CONCURRENCY", DEFAULTS.importConcurrency, 1, 16),
    maxRetryDelayMs: integer("MAX_RETRY_DELAY_MS", DEFAULTS.maxRetryDelayMs, 0, 60_000),
  };

  let app = null;
  const apiKeys = [];
  if (mode === "app-only") {
    app = {
      tenantId: text("ENTRA_TENANT_ID"),
      clientId: text("ENTRA_CLIENT_ID"),
      clientSecret: typeof env.ENTRA_CLIENT_SECRET === "string" ? env.ENTRA_CLIENT_SECRET : undefined,
      authorityHost: baseUrl("ENTRA_AUTHORITY_HOST"),
      scope: text("ENTRA_SCOPE"),
    };
    if (!app.tenantId) problems.push("ENTRA_TENANT_ID: required in app-only mode");
    if (!app.clientId) problems.push("ENTRA_CLIENT_ID: required in app-only mode");
    if (!app.clientSecret) problems.push("ENTRA_CLIENT_SECRET: required in app-only mode (a secret: wrangler secret put)");
    for (const name of ["RELAY_API_KEY", "RELAY_API_KEY_PREVIOUS"]) {
      const key = env[name];
      if (key === undefined || key === null || key === "") continue;
      if (typeof key !== "string" || key.length < MIN_API_KEY_LENGTH || key.length > 512 || /[^\x21-\x7e]/.test(key)) {
        problems.push(`${name}: must be ${MIN_API_KEY_LENGTH} to 512 printable ASCII characters (e.g. openssl rand -base64 32)`);
        continue;
      }
      apiKeys.push(key);
    }
    // Servers prove themselves with the relay key; a Worker that signs in portal users (PORTAL_* set) may do
    // without one, and then takes no X-Api-Key at all.
    const signsInPortalUsers = Boolean(env.PORTAL_TENANT_ID || env.PORTAL_AUDIENCE);
    if (!env.RELAY_API_KEY && !signsInPortalUsers) {
      problems.push("RELAY_API_KEY: required in app-only mode unless portal users sign in (PORTAL_TENANT_ID, PORTAL_AUDIENCE); a secret: wrangler secret put");
    }
  }

  if (problems.length) return { problems };
  return {
    config: Object.freeze({
      mode,
      allowedOrigins,
      graph,
      limits,
      app,
      apiKeys,
      // Values that must never appear in a response or a log line.
      secrets: [app?.clientSecret, ...apiKeys].filter(Boolean),
    }),
  };
}
