// Mock Microsoft Graph tenant for the tests.
//
// Four loopback HTTP servers:
//   - "graph" plays https://graph.microsoft.com: createImportSession, the reading calls (a user's Exchange
//     settings, folders, child folders, items, delta, exportItems) and the /_mock/ control API;
//   - "import" plays the Exchange import host https://outlook.office365.com (importItem);
//   - "elsewhere" plays a host no client may send a token to: it answers anything with 200 {"value":[]} and
//     records every request, so tests can make a nextLink or a redirect point there and check nothing came;
//   - "login" plays Microsoft Entra ID's token endpoint https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
//     for the client credentials grant (app-only tokens), whose tokens Graph refuses once they expire.
// Imported and seeded items live in one store: what is imported can be listed and exported again.
// What they answer follows the design notes on the service, graph-api.md (cited below as "graph-api.md §N").
// Only node: built-ins are used, so this starts on a machine with nothing installed:
//
//   node tests/mock/server.mjs [--graph-port N] [--import-port N] [--elsewhere-port N] [--login-port N]
//                              [--host 127.0.0.1] [--ports-file path] [--seed demo] [--app CLIENT_ID=SECRET]
//
// or in-process: `const tenant = await startMockTenant({ seed: demoSeed() }); ...; await tenant.close();`

import http from "node:http";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { realpathSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const VERSIONS = new Set(["v1.0", "beta"]);

const FAULT_KINDS = new Set([
  "status",
  "hang",
  "hangInBody",
  "reset",
  "malformedJson",
  "html",
  "emptyBody",
  "untrustedImportUrl",
  "missingFields",
  "delay",
  "redirect",
  "untrustedNextLink",
]);

// Names of the Graph routes (request records carry them as `route`; a fault may be scoped to some).
const GRAPH_ROUTES = [
  "createImportSession",
  "exportItems",
  "exchangeSettings",
  "folders",
  "foldersDelta",
  "folder",
  "childFolders",
  "childFoldersDelta",
  "items",
  "itemsDelta",
  "item",
];
const IMPORT_ROUTES = ["importItem"];
const LOGIN_ROUTES = ["token"];
const ROUTES_BY_TARGET = { graph: GRAPH_ROUTES, import: IMPORT_ROUTES, login: LOGIN_ROUTES };
// Fault kinds the login server knows (it has no session, list or redirect to spoil).
const LOGIN_FAULT_KINDS = new Set(["status", "hang", "reset", "malformedJson", "html", "emptyBody", "delay"]);

const DEFAULT_CONFIG = Object.freeze({
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
});

// The 429 of a post over importConcurrencyLimit. The wording is Exchange's (graph-api.md §6; reported with
// code ApplicationThrottled in Graph's error shape); the import host answers {"Message"} like its other errors.
const CONCURRENCY_MESSAGE = "Application is over its MailboxConcurrency limit.";
const CHAOS_KEYS = ["seed", "throttleRate", "resetBeforeProcessRate", "resetAfterProcessRate", "retryAfter"];

// Where "untrustedImportUrl" and "redirect" faults point. Never contacted by the mock or its tests.
const UNTRUSTED_ORIGIN = "https://evil.example.net";

// Graph's answer to a missing or bad token carries this challenge.
const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
  'client_id="00000003-0000-0000-c000-000000000000"';

// ---------------------------------------------------------------------------------------------------------
// Small helpers

/** ISO date without fractional seconds, as Graph puts in innerError.date. */
function isoSeconds(ms = Date.now()) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** ISO date with 7 fractional digits, as in expirationDateTime ("2024-10-17T19:00:48.1052906Z"). */
function isoTicks(ms) {
  const extra = String(Math.floor(Math.random() * 10000)).padStart(4, "0");
  return new Date(ms).toISOString().replace(/Z$/, `${extra}Z`);
}

/** Random url-safe token; 32 bytes give 43 characters. */
function randomToken(bytes = 32) {
  return randomBytes(bytes).toString("base64url");
}

/** Host part of a URL for a bound address. */
function urlHost(host) {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("request aborted")));
  });
}

/** Standard-alphabet base64 (graph-api.md §3: "base64 (standard alphabet)"). */
function isBase64(s) {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

/** Small seeded PRNG (mulberry32): the same seed gives the same sequence of draws in [0, 1). */
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isRetryAfter(v) {
  return (typeof v === "number" && Number.isFinite(v) && v >= 0) || (typeof v === "string" && v !== "");
}

/**
 * Checks a config value that maps non-empty strings to non-empty strings and returns a copy. Throws TypeError
 * with `notObject` when it is no plain object, with `badEntry` when a key or value is empty or not a string.
 */
function copyStringMap(v, notObject, badEntry) {
  if (!isPlainObject(v)) throw new TypeError(notObject);
  for (const [key, value] of Object.entries(v)) {
    if (key === "" || typeof value !== "string" || value === "") throw new TypeError(badEntry);
  }
  return { ...v };
}

/** Checks one config value and returns it normalized (nested objects copied). Throws TypeError. */
function normalizeConfigValue(k, v) {
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
    case "linkIdStyle":
      if (v !== "docs" && v !== "encoded") throw new TypeError('linkIdStyle must be "docs" or "encoded"');
      return v;
    default:
      throw new TypeError(`unknown config key ${JSON.stringify(k)}`);
  }
}

/** Validates a whole config patch (all or nothing) and returns a normalized copy. */
function normalizeConfig(patch) {
  if (!isPlainObject(patch)) throw new TypeError("config must be an object");
  const out = {};
  for (const [k, v] of Object.entries(patch)) out[k] = normalizeConfigValue(k, v);
  return out;
}

