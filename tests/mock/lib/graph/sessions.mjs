// POST /admin/exchange/mailboxes/{id}/createImportSession (graph-api.md §2).

import { graphJson } from "../responses.mjs";
import { isoTicks, randomToken } from "../util.mjs";

export function sessionBody(ctx, version, mailbox, importOrigin, authtoken, expiresAt) {
  const importUrl =
    `${importOrigin}/api/g${version}/Mailboxes('${encodeURIComponent(mailbox)}')/importItem` +
    `?authtoken=${authtoken}`;
  return {
    "@odata.context": `${ctx.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession`,
    importUrl,
    expirationDateTime: isoTicks(expiresAt),
  };
}

/** createImportSession (graph-api.md §2). */
export function createImportSessionNormal(ctx, route, ids) {
  const { state } = ctx;
  const authtoken = randomToken();
  const expiresAt = Date.now() + state.config.sessionLifetimeMs;
  const body = sessionBody(ctx, route.version, route.mailbox, ctx.importUrlBase, authtoken, expiresAt);
  state.sessions.set(authtoken, {
    authtoken,
    mailbox: route.mailbox,
    version: route.version,
    importPath: new URL(body.importUrl).pathname,
    importUrl: body.importUrl,
    expiresAt,
    expirationDateTime: body.expirationDateTime,
  });
  return graphJson(state.config.createSessionStatus, body, ids);
}
