// Login server: Microsoft Entra ID's token endpoint, the client credentials grant only
// (POST /{tenant}/oauth2/v2.0/token, form-encoded client_id, client_secret, scope, grant_type).

import { randomUUID } from "node:crypto";
import { jwksDocument, openidConfiguration, tenantIdOf } from "./entra.mjs";
import { playTransportFault } from "./faults.mjs";
import { htmlPage, json, response, send } from "./responses.mjs";
import { randomToken, readBody } from "./util.mjs";

// Resource identifiers a client credentials scope may name (`<resource>/.default`): Graph's URL and app id,
// and the mock's own graphUrl.
export const GRAPH_RESOURCES = ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"];

// Defaults of a login `status` fault: [error, AADSTS number, description].
export const LOGIN_STATUS_DEFAULTS = {
  400: ["invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."],
  401: ["invalid_client", 7000215, "Invalid client secret provided."],
  429: ["temporarily_unavailable", 90033, "A transient error has occurred. Please try again."],
  500: ["server_error", 50000, "There was an error issuing a token or an issue with our sign-in service."],
  503: ["temporarily_unavailable", 90033, "A transient error has occurred. Please try again."],
  504: ["temporarily_unavailable", 90033, "A transient error has occurred. Please try again."],
};

/** Headers on every answer of the token endpoint: no caching, Entra's request id, the client-request-id echoed. */
export function loginHeaders(ids) {
  return {
    "Cache-Control": "no-store, no-cache",
    Pragma: "no-cache",
    "x-ms-request-id": ids.traceId,
    ...(ids.clientRequestId ? { "client-request-id": ids.clientRequestId } : {}),
  };
}

/**
 * Entra's error shape: {error, error_description, error_codes, timestamp, trace_id, correlation_id, error_uri},
 * the description "AADSTSn: ..." followed by CRLF-separated trace id, correlation id and timestamp lines.
 */
export function entraError(ids, status, error, aadsts, description, headers = {}) {
  const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
  const body = {
    error,
    error_description:
      `AADSTS${aadsts}: ${description}\r\nTrace ID: ${ids.traceId}\r\nCorrelation ID: ${ids.correlationId}\r\n` +
      `Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: ids.traceId,
    correlation_id: ids.correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  };
  const r = json(status, body, { "Content-Type": "application/json; charset=utf-8", ...loginHeaders(ids), ...headers });
  r.entra = { error, aadsts };
  return r;
}

/** A JWT-shaped app-only access token (unsigned; the mock only looks it up). */
export function appAccessToken(clientId, tenant, resource, issuedAt, expiresAt) {
  const part = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
  const header = { typ: "JWT", alg: "none", kid: "mock-tenant" };
  const claims = {
    aud: resource,
    iss: `https://sts.windows.net/${tenant}/`,
    iat: Math.floor(issuedAt / 1000),
    nbf: Math.floor(issuedAt / 1000),
    exp: Math.floor(expiresAt / 1000),
    appid: clientId,
    tid: tenant,
    idtyp: "app",
    roles: ["MailboxItem.ImportExport.All"],
    jti: randomToken(12),
  };
  return `${part(header)}.${part(claims)}.${randomToken(32)}`;
}

