// A Cloudflare Worker that admin portals call to move items into Exchange Online mailboxes through Microsoft
// Graph's mailbox import/export API, with the graph-mailbox-import package.
//
//   POST /mailboxes/{id}/import-sessions   an import session for the mailbox: {importUrl, expirationDateTime}
//   POST /mailboxes/{id}/items             one item {folderId, data, ...} or a small batch {items: [...]}
//   POST /mailboxes/{id}/copy              {sourceMailboxId, itemIds, folderId}: copies items into this mailbox
//
// JSON in and out; every error is {error: {code, message, requestId}} with a fitting HTTP status. Token mode,
// allowed portal origins and limits come from wrangler.toml [vars] and secrets (see README.md).

import { isMailboxError, MailboxClient } from "graph-mailbox-import";

import { appTokenProvider, delegatedToken } from "./auth.js";
import { readConfig } from "./config.js";
import { appOnlyCaller, readPortalSettings } from "./entra-id.js";
import {
  ALLOWED_METHODS,
  corsHeaders,
  errorResponse,
  json,
  preflight,
  readRequestBody,
  redact,
  STATUS_FOR_CODE,
  WorkerError,
} from "./http.js";
import { checkCopyRequest, checkItemsRequest, checkSessionRequest, mailboxIdFromPath } from "./validate.js";
import { checkJobsAvailable, findJobRoute, handleJobRoute } from "./jobs/routes.js";
import { readJobSettings } from "./jobs/settings.js";

// Migration jobs (README "Migration jobs"): the Durable Object classes wrangler.toml binds.
export { JobDirectory } from "./jobs/directory-object.js";
export { MailboxJobs } from "./jobs/mailbox-object.js";

const ROUTES = [
  { name: "import-sessions", pattern: /^\/mailboxes\/([^/]+)\/import-sessions$/, handle: createSession },
  { name: "items", pattern: /^\/mailboxes\/([^/]+)\/items$/, handle: importItems },
  { name: "copy", pattern: /^\/mailboxes\/([^/]+)\/copy$/, handle: copyItems },
];

export default {
  async fetch(request, env) {
    const started = Date.now();
    const requestId = crypto.randomUUID();
    const log = { requestId, method: request.method, route: null, status: 0, code: null };
    // Values to scrub from anything this request writes to a response or a log line.
    const secrets = [];
    let response;
    try {
      response = await handle(request, env, { requestId, log, secrets });
    } catch (error) {
      response = failure(error, requestId, log, secrets);
    }
    log.status = response.status;
    log.ms = Date.now() - started;
    console.log(redact(JSON.stringify(log), secrets));
    return response;
  },
};

async function handle(request, env, { requestId, log, secrets }) {
  const { config, problems: configProblems } = readConfig(env);
  const { portal, problems: portalProblems } = readPortalSettings(env);
  const { problems: jobProblems } = readJobSettings(env);
  const problems = [...(configProblems ?? []), ...(portalProblems ?? []), ...(jobProblems ?? [])];
  if (!config || problems.length) {
    // Names of the settings only, never their values; the caller learns nothing more than "misconfigured".
    log.problems = problems;
    throw new WorkerError(500, "workerMisconfigured", "The Worker is not configured correctly; its operator can see why in its logs.");
  }
  log.mode = config.mode;
  secrets.push(...config.secrets);

  // Browsers send Origin on every cross-origin request: only the portals on the allowlist may call.
  const origin = request.headers.get("origin");
  if (origin !== null && !config.allowedOrigins.has(origin)) {
    log.origin = origin.slice(0, 200);
    throw new WorkerError(403, "forbidden", "This origin is not allowed to call this Worker.");
  }
  const cors = corsHeaders(origin);
  const withCors = (response) => {
    for (const [k, v] of Object.entries(cors)) response.headers.set(k, v);
    return response;
  };
  if (request.method === "OPTIONS") {
    if (origin === null) return new Response(null, { status: 204, headers: { allow: ALLOWED_METHODS, "request-id": requestId } });
    return preflight(origin, requestId);
  }

  try {
    const url = new URL(request.url);
    // Jobs (src/jobs/routes.js) have their own methods, and app-only callers: a portal user or the relay key.
    const jobRoute = findJobRoute(url.pathname);
    if (jobRoute) {
      log.route = jobRoute.name;
      checkJobsAvailable(config, env);
      const caller = await appOnlyCaller(request, config, portal, log, secrets);
      return withCors(await handleJobRoute(jobRoute, { request, env, url, config, requestId, log, caller }));
    }
    const route = ROUTES.find((r) => r.pattern.test(url.pathname));
    if (!route) throw new WorkerError(404, "notFound", "No such route. See the Worker's README for its routes.");
    log.route = route.name;
    if (request.method !== "POST") {
      throw new WorkerError(405, "methodNotAllowed", "This route takes POST only.", { allow: ALLOWED_METHODS });
    }
    const mailboxId = mailboxIdFromPath(route.pattern.exec(url.pathname)[1]);

    let token;
    if (config.mode === "delegated") {
      token = delegatedToken(request);
      secrets.push(token);
    } else {
      await appOnlyCaller(request, config, portal, log, secrets);
      const provider = appTokenProvider(config.app);
      // The tokens the provider hands out are secrets too: remembered for this request's redaction.
      token = async (tokenRequest) => {
        const appToken = await provider(tokenRequest);
        secrets.push(appToken);
        return appToken;
      };
    }

    const body = await readRequestBody(request, config, log);
    const client = new MailboxClient(clientOptions(config, token));
    try {
      return withCors(await route.handle({ client, mailboxId, body, config, requestId, log, secrets }));
    } finally {
      client.free();
    }
  } catch (error) {
    return withCors(failure(error, requestId, log, secrets));
  }
}

