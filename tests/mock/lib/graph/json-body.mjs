// The JSON body of a Graph POST (exportItems, folder creation).

import { graphError } from "../responses.mjs";

/**
 * The parsed body, or Graph's 400 when it cannot be read: no `Content-Type: application/json` (parameters
 * allowed; requireJsonContentType false lifts it) or not JSON. Returns { body } or { error }.
 */
export function readJsonBody(ctx, req, ids, bodyText) {
  const unreadable = () => ({
    error: graphError(
      ids,
      400,
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    ),
  });
  if (ctx.state.config.requireJsonContentType) {
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") return unreadable();
  }
  try {
    return { body: JSON.parse(bodyText) };
  } catch {
    return unreadable();
  }
}
