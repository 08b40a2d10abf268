// The example Worker (examples/cloudflare-worker) as it deploys: built by its own wrangler with
// `wrangler deploy --dry-run --outdir`, and that output run in workerd through Miniflare against the mock
// tenant (Graph, the import host and Entra's token endpoint), in both token modes.
//
// Needs ./scripts/build.sh (pkg/) and `npm --prefix examples/cloudflare-worker ci`.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";

import { Miniflare } from "miniflare";

import { DEMO_IDS, demoSeed, startMockTenant } from "../mock/server.mjs";
import { checkPrerequisites, EXAMPLE_DIR, runWrangler, tempDir } from "./support.mjs";

const ORIGIN = "https://portal.contoso.test";
const OTHER_ORIGIN = "https://evil.example.net";
const TENANT_ID = "contoso.onmicrosoft.com";
const CLIENT_ID = "7d3c0a11-5e5e-4c4c-9b9b-0123456789ab";
// Fresh each run: what must never come out of the Worker.
const CLIENT_SECRET = `Xy8Q~${randomBytes(24).toString("base64url")}`;
const API_KEY = randomBytes(32).toString("base64");
const API_KEY_PREVIOUS = randomBytes(32).toString("base64");
const DELEGATED_TOKEN = `eyJdelegated.${randomBytes(24).toString("base64url")}`;
const MAX_BODY_BYTES = 65536;
const MAX_BATCH_ITEMS = 5;
// Short, so the slow-body test is short; the default is 30 s.
const BODY_TIMEOUT_MS = 1500;

const TARGET = DEMO_IDS.targetMailbox;
const TARGET_INBOX = DEMO_IDS.targetFolders.inbox;
const RESTORED = DEMO_IDS.targetFolders.restored;
const SOURCE = DEMO_IDS.sourceMailbox;

// The same date as the example's wrangler.toml.
const COMPATIBILITY_DATE = /^compatibility_date = "([^"]+)"/m.exec(readFileSync(join(EXAMPLE_DIR, "wrangler.toml"), "utf8"))[1];

let mock;
let miniflare;
let build; // { dir, stdout, raw, gzip, files, meta }
/** Every line workerd printed (the Worker's console output). */
const logLines = [];
/** Every answer the tests received: [{ label, status, headers, text, allowedSecrets }]. */
const answers = [];

before(async () => {
  checkPrerequisites();
  const dir = tempDir("dist");
  const run = runWrangler(["deploy", "--dry-run", "--env=", "--outdir", dir, "--metafile", join(dir, "meta.json")]);
  assert.equal(run.status, 0, `wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  const size = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(run.stdout);
  build = {
    dir,
    stdout: run.stdout,
    raw: size && Number(size[1]),
    gzip: size && Number(size[2]),
    files: readdirSync(dir),
    meta: JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")),
  };

  mock = await startMockTenant({ seed: "demo", apps: { [CLIENT_ID]: CLIENT_SECRET } });
  const graph = {
    GRAPH_BASE_URL: mock.graphUrl,
    TRUSTED_IMPORT_HOSTS: `127.0.0.1:${mock.importPort}`,
    ALLOWED_ORIGINS: `${ORIGIN}, https://admin.contoso.test`,
    MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    MAX_BATCH_ITEMS: String(MAX_BATCH_ITEMS),
    MAX_RETRY_DELAY_MS: "1000",
    BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
  };
  const appOnly = {
    ...graph,
    TOKEN_MODE: "app-only",
    ENTRA_TENANT_ID: TENANT_ID,
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
    ENTRA_AUTHORITY_HOST: mock.loginUrl,
    RELAY_API_KEY: API_KEY,
    RELAY_API_KEY_PREVIOUS: API_KEY_PREVIOUS,
  };
  const worker = (name, bindings) => ({
    name,
    modules: true,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    scriptPath: join(dir, "worker.js"),
    modulesRoot: dir,
    compatibilityDate: COMPATIBILITY_DATE,
    // dispatchFetch picks the worker by host (getWorker().fetch goes through a path that refuses foreign Origins).
    routes: [`${name}.relay.test/*`],
    bindings,
  });
  miniflare = new Miniflare({
    workers: [
      worker("delegated", { ...graph, TOKEN_MODE: "delegated" }),
      worker("app", appOnly),
      // Separate isolates, so each starts with an empty token cache.
      worker("app-burst", appOnly),
      worker("app-refresh", appOnly),
      worker("app-wrong-secret", { ...appOnly, ENTRA_CLIENT_SECRET: `${CLIENT_SECRET}-old` }),
      worker("misconfigured", {
        TOKEN_MODE: "app-only",
        ALLOWED_ORIGINS: "*",
        ENTRA_CLIENT_SECRET: CLIENT_SECRET,
        GRAPH_BASE_URL: "http://graph.example.com",
        TRUSTED_IMPORT_HOSTS: "https://outlook.office365.com/",
        MAX_BODY_BYTES: "lots",
      }),
    ],
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) createInterface({ input: stream }).on("line", (line) => logLines.push(line));
    },
  });
  await miniflare.ready;
}, { timeout: 120_000 });

