// The mock tenant's settings: their defaults (each says what real behaviour it stands for) and their checks.
// startMockTenant options, the command line, state.setConfig and POST /_mock/config all go through
// normalizeConfig, all or nothing.

import { isPlainObject, isRetryAfter } from "./util.mjs";

export const DEFAULT_CONFIG = Object.freeze({
  // Lifetime of an import session; the real one is UNKNOWN (graph-api.md §2), an hour is a guess.
  sessionLifetimeMs: 60 * 60 * 1000,
  // One docs page says createImportSession answers 201 (graph-api.md §2); 200 is the usual one.
  createSessionStatus: 200,
  // Exchange's per-app, per-mailbox limit of concurrent requests (graph-api.md §6); whether the import host
  // counts is UNKNOWN, assumed yes. A post beyond it is refused with 429 before it is processed.
  importConcurrencyLimit: 4,
  // Retry-After sent with that 429: whether Exchange sends one is UNKNOWN; null (the default) sends none.
  concurrencyRetryAfter: null,
  // Time every accepted request waits before it is processed and answered.
  importLatencyMs: 0,
  graphLatencyMs: 0,
  // Seeded random faults on import posts, or null:
  // { seed, throttleRate, resetBeforeProcessRate, resetAfterProcessRate, retryAfter }.
  chaos: null,
  // Folder id -> archive mailbox id: a post into that folder through another mailbox's session gets the
  // documented 409 "Invalid import session. The target session is expected in mailbox ..." (graph-api.md §3).
  archiveFolders: {},
  // Keep request records (state.requests) and their bodies; when false only the counters in stats grow.
  recordRequests: true,
  recordBodies: true,
  // Keep each stored item's Data; when false only its dataHash and size are kept (seeded items keep theirs).
  storeItemData: true,
  // Most values on one page of a collection ($top or Prefer: odata.maxpagesize may ask for fewer).
  pageSize: 10,
  // Origin (and optional path prefix) that @odata.nextLink and @odata.deltaLink are built on; null: graphUrl.
  // Point it at tenant.elsewhereUrl to make every link untrusted.
  nextLinkBase: null,
  // exportItems per-item errors to inject: {"<itemId>": {code, message, key?: "error" | "Error"}}.
  exportItemErrors: {},
  // How exportItems spells the per-item error key; one docs example spells it "Error" (graph-api.md §4).
  exportErrorKey: "error",
  // Message of ErrorArchiveFolderMovedPermanently; "{url}" is replaced by the archive's exportItems URL. The
  // docs example's message is the bare URL.
  archiveMovedMessage: "{url}",
  // settings/exchange of a user without an archive: "null" sends "inPlaceArchiveMailboxId": null, "omit" leaves
  // the property out.
  missingArchiveIdAs: "null",
  // Mailbox ids in the URLs the mock writes (links, Location, moved messages): "docs" keeps ":" and "@" raw as
  // the docs examples do (everything else percent-encoded), "encoded" percent-encodes them too.
  linkIdStyle: "docs",
  // exportItems needs Content-Type: application/json ("Required" in the docs); without it: 400 BadRequest
  // "Unable to read JSON request payload...", Graph's usual answer.
  requireJsonContentType: true,
  // Apps the login server knows, {"<client id>": "<client secret>"}: the client credentials grant gives them
  // app-only tokens for Graph. Any other client id is unknown to the directory.
  apps: {},
  // expires_in (seconds) of the app-only tokens issued from now on; Graph refuses a token once it has expired.
  // Entra's usual value is 3599.
  appTokenLifetimeS: 3599,
  // POST .../folders or .../childFolders with a display name already taken under that parent (any case):
  // "conflict" answers 409 ErrorFolderExists, as Graph's mail folders do; "allow" creates a second folder of
  // that name. What the mailbox API does is UNKNOWN, so clients are tested against both.
  duplicateFolderNames: "conflict",
  // The answer to a delta link whose state is gone (state.expireDeltaTokens, or a token the mock never
  // issued): "syncStateNotFound" 410 SyncStateNotFound, "resyncRequired" 410 resyncRequired with a Location
  // naming the initial request, "badRequest" 400 syncStateNotFound. Which one Exchange sends is UNKNOWN.
  deltaTokenExpired: "syncStateNotFound",
  // The directory (tenant) id the login server's OpenID configuration, JWKS and minted access tokens name (tid,
  // and the issuer https://login.microsoftonline.com/{id}/v2.0). The demo tenant's id by default.
  entraTenantId: "c0c0c0c0-0000-4000-8000-00000000c0de",
  // `aud` of minted access tokens: the Worker API's application id URI.
  apiAudience: "api://mailbox-migration",
});

export const CHAOS_KEYS = ["seed", "throttleRate", "resetBeforeProcessRate", "resetAfterProcessRate", "retryAfter"];

/**
 * Checks a config value that maps non-empty strings to non-empty strings and returns a copy. Throws TypeError
 * with `notObject` when it is no plain object, with `badEntry` when a key or value is empty or not a string.
 */
export function copyStringMap(v, notObject, badEntry) {
  if (!isPlainObject(v)) throw new TypeError(notObject);
  for (const [key, value] of Object.entries(v)) {
    if (key === "" || typeof value !== "string" || value === "") throw new TypeError(badEntry);
  }
  return { ...v };
}