/** The token endpoint's normal answer: a token for a known app with the right secret, or Entra's error. */
export function tokenNormal(ctx, req, tenant, bodyText, ids, record) {
  const { state } = ctx;
  if (req.method !== "POST") {
    return entraError(ids, 400, "invalid_request", 900561, `The endpoint only accepts POST requests. Received a ${req.method} request.`);
  }
  if (tenant.startsWith("missing")) {
    return entraError(
      ids,
      400,
      "invalid_request",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  // Only a form body counts; anything else reads as a body without parameters, as Entra treats it.
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  const form = new URLSearchParams(type === "application/x-www-form-urlencoded" ? bodyText : "");
  record.form = Object.fromEntries(form);
  const missing = (name) =>
    entraError(ids, 400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`);
  const grantType = form.get("grant_type");
  const clientId = form.get("client_id");
  const scope = form.get("scope");
  const secret = form.get("client_secret");
  record.grantType = grantType;
  record.clientId = clientId;
  record.scope = scope;
  if (!grantType) return missing("grant_type");
  if (grantType !== "client_credentials") {
    return entraError(ids, 400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
  if (!clientId) return missing("client_id");
  if (!scope) return missing("scope");
  if (!secret) {
    return entraError(
      ids,
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (!Object.hasOwn(state.config.apps, clientId)) {
    return entraError(
      ids,
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the ` +
        "application has not been installed by the administrator of the tenant or consented to by any user in the " +
        "tenant. You may have sent your authentication request to the wrong tenant.",
    );
  }
  if (state.config.apps[clientId] !== secret) {
    return entraError(
      ids,
      401,
      "invalid_client",
      7000215,
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not " +
        `the client secret ID, for a secret added to app '${clientId}'.`,
    );
  }
  const scopes = scope.trim().split(/\s+/);
  if (scopes.length !== 1 || !scopes[0].endsWith("/.default")) {
    return entraError(
      ids,
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with ` +
        "/.default suffixed to the resource identifier (application ID URI).",
    );
  }
  const resource = scopes[0].slice(0, -"/.default".length).replace(/\/+$/, "");
  if (!GRAPH_RESOURCES.includes(resource) && resource !== ctx.graphUrl) {
    return entraError(
      ids,
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the ` +
        "application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
    );
  }
  const lifetimeS = state.config.appTokenLifetimeS;
  const issuedAt = Date.now();
  const expiresAt = issuedAt + lifetimeS * 1000;
  const accessToken = appAccessToken(clientId, tenant, resource, issuedAt, expiresAt);
  state.appTokens.set(accessToken, { clientId, tenant, scope, issuedAt, expiresAt });
  state.stats.login.tokensIssued += 1;
  record.accessToken = accessToken;
  return json(
    200,
    { token_type: "Bearer", expires_in: lifetimeS, ext_expires_in: lifetimeS, access_token: accessToken },
    { "Content-Type": "application/json; charset=utf-8", ...loginHeaders(ids) },
  );
}

/** A login fault's own answer (status, malformedJson, html, emptyBody). */
export function loginFaultResponse(fault, ids) {
  switch (fault.kind) {
    case "status": {
      const [error, aadsts, description] = LOGIN_STATUS_DEFAULTS[fault.status] ?? LOGIN_STATUS_DEFAULTS[500];
      const extra = fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {};
      return entraError(ids, fault.status, fault.code ?? error, aadsts, fault.message ?? description, extra);
    }
    case "malformedJson":
      return response(
        200,
        { "Content-Type": "application/json; charset=utf-8", ...loginHeaders(ids) },
        '{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1Qi',
      );
    case "html":
      return response(fault.status, { "Content-Type": "text/html" }, htmlPage(fault.status));
    case "emptyBody":
      return response(fault.status, loginHeaders(ids), "");
    default:
      throw new Error(`no login answer for fault kind ${fault.kind}`);
  }
}

// The discovery documents a token validator reads: route name (for faults and stats) and path.
const DISCOVERY_PATHS = [
  ["openidConfiguration", /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i],
  ["jwks", /^\/([^/]+)\/discovery\/v2\.0\/keys$/i],
];

/**
 * GET /{tenant}/v2.0/.well-known/openid-configuration and GET /{tenant}/discovery/v2.0/keys (see entra.mjs):
 * counted in stats.discovery, not recorded, CORS open and cacheable as Entra serves them. A login fault applies
 * only when it names the route ("openidConfiguration" or "jwks").
 */
async function handleDiscovery(ctx, req, res, name, match) {
  const { state } = ctx;
  state.stats.discovery[name] += 1;
  const ids = { traceId: randomUUID(), correlationId: randomUUID(), clientRequestId: null };
  const headers = {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "max-age=86400, private",
    "Access-Control-Allow-Origin": "*",
    "x-ms-request-id": ids.traceId,
  };
  const answer = (r) => send(res, null, req.method === "HEAD" ? { ...r, body: "" } : r);
  const fault = state.takeFault("login", { mailbox: null, name, list: false });
  try {
    await readBody(req);
  } catch {
    return;
  }
  let segment;
  try {
    segment = decodeURIComponent(match[1]);
  } catch {
    segment = match[1];
  }
  const run = () => {
    if (segment.startsWith("missing")) {
      return entraError(ids, 400, "invalid_tenant", 90002, `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`, { "Access-Control-Allow-Origin": "*" });
    }
    const tenantId = tenantIdOf(state, segment);
    const body = name === "jwks" ? jwksDocument(state, tenantId) : openidConfiguration(ctx.loginUrl, tenantId);
    return json(200, body, headers);
  };
  if (!fault) return answer(run());
  if (await playTransportFault(ctx, req, res, fault, run, answer)) return;
  return answer(loginFaultResponse(fault, ids));
}

/**
 * The login server. `/{tenant}/oauth2/v2.0/token` is the token endpoint (any method; only POST gets a token);
 * any other path is an HTML 404, unrecorded. Each request to the endpoint is counted, recorded, takes the
 * first queued fault with target "login", then is answered.
 */
export async function handleLogin(ctx, req, res) {
  const { state } = ctx;
  const pathname = req.url.split("?")[0];
  const discovery = DISCOVERY_PATHS.map(([name, re]) => [name, re.exec(pathname)]).find(([, match]) => match);
  if (discovery && (req.method === "GET" || req.method === "HEAD")) return handleDiscovery(ctx, req, res, ...discovery);
  const m = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i.exec(pathname);
  if (!m) {
    try {
      await readBody(req);
    } catch {
      return;
    }
    return send(res, null, response(404, { "Content-Type": "text/html" }, htmlPage(404)));
  }
  let tenant;
  try {
    tenant = decodeURIComponent(m[1]);
  } catch {
    tenant = m[1];
  }
  const stats = state.stats.login;
  stats.requests += 1;
  const record = {
    server: "login",
    method: req.method,
    path: req.url,
    tenant,
    headers: { ...req.headers },
    body: null,
    form: null,
    clientId: null,
    scope: null,
    grantType: null,
    fault: null,
    status: null,
    error: null,
    aadsts: null,
    accessToken: null,
    time: Date.now(),
    endTime: null,
  };
  if (state.config.recordRequests) state.tokenRequests.push(record);
  const answer = (r) => {
    stats.statuses[r.status] = (stats.statuses[r.status] ?? 0) + 1;
    if (r.entra) {
      record.error = r.entra.error;
      record.aadsts = r.entra.aadsts;
    }
    send(res, record, r);
  };
  const fault = state.takeFault("login", { mailbox: null, name: "token", list: false });
  record.fault = fault ? fault.kind : null;
  let buf;
  try {
    buf = await readBody(req);
  } catch {
    return;
  }
  const bodyText = buf.toString("utf8");
  if (buf.length && state.config.recordBodies) record.body = bodyText;
  const clientRequestId = req.headers["client-request-id"] || null;
  const ids = { traceId: randomUUID(), correlationId: clientRequestId ?? randomUUID(), clientRequestId };
  const run = () => tokenNormal(ctx, req, tenant, bodyText, ids, record);
  if (!fault) return answer(run());
  if (await playTransportFault(ctx, req, res, fault, run, answer)) return;
  return answer(loginFaultResponse(fault, ids));
}