after(async () => {
  try {
    await miniflare?.dispose();
  } finally {
    await mock?.close();
  }
});


/**
 * Calls a worker. `auth`: "delegated" (Bearer DELEGATED_TOKEN), "key" (X-Api-Key), or headers of one's own.
 * Records the answer for the final secret scan. Returns { status, headers, body (parsed JSON or null), text }.
 */
async function call(name, path, { method = "POST", body, headers = {}, origin = ORIGIN, auth, allowedSecrets = [] } = {}) {
  const h = { ...headers };
  if (origin) h.origin = origin;
  if (auth === "delegated") h.authorization = `Bearer ${DELEGATED_TOKEN}`;
  if (auth === "key") h["x-api-key"] = API_KEY;
  const init = { method, headers: h };
  if (body !== undefined) {
    init.body = typeof body === "string" || body instanceof ReadableStream ? body : JSON.stringify(body);
    if (!("content-type" in h)) h["content-type"] = "application/json";
    if (body instanceof ReadableStream) init.duplex = "half";
  }
  const response = await miniflare.dispatchFetch(`https://${name}.relay.test${path}`, init);
  const text = await response.text();
  const headersObj = Object.fromEntries(response.headers);
  answers.push({ label: `${name} ${method} ${path}`, status: response.status, headers: headersObj, text, allowedSecrets });
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // left null
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

const sessionsPath = (mailbox) => `/mailboxes/${encodeURIComponent(mailbox)}/import-sessions`;
const itemsPath = (mailbox) => `/mailboxes/${encodeURIComponent(mailbox)}/items`;
const copyPath = (mailbox) => `/mailboxes/${encodeURIComponent(mailbox)}/copy`;

let dataCounter = 0;
/** Distinct item data, standard base64. */
function itemData(label) {
  dataCounter += 1;
  return Buffer.from(`FastTransfer ${label} #${dataCounter} ${randomBytes(8).toString("hex")}`).toString("base64");
}

function graphRequests() {
  return mock.state.requests.filter((r) => r.server === "graph");
}

/** Asserts an error answer: status, code, a message, a requestId, and CORS headers for the allowed origin. */
function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(Object.keys(r.body), ["error"], r.text);
  assert.equal(r.body.error.code, code, r.text);
  assert.equal(typeof r.body.error.message, "string");
  assert.ok(r.body.error.message.length > 0);
  assert.equal(typeof r.body.error.requestId, "string");
  assert.ok(r.body.error.requestId.length > 0);
  assert.match(r.headers.get("content-type"), /^application\/json/);
  assert.equal(r.headers.get("cache-control"), "no-store");
}

function assertCors(r, origin = ORIGIN) {
  assert.equal(r.headers.get("access-control-allow-origin"), origin);
  assert.match(r.headers.get("vary"), /Origin/);
}

