// Who may call, and the Graph token a call uses.
//
// delegated: the caller sends the signed-in user's Microsoft Graph token (from MSAL in the portal) as
//   `Authorization: Bearer ...`; the Worker passes it to Graph and nowhere else, and keeps nothing.
// app-only:  the caller proves it is the portal with a relay key (`X-Api-Key`, a Worker secret, compared in
//   constant time); the Worker gets its own app-only token from Entra ID with the client credentials
//   grant. The token provider lives in module scope: every request of this isolate shares its cache and
//   one refresh among concurrent callers (see appTokenProvider).

import { clientCredentials } from "graph-mailbox-import";

import { WorkerError } from "./http.js";

const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_KEY_HEADER_LENGTH = 1024;

/** The caller's delegated Graph token from `Authorization: Bearer <token>`. */
export function delegatedToken(request) {
  const header = request.headers.get("authorization");
  const match = header === null ? null : /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header);
  if (!match || match[1].length > MAX_TOKEN_LENGTH) {
    throw new WorkerError(
      401,
      "unauthorized",
      "Send the signed-in user's Microsoft Graph access token as Authorization: Bearer <token>.",
      { "www-authenticate": 'Bearer realm="graph-mailbox-import"' },
    );
  }
  return match[1];
}

/** Refuses the request unless its X-Api-Key equals one of `keys` (compared in constant time). */
export async function requireApiKey(request, keys) {
  const given = request.headers.get("x-api-key");
  if (keys.length === 0) {
    throw new WorkerError(
      401,
      "unauthorized",
      "This Worker has no relay key: sign in, and send your Entra ID access token for it as Authorization: Bearer <token>.",
      { "www-authenticate": 'Bearer realm="graph-mailbox-import"' },
    );
  }
  if (given === null || given === "") {
    throw new WorkerError(401, "unauthorized", "This Worker needs its relay key in the X-Api-Key header.");
  }
  if (given.length > MAX_KEY_HEADER_LENGTH || !(await matchesAny(given, keys))) {
    throw new WorkerError(401, "unauthorized", "The X-Api-Key header does not hold a valid relay key.");
  }
}

/**
 * Whether `given` equals one of `keys`, in time that does not depend on where they differ: both sides are
 * HMAC-ed with a fresh random key (so their lengths and contents no longer matter), then the digests are
 * compared with workerd's crypto.subtle.timingSafeEqual. Every key is compared, matched or not.
 */
export async function matchesAny(given, keys) {
  const encoder = new TextEncoder();
  const hmacKey = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const digest = async (text) => new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(text)));
  const mine = await digest(given);
  let matched = false;
  for (const key of keys) {
    matched = timingSafeEqual(mine, await digest(key)) || matched;
  }
  return matched;
}

function timingSafeEqual(a, b) {
  if (typeof crypto.subtle.timingSafeEqual === "function") return crypto.subtle.timingSafeEqual(a, b);
  // Outside workerd (equal lengths here: both are SHA-256 digests).
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// The app-only token provider, one per isolate (and per set of credentials, should they change): every
// request of the isolate uses its one cached token, and one request to Entra renews it for all. Callers that
// find a renewal under way wait on their own timers, never on the other request, so workerd does not cancel
// them as hung; a renewal whose request was cancelled midway is taken over after one attempt's timeout.
let appTokens = null;

/** The isolate's shared TokenProvider for `app` ({ tenantId, clientId, clientSecret, authorityHost?, scope? }). */
export function appTokenProvider(app) {
  const fingerprint = JSON.stringify([app.authorityHost, app.tenantId, app.clientId, app.clientSecret, app.scope]);
  if (appTokens?.fingerprint !== fingerprint) {
    const options = { tenantId: app.tenantId, clientId: app.clientId, clientSecret: app.clientSecret };
    if (app.authorityHost) options.authorityHost = app.authorityHost;
    if (app.scope) options.scope = app.scope;
    appTokens = { fingerprint, provider: clientCredentials(options) };
  }
  return appTokens.provider;
}
