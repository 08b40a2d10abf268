// The Graph server: preflights, the control API's prefix, then every route after the checks they share
// (path, method, token, ids, missing mailboxes).

import { handleControl } from "../control.mjs";
import { exportItemsNormal } from "./export.mjs";
import { createFolderNormal } from "./folders.mjs";
import { readNormal } from "./reading.mjs";
import { parseGraphRoute } from "./router.mjs";
import { createImportSessionNormal } from "./sessions.mjs";
import { exchangeSettingsNormal } from "./settings.mjs";
import { graphCorsHeaders, graphError, preflight, WWW_AUTHENTICATE } from "../responses.mjs";
import { serve } from "../serve.mjs";

/** Graph's behaviour on every route: method, auth, ids, then the route itself. */
export function graphNormal(ctx, req, route, ids, bodyText = "", opts = {}) {
  if (!route.matched) {
    const pathname = req.url.split("?")[0];
    const last = pathname.split("/").filter(Boolean).pop() ?? "";
    return graphError(ids, 404, "ResourceNotFound", `Resource not found for the segment '${last}'.`);
  }
  if (req.method !== route.method) {
    return graphError(ids, 405, "BadRequest", "Specified HTTP method is not allowed for the request target.", {
      Allow: route.allow.join(", "),
    });
  }
  // Auth before anything about the mailbox, as Graph does.
  const auth = req.headers.authorization ?? "";
  const m = /^Bearer[ \t]+(\S.*)$/i.exec(auth);
  const token = m ? m[1].trim() : "";
  if (!token || token.startsWith("expired")) {
    return graphError(ids, 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", {
      "WWW-Authenticate": WWW_AUTHENTICATE,
    });
  }
  // An app-only token of the login server is good until its expires_in has passed (any other token is taken
  // on trust, as before).
  const appToken = ctx.state.appTokens.get(token);
  if (appToken && appToken.expiresAt <= Date.now()) {
    return graphError(ids, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", {
      "WWW-Authenticate": WWW_AUTHENTICATE,
    });
  }
  if (token.startsWith("forbidden")) {
    return graphError(ids, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
  }
  if (route.badId) {
    const what = route.name === "exchangeSettings" ? "user" : "mailbox";
    return graphError(ids, 400, "BadRequest", `Invalid ${what} id in the request URL.`);
  }
  if (route.badSegment) {
    return graphError(ids, 400, "BadRequest", "Invalid folder or item id in the request URL.");
  }
  if (route.mailbox !== null && route.mailbox.startsWith("missing")) {
    return graphError(
      ids,
      404,
      "ResourceNotFound",
      "The specified object was not found in the store., The process failed to get the correct properties.",
    );
  }
  switch (route.name) {
    case "createImportSession":
      return createImportSessionNormal(ctx, route, ids);
    case "exchangeSettings":
      return exchangeSettingsNormal(ctx, route, ids);
    case "exportItems":
      return exportItemsNormal(ctx, req, route, ids, bodyText);
    case "createFolder":
    case "createChildFolder":
      return createFolderNormal(ctx, req, route, ids, bodyText);
    default:
      return readNormal(ctx, req, route, ids, opts);
  }
}

export async function handleGraph(ctx, req, res) {
  const cors = graphCorsHeaders(req);
  const pathname = req.url.split("?")[0];
  if (req.method === "OPTIONS") {
    // Preflights are answered the same on every path, never faulted and never recorded.
    const headers = {
      ...cors,
      "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
      "Access-Control-Max-Age": "3600",
    };
    const asked = req.headers["access-control-request-headers"];
    if (asked) headers["Access-Control-Allow-Headers"] = asked;
    return preflight(res, headers);
  }
  if (pathname === "/_mock" || pathname.startsWith("/_mock/")) return handleControl(ctx, req, res, cors);
  const route = parseGraphRoute(pathname, req.method);
  return serve(ctx, "graph", req, res, route, cors, (body, ids, opts) => graphNormal(ctx, req, route, ids, body, opts));
}
