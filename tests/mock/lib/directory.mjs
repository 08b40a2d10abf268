// Which folder a folder id names in a mailbox, and when its contents live in another (archive) mailbox.

/**
 * Where reads of `folderId` through `mailbox` must go instead (308 for reads, 409 on the import host,
 * ErrorArchiveFolderMovedPermanently from exportItems), or null. A folder listed in the archiveFolders config
 * goes to that archive from any other mailbox; a seeded folder of a user's archive goes there from the user's
 * primary mailbox.
 */
export function archiveTargetFor(state, mailbox, folderId) {
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
export function resolveFolder(state, mailbox, folderId) {
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
