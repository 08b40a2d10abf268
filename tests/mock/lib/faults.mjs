// Faults: the queued descriptions tests add (checked here), the answers of the kinds that answer in their own
// way, and the transport faults (delay, hang, reset) every server plays alike.

import { normalizeConfigValue } from "./config.mjs";
import { sessionBody } from "./graph/sessions.mjs";
import { ITEM_ID_PREFIX } from "./ids.mjs";
import { graphError, graphIdHeaders, htmlPage, importError, json, response, WWW_AUTHENTICATE } from "./responses.mjs";
import { ROUTES_BY_TARGET } from "./routes.mjs";
import { isPlainObject, randomToken, sleep } from "./util.mjs";

export const FAULT_KINDS = new Set([
  "status",
  "hang",
  "hangInBody",
  "reset",
  "malformedJson",
  "html",
  "emptyBody",
  "untrustedImportUrl",
  "missingFields",
  "delay",
  "redirect",
  "untrustedNextLink",
]);

// Fault kinds the login server knows (it has no session, list or redirect to spoil).
export const LOGIN_FAULT_KINDS = new Set(["status", "hang", "reset", "malformedJson", "html", "emptyBody", "delay"]);

// Where "untrustedImportUrl" and "redirect" faults point. Never contacted by the mock or its tests.
export const UNTRUSTED_ORIGIN = "https://evil.example.net";

/** Checks one fault description and fills in its defaults. Throws TypeError when it makes no sense. */
export function normalizeFault(f) {
  if (!isPlainObject(f)) throw new TypeError("a fault must be an object");
  const fault = { ...f };
  fault.target = f.target ?? "graph";
  if (!Object.hasOwn(ROUTES_BY_TARGET, fault.target)) {
    throw new TypeError(`fault target must be "graph", "import" or "login", got ${JSON.stringify(f.target)}`);
  }
  if (fault.target === "login" && !LOGIN_FAULT_KINDS.has(f.kind)) {
    throw new TypeError(`a login fault must be one of ${[...LOGIN_FAULT_KINDS].join(", ")}`);
  }
  if (fault.target === "login" && f.mailbox !== undefined) {
    throw new TypeError("a login fault has no mailbox");
  }
  if (f.mailbox !== undefined && typeof f.mailbox !== "string") {
    throw new TypeError("fault mailbox must be a string");
  }
  if (f.route !== undefined) {
    const routes = ROUTES_BY_TARGET[fault.target];
    const list = [f.route].flat();
    if (list.length === 0 || !list.every((r) => routes.includes(r))) {
      throw new TypeError(`fault route must be one of (or a list of) ${routes.join(", ")}`);
    }
    fault.route = list;
  }
  fault.times = f.times ?? 1;
  if (!Number.isInteger(fault.times) || fault.times < 1) {
    throw new TypeError("fault times must be a positive integer");
  }
  if (!FAULT_KINDS.has(f.kind)) {
    throw new TypeError(`unknown fault kind ${JSON.stringify(f.kind)}`);
  }
  const statusIn = (lo, hi) => Number.isInteger(fault.status) && fault.status >= lo && fault.status <= hi;
  switch (f.kind) {
    case "status":
      if (!statusIn(100, 599)) throw new TypeError("a status fault needs a status between 100 and 599");
      if (f.retryAfter !== undefined && typeof f.retryAfter !== "string" && typeof f.retryAfter !== "number") {
        throw new TypeError("retryAfter must be a string or a number");
      }
      break;
    case "html":
      fault.status = f.status ?? 502;
      if (!statusIn(100, 599)) throw new TypeError("html fault status must be between 100 and 599");
      break;
    case "emptyBody":
      fault.status = f.status ?? 200;
      if (!statusIn(100, 599)) throw new TypeError("emptyBody fault status must be between 100 and 599");
      break;
    case "redirect":
      fault.status = f.status ?? 307;
      if (![301, 302, 303, 307, 308].includes(fault.status)) {
        throw new TypeError("redirect fault status must be 301, 302, 303, 307 or 308");
      }
      if (f.location !== undefined && typeof f.location !== "string") {
        throw new TypeError("redirect location must be a string");
      }
      break;
    case "delay":
      if (typeof f.ms !== "number" || !(f.ms >= 0)) throw new TypeError("a delay fault needs ms >= 0");
      break;
    case "untrustedNextLink":
      if (fault.target !== "graph") throw new TypeError("an untrustedNextLink fault targets graph");
      if (f.base === null) throw new TypeError("untrustedNextLink base must be a URL");
      if (f.base !== undefined) fault.base = normalizeConfigValue("nextLinkBase", f.base);
      break;
    default:
      break;
  }
  return fault;
}

export const GRAPH_STATUS_DEFAULTS = {
  429: ["TooManyRequests", "Please retry again later."],
  503: ["ServiceUnavailable", "The service is temporarily unavailable. Please retry later."],
  504: ["GatewayTimeout", "The gateway did not receive a timely response from the upstream server."],
};

export const IMPORT_STATUS_MESSAGES = {
  429: "Too many requests. Please retry again later.",
  503: "The service is temporarily unavailable. Please retry later.",
  504: "The gateway did not receive a timely response from the upstream server.",
};

