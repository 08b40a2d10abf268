// Validation of everything a caller sends, before anything goes to Graph. Each check throws a WorkerError
// 400 `invalidArgument` whose message names the field (never its value: it may be item data).

import { WorkerError } from "./http.js";

const MAX_ID_LENGTH = 512;
// Control characters (C0, DEL, C1): never part of an id, and a way to forge log lines.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function invalid(message) {
  return new WorkerError(400, "invalidArgument", message);
}

export function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Refuses any own property of `obj` not in `allowed`, naming where it was found. */
export function onlyKeys(obj, allowed, where) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw invalid(`${where} has an unknown property (allowed: ${allowed.join(", ")}).`);
    }
  }
}

/** An id: a non-empty string of at most 512 characters without control characters. */
export function checkId(value, where) {
  if (typeof value !== "string" || value === "" || value.length > MAX_ID_LENGTH || CONTROL.test(value)) {
    throw invalid(`${where} must be a non-empty string of at most ${MAX_ID_LENGTH} characters without control characters.`);
  }
  return value;
}

/** A mailbox id from the path: one segment, percent-decoded once; "." and ".." are refused. */
export function mailboxIdFromPath(segment) {
  let id;
  try {
    id = decodeURIComponent(segment);
  } catch {
    throw invalid("The mailbox id in the path is not valid percent-encoding.");
  }
  checkId(id, "The mailbox id in the path");
  if (id === "." || id === "..") throw invalid("The mailbox id in the path cannot be \".\" or \"..\".");
  return id;
}

function checkMailboxId(value, where) {
  checkId(value, where);
  if (value === "." || value === "..") throw invalid(`${where} cannot be "." or "..".`);
  return value;
}

/** POST /mailboxes/{id}/import-sessions: no body, or `{}`. */
export function checkSessionRequest(body) {
  if (body === undefined) return;
  if (!isPlainObject(body) || Object.keys(body).length !== 0) {
    throw invalid("This route takes no body, or an empty JSON object.");
  }
}

const ITEM_KEYS = ["folderId", "data", "mode", "itemId", "changeKey"];

/** One ImportItem, as JSON: data is standard base64 text (as exportItems returns it). */
function checkItem(item, where) {
  if (!isPlainObject(item)) throw invalid(`${where} must be an object {folderId, data, mode?, itemId?, changeKey?}.`);
  onlyKeys(item, ITEM_KEYS, where);
  checkId(item.folderId, `${where}.folderId`);
  if (typeof item.data !== "string" || item.data === "" || item.data.length % 4 !== 0 || !BASE64.test(item.data)) {
    throw invalid(`${where}.data must be the item's FastTransfer stream as non-empty standard base64 text.`);
  }
  const mode = item.mode ?? "create";
  if (mode !== "create" && mode !== "update") throw invalid(`${where}.mode must be "create" or "update".`);
  if (mode === "create" && (item.itemId !== undefined || item.changeKey !== undefined)) {
    throw invalid(`${where}: itemId and changeKey go with mode "update" only.`);
  }
  if (mode === "update") {
    checkId(item.itemId, `${where}.itemId`);
    checkId(item.changeKey, `${where}.changeKey`);
  }
  const out = { folderId: item.folderId, data: item.data, mode };
  if (mode === "update") Object.assign(out, { itemId: item.itemId, changeKey: item.changeKey });
  return out;
}

/**
 * POST /mailboxes/{id}/items: one item `{folderId, data, mode?, itemId?, changeKey?}`, or a batch
 * `{items: [...]}` of 1 to `maxBatchItems`. Returns `{single}` or `{items}`.
 */
export function checkItemsRequest(body, { maxBatchItems }) {
  if (!isPlainObject(body)) {
    throw invalid("Send one item {folderId, data, mode?, itemId?, changeKey?} or a batch {items: [...]} as JSON.");
  }
  if (!("items" in body)) return { single: checkItem(body, "The item") };
  onlyKeys(body, ["items"], "The batch");
  const { items } = body;
  if (!Array.isArray(items) || items.length === 0) throw invalid("items must be a non-empty array.");
  if (items.length > maxBatchItems) {
    throw invalid(`items holds ${items.length} items; this Worker takes at most ${maxBatchItems} per request.`);
  }
  return { items: items.map((item, i) => checkItem(item, `items[${i}]`)) };
}

/**
 * POST /mailboxes/{id}/copy: `{sourceMailboxId, itemIds, folderId}`: copies the source items into the folder
 * of the mailbox in the path. At most `maxCopyItems` ids, none repeated (a repeat would make two copies).
 */
export function checkCopyRequest(body, { maxCopyItems }) {
  if (!isPlainObject(body)) throw invalid("Send {sourceMailboxId, itemIds, folderId} as JSON.");
  onlyKeys(body, ["sourceMailboxId", "itemIds", "folderId"], "The copy request");
  checkMailboxId(body.sourceMailboxId, "sourceMailboxId");
  checkId(body.folderId, "folderId");
  const { itemIds } = body;
  if (!Array.isArray(itemIds) || itemIds.length === 0) throw invalid("itemIds must be a non-empty array of item ids.");
  if (itemIds.length > maxCopyItems) {
    throw invalid(`itemIds holds ${itemIds.length} ids; this Worker copies at most ${maxCopyItems} per request.`);
  }
  const seen = new Set();
  itemIds.forEach((id, i) => {
    checkId(id, `itemIds[${i}]`);
    if (seen.has(id)) throw invalid(`itemIds[${i}] repeats an earlier id: each item is copied once.`);
    seen.add(id);
  });
  return { sourceMailboxId: body.sourceMailboxId, itemIds, folderId: body.folderId };
}
