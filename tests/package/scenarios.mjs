// The scenarios every runtime runs through the installed package: Node directly, Chromium in a page (plain
// ESM and an esbuild bundle), workerd inside a worker. Plain JavaScript with no imports, so the same file is
// served to the page and bundled into the worker; results come back as JSON for support.mjs to check
// against what the mock saw.

export const SEED_MAILBOX = "MBX:e0643f21@a7809c93";
export const SEED_TOKEN = "t0k3n";

/** A MailboxError (or anything else a call rejected with) as JSON. */
function describeError(api, e) {
  return {
    isError: e instanceof Error,
    isMailboxError: api.isMailboxError(e),
    name: e?.name,
    code: e?.code,
    status: e?.status,
    graphCode: e?.graphCode,
    requestId: e?.requestId,
    clientRequestId: e?.clientRequestId,
    retryAfterMs: e?.retryAfterMs,
    attempts: e?.attempts,
    message: String(e?.message),
  };
}

async function settle(api, call) {
  try {
    const value = await call();
    return {
      ok: true,
      value,
      keys: Object.keys(value),
      plainObject: Object.getPrototypeOf(value) === Object.prototype,
    };
  } catch (e) {
    return { ok: false, error: describeError(api, e) };
  }
}

/**
 * Notes the `request-id` of every response the runtime's global `fetch` returns while `body` runs. The mock
 * records requests, not its answers' headers, and a MailboxError's `requestId` must be the one Graph
 * answered with. The wrapper only watches: arguments and responses pass through untouched.
 */
async function observeResponses(body) {
  const original = globalThis.fetch;
  const seen = [];
  globalThis.fetch = (...args) =>
    Reflect.apply(original, globalThis, args).then((response) => {
      seen.push({ url: response.url, status: response.status, requestId: response.headers.get("request-id") });
      return response;
    });
  try {
    return { result: await body(), seen };
  } finally {
    globalThis.fetch = original;
  }
}

/**
 * env: { graphUrl, importPort, mailboxes: { throttled, forbidden, abortInRequest, abortInBody }, retryBaseDelayMs }.
 * The calls run at once: they use different mailboxes, and the throttled one waits a second.
 */
export async function runScenarios(api, env) {
  const options = (extra) => ({
    token: SEED_TOKEN,
    graphBaseUrl: env.graphUrl,
    trustedImportHosts: [`127.0.0.1:${env.importPort}`],
    ...extra,
  });
  const forbiddenToken = `forbidden-${Math.random().toString(36).slice(2)}-secret`;
  const forbiddenPath = `/mailboxes/${encodeURIComponent(env.mailboxes.forbidden)}/`;

  // A signal that aborts `ms` from now, with an Error of its own as the reason.
  const abortAfter = (ms, message) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error(message)), ms);
    return controller.signal;
  };

  const { result, seen } = await observeResponses(() =>
    Promise.all([
      settle(api, () => api.createImportSession(SEED_MAILBOX, options())),
      // In a page Retry-After is not exposed by CORS, so the retry follows the backoff from retryBaseDelayMs;
      // elsewhere it waits the one second the mock asked for.
      settle(api, () =>
        api.createImportSession(env.mailboxes.throttled, options({ retryBaseDelayMs: env.retryBaseDelayMs })),
      ),
      settle(api, () => api.createImportSession(env.mailboxes.forbidden, options({ token: forbiddenToken }))),
      // Aborted while waiting for the answer's head, and while reading its body.
      settle(api, () =>
        api.createImportSession(env.mailboxes.abortInRequest, options({ signal: abortAfter(300, "stop in request") })),
      ),
      settle(api, () =>
        api.createImportSession(env.mailboxes.abortInBody, options({ signal: abortAfter(300, "stop in body") })),
      ),
    ]),
  );
  const [seed, throttled, forbidden, abortInRequest, abortInBody] = result;
  forbidden.token = forbiddenToken;
  forbidden.responses = seen.filter((r) => r.url.includes(forbiddenPath));
  return { seed, throttled, forbidden, abortInRequest, abortInBody };
}
