// Tests of the mock tenant's login server (Entra ID's token endpoint, client credentials grant):
// node --test tests/mock/
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startMockTenant } from "./server.mjs";
import { UUID, withServerProcess } from "./support.mjs";

const TENANT = "contoso.onmicrosoft.com";
const CLIENT_ID = "11111111-2222-4333-8444-555555555555";
const SECRET = "s3cr3t~value+/&=";
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

let tenant;

before(async () => {
  tenant = await startMockTenant({ apps: { [CLIENT_ID]: SECRET } });
});
after(async () => {
  await tenant.close();
});
beforeEach(() => {
  tenant.state.reset();
});

/** POSTs a form to the token endpoint; `fields` with undefined values are left out. */
function requestToken(fields = {}, { tenantId = TENANT, headers = {}, method = "POST", body } = {}) {
  const form = {
    grant_type: "client_credentials",
    client_id: CLIENT_ID,
    client_secret: SECRET,
    scope: GRAPH_SCOPE,
    ...fields,
  };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) params.set(k, v);
  const init = { method, headers: { "content-type": "application/x-www-form-urlencoded", ...headers } };
  if (method !== "GET" && method !== "HEAD") init.body = body ?? params.toString();
  return fetch(`${tenant.loginUrl}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`, init);
}

/** Asserts Entra's error shape and returns the body. */
async function assertEntraError(r, status, error, aadsts) {
  assert.equal(r.status, status);
  assert.match(r.headers.get("content-type"), /^application\/json/);
  assert.equal(r.headers.get("cache-control"), "no-store, no-cache");
  const body = await r.json();
  assert.deepEqual(Object.keys(body), [
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
    "error_uri",
  ]);
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [aadsts]);
  const lines = body.error_description.split("\r\n");
  assert.match(lines[0], new RegExp(`^AADSTS${aadsts}: `));
  assert.equal(lines[1], `Trace ID: ${body.trace_id}`);
  assert.equal(lines[2], `Correlation ID: ${body.correlation_id}`);
  assert.match(lines[3], /^Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.match(body.trace_id, UUID);
  assert.equal(r.headers.get("x-ms-request-id"), body.trace_id);
  return body;
}

function graphSession(token) {
  return fetch(`${tenant.graphUrl}/v1.0/admin/exchange/mailboxes/MBX%3Aapp%40t/createImportSession`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
}

test("a known app with its secret gets an app-only token that Graph accepts", async () => {
  const r = await requestToken({}, { headers: { "client-request-id": "0f0f0f0f-1111-4222-8333-444444444444" } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^application\/json/);
  assert.equal(r.headers.get("cache-control"), "no-store, no-cache");
  assert.equal(r.headers.get("client-request-id"), "0f0f0f0f-1111-4222-8333-444444444444");
  const body = await r.json();
  assert.deepEqual(Object.keys(body), ["token_type", "expires_in", "ext_expires_in", "access_token"]);
  assert.equal(body.token_type, "Bearer");
  assert.equal(body.expires_in, 3599);
  const [, claims] = body.access_token.split(".");
  const decoded = JSON.parse(Buffer.from(claims, "base64url").toString("utf8"));
  assert.equal(decoded.appid, CLIENT_ID);
  assert.equal(decoded.tid, TENANT);
  assert.ok(!body.access_token.includes(SECRET));

  assert.equal((await graphSession(body.access_token)).status, 200);

  // Recorded and counted; the record keeps what was sent, secret included, as the Graph records keep tokens.
  assert.deepEqual(tenant.state.stats.login, { requests: 1, tokensIssued: 1, statuses: { 200: 1 } });
  const [rec] = tenant.state.tokenRequests;
  assert.equal(rec.server, "login");
  assert.equal(rec.method, "POST");
  assert.equal(rec.path, `/${TENANT}/oauth2/v2.0/token`);
  assert.equal(rec.tenant, TENANT);
  assert.equal(rec.clientId, CLIENT_ID);
  assert.equal(rec.scope, GRAPH_SCOPE);
  assert.equal(rec.grantType, "client_credentials");
  assert.equal(rec.form.client_secret, SECRET);
  assert.equal(rec.status, 200);
  assert.equal(rec.accessToken, body.access_token);
  assert.equal(rec.error, null);
  assert.ok(rec.endTime >= rec.time);
  const token = tenant.state.appTokens.get(body.access_token);
  assert.equal(token.clientId, CLIENT_ID);
  assert.equal(token.expiresAt - token.issuedAt, 3599_000);

  // The same over the control API.
  const listed = await (await fetch(`${tenant.graphUrl}/_mock/token-requests`)).json();
  assert.equal(listed.requests.length, 1);
  assert.equal(listed.requests[0].accessToken, body.access_token);
  assert.equal((await fetch(`${tenant.graphUrl}/_mock/token-requests`, { method: "DELETE" })).status, 204);
  assert.equal(tenant.state.tokenRequests.length, 0);
});

test("a wrong secret: 401 invalid_client AADSTS7000215, the secret never echoed", async () => {
  const body = await assertEntraError(await requestToken({ client_secret: "not-the-secret" }), 401, "invalid_client", 7000215);
  assert.ok(body.error_description.includes(CLIENT_ID));
  assert.ok(!JSON.stringify(body).includes("not-the-secret"));
  assert.ok(!JSON.stringify(body).includes(SECRET));
  assert.equal(tenant.state.tokenRequests[0].error, "invalid_client");
  assert.equal(tenant.state.tokenRequests[0].aadsts, 7000215);
  assert.deepEqual(tenant.state.stats.login, { requests: 1, tokensIssued: 0, statuses: { 401: 1 } });
});

test("an unknown client: 400 unauthorized_client AADSTS700016; the correlation id echoes client-request-id", async () => {
  const other = "99999999-0000-4000-8000-000000000000";
  const r = await requestToken({ client_id: other }, { headers: { "client-request-id": "abcdef01-2345-4678-89ab-cdef01234567" } });
  const body = await assertEntraError(r, 400, "unauthorized_client", 700016);
  assert.ok(body.error_description.startsWith(`AADSTS700016: Application with identifier '${other}' was not found in the directory '${TENANT}'.`));
  assert.equal(body.correlation_id, "abcdef01-2345-4678-89ab-cdef01234567");
});

test("missing parameters: 400 invalid_request AADSTS900144 naming it; a missing secret: 401 AADSTS7000218", async () => {
  for (const name of ["grant_type", "client_id", "scope"]) {
    const body = await assertEntraError(await requestToken({ [name]: undefined }), 400, "invalid_request", 900144);
    assert.ok(body.error_description.includes(`parameter: '${name}'.`), body.error_description);
  }
  await assertEntraError(await requestToken({ client_secret: undefined }), 401, "invalid_client", 7000218);
  // A body that is not a form has no parameters at all.
  const json = await requestToken({}, { headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "client_credentials" }) });
  const body = await assertEntraError(json, 400, "invalid_request", 900144);
  assert.ok(body.error_description.includes("'grant_type'"));
  await assertEntraError(await requestToken({ grant_type: "password" }), 400, "unsupported_grant_type", 70003);
  assert.equal(tenant.state.stats.login.tokensIssued, 0);
});

