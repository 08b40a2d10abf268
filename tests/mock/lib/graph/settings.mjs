// GET /users/{user}/settings/exchange (graph-api.md §4).

import { graphError, graphJson } from "../responses.mjs";

/** GET /users/{user}/settings/exchange: the user's mailbox ids (graph-api.md §4). */
export function exchangeSettingsNormal(ctx, route, ids) {
  const { state } = ctx;
  const user = state.users.get(route.user.toLowerCase());
  if (!user) {
    return graphError(
      ids,
      404,
      "Request_ResourceNotFound",
      `Resource '${route.user}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  const body = {
    "@odata.context":
      `${ctx.graphUrl}/${route.version}/$metadata#users('${encodeURIComponent(route.user)}')/settings/exchange/$entity`,
    primaryMailboxId: user.primaryMailboxId,
  };
  if (user.inPlaceArchiveMailboxId !== null) body.inPlaceArchiveMailboxId = user.inPlaceArchiveMailboxId;
  else if (state.config.missingArchiveIdAs === "null") body.inPlaceArchiveMailboxId = null;
  return graphJson(200, body, ids);
}
