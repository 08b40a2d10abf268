// Portal users signed in with Microsoft Entra ID: their access token for this Worker's own API (not a Graph
// token), checked with jose against the tenant's published signing keys.
//
// A portal (an SPA with MSAL) asks Entra for a token with the scope `<application id URI>/.default` (or a
// scope the Worker's app registration exposes) and sends it as `Authorization: Bearer ...`. The Worker
// accepts it when all of these hold, else it answers 401 (403 for a missing role) and starts nothing:
//   - at most MAX_AUTHORIZATION_LENGTH characters, before anything is parsed;
//   - signed RS256 (no other algorithm, never "none") by a key of the tenant's JWKS (fetched, then cached by
//     jose per isolate: 10 minutes, refreshed at most every 30 seconds when an unknown kid shows up);
//   - issued by the tenant (`iss`, and `tid` the tenant id) for this API (`aud`: the application id URI or
//     its client id), within `nbf`..`exp` (30 seconds of clock skew allowed);
//   - holding the app role an admin assigned to the user (`roles`, default MailboxMigration.Admin).
// Settings (wrangler.toml [vars]): PORTAL_TENANT_ID and PORTAL_AUDIENCE turn it on; PORTAL_ROLE,
// PORTAL_ISSUER and PORTAL_JWKS_URL override their defaults.

import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from "jose";

import { requireApiKey } from "./auth.js";
import { WorkerError } from "./http.js";
import { cachedPerEnv, varReaders } from "./env-vars.js";

export const DEFAULT_PORTAL_ROLE = "MailboxMigration.Admin";
/** Longest Authorization header read: Entra tokens are 1.5 to 6 KB; a larger one is refused unparsed. */
export const MAX_AUTHORIZATION_LENGTH = 16 * 1024;
const CLOCK_TOLERANCE_S = 30;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The portal sign-in settings from `env`: `{ portal }` (null when not configured) or `{ problems }` (names
 * of bad settings, never their values). Cached per env object.
 */
export const readPortalSettings = cachedPerEnv(parsePortalSettings);

function parsePortalSettings(env) {
  const problems = [];
  const { text, list } = varReaders(env, problems);
  const tenantId = text("PORTAL_TENANT_ID");
  const audiences = list("PORTAL_AUDIENCE");
  if (tenantId === undefined && audiences.length === 0 && problems.length === 0) return { portal: null };
  if (tenantId === undefined || !GUID.test(tenantId)) {
    problems.push("PORTAL_TENANT_ID: must be the tenant's id (a GUID), as Entra writes it into tokens");
  }
  if (audiences.length === 0) {
    problems.push("PORTAL_AUDIENCE: the Worker's application id URI (api://...) and/or its client id");
  }
  const role = text("PORTAL_ROLE") ?? DEFAULT_PORTAL_ROLE;
  if (!/^[\x21-\x7e]{1,120}$/.test(role)) problems.push("PORTAL_ROLE: an app role value without spaces");
  const authority = (text("ENTRA_AUTHORITY_HOST") ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
  const issuer = text("PORTAL_ISSUER") ?? `https://login.microsoftonline.com/${tenantId}/v2.0`;
  const jwksText = text("PORTAL_JWKS_URL") ?? `${authority}/${tenantId}/discovery/v2.0/keys`;
  let jwksUrl = null;
  try {
    jwksUrl = new URL(jwksText);
  } catch {
    // reported below
  }
  const loopback = jwksUrl && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(jwksUrl.hostname);
  if (!jwksUrl || !(jwksUrl.protocol === "https:" || (jwksUrl.protocol === "http:" && loopback))) {
    problems.push("PORTAL_JWKS_URL: must be an https URL (http only for localhost)");
  }
  if (problems.length) return { problems };
  return { portal: Object.freeze({ tenantId, audiences, role, issuer, jwksUrl: jwksUrl.href }) };
}

// One key set per JWKS URL and isolate: jose caches the keys it fetched and refetches on an unknown kid.
const keySets = new Map();

function keySetFor(url) {
  let keys = keySets.get(url);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000 });
    keySets.set(url, keys);
  }
  return keys;
}

function refused(message, error = "invalid_token") {
  return new WorkerError(401, "unauthorized", message, {
    "www-authenticate": `Bearer realm="graph-mailbox-import", error="${error}"`,
  });
}

/** The bearer token of `Authorization`, or null when the header is absent. Too long or malformed: 401. */
export function bearerToken(request) {
  const header = request.headers.get("authorization");
  if (header === null) return null;
  if (header.length > MAX_AUTHORIZATION_LENGTH) throw refused("The Authorization header is too large.");
  const match = /^Bearer[ ]+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)[ ]*$/i.exec(header);
  if (!match) throw refused("Send the portal user's access token for this Worker as Authorization: Bearer <token>.");
  return match[1];
}

/**
 * Checks a portal user's token (see the top of this file) and returns who it is:
 * `{ kind: "user", oid, name }`. Throws a WorkerError: 401 for a token that is not valid, 403 for a valid
 * one without the role, 503 when the tenant's keys cannot be fetched. `log.authError` gets jose's error code
 * (never the token or its claims).
 */
export async function verifyPortalUser(token, portal, log = {}) {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keySetFor(portal.jwksUrl), {
      algorithms: ["RS256"],
      issuer: portal.issuer,
      audience: portal.audiences,
      requiredClaims: ["exp", "nbf", "tid"],
      clockTolerance: CLOCK_TOLERANCE_S,
    }));
  } catch (error) {
    log.authError = typeof error?.code === "string" ? error.code : error?.name ?? "error";
    // JOSEError itself (not a subclass): the JWKS answer was not 200 or not JSON.
    const keysUnavailable = error instanceof joseErrors.JWKSTimeout || error?.constructor === joseErrors.JOSEError;
    if (keysUnavailable || !(error instanceof joseErrors.JOSEError)) {
      // The tenant's keys could not be fetched (or read): not the caller's fault, and nothing is decided.
      throw new WorkerError(503, "signInUnavailable", "The tenant's signing keys could not be fetched; try again shortly.", {
        "retry-after": "5",
      });
    }
    if (error instanceof joseErrors.JWTExpired) throw refused("The access token has expired.");
    throw refused("The access token is not valid for this Worker.");
  }
  if (payload.tid !== portal.tenantId) {
    log.authError = "wrongTenant";
    throw refused("The access token is not valid for this Worker.");
  }
  const roles = Array.isArray(payload.roles) ? payload.roles : [];
  if (!roles.includes(portal.role)) {
    log.authError = "missingRole";
    throw new WorkerError(403, "forbidden", `The signed-in user lacks the app role ${portal.role} on this Worker.`);
  }
  return {
    kind: "user",
    oid: typeof payload.oid === "string" ? payload.oid : undefined,
    name: typeof payload.preferred_username === "string" ? payload.preferred_username : undefined,
  };
}

/**
 * Who calls an app-only route: a portal user with a valid token for this Worker (when PORTAL_* are set), or
 * a server with the relay key (X-Api-Key). The token is added to `secrets` (scrubbed from anything written).
 */
export async function appOnlyCaller(request, config, portal, log, secrets) {
  if (portal && request.headers.get("authorization") !== null) {
    log.auth = "entra";
    const token = bearerToken(request);
    secrets.push(token);
    return verifyPortalUser(token, portal, log);
  }
  log.auth = "key";
  await requireApiKey(request, config.apiKeys);
  return { kind: "apiKey" };
}
