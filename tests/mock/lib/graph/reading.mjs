// The reading routes: one folder or item, folders, child folders and items in pages, and delta rounds
// (graph-api.md §4; Microsoft's pages mailboxfolder-delta, mailboxitem-delta and "Use delta query").
//
// Links carry opaque tokens: a random string naming what the mock keeps in state.pageTokens (the page's
// offset, the route, mailbox and folder it belongs to, and for delta the round). Nothing in a link can be
// edited into another request: a token used on another route, mailbox or folder is refused.
//
// A delta round is frozen when it starts: the list of what changed (ids, removals) is computed once, and its
// pages are cut from that list, so changes during the round never shift a page (they come in the next round).
// Each page shows the objects as they are when it is served.

import { resolveFolder } from "../directory.mjs";
import { archiveRedirect, linkId, mailboxPath, queryString } from "./links.mjs";
import { FOLDER_PROPERTIES, ITEM_PROPERTIES, itemObject, mailboxView } from "./views.mjs";
import { graphError, graphJson, NOT_FOUND_IN_STORE } from "../responses.mjs";
import { randomToken } from "../util.mjs";

const UNSUPPORTED_QUERY_OPTIONS = ["$filter", "$orderby", "$search", "$expand", "$count", "$apply"];

// What Graph answers for a delta token it no longer has (the "Use delta query" page: "In case of an expired
// token, the service should respond with a 40X-series error with error codes such as syncStateNotFound";
// "Synchronization reset": 410 with a Location header naming the initial query). Which one Exchange's
// mailbox delta sends is UNKNOWN; the deltaTokenExpired setting picks one.
const SYNC_STATE_NOT_FOUND = "The sync state generation is not found. The delta token is expired and data must be synchronized again.";
const RESYNC_REQUIRED = "The sync state is no longer valid. Replace any local data with a full synchronization.";

/**
 * Parses items/delta's $filter: Microsoft documents only `receivedDateTime ge {value}` and
 * `receivedDateTime gt {value}`. Returns { op, ms, text } or null when the expression is anything else.
 */
function parseReceivedFilter(text) {
  const m = /^\s*receivedDateTime\s+(ge|gt)\s+(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d))\s*$/i.exec(text);
  if (!m) return null;
  const ms = Date.parse(m[2]);
  return Number.isFinite(ms) ? { op: m[1].toLowerCase(), ms, text } : null;
}

function receivedMatches(filter, receivedAt) {
  if (!filter) return true;
  return filter.op === "ge" ? receivedAt >= filter.ms : receivedAt > filter.ms;
}

/** Stores a page token and returns the opaque string that names it. */
function issueToken(state, entry) {
  const token = randomToken(24);
  state.pageTokens.set(token, entry);
  return token;
}

/**
 * The reading routes: a folder, its child folders or items, one item, and the delta of folders or items, in
 * pages of at most pageSize ($top and Prefer: odata.maxpagesize may ask for fewer) linked by @odata.nextLink;
 * a delta round ends with @odata.deltaLink. `opts.linkBase` and `opts.forceNextLink` serve the
 * untrustedNextLink fault.
 */