/** sha256 (hex) of an item's decoded Data bytes: equal bytes give equal hashes whatever the base64 spelling. */
function hashData(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Expires at once every entry of `records` (a Map of objects with expiresAt) whose `field` is `value`, every
 * entry when `value` is undefined or null; an entry already expired keeps its time. Returns how many matched.
 */
function expireNow(records, field, value) {
  const now = Date.now();
  let n = 0;
  for (const entry of records.values()) {
    if (value !== undefined && value !== null && entry[field] !== value) continue;
    if (entry.expiresAt > now) entry.expiresAt = now;
    n += 1;
  }
  return n;
}

function freshStats() {
  return {
    maxInFlight: { graph: 0, import: 0 },
    maxInFlightByMailbox: { graph: {}, import: {} },
    // Peak of requests in flight per Graph route and mailbox, e.g. maxInFlightByRoute.exportItems["MBX:..."].
    maxInFlightByRoute: {},
    // Import requests answered 429 because their mailbox had importConcurrencyLimit posts in flight.
    refusedForConcurrency: {},
    // Counters kept whatever recordRequests says.
    requests: { graph: 0, import: 0 },
    requestsByMailbox: { graph: {}, import: {} },
    statuses: { graph: {}, import: {} },
    chaos: { throttle: 0, resetBeforeProcess: 0, resetAfterProcess: 0 },
    // The login server: token requests received (faulted ones included), tokens issued, answers by status.
    login: { requests: 0, tokensIssued: 0, statuses: {} },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Faults

/** Checks one fault description and fills in its defaults. Throws TypeError when it makes no sense. */
function normalizeFault(f) {
  if (!isPlainObject(f)) throw new TypeError("a fault must be an object");
  const fault = { ...f };
  fault.target = f.target ?? "graph";
  if (!Object.hasOwn(ROUTES_BY_TARGET, fault.target)) {
    throw new TypeError(`fault target must be "graph", "import" or "login", got ${JSON.stringify(f.target)}`);
  }
  if (fault.target === "login" && !LOGIN_FAULT_KINDS.has(f.kind)) {
    throw new TypeError(`a login fault must be one of ${[...LOGIN_FAULT_KINDS].join(", ")}`);
  }
  if (fault.target === "login" && f.mailbox !== undefined) {
    throw new TypeError("a login fault has no mailbox");
  }
  if (f.mailbox !== undefined && typeof f.mailbox !== "string") {
    throw new TypeError("fault mailbox must be a string");
  }
  if (f.route !== undefined) {
    const routes = ROUTES_BY_TARGET[fault.target];
    const list = [f.route].flat();
    if (list.length === 0 || !list.every((r) => routes.includes(r))) {
      throw new TypeError(`fault route must be one of (or a list of) ${routes.join(", ")}`);
    }
    fault.route = list;
  }
  fault.times = f.times ?? 1;
  if (!Number.isInteger(fault.times) || fault.times < 1) {
    throw new TypeError("fault times must be a positive integer");
  }
  if (!FAULT_KINDS.has(f.kind)) {
    throw new TypeError(`unknown fault kind ${JSON.stringify(f.kind)}`);
  }
  const statusIn = (lo, hi) => Number.isInteger(fault.status) && fault.status >= lo && fault.status <= hi;
  switch (f.kind) {
    case "status":
      if (!statusIn(100, 599)) throw new TypeError("a status fault needs a status between 100 and 599");
      if (f.retryAfter !== undefined && typeof f.retryAfter !== "string" && typeof f.retryAfter !== "number") {
        throw new TypeError("retryAfter must be a string or a number");
      }
      break;
    case "html":
      fault.status = f.status ?? 502;
      if (!statusIn(100, 599)) throw new TypeError("html fault status must be between 100 and 599");
      break;
    case "emptyBody":
      fault.status = f.status ?? 200;
      if (!statusIn(100, 599)) throw new TypeError("emptyBody fault status must be between 100 and 599");
      break;
    case "redirect":
      fault.status = f.status ?? 307;
      if (![301, 302, 303, 307, 308].includes(fault.status)) {
        throw new TypeError("redirect fault status must be 301, 302, 303, 307 or 308");
      }
      if (f.location !== undefined && typeof f.location !== "string") {
        throw new TypeError("redirect location must be a string");
      }
      break;
    case "delay":
      if (typeof f.ms !== "number" || !(f.ms >= 0)) throw new TypeError("a delay fault needs ms >= 0");
      break;
    case "untrustedNextLink":
      if (fault.target !== "graph") throw new TypeError("an untrustedNextLink fault targets graph");
      if (f.base === null) throw new TypeError("untrustedNextLink base must be a URL");
      if (f.base !== undefined) fault.base = normalizeConfigValue("nextLinkBase", f.base);
      break;
    default:
      break;
  }
  return fault;
}

// ---------------------------------------------------------------------------------------------------------
// State shared by both servers, reachable in-process as tenant.state and over HTTP under /_mock/.

function createState(initialConfig, initialSeeds = []) {
  const inFlight = { graph: new Map(), import: new Map() }; // mailbox key -> count
  const inFlightByRoute = new Map(); // "route\nmailbox" -> count (Graph routes with a mailbox)
  let chaosRandom = null; // draws of the current chaos config, restarted from its seed when it is set
  const reseed = () => {
    chaosRandom = state.config.chaos ? seededRandom(state.config.chaos.seed) : null;
  };
  const bump = (obj, key) => {
    obj[key] = (obj[key] ?? 0) + 1;
  };
  const state = {
    config: normalizeConfig(initialConfig),
    /** FIFO queue of pending faults (normalized, with remaining `times`). */
    faults: [],
    /** Every non-preflight, non-control request, in arrival order. */
    requests: [],
    /** authtoken -> { authtoken, mailbox, version, importPath, importUrl, expiresAt, expirationDateTime } */
    sessions: new Map(),
    /**
     * decoded mailbox id -> [{ mailbox, itemId, changeKey, folderId, data, version, createdAt, updatedAt, dataHash,
     * size, seq }] (seeded items also carry type, categories and seeded: true), in the order they were stored.
     */
    items: new Map(),
    /** itemId -> the same item objects, for every mailbox (item ids are unique across the tenant). */
    itemIndex: new Map(),
    /** lowercased UPN (and lowercased user object id) -> { user, id, displayName, primaryMailboxId, inPlaceArchiveMailboxId } */
    users: new Map(),
    /** Seeded mailboxes: id -> { id, kind: "primary" | "archive" | "other", user, rootId } */
    mailboxes: new Map(),
    /** Seeded folders, roots included: id -> { id, mailbox, displayName, parentFolderId, hidden, type, wellKnownName, root, seq } */
    folders: new Map(),
    /** Every request the "elsewhere" server received: [{ method, path, headers, body, time }]. */
    elsewhereRequests: [],
    /**
     * Every request the login server received (kept only if recordRequests): [{ server: "login", method, path,
     * tenant, headers, body, form, clientId, scope, grantType, fault, status, error, aadsts, accessToken, time, endTime }].
     */
    tokenRequests: [],
    /**
     * Every app-only token the login server issued: access token -> { clientId, tenant, scope, issuedAt,
     * expiresAt }. Kept across reset (Entra does not forget its tokens when Graph is reset).
     */
    appTokens: new Map(),
    /** Change counter: every folder and item carries the value it had when last created or changed (delta). */
    seq: 0,
    /** Counter behind generated seed ids. */
    idCounter: 0,
    /** Peaks of requests in flight (per server, overall and per mailbox), refusals and counters. */
    stats: freshStats(),

    addFaults(list) {
      if (!Array.isArray(list)) throw new TypeError("faults must be an array");
      const normalized = list.map(normalizeFault); // all or nothing
      state.faults.push(...normalized);
    },
    clearFaults() {
      state.faults.length = 0;
    },
    /** Clears faults, requests, sessions, items and stats, and puts the config back as it was at start. */
    reset() {
      state.faults.length = 0;
      state.requests.length = 0;
      state.sessions.clear();
      state.items.clear();
      state.itemIndex.clear();
      state.users.clear();
      state.mailboxes.clear();
      state.folders.clear();
      state.elsewhereRequests.length = 0;
      state.tokenRequests.length = 0;
      state.seq = 0;
      state.idCounter = 0;
      for (const k of Object.keys(state.config)) delete state.config[k];
      Object.assign(state.config, normalizeConfig(initialConfig));
      for (const k of Object.keys(state.stats)) delete state.stats[k];
      Object.assign(state.stats, freshStats());
      reseed();
      for (const spec of initialSeeds) applySeed(state, spec);
    },
    /**
     * Adds users, mailboxes, folders and items (see applySeed); all or nothing, TypeError when the spec is
     * wrong. Seeds given to startMockTenant come back after every reset; seeds added here do not.
     */
    seed(spec) {
      return applySeed(state, spec);
    },
    /** The next change number (delta). */
    nextSeq() {
      state.seq += 1;
      return state.seq;
    },
    /** Stores an item in a mailbox and the index. */
    addItem(mailbox, item) {
      let list = state.items.get(mailbox);
      if (!list) state.items.set(mailbox, (list = []));
      list.push(item);
      state.itemIndex.set(item.itemId, item);
    },
    /** The user whose primary or archive mailbox this is, or null. */
    userOfMailbox(mailbox) {
      const m = state.mailboxes.get(mailbox);
      return m && m.user ? state.users.get(m.user.toLowerCase()) ?? null : null;
    },
    /** Changes settings (all or nothing); setting `chaos` restarts its draws from the seed. */
    setConfig(patch) {
      const normalized = normalizeConfig(patch);
      Object.assign(state.config, normalized);
      if ("chaos" in normalized) reseed();
    },
    /** Recorded requests for a mailbox (empty while recordRequests is false). */
    requestsFor(mailbox) {
      return state.requests.filter((r) => r.mailbox === mailbox);
    },
    itemsFor(mailbox) {
      return state.items.get(mailbox) ?? [];
    },
    /**
     * Data stored more than once: [{ dataHash, count, items: [{ mailbox, itemId }] }]. `mailboxes` is one id,
     * an array of ids pooled together (a mailbox and its archive), or omitted for all mailboxes pooled.
     */
    duplicateData(mailboxes) {
      const ids = mailboxes === undefined ? [...state.items.keys()] : [mailboxes].flat();
      const byHash = new Map();
      for (const mailbox of new Set(ids)) {
        for (const it of state.items.get(mailbox) ?? []) {
          let list = byHash.get(it.dataHash);
          if (!list) byHash.set(it.dataHash, (list = []));
          list.push({ mailbox, itemId: it.itemId });
        }
      }
      const out = [];
      for (const [dataHash, items] of byHash) if (items.length > 1) out.push({ dataHash, count: items.length, items });
      return out;
    },
    /** Expires at once every session of `mailbox` (every session when omitted); returns how many. */
    expireSessions(mailbox) {
      return expireNow(state.sessions, "mailbox", mailbox);
    },
    /**
     * Expires at once every app-only token issued to `clientId` (every app-only token when omitted): Graph
     * refuses them from now on with 401. Returns how many.
     */
    expireAppTokens(clientId) {
      return expireNow(state.appTokens, "clientId", clientId);
    },
    /** One chaos draw for an eligible import post: null or the outcome's name. */
    drawChaos() {
      const chaos = state.config.chaos;
      if (!chaos || !chaosRandom) return null;
      const r = chaosRandom();
      let edge = chaos.throttleRate;
      let outcome = null;
      if (r < edge) outcome = "throttle";
      else if (r < (edge += chaos.resetBeforeProcessRate)) outcome = "resetBeforeProcess";
      else if (r < (edge += chaos.resetAfterProcessRate)) outcome = "resetAfterProcess";
      if (outcome) state.stats.chaos[outcome] += 1;
      return outcome;
    },
    countStatus(server, status) {
      bump(state.stats.statuses[server], String(status));
    },
    countRefused(mailbox) {
      bump(state.stats.refusedForConcurrency, mailbox);
    },

    /**
     * Takes the first queued fault that applies to this request, or null. An untrustedNextLink fault waits
     * for a GET of a collection.
     */
    takeFault(server, route) {
      const i = state.faults.findIndex(
        (f) =>
          f.target === server &&
          (f.mailbox === undefined || f.mailbox === route.mailbox) &&
          (f.route === undefined || f.route.includes(route.name)) &&
          (f.kind !== "untrustedNextLink" || route.list === true),
      );
      if (i < 0) return null;
      const f = state.faults[i];
      f.times -= 1;
      if (f.times <= 0) state.faults.splice(i, 1);
      return f;
    },

    /** Records a request at arrival (kept only if recordRequests); `body` and `status` are filled in later. */
    record(server, req, mailbox, routeName = null) {
      state.stats.requests[server] += 1;
      if (mailbox !== null) bump(state.stats.requestsByMailbox[server], mailbox);
      const rec = {
        server,
        method: req.method,
        path: req.url,
        mailbox,
        headers: { ...req.headers },
        body: null,
        fault: null,
        status: null,
        time: Date.now(),
        endTime: null,
        chaos: null,
        itemId: null,
        route: routeName,
      };
      if (state.config.recordRequests) state.requests.push(rec);
      return rec;
    },

    /** Requests of `server` in flight for `mailbox` right now. */
    inFlightFor(server, mailbox) {
      return inFlight[server].get(mailbox ?? "") ?? 0;
    },

    /**
     * Counts a request in flight until its answer is written or its socket closes, whichever comes first.
     * Returns the release function (safe to call more than once).
     */
    track(server, mailbox, res, routeName = null) {
      const key = mailbox ?? "";
      const m = inFlight[server];
      m.set(key, (m.get(key) ?? 0) + 1);
      let total = 0;
      for (const n of m.values()) total += n;
      const stats = state.stats;
      stats.maxInFlight[server] = Math.max(stats.maxInFlight[server], total);
      if (mailbox !== null) {
        const by = stats.maxInFlightByMailbox[server];
        by[mailbox] = Math.max(by[mailbox] ?? 0, m.get(key));
      }
      const routeKey = server === "graph" && mailbox !== null && routeName ? `${routeName}\n${mailbox}` : null;
      if (routeKey !== null) {
        const n = (inFlightByRoute.get(routeKey) ?? 0) + 1;
        inFlightByRoute.set(routeKey, n);
        const by = (stats.maxInFlightByRoute[routeName] ??= {});
        by[mailbox] = Math.max(by[mailbox] ?? 0, n);
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const n = m.get(key) - 1;
        if (n > 0) m.set(key, n);
        else m.delete(key);
        if (routeKey !== null) {
          const r = inFlightByRoute.get(routeKey) - 1;
          if (r > 0) inFlightByRoute.set(routeKey, r);
          else inFlightByRoute.delete(routeKey);
        }
      };
      res.once("close", release);
      return release;
    },
  };
  reseed();
  for (const spec of initialSeeds) applySeed(state, spec);
  return state;
}

// ---------------------------------------------------------------------------------------------------------
// The tenant's directory: users, mailboxes, folders and items declared by a seed spec.
//
// spec = {
//   users: [{ user: "adele@contoso.com", id?, displayName?, primaryMailboxId, inPlaceArchiveMailboxId? }],
//   mailboxes: { "<mailboxId>": { rootFolderId?, folders: [{ id?, displayName, parentFolderId?, hidden?, type?,
//                                                        wellKnownName? }] } },
//   items: [{ id?, folderId, data (standard base64), changeKey?, type?, categories?, createdDateTime?,
//             lastModifiedDateTime?, mailbox? }],
//   ids?: ignored (demoSeed's index of its ids)
// }
// A mailbox named anywhere in a seed is "seeded": it gets a root folder ("Top of Information Store",
// wellKnownName msgfolderroot) under which folders without parentFolderId sit, and reads of folders it does not
// have answer 404. Mailboxes never seeded stay lenient, as before: anything may be imported into any folder id
// there, and reading a folder id lists the items imported into it.

const SEED_KEYS = ["users", "mailboxes", "items", "ids"];
const USER_KEYS = ["user", "id", "displayName", "primaryMailboxId", "inPlaceArchiveMailboxId"];
const FOLDER_KEYS = ["id", "displayName", "parentFolderId", "hidden", "type", "wellKnownName"];
const SEED_ITEM_KEYS = [
  "id", "folderId", "data", "changeKey", "type", "categories", "createdDateTime", "lastModifiedDateTime", "mailbox",
];

/** A readable id for seeded objects without one, unique in the tenant: AAMkADFolder000001AAA= and the like. */
function generatedId(state, kind, taken) {
  for (;;) {
    state.idCounter += 1;
    const id = `AAMkAD${kind}${String(state.idCounter).padStart(6, "0")}AAA=`;
    if (!taken(id)) return id;
  }
}

function nonEmptyString(v) {
  return typeof v === "string" && v !== "";
}

function checkKeys(obj, allowed, what) {
  if (!isPlainObject(obj)) throw new TypeError(`${what} must be an object`);
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new TypeError(`unknown ${what} key ${JSON.stringify(k)}`);
  }
}

function isoInput(v, what) {
  if (v === undefined) return undefined;
  const ms = typeof v === "string" ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`${what} must be an ISO date`);
  return ms;
}

/**
 * Applies a seed spec to the state: everything is checked first, then added (all or nothing). Throws
 * TypeError when the spec is wrong. Returns { users, mailboxes, folders, items } with the ids added.
 */
function applySeed(state, spec) {
  checkKeys(spec, SEED_KEYS, "seed");
  const users = spec.users ?? [];
  const mailboxSpecs = spec.mailboxes ?? {};
  const items = spec.items ?? [];
  if (!Array.isArray(users)) throw new TypeError("seed users must be an array");
  if (!isPlainObject(mailboxSpecs)) throw new TypeError("seed mailboxes must be an object {mailboxId: {folders}}");
  if (!Array.isArray(items)) throw new TypeError("seed items must be an array");

  // Staged additions, checked against what exists and each other.
  const newUsers = new Map(); // key -> user
  const newMailboxes = new Map(); // id -> mailbox
  const newFolders = new Map(); // id -> folder
  const newItems = [];
  const mailboxOf = (id) => newMailboxes.get(id) ?? state.mailboxes.get(id);
  const folderOf = (id) => newFolders.get(id) ?? state.folders.get(id);
  const folderTaken = (id) => newFolders.has(id) || state.folders.has(id);
  const itemTaken = (id) => state.itemIndex.has(id) || newItems.some((it) => it.itemId === id);
  // Sequence numbers and ids are taken from copies and written back only when everything is valid.
  const saved = { seq: state.seq, idCounter: state.idCounter };
  const stageMailbox = (id, kind, user) => {
    const rootId = generatedId(state, "Root", folderTaken);
    const mailbox = { id, kind, user, rootId };
    newMailboxes.set(id, mailbox);
    newFolders.set(rootId, {
      id: rootId,
      mailbox: id,
      displayName: "Top of Information Store",
      parentFolderId: null,
      hidden: false,
      type: "IPF.Note",
      wellKnownName: "msgfolderroot",
      root: true,
      seq: 0,
    });
    return mailbox;
  };

  try {
    // Existing mailboxes that a user now claims are changed on copies, so a failure leaves them alone.
    const kindChanges = new Map(); // mailbox id -> { kind, user }
    for (const u of users) {
      checkKeys(u, USER_KEYS, "seed user");
      if (!nonEmptyString(u.user)) throw new TypeError("a seed user needs user (its UPN)");
      if (!nonEmptyString(u.primaryMailboxId)) throw new TypeError(`seed user ${u.user} needs primaryMailboxId`);
      const archive = u.inPlaceArchiveMailboxId ?? null;
      if (archive !== null && !nonEmptyString(archive)) throw new TypeError("inPlaceArchiveMailboxId must be a non-empty string");
      if (archive === u.primaryMailboxId) throw new TypeError("a user's archive must differ from its primary mailbox");
      for (const k of ["id", "displayName"]) {
        if (u[k] !== undefined && !nonEmptyString(u[k])) throw new TypeError(`seed user ${k} must be a non-empty string`);
      }
      const keys = [u.user.toLowerCase(), ...(u.id ? [u.id.toLowerCase()] : [])];
      for (const key of keys) {
        if (state.users.has(key) || newUsers.has(key)) throw new TypeError(`user ${key} is seeded twice`);
      }
      const user = {
        user: u.user,
        id: u.id ?? null,
        displayName: u.displayName ?? null,
        primaryMailboxId: u.primaryMailboxId,
        inPlaceArchiveMailboxId: archive,
      };
      for (const key of keys) newUsers.set(key, user);
      for (const [id, kind] of [[u.primaryMailboxId, "primary"], [archive, "archive"]]) {
        if (id === null) continue;
        const existing = state.mailboxes.get(id);
        if (existing) {
          if (existing.user || kindChanges.has(id)) throw new TypeError(`mailbox ${id} already belongs to a user`);
          kindChanges.set(id, { kind, user: u.user });
        } else {
          if (newMailboxes.has(id)) throw new TypeError(`mailbox ${id} already belongs to a user`);
          stageMailbox(id, kind, u.user);
        }
      }
    }

    for (const [id, m] of Object.entries(mailboxSpecs)) {
      if (id === "") throw new TypeError("seed mailbox ids must be non-empty");
      checkKeys(m, ["rootFolderId", "folders"], "seed mailbox");
      const folders = m.folders ?? [];
      if (!Array.isArray(folders)) throw new TypeError(`seed mailbox ${id} folders must be an array`);
      const mailbox = mailboxOf(id) ?? stageMailbox(id, "other", null);
      if (m.rootFolderId !== undefined && m.rootFolderId !== mailbox.rootId) {
        // A root id of one's own choosing, for mailboxes this seed adds.
        if (!nonEmptyString(m.rootFolderId)) throw new TypeError("seed mailbox rootFolderId must be a non-empty string");
        if (!newMailboxes.has(id)) throw new TypeError(`mailbox ${id} already has its root folder`);
        if (folderTaken(m.rootFolderId)) throw new TypeError(`folder id ${m.rootFolderId} is already taken`);
        const root = newFolders.get(mailbox.rootId);
        newFolders.delete(mailbox.rootId);
        root.id = m.rootFolderId;
        mailbox.rootId = m.rootFolderId;
        newFolders.set(root.id, root);
      }
      const staged = [];
      for (const f of folders) {
        checkKeys(f, FOLDER_KEYS, "seed folder");
        if (!nonEmptyString(f.displayName)) throw new TypeError("a seed folder needs displayName");
        if (f.id !== undefined && !nonEmptyString(f.id)) throw new TypeError("seed folder id must be a non-empty string");
        if (f.id !== undefined && folderTaken(f.id)) throw new TypeError(`folder id ${f.id} is already taken`);
        if (f.hidden !== undefined && typeof f.hidden !== "boolean") throw new TypeError("seed folder hidden must be true or false");
        for (const k of ["parentFolderId", "type", "wellKnownName"]) {
          if (f[k] !== undefined && f[k] !== null && !nonEmptyString(f[k])) throw new TypeError(`seed folder ${k} must be a non-empty string`);
        }
        const wk = f.wellKnownName ? f.wellKnownName : null;
        if (wk !== null) {
          if (wk.toLowerCase() === "msgfolderroot") throw new TypeError("msgfolderroot is the mailbox's root folder");
          const clash = [...newFolders.values(), ...state.folders.values()].some(
            (o) => o.mailbox === id && o.wellKnownName && o.wellKnownName.toLowerCase() === wk.toLowerCase(),
          );
          if (clash) throw new TypeError(`mailbox ${id} has two folders named ${wk}`);
        }
        const folder = {
          id: f.id ?? generatedId(state, "Folder", folderTaken),
          mailbox: id,
          displayName: f.displayName,
          parentFolderId: f.parentFolderId ?? null, // resolved below, once every folder of the mailbox is known
          hidden: f.hidden ?? false,
          type: f.type ?? "IPF.Note",
          wellKnownName: wk,
          root: false,
          seq: 0,
        };
        newFolders.set(folder.id, folder);
        staged.push(folder);
      }
      for (const folder of staged) {
        if (folder.parentFolderId === null) {
          folder.parentFolderId = mailbox.rootId;
          continue;
        }
        const parent = folderOf(folder.parentFolderId);
        if (!parent || parent.mailbox !== id) {
          throw new TypeError(`folder ${folder.id}: parent ${folder.parentFolderId} is not a folder of mailbox ${id}`);
        }
      }
      for (const folder of staged) {
        // No cycles: walking up must reach the root.
        let at = folder;
        for (let depth = 0; !at.root; depth += 1) {
          if (depth > newFolders.size + state.folders.size) throw new TypeError(`folder ${folder.id} is its own ancestor`);
          at = folderOf(at.parentFolderId);
        }
      }
    }

    for (const it of items) {
      checkKeys(it, SEED_ITEM_KEYS, "seed item");
      if (!nonEmptyString(it.folderId)) throw new TypeError("a seed item needs folderId");
      const folder = folderOf(it.folderId);
      if (!folder) throw new TypeError(`seed item folder ${it.folderId} is not a seeded folder`);
      if (it.mailbox !== undefined && it.mailbox !== folder.mailbox) {
        throw new TypeError(`seed item mailbox ${it.mailbox} is not the mailbox of folder ${it.folderId}`);
      }
      if (!nonEmptyString(it.data) || !isBase64(it.data)) throw new TypeError("seed item data must be non-empty standard base64");
      if (it.id !== undefined && !nonEmptyString(it.id)) throw new TypeError("seed item id must be a non-empty string");
      if (it.id !== undefined && itemTaken(it.id)) throw new TypeError(`item id ${it.id} is already taken`);
      for (const k of ["changeKey", "type"]) {
        if (it[k] !== undefined && !nonEmptyString(it[k])) throw new TypeError(`seed item ${k} must be a non-empty string`);
      }
      if (it.categories !== undefined && !(Array.isArray(it.categories) && it.categories.every((c) => typeof c === "string"))) {
        throw new TypeError("seed item categories must be an array of strings");
      }
      const now = Date.now();
      const createdAt = isoInput(it.createdDateTime, "createdDateTime") ?? now;
      const updatedAt = isoInput(it.lastModifiedDateTime, "lastModifiedDateTime") ?? createdAt;
      const bytes = Buffer.from(it.data, "base64");
      const itemId = it.id ?? generatedId(state, "Item", itemTaken);
      newItems.push({
        mailbox: folder.mailbox,
        itemId,
        changeKey: it.changeKey ?? `${CHANGE_KEY_PREFIX}Seed${String(state.itemIndex.size + newItems.length + 1).padStart(6, "0")}`,
        folderId: folder.id,
        data: it.data, // seeded items keep their data whatever storeItemData says: they exist to be exported
        version: null,
        createdAt,
        updatedAt,
        dataHash: hashData(bytes),
        size: bytes.length,
        seq: 0,
        type: it.type ?? "IPM.Note",
        categories: [...(it.categories ?? [])],
        seeded: true,
      });
    }

    // Everything checked: add it.
    for (const [id, change] of kindChanges) Object.assign(state.mailboxes.get(id), change);
    for (const [key, user] of newUsers) state.users.set(key, user);
    for (const [id, mailbox] of newMailboxes) state.mailboxes.set(id, mailbox);
    for (const [id, folder] of newFolders) {
      folder.seq = state.nextSeq();
      state.folders.set(id, folder);
    }
    for (const item of newItems) {
      item.seq = state.nextSeq();
      state.addItem(item.mailbox, item);
    }
  } catch (err) {
    state.seq = saved.seq;
    state.idCounter = saved.idCounter;
    throw err;
  }
  return {
    users: [...new Set(newUsers.values())].map((u) => u.user),
    mailboxes: [...newMailboxes.keys()],
    folders: [...newFolders.values()].filter((f) => !f.root).map((f) => f.id),
    items: newItems.map((it) => it.itemId),
  };
}

/**
 * Where reads of `folderId` through `mailbox` must go instead (308 for reads, 409 on the import host,
 * ErrorArchiveFolderMovedPermanently from exportItems), or null. A folder listed in the archiveFolders config
 * goes to that archive from any other mailbox; a seeded folder of a user's archive goes there from the user's
 * primary mailbox.
 */
function archiveTargetFor(state, mailbox, folderId) {
  const configured = Object.hasOwn(state.config.archiveFolders, folderId) ? state.config.archiveFolders[folderId] : null;
  if (configured !== null) return configured !== mailbox ? configured : null;
  const folder = state.folders.get(folderId);
  if (!folder || folder.mailbox === mailbox) return null;
  const home = state.mailboxes.get(folder.mailbox);
  if (home?.kind !== "archive") return null;
  const user = state.userOfMailbox(folder.mailbox);
  return user && user.primaryMailboxId === mailbox ? folder.mailbox : null;
}

/**
 * The folder `folderId` names in `mailbox`: { folder } (a seeded folder), { implicit: id } (a mailbox never
 * seeded, where any id is a folder holding what was imported into it), { redirect: archiveMailboxId } or
 * { notFound: true }. Well-known names (inbox, sentitems, ...) work in seeded mailboxes other than archives
 * (graph-api.md §4: "for primary mailboxes only").
 */
function resolveFolder(state, mailbox, folderId) {
  const target = archiveTargetFor(state, mailbox, folderId);
  if (target !== null) return { redirect: target };
  const seeded = state.folders.get(folderId);
  if (seeded) return seeded.mailbox === mailbox ? { folder: seeded } : { notFound: true };
  const m = state.mailboxes.get(mailbox);
  if (!m) return { implicit: folderId };
  if (m.kind === "archive") return { notFound: true };
  const wk = folderId.toLowerCase();
  for (const f of state.folders.values()) {
    if (f.mailbox === mailbox && f.wellKnownName && f.wellKnownName.toLowerCase() === wk) return { folder: f };
  }
  return { notFound: true };
}

// ---------------------------------------------------------------------------------------------------------
// The demo tenant

/** Stable ids of demoSeed(): users, mailboxes, folders and items. */
export const DEMO_IDS = Object.freeze({
  sourceUser: "adele@contoso.com",
  targetUser: "megan@contoso.com",
  sourceMailbox: "MBX:ade1e000-0000-4000-8000-000000000001@c0c0c0c0-0000-4000-8000-00000000c0de",
  sourceArchive: "MBX:ade1e000-0000-4000-8000-0000000000a1@c0c0c0c0-0000-4000-8000-00000000c0de",
  targetMailbox: "MBX:3e6a0000-0000-4000-8000-000000000002@c0c0c0c0-0000-4000-8000-00000000c0de",
  // Root folders ("Top of Information Store"): the parentFolderId of top-level folders.
  roots: Object.freeze({
    source: "AAMkADdemoSrcRootAAA=",
    archive: "AAMkADdemoArcRootAAA=",
    target: "AAMkADdemoDstRootAAA=",
  }),
  folders: Object.freeze({
    inbox: "AAMkADdemoSrcInboxAAA=",
    projects: "AAMkADdemoSrcProjectsAAA=",
    y2026: "AAMkADdemoSrc2026AAA=",
    receipts: "AAMkADdemoSrcReceiptsAAA=",
    sentItems: "AAMkADdemoSrcSentItemsAAA=",
    drafts: "AAMkADdemoSrcDraftsAAA=",
    deletedItems: "AAMkADdemoSrcDeletedItemsAAA=",
    archive: "AAMkADdemoSrcArchiveAAA=",
    hidden: "AAMkADdemoSrcHiddenAAA=",
  }),
  archiveFolders: Object.freeze({
    inbox: "AAMkADdemoArcInboxAAA=",
    oldProjects: "AAMkADdemoArcOldProjectsAAA=",
  }),
  targetFolders: Object.freeze({
    inbox: "AAMkADdemoDstInboxAAA=",
    restored: "AAMkADdemoDstRestoredAAA=",
  }),
});

// Source folders of the demo, in seeding order: [key, displayName, parent key | null, items, extra].
const DEMO_SOURCE_FOLDERS = [
  ["inbox", "Inbox", null, 100, { wellKnownName: "inbox" }],
  ["projects", "Projects", "inbox", 40, {}],
  ["y2026", "2026", "projects", 25, {}],
  ["receipts", "Receipts", "inbox", 0, {}],
  ["sentItems", "Sent Items", null, 45, { wellKnownName: "sentitems" }],
  ["drafts", "Drafts", null, 5, { wellKnownName: "drafts" }],
  ["deletedItems", "Deleted Items", null, 2, { wellKnownName: "deleteditems" }],
  ["archive", "Archive", null, 30, { wellKnownName: "archive" }],
  ["hidden", "Conversation Action Settings", null, 3, { hidden: true, type: "IPF.Configuration" }],
];
const DEMO_ARCHIVE_ITEMS = 5;

/** Deterministic FastTransfer-like bytes for demo item `n`: a few hundred bytes, different for every item. */
function demoItemBytes(label, n, folderName) {
  const random = seededRandom(0x5eed0000 + n * 7919 + label.length);
  const text = Buffer.from(
    `Demo ${label} item ${n} in "${folderName}". Subject: Status update #${n}. ` +
      `From: ${label === "archive" ? "old-projects" : "adele"}@contoso.com\r\n`,
    "utf8",
  );
  const padding = Buffer.alloc(120 + ((n * 37) % 280));
  for (let i = 0; i < padding.length; i += 1) padding[i] = Math.floor(random() * 256);
  // A FastTransfer stream starts with property markers; these bytes only look the part.
  return Buffer.concat([Buffer.from([0x03, 0x00, 0x01, 0x40, n & 0xff, (n >> 8) & 0xff]), text, padding]);
}

/**
 * The demo tenant as a seed spec (pass it to startMockTenant({ seed }) or state.seed):
 * - adele@contoso.com: primary mailbox DEMO_IDS.sourceMailbox with Inbox > Projects > 2026, Inbox > Receipts
 *   (empty), Sent Items, Drafts, Deleted Items, Archive and a hidden "Conversation Action Settings" folder,
 *   250 items in all; in-place archive DEMO_IDS.sourceArchive with Inbox (empty) and "Old Projects" (5 items);
 * - megan@contoso.com: primary mailbox DEMO_IDS.targetMailbox with an empty Inbox and "Restored" folder, no archive.
 * Item ids are AAMkADdemoItem0001AAA= ... AAMkADdemoItem0250AAA= (source, in folder order) and
 * AAMkADdemoArcItem01AAA= ... AAMkADdemoArcItem05AAA= (archive). Returns the spec plus `ids`: DEMO_IDS and
 * `ids.items` ({folder key: [item ids]}, archive items under "archive:oldProjects").
 */
export function demoSeed() {
  const folderIds = DEMO_IDS.folders;
  const items = [];
  const itemIds = {};
  let n = 0;
  const base = Date.parse("2026-01-05T09:00:00Z");
  for (const [key, displayName, , count] of DEMO_SOURCE_FOLDERS) {
    itemIds[key] = [];
    for (let i = 0; i < count; i += 1) {
      n += 1;
      const id = `AAMkADdemoItem${String(n).padStart(4, "0")}AAA=`;
      itemIds[key].push(id);
      const created = new Date(base + n * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      items.push({
        id,
        folderId: folderIds[key],
        data: demoItemBytes("source", n, displayName).toString("base64"),
        changeKey: `CQAAABYAAADdemo${String(n).padStart(4, "0")}`,
        categories: n % 7 === 0 ? ["Red category"] : [],
        createdDateTime: created,
        lastModifiedDateTime: created,
      });
    }
  }
  itemIds["archive:oldProjects"] = [];
  for (let i = 1; i <= DEMO_ARCHIVE_ITEMS; i += 1) {
    const id = `AAMkADdemoArcItem${String(i).padStart(2, "0")}AAA=`;
    itemIds["archive:oldProjects"].push(id);
    const created = new Date(Date.parse("2019-03-01T10:00:00Z") + i * 86400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    items.push({
      id,
      folderId: DEMO_IDS.archiveFolders.oldProjects,
      data: demoItemBytes("archive", i, "Old Projects").toString("base64"),
      changeKey: `CQAAABYAAADdemoArc${String(i).padStart(2, "0")}`,
      createdDateTime: created,
      lastModifiedDateTime: created,
    });
  }
  return {
    users: [
      {
        user: DEMO_IDS.sourceUser,
        displayName: "Adele Vance",
        primaryMailboxId: DEMO_IDS.sourceMailbox,
        inPlaceArchiveMailboxId: DEMO_IDS.sourceArchive,
      },
      { user: DEMO_IDS.targetUser, displayName: "Megan Bowen", primaryMailboxId: DEMO_IDS.targetMailbox },
    ],
    mailboxes: {
      [DEMO_IDS.sourceMailbox]: {
        rootFolderId: DEMO_IDS.roots.source,
        folders: DEMO_SOURCE_FOLDERS.map(([key, displayName, parent, , extra]) => ({
          id: folderIds[key],
          displayName,
          ...(parent ? { parentFolderId: folderIds[parent] } : {}),
          ...extra,
        })),
      },
      [DEMO_IDS.sourceArchive]: {
        rootFolderId: DEMO_IDS.roots.archive,
        folders: [
          { id: DEMO_IDS.archiveFolders.inbox, displayName: "Inbox" },
          { id: DEMO_IDS.archiveFolders.oldProjects, displayName: "Old Projects" },
        ],
      },
      [DEMO_IDS.targetMailbox]: {
        rootFolderId: DEMO_IDS.roots.target,
        folders: [
          { id: DEMO_IDS.targetFolders.inbox, displayName: "Inbox", wellKnownName: "inbox" },
          { id: DEMO_IDS.targetFolders.restored, displayName: "Restored" },
        ],
      },
    },
    items,
    ids: { ...DEMO_IDS, items: itemIds },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Responses. Handlers build { status, headers, body } objects; `send` writes them with the server's CORS
// headers, so a fault can also run the normal handler and throw its answer away ("process": true).

function response(status, headers = {}, body = "") {
  return { status, headers, body };
}

function json(status, obj, headers = {}) {
  return response(status, { "Content-Type": "application/json", ...headers }, JSON.stringify(obj));
}

/** Graph's error shape (graph-api.md §5), with request-id / client-request-id headers to match. */
function graphError(ids, status, code, message, headers = {}) {
  const body = {
    error: {
      code,
      message,
      innerError: {
        date: isoSeconds(),
        "request-id": ids.requestId,
        "client-request-id": ids.clientRequestId,
      },
    },
  };
  return json(status, body, { ...graphIdHeaders(ids), ...headers });
}

function graphIdHeaders(ids) {
  return { "request-id": ids.requestId, "client-request-id": ids.clientRequestId };
}

/** The import host does not use Graph's error shape (graph-api.md §3): `{"Message": "..."}`. */
function importError(ids, status, message, headers = {}) {
  return json(status, { Message: message }, { "request-id": ids.requestId, ...headers });
}

function send(res, record, r, hangInBody = null) {
  if (record) {
    record.status = r.status;
    record.endTime = Date.now();
  }
  const body = Buffer.from(r.body ?? "", "utf8");
  const headers = { ...r.headers };
  // 204 and 304 carry no body and no Content-Length.
  if (r.status !== 204 && r.status !== 304) headers["Content-Length"] = String(body.length);
  res.writeHead(r.status, headers);
  if (hangInBody) {
    // The head and half the body, then nothing: the client is left reading.
    res.write(body.subarray(0, body.length >> 1));
    hangInBody.add(res);
    res.once("close", () => hangInBody.delete(res));
    return;
  }
  res.end(r.status === 204 || r.status === 304 ? undefined : body);
}

/** CORS on every Graph answer, errors included. Retry-After is deliberately not exposed (graph-api.md §6). */
function graphCorsHeaders(req) {
  const origin = req.headers.origin;
  return {
    "Access-Control-Allow-Origin": origin ?? "*",
    "Access-Control-Expose-Headers": "request-id, client-request-id",
    ...(origin ? { Vary: "Origin" } : {}),
  };
}

function importCorsHeaders(req) {
  const origin = req.headers.origin;
  return { "Access-Control-Allow-Origin": origin ?? "*", ...(origin ? { Vary: "Origin" } : {}) };
}

function withHeaders(r, headers) {
  return { ...r, headers: { ...r.headers, ...headers } };
}

// ---------------------------------------------------------------------------------------------------------
// Graph routes

const FOLDER_SEGMENT = Symbol("folderId");
const ITEM_SEGMENT = Symbol("itemId");

// Routes under /{version}/admin/exchange/mailboxes/{mailboxId}/ (graph-api.md §2, §4), first match wins.
const MAILBOX_ROUTE_TABLE = [
  { name: "createImportSession", method: "POST", pattern: ["createimportsession"] },
  { name: "exportItems", method: "POST", pattern: ["exportitems"] },
  { name: "folders", method: "GET", pattern: ["folders"], list: true },
  { name: "foldersDelta", method: "GET", pattern: ["folders", "delta"], list: true, delta: true },
  { name: "folder", method: "GET", pattern: ["folders", FOLDER_SEGMENT] },
  { name: "childFolders", method: "GET", pattern: ["folders", FOLDER_SEGMENT, "childfolders"], list: true },
  {
    name: "childFoldersDelta",
    method: "GET",
    pattern: ["folders", FOLDER_SEGMENT, "childfolders", "delta"],
    list: true,
    delta: true,
  },
  { name: "items", method: "GET", pattern: ["folders", FOLDER_SEGMENT, "items"], list: true },
  { name: "itemsDelta", method: "GET", pattern: ["folders", FOLDER_SEGMENT, "items", "delta"], list: true, delta: true },
  { name: "item", method: "GET", pattern: ["folders", FOLDER_SEGMENT, "items", ITEM_SEGMENT] },
];

function decodeSegment(raw) {
  try {
    const v = decodeURIComponent(raw);
    return v === "" ? null : v;
  } catch {
    return null;
  }
}

/**
 * Parses a Graph path (query removed): `/{version}/users/{user}/settings/exchange` or
 * `/{version}/admin/exchange/mailboxes/{mailboxId}/...` (MAILBOX_ROUTE_TABLE). Ids must be single raw segments,
 * percent-decoded once (graph-api.md §4: ids travel as one percent-encoded segment). Fixed segments are matched
 * without regard to case, as Graph's router does; `delta()` is the same as `delta`.
 */
function parseGraphRoute(pathname) {
  const parts = pathname.split("/");
  const route = {
    matched: false,
    name: null,
    method: null,
    list: false,
    delta: false,
    version: null,
    mailbox: null,
    rawId: null,
    badId: false,
    user: null,
    folderId: null,
    itemId: null,
    badSegment: false,
  };
  if (parts.length < 3 || parts[0] !== "" || !VERSIONS.has(parts[1])) return route;
  const version = parts[1];
  const rest = parts.slice(2);
  const lower = rest.map((p) => p.toLowerCase());
  if (rest.length === 4 && lower[0] === "users" && lower[2] === "settings" && lower[3] === "exchange" && rest[1] !== "") {
    Object.assign(route, { matched: true, name: "exchangeSettings", method: "GET", version });
    route.user = decodeSegment(rest[1]);
    route.badId = route.user === null;
    return route;
  }
  if (rest.length < 5 || lower[0] !== "admin" || lower[1] !== "exchange" || lower[2] !== "mailboxes") return route;
  const tail = rest.slice(4);
  const entry = MAILBOX_ROUTE_TABLE.find(
    (e) =>
      e.pattern.length === tail.length &&
      e.pattern.every((p, i) => {
        if (typeof p === "symbol") return tail[i] !== "";
        const seg = tail[i].toLowerCase();
        return seg === p || (p === "delta" && seg === "delta()");
      }),
  );
  if (!entry) return route;
  Object.assign(route, {
    matched: true,
    name: entry.name,
    method: entry.method,
    list: entry.list === true,
    delta: entry.delta === true,
    version,
    rawId: rest[3],
  });
  route.mailbox = decodeSegment(rest[3]);
  route.badId = route.mailbox === null;
  entry.pattern.forEach((p, i) => {
    if (typeof p !== "symbol") return;
    const value = decodeSegment(tail[i]);
    if (value === null) route.badSegment = true;
    if (p === FOLDER_SEGMENT) route.folderId = value;
    else route.itemId = value;
  });
  return route;
}

function sessionBody(ctx, version, mailbox, importOrigin, authtoken, expiresAt) {
  const importUrl =
    `${importOrigin}/api/g${version}/Mailboxes('${encodeURIComponent(mailbox)}')/importItem` +
    `?authtoken=${authtoken}`;
  return {
    "@odata.context": `${ctx.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession`,
    importUrl,
    expirationDateTime: isoTicks(expiresAt),
  };
}

/** Headers of Graph's JSON answers. */
function graphJson(status, body, ids, headers = {}) {
  return json(status, body, {
    "Content-Type": "application/json; odata.metadata=minimal",
    "OData-Version": "4.0",
    "Cache-Control": "no-cache",
    ...graphIdHeaders(ids),
    ...headers,
  });
}

/** A mailbox id as the mock writes it into URLs (linkIdStyle: the docs keep ":" and "@" raw). */
function linkId(state, id) {
  const encoded = encodeURIComponent(id);
  return state.config.linkIdStyle === "docs" ? encoded.replace(/%3A/gi, ":").replace(/%40/gi, "@") : encoded;
}

function mailboxPath(state, version, mailbox) {
  return `/${version}/admin/exchange/mailboxes/${linkId(state, mailbox)}`;
}

/** A query string that keeps `$` in option names readable ($top, $skiptoken), as Graph's links do. */
function queryString(pairs) {
  return pairs.map(([k, v]) => `${encodeURIComponent(k).replace(/%24/g, "$")}=${encodeURIComponent(v)}`).join("&");
}

const NOT_FOUND_IN_STORE = "The specified object was not found in the store.";

/** Graph's behaviour on every route: method, auth, ids, then the route itself. */
function graphNormal(ctx, req, route, ids, bodyText = "", opts = {}) {
  if (!route.matched) {
    const pathname = req.url.split("?")[0];
    const last = pathname.split("/").filter(Boolean).pop() ?? "";
    return graphError(ids, 404, "ResourceNotFound", `Resource not found for the segment '${last}'.`);
  }
  if (req.method !== route.method) {
    return graphError(ids, 405, "BadRequest", "Specified HTTP method is not allowed for the request target.", {
      Allow: route.method,
    });
  }
  // Auth before anything about the mailbox, as Graph does.
  const auth = req.headers.authorization ?? "";
  const m = /^Bearer[ \t]+(\S.*)$/i.exec(auth);
  const token = m ? m[1].trim() : "";
  if (!token || token.startsWith("expired")) {
    return graphError(ids, 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", {
      "WWW-Authenticate": WWW_AUTHENTICATE,
    });
  }
  // An app-only token of the login server is good until its expires_in has passed (any other token is taken
  // on trust, as before).
  const appToken = ctx.state.appTokens.get(token);
  if (appToken && appToken.expiresAt <= Date.now()) {
    return graphError(ids, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", {
      "WWW-Authenticate": WWW_AUTHENTICATE,
    });
  }
  if (token.startsWith("forbidden")) {
    return graphError(ids, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
  }
  if (route.badId) {
    const what = route.name === "exchangeSettings" ? "user" : "mailbox";
    return graphError(ids, 400, "BadRequest", `Invalid ${what} id in the request URL.`);
  }
  if (route.badSegment) {
    return graphError(ids, 400, "BadRequest", "Invalid folder or item id in the request URL.");
  }
  if (route.mailbox !== null && route.mailbox.startsWith("missing")) {
    return graphError(
      ids,
      404,
      "ResourceNotFound",
      "The specified object was not found in the store., The process failed to get the correct properties.",
    );
  }
  switch (route.name) {
    case "createImportSession":
      return createImportSessionNormal(ctx, route, ids);
    case "exchangeSettings":
      return exchangeSettingsNormal(ctx, route, ids);
    case "exportItems":
      return exportItemsNormal(ctx, req, route, ids, bodyText);
    default:
      return readNormal(ctx, req, route, ids, opts);
  }
}

/** createImportSession (graph-api.md §2). */
function createImportSessionNormal(ctx, route, ids) {
  const { state } = ctx;
  const authtoken = randomToken();
  const expiresAt = Date.now() + state.config.sessionLifetimeMs;
  const body = sessionBody(ctx, route.version, route.mailbox, ctx.importUrlBase, authtoken, expiresAt);
  state.sessions.set(authtoken, {
    authtoken,
    mailbox: route.mailbox,
    version: route.version,
    importPath: new URL(body.importUrl).pathname,
    importUrl: body.importUrl,
    expiresAt,
    expirationDateTime: body.expirationDateTime,
  });
  return graphJson(state.config.createSessionStatus, body, ids);
}

/** GET /users/{user}/settings/exchange: the user's mailbox ids (graph-api.md §4). */
function exchangeSettingsNormal(ctx, route, ids) {
  const { state } = ctx;
  const user = state.users.get(route.user.toLowerCase());
  if (!user) {
    return graphError(
      ids,
      404,
      "Request_ResourceNotFound",
      `Resource '${route.user}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  const body = {
    "@odata.context":
      `${ctx.graphUrl}/${route.version}/$metadata#users('${encodeURIComponent(route.user)}')/settings/exchange/$entity`,
    primaryMailboxId: user.primaryMailboxId,
  };
  if (user.inPlaceArchiveMailboxId !== null) body.inPlaceArchiveMailboxId = user.inPlaceArchiveMailboxId;
  else if (state.config.missingArchiveIdAs === "null") body.inPlaceArchiveMailboxId = null;
  return graphJson(200, body, ids);
}

/** POST .../exportItems {"itemIds": [...]}: at most 20 ids, results in request order (graph-api.md §4). */
function exportItemsNormal(ctx, req, route, ids, bodyText) {
  const { state } = ctx;
  const config = state.config;
  const unreadable = () =>
    graphError(
      ids,
      400,
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
  if (config.requireJsonContentType) {
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") return unreadable();
  }
  let body;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return unreadable();
  }
  if (!isPlainObject(body) || !Array.isArray(body.itemIds)) {
    return graphError(ids, 400, "BadRequest", "The request body must carry itemIds, an array of item ids.");
  }
  const itemIds = body.itemIds;
  if (!itemIds.every(nonEmptyString)) {
    return graphError(ids, 400, "BadRequest", "Every entry of itemIds must be a non-empty string.");
  }
  if (itemIds.length === 0) return graphError(ids, 400, "BadRequest", "itemIds must name at least one item.");
  if (itemIds.length > 20) {
    return graphError(ids, 400, "BadRequest", "The number of items to export exceeds the maximum of 20 per request.");
  }
  const key = config.exportErrorKey;
  const failed = (itemId, code, message, spelling = key) => ({ itemId, [spelling]: { code, message } });
  const value = itemIds.map((itemId) => {
    if (Object.hasOwn(config.exportItemErrors, itemId)) {
      const e = config.exportItemErrors[itemId];
      return failed(itemId, e.code, e.message, e.key ?? key);
    }
    const item = state.itemIndex.get(itemId);
    if (!item) return failed(itemId, "ErrorItemNotFound", NOT_FOUND_IN_STORE);
    if (item.mailbox !== route.mailbox) {
      // An item of the user's archive asked for through the primary mailbox: post it again there.
      if (archiveTargetFor(state, route.mailbox, item.folderId) === item.mailbox) {
        const url = `${ctx.graphUrl}${mailboxPath(state, route.version, item.mailbox)}/exportItems`;
        return failed(itemId, "ErrorArchiveFolderMovedPermanently", config.archiveMovedMessage.replaceAll("{url}", url));
      }
      return failed(itemId, "ErrorItemNotFound", NOT_FOUND_IN_STORE);
    }
    if (item.data === null) {
      return failed(itemId, "ErrorMockDataNotStored", "The mock tenant kept no data for this item (storeItemData is false).");
    }
    return { itemId, changeKey: item.changeKey, data: item.data };
  });
  return graphJson(
    200,
    { "@odata.context": `${ctx.graphUrl}/${route.version}/$metadata#Collection(microsoft.graph.exportItemResponse)`, value },
    ids,
  );
}

const FOLDER_PROPERTIES = [
  "id", "displayName", "parentFolderId", "childFolderCount", "totalItemCount", "type", "wellKnownName", "parentMailboxUrl",
];
const ITEM_PROPERTIES = ["id", "changeKey", "type", "size", "createdDateTime", "lastModifiedDateTime", "categories"];
const UNSUPPORTED_QUERY_OPTIONS = ["$filter", "$orderby", "$search", "$expand", "$count", "$apply"];

function encodeToken(obj) {
  return Buffer.from(JSON.stringify(obj), "utf8").toString("base64url");
}

function decodeToken(text) {
  try {
    const obj = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    return isPlainObject(obj) ? obj : null;
  } catch {
    return null;
  }
}

/** A 308 to the same path and query under `mailbox`, on graphUrl (graph-api.md §4, archive redirects). */
function archiveRedirect(ctx, req, mailbox, ids) {
  const at = req.url.indexOf("?");
  const path = at < 0 ? req.url : req.url.slice(0, at);
  const query = at < 0 ? "" : req.url.slice(at);
  const parts = path.split("/"); // ["", version, "admin", "exchange", "mailboxes", id, ...]
  parts[5] = linkId(ctx.state, mailbox);
  return response(308, { Location: `${ctx.graphUrl}${parts.join("/")}${query}`, ...graphIdHeaders(ids) }, "");
}

/**
 * The reading routes: a folder, its child folders or items, one item, and the delta of folders or items, in
 * pages of at most pageSize ($top and Prefer: odata.maxpagesize may ask for fewer) linked by @odata.nextLink;
 * a delta round ends with @odata.deltaLink. `opts.linkBase` and `opts.forceNextLink` serve the
 * untrustedNextLink fault.
 */
function readNormal(ctx, req, route, ids, opts) {
  const { state } = ctx;
  const config = state.config;
  const bad = (message) => graphError(ids, 400, "BadRequest", message);
  const query = new URL(req.url, "http://mock").searchParams;
  const option = (name) => {
    for (const [k, v] of query) if (k.toLowerCase() === name) return v;
    return null;
  };
  for (const k of query.keys()) {
    if (UNSUPPORTED_QUERY_OPTIONS.includes(k.toLowerCase())) return bad(`The mock tenant does not support ${k}.`);
  }

  // The folder in the path, if any: a 308 when its contents live in the user's archive.
  let folder = null; // a seeded folder, or { id, implicit: true } in a mailbox never seeded
  if (route.folderId !== null) {
    const found = resolveFolder(state, route.mailbox, route.folderId);
    if (found.redirect) return archiveRedirect(ctx, req, found.redirect, ids);
    if (found.notFound) return graphError(ids, 404, "ErrorItemNotFound", NOT_FOUND_IN_STORE);
    folder = found.folder ?? { id: found.implicit, implicit: true };
  }
  const mailbox = route.mailbox;
  const seeded = state.mailboxes.get(mailbox) ?? null;

  // Per-request views of the mailbox: items per folder and child folders per folder.
  const itemCounts = new Map();
  for (const it of state.items.get(mailbox) ?? []) itemCounts.set(it.folderId, (itemCounts.get(it.folderId) ?? 0) + 1);
  const children = new Map();
  if (seeded) {
    for (const f of state.folders.values()) {
      if (f.mailbox !== mailbox || f.root) continue;
      let list = children.get(f.parentFolderId);
      if (!list) children.set(f.parentFolderId, (list = []));
      list.push(f);
    }
  }
  const folderObject = (f) => {
    if (f.implicit) {
      return {
        id: f.id,
        displayName: f.id,
        parentFolderId: null,
        childFolderCount: 0,
        totalItemCount: itemCounts.get(f.id) ?? 0,
        type: "IPF.Note",
      };
    }
    const o = {
      id: f.id,
      displayName: f.displayName,
      parentFolderId: f.parentFolderId,
      // Every direct child, hidden ones included.
      childFolderCount: (children.get(f.id) ?? []).length,
      totalItemCount: itemCounts.get(f.id) ?? 0,
      type: f.type,
    };
    if (f.wellKnownName) o.wellKnownName = f.wellKnownName;
    if (route.version === "beta") o.parentMailboxUrl = `${ctx.graphUrl}${mailboxPath(state, "beta", f.mailbox)}`;
    return o;
  };
  const itemObject = (it) => ({
    id: it.itemId,
    changeKey: it.changeKey,
    type: it.type ?? "IPM.Note",
    size: it.size,
    createdDateTime: isoSeconds(it.createdAt),
    lastModifiedDateTime: isoSeconds(it.updatedAt),
    categories: [...(it.categories ?? [])],
  });
  const contextBase = `${ctx.graphUrl}/${route.version}/$metadata#admin/exchange/mailboxes/${linkId(state, mailbox)}`;
  const folderKey = folder ? `folders('${folder.id}')` : "";

  if (route.name === "folder") {
    return graphJson(200, { "@odata.context": `${contextBase}/folders/$entity`, ...folderObject(folder) }, ids);
  }
  if (route.name === "item") {
    const it = state.itemIndex.get(route.itemId);
    if (!it || it.mailbox !== mailbox || it.folderId !== folder.id) {
      return graphError(ids, 404, "ErrorItemNotFound", NOT_FOUND_IN_STORE);
    }
    return graphJson(200, { "@odata.context": `${contextBase}/${folderKey}/items/$entity`, ...itemObject(it) }, ids);
  }

  // A collection. Tokens carry the page's offset (and, for delta, the round's bounds and options).
  const isItems = route.name === "items" || route.name === "itemsDelta";
  let since = 0;
  let upto = state.seq;
  let offset = 0;
  let includeHidden = (option("includehiddenfolders") ?? "").toLowerCase() === "true";
  let top = option("$top");
  let select = option("$select");
  const skipToken = option("$skiptoken");
  const deltaToken = option("$deltatoken");
  if (skipToken !== null || deltaToken !== null) {
    const token = decodeToken(skipToken ?? deltaToken);
    const kind = skipToken !== null ? "skip" : "delta";
    if (!token || token.k !== kind || token.r !== route.name || (kind === "delta" && !route.delta)) {
      return bad(`The ${kind === "skip" ? "$skiptoken" : "$deltatoken"} is not valid for this request.`);
    }
    const counts = kind === "skip" ? [token.o, ...(route.delta ? [token.s, token.u] : [])] : [token.d];
    if (!counts.every((n) => Number.isInteger(n) && n >= 0)) return bad("The state token is not valid.");
    if (kind === "skip") offset = token.o;
    if (route.delta) {
      // Delta tokens carry the options of the round's first request (the docs: state them once up front).
      includeHidden = token.h === true;
      top = token.t ?? null;
      select = token.sel ?? null;
      if (kind === "skip") {
        since = token.s;
        upto = token.u;
      } else {
        since = token.d;
      }
    }
  } else if (option("$skip") !== null) {
    // The docs' nextLinks use $skip; accepted too.
    const skip = option("$skip");
    if (!/^\d+$/.test(skip)) return bad("Invalid value for $skip.");
    offset = Number(skip);
  }
  if (top !== null) {
    if (!/^\d+$/.test(String(top)) || Number(top) < 1) return bad(`Invalid value '${top}' for $top.`);
    if (Number(top) > 1000) return bad("The limit of '1000' for Top query has been exceeded.");
    top = Number(top);
  }
  let fields = null;
  if (select !== null) {
    fields = select.split(",").map((s) => s.trim()).filter(Boolean);
    const known = isItems ? ITEM_PROPERTIES : FOLDER_PROPERTIES;
    const type = isItems ? "microsoft.graph.mailboxItem" : "microsoft.graph.mailboxFolder";
    for (const f of fields) {
      if (!known.includes(f)) return bad(`Could not find a property named '${f}' on type '${type}'.`);
    }
  }
  let pageSize = config.pageSize;
  if (top !== null) pageSize = Math.min(pageSize, top);
  const extraHeaders = {};
  const prefer = /(?:^|[,;\s])odata\.maxpagesize\s*=\s*(\d+)/i.exec(req.headers.prefer ?? "");
  if (prefer && Number(prefer[1]) >= 1) {
    pageSize = Math.min(pageSize, Number(prefer[1]));
    extraHeaders["Preference-Applied"] = `odata.maxpagesize=${prefer[1]}`;
  }

  // The whole collection, in a stable order.
  let values;
  let context;
  const visible = (f) => includeHidden || !f.hidden;
  switch (route.name) {
    case "folders":
      values = seeded ? (children.get(seeded.rootId) ?? []).filter(visible) : [];
      context = `${contextBase}/folders`;
      break;
    case "childFolders":
      values = folder.implicit ? [] : (children.get(folder.id) ?? []).filter(visible);
      context = `${contextBase}/${folderKey}/childFolders`;
      break;
    case "foldersDelta":
    case "childFoldersDelta": {
      values = [];
      if (seeded && route.name === "foldersDelta") {
        // The whole hierarchy, depth first; a hidden folder's subtree only with includeHiddenFolders.
        const walk = (id) => {
          for (const f of children.get(id) ?? []) {
            if (!visible(f)) continue;
            values.push(f);
            walk(f.id);
          }
        };
        walk(seeded.rootId);
      } else if (route.name === "childFoldersDelta" && !folder.implicit) {
        values = (children.get(folder.id) ?? []).filter(visible);
      }
      values = values.filter((f) => f.seq > since && f.seq <= upto);
      context = `${ctx.graphUrl}/${route.version}/$metadata#Collection(mailboxFolder)`;
      break;
    }
    case "items":
    case "itemsDelta":
      values = (state.items.get(mailbox) ?? []).filter((it) => it.folderId === folder.id);
      if (route.name === "itemsDelta") {
        values = values.filter((it) => it.seq > since && it.seq <= upto);
        context = `${ctx.graphUrl}/${route.version}/$metadata#Collection(mailboxItem)`;
      } else {
        context = `${contextBase}/${folderKey}/items`;
      }
      break;
    default:
      throw new Error(`no reader for route ${route.name}`);
  }

  const page = values.slice(offset, offset + pageSize).map(isItems ? itemObject : folderObject);
  const projected = fields
    ? page.map((o) => {
        const out = { id: o.id };
        for (const f of fields) if (f in o) out[f] = o[f];
        return out;
      })
    : page;
  const body = { "@odata.context": context, value: projected };

  // Links: on nextLinkBase (graphUrl by default), or wherever the untrustedNextLink fault says.
  const base = opts.linkBase ?? config.nextLinkBase ?? ctx.graphUrl;
  const path = `${mailboxPath(state, route.version, mailbox)}${linkTail(route)}`;
  const more = offset + pageSize < values.length;
  if (more || opts.forceNextLink) {
    const next = offset + pageSize;
    let q;
    if (route.delta) {
      const token = { k: "skip", r: route.name, o: next, s: since, u: upto, h: includeHidden, t: top, sel: select };
      q = queryString([["$skiptoken", encodeToken(token)]]);
    } else {
      // Lists keep their options and add the token, as the docs' nextLinks do.
      const kept = [...query].filter(([k]) => !["$skiptoken", "$skip"].includes(k.toLowerCase()));
      q = queryString([...kept, ["$skiptoken", encodeToken({ k: "skip", r: route.name, o: next })]]);
    }
    body["@odata.nextLink"] = `${base}${path}?${q}`;
  } else if (route.delta) {
    const token = { k: "delta", r: route.name, d: upto, h: includeHidden, t: top, sel: select };
    body["@odata.deltaLink"] = `${base}${path}?${queryString([["$deltatoken", encodeToken(token)]])}`;
  }
  return graphJson(200, body, ids, extraHeaders);
}

/** The path of a collection route after the mailbox, with the folder id percent-encoded as one segment. */
function linkTail(route) {
  const folder = route.folderId === null ? "" : encodeURIComponent(route.folderId);
  switch (route.name) {
    case "folders":
      return "/folders";
    case "foldersDelta":
      return "/folders/delta";
    case "childFolders":
      return `/folders/${folder}/childFolders`;
    case "childFoldersDelta":
      return `/folders/${folder}/childFolders/delta`;
    case "items":
      return `/folders/${folder}/items`;
    case "itemsDelta":
      return `/folders/${folder}/items/delta`;
    default:
      throw new Error(`no collection path for ${route.name}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Import host routes

/**
 * Parses `/api/g{version}/Mailboxes('{id}')/importItem`. The id was encoded with encodeURIComponent, which
 * leaves `'` and `)` alone, so the id runs from `Mailboxes('` to the last `')` of the segment.
 */
function parseImportRoute(pathname) {
  const m = /^\/api\/g(v1\.0|beta)\/Mailboxes\('([^/]*)'\)\/importItem$/.exec(pathname);
  const none = { matched: false, name: null, version: null, mailbox: null };
  if (!m) return none;
  try {
    const mailbox = decodeURIComponent(m[2]);
    return mailbox === "" ? none : { matched: true, name: "importItem", version: m[1], mailbox };
  } catch {
    return none;
  }
}

const ITEM_ID_PREFIX = "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A";
const CHANGE_KEY_PREFIX = "CQAAABYAAAA";

function importOk(ctx, version, ids, item) {
  return json(
    200,
    {
      "@odata.context": `${ctx.importUrlBase}/api/g${version}/$metadata#Microsoft.Exchange.ImportItemResponse`,
      itemId: item.itemId,
      changeKey: item.changeKey,
    },
    { "Content-Type": "application/json; odata.metadata=minimal; charset=utf-8", "request-id": ids.requestId },
  );
}

/** The normal importItem behaviour (graph-api.md §3). */
function importNormal(ctx, req, route, ids, bodyText) {
  const { state } = ctx;
  if (!route.matched) return importError(ids, 404, "The requested resource was not found.");
  if (req.method !== "POST") {
    return importError(ids, 405, "The requested HTTP method is not supported by this resource.", {
      Allow: "POST",
    });
  }
  const query = new URLSearchParams(req.url.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : "");
  const authtoken = query.get("authtoken");
  const session = authtoken ? state.sessions.get(authtoken) : undefined;
  if (!session) return importError(ids, 401, "The import session is not valid.");
  if (Date.now() >= session.expiresAt) {
    // "the importUrl expires and is deleted" (graph-api.md §3); the real status is UNKNOWN, 401 here.
    state.sessions.delete(authtoken);
    return importError(ids, 401, "The import session has expired.");
  }
  // The token is bound to the URL it came with: another mailbox or version is not this session.
  if (session.mailbox !== route.mailbox || session.version !== route.version) {
    return importError(ids, 401, "The import session is not valid for this mailbox.");
  }

  let body;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return importError(ids, 400, "The request body is not valid JSON.");
  }
  if (!isPlainObject(body)) return importError(ids, 400, "The request body must be a JSON object.");
  const { FolderId, Mode, Data, ItemId, ChangeKey } = body;
  if (typeof FolderId !== "string" || FolderId === "") return importError(ids, 400, "FolderId is required.");
  if (Mode !== "create" && Mode !== "update") {
    return importError(ids, 400, "Mode must be 'create' or 'update'.");
  }
  if (typeof Data !== "string" || Data === "") return importError(ids, 400, "Data is required.");
  if (!isBase64(Data)) return importError(ids, 400, "Data is not valid base64.");
  if (Mode === "create" && (ItemId !== undefined || ChangeKey !== undefined)) {
    // Sending either ItemId or ChangeKey with create is an error on the server (graph-api.md §3).
    return importError(ids, 400, "ItemId and ChangeKey must not be specified when Mode is 'create'.");
  }
  if (Mode === "update" && (typeof ItemId !== "string" || ItemId === "" || typeof ChangeKey !== "string" || ChangeKey === "")) {
    return importError(ids, 400, "ItemId and ChangeKey are required when Mode is 'update'.");
  }
  // A folder of an auto-expanded archive takes posts only through a session of that archive (graph-api.md §3).
  const found = resolveFolder(state, session.mailbox, FolderId);
  if (found.redirect) {
    return importError(ids, 409, `Invalid import session. The target session is expected in mailbox ${found.redirect}.`);
  }
  // A seeded mailbox takes items only into its folders (a well-known name, e.g. inbox, names one: UNKNOWN
  // whether Exchange accepts those here, assumed yes); a mailbox never seeded takes any folder id.
  if (found.notFound) return importError(ids, 404, "The specified folder was not found in the store.");
  const folderId = found.folder ? found.folder.id : FolderId;

  const bytes = Buffer.from(Data, "base64");
  const stored = {
    data: state.config.storeItemData ? Data : null,
    dataHash: hashData(bytes),
    size: bytes.length,
  };
  const now = Date.now();
  if (Mode === "create") {
    const item = {
      mailbox: route.mailbox,
      itemId: ITEM_ID_PREFIX + randomToken(33),
      changeKey: CHANGE_KEY_PREFIX + randomToken(15),
      folderId,
      data: stored.data,
      version: route.version,
      createdAt: now,
      updatedAt: now,
      dataHash: stored.dataHash,
      size: stored.size,
      seq: state.nextSeq(),
    };
    state.addItem(route.mailbox, item);
    ids.itemId = item.itemId;
    return importOk(ctx, route.version, ids, item);
  }
  // Update of an item not in this mailbox: not found. A stale change key: conflict. Neither case is
  // documented; these are the usual Exchange answers.
  const item = state.itemIndex.get(ItemId);
  if (!item || item.mailbox !== route.mailbox) return importError(ids, 404, NOT_FOUND_IN_STORE);
  if (item.changeKey !== ChangeKey) {
    return importError(ids, 409, "The change key passed in the request does not match the current change key for the item.");
  }
  item.changeKey = CHANGE_KEY_PREFIX + randomToken(15);
  item.folderId = folderId;
  item.data = stored.data;
  item.updatedAt = now;
  item.dataHash = stored.dataHash;
  item.size = stored.size;
  item.seq = state.nextSeq();
  ids.itemId = item.itemId;
  return importOk(ctx, route.version, ids, item);
}

// ---------------------------------------------------------------------------------------------------------
// Faults turned into answers

const GRAPH_STATUS_DEFAULTS = {
  429: ["TooManyRequests", "Please retry again later."],
  503: ["ServiceUnavailable", "The service is temporarily unavailable. Please retry later."],
  504: ["GatewayTimeout", "The gateway did not receive a timely response from the upstream server."],
};

const IMPORT_STATUS_MESSAGES = {
  429: "Too many requests. Please retry again later.",
  503: "The service is temporarily unavailable. Please retry later.",
  504: "The gateway did not receive a timely response from the upstream server.",
};

function htmlPage(status) {
  const title = `${status} ${http.STATUS_CODES[status] ?? "Error"}`;
  return (
    `<!DOCTYPE html>\n<html><head><title>${title}</title></head>\n` +
    `<body><center><h1>${title}</h1></center><hr><center>proxy</center></body></html>\n`
  );
}

/** Builds the answer for a fault that answers in its own way (everything but hang, reset and delay). */
function faultResponse(ctx, server, fault, req, route, ids) {
  const isGraph = server === "graph";
  const version = route.version ?? "v1.0";
  const mailbox = route.mailbox ?? "MBX:unknown";
  const idHeaders = isGraph ? graphIdHeaders(ids) : { "request-id": ids.requestId };
  switch (fault.kind) {
    case "status": {
      const extra = {};
      if (fault.retryAfter !== undefined) extra["Retry-After"] = String(fault.retryAfter);
      if (!isGraph) {
        const message = fault.message ?? IMPORT_STATUS_MESSAGES[fault.status] ?? "An internal server error occurred.";
        return importError(ids, fault.status, message, extra);
      }
      const [code, message] = GRAPH_STATUS_DEFAULTS[fault.status] ?? ["UnknownError", "An unexpected error occurred."];
      if (fault.status === 401) extra["WWW-Authenticate"] = WWW_AUTHENTICATE;
      return graphError(ids, fault.status, fault.code ?? code, fault.message ?? message, extra);
    }
    case "malformedJson": {
      let text;
      if (!isGraph) {
        text = `{"@odata.context":"${ctx.importUrlBase}/api/g${version}/$metadata","itemId": "${ITEM_ID_PREFIX}`;
      } else if (route.name === "exchangeSettings") {
        text = `{"@odata.context":"${ctx.graphUrl}/${version}/$metadata#users/settings/exchange/$entity","primaryMailboxId": "MBX:`;
      } else if (route.list || route.name === "exportItems") {
        text = `{"@odata.context":"${ctx.graphUrl}/${version}/$metadata#Collection","value": [{"id": "AAMkAD`;
      } else {
        text =
          `{"@odata.context":"${ctx.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession",` +
          `"importUrl": "${ctx.importUrlBase}/api/g${version}/Mailbo`;
      }
      return response(200, { "Content-Type": "application/json", ...idHeaders }, text);
    }
    case "html":
      // A proxy's page: no request-id (graph-api.md §5, "Bodies may not be JSON at all").
      return response(fault.status, { "Content-Type": "text/html" }, htmlPage(fault.status));
    case "emptyBody":
      return response(fault.status, { ...idHeaders }, "");
    case "untrustedImportUrl": {
      if (!isGraph) {
        // The import host has no session body to spoil; it redirects off-host instead.
        const location = `${UNTRUSTED_ORIGIN}${req.url.split("?")[0]}`;
        return response(307, { Location: location, ...idHeaders }, "");
      }
      const body = sessionBody(ctx, version, mailbox, UNTRUSTED_ORIGIN, randomToken(), Date.now() + ctx.state.config.sessionLifetimeMs);
      return json(200, body, { "Content-Type": "application/json; odata.metadata=minimal", ...idHeaders });
    }
    case "missingFields": {
      // Only @odata.context: no importUrl, no value, no primaryMailboxId.
      let context = `${ctx.importUrlBase}/api/g${version}/$metadata#Microsoft.Exchange.ImportItemResponse`;
      if (isGraph && route.name === "exchangeSettings") {
        context = `${ctx.graphUrl}/${version}/$metadata#users/settings/exchange/$entity`;
      } else if (isGraph && (route.list || route.name === "exportItems")) {
        context = `${ctx.graphUrl}/${version}/$metadata#Collection`;
      } else if (isGraph) {
        context = `${ctx.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession`;
      }
      return json(200, { "@odata.context": context }, { "Content-Type": "application/json; odata.metadata=minimal", ...idHeaders });
    }
    case "redirect": {
      const location = fault.location ?? `${UNTRUSTED_ORIGIN}${req.url.split("?")[0]}`;
      return response(fault.status, { Location: location, ...idHeaders }, "");
    }
    default:
      throw new Error(`no answer for fault kind ${fault.kind}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Request handling shared by both servers

function sleep(ctx, ms) {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      ctx.timers.delete(t);
      resolve();
    }, ms);
    ctx.timers.add(t);
  });
}

/**
 * Plays the faults every server plays alike, around `run()` (which makes the request take effect and returns
 * the normal answer) and `answer(r)`: "delay" answers normally after fault.ms; "hang" never answers, "reset"
 * cuts the connection, both after taking effect when fault.process. Returns true when it played the fault,
 * false for any other kind (the caller answers those).
 */
async function playTransportFault(ctx, req, res, fault, run, answer) {
  switch (fault.kind) {
    case "delay":
      await sleep(ctx, fault.ms);
      if (!ctx.closed) answer(run());
      return true;
    case "hang":
      // "process": the request takes effect (an item is created, a token issued), only the answer is lost.
      if (fault.process) run();
      ctx.hung.add(res);
      res.once("close", () => ctx.hung.delete(res));
      return true; // never answered; close() destroys the socket
    case "hangInBody":
      // The request takes effect and its answer starts: status, headers, half the body; the rest never comes.
      answer(run(), ctx.hung);
      return true;
    case "reset":
      if (fault.process) run();
      req.socket.destroy();
      return true;
    default:
      return false;
  }
}

/**
 * Runs one recorded request. On the import host a request over importConcurrencyLimit for its mailbox is
 * refused at once. Otherwise it counts in flight, consumes a fault if one applies (else, for an import post,
 * draws chaos), reads the body, waits the configured latency, then answers with the fault, the chaos outcome
 * or normally. `normal(bodyText, ids)` returns the normal answer; `cors` is added to every answer.
 */
async function serve(ctx, server, req, res, route, cors, normal) {
  const { state } = ctx;
  const record = state.record(server, req, route.mailbox, route.name);
  let release = () => {};
  const answer = (r, hangInBody = null) => {
    release();
    state.countStatus(server, r.status);
    send(res, record, withHeaders(r, cors), hangInBody);
  };
  /** Reads and records the body; null when the client went away while sending. */
  const readText = async () => {
    let buf;
    try {
      buf = await readBody(req);
    } catch {
      return null;
    }
    const text = buf.toString("utf8");
    record.body = buf.length && state.config.recordBodies ? text : null;
    return text;
  };

  const limit = state.config.importConcurrencyLimit;
  if (server === "import" && route.mailbox !== null && limit !== null && state.inFlightFor(server, route.mailbox) >= limit) {
    // Over Exchange's per-mailbox limit: refused before anything else (no fault consumed, no chaos drawn,
    // no latency, nothing stored), and not counted in flight.
    record.fault = "concurrencyLimit";
    state.countRefused(route.mailbox);
    if ((await readText()) === null) return;
    const retryAfter = state.config.concurrencyRetryAfter;
    const extra = retryAfter === null ? {} : { "Retry-After": String(retryAfter) };
    return answer(importError({ requestId: randomUUID() }, 429, CONCURRENCY_MESSAGE, extra));
  }
  release = state.track(server, route.mailbox, res, route.name);
  const fault = state.takeFault(server, route);
  record.fault = fault ? fault.kind : null;
  // Chaos: drawn at arrival, in arrival order, for import posts that no queued fault claimed.
  const chaos = !fault && server === "import" && route.matched && req.method === "POST" ? state.drawChaos() : null;
  record.chaos = chaos;

  const bodyText = await readText();
  if (bodyText === null) return; // the client went away while sending

  const ids = {
    requestId: randomUUID(),
    clientRequestId: req.headers["client-request-id"] || randomUUID(),
  };
  const run = () => {
    const r = normal(bodyText, ids);
    if (ids.itemId) record.itemId = ids.itemId;
    return r;
  };

  const latency = server === "import" ? state.config.importLatencyMs : state.config.graphLatencyMs;
  if (latency > 0) {
    await sleep(ctx, latency);
    if (ctx.closed) return;
  }

  switch (chaos) {
    case "throttle": {
      const retryAfter = state.config.chaos?.retryAfter ?? null;
      const extra = retryAfter === null ? {} : { "Retry-After": String(retryAfter) };
      return answer(importError(ids, 429, IMPORT_STATUS_MESSAGES[429], extra));
    }
    case "resetBeforeProcess":
      req.socket.destroy();
      return;
    case "resetAfterProcess":
      // The post takes effect (an item is created), then the connection dies: the client never hears.
      run();
      req.socket.destroy();
      return;
    default:
      break;
  }

  if (!fault) return answer(run());
  if (await playTransportFault(ctx, req, res, fault, run, answer)) return;
  switch (fault.kind) {
    case "untrustedNextLink":
      // The normal page, but its @odata.nextLink points at the untrusted host (the elsewhere server by default).
      return answer(graphNormal(ctx, req, route, ids, bodyText, { linkBase: fault.base ?? ctx.elsewhereUrl, forceNextLink: true }));
    default:
      return answer(faultResponse(ctx, server, fault, req, route, ids));
  }
}

function preflight(res, headers) {
  res.writeHead(200, { ...headers, "Content-Length": "0" });
  res.end();
}

async function handleGraph(ctx, req, res) {
  const cors = graphCorsHeaders(req);
  const pathname = req.url.split("?")[0];
  if (req.method === "OPTIONS") {
    // Preflights are answered the same on every path, never faulted and never recorded.
    const headers = {
      ...cors,
      "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
      "Access-Control-Max-Age": "3600",
    };
    const asked = req.headers["access-control-request-headers"];
    if (asked) headers["Access-Control-Allow-Headers"] = asked;
    return preflight(res, headers);
  }
  if (pathname === "/_mock" || pathname.startsWith("/_mock/")) return handleControl(ctx, req, res, cors);
  const route = parseGraphRoute(pathname);
  return serve(ctx, "graph", req, res, route, cors, (body, ids) => graphNormal(ctx, req, route, ids, body));
}

async function handleImport(ctx, req, res) {
  const cors = importCorsHeaders(req);
  if (req.method === "OPTIONS") {
    // Only content-type is allowed, whatever was asked: a browser then refuses to send Authorization or
    // client-request-id here, as preauthenticated upload hosts do (graph-api.md §3).
    return preflight(res, {
      ...cors,
      "Access-Control-Allow-Methods": "POST, OPTIONS",
      "Access-Control-Allow-Headers": "content-type",
      "Access-Control-Max-Age": "3600",
    });
  }
  const route = parseImportRoute(req.url.split("?")[0]);
  return serve(ctx, "import", req, res, route, cors, (body, ids) => importNormal(ctx, req, route, ids, body));
}

// ---------------------------------------------------------------------------------------------------------
// Login server: Microsoft Entra ID's token endpoint, the client credentials grant only
// (POST /{tenant}/oauth2/v2.0/token, form-encoded client_id, client_secret, scope, grant_type).

// Resource identifiers a client credentials scope may name (`<resource>/.default`): Graph's URL and app id,
// and the mock's own graphUrl.
const GRAPH_RESOURCES = ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"];

// Defaults of a login `status` fault: [error, AADSTS number, description].
const LOGIN_STATUS_DEFAULTS = {
  400: ["invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."],
  401: ["invalid_client", 7000215, "Invalid client secret provided."],
  429: ["temporarily_unavailable", 90033, "A transient error has occurred. Please try again."],
  500: ["server_error", 50000, "There was an error issuing a token or an issue with our sign-in service."],
  503: ["temporarily_unavailable", 90033, "A transient error has occurred. Please try again."],
  504: ["temporarily_unavailable", 90033, "A transient error has occurred. Please try again."],
};

/** Headers on every answer of the token endpoint: no caching, Entra's request id, the client-request-id echoed. */
function loginHeaders(ids) {
  return {
    "Cache-Control": "no-store, no-cache",
    Pragma: "no-cache",
    "x-ms-request-id": ids.traceId,
    ...(ids.clientRequestId ? { "client-request-id": ids.clientRequestId } : {}),
  };
}

/**
 * Entra's error shape: {error, error_description, error_codes, timestamp, trace_id, correlation_id, error_uri},
 * the description "AADSTSn: ..." followed by CRLF-separated trace id, correlation id and timestamp lines.
 */
function entraError(ids, status, error, aadsts, description, headers = {}) {
  const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
  const body = {
    error,
    error_description:
      `AADSTS${aadsts}: ${description}\r\nTrace ID: ${ids.traceId}\r\nCorrelation ID: ${ids.correlationId}\r\n` +
      `Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: ids.traceId,
    correlation_id: ids.correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  };
  const r = json(status, body, { "Content-Type": "application/json; charset=utf-8", ...loginHeaders(ids), ...headers });
  r.entra = { error, aadsts };
  return r;
}

/** A JWT-shaped app-only access token (unsigned; the mock only looks it up). */
function appAccessToken(clientId, tenant, resource, issuedAt, expiresAt) {
  const part = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
  const header = { typ: "JWT", alg: "none", kid: "mock-tenant" };
  const claims = {
    aud: resource,
    iss: `https://sts.windows.net/${tenant}/`,
    iat: Math.floor(issuedAt / 1000),
    nbf: Math.floor(issuedAt / 1000),
    exp: Math.floor(expiresAt / 1000),
    appid: clientId,
    tid: tenant,
    idtyp: "app",
    roles: ["MailboxItem.ImportExport.All"],
    jti: randomToken(12),
  };
  return `${part(header)}.${part(claims)}.${randomToken(32)}`;
}

/** The token endpoint's normal answer: a token for a known app with the right secret, or Entra's error. */
function tokenNormal(ctx, req, tenant, bodyText, ids, record) {
  const { state } = ctx;
  if (req.method !== "POST") {
    return entraError(ids, 400, "invalid_request", 900561, `The endpoint only accepts POST requests. Received a ${req.method} request.`);
  }
  if (tenant.startsWith("missing")) {
    return entraError(
      ids,
      400,
      "invalid_request",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  // Only a form body counts; anything else reads as a body without parameters, as Entra treats it.
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  const form = new URLSearchParams(type === "application/x-www-form-urlencoded" ? bodyText : "");
  record.form = Object.fromEntries(form);
  const missing = (name) =>
    entraError(ids, 400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`);
  const grantType = form.get("grant_type");
  const clientId = form.get("client_id");
  const scope = form.get("scope");
  const secret = form.get("client_secret");
  record.grantType = grantType;
  record.clientId = clientId;
  record.scope = scope;
  if (!grantType) return missing("grant_type");
  if (grantType !== "client_credentials") {
    return entraError(ids, 400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
  if (!clientId) return missing("client_id");
  if (!scope) return missing("scope");
  if (!secret) {
    return entraError(
      ids,
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (!Object.hasOwn(state.config.apps, clientId)) {
    return entraError(
      ids,
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the ` +
        "application has not been installed by the administrator of the tenant or consented to by any user in the " +
        "tenant. You may have sent your authentication request to the wrong tenant.",
    );
  }
  if (state.config.apps[clientId] !== secret) {
    return entraError(
      ids,
      401,
      "invalid_client",
      7000215,
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not " +
        `the client secret ID, for a secret added to app '${clientId}'.`,
    );
  }
  const scopes = scope.trim().split(/\s+/);
  if (scopes.length !== 1 || !scopes[0].endsWith("/.default")) {
    return entraError(
      ids,
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with ` +
        "/.default suffixed to the resource identifier (application ID URI).",
    );
  }
  const resource = scopes[0].slice(0, -"/.default".length).replace(/\/+$/, "");
  if (!GRAPH_RESOURCES.includes(resource) && resource !== ctx.graphUrl) {
    return entraError(
      ids,
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the ` +
        "application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
    );
  }
  const lifetimeS = state.config.appTokenLifetimeS;
  const issuedAt = Date.now();
  const expiresAt = issuedAt + lifetimeS * 1000;
  const accessToken = appAccessToken(clientId, tenant, resource, issuedAt, expiresAt);
  state.appTokens.set(accessToken, { clientId, tenant, scope, issuedAt, expiresAt });
  state.stats.login.tokensIssued += 1;
  record.accessToken = accessToken;
  return json(
    200,
    { token_type: "Bearer", expires_in: lifetimeS, ext_expires_in: lifetimeS, access_token: accessToken },
    { "Content-Type": "application/json; charset=utf-8", ...loginHeaders(ids) },
  );
}

/** A login fault's own answer (status, malformedJson, html, emptyBody). */
function loginFaultResponse(fault, ids) {
  switch (fault.kind) {
    case "status": {
      const [error, aadsts, description] = LOGIN_STATUS_DEFAULTS[fault.status] ?? LOGIN_STATUS_DEFAULTS[500];
      const extra = fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {};
      return entraError(ids, fault.status, fault.code ?? error, aadsts, fault.message ?? description, extra);
    }
    case "malformedJson":
      return response(
        200,
        { "Content-Type": "application/json; charset=utf-8", ...loginHeaders(ids) },
        '{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1Qi',
      );
    case "html":
      return response(fault.status, { "Content-Type": "text/html" }, htmlPage(fault.status));
    case "emptyBody":
      return response(fault.status, loginHeaders(ids), "");
    default:
      throw new Error(`no login answer for fault kind ${fault.kind}`);
  }
}

/**
 * The login server. `/{tenant}/oauth2/v2.0/token` is the token endpoint (any method; only POST gets a token);
 * any other path is an HTML 404, unrecorded. Each request to the endpoint is counted, recorded, takes the
 * first queued fault with target "login", then is answered.
 */
async function handleLogin(ctx, req, res) {
  const { state } = ctx;
  const pathname = req.url.split("?")[0];
  const m = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i.exec(pathname);
  if (!m) {
    try {
      await readBody(req);
    } catch {
      return;
    }
    return send(res, null, response(404, { "Content-Type": "text/html" }, htmlPage(404)));
  }
  let tenant;
  try {
    tenant = decodeURIComponent(m[1]);
  } catch {
    tenant = m[1];
  }
  const stats = state.stats.login;
  stats.requests += 1;
  const record = {
    server: "login",
    method: req.method,
    path: req.url,
    tenant,
    headers: { ...req.headers },
    body: null,
    form: null,
    clientId: null,
    scope: null,
    grantType: null,
    fault: null,
    status: null,
    error: null,
    aadsts: null,
    accessToken: null,
    time: Date.now(),
    endTime: null,
  };
  if (state.config.recordRequests) state.tokenRequests.push(record);
  const answer = (r) => {
    stats.statuses[r.status] = (stats.statuses[r.status] ?? 0) + 1;
    if (r.entra) {
      record.error = r.entra.error;
      record.aadsts = r.entra.aadsts;
    }
    send(res, record, r);
  };
  const fault = state.takeFault("login", { mailbox: null, name: "token", list: false });
  record.fault = fault ? fault.kind : null;
  let buf;
  try {
    buf = await readBody(req);
  } catch {
    return;
  }
  const bodyText = buf.toString("utf8");
  if (buf.length && state.config.recordBodies) record.body = bodyText;
  const clientRequestId = req.headers["client-request-id"] || null;
  const ids = { traceId: randomUUID(), correlationId: clientRequestId ?? randomUUID(), clientRequestId };
  const run = () => tokenNormal(ctx, req, tenant, bodyText, ids, record);
  if (!fault) return answer(run());
  if (await playTransportFault(ctx, req, res, fault, run, answer)) return;
  return answer(loginFaultResponse(fault, ids));
}

// ---------------------------------------------------------------------------------------------------------
// Control API under /_mock/ on the Graph port

async function handleControl(ctx, req, res, cors) {
  const { state } = ctx;
  const url = new URL(req.url, "http://mock");
  const route = `${req.method} ${url.pathname}`;
  const reply = (r) => send(res, null, withHeaders(r, cors));
  const noContent = () => reply(response(204));
  let bodyText;
  try {
    bodyText = (await readBody(req)).toString("utf8");
  } catch {
    return;
  }
  const parseBody = () => {
    try {
      return JSON.parse(bodyText);
    } catch {
      throw new TypeError("body must be JSON");
    }
  };

  try {
    switch (route) {
      case "POST /_mock/reset":
        state.reset();
        return noContent();
      case "GET /_mock/faults":
        return reply(json(200, { faults: state.faults }));
      case "POST /_mock/faults": {
        const body = parseBody();
        if (!isPlainObject(body) || !Array.isArray(body.faults)) throw new TypeError('body must be {"faults": [...]}');
        state.addFaults(body.faults);
        return noContent();
      }
      case "DELETE /_mock/faults":
        state.clearFaults();
        return noContent();
      case "GET /_mock/requests": {
        const mailbox = url.searchParams.get("mailbox");
        const server = url.searchParams.get("server");
        const requests = state.requests.filter(
          (r) => (mailbox === null || r.mailbox === mailbox) && (server === null || r.server === server),
        );
        return reply(json(200, { requests }));
      }
      case "GET /_mock/items": {
        const mailbox = url.searchParams.get("mailbox");
        const items = [];
        for (const [mbx, list] of state.items) {
          if (mailbox === null || mbx === mailbox) for (const it of list) items.push({ mailbox: mbx, ...it });
        }
        return reply(json(200, { items }));
      }
      case "GET /_mock/sessions":
        return reply(json(200, { sessions: [...state.sessions.values()] }));
      case "GET /_mock/config":
        return reply(json(200, state.config));
      case "POST /_mock/config":
        state.setConfig(parseBody());
        return noContent();
      case "GET /_mock/stats":
        return reply(json(200, state.stats));
      case "GET /_mock/duplicates": {
        const mailboxes = url.searchParams.getAll("mailbox");
        return reply(json(200, { duplicates: state.duplicateData(mailboxes.length ? mailboxes : undefined) }));
      }
      case "POST /_mock/seed":
        return reply(json(200, state.seed(parseBody())));
      case "GET /_mock/users": {
        const users = [...new Set(state.users.values())];
        return reply(json(200, { users }));
      }
      case "GET /_mock/mailboxes":
        return reply(json(200, { mailboxes: [...state.mailboxes.values()] }));
      case "GET /_mock/folders": {
        const mailbox = url.searchParams.get("mailbox");
        const folders = [...state.folders.values()].filter((f) => mailbox === null || f.mailbox === mailbox);
        return reply(json(200, { folders }));
      }
      case "GET /_mock/elsewhere-requests":
        return reply(json(200, { requests: state.elsewhereRequests }));
      case "DELETE /_mock/elsewhere-requests":
        state.elsewhereRequests.length = 0;
        return noContent();
      case "GET /_mock/token-requests":
        return reply(json(200, { requests: state.tokenRequests }));
      case "DELETE /_mock/token-requests":
        state.tokenRequests.length = 0;
        return noContent();
      case "GET /_mock/app-tokens":
        return reply(json(200, { tokens: [...state.appTokens].map(([accessToken, t]) => ({ accessToken, ...t })) }));
      case "POST /_mock/expire-app-tokens": {
        const body = bodyText.trim() === "" ? {} : parseBody();
        if (!isPlainObject(body) || (body.clientId !== undefined && typeof body.clientId !== "string")) {
          throw new TypeError('body must be {"clientId": "<id>"} or {} for every app-only token');
        }
        return reply(json(200, { expired: state.expireAppTokens(body.clientId) }));
      }
      case "POST /_mock/expire-sessions": {
        const body = bodyText.trim() === "" ? {} : parseBody();
        if (!isPlainObject(body) || (body.mailbox !== undefined && typeof body.mailbox !== "string")) {
          throw new TypeError('body must be {"mailbox": "<id>"} or {} for every session');
        }
        return reply(json(200, { expired: state.expireSessions(body.mailbox) }));
      }
      default: {
        const known = [
          "/_mock/reset", "/_mock/faults", "/_mock/requests", "/_mock/items", "/_mock/sessions", "/_mock/config",
          "/_mock/stats", "/_mock/duplicates", "/_mock/expire-sessions", "/_mock/seed", "/_mock/users",
          "/_mock/mailboxes", "/_mock/folders", "/_mock/elsewhere-requests", "/_mock/token-requests",
          "/_mock/app-tokens", "/_mock/expire-app-tokens",
        ];
        if (known.includes(url.pathname)) return reply(json(405, { error: `${req.method} not allowed here` }));
        return reply(json(404, { error: `no control route ${url.pathname}` }));
      }
    }
  } catch (err) {
    if (err instanceof TypeError) return reply(json(400, { error: err.message }));
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Start / stop

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address().port);
    });
  });
}

/** The seeds of a `seed` option: a spec, "demo" (demoSeed()), or a list of those. */
function seedList(seed) {
  if (seed === undefined || seed === null) return [];
  return [seed].flat().map((s) => (s === "demo" ? demoSeed() : s));
}

/**
 * The "elsewhere" server: a host no token may reach. It answers every request (preflights included, allowing
 * whatever was asked, so a browser would really send what follows) with 200 {"value":[]} and records it.
 */
async function handleElsewhere(ctx, req, res) {
  const record = {
    method: req.method,
    path: req.url,
    headers: { ...req.headers },
    body: null,
    time: Date.now(),
  };
  ctx.state.elsewhereRequests.push(record);
  let buf;
  try {
    buf = await readBody(req);
  } catch {
    return;
  }
  record.body = buf.length ? buf.toString("utf8") : null;
  const origin = req.headers.origin;
  const headers = { "Access-Control-Allow-Origin": origin ?? "*" };
  if (req.method === "OPTIONS") {
    headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
    if (req.headers["access-control-request-headers"]) {
      headers["Access-Control-Allow-Headers"] = req.headers["access-control-request-headers"];
    }
  }
  send(res, null, json(200, { value: [] }, headers));
}

/**
 * Starts the four servers.
 * options: { host = "127.0.0.1", graphPort = 0, importPort = 0, elsewherePort = 0, loginPort = 0, seed } and any
 * config key (DEFAULT_CONFIG). `seed` is a seed spec, "demo", or a list of those; it is applied again after every
 * reset. Returns { graphUrl, importUrlBase, elsewhereUrl, loginUrl, graphPort, importPort, elsewherePort,
 * loginPort, close(), state }.
 */
export async function startMockTenant(options = {}) {
  const host = options.host ?? "127.0.0.1";
  const initialConfig = { ...DEFAULT_CONFIG };
  for (const k of Object.keys(DEFAULT_CONFIG)) if (options[k] !== undefined) initialConfig[k] = options[k];
  const state = createState(initialConfig, seedList(options.seed)); // validates the options and the seed
  state.setConfig(initialConfig);

  const sockets = new Set();
  const ctx = {
    state,
    graphUrl: "",
    importUrlBase: "",
    elsewhereUrl: "",
    loginUrl: "",
    timers: new Set(),
    hung: new Set(),
    closed: false,
  };

  const makeServer = (handler) => {
    const server = http.createServer((req, res) => {
      handler(ctx, req, res).catch((err) => {
        if (!res.headersSent) {
          res.writeHead(500, { "Content-Type": "text/plain" });
          res.end(String(err && err.stack ? err.stack : err));
        } else {
          res.destroy();
        }
      });
    });
    server.on("connection", (socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    return server;
  };
  const graphServer = makeServer(handleGraph);
  const importServer = makeServer(handleImport);
  const elsewhereServer = makeServer(handleElsewhere);
  const loginServer = makeServer(handleLogin);
  const servers = [graphServer, importServer, elsewhereServer, loginServer];

  const ports = [];
  try {
    ports.push(await listen(graphServer, options.graphPort ?? 0, host));
    ports.push(await listen(importServer, options.importPort ?? 0, host));
    ports.push(await listen(elsewhereServer, options.elsewherePort ?? 0, host));
    ports.push(await listen(loginServer, options.loginPort ?? 0, host));
  } catch (err) {
    for (const server of servers.slice(0, ports.length)) server.close();
    throw err;
  }
  const [graphPort, importPort, elsewherePort, loginPort] = ports;
  ctx.graphUrl = `http://${urlHost(host)}:${graphPort}`;
  ctx.importUrlBase = `http://${urlHost(host)}:${importPort}`;
  ctx.elsewhereUrl = `http://${urlHost(host)}:${elsewherePort}`;
  ctx.loginUrl = `http://${urlHost(host)}:${loginPort}`;

  let closing = null;
  const close = () => {
    if (closing) return closing;
    ctx.closed = true;
    const done = Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
    for (const t of ctx.timers) clearTimeout(t);
    ctx.timers.clear();
    for (const res of ctx.hung) res.socket?.destroy();
    ctx.hung.clear();
    for (const socket of sockets) socket.destroy();
    closing = done.then(() => undefined);
    return closing;
  };

  return {
    graphUrl: ctx.graphUrl,
    importUrlBase: ctx.importUrlBase,
    elsewhereUrl: ctx.elsewhereUrl,
    loginUrl: ctx.loginUrl,
    graphPort,
    importPort,
    elsewherePort,
    loginPort,
    close,
    state,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Command line

const USAGE =
  "usage: node tests/mock/server.mjs [--graph-port N] [--import-port N] [--elsewhere-port N] [--login-port N] " +
  "[--host 127.0.0.1] [--ports-file path] [--session-lifetime-ms N] [--import-concurrency-limit N|none] " +
  "[--import-latency-ms N] [--graph-latency-ms N] [--page-size N] [--seed demo] [--app CLIENT_ID=SECRET]... " +
  "[--app-token-lifetime-s N]";

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${name} needs a non-negative integer`);
      return v;
    };
    switch (name) {
      case "--graph-port": opts.graphPort = int(); break;
      case "--import-port": opts.importPort = int(); break;
      case "--elsewhere-port": opts.elsewherePort = int(); break;
      case "--login-port": opts.loginPort = int(); break;
      case "--app": {
        const v = value();
        const eq = v.indexOf("=");
        if (eq < 1 || eq === v.length - 1) throw new Error(`${name} needs CLIENT_ID=SECRET`);
        opts.apps = { ...opts.apps, [v.slice(0, eq)]: v.slice(eq + 1) };
        break;
      }
      case "--app-token-lifetime-s": {
        const v = int();
        if (v < 1) throw new Error(`${name} needs a whole number, 1 or more`);
        opts.appTokenLifetimeS = v;
        break;
      }
      case "--page-size": {
        const v = int();
        if (v < 1) throw new Error(`${name} needs a whole number, 1 or more`);
        opts.pageSize = v;
        break;
      }
      case "--seed": {
        const v = value();
        if (v !== "demo") throw new Error(`${name} knows only "demo"`);
        opts.seed = "demo";
        break;
      }
      case "--host": opts.host = value(); break;
      case "--ports-file": opts.portsFile = value(); break;
      case "--session-lifetime-ms": opts.sessionLifetimeMs = int(); break;
      case "--import-concurrency-limit": {
        const v = value();
        if (v === "none") opts.importConcurrencyLimit = null;
        else if (/^[1-9]\d*$/.test(v)) opts.importConcurrencyLimit = Number(v);
        else throw new Error(`${name} needs a whole number, 1 or more, or "none"`);
        break;
      }
      case "--import-latency-ms": opts.importLatencyMs = int(); break;
      case "--graph-latency-ms": opts.graphLatencyMs = int(); break;
      case "-h":
      case "--help": opts.help = true; break;
      default: throw new Error(`unknown argument ${arg}`);
    }
  }
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const tenant = await startMockTenant(opts);
  const line = JSON.stringify({
    graphUrl: tenant.graphUrl,
    importUrlBase: tenant.importUrlBase,
    graphPort: tenant.graphPort,
    importPort: tenant.importPort,
    elsewhereUrl: tenant.elsewhereUrl,
    elsewherePort: tenant.elsewherePort,
    loginUrl: tenant.loginUrl,
    loginPort: tenant.loginPort,
  });
  if (opts.portsFile) writeFileSync(opts.portsFile, `${line}\n`);
  process.stdout.write(`${line}\n`);
  closeOnSignals(() => tenant.close());
}

/** Runs `close` on SIGINT or SIGTERM, then exits 0: how the command-line tools here stop cleanly. */
export function closeOnSignals(close) {
  const stop = () => {
    close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isMainModule(moduleUrl) {
  if (!process.argv[1]) return false;
  try {
    return pathToFileURL(realpathSync(process.argv[1])).href === moduleUrl;
  } catch {
    return false;
  }
}

if (isMainModule(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
}
