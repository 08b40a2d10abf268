// The tenant's directory: users, mailboxes, folders and items declared by a seed spec.
//
// spec = {
//   users: [{ user: "adele@contoso.com", id?, displayName?, primaryMailboxId, inPlaceArchiveMailboxId? }],
//   mailboxes: { "<mailboxId>": { rootFolderId?, folders: [{ id?, displayName, parentFolderId?, hidden?, type?,
//                                                        wellKnownName? }] } },
//   items: [{ id?, folderId, data (standard base64), changeKey?, type?, categories?, createdDateTime?,
//             lastModifiedDateTime?, receivedDateTime?, mailbox? }],
//   ids?: ignored (demoSeed's index of its ids)
// }
// A mailbox named anywhere in a seed is "seeded": it gets a root folder ("Top of Information Store",
// wellKnownName msgfolderroot) under which folders without parentFolderId sit, and reads of folders it does not
// have answer 404. Mailboxes never seeded stay lenient, as before: anything may be imported into any folder id
// there, and reading a folder id lists the items imported into it.

import { CHANGE_KEY_PREFIX } from "./ids.mjs";
import { hashData, isBase64, isPlainObject, nonEmptyString } from "./util.mjs";

export const SEED_KEYS = ["users", "mailboxes", "items", "ids"];

export const USER_KEYS = ["user", "id", "displayName", "primaryMailboxId", "inPlaceArchiveMailboxId"];

export const FOLDER_KEYS = ["id", "displayName", "parentFolderId", "hidden", "type", "wellKnownName"];

export const SEED_ITEM_KEYS = [
  "id", "folderId", "data", "changeKey", "type", "categories", "createdDateTime", "lastModifiedDateTime", "receivedDateTime",
  "mailbox",
];

/** A readable id for seeded objects without one, unique in the tenant: AAMkADFolder000001AAA= and the like. */
export function generatedId(state, kind, taken) {
  for (;;) {
    state.idCounter += 1;
    const id = `AAMkAD${kind}${String(state.idCounter).padStart(6, "0")}AAA=`;
    if (!taken(id)) return id;
  }
}

export function checkKeys(obj, allowed, what) {
  if (!isPlainObject(obj)) throw new TypeError(`${what} must be an object`);
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new TypeError(`unknown ${what} key ${JSON.stringify(k)}`);
  }
}

export function isoInput(v, what) {
  if (v === undefined) return undefined;
  const ms = typeof v === "string" ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`${what} must be an ISO date`);
  return ms;
}

/**
 * Applies a seed spec to the state: everything is checked first, then added (all or nothing). Throws
 * TypeError when the spec is wrong. Returns { users, mailboxes, folders, items } with the ids added.
 */
export function applySeed(state, spec) {
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
      // What items/delta's $filter=receivedDateTime compares; no property of mailboxItem shows it.
      const receivedAt = isoInput(it.receivedDateTime, "receivedDateTime") ?? createdAt;
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
        receivedAt,
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
