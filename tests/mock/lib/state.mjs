// State shared by every server, reachable in-process as tenant.state and over HTTP under /_mock/: config,
// faults, records, sessions, the directory (users, mailboxes, folders) and the item store, counters.

import { normalizeConfig } from "./config.mjs";
import { normalizeFault } from "./faults.mjs";
import { mintAccessToken, rotateSigningKey } from "./entra.mjs";
import { applySeed } from "./seed.mjs";
import { changeItem, createItem, folderTree, removeItem } from "./store.mjs";
import { expireNow, seededRandom } from "./util.mjs";

export function freshStats() {
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
    // The login server's OpenID configuration and JWKS documents served (a validator's cache shows here).
    discovery: { openidConfiguration: 0, jwks: 0 },
  };
}

export function createState(initialConfig, initialSeeds = []) {
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
    /**
     * Opaque tokens of the links the Graph server wrote: token -> { kind: "skip" | "delta", route, mailbox,
     * folderId, offset?, round?, expired? } (see graph/reading.mjs).
     */
    pageTokens: new Map(),
    /** Items that left a folder: [{ mailbox, folderId, itemId, receivedAt, seq }] (items/delta reports them). */
    removals: [],
    /**
     * The login server's RS256 signing keys, newest first: [{ kid, privateKey, jwk }] (see entra.mjs). Made on
     * first use and kept across reset.
     */
    signingKeys: [],
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
      state.pageTokens.clear();
      state.removals.length = 0;
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
    /**
     * Adds an item to a seeded folder between passes: `{ folderId, data, id?, changeKey?, type?, categories?,
     * createdDateTime?, lastModifiedDateTime?, receivedDateTime? }` (TypeError when wrong). Returns the item.
     */
    createItem(spec) {
      return createItem(state, spec);
    },
    /** A user's edit: new changeKey and lastModifiedDateTime, new `data` / `categories` when given. Returns the item. */
    changeItem(itemId, patch) {
      return changeItem(state, itemId, patch);
    },
    /** Deletes an item; its folder's next items/delta round reports it @removed. Returns the item. */
    removeItem(itemId) {
      return removeItem(state, itemId);
    },
    /** The folders and items of `mailbox` as a tree, with each item's changeKey and dataHash (see store.mjs). */
    folderTree(mailbox) {
      return folderTree(state, mailbox);
    },
    /**
     * Forgets the delta state of `mailbox` (every mailbox when omitted): its nextLinks and deltaLinks get the
     * answer deltaTokenExpired names. Returns how many links.
     */
    expireDeltaTokens(mailbox) {
      let n = 0;
      for (const entry of state.pageTokens.values()) {
        if (!entry.round || (mailbox !== undefined && mailbox !== null && entry.mailbox !== mailbox)) continue;
        entry.expired = true;
        n += 1;
      }
      return n;
    },
    /** A signed access token for a Worker's own API (see entra.mjs mintAccessToken for the options). */
    mintAccessToken(options) {
      return mintAccessToken(state, options);
    },
    /** A new signing key signs from now on; the JWKS keeps the previous keys unless keepPrevious is false. */
    rotateSigningKey(options) {
      return rotateSigningKey(state, options);
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
          (f.route === undefined ? server !== "login" || route.name === "token" : f.route.includes(route.name)) &&
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