test("scopes: /.default of Graph (URL, app id, or the mock's graphUrl) only", async () => {
  const bad = await assertEntraError(await requestToken({ scope: "https://graph.microsoft.com/MailboxItem.ImportExport.All" }), 400, "invalid_scope", 1002012);
  assert.ok(bad.error_description.includes("/.default"));
  await assertEntraError(await requestToken({ scope: `${GRAPH_SCOPE} offline_access` }), 400, "invalid_scope", 1002012);
  await assertEntraError(await requestToken({ scope: "https://vault.azure.net/.default" }), 400, "invalid_resource", 500011);
  for (const scope of ["00000003-0000-0000-c000-000000000000/.default", `${tenant.graphUrl}/.default`, GRAPH_SCOPE]) {
    assert.equal((await requestToken({ scope })).status, 200, scope);
  }
});

test("other methods, tenants and paths", async () => {
  await assertEntraError(await requestToken({}, { method: "GET" }), 400, "invalid_request", 900561);
  const missing = await assertEntraError(await requestToken({}, { tenantId: "missing-tenant" }), 400, "invalid_request", 90002);
  assert.ok(missing.error_description.includes("Tenant 'missing-tenant' not found"));
  const r = await fetch(`${tenant.loginUrl}/${TENANT}/oauth2/v2.0/authorize`);
  assert.equal(r.status, 404);
  assert.match(r.headers.get("content-type"), /^text\/html/);
  assert.equal(tenant.state.stats.login.requests, 2); // the 404 is not the token endpoint
});

test("Graph refuses an app-only token once its lifetime has passed; other tokens are unaffected", async () => {
  // An app of this test only, so counting its tokens is not disturbed by tokens of other tests (kept across reset).
  const app = { client_id: "expiry-app", client_secret: "expiry-secret" };
  tenant.state.setConfig({ appTokenLifetimeS: 1, apps: { "expiry-app": "expiry-secret" } });
  const { access_token: short, expires_in } = await (await requestToken(app)).json();
  assert.equal(expires_in, 1);
  assert.equal((await graphSession(short)).status, 200);
  assert.equal((await graphSession("any-delegated-token")).status, 200);
  await new Promise((r) => setTimeout(r, 1100));
  const refused = await graphSession(short);
  assert.equal(refused.status, 401);
  assert.ok(refused.headers.get("www-authenticate").startsWith("Bearer"));
  const body = await refused.json();
  assert.equal(body.error.code, "InvalidAuthenticationToken");
  assert.equal(body.error.message, "Lifetime validation failed, the token is expired.");
  assert.equal((await graphSession("any-delegated-token")).status, 200);

  // A new token works again; expireAppTokens ends it at once (over HTTP too).
  tenant.state.setConfig({ appTokenLifetimeS: 3600 });
  const { access_token: fresh } = await (await requestToken(app)).json();
  assert.equal((await graphSession(fresh)).status, 200);
  const expired = await (await fetch(`${tenant.graphUrl}/_mock/expire-app-tokens`, { method: "POST", body: JSON.stringify({ clientId: "expiry-app" }) })).json();
  assert.equal(expired.expired, 2);
  assert.equal((await graphSession(fresh)).status, 401);
  assert.equal(tenant.state.expireAppTokens("someone-else"), 0);
});

