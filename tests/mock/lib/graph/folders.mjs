// POST /admin/exchange/mailboxes/{id}/folders and .../folders/{id}/childFolders: folder creation (Microsoft's
// page mailbox-post-folders: body {displayName, type}, 201 with the mailboxFolder).

import { resolveFolder } from "../directory.mjs";
import { readJsonBody } from "./json-body.mjs";
import { archiveRedirect, linkId } from "./links.mjs";
import { mailboxView } from "./views.mjs";
import { graphError, graphJson, NOT_FOUND_IN_STORE } from "../responses.mjs";
import { childrenNamed, createFolder, ensureMailbox, isFolderType } from "../store.mjs";
import { isPlainObject } from "../util.mjs";

/**
 * Creates a folder under the mailbox's root (createFolder) or under `{folderId}` (createChildFolder; an id or a
 * well-known name). The docs call `type` required; a body without it gets IPF.Note here, as Outlook's own
 * folders do. Other properties (the docs' example sends singleValueExtendedProperties) are ignored. A name
 * already taken under the parent (any case): 409 ErrorFolderExists, or a second folder with
 * duplicateFolderNames "allow" (UNKNOWN for this API). A mailbox never seeded becomes seeded (and strict).
 */
export function createFolderNormal(ctx, req, route, ids, bodyText) {
  const { state } = ctx;
  const read = readJsonBody(ctx, req, ids, bodyText);
  if (read.error) return read.error;
  const { body } = read;
  if (!isPlainObject(body)) return graphError(ids, 400, "BadRequest", "The request body must be a mailboxFolder object.");
  const { displayName, type } = body;
  if (typeof displayName !== "string" || displayName.trim() === "") {
    return graphError(ids, 400, "ErrorInvalidRequest", "The displayName of a folder must be a non-empty string.");
  }
  if (type !== undefined && !isFolderType(type)) {
    return graphError(ids, 400, "ErrorInvalidRequest", "The type of a folder must be a folder class such as IPF.Note.");
  }

  let parent;
  if (route.name === "createChildFolder") {
    const found = resolveFolder(state, route.mailbox, route.folderId);
    if (found.redirect) return archiveRedirect(ctx, req, found.redirect, ids);
    if (found.notFound || found.implicit !== undefined) return graphError(ids, 404, "ErrorItemNotFound", NOT_FOUND_IN_STORE);
    parent = found.folder;
  } else {
    parent = state.folders.get(ensureMailbox(state, route.mailbox).rootId);
  }
  if (state.config.duplicateFolderNames === "conflict" && childrenNamed(state, parent.id, displayName).length > 0) {
    return graphError(ids, 409, "ErrorFolderExists", "A folder with the specified name already exists.");
  }
  const folder = createFolder(state, parent, { displayName, type: type ?? "IPF.Note" });
  const { folderObject } = mailboxView(ctx, route.mailbox, route.version);
  const context = `${ctx.graphUrl}/${route.version}/$metadata#admin/exchange/mailboxes/${linkId(state, route.mailbox)}/folders/$entity`;
  return graphJson(201, { "@odata.context": context, ...folderObject(folder) }, ids);
}
