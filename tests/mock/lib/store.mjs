// Changes to a mailbox's folders and items besides imports: folders created through Graph, and the test
// controls that add, change and remove items between passes, plus the tree a test reads back. Every change
// takes a new change number (seq), which delta rounds compare; an item that leaves a folder (removed, or moved
// by an update) leaves a tombstone in state.removals so the folder's next items/delta round reports it.

import { CHANGE_KEY_PREFIX } from "./ids.mjs";
import { applySeed, generatedId } from "./seed.mjs";
import { hashData, isBase64, isPlainObject, isoSeconds, nonEmptyString, randomToken } from "./util.mjs";

/** A folder class: "IPF" and dot-separated words, as IPF.Note, IPF.Appointment, IPF.Note.Custom. */
export function isFolderType(v) {
  return typeof v === "string" && /^IPF(\.[A-Za-z0-9_-]+)*$/.test(v);
}

/**
 * The seeded mailbox `mailbox`, seeding it (kind "other", with a root folder) when it never was: a folder
 * created in it makes it strict like every seeded mailbox.
 */
export function ensureMailbox(state, mailbox) {
  if (!state.mailboxes.has(mailbox)) applySeed(state, { mailboxes: { [mailbox]: {} } });
  return state.mailboxes.get(mailbox);
}

/** The folders directly under `parentId` whose display name is `displayName`, compared without regard to case. */
export function childrenNamed(state, parentId, displayName) {
  const wanted = displayName.toLowerCase();
  return [...state.folders.values()].filter((f) => f.parentFolderId === parentId && f.displayName.toLowerCase() === wanted);
}

/** Adds a folder under `parent` (a seeded folder or root) of its mailbox; names are checked by the caller. */
export function createFolder(state, parent, { displayName, type = "IPF.Note" }) {
  const folder = {
    id: generatedId(state, "Folder", (id) => state.folders.has(id)),
    mailbox: parent.mailbox,
    displayName,
    parentFolderId: parent.id,
    hidden: false,
    type,
    wellKnownName: null,
    root: false,
    seq: state.nextSeq(),
  };
  state.folders.set(folder.id, folder);
  return folder;
}

/** Records that `item` left `folderId` now (removed, or moved into another folder). */
export function leaveTombstone(state, item, folderId) {
  state.removals.push({
    mailbox: item.mailbox,
    folderId,
    itemId: item.itemId,
    receivedAt: item.receivedAt ?? item.createdAt,
    seq: state.nextSeq(),
  });
}

/**
 * Adds an item to a seeded folder, as a seed item (see applySeed: `{folderId, data, id?, changeKey?, type?,
 * categories?, createdDateTime?, lastModifiedDateTime?, receivedDateTime?, mailbox?}`). Returns the item.
 */
export function createItem(state, spec) {
  const [itemId] = applySeed(state, { items: [spec] }).items;
  return state.itemIndex.get(itemId);
}

/**
 * Changes an item as a user's edit would: a new changeKey and lastModifiedDateTime, and, when given, new
 * `data` (standard base64) and `categories`. Returns the item. TypeError for an unknown item or bad fields.
 */
export function changeItem(state, itemId, patch = {}) {
  if (!isPlainObject(patch)) throw new TypeError("an item change must be an object {data?, categories?}");
  for (const k of Object.keys(patch)) {
    if (k !== "data" && k !== "categories") throw new TypeError(`unknown item change key ${JSON.stringify(k)}`);
  }
  const item = state.itemIndex.get(itemId);
  if (!item) throw new TypeError(`no item ${itemId}`);
  if (patch.data !== undefined && (!nonEmptyString(patch.data) || !isBase64(patch.data))) {
    throw new TypeError("item data must be non-empty standard base64");
  }
  if (patch.categories !== undefined && !(Array.isArray(patch.categories) && patch.categories.every((c) => typeof c === "string"))) {
    throw new TypeError("item categories must be an array of strings");
  }
  if (patch.data !== undefined) {
    const bytes = Buffer.from(patch.data, "base64");
    item.data = item.seeded || state.config.storeItemData ? patch.data : null;
    item.dataHash = hashData(bytes);
    item.size = bytes.length;
  }
  if (patch.categories !== undefined) item.categories = [...patch.categories];
  item.changeKey = CHANGE_KEY_PREFIX + randomToken(15);
  // Never the same second as before, so lastModifiedDateTime (written with seconds) visibly moves.
  item.updatedAt = Math.max(Date.now(), Math.floor(item.updatedAt / 1000) * 1000 + 1000);
  item.seq = state.nextSeq();
  return item;
}

/** Removes an item from its mailbox (a hard delete); its folder's next delta round reports it. Returns it. */
export function removeItem(state, itemId) {
  const item = state.itemIndex.get(itemId);
  if (!item) throw new TypeError(`no item ${itemId}`);
  const list = state.items.get(item.mailbox);
  list.splice(list.indexOf(item), 1);
  state.itemIndex.delete(itemId);
  leaveTombstone(state, item, item.folderId);
  return item;
}

/**
 * A mailbox's folders and items as a tree, for assertions: `{ mailbox, rootFolderId, folders }`, each folder
 * `{ id, displayName, parentFolderId, type, wellKnownName, hidden, items: [{ id, changeKey, dataHash, size,
 * receivedDateTime }], childFolders: [...] }` in creation order. In a mailbox never seeded, `rootFolderId` is
 * null and `folders` are the folder ids items were imported into, flat.
 */
export function folderTree(state, mailbox) {
  const itemsByFolder = new Map();
  for (const it of state.items.get(mailbox) ?? []) {
    let list = itemsByFolder.get(it.folderId);
    if (!list) itemsByFolder.set(it.folderId, (list = []));
    list.push({
      id: it.itemId,
      changeKey: it.changeKey,
      dataHash: it.dataHash,
      size: it.size,
      receivedDateTime: isoSeconds(it.receivedAt ?? it.createdAt),
    });
  }
  const m = state.mailboxes.get(mailbox);
  if (!m) {
    const folders = [...itemsByFolder].map(([id, items]) => ({
      id, displayName: id, parentFolderId: null, type: "IPF.Note", wellKnownName: null, hidden: false, items, childFolders: [],
    }));
    return { mailbox, rootFolderId: null, folders };
  }
  const children = new Map();
  for (const f of state.folders.values()) {
    if (f.mailbox !== mailbox || f.root) continue;
    let list = children.get(f.parentFolderId);
    if (!list) children.set(f.parentFolderId, (list = []));
    list.push(f);
  }
  const node = (f) => ({
    id: f.id,
    displayName: f.displayName,
    parentFolderId: f.parentFolderId,
    type: f.type,
    wellKnownName: f.wellKnownName,
    hidden: f.hidden,
    items: itemsByFolder.get(f.id) ?? [],
    childFolders: (children.get(f.id) ?? []).map(node),
  });
  return { mailbox, rootFolderId: m.rootId, folders: (children.get(m.rootId) ?? []).map(node) };
}
