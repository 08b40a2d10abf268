// POST /admin/exchange/mailboxes/{id}/exportItems (graph-api.md §4).

import { archiveTargetFor } from "../directory.mjs";
import { readJsonBody } from "./json-body.mjs";
import { mailboxPath } from "./links.mjs";
import { graphError, graphJson, NOT_FOUND_IN_STORE } from "../responses.mjs";
import { isPlainObject, nonEmptyString } from "../util.mjs";

/** POST .../exportItems {"itemIds": [...]}: at most 20 ids, results in request order (graph-api.md §4). */
export function exportItemsNormal(ctx, req, route, ids, bodyText) {
  const { state } = ctx;
  const config = state.config;
  const read = readJsonBody(ctx, req, ids, bodyText);
  if (read.error) return read.error;
  const { body } = read;
  if (!isPlainObject(body) || !Array.isArray(body.itemIds)) {
    return graphError(ids, 400, "BadRequest", "The request body must carry itemIds, an array of item ids.");
  }
  const itemIds = body.itemIds;
  if (!itemIds.every(nonEmptyString)) {
    return graphError(ids, 400, "BadRequest", "Every entry of itemIds must be a non-empty string.");
  }
  if (itemIds.length === 0) return graphError(ids, 400, "BadRequest", "itemIds must name at least one item.");
  if (itemIds.length > 20) {
    return graphError(ids, 400, "BadRequest", "The number of items to export exceeds the maximum of 20 per request.");
  }
  const key = config.exportErrorKey;
  const failed = (itemId, code, message, spelling = key) => ({ itemId, [spelling]: { code, message } });
  const value = itemIds.map((itemId) => {
    if (Object.hasOwn(config.exportItemErrors, itemId)) {
      const e = config.exportItemErrors[itemId];
      return failed(itemId, e.code, e.message, e.key ?? key);
    }
    const item = state.itemIndex.get(itemId);
    if (!item) return failed(itemId, "ErrorItemNotFound", NOT_FOUND_IN_STORE);
    if (item.mailbox !== route.mailbox) {
      // An item of the user's archive asked for through the primary mailbox: post it again there.
      if (archiveTargetFor(state, route.mailbox, item.folderId) === item.mailbox) {
        const url = `${ctx.graphUrl}${mailboxPath(state, route.version, item.mailbox)}/exportItems`;
        return failed(itemId, "ErrorArchiveFolderMovedPermanently", config.archiveMovedMessage.replaceAll("{url}", url));
      }
      return failed(itemId, "ErrorItemNotFound", NOT_FOUND_IN_STORE);
    }
    if (item.data === null) {
      return failed(itemId, "ErrorMockDataNotStored", "The mock tenant kept no data for this item (storeItemData is false).");
    }
    return { itemId, changeKey: item.changeKey, data: item.data };
  });
  return graphJson(
    200,
    { "@odata.context": `${ctx.graphUrl}/${route.version}/$metadata#Collection(microsoft.graph.exportItemResponse)`, value },
    ids,
  );
}
