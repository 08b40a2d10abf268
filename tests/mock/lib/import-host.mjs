// The Exchange import host: POST /api/g{version}/Mailboxes('{id}')/importItem?authtoken=... (graph-api.md §3).

import { resolveFolder } from "./directory.mjs";
import { CHANGE_KEY_PREFIX, ITEM_ID_PREFIX } from "./ids.mjs";
import { importCorsHeaders, importError, json, NOT_FOUND_IN_STORE, preflight } from "./responses.mjs";
import { serve } from "./serve.mjs";
import { leaveTombstone } from "./store.mjs";
import { hashData, isBase64, isPlainObject, randomToken } from "./util.mjs";

/**
 * Parses `/api/g{version}/Mailboxes('{id}')/importItem`. The id was encoded with encodeURIComponent, which
 * leaves `'` and `)` alone, so the id runs from `Mailboxes('` to the last `')` of the segment.
 */
export function parseImportRoute(pathname) {
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

export function importOk(ctx, version, ids, item) {
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
export function importNormal(ctx, req, route, ids, bodyText) {
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
      receivedAt: now,
      dataHash: stored.dataHash,
      size: stored.size,
      seq: state.nextSeq(),
    };
    state.addItem(route.mailbox, item);
    ids.itemId = item.itemId;
    return importOk(ctx, route.version, ids, item);
  }
  // `update` replaces the item in place: same itemId, a new changeKey. An item not in this mailbox: 404; a
  // change key that is not the item's current one: 409. Both answers are UNKNOWN (Microsoft documents neither
  // case); they are what Exchange answers elsewhere (ErrorItemNotFound; ErrorIrresolvableConflict is a 409).
  const item = state.itemIndex.get(ItemId);
  if (!item || item.mailbox !== route.mailbox) return importError(ids, 404, NOT_FOUND_IN_STORE);
  if (item.changeKey !== ChangeKey) {
    return importError(ids, 409, "The change key passed in the request does not match the current change key for the item.");
  }
  if (item.folderId !== folderId) leaveTombstone(state, item, item.folderId);
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

export async function handleImport(ctx, req, res) {
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
