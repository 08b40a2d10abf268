// HTTP plumbing: the Worker's own errors, JSON answers, CORS, size- and time-limited body reading, and
// redaction of anything secret from text that leaves the Worker (responses and log lines).

/** A refusal by the Worker itself: an HTTP status, a stable code and a message for people. */
export class WorkerError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.name = "WorkerError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** HTTP status for each MailboxError code of the package (see docs/api.md, "Errors"). */
export const STATUS_FOR_CODE = Object.freeze({
  invalidArgument: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  throttled: 429,
  serviceUnavailable: 503,
  timeout: 504,
  graphError: 502,
  network: 502,
  outcomeUnknown: 502,
  sessionExpired: 502,
  untrustedImportUrl: 502,
  invalidResponse: 502,
  tokenProviderFailed: 502,
});

/** Headers every answer carries: never cached (a session's importUrl is a credential), and its request id. */
function baseHeaders(requestId) {
  return {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "request-id": requestId,
  };
}

export function json(status, body, requestId, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { ...baseHeaders(requestId), ...headers } });
}

/** `{error: {code, message, requestId, ...}}` with the status that fits. */
export function errorResponse(status, error, requestId, headers = {}) {
  return json(status, { error: { ...error, requestId: error.requestId ?? requestId } }, requestId, headers);
}

// ---------------------------------------------------------------------------------------------------------
// CORS: only origins on the ALLOWED_ORIGINS list, echoed one at a time; never "*".

export const ALLOWED_METHODS = "POST, OPTIONS";
/** What a preflight allows: the relay routes' POST, and DELETE for jobs (GET needs no preflight's leave). */
export const PREFLIGHT_METHODS = "POST, DELETE, OPTIONS";
export const ALLOWED_HEADERS = "authorization, content-type, x-api-key";

/** The CORS headers of an answer to `origin` (an allowed origin, or null for a request without Origin). */
export function corsHeaders(origin) {
  if (!origin) return { vary: "Origin" };
  return {
    "access-control-allow-origin": origin,
    "access-control-expose-headers": "request-id, retry-after",
    vary: "Origin",
  };
}

/** The answer to a preflight from an allowed origin. */
export function preflight(origin, requestId) {
  return new Response(null, {
    status: 204,
    headers: {
      "request-id": requestId,
      "access-control-allow-origin": origin,
      "access-control-allow-methods": PREFLIGHT_METHODS,
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": "600",
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Bodies

/** A route's JSON body read under the Worker's size limit and deadline; the bytes read go to its log line. */
export async function readRequestBody(request, config, log) {
  const read = {};
  try {
    const { maxBodyBytes: maxBytes, bodyTimeoutMs: timeoutMs } = config.limits;
    return await readJsonBody(request, { maxBytes, timeoutMs }, read);
  } finally {
    log.bodyBytes = read.bytes;
  }
}

/**
 * Reads a JSON body of at most `maxBytes` bytes, received in full within `timeoutMs`. A declared
 * Content-Length over the limit is refused with 413 before anything is read; a body without one (chunked)
 * is read until it passes the limit, then the rest is cancelled. A body still arriving at the deadline is
 * cancelled and refused with 408, so a caller trickling bytes cannot hold the request open. Returns the
 * parsed value, or `undefined` for an empty body. `progress.bytes` counts the bytes read (for the log line).
 */
export async function readJsonBody(request, { maxBytes, timeoutMs }, progress = {}) {
  progress.bytes = 0;
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d+$/.test(declared)) throw new WorkerError(400, "invalidArgument", "Content-Length is not a number.");
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
  }
  if (!request.body) return undefined;
  const reader = request.body.getReader();
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(tooSlow(timeoutMs)), timeoutMs);
  });
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      total += value.byteLength;
      progress.bytes = total;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (total === 0) return undefined;
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new WorkerError(415, "unsupportedMediaType", "Send the body as JSON, with Content-Type: application/json.");
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new WorkerError(400, "invalidArgument", "The body is not UTF-8 text.");
  }
  try {
    return JSON.parse(text);
  } catch {
    // The parser's own message quotes the body: not repeated here.
    throw new WorkerError(400, "invalidArgument", "The body is not valid JSON.");
  }
}

function tooSlow(timeoutMs) {
  return new WorkerError(408, "requestTimeout", `The body did not arrive in full within ${timeoutMs} ms.`);
}

function tooLarge(maxBytes) {
  return new WorkerError(413, "payloadTooLarge", `The body is larger than this Worker accepts (${maxBytes} bytes).`);
}

// ---------------------------------------------------------------------------------------------------------
// Redaction

/**
 * Removes secrets from text bound for a response or a log: every value in `secrets` (the client secret,
 * relay keys, the caller's bearer token, app tokens), `authtoken=` query values and bearer credentials.
 */
export function redact(text, secrets = []) {
  let out = String(text);
  for (const secret of secrets) {
    if (typeof secret === "string" && secret.length >= 8) out = out.split(secret).join("[redacted]");
  }
  return out
    .replace(/(authtoken=)[^&\s"'<>]+/gi, "$1[redacted]")
    .replace(/(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, "$1[redacted]")
    .replace(/(client_secret=)[^&\s"'<>]+/gi, "$1[redacted]");
}
