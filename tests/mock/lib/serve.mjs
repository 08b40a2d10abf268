// Request handling shared by the Graph server and the import host: records, in-flight counts and the
// concurrency limit, faults and chaos, latency, then the answer.

import { randomUUID } from "node:crypto";
import { faultResponse, IMPORT_STATUS_MESSAGES, playTransportFault } from "./faults.mjs";
import { importError, send, withHeaders } from "./responses.mjs";
import { readBody, sleep } from "./util.mjs";

// The 429 of a post over importConcurrencyLimit. The wording is Exchange's (graph-api.md §6; reported with
// code ApplicationThrottled in Graph's error shape); the import host answers {"Message"} like its other errors.
const CONCURRENCY_MESSAGE = "Application is over its MailboxConcurrency limit.";

/**
 * Runs one recorded request. On the import host a request over importConcurrencyLimit for its mailbox is
 * refused at once. Otherwise it counts in flight, consumes a fault if one applies (else, for an import post,
 * draws chaos), reads the body, waits the configured latency, then answers with the fault, the chaos outcome
 * or normally. `normal(bodyText, ids, opts)` returns the normal answer (`opts` serve the untrustedNextLink
 * fault: { linkBase, forceNextLink }); `cors` is added to every answer.
 */
export async function serve(ctx, server, req, res, route, cors, normal) {
  const { state } = ctx;
  const record = state.record(server, req, route.mailbox, route.name);
  let release = () => {};
  const answer = (r, hangInBody = null) => {
    release();
    state.countStatus(server, r.status);
    send(res, record, withHeaders(r, cors), hangInBody);
  };
  /** Reads and records the body; null when the client went away while sending. */
  const readText = async () => {
    let buf;
    try {
      buf = await readBody(req);
    } catch {
      return null;
    }
    const text = buf.toString("utf8");
    record.body = buf.length && state.config.recordBodies ? text : null;
    return text;
  };

  const limit = state.config.importConcurrencyLimit;
  if (server === "import" && route.mailbox !== null && limit !== null && state.inFlightFor(server, route.mailbox) >= limit) {
    // Over Exchange's per-mailbox limit: refused before anything else (no fault consumed, no chaos drawn,
    // no latency, nothing stored), and not counted in flight.
    record.fault = "concurrencyLimit";
    state.countRefused(route.mailbox);
    if ((await readText()) === null) return;
    const retryAfter = state.config.concurrencyRetryAfter;
    const extra = retryAfter === null ? {} : { "Retry-After": String(retryAfter) };
    return answer(importError({ requestId: randomUUID() }, 429, CONCURRENCY_MESSAGE, extra));
  }
  release = state.track(server, route.mailbox, res, route.name);
  const fault = state.takeFault(server, route);
  record.fault = fault ? fault.kind : null;
  // Chaos: drawn at arrival, in arrival order, for import posts that no queued fault claimed.
  const chaos = !fault && server === "import" && route.matched && req.method === "POST" ? state.drawChaos() : null;
  record.chaos = chaos;

  const bodyText = await readText();
  if (bodyText === null) return; // the client went away while sending

  const ids = {
    requestId: randomUUID(),
    clientRequestId: req.headers["client-request-id"] || randomUUID(),
  };
  const run = () => {
    const r = normal(bodyText, ids);
    if (ids.itemId) record.itemId = ids.itemId;
    return r;
  };

  const latency = server === "import" ? state.config.importLatencyMs : state.config.graphLatencyMs;
  if (latency > 0) {
    await sleep(ctx, latency);
    if (ctx.closed) return;
  }

  switch (chaos) {
    case "throttle": {
      const retryAfter = state.config.chaos?.retryAfter ?? null;
      const extra = retryAfter === null ? {} : { "Retry-After": String(retryAfter) };
      return answer(importError(ids, 429, IMPORT_STATUS_MESSAGES[429], extra));
    }
    case "resetBeforeProcess":
      req.socket.destroy();
      return;
    case "resetAfterProcess":
      // The post takes effect (an item is created), then the connection dies: the client never hears.
      run();
      req.socket.destroy();
      return;
    default:
      break;
  }

  if (!fault) return answer(run());
  if (await playTransportFault(ctx, req, res, fault, run, answer)) return;
  switch (fault.kind) {
    case "untrustedNextLink":
      // The normal page, but its @odata.nextLink points at the untrusted host (the elsewhere server by default).
      return answer(normal(bodyText, ids, { linkBase: fault.base ?? ctx.elsewhereUrl, forceNextLink: true }));
    default:
      return answer(faultResponse(ctx, server, fault, req, route, ids));
  }
}