/** The package's ClientOptions from the settings; unset ones are left to the package's defaults. */
function clientOptions(config, token) {
  const { graphBaseUrl, apiVersion, trustedImportHosts } = config.graph;
  const options = {
    token,
    maxRetryDelayMs: config.limits.maxRetryDelayMs,
    mailboxConcurrency: config.limits.importConcurrency,
  };
  if (graphBaseUrl) options.graphBaseUrl = graphBaseUrl;
  if (apiVersion) options.apiVersion = apiVersion;
  if (trustedImportHosts.length) options.trustedImportHosts = trustedImportHosts;
  return options;
}

// ---------------------------------------------------------------------------------------------------------
// Routes

/** POST /mailboxes/{id}/import-sessions: 201 {importUrl, expirationDateTime}. The importUrl is a credential. */
async function createSession({ client, mailboxId, body, requestId }) {
  checkSessionRequest(body);
  const session = await client.createImportSession(mailboxId);
  return json(201, { importUrl: session.importUrl, expirationDateTime: session.expirationDateTime }, requestId);
}

/** POST /mailboxes/{id}/items: one item (201 {itemId, changeKey}, 200 for an update) or a batch (200 report). */
async function importItems({ client, mailboxId, body, config, requestId, log, secrets }) {
  const { single, items } = checkItemsRequest(body, config.limits);
  if (single) {
    const { itemId, changeKey } = await client.importItem(mailboxId, single);
    return json(single.mode === "update" ? 200 : 201, { itemId, changeKey }, requestId);
  }
  const report = await client.importItems(mailboxId, items, { concurrency: config.limits.importConcurrency });
  log.items = items.length;
  return json(200, reportJson(report, secrets), requestId);
}

/** POST /mailboxes/{id}/copy: copies {sourceMailboxId, itemIds} into folderId of this mailbox; 200 report. */
async function copyItems({ client, mailboxId, body, config, requestId, log, secrets }) {
  const { sourceMailboxId, itemIds, folderId } = checkCopyRequest(body, config.limits);
  const report = await client.copyItems(
    { mailboxId: sourceMailboxId, itemIds },
    { mailboxId, folderId },
    { concurrency: config.limits.importConcurrency },
  );
  log.items = itemIds.length;
  return json(200, reportJson(report, secrets), requestId);
}

/** An ImportReport as JSON: per-item errors reduced to their code, message and ids. */
function reportJson(report, secrets) {
  return {
    imported: report.imported,
    failed: report.failed,
    outcomeUnknown: report.outcomeUnknown,
    results: report.results.map((r) => {
      const out = { index: r.index, status: r.status };
      if (r.sourceItemId !== undefined) out.sourceItemId = r.sourceItemId;
      if (r.itemId !== undefined) out.itemId = r.itemId;
      if (r.changeKey !== undefined) out.changeKey = r.changeKey;
      if (r.error) out.error = mailboxErrorJson(r.error, secrets);
      return out;
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Errors

/** A MailboxError's public fields; its message is the package's (never a token), scrubbed again anyway. */
function mailboxErrorJson(error, secrets) {
  const out = { code: error.code, message: redact(error.message, secrets) };
  if (error.requestId) out.requestId = error.requestId;
  if (error.clientRequestId) out.clientRequestId = error.clientRequestId;
  if (error.status !== undefined) out.upstreamStatus = error.status;
  if (error.graphCode) out.graphCode = error.graphCode;
  if (error.retryAfterMs !== undefined) out.retryAfterMs = error.retryAfterMs;
  return out;
}

/** The answer for anything thrown: the Worker's own refusals, the package's errors, or a bug. */
function failure(error, requestId, log, secrets) {
  if (error instanceof WorkerError) {
    log.code = error.code;
    return errorResponse(error.status, { code: error.code, message: error.message }, requestId, error.headers);
  }
  if (isMailboxError(error)) {
    const body = mailboxErrorJson(error, secrets);
    log.code = error.code;
    log.upstream = body;
    const headers = {};
    if (error.code === "throttled" && error.retryAfterMs !== undefined) {
      headers["retry-after"] = String(Math.ceil(error.retryAfterMs / 1000));
    }
    if (error.code === "tokenProviderFailed") {
      // The app-only token could not be had (Entra refused the Worker's own credentials, or could not be
      // reached): the operator's problem, told in the log; the caller only learns that.
      return errorResponse(
        502,
        { code: error.code, message: "The Worker could not get an app-only token from Microsoft Entra ID.", requestId },
        requestId,
      );
    }
    if (error.code === "unauthorized" && log.mode === "delegated") {
      headers["www-authenticate"] = 'Bearer realm="graph-mailbox-import", error="invalid_token"';
    }
    return errorResponse(STATUS_FOR_CODE[error.code] ?? 502, body, requestId, headers);
  }
  // A bug: its name only, the message could hold anything.
  log.code = "internalError";
  log.error = error instanceof Error ? error.name : typeof error;
  return errorResponse(500, { code: "internalError", message: "The Worker failed unexpectedly." }, requestId);
}
