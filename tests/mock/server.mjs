// Mock Microsoft Graph tenant for the tests.
//
// Two loopback HTTP servers:
//   - "graph" plays https://graph.microsoft.com (createImportSession, plus the /_mock/ control API);
//   - "import" plays the Exchange import host https://outlook.office365.com (importItem).
// What they answer follows the design notes on the service, graph-api.md (cited below as "graph-api.md §N").
// Only node: built-ins are used, so this starts on a machine with nothing installed:
//
//   node tests/mock/server.mjs [--graph-port N] [--import-port N] [--host 127.0.0.1] [--ports-file path]
//
// or in-process: `const tenant = await startMockTenant(); ...; await tenant.close();`

import http from "node:http";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { realpathSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const VERSIONS = new Set(["v1.0", "beta"]);

const FAULT_KINDS = new Set([
  "status",
  "hang",
  "reset",
  "malformedJson",
  "html",
  "emptyBody",
  "untrustedImportUrl",
  "missingFields",
  "delay",
  "redirect",
]);

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
  // Keep each stored item's Data; when false only its dataHash and size are kept.
  storeItemData: true,
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
    case "archiveFolders": {
      if (!isPlainObject(v)) throw new TypeError("archiveFolders must be an object {folderId: archiveMailboxId}");
      for (const [folder, mailbox] of Object.entries(v)) {
        if (folder === "" || typeof mailbox !== "string" || mailbox === "") {
          throw new TypeError("archiveFolders maps non-empty folder ids to non-empty mailbox ids");
        }
      }
      return { ...v };
    }
    case "recordRequests":
    case "recordBodies":
    case "storeItemData":
      if (typeof v !== "boolean") throw new TypeError(`${k} must be true or false`);
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

function freshStats() {
  return {
    maxInFlight: { graph: 0, import: 0 },
    maxInFlightByMailbox: { graph: {}, import: {} },
    // Import requests answered 429 because their mailbox had importConcurrencyLimit posts in flight.
    refusedForConcurrency: {},
    // Counters kept whatever recordRequests says.
    requests: { graph: 0, import: 0 },
    requestsByMailbox: { graph: {}, import: {} },
    statuses: { graph: {}, import: {} },
    chaos: { throttle: 0, resetBeforeProcess: 0, resetAfterProcess: 0 },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Faults

/** Checks one fault description and fills in its defaults. Throws TypeError when it makes no sense. */
function normalizeFault(f) {
  if (!isPlainObject(f)) throw new TypeError("a fault must be an object");
  const fault = { ...f };
  fault.target = f.target ?? "graph";
  if (fault.target !== "graph" && fault.target !== "import") {
    throw new TypeError(`fault target must be "graph" or "import", got ${JSON.stringify(f.target)}`);
  }
  if (f.mailbox !== undefined && typeof f.mailbox !== "string") {
    throw new TypeError("fault mailbox must be a string");
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
    default:
      break;
  }
  return fault;
}

// ---------------------------------------------------------------------------------------------------------
// State shared by both servers, reachable in-process as tenant.state and over HTTP under /_mock/.

function createState(initialConfig) {
  const inFlight = { graph: new Map(), import: new Map() }; // mailbox key -> count
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
    /** decoded mailbox id -> [{ itemId, changeKey, folderId, data, version, createdAt, updatedAt, dataHash, size }] */
    items: new Map(),
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
      for (const k of Object.keys(state.config)) delete state.config[k];
      Object.assign(state.config, normalizeConfig(initialConfig));
      for (const k of Object.keys(state.stats)) delete state.stats[k];
      Object.assign(state.stats, freshStats());
      reseed();
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
      const now = Date.now();
      let n = 0;
      for (const session of state.sessions.values()) {
        if (mailbox !== undefined && mailbox !== null && session.mailbox !== mailbox) continue;
        if (session.expiresAt > now) session.expiresAt = now;
        n += 1;
      }
      return n;
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

    /** Takes the first queued fault that applies to this request, or null. */
    takeFault(server, mailbox) {
      const i = state.faults.findIndex(
        (f) => f.target === server && (f.mailbox === undefined || f.mailbox === mailbox),
      );
      if (i < 0) return null;
      const f = state.faults[i];
      f.times -= 1;
      if (f.times <= 0) state.faults.splice(i, 1);
      return f;
    },

    /** Records a request at arrival (kept only if recordRequests); `body` and `status` are filled in later. */
    record(server, req, mailbox) {
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
    track(server, mailbox, res) {
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
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const n = m.get(key) - 1;
        if (n > 0) m.set(key, n);
        else m.delete(key);
      };
      res.once("close", release);
      return release;
    },
  };
  reseed();
  return state;
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

function send(res, record, r) {
  if (record) {
    record.status = r.status;
    record.endTime = Date.now();
  }
  const body = Buffer.from(r.body ?? "", "utf8");
  const headers = { ...r.headers };
  // 204 and 304 carry no body and no Content-Length.
  if (r.status !== 204 && r.status !== 304) headers["Content-Length"] = String(body.length);
  res.writeHead(r.status, headers);
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

/**
 * Parses `/{version}/admin/exchange/mailboxes/{mailboxId}/createImportSession` from the raw path (query
 * removed). The id must be a single raw segment, percent-decoded once (graph-api.md §4: ids travel as one
 * percent-encoded segment). Fixed segments are matched without regard to case, as Graph's router does.
 */
function parseGraphRoute(pathname) {
  const parts = pathname.split("/");
  const route = { matched: false, version: null, mailbox: null, rawId: null, badId: false };
  if (parts.length !== 7 || parts[0] !== "") return route;
  const [, version, admin, exchange, mailboxes, rawId, action] = parts;
  if (
    admin.toLowerCase() !== "admin" ||
    exchange.toLowerCase() !== "exchange" ||
    mailboxes.toLowerCase() !== "mailboxes" ||
    action.toLowerCase() !== "createimportsession"
  ) {
    return route;
  }
  if (!VERSIONS.has(version)) return route;
  route.matched = true;
  route.version = version;
  route.rawId = rawId;
  try {
    route.mailbox = decodeURIComponent(rawId);
  } catch {
    route.badId = true;
  }
  if (route.mailbox === "") route.badId = true;
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

/** The normal createImportSession behaviour (graph-api.md §2). */
function graphNormal(ctx, req, route, ids) {
  const { state } = ctx;
  if (!route.matched) {
    const pathname = req.url.split("?")[0];
    const last = pathname.split("/").filter(Boolean).pop() ?? "";
    return graphError(ids, 404, "ResourceNotFound", `Resource not found for the segment '${last}'.`);
  }
  if (req.method !== "POST") {
    return graphError(ids, 405, "BadRequest", "Specified HTTP method is not allowed for the request target.", {
      Allow: "POST",
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
  if (token.startsWith("forbidden")) {
    return graphError(ids, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
  }
  if (route.badId) {
    return graphError(ids, 400, "BadRequest", "Invalid mailbox id in the request URL.");
  }
  if (route.mailbox.startsWith("missing")) {
    return graphError(
      ids,
      404,
      "ResourceNotFound",
      "The specified object was not found in the store., The process failed to get the correct properties.",
    );
  }
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
  return json(state.config.createSessionStatus, body, {
    "Content-Type": "application/json; odata.metadata=minimal",
    "OData-Version": "4.0",
    "Cache-Control": "no-cache",
    ...graphIdHeaders(ids),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Import host routes

/**
 * Parses `/api/g{version}/Mailboxes('{id}')/importItem`. The id was encoded with encodeURIComponent, which
 * leaves `'` and `)` alone, so the id runs from `Mailboxes('` to the last `')` of the segment.
 */
function parseImportRoute(pathname) {
  const m = /^\/api\/g(v1\.0|beta)\/Mailboxes\('([^/]*)'\)\/importItem$/.exec(pathname);
  if (!m) return { matched: false, version: null, mailbox: null };
  try {
    const mailbox = decodeURIComponent(m[2]);
    return { matched: mailbox !== "", version: m[1], mailbox: mailbox || null };
  } catch {
    return { matched: false, version: null, mailbox: null };
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
  const archive = Object.hasOwn(state.config.archiveFolders, FolderId) ? state.config.archiveFolders[FolderId] : null;
  if (archive !== null && archive !== session.mailbox) {
    return importError(ids, 409, `Invalid import session. The target session is expected in mailbox ${archive}.`);
  }

  const bytes = Buffer.from(Data, "base64");
  const stored = {
    data: state.config.storeItemData ? Data : null,
    dataHash: hashData(bytes),
    size: bytes.length,
  };
  const now = Date.now();
  const list = state.items.get(route.mailbox) ?? [];
  if (Mode === "create") {
    const item = {
      itemId: ITEM_ID_PREFIX + randomToken(33),
      changeKey: CHANGE_KEY_PREFIX + randomToken(15),
      folderId: FolderId,
      data: stored.data,
      version: route.version,
      createdAt: now,
      updatedAt: now,
      dataHash: stored.dataHash,
      size: stored.size,
    };
    list.push(item);
    state.items.set(route.mailbox, list);
    ids.itemId = item.itemId;
    return importOk(ctx, route.version, ids, item);
  }
  // Update of an item this mock never created: not found. A stale change key: conflict. Neither case is
  // documented; these are the usual Exchange answers.
  const item = list.find((it) => it.itemId === ItemId);
  if (!item) return importError(ids, 404, "The specified object was not found in the store.");
  if (item.changeKey !== ChangeKey) {
    return importError(ids, 409, "The change key passed in the request does not match the current change key for the item.");
  }
  item.changeKey = CHANGE_KEY_PREFIX + randomToken(15);
  item.folderId = FolderId;
  item.data = stored.data;
  item.updatedAt = now;
  item.dataHash = stored.dataHash;
  item.size = stored.size;
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
      const text = isGraph
        ? `{"@odata.context":"${ctx.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession",` +
          `"importUrl": "${ctx.importUrlBase}/api/g${version}/Mailbo`
        : `{"@odata.context":"${ctx.importUrlBase}/api/g${version}/$metadata","itemId": "${ITEM_ID_PREFIX}`;
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
      const context = isGraph
        ? `${ctx.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession`
        : `${ctx.importUrlBase}/api/g${version}/$metadata#Microsoft.Exchange.ImportItemResponse`;
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
 * Runs one recorded request. On the import host a request over importConcurrencyLimit for its mailbox is
 * refused at once. Otherwise it counts in flight, consumes a fault if one applies (else, for an import post,
 * draws chaos), reads the body, waits the configured latency, then answers with the fault, the chaos outcome
 * or normally. `normal(bodyText, ids)` returns the normal answer; `cors` is added to every answer.
 */
async function serve(ctx, server, req, res, route, cors, normal) {
  const { state } = ctx;
  const record = state.record(server, req, route.mailbox);
  let release = () => {};
  const answer = (r) => {
    release();
    state.countStatus(server, r.status);
    send(res, record, withHeaders(r, cors));
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
  release = state.track(server, route.mailbox, res);
  const fault = state.takeFault(server, route.mailbox);
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
  switch (fault.kind) {
    case "delay":
      await sleep(ctx, fault.ms);
      if (ctx.closed) return;
      return answer(run());
    case "hang":
      // "process": the request takes effect (an item is created), only the answer is lost.
      if (fault.process) run();
      ctx.hung.add(res);
      res.once("close", () => ctx.hung.delete(res));
      return; // never answered; close() destroys the socket
    case "reset":
      if (fault.process) run();
      req.socket.destroy();
      return;
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
  return serve(ctx, "graph", req, res, route, cors, (_body, ids) => graphNormal(ctx, req, route, ids));
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
          "/_mock/stats", "/_mock/duplicates", "/_mock/expire-sessions",
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

/**
 * Starts both servers.
 * options: { host = "127.0.0.1", graphPort = 0, importPort = 0 } and any config key (DEFAULT_CONFIG)
 * Returns { graphUrl, importUrlBase, graphPort, importPort, close(), state }.
 */
export async function startMockTenant(options = {}) {
  const host = options.host ?? "127.0.0.1";
  const initialConfig = { ...DEFAULT_CONFIG };
  for (const k of Object.keys(DEFAULT_CONFIG)) if (options[k] !== undefined) initialConfig[k] = options[k];
  const state = createState(initialConfig);
  state.setConfig(initialConfig); // validates the options

  const sockets = new Set();
  const ctx = { state, graphUrl: "", importUrlBase: "", timers: new Set(), hung: new Set(), closed: false };

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

  const graphPort = await listen(graphServer, options.graphPort ?? 0, host);
  let importPort;
  try {
    importPort = await listen(importServer, options.importPort ?? 0, host);
  } catch (err) {
    graphServer.close();
    throw err;
  }
  ctx.graphUrl = `http://${urlHost(host)}:${graphPort}`;
  ctx.importUrlBase = `http://${urlHost(host)}:${importPort}`;

  let closing = null;
  const close = () => {
    if (closing) return closing;
    ctx.closed = true;
    const done = Promise.all([graphServer, importServer].map((s) => new Promise((r) => s.close(() => r()))));
    for (const t of ctx.timers) clearTimeout(t);
    ctx.timers.clear();
    for (const res of ctx.hung) res.socket?.destroy();
    ctx.hung.clear();
    for (const socket of sockets) socket.destroy();
    closing = done.then(() => undefined);
    return closing;
  };

  return { graphUrl: ctx.graphUrl, importUrlBase: ctx.importUrlBase, graphPort, importPort, close, state };
}

// ---------------------------------------------------------------------------------------------------------
// Command line

const USAGE =
  "usage: node tests/mock/server.mjs [--graph-port N] [--import-port N] [--host 127.0.0.1] " +
  "[--ports-file path] [--session-lifetime-ms N] [--import-concurrency-limit N|none] [--import-latency-ms N] " +
  "[--graph-latency-ms N]";

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
