// Portal users signed in with Microsoft Entra ID: the example Worker (wrangler's dry-run bundle of the app-only
// environment, in workerd through Miniflare) takes their access token for its own API, checked against the
// mock tenant's published keys (JWKS on loopback), and refuses every bad token with 401 (403 for a missing
// role) before anything starts, logging nothing that holds the token.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";

import { Miniflare } from "miniflare";

import { DEMO_IDS, startMockTenant } from "../mock/server.mjs";
import { checkPrerequisites, EXAMPLE_DIR, runWrangler, tempDir } from "./support.mjs";

const ORIGIN = "https://portal.contoso.test";
const CLIENT_ID = "7d3c0a11-5e5e-4c4c-9b9b-0123456789ab";
const CLIENT_SECRET = `Xy8Q~${randomBytes(24).toString("base64url")}`;
const API_KEY = randomBytes(32).toString("base64");
const TENANT_GUID = "c0c0c0c0-0000-4000-8000-00000000c0de";
const AUDIENCE = "api://mailbox-migration";
const COMPATIBILITY_DATE = /^compatibility_date = "([^"]+)"/m.exec(readFileSync(join(EXAMPLE_DIR, "wrangler.toml"), "utf8"))[1];

let mock;
let miniflare;
let distDir;
const logLines = [];

