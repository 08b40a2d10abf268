// The "elsewhere" server: a host no token may reach. It answers every request (preflights included, allowing
// whatever was asked, so a browser would really send what follows) with 200 {"value":[]} and records it.

import { json, send } from "./responses.mjs";
import { readBody } from "./util.mjs";

/**
 * The "elsewhere" server: a host no token may reach. It answers every request (preflights included, allowing
 * whatever was asked, so a browser would really send what follows) with 200 {"value":[]} and records it.
 */
export async function handleElsewhere(ctx, req, res) {
  const record = {
    method: req.method,
    path: req.url,
    headers: { ...req.headers },
    body: null,
    time: Date.now(),
  };
  ctx.state.elsewhereRequests.push(record);
  let buf;
  try {
    buf = await readBody(req);
  } catch {
    return;
  }
  record.body = buf.length ? buf.toString("utf8") : null;
  const origin = req.headers.origin;
  const headers = { "Access-Control-Allow-Origin": origin ?? "*" };
  if (req.method === "OPTIONS") {
    headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
    if (req.headers["access-control-request-headers"]) {
      headers["Access-Control-Allow-Headers"] = req.headers["access-control-request-headers"];
    }
  }
  send(res, null, json(200, { value: [] }, headers));
}