/** The routes, the same in both modes: `auth` is what proves the caller. */
function routeTests(name, auth, tokenCheck) {
  test(`${name}: POST /mailboxes/{id}/import-sessions creates a session with the right token`, async () => {
    const before = graphRequests().length;
    const r = await call(name, sessionsPath(TARGET), { auth, allowedSecrets: ["importUrl"] });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.body), ["importUrl", "expirationDateTime"]);
    assert.ok(r.body.importUrl.startsWith(`${mock.importUrlBase}/api/gv1.0/Mailboxes(`), r.body.importUrl);
    assert.ok(mock.state.sessions.has(new URL(r.body.importUrl).searchParams.get("authtoken")));
    assert.match(r.body.expirationDateTime, /^\d{4}-\d\d-\d\dT/);
    assertCors(r);
    assert.equal(r.headers.get("cache-control"), "no-store");
    const sent = graphRequests().slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].route, "createImportSession");
    assert.equal(sent[0].mailbox, TARGET);
    tokenCheck(sent[0].headers.authorization);
  });

  test(`${name}: POST /mailboxes/{id}/items imports one item`, async () => {
    const data = itemData(name);
    const r = await call(name, itemsPath(TARGET), { auth, body: { folderId: TARGET_INBOX, data } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.body), ["itemId", "changeKey"]);
    assertCors(r);
    const stored = mock.state.itemIndex.get(r.body.itemId);
    assert.equal(stored.data, data);
    assert.equal(stored.folderId, TARGET_INBOX);
    assert.equal(mock.state.itemsFor(TARGET).includes(stored), true);

    // The same item updated in place.
    const updated = itemData(name);
    const u = await call(name, itemsPath(TARGET), {
      auth,
      body: { folderId: TARGET_INBOX, data: updated, mode: "update", itemId: r.body.itemId, changeKey: r.body.changeKey },
    });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.body.itemId, r.body.itemId);
    assert.notEqual(u.body.changeKey, r.body.changeKey);
    assert.equal(mock.state.itemIndex.get(r.body.itemId).data, updated);
  });

  test(`${name}: POST /mailboxes/{id}/items imports a small batch and reports each item`, async () => {
    const existing = await call(name, itemsPath(TARGET), { auth, body: { folderId: RESTORED, data: itemData(name) } });
    assert.equal(existing.status, 201, existing.text);
    const items = [itemData(name), itemData(name), itemData(name)].map((data) => ({ folderId: RESTORED, data }));
    // One item the import host refuses (an update with a stale change key: 409): reported, not thrown.
    items.push({ folderId: RESTORED, data: itemData(name), mode: "update", itemId: existing.body.itemId, changeKey: "CQAAABYAAAAstale" });
    const r = await call(name, itemsPath(TARGET), { auth, body: { items } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.imported, 3);
    assert.equal(r.body.failed, 1);
    assert.equal(r.body.outcomeUnknown, 0);
    assert.deepEqual(r.body.results.map((x) => x.status), ["imported", "imported", "imported", "failed"]);
    r.body.results.slice(0, 3).forEach((result, i) => {
      assert.equal(result.index, i);
      assert.equal(mock.state.itemIndex.get(result.itemId).data, items[i].data);
    });
    const failed = r.body.results[3].error;
    assert.equal(failed.code, "graphError");
    assert.equal(failed.upstreamStatus, 409);
    assert.equal(typeof failed.message, "string");
    assert.equal(mock.state.itemIndex.get(existing.body.itemId).changeKey, existing.body.changeKey);
  });

  test(`${name}: POST /mailboxes/{id}/copy copies items from another mailbox`, async () => {
    const picked = demoSeed().ids.items.inbox.slice(name === "app" ? 25 : 0).slice(0, 25);
    const r = await call(name, copyPath(TARGET), { auth, body: { sourceMailboxId: SOURCE, itemIds: picked, folderId: RESTORED } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.imported, 25);
    assert.equal(r.body.failed, 0);
    assert.deepEqual(r.body.results.map((x) => x.sourceItemId), picked);
    for (const result of r.body.results) {
      const copy = mock.state.itemIndex.get(result.itemId);
      assert.equal(copy.folderId, RESTORED);
      assert.equal(copy.dataHash, mock.state.itemIndex.get(result.sourceItemId).dataHash);
    }
  });
}

describe("the dry-run bundle", () => {
  test("wrangler deploy --dry-run builds the upload bundle offline and prints its size", () => {
    assert.ok(build.raw > 0 && build.gzip > 0, build.stdout);
    const wasm = build.files.find((f) => f.endsWith("graph_mailbox_import_bg.wasm"));
    assert.ok(wasm, build.files.join(", "));
    assert.ok(build.files.includes("worker.js"));
    // The package's workerd entry was bundled (the wasm as a compiled module), not its browser or node one.
    const inputs = Object.keys(build.meta.inputs);
    assert.ok(inputs.some((i) => /(pkg|graph-mailbox-import)\/workerd\.js$/.test(i)), inputs.join(", "));
    assert.ok(!inputs.some((i) => /(pkg|graph-mailbox-import)\/(browser|node)\.js$/.test(i)), inputs.join(", "));
    // Nothing from the crate's sources, only the built package.
    assert.ok(!inputs.some((i) => /(^|\/)src\/wasm\//.test(i)), inputs.join(", "));
    const bytes = statSync(join(build.dir, "worker.js")).size + statSync(join(build.dir, wasm)).size;
    // Workers' limits: 3 MB (Free) / 10 MB (Paid) after compression; 64 MB before.
    assert.ok(build.gzip * 1024 < 3 * 1024 * 1024, `${build.gzip} KiB gzip`);
    console.log(
      `dry-run bundle: ${build.raw} KiB raw, ${build.gzip} KiB gzip (worker.js + ${wasm}, ${bytes} bytes); ` +
        "limits: 3 MB gzip on Free, 10 MB on Paid",
    );
  });

  test("the app-only environment builds too; startup stays far below Workers' limit", { timeout: 120_000 }, () => {
    const app = runWrangler(["deploy", "--dry-run", "--env", "app-only", "--outdir", tempDir("dist-app")]);
    assert.equal(app.status, 0, `${app.stdout}\n${app.stderr}`);
    assert.match(app.stdout, /Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
    assert.match(app.stdout, /env\.TOKEN_MODE \("app-only"\)/);

    // wrangler's own startup profile of the built Worker (run locally in workerd): the time spent before
    // the Worker can answer, mostly compiling and instantiating the wasm. Workers allow 1 s.
    const profileFile = join(tempDir("startup"), "startup.cpuprofile");
    const check = runWrangler(["check", "startup", "--env=", "--outfile", profileFile]);
    assert.equal(check.status, 0, `${check.stdout}\n${check.stderr}`);
    const profile = JSON.parse(readFileSync(profileFile, "utf8"));
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
    const busyMs = profile.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : profile.timeDeltas[i]), 0) / 1000;
    const wallMs = (profile.endTime - profile.startTime) / 1000;
    assert.ok(profile.samples.length > 0 && wallMs > 0);
    assert.ok(busyMs < 400, `startup busy ${busyMs} ms`);
    console.log(`startup profile (wrangler check startup): ${busyMs.toFixed(1)} ms busy of ${wallMs.toFixed(1)} ms sampled; limit 1000 ms`);
  });
});

describe("delegated mode: the portal's own Graph token", () => {
  routeTests("delegated", "delegated", (authorization) => assert.equal(authorization, `Bearer ${DELEGATED_TOKEN}`));

  test("delegated: no token, or not a Bearer one, is refused before Graph is called", async () => {
    const before = graphRequests().length;
    for (const headers of [{}, { authorization: "Basic dXNlcjpwYXNz" }, { authorization: "Bearer " }, { authorization: "Bearer a b" }]) {
      const r = await call("delegated", sessionsPath(TARGET), { headers });
      assertError(r, 401, "unauthorized");
      assert.match(r.headers.get("www-authenticate"), /^Bearer /);
      assertCors(r);
    }
    assert.equal(graphRequests().length, before);
  });

  test("delegated: Graph's refusals come back with the package's codes and Graph's request id", async () => {
    const expired = await call("delegated", sessionsPath(TARGET), { headers: { authorization: "Bearer expired-token" } });
    assertError(expired, 401, "unauthorized");
    assert.equal(expired.body.error.upstreamStatus, 401);
    assert.equal(expired.body.error.graphCode, "InvalidAuthenticationToken");
    // Graph's request id (for Microsoft support), not the Worker's.
    assert.notEqual(expired.body.error.requestId, expired.headers.get("request-id"));
    assert.match(expired.body.error.requestId, /^[0-9a-f-]{36}$/);

    const forbidden = await call("delegated", sessionsPath(TARGET), { headers: { authorization: "Bearer forbidden-token" } });
    assertError(forbidden, 403, "forbidden");
    assert.equal(forbidden.body.error.graphCode, "ErrorAccessDenied");

    const missing = await call("delegated", sessionsPath("missing-mailbox"), { auth: "delegated" });
    assertError(missing, 404, "notFound");
  });

  test("delegated: throttling longer than the Worker waits is handed back as 429 with Retry-After", async () => {
    const mailbox = "MBX:throttled@worker-tests";
    mock.state.addFaults([{ mailbox, kind: "status", status: 429, retryAfter: "30", times: 1 }]);
    const r = await call("delegated", sessionsPath(mailbox), { auth: "delegated" });
    assertError(r, 429, "throttled");
    assert.equal(r.headers.get("retry-after"), "30");
    assert.equal(r.body.error.retryAfterMs, 30000);
    assertCors(r);
    assert.ok(r.headers.get("access-control-expose-headers").includes("retry-after"));
  });
});

describe("app-only mode: the Worker's own token, callers with a relay key", () => {
  routeTests("app", "key", (authorization) => {
    const token = authorization.replace(/^Bearer /, "");
    const issued = mock.state.appTokens.get(token);
    assert.ok(issued, "Graph got a token the login server issued");
    assert.equal(issued.clientId, CLIENT_ID);
    assert.equal(issued.tenant, TENANT_ID);
  });

  test("app-only: the token request is the client credentials grant, to the configured tenant", () => {
    const requests = mock.state.tokenRequests.filter((r) => r.clientId === CLIENT_ID && r.status === 200);
    assert.ok(requests.length >= 1);
    const [first] = requests;
    assert.equal(first.method, "POST");
    assert.equal(first.path, `/${TENANT_ID}/oauth2/v2.0/token`);
    assert.match(first.headers["content-type"], /^application\/x-www-form-urlencoded/);
    assert.deepEqual(first.form, {
      ...first.form,
      grant_type: "client_credentials",
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scope: "https://graph.microsoft.com/.default",
    });
  });

  test("app-only: a missing, wrong or malformed relay key is refused before anything is read or sent", async () => {
    const graphBefore = graphRequests().length;
    const tokensBefore = mock.state.stats.login.requests;
    const cases = [
      {},
      { "x-api-key": "" },
      { "x-api-key": `${API_KEY.slice(0, -1)}A` === API_KEY ? `${API_KEY.slice(0, -1)}B` : `${API_KEY.slice(0, -1)}A` },
      { "x-api-key": API_KEY.slice(0, 10) },
      { "x-api-key": `${API_KEY}${API_KEY}` },
      { "x-api-key": "k".repeat(5000) },
      // The portal's user token is no relay key, and is never passed on in app-only mode.
      { authorization: `Bearer ${DELEGATED_TOKEN}` },
      { authorization: `Bearer ${API_KEY}` },
    ];
    for (const headers of cases) {
      const r = await call("app", itemsPath(TARGET), { headers, body: { folderId: TARGET_INBOX, data: itemData("refused") } });
      assertError(r, 401, "unauthorized");
      assert.ok(!r.text.includes(API_KEY));
    }
    assert.equal(graphRequests().length, graphBefore);
    assert.equal(mock.state.stats.login.requests, tokensBefore);
  });

  test("app-only: the previous relay key still works while keys are rotated", async () => {
    const r = await call("app", sessionsPath(TARGET), { headers: { "x-api-key": API_KEY_PREVIOUS }, allowedSecrets: ["importUrl"] });
    assert.equal(r.status, 201, r.text);
  });

  test("app-only: a caller's Authorization header never reaches Graph", async () => {
    const before = graphRequests().length;
    const r = await call("app", sessionsPath(TARGET), {
      auth: "key",
      headers: { authorization: `Bearer ${DELEGATED_TOKEN}` },
      allowedSecrets: ["importUrl"],
    });
    assert.equal(r.status, 201, r.text);
    const [sent] = graphRequests().slice(before);
    assert.notEqual(sent.headers.authorization, `Bearer ${DELEGATED_TOKEN}`);
    assert.ok(mock.state.appTokens.has(sent.headers.authorization.replace(/^Bearer /, "")));
  });

  test("app-only: many concurrent requests share one token request; a new one is made after expiry", async () => {
    mock.state.setConfig({ appTokenLifetimeS: 2 });
    try {
      const countBefore = mock.state.stats.login.requests;
      const burst = () =>
        Promise.all(
          Array.from({ length: 12 }, () => call("app-burst", sessionsPath(TARGET), { auth: "key", allowedSecrets: ["importUrl"] })),
        );
      const first = await burst();
      assert.deepEqual(first.map((r) => r.status), Array(12).fill(201), first.map((r) => r.text).join("\n"));
      assert.equal(mock.state.stats.login.requests - countBefore, 1, "one token request for 12 concurrent callers");

      // Sequential calls inside the token's lifetime reuse it.
      const again = await call("app-burst", sessionsPath(TARGET), { auth: "key", allowedSecrets: ["importUrl"] });
      assert.equal(again.status, 201);
      assert.equal(mock.state.stats.login.requests - countBefore, 1);

      // Past its expires_in the token is dead at Graph (the mock refuses it), so the Worker must have a new one.
      await new Promise((r) => setTimeout(r, 2100));
      const graphBefore = graphRequests().length;
      const second = await burst();
      assert.deepEqual(second.map((r) => r.status), Array(12).fill(201));
      assert.equal(mock.state.stats.login.requests - countBefore, 2, "exactly one more token request after expiry");
      // Renewed before use: Graph never saw the expired token.
      assert.deepEqual(graphRequests().slice(graphBefore).map((r) => r.status), Array(12).fill(200));
    } finally {
      mock.state.setConfig({ appTokenLifetimeS: 3599 });
    }
  });

  test("app-only: a token Graph refuses (revoked early) is replaced once and the call succeeds", async () => {
    const first = await call("app-refresh", sessionsPath(TARGET), { auth: "key", allowedSecrets: ["importUrl"] });
    assert.equal(first.status, 201, first.text);
    const countBefore = mock.state.stats.login.requests;
    assert.ok(mock.state.expireAppTokens(CLIENT_ID) >= 1);
    const graphBefore = graphRequests().length;
    const r = await call("app-refresh", sessionsPath(TARGET), { auth: "key", allowedSecrets: ["importUrl"] });
    assert.equal(r.status, 201, r.text);
    assert.equal(mock.state.stats.login.requests - countBefore, 1);
    assert.deepEqual(graphRequests().slice(graphBefore).map((x) => x.status), [401, 200]);
  });

  test("app-only: Entra refusing the Worker's secret is a 502 that tells the caller nothing more", async () => {
    const r = await call("app-wrong-secret", sessionsPath(TARGET), { auth: "key" });
    assertError(r, 502, "tokenProviderFailed");
    assert.equal(r.body.error.message, "The Worker could not get an app-only token from Microsoft Entra ID.");
    assert.ok(!r.text.includes("AADSTS"));
    const refused = mock.state.tokenRequests.filter((x) => x.error === "invalid_client");
    assert.ok(refused.length >= 1);
    // The operator learns why from the log (Entra's code, never the secret).
    await waitForLog((line) => line.includes(r.body.error.requestId));
    const line = logLines.find((l) => l.includes(r.body.error.requestId));
    assert.match(line, /tokenProviderFailed/);
    assert.match(line, /AADSTS7000215/);
  });
});

describe("origins, methods, routes and bodies", () => {
  test("a disallowed origin is refused without CORS headers, in both modes", async () => {
    const before = graphRequests().length;
    for (const [name, auth] of [["delegated", "delegated"], ["app", "key"]]) {
      const r = await call(name, sessionsPath(TARGET), { auth, origin: OTHER_ORIGIN });
      assertError(r, 403, "forbidden");
      assert.equal(r.headers.get("access-control-allow-origin"), null);
      // "null" (sandboxed pages, file:) is no allowed origin either.
      const n = await call(name, sessionsPath(TARGET), { auth, origin: "null" });
      assertError(n, 403, "forbidden");
    }
    assert.equal(graphRequests().length, before);
  });

  test("preflight: an allowed origin gets its own origin back (never *), a disallowed one a 403", async () => {
    for (const name of ["delegated", "app"]) {
      const ok = await call(name, itemsPath(TARGET), {
        method: "OPTIONS",
        headers: { "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-api-key" },
      });
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
      assert.match(ok.headers.get("access-control-allow-methods"), /POST/);
      assert.match(ok.headers.get("access-control-allow-methods"), /DELETE/, "jobs are deleted from the portal");
      assert.match(ok.headers.get("access-control-allow-headers"), /x-api-key/);
      assert.match(ok.headers.get("access-control-allow-headers"), /authorization/);
      assert.equal(ok.headers.get("access-control-allow-credentials"), null);
      const second = await call(name, itemsPath(TARGET), {
        method: "OPTIONS",
        origin: "https://admin.contoso.test",
        headers: { "access-control-request-method": "POST" },
      });
      assert.equal(second.headers.get("access-control-allow-origin"), "https://admin.contoso.test");
      const bad = await call(name, itemsPath(TARGET), {
        method: "OPTIONS",
        origin: OTHER_ORIGIN,
        headers: { "access-control-request-method": "POST" },
      });
      assert.equal(bad.status, 403);
      assert.equal(bad.headers.get("access-control-allow-origin"), null);
    }
    for (const a of answers) assert.notEqual(a.headers["access-control-allow-origin"], "*", a.label);
  });

  test("a request without Origin (a server calling) is served, without CORS headers", async () => {
    const r = await call("app", sessionsPath(TARGET), { auth: "key", origin: null, allowedSecrets: ["importUrl"] });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get("access-control-allow-origin"), null);
  });

  test("an oversized body is refused with 413: by Content-Length before reading, or while streaming", async () => {
    const before = mock.state.requests.length;
    const big = { folderId: TARGET_INBOX, data: Buffer.alloc(MAX_BODY_BYTES * 3).toString("base64") };
    for (const [name, auth] of [["delegated", "delegated"], ["app", "key"]]) {
      // The Worker answers 413 and stops reading; the client, still sending, may see the connection reset
      // instead of the early answer (as below), so the Worker's log line tells what it answered.
      const logged = logLines.length;
      const r = await call(name, itemsPath(TARGET), { auth, body: big }).catch((e) => e);
      if (!(r instanceof Error)) {
        assertError(r, 413, "payloadTooLarge");
        assertCors(r);
      }
      await waitForLog((l, i) => i >= logged && l.includes('"code":"payloadTooLarge"'));
      // Refused once the limit was passed. How much arrived by then depends on how the runtime chunks a body
      // already sent whole (under load, one chunk can hold all of it), so stopping early is checked below on
      // a 16 MB stream. (Miniflare hands the Worker the body without its Content-Length, so the check before
      // reading is tested in http.test.mjs.)
      const line = JSON.parse(logLines.slice(logged).find((l) => l.includes('"code":"payloadTooLarge"')));
      assert.equal(line.status, 413);
      assert.ok(line.bodyBytes > MAX_BODY_BYTES, `read ${line.bodyBytes} of ${JSON.stringify(big).length} bytes`);
    }
    // No Content-Length: a stream that would go on for 16 MB is cut off just past the limit.
    let pulled = 0;
    const chunk = new TextEncoder().encode("A".repeat(16 * 1024));
    const stream = new ReadableStream({
      pull(controller) {
        pulled += chunk.byteLength;
        if (pulled > 16 * 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const logged = logLines.length;
    // The Worker answers 413 and stops reading; an HTTP/1.1 client still sending may see the connection
    // reset rather than the early answer, so the Worker's log line tells what it answered and read.
    const streamed = await call("delegated", itemsPath(TARGET), { auth: "delegated", body: stream }).catch((e) => e);
    if (!(streamed instanceof Error)) assertError(streamed, 413, "payloadTooLarge");
    await waitForLog((line, i) => i >= logged && line.includes('"code":"payloadTooLarge"'));
    const line = JSON.parse(logLines.slice(logged).find((l) => l.includes('"code":"payloadTooLarge"')));
    assert.equal(line.status, 413);
    // Past the limit by at most what the runtime hands over at once (it may join the 16 KB pieces): the
    // Worker stopped reading, far short of the 16 MB the stream went on for.
    assert.ok(line.bodyBytes > MAX_BODY_BYTES && line.bodyBytes <= MAX_BODY_BYTES + 1024 * 1024, `read ${line.bodyBytes} bytes`);
    assert.ok(pulled > line.bodyBytes);
    // A body just under the limit is accepted.
    const fits = await call("delegated", itemsPath(TARGET), {
      auth: "delegated",
      body: { folderId: TARGET_INBOX, data: Buffer.alloc(MAX_BODY_BYTES / 2).toString("base64") },
    });
    assert.equal(fits.status, 201, fits.text);
    assert.equal(mock.state.requests.length - before, 2, "only the body that fits reached Graph and the import host");
  });

  test("a body that trickles in is refused with 408 at the deadline, in both modes, and nothing goes upstream", { timeout: 20_000 }, async () => {
    const before = mock.state.requests.length;
    const tokensBefore = mock.state.stats.login.requests;
    // A valid item, sent a few bytes every 100 ms: the whole of it would take about 10 s.
    const text = JSON.stringify({ folderId: TARGET_INBOX, data: itemData("slow") });
    const trickle = () => {
      const bytes = new TextEncoder().encode(text);
      let sent = 0;
      let timer;
      return new ReadableStream({
        start(controller) {
          const step = Math.ceil(bytes.length / 100);
          timer = setInterval(() => {
            if (sent >= bytes.length) {
              clearInterval(timer);
              controller.close();
              return;
            }
            controller.enqueue(bytes.slice(sent, sent + step));
            sent += step;
          }, 100);
        },
        cancel() {
          clearInterval(timer);
        },
      });
    };
    const answered = await Promise.all(
      [["delegated", "delegated"], ["app", "key"]].map(async ([name, auth]) => {
        const logged = logLines.length;
        const started = Date.now();
        // As with 413, a client still sending may see the connection reset instead of the early answer.
        const r = await call(name, itemsPath(TARGET), { auth, body: trickle() }).catch((e) => e);
        const ms = Date.now() - started;
        await waitForLog((l, i) => i >= logged && l.includes('"code":"requestTimeout"') && l.includes(`"mode":"${name === "app" ? "app-only" : "delegated"}"`));
        return { name, r, ms };
      }),
    );
    for (const { name, r, ms } of answered) {
      if (!(r instanceof Error)) {
        assertError(r, 408, "requestTimeout");
        assertCors(r);
        assert.match(r.body.error.message, new RegExp(`within ${BODY_TIMEOUT_MS} ms`));
      }
      assert.ok(ms >= BODY_TIMEOUT_MS - 50 && ms < BODY_TIMEOUT_MS + 2500, `${name}: answered after ${ms} ms`);
    }
    const lines = logLines.filter((l) => l.includes('"code":"requestTimeout"')).map((l) => JSON.parse(l));
    for (const line of lines) {
      assert.equal(line.status, 408);
      assert.ok(line.bodyBytes > 0 && line.bodyBytes < text.length, `read ${line.bodyBytes} of ${text.length} bytes`);
      assert.ok(line.ms < BODY_TIMEOUT_MS + 1000, `took ${line.ms} ms`);
    }
    assert.equal(mock.state.requests.length, before, "nothing was sent to Graph or the import host");
    assert.equal(mock.state.stats.login.requests, tokensBefore, "no token was asked for");
  });

  test("bodies are validated before anything is sent to Graph", async () => {
    const before = mock.state.requests.length;
    const tokensBefore = mock.state.stats.login.requests;
    const ok = { folderId: TARGET_INBOX, data: itemData("v") };
    const cases = [
      [itemsPath(TARGET), "not json", 400, "invalidArgument"],
      [itemsPath(TARGET), [], 400, "invalidArgument"],
      [itemsPath(TARGET), { ...ok, data: "not base64!" }, 400, "invalidArgument", "data"],
      [itemsPath(TARGET), { ...ok, data: "" }, 400, "invalidArgument", "data"],
      [itemsPath(TARGET), { ...ok, data: 42 }, 400, "invalidArgument", "data"],
      [itemsPath(TARGET), { ...ok, folderId: "" }, 400, "invalidArgument", "folderId"],
      [itemsPath(TARGET), { ...ok, folderId: "a\u0000b" }, 400, "invalidArgument", "folderId"],
      [itemsPath(TARGET), { ...ok, mode: "upsert" }, 400, "invalidArgument", "mode"],
      [itemsPath(TARGET), { ...ok, itemId: "AAMk" }, 400, "invalidArgument", "itemId"],
      [itemsPath(TARGET), { ...ok, mode: "update", itemId: "AAMk" }, 400, "invalidArgument", "changeKey"],
      [itemsPath(TARGET), { ...ok, extra: 1 }, 400, "invalidArgument", "unknown property"],
      [itemsPath(TARGET), { items: [] }, 400, "invalidArgument", "items"],
      [itemsPath(TARGET), { items: Array(MAX_BATCH_ITEMS + 1).fill(ok) }, 400, "invalidArgument", `at most ${MAX_BATCH_ITEMS}`],
      [itemsPath(TARGET), { items: [ok, { ...ok, data: "%%%%" }] }, 400, "invalidArgument", "items[1].data"],
      [copyPath(TARGET), { sourceMailboxId: SOURCE, itemIds: ["a", "b", "a"], folderId: RESTORED }, 400, "invalidArgument", "itemIds[2]"],
      [copyPath(TARGET), { sourceMailboxId: SOURCE, itemIds: [], folderId: RESTORED }, 400, "invalidArgument", "itemIds"],
      [copyPath(TARGET), { sourceMailboxId: SOURCE, itemIds: Array.from({ length: 41 }, (_, i) => `id${i}`), folderId: RESTORED }, 400, "invalidArgument", "at most 40"],
      [copyPath(TARGET), { sourceMailboxId: "..", itemIds: ["a"], folderId: RESTORED }, 400, "invalidArgument", "sourceMailboxId"],
      [copyPath(TARGET), { itemIds: ["a"], folderId: RESTORED }, 400, "invalidArgument", "sourceMailboxId"],
      [sessionsPath(TARGET), { folderId: "x" }, 400, "invalidArgument"],
      ["/mailboxes/a%0Ab/import-sessions", undefined, 400, "invalidArgument", "mailbox id"],
      ["/mailboxes/%E0%A4%A/import-sessions", undefined, 400, "invalidArgument", "percent-encoding"],
      // URL parsing collapses an encoded "." segment: the path no longer names a mailbox.
      ["/mailboxes/%2E/import-sessions", undefined, 404, "notFound"],
      ["/mailboxes/%2e%2E/items", undefined, 404, "notFound"],
      [`/mailboxes/${"x".repeat(600)}/import-sessions`, undefined, 400, "invalidArgument"],
    ];
    for (const [name, auth] of [["delegated", "delegated"], ["app", "key"]]) {
      for (const [path, body, status, code, mention] of cases) {
        const r = await call(name, path, { auth, body });
        assertError(r, status, code);
        if (mention) assert.ok(r.body.error.message.includes(mention), `${r.body.error.message} should mention ${mention}`);
        assertCors(r);
      }
      // Not JSON by its Content-Type.
      const typed = await call(name, itemsPath(TARGET), { auth, body: JSON.stringify(ok), headers: { "content-type": "text/plain" } });
      assertError(typed, 415, "unsupportedMediaType");
    }
    assert.equal(mock.state.requests.length, before, "nothing reached Graph or the import host");
    assert.equal(mock.state.stats.login.requests, tokensBefore, "no token was fetched for a bad request");
  });

  test("methods and routes: 405 with Allow, 404 for anything else", async () => {
    const get = await call("delegated", itemsPath(TARGET), { method: "GET", auth: "delegated" });
    assertError(get, 405, "methodNotAllowed");
    assert.equal(get.headers.get("allow"), "POST, OPTIONS");
    for (const path of ["/", "/mailboxes", `/mailboxes/${TARGET}/items/extra`, `/mailboxes/${TARGET}/sessions`, "/mailboxes//items"]) {
      const r = await call("app", path, { auth: "key" });
      assertError(r, 404, "notFound");
    }
  });

  test("a misconfigured Worker refuses every request with 500 and logs which settings, not their values", async () => {
    const r = await call("misconfigured", sessionsPath(TARGET), { auth: "key" });
    assertError(r, 500, "workerMisconfigured");
    await waitForLog((line) => line.includes(r.body.error.requestId));
    const line = logLines.find((l) => l.includes(r.body.error.requestId));
    for (const name of ["ALLOWED_ORIGINS", "ENTRA_TENANT_ID", "ENTRA_CLIENT_ID", "RELAY_API_KEY", "GRAPH_BASE_URL", "TRUSTED_IMPORT_HOSTS", "MAX_BODY_BYTES"]) {
      assert.ok(line.includes(name), `${name} in ${line}`);
    }
    assert.ok(!line.includes(CLIENT_SECRET));
    assert.ok(!line.includes("graph.example.com"), "values are not logged");
  });
});

/** The Worker's log line of the request with this id (the Worker's or Graph's request id). */
async function waitForLog(predicate, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (logLines.some((line, i) => predicate(line, i))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail("the log line never came");
}

describe("secrets", () => {
  test("nothing secret in any answer or log line", async () => {
    // Every request so far logged one line: wait for them all.
    const logged = () => logLines.filter((l) => /"requestId":"[0-9a-f-]{36}"/.test(l)).length;
    const end = Date.now() + 5000;
    while (logged() < answers.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(logged() >= answers.length, `${logged()} request log lines for ${answers.length} requests`);
    assert.ok(answers.length > 100);

    const appTokens = [...mock.state.appTokens.keys()];
    const authtokens = [...mock.state.sessions.keys()];
    assert.ok(appTokens.length >= 3 && authtokens.length >= 10);
    const secrets = [
      ["client secret", CLIENT_SECRET],
      ["relay key", API_KEY],
      ["previous relay key", API_KEY_PREVIOUS],
      ["delegated token", DELEGATED_TOKEN],
      ...appTokens.map((t) => ["app token", t]),
    ];
    for (const line of logLines) {
      for (const [what, value] of secrets) assert.ok(!line.includes(value), `a log line holds the ${what}: ${line}`);
      for (const token of authtokens) assert.ok(!line.includes(token), `a log line holds an authtoken: ${line}`);
      assert.ok(!/authtoken=/i.test(line), line);
    }
    for (const a of answers) {
      const text = `${JSON.stringify(a.headers)}\n${a.text}`;
      for (const [what, value] of secrets) assert.ok(!text.includes(value), `${a.label} answered with the ${what}`);
      if (!a.allowedSecrets.includes("importUrl") || a.status !== 201) {
        for (const token of authtokens) assert.ok(!text.includes(token), `${a.label} answered with an authtoken`);
        assert.ok(!/authtoken=/i.test(text), `${a.label}: ${text}`);
      }
    }
  });
});