/** Builds the answer for a fault that answers in its own way (everything but hang, reset and delay). */
export function faultResponse(ctx, server, fault, req, route, ids) {
  const isGraph = server === "graph";
  const version = route.version ?? "v1.0";
  const mailbox = route.mailbox ?? "MBX:unknown";
  const idHeaders = isGraph ? graphIdHeaders(ids) : { "request-id": ids.requestId };
  switch (fault.kind) {
    case "status": {
      const extra = {};
      if (fault.retryAfter !== undefined) extra["Retry-After"] = String(fault.retryAfter);
      if (!isGraph) {
        const message = fault.message ?? IMPORT_STATUS_MESSAGES[fault.status] ?? "An internal server error occurred.";
        return importError(ids, fault.status, message, extra);
      }
      const [code, message] = GRAPH_STATUS_DEFAULTS[fault.status] ?? ["UnknownError", "An unexpected error occurred."];
      if (fault.status === 401) extra["WWW-Authenticate"] = WWW_AUTHENTICATE;
      return graphError(ids, fault.status, fault.code ?? code, fault.message ?? message, extra);
    }
    case "malformedJson": {
      let text;
      if (!isGraph) {
        text = `{"@odata.context":"${ctx.importUrlBase}/api/g${version}/$metadata","itemId": "${ITEM_ID_PREFIX}`;
      } else if (route.name === "exchangeSettings") {
        text = `{"@odata.context":"${ctx.graphUrl}/${version}/$metadata#users/settings/exchange/$entity","primaryMailboxId": "MBX:`;
      } else if (route.list || route.name === "exportItems") {
        text = `{"@odata.context":"${ctx.graphUrl}/${version}/$metadata#Collection","value": [{"id": "AAMkAD`;
      } else {
        text =
          `{"@odata.context":"${ctx.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession",` +
          `"importUrl": "${ctx.importUrlBase}/api/g${version}/Mailbo`;
      }
      return response(200, { "Content-Type": "application/json", ...idHeaders }, text);
    }
    case "html":
      // A proxy's page: no request-id (graph-api.md §5, "Bodies may not be JSON at all").
      return response(fault.status, { "Content-Type": "text/html" }, htmlPage(fault.status));
    case "emptyBody":
      return response(fault.status, { ...idHeaders }, "");
    case "untrustedImportUrl": {
      if (!isGraph) {
        // The import host has no session body to spoil; it redirects off-host instead.
        const location = `${UNTRUSTED_ORIGIN}${req.url.split("?")[0]}`;
        return response(307, { Location: location, ...idHeaders }, "");
      }
      const body = sessionBody(ctx, version, mailbox, UNTRUSTED_ORIGIN, randomToken(), Date.now() + ctx.state.config.sessionLifetimeMs);
      return json(200, body, { "Content-Type": "application/json; odata.metadata=minimal", ...idHeaders });
    }
    case "missingFields": {
      // Only @odata.context: no importUrl, no value, no primaryMailboxId.
      let context = `${ctx.importUrlBase}/api/g${version}/$metadata#Microsoft.Exchange.ImportItemResponse`;
      if (isGraph && route.name === "exchangeSettings") {
        context = `${ctx.graphUrl}/${version}/$metadata#users/settings/exchange/$entity`;
      } else if (isGraph && (route.list || route.name === "exportItems")) {
        context = `${ctx.graphUrl}/${version}/$metadata#Collection`;
      } else if (isGraph) {
        context = `${ctx.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession`;
      }
      return json(200, { "@odata.context": context }, { "Content-Type": "application/json; odata.metadata=minimal", ...idHeaders });
    }
    case "redirect": {
      const location = fault.location ?? `${UNTRUSTED_ORIGIN}${req.url.split("?")[0]}`;
      return response(fault.status, { Location: location, ...idHeaders }, "");
    }
    default:
      throw new Error(`no answer for fault kind ${fault.kind}`);
  }
}

/**
 * Plays the faults every server plays alike, around `run()` (which makes the request take effect and returns
 * the normal answer) and `answer(r)`: "delay" answers normally after fault.ms; "hang" never answers, "reset"
 * cuts the connection, both after taking effect when fault.process. Returns true when it played the fault,
 * false for any other kind (the caller answers those).
 */
export async function playTransportFault(ctx, req, res, fault, run, answer) {
  switch (fault.kind) {
    case "delay":
      await sleep(ctx, fault.ms);
      if (!ctx.closed) answer(run());
      return true;
    case "hang":
      // "process": the request takes effect (an item is created, a token issued), only the answer is lost.
      if (fault.process) run();
      ctx.hung.add(res);
      res.once("close", () => ctx.hung.delete(res));
      return true; // never answered; close() destroys the socket
    case "hangInBody":
      // The request takes effect and its answer starts: status, headers, half the body; the rest never comes.
      answer(run(), ctx.hung);
      return true;
    case "reset":
      if (fault.process) run();
      req.socket.destroy();
      return true;
    default:
      return false;
  }
}
