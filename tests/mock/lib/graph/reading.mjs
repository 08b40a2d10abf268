// The reading routes: folders, child folders, items, one folder or item, and their delta rounds, paged.

import { resolveFolder } from "../directory.mjs";
import { archiveRedirect, linkId, mailboxPath, queryString } from "./links.mjs";
import { graphError, graphJson, NOT_FOUND_IN_STORE } from "../responses.mjs";
import { isoSeconds, isPlainObject } from "../util.mjs";

export const FOLDER_PROPERTIES = [
  "id", "displayName", "parentFolderId", "childFolderCount", "totalItemCount", "type", "wellKnownName", "parentMailboxUrl",
];

export const ITEM_PROPERTIES = ["id", "changeKey", "type", "size", "createdDateTime", "lastModifiedDateTime", "categories"];

export const UNSUPPORTED_QUERY_OPTIONS = ["$filter", "$orderby", "$search", "$expand", "$count", "$apply"];

export function encodeToken(obj) {
  return Buffer.from(JSON.stringify(obj), "utf8").toString("base64url");
}

export function decodeToken(text) {
  try {
    const obj = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    return isPlainObject(obj) ? obj : null;
  } catch {
    return null;
  }
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