/** Checks one config value and returns it normalized (nested objects copied). Throws TypeError. */
export function normalizeConfigValue(k, v) {
  switch (k) {
    case "sessionLifetimeMs":
      if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError("sessionLifetimeMs must be a number");
      return v;
    case "createSessionStatus":
      if (!Number.isInteger(v) || v < 200 || v > 299) throw new TypeError("createSessionStatus must be a 2xx");
      return v;
    case "importConcurrencyLimit":
      if (v !== null && (!Number.isInteger(v) || v < 1)) {
        throw new TypeError("importConcurrencyLimit must be a whole number, 1 or more, or null (no limit)");
      }
      return v;
    case "concurrencyRetryAfter":
      if (v !== null && !isRetryAfter(v)) {
        throw new TypeError("concurrencyRetryAfter must be null, seconds >= 0 or a non-empty string");
      }
      return v;
    case "importLatencyMs":
    case "graphLatencyMs":
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new TypeError(`${k} must be a number >= 0`);
      return v;
    case "chaos": {
      if (v === null) return null;
      if (!isPlainObject(v)) throw new TypeError("chaos must be an object or null");
      for (const key of Object.keys(v)) {
        if (!CHAOS_KEYS.includes(key)) throw new TypeError(`unknown chaos key ${JSON.stringify(key)}`);
      }
      const chaos = { seed: v.seed ?? 1 };
      if (!Number.isInteger(chaos.seed) || chaos.seed < 0 || chaos.seed > 0xffffffff) {
        throw new TypeError("chaos seed must be a whole number from 0 to 2^32 - 1");
      }
      let sum = 0;
      for (const key of ["throttleRate", "resetBeforeProcessRate", "resetAfterProcessRate"]) {
        const rate = v[key] ?? 0;
        if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new TypeError(`chaos ${key} must be in 0..1`);
        chaos[key] = rate;
        sum += rate;
      }
      if (sum > 1 + 1e-9) throw new TypeError("chaos rates must add up to 1 at most");
      chaos.retryAfter = v.retryAfter ?? null;
      if (chaos.retryAfter !== null && !isRetryAfter(chaos.retryAfter)) {
        throw new TypeError("chaos retryAfter must be null, seconds >= 0 or a non-empty string");
      }
      return chaos;
    }
    case "archiveFolders":
      return copyStringMap(
        v,
        "archiveFolders must be an object {folderId: archiveMailboxId}",
        "archiveFolders maps non-empty folder ids to non-empty mailbox ids",
      );
    case "recordRequests":
    case "recordBodies":
    case "storeItemData":
    case "requireJsonContentType":
      if (typeof v !== "boolean") throw new TypeError(`${k} must be true or false`);
      return v;
    case "pageSize":
      if (!Number.isInteger(v) || v < 1) throw new TypeError("pageSize must be a whole number, 1 or more");
      return v;
    case "nextLinkBase": {
      if (v === null) return null;
      let url;
      try {
        url = typeof v === "string" ? new URL(v) : null;
      } catch {
        url = null;
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
        throw new TypeError("nextLinkBase must be null or an http(s) URL without query or fragment");
      }
      return v.replace(/\/+$/, "");
    }
    case "exportItemErrors": {
      if (!isPlainObject(v)) throw new TypeError("exportItemErrors must be an object {itemId: {code, message}}");
      const out = {};
      for (const [id, e] of Object.entries(v)) {
        if (id === "" || !isPlainObject(e) || typeof e.code !== "string" || e.code === "" || typeof e.message !== "string") {
          throw new TypeError("exportItemErrors maps item ids to {code (non-empty), message, key?}");
        }
        for (const key of Object.keys(e)) {
          if (!["code", "message", "key"].includes(key)) throw new TypeError(`unknown exportItemErrors key ${JSON.stringify(key)}`);
        }
        if (e.key !== undefined && e.key !== "error" && e.key !== "Error") {
          throw new TypeError('exportItemErrors key must be "error" or "Error"');
        }
        out[id] = { ...e };
      }
      return out;
    }
    case "apps":
      return copyStringMap(
        v,
        'apps must be an object {"<client id>": "<client secret>"}',
        "apps maps non-empty client ids to non-empty client secrets",
      );
    case "appTokenLifetimeS":
      if (!Number.isInteger(v) || v < 1) throw new TypeError("appTokenLifetimeS must be a whole number of seconds, 1 or more");
      return v;
    case "exportErrorKey":
      if (v !== "error" && v !== "Error") throw new TypeError('exportErrorKey must be "error" or "Error"');
      return v;
    case "archiveMovedMessage":
      if (typeof v !== "string" || !v.includes("{url}")) throw new TypeError('archiveMovedMessage must contain "{url}"');
      return v;
    case "missingArchiveIdAs":
      if (v !== "null" && v !== "omit") throw new TypeError('missingArchiveIdAs must be "null" or "omit"');
      return v;
    case "entraTenantId":
      if (typeof v !== "string" || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) {
        throw new TypeError("entraTenantId must be a lowercase GUID");
      }
      return v;
    case "apiAudience":
      if (typeof v !== "string" || v === "") throw new TypeError("apiAudience must be a non-empty string");
      return v;
    case "duplicateFolderNames":
      if (v !== "conflict" && v !== "allow") throw new TypeError('duplicateFolderNames must be "conflict" or "allow"');
      return v;
    case "deltaTokenExpired":
      if (!["syncStateNotFound", "resyncRequired", "badRequest"].includes(v)) {
        throw new TypeError('deltaTokenExpired must be "syncStateNotFound", "resyncRequired" or "badRequest"');
      }
      return v;
    case "linkIdStyle":
      if (v !== "docs" && v !== "encoded") throw new TypeError('linkIdStyle must be "docs" or "encoded"');
      return v;
    default:
      throw new TypeError(`unknown config key ${JSON.stringify(k)}`);
  }
}

/** Validates a whole config patch (all or nothing) and returns a normalized copy. */
export function normalizeConfig(patch) {
  if (!isPlainObject(patch)) throw new TypeError("config must be an object");
  const out = {};
  for (const [k, v] of Object.entries(patch)) out[k] = normalizeConfigValue(k, v);
  return out;
}