export function readNormal(ctx, req, route, ids, opts) {
  const { state } = ctx;
  const config = state.config;
  const bad = (message) => graphError(ids, 400, "BadRequest", message);
  const query = new URL(req.url, "http://mock").searchParams;
  const option = (name) => {
    for (const [k, v] of query) if (k.toLowerCase() === name) return v;
    return null;
  };
  for (const k of query.keys()) {
    const lower = k.toLowerCase();
    if (lower === "$filter" && route.name === "itemsDelta") continue;
    if (UNSUPPORTED_QUERY_OPTIONS.includes(lower)) return bad(`The mock tenant does not support ${k}.`);
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
  const { seeded, children, folderObject } = mailboxView(ctx, mailbox, route.version);
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

  // A collection.
  const isItems = route.name === "items" || route.name === "itemsDelta";
  const folderId = folder ? folder.id : null;
  const base = opts.linkBase ?? config.nextLinkBase ?? ctx.graphUrl;
  const path = `${mailboxPath(state, route.version, mailbox)}${linkTail(route)}`;
  let offset = 0;
  let round = null; // delta only: { since, upto, includeHidden, top, select, filter, entries }
  let includeHidden = (option("includehiddenfolders") ?? "").toLowerCase() === "true";
  let top = option("$top");
  let select = option("$select");
  let filter = null;
  const skipToken = option("$skiptoken");
  const deltaToken = option("$deltatoken");
  if (skipToken !== null || deltaToken !== null) {
    const kind = skipToken !== null ? "skip" : "delta";
    const name = kind === "skip" ? "$skiptoken" : "$deltatoken";
    const entry = state.pageTokens.get(skipToken ?? deltaToken) ?? null;
    if (entry === null && route.delta) return staleDeltaToken(ctx, ids, base, path, null);
    if (entry === null || entry.kind !== kind || entry.route !== route.name || entry.mailbox !== mailbox || entry.folderId !== folderId) {
      return bad(`The ${name} is not valid for this request.`);
    }
    if (entry.expired) return staleDeltaToken(ctx, ids, base, path, entry.round);
    if (kind === "skip") {
      offset = entry.offset;
      round = entry.round ?? null;
    } else {
      // A deltaLink starts the next round with the options of the first (the docs: state them once up front).
      round = { ...entry.round, since: entry.round.upto, upto: state.seq, entries: null };
    }
    if (round) ({ includeHidden, top, select, filter } = round);
  } else {
    if (option("$skip") !== null) {
      // The docs' nextLinks use $skip; accepted too.
      const skip = option("$skip");
      if (!/^\d+$/.test(skip)) return bad("Invalid value for $skip.");
      offset = Number(skip);
    }
    const filterText = option("$filter");
    if (filterText !== null) {
      filter = parseReceivedFilter(filterText);
      if (!filter) return bad("The only $filter supported on items/delta is receivedDateTime ge|gt {date}.");
    }
    if (route.delta) round = { since: 0, upto: state.seq, includeHidden, top, select, filter, entries: null };
  }
  if (top !== null) {
    if (!/^\d+$/.test(String(top)) || Number(top) < 1) return bad(`Invalid value '${top}' for $top.`);
    if (Number(top) > 1000) return bad("The limit of '1000' for Top query has been exceeded.");
    top = Number(top);
    if (round) round.top = top;
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

  const visible = (f) => includeHidden || !f.hidden;
  let values; // what this page is cut from: folder or item objects of the store, or a delta round's entries
  let context;
  switch (route.name) {
    case "folders":
      values = seeded ? (children.get(seeded.rootId) ?? []).filter(visible) : [];
      context = `${contextBase}/folders`;
      break;
    case "childFolders":
      values = folder.implicit ? [] : (children.get(folder.id) ?? []).filter(visible);
      context = `${contextBase}/${folderKey}/childFolders`;
      break;
    case "items":
      values = (state.items.get(mailbox) ?? []).filter((it) => it.folderId === folder.id);
      context = `${contextBase}/${folderKey}/items`;
      break;
    case "foldersDelta":
    case "childFoldersDelta":
      round.entries ??= folderDeltaEntries(route, seeded, folder, children, visible, round);
      values = round.entries;
      context = `${ctx.graphUrl}/${route.version}/$metadata#Collection(mailboxFolder)`;
      break;
    case "itemsDelta":
      round.entries ??= itemDeltaEntries(state, mailbox, folder.id, round);
      values = round.entries;
      context = `${ctx.graphUrl}/${route.version}/$metadata#Collection(mailboxItem)`;
      break;
    default:
      throw new Error(`no reader for route ${route.name}`);
  }

  const render = (v) => {
    if (!route.delta) return isItems ? itemObject(v) : folderObject(v);
    if (v.removed) return removedEntry(v.id);
    if (!isItems) return folderObject(state.folders.get(v.id));
    // An item changed or removed since the round began is shown as it is now.
    const it = state.itemIndex.get(v.id);
    return it && it.mailbox === mailbox && it.folderId === folder.id ? itemObject(it) : removedEntry(v.id);
  };
  const page = values.slice(offset, offset + pageSize).map(render);
  const projected = fields
    ? page.map((o) => {
        if (o["@removed"]) return o;
        const out = { id: o.id };
        for (const f of fields) if (f in o) out[f] = o[f];
        return out;
      })
    : page;
  const body = { "@odata.context": context, value: projected };

  // Links: on nextLinkBase (graphUrl by default), or wherever the untrustedNextLink fault says.
  const more = offset + pageSize < values.length;
  const entryBase = { route: route.name, mailbox, folderId };
  if (more || opts.forceNextLink) {
    const next = offset + pageSize;
    let q;
    if (route.delta) {
      q = queryString([["$skiptoken", issueToken(state, { ...entryBase, kind: "skip", offset: next, round })]]);
    } else {
      // Lists keep their options and add the token, as the docs' nextLinks do.
      const kept = [...query].filter(([k]) => !["$skiptoken", "$skip"].includes(k.toLowerCase()));
      q = queryString([...kept, ["$skiptoken", issueToken(state, { ...entryBase, kind: "skip", offset: next })]]);
    }
    body["@odata.nextLink"] = `${base}${path}?${q}`;
  } else if (route.delta) {
    // A deltaLink keeps the round's bound and options, not its list.
    const { upto, includeHidden: hidden, top: roundTop, select: roundSelect, filter: roundFilter } = round;
    const kept = { upto, includeHidden: hidden, top: roundTop, select: roundSelect, filter: roundFilter };
    const token = issueToken(state, { ...entryBase, kind: "delta", round: kept });
    body["@odata.deltaLink"] = `${base}${path}?${queryString([["$deltatoken", token]])}`;
  }
  return graphJson(200, body, ids, extraHeaders);
}

/** A removed object in a delta page: its id and why (the "Use delta query" page). */
function removedEntry(id) {
  return { id, "@removed": { reason: "deleted" } };
}

/**
 * The folders of a folders/delta or childFolders/delta round: created or changed after `since` (all of them
 * in a first round), up to `upto`. foldersDelta walks the whole hierarchy depth first; a hidden folder and its
 * subtree only with includeHiddenFolders.
 */
function folderDeltaEntries(route, seeded, folder, children, visible, round) {
  const found = [];
  if (seeded && route.name === "foldersDelta") {
    const walk = (id) => {
      for (const f of children.get(id) ?? []) {
        if (!visible(f)) continue;
        found.push(f);
        walk(f.id);
      }
    };
    walk(seeded.rootId);
  } else if (route.name === "childFoldersDelta" && !folder.implicit) {
    found.push(...(children.get(folder.id) ?? []).filter(visible));
  }
  return found.filter((f) => f.seq > round.since && f.seq <= round.upto).map((f) => ({ id: f.id }));
}

/**
 * The items of an items/delta round: those of the folder created or changed in (since, upto] that match the
 * round's $filter, then (after a first round) those that left the folder in that span (removed, or moved by
 * an update into another folder), each once.
 */
function itemDeltaEntries(state, mailbox, folderId, round) {
  const { since, upto, filter } = round;
  const entries = [];
  const present = new Set();
  for (const it of state.items.get(mailbox) ?? []) {
    if (it.folderId !== folderId) continue;
    present.add(it.itemId);
    if (it.seq > since && it.seq <= upto && receivedMatches(filter, it.receivedAt ?? it.createdAt)) entries.push({ id: it.itemId });
  }
  if (since > 0) {
    const reported = new Set();
    for (const t of state.removals) {
      if (t.mailbox !== mailbox || t.folderId !== folderId || t.seq <= since || t.seq > upto) continue;
      if (present.has(t.itemId) || reported.has(t.itemId) || !receivedMatches(filter, t.receivedAt)) continue;
      reported.add(t.itemId);
      entries.push({ id: t.itemId, removed: true });
    }
  }
  return entries;
}

/**
 * The answer to a delta token the mock does not have or has expired (state.expireDeltaTokens), as the
 * deltaTokenExpired setting says. `round` (when known) gives the options the Location of a resync keeps.
 */
function staleDeltaToken(ctx, ids, base, path, round) {
  const pick = ctx.state.config.deltaTokenExpired;
  if (pick === "badRequest") return graphError(ids, 400, "syncStateNotFound", SYNC_STATE_NOT_FOUND);
  if (pick === "syncStateNotFound") return graphError(ids, 410, "SyncStateNotFound", SYNC_STATE_NOT_FOUND);
  const pairs = [];
  if (round?.includeHidden) pairs.push(["includeHiddenFolders", "true"]);
  if (round?.top != null) pairs.push(["$top", String(round.top)]);
  if (round?.select != null) pairs.push(["$select", round.select]);
  if (round?.filter) pairs.push(["$filter", round.filter.text]);
  const location = `${base}${path}${pairs.length ? `?${queryString(pairs)}` : ""}`;
  return graphError(ids, 410, "resyncRequired", RESYNC_REQUIRED, { Location: location });
}

/** The path of a collection route after the mailbox, with the folder id percent-encoded as one segment. */
export function linkTail(route) {
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
