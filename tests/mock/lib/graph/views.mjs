// How folders and items of the store look on the wire (mailboxFolder and mailboxItem objects), computed per
// request from the mailbox's current contents.

import { mailboxPath } from "./links.mjs";
import { isoSeconds } from "../util.mjs";

export const FOLDER_PROPERTIES = [
  "id", "displayName", "parentFolderId", "childFolderCount", "totalItemCount", "type", "wellKnownName", "parentMailboxUrl",
];

export const ITEM_PROPERTIES = ["id", "changeKey", "type", "size", "createdDateTime", "lastModifiedDateTime", "categories"];

/**
 * A view of `mailbox` for one request: item counts per folder, child folders per folder (seeded mailboxes
 * only), and the functions that write folder and item objects for `version`.
 */
export function mailboxView(ctx, mailbox, version) {
  const { state } = ctx;
  const seeded = state.mailboxes.get(mailbox) ?? null;
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
    if (version === "beta") o.parentMailboxUrl = `${ctx.graphUrl}${mailboxPath(state, "beta", f.mailbox)}`;
    return o;
  };
  return { seeded, children, folderObject, itemObject };
}

/** A mailboxItem object. */
export function itemObject(it) {
  return {
    id: it.itemId,
    changeKey: it.changeKey,
    type: it.type ?? "IPM.Note",
    size: it.size,
    createdDateTime: isoSeconds(it.createdAt),
    lastModifiedDateTime: isoSeconds(it.updatedAt),
    categories: [...(it.categories ?? [])],
  };
}
