// Responses. Handlers build { status, headers, body } objects; `send` writes them with the server's CORS
// headers, so a fault can also run the normal handler and throw its answer away ("process": true).

import http from "node:http";
import { isoSeconds } from "./util.mjs";

// Graph's answer to a missing or bad token carries this challenge.
export const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
  'client_id="00000003-0000-0000-c000-000000000000"';

export const NOT_FOUND_IN_STORE = "The specified object was not found in the store.";

export function response(status, headers = {}, body = "") {
  return { status, headers, body };
}

export function json(status, obj, headers = {}) {
  return response(status, { "Content-Type": "application/json", ...headers }, JSON.stringify(obj));
}

/** Graph's error shape (graph-api.md §5), with request-id / client-request-id headers to match. */
export function graphError(ids, status, code, message, headers = {}) {
  const body = {
    error: {
      code,
      message,
      innerError: {
        date: isoSeconds(),
        "request-id": ids.requestId,
        "client-request-id": ids.clientRequestId,
      },
    },
  };
  return json(status, body, { ...graphIdHeaders(ids), ...headers });
}

export function graphIdHeaders(ids) {
  return { "request-id": ids.requestId, "client-request-id": ids.clientRequestId };
}

/** Headers of Graph's JSON answers. */
export function graphJson(status, body, ids, headers = {}) {
  return json(status, body, {
    "Content-Type": "application/json; odata.metadata=minimal",
    "OData-Version": "4.0",
    "Cache-Control": "no-cache",
    ...graphIdHeaders(ids),
    ...headers,
  });
}

/** The import host does not use Graph's error shape (graph-api.md §3): `{"Message": "..."}`. */
export function importError(ids, status, message, headers = {}) {
  return json(status, { Message: message }, { "request-id": ids.requestId, ...headers });
}

/** Writes an answer. With `hangInBody` (a set of hung responses), only the head and half the body go out and
 *  the rest never comes; the response joins the set so that close() can destroy it. */
export function send(res, record, r, hangInBody = null) {
  if (record) {
    record.status = r.status;
    record.endTime = Date.now();
  }
  const body = Buffer.from(r.body ?? "", "utf8");
  const headers = { ...r.headers };
  // 204 and 304 carry no body and no Content-Length.
  if (r.status !== 204 && r.status !== 304) headers["Content-Length"] = String(body.length);
  res.writeHead(r.status, headers);
  if (hangInBody) {
    res.write(body.subarray(0, body.length >> 1));
    hangInBody.add(res);
    res.once("close", () => hangInBody.delete(res));
    return;
  }
  res.end(r.status === 204 || r.status === 304 ? undefined : body);
}

/** CORS on every Graph answer, errors included. Retry-After is deliberately not exposed (graph-api.md §6). */
export function graphCorsHeaders(req) {
  const origin = req.headers.origin;
  return {
    "Access-Control-Allow-Origin": origin ?? "*",
    "Access-Control-Expose-Headers": "request-id, client-request-id",
    ...(origin ? { Vary: "Origin" } : {}),
  };
}

export function importCorsHeaders(req) {
  const origin = req.headers.origin;
  return { "Access-Control-Allow-Origin": origin ?? "*", ...(origin ? { Vary: "Origin" } : {}) };
}

export function withHeaders(r, headers) {
  return { ...r, headers: { ...r.headers, ...headers } };
}

export function htmlPage(status) {
  const title = `${status} ${http.STATUS_CODES[status] ?? "Error"}`;
  return (
    `<!DOCTYPE html>\n<html><head><title>${title}</title></head>\n` +
    `<body><center><h1>${title}</h1></center><hr><center>proxy</center></body></html>\n`
  );
}

export function preflight(res, headers) {
  res.writeHead(200, { ...headers, "Content-Length": "0" });
  res.end();
}
