// URLs the Graph server writes: mailbox ids in links, query strings, and the 308 to an archive mailbox.

import { graphIdHeaders, response } from "../responses.mjs";

/** A mailbox id as the mock writes it into URLs (linkIdStyle: the docs keep ":" and "@" raw). */
export function linkId(state, id) {
  const encoded = encodeURIComponent(id);
  return state.config.linkIdStyle === "docs" ? encoded.replace(/%3A/gi, ":").replace(/%40/gi, "@") : encoded;
}

export function mailboxPath(state, version, mailbox) {
  return `/${version}/admin/exchange/mailboxes/${linkId(state, mailbox)}`;
}

/** A query string that keeps `$` in option names readable ($top, $skiptoken), as Graph's links do. */
export function queryString(pairs) {
  return pairs.map(([k, v]) => `${encodeURIComponent(k).replace(/%24/g, "$")}=${encodeURIComponent(v)}`).join("&");
}

/** A 308 to the same path and query under `mailbox`, on graphUrl (graph-api.md §4, archive redirects). */
export function archiveRedirect(ctx, req, mailbox, ids) {
  const at = req.url.indexOf("?");
  const path = at < 0 ? req.url : req.url.slice(0, at);
  const query = at < 0 ? "" : req.url.slice(at);
  const parts = path.split("/"); // ["", version, "admin", "exchange", "mailboxes", id, ...]
  parts[5] = linkId(ctx.state, mailbox);
  return response(308, { Location: `${ctx.graphUrl}${parts.join("/")}${query}`, ...graphIdHeaders(ids) }, "");
}