before(async () => {
  checkPrerequisites();
  const dir = (distDir = tempDir("entra-dist"));
  const run = runWrangler(["deploy", "--dry-run", "--env", "app-only", "--outdir", dir]);
  assert.equal(run.status, 0, `wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  mock = await startMockTenant({ seed: "demo", apps: { [CLIENT_ID]: CLIENT_SECRET }, entraTenantId: TENANT_GUID, apiAudience: AUDIENCE });
  miniflare = startWorker(dir);
  await miniflare.ready;
}, { timeout: 120_000 });

/** The app-only Worker in workerd, signing in portal users; `withRelayKey` false leaves RELAY_API_KEY unset. */
function startWorker(dir, { withRelayKey = true, overrides = {} } = {}) {
  const worker = new Miniflare({
    modules: true,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    scriptPath: join(dir, "worker.js"),
    modulesRoot: dir,
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: {
      MAILBOX_JOBS: { className: "MailboxJobs", useSQLite: true },
      JOB_DIRECTORY: { className: "JobDirectory", useSQLite: true },
    },
    bindings: {
      TOKEN_MODE: "app-only",
      ALLOWED_ORIGINS: ORIGIN,
      GRAPH_BASE_URL: mock.graphUrl,
      TRUSTED_IMPORT_HOSTS: `127.0.0.1:${mock.importPort}`,
      ENTRA_TENANT_ID: "contoso.onmicrosoft.com",
      ENTRA_CLIENT_ID: CLIENT_ID,
      ENTRA_CLIENT_SECRET: CLIENT_SECRET,
      ENTRA_AUTHORITY_HOST: mock.loginUrl,
      ...(withRelayKey ? { RELAY_API_KEY: API_KEY } : {}),
      PORTAL_TENANT_ID: TENANT_GUID,
      PORTAL_AUDIENCE: AUDIENCE,
      // The production issuer (the tokens carry it); only the keys come from loopback.
      PORTAL_JWKS_URL: mock.jwksUri,
      ...overrides,
    },
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) createInterface({ input: stream }).on("line", (line) => logLines.push(line));
    },
  });
  return worker;
}

after(async () => {
  try {
    await miniflare?.dispose();
  } finally {
    await mock?.close();
  }
});

async function call(path, { method = "GET", token, key, body, worker = miniflare } = {}) {
  const headers = { origin: ORIGIN };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (key !== undefined) headers["x-api-key"] = key;
  const init = { method, headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await worker.dispatchFetch(`http://relay.test${path}`, init);
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, body: text ? JSON.parse(text) : null };
}

const JOB = {
  source: { mailboxId: DEMO_IDS.sourceMailbox, folderId: DEMO_IDS.folders.drafts },
  target: { mailboxId: DEMO_IDS.targetMailbox },
};

/** Waits until workerd has printed the log line of the request answered last (it arrives asynchronously). */
async function logOf(requestId) {
  for (let i = 0; i < 100; i++) {
    const line = logLines.find((l) => l.includes(requestId));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no log line for ${requestId}`);
}

const BAD_TOKENS = [
  { label: "unsigned (signature removed)", status: 401, make: () => mock.mintAccessToken().replace(/\.[^.]+$/, ".") },
  { label: "signed with a key the tenant does not publish", status: 401, make: () => mock.mintAccessToken({ signWith: "foreign" }) },
  { label: "expired", status: 401, make: () => mock.mintAccessToken({ expiresInS: -600 }) },
  { label: "not yet valid", status: 401, make: () => mock.mintAccessToken({ notBeforeInS: 600 }) },
  {
    label: "from another tenant's issuer",
    status: 401,
    make: () => mock.mintAccessToken({ claims: { iss: "https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/v2.0" } }),
  },
  { label: "for another audience", status: 401, make: () => mock.mintAccessToken({ claims: { aud: "api://someone-else" } }) },
  { label: "alg none", status: 401, make: () => mock.mintAccessToken({ alg: "none" }) },
  { label: "a huge header", status: 401, make: () => mock.mintAccessToken({ headerPaddingBytes: 64 * 1024 }) },
  { label: "without any role", status: 403, make: () => mock.mintAccessToken({ claims: { roles: null } }) },
  { label: "with another role only", status: 403, make: () => mock.mintAccessToken({ claims: { roles: ["Mail.Reader"] } }) },
];

test("a portal user's valid token lists jobs, starts nothing by itself, and works on the relay routes", async () => {
  const token = mock.mintAccessToken();
  const list = await call("/jobs", { token });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.body.jobs, []);
  const session = await call(`/mailboxes/${encodeURIComponent(DEMO_IDS.targetMailbox)}/import-sessions`, { method: "POST", token });
  assert.equal(session.status, 201, session.text);
  // The key mode stays for server-to-server callers.
  assert.equal((await call("/jobs", { key: API_KEY })).status, 200);
  assert.equal((await call("/jobs")).status, 401);
});

for (const bad of BAD_TOKENS) {
  test(`a token ${bad.label}: ${bad.status}, no job started, nothing logged that holds it`, async () => {
    const token = bad.make();
    const graphBefore = mock.state.stats.requests.graph;
    const importBefore = mock.state.stats.requests.import;
    const r = await call("/jobs", { method: "POST", token, body: JOB });
    assert.equal(r.status, bad.status, r.text);
    assert.equal(r.body.error.code, bad.status === 401 ? "unauthorized" : "forbidden");
    if (bad.status === 401) assert.match(r.headers.get("www-authenticate"), /^Bearer realm="graph-mailbox-import", error="invalid_token"$/);
    // Nothing started: no job listed, no Graph or import request made.
    const list = await call("/jobs", { key: API_KEY });
    assert.deepEqual(list.body.jobs, []);
    assert.equal(mock.state.stats.requests.graph, graphBefore);
    assert.equal(mock.state.stats.requests.import, importBefore);
    // Neither the token nor any of its three parts is in the answer or the log.
    const line = await logOf(r.headers.get("request-id"));
    assert.match(line, /"route":"jobs"/);
    for (const part of [token, ...token.split(".").filter((p) => p.length >= 16)]) {
      assert.ok(!r.text.includes(part), "the answer holds the token");
      assert.ok(!line.includes(part), `the log holds the token: ${line.slice(0, 300)}`);
    }
  });
}

test("the tenant's keys are fetched once and cached across requests", async () => {
  for (let i = 0; i < 5; i++) assert.equal((await call("/jobs", { token: mock.mintAccessToken() })).status, 200);
  // Every token of this file carries the current kid: one fetch of the JWKS served them all.
  assert.equal(mock.state.stats.discovery.jwks, 1);
  assert.equal(mock.state.stats.discovery.openidConfiguration, 0);
});

test("without a relay key, a Worker that signs in portal users serves them and refuses every X-Api-Key", async () => {
  const keyless = startWorker(distDir, { withRelayKey: false });
  try {
    await keyless.ready;
    const list = await call("/jobs", { worker: keyless, token: mock.mintAccessToken() });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.jobs, []);
    for (const key of [API_KEY, "", "x".repeat(40)]) {
      const r = await call("/jobs", { worker: keyless, key });
      assert.equal(r.status, 401, r.text);
      assert.equal(r.body.error.code, "unauthorized");
      assert.match(r.body.error.message, /no relay key: sign in/);
    }
    assert.equal((await call("/jobs", { worker: keyless })).status, 401);
    // Without portal sign-in either, nobody could call it: that is a misconfiguration, said as such.
    const closed = startWorker(distDir, { withRelayKey: false, overrides: { PORTAL_TENANT_ID: "", PORTAL_AUDIENCE: "" } });
    try {
      const r = await call("/jobs", { worker: closed, key: API_KEY });
      assert.equal(r.status, 500, r.text);
      assert.equal(r.body.error.code, "workerMisconfigured");
      // The answer says only that; the operator's log names the setting.
      assert.doesNotMatch(r.text, /RELAY_API_KEY/);
      assert.match(await logOf(r.body.error.requestId), /RELAY_API_KEY: required in app-only mode unless portal users sign in/);
    } finally {
      await closed.dispose();
    }
  } finally {
    await keyless.dispose();
  }
});