test("reset clears token records and counters, keeps issued tokens and puts apps back", async () => {
  const { access_token } = await (await requestToken()).json();
  tenant.state.setConfig({ apps: { other: "x" }, appTokenLifetimeS: 5 });
  await assertEntraError(await requestToken(), 400, "unauthorized_client", 700016);
  tenant.state.reset();
  assert.deepEqual(tenant.state.stats.login, { requests: 0, tokensIssued: 0, statuses: {} });
  assert.equal(tenant.state.tokenRequests.length, 0);
  assert.deepEqual(tenant.state.config.apps, { [CLIENT_ID]: SECRET });
  assert.equal(tenant.state.config.appTokenLifetimeS, 3599);
  assert.equal((await graphSession(access_token)).status, 200);
  const tokens = await (await fetch(`${tenant.graphUrl}/_mock/app-tokens`)).json();
  const listed = tokens.tokens.find((t) => t.accessToken === access_token);
  assert.equal(listed.clientId, CLIENT_ID);
  assert.equal(listed.tenant, TENANT);
});

test("config: apps and appTokenLifetimeS are checked", () => {
  for (const bad of [{ apps: [] }, { apps: { "": "x" } }, { apps: { a: "" } }, { apps: { a: 1 } }, { appTokenLifetimeS: 0 }, { appTokenLifetimeS: 1.5 }]) {
    assert.throws(() => tenant.state.setConfig(bad), TypeError, JSON.stringify(bad));
  }
});

test("login faults: throttling with Retry-After, HTML, a cut body, delay; only target login takes them", async () => {
  tenant.state.addFaults([
    { target: "login", kind: "status", status: 429, retryAfter: "2" },
    { target: "login", route: "token", kind: "html", status: 502 },
    { target: "login", kind: "malformedJson" },
    { target: "login", kind: "delay", ms: 150 },
  ]);
  // A Graph request does not take a login fault.
  assert.equal((await graphSession("t")).status, 200);
  const throttled = await assertEntraError(await requestToken(), 429, "temporarily_unavailable", 90033);
  assert.ok(throttled);
  assert.equal(tenant.state.tokenRequests[0].fault, "status");
  const html = await requestToken();
  assert.equal(html.status, 502);
  assert.match(html.headers.get("content-type"), /^text\/html/);
  const cut = await requestToken();
  assert.equal(cut.status, 200);
  await assert.rejects(cut.json(), SyntaxError);
  const started = Date.now();
  const delayed = await requestToken();
  assert.equal(delayed.status, 200);
  assert.ok(Date.now() - started >= 140);
  assert.equal(tenant.state.stats.login.requests, 4);
  assert.equal(tenant.state.stats.login.tokensIssued, 1);
  assert.deepEqual(tenant.state.stats.login.statuses, { 200: 2, 429: 1, 502: 1 });

  for (const bad of [
    { target: "login", kind: "redirect" },
    { target: "login", kind: "status", status: 503, mailbox: "MBX:x" },
    { target: "login", kind: "status", status: 503, route: "createImportSession" },
    { target: "entra", kind: "status", status: 503 },
  ]) {
    assert.throws(() => tenant.state.addFaults([bad]), TypeError, JSON.stringify(bad));
  }
});

test("login fault: a hung token request is never answered; the client gives up", async () => {
  tenant.state.addFaults([{ target: "login", kind: "hang" }]);
  const url = `${tenant.loginUrl}/${TENANT}/oauth2/v2.0/token`;
  await assert.rejects(
    fetch(url, { method: "POST", body: "grant_type=client_credentials", signal: AbortSignal.timeout(200) }),
    (e) => e.name === "TimeoutError",
  );
  assert.equal(tenant.state.tokenRequests[0].fault, "hang");
  assert.equal(tenant.state.tokenRequests[0].status, null);
});

test("command line: --app and --app-token-lifetime-s; the printed line names loginUrl", async () => {
  const args = ["--app", `${CLIENT_ID}=cli-secret`, "--app", "other=x=y", "--app-token-lifetime-s", "7"];
  await withServerProcess(args, async (info) => {
    assert.equal(info.loginUrl, `http://127.0.0.1:${info.loginPort}`);
    const cfg = await (await fetch(`${info.graphUrl}/_mock/config`)).json();
    assert.deepEqual(cfg.apps, { [CLIENT_ID]: "cli-secret", other: "x=y" });
    const r = await fetch(`${info.loginUrl}/${TENANT}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: CLIENT_ID, client_secret: "cli-secret", scope: GRAPH_SCOPE }),
    });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).expires_in, 7);
  });
});
