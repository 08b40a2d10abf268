// The package in Node, installed from its tarball and imported by name, so Node picks the `node` entry
// through `exports`. Runs the common scenarios, then the behaviour that only a real host shows: retries and
// their waits, timeouts, aborts, token refresh, and arguments refused before any request.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { runScenarios, SEED_TOKEN } from "./scenarios.mjs";
import {
  addScenarioFaults,
  assertScenarioResults,
  assertSession,
  assertSessionRequest,
  installPackedPackage,
  scenarioEnv,
  startMock,
  tempDir,
  uniqueMailbox,
} from "./support.mjs";

let dir;
let packed;
let api;
let mock;

before(async () => {
  dir = tempDir("node");
  packed = installPackedPackage(dir);
  // A consumer module beside node_modules/, so the specifiers resolve exactly as in a user's project.
  writeFileSync(join(dir, "consumer.mjs"), 'export * from "graph-mailbox-import";\n');
  writeFileSync(
    join(dir, "init-consumer.mjs"),
    'export * from "graph-mailbox-import/init";\nexport { default } from "graph-mailbox-import/init";\n',
  );
  api = await import(pathToFileURL(join(dir, "consumer.mjs")).href);
  mock = await startMock();
});

after(() => mock?.close());

/** Options for the mock tenant; `extra` overrides. */
function options(extra = {}) {
  return {
    token: SEED_TOKEN,
    graphBaseUrl: mock.graphUrl,
    trustedImportHosts: [`127.0.0.1:${mock.importPort}`],
    ...extra,
  };
}

/** The call's rejection; fails if it resolved. */
async function rejection(promise) {
  try {
    const value = await promise;
    assert.fail(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (e) {
    return e;
  }
}

function sessionPath(version, mailbox) {
  return `/${version}/admin/exchange/mailboxes/${encodeURIComponent(mailbox)}/createImportSession`;
}

/** A value for a test label; the throwing Proxy cannot be serialised. */
function show(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return "an object whose getters throw";
  }
}

async function waitFor(condition, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the mock");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("the packed package", { timeout: 30000 }, () => {
  test("the main entry exports the public API and none of wasm-bindgen's loader", async () => {
    const glue = await import(pathToFileURL(join(packed.packageDir, "graph_mailbox_import.js")).href);
    const publicNames = Object.keys(glue).filter((name) => name !== "default" && name !== "initSync");
    assert.deepEqual(Object.keys(api).sort(), publicNames.sort());
    assert.deepEqual(Object.keys(api).sort(), ["MailboxClient", "clientCredentials", "createImportSession", "isMailboxError"]);
  });

  test("graph-mailbox-import/init exports the loader and shares the already loaded instance", async () => {
    const init = await import(pathToFileURL(join(dir, "init-consumer.mjs")).href);
    assert.equal(typeof init.default, "function");
    assert.equal(typeof init.initSync, "function");
    assert.equal(init.createImportSession, api.createImportSession);
    // Already initialised by the main entry: a second initialisation is a no-op, not a second instance.
    await init.default();
    const session = await init.createImportSession(uniqueMailbox("init"), options());
    assert.equal(typeof session.importUrl, "string");
  });

  test("a freed client rejects every call with invalidArgument, never throws, and may be freed twice", async () => {
    const client = new api.MailboxClient(options());
    assert.equal((await client.createImportSession(uniqueMailbox())).importUrl.startsWith("http://127.0.0.1:"), true);
    client.free();
    const methods = Object.getOwnPropertyNames(api.MailboxClient.prototype).filter(
      (name) => name !== "constructor" && name !== "free" && !name.startsWith("__"),
    );
    assert.ok(methods.length >= 8, methods.join());
    for (const name of methods) {
      let promise;
      assert.doesNotThrow(() => {
        promise = client[name]("MBX:a@b", {});
      }, name);
      const error = await rejection(promise);
      assert.equal(api.isMailboxError(error), true, name);
      assert.equal(error.code, "invalidArgument", name);
      assert.match(error.message, /freed/, name);
    }
    assert.doesNotThrow(() => client.free());
    assert.doesNotThrow(() => client[Symbol.dispose]());
    // The module is unharmed: a new client works.
    assert.ok((await new api.MailboxClient(options()).createImportSession(uniqueMailbox())).importUrl);
  });

  test("graph-mailbox-import/package.json is exported", () => {
    const require = createRequire(join(dir, "consumer.mjs"));
    const manifest = require("graph-mailbox-import/package.json");
    assert.equal(manifest.name, "graph-mailbox-import");
    assert.equal(manifest.type, "module");
  });
});

describe("createImportSession in Node", { timeout: 60000 }, () => {
  test("the common scenarios: seed call, throttled then success, forbidden", async () => {
    const env = scenarioEnv(mock, "node");
    addScenarioFaults(mock, env);
    const results = await runScenarios(api, env);
    assertScenarioResults(results, mock, env);
    // Node sees Retry-After (no CORS): the retry waited the second the mock asked for.
    const [first, second] = mock.state.requestsFor(env.mailboxes.throttled);
    assert.ok(second.time - first.endTime >= 950, `waited ${second.time - first.endTime} ms`);
  });

  test("a 429 without Retry-After is retried after a backoff from retryBaseDelayMs", async () => {
    const mailbox = uniqueMailbox("backoff");
    mock.state.addFaults([{ mailbox, kind: "status", status: 429 }]);
    const started = Date.now();
    const session = await api.createImportSession(mailbox, options({ retryBaseDelayMs: 10 }));
    assert.deepEqual(Object.keys(session).sort(), ["expirationDateTime", "importUrl"]);
    assert.deepEqual(
      mock.state.requestsFor(mailbox).map((r) => r.status),
      [429, 200],
    );
    assert.ok(Date.now() - started < 900, "the backoff started near 10 ms, not the default second");
  });

  test("apiVersion beta uses the beta path", async () => {
    const mailbox = uniqueMailbox("beta");
    const session = await api.createImportSession(mailbox, options({ apiVersion: "beta" }));
    assertSession({ ok: true, value: session, keys: Object.keys(session), plainObject: true }, mock, "beta");
    const [request] = mock.state.requestsFor(mailbox);
    assertSessionRequest(request, { path: sessionPath("beta", mailbox), token: SEED_TOKEN });
  });

  test("a token provider is asked before the request, and once more with forceRefresh after a 401", async () => {
    const mailbox = uniqueMailbox("provider");
    const calls = [];
    const token = async (request) => {
      calls.push(request);
      return request.forceRefresh ? "fresh-token" : "expired-token";
    };
    const scopes = ["https://graph.microsoft.com/.default"];
    await api.createImportSession(mailbox, options({ token, scopes }));
    assert.deepEqual(calls, [
      { scopes, forceRefresh: false },
      { scopes, forceRefresh: true },
    ]);
    const requests = mock.state.requestsFor(mailbox);
    assert.deepEqual(
      requests.map((r) => [r.headers.authorization, r.status]),
      [
        ["Bearer expired-token", 401],
        ["Bearer fresh-token", 200],
      ],
    );
  });

  test("an importUrl outside the trusted hosts fails with untrustedImportUrl, without echoing it", async () => {
    const mailbox = uniqueMailbox("untrusted");
    mock.state.addFaults([{ mailbox, kind: "untrustedImportUrl" }]);
    const e = await rejection(api.createImportSession(mailbox, options()));
    assert.equal(e.name, "MailboxError");
    assert.equal(e.code, "untrustedImportUrl");
    assert.ok(!/authtoken/i.test(e.message), e.message);
    assert.ok(!e.message.includes("/importItem"), e.message);
  });

  test("a truncated JSON body fails with invalidResponse", async () => {
    const mailbox = uniqueMailbox("malformed");
    mock.state.addFaults([{ mailbox, kind: "malformedJson" }]);
    const e = await rejection(api.createImportSession(mailbox, options()));
    assert.equal(e.code, "invalidResponse");
    assert.equal(e.status, 200);
    assert.equal(mock.state.requestsFor(mailbox).length, 1, "a 2xx with a bad body is not retried");
  });

  test("an attempt that hangs past timeoutMs is retried, then fails with timeout", async () => {
    const mailbox = uniqueMailbox("hang");
    mock.state.addFaults([{ mailbox, kind: "hang", times: 2 }]);
    const e = await rejection(
      api.createImportSession(mailbox, options({ timeoutMs: 200, maxRetries: 1, retryBaseDelayMs: 10 })),
    );
    assert.equal(e.code, "timeout");
    assert.equal(e.attempts, 2);
    assert.equal(mock.state.requestsFor(mailbox).length, 2);
  });

  test("a connection reset is retried (createImportSession is safe to repeat)", async () => {
    const mailbox = uniqueMailbox("reset");
    mock.state.addFaults([{ mailbox, kind: "reset" }]);
    await api.createImportSession(mailbox, options({ retryBaseDelayMs: 10 }));
    assert.deepEqual(
      mock.state.requestsFor(mailbox).map((r) => [r.fault, r.status]),
      [
        ["reset", null],
        [null, 200],
      ],
    );
  });

  test("aborting during a Retry-After wait rejects with signal.reason at once", async () => {
    const mailbox = uniqueMailbox("abort");
    mock.state.addFaults([{ mailbox, kind: "status", status: 429, retryAfter: "30" }]);
    const controller = new AbortController();
    const call = api.createImportSession(mailbox, options({ signal: controller.signal }));
    await waitFor(() => mock.state.requestsFor(mailbox)[0]?.status === 429);
    await new Promise((resolve) => setTimeout(resolve, 50)); // now inside the 30 s wait
    const reason = new Error("the user cancelled");
    const aborted = Date.now();
    controller.abort(reason);
    const e = await rejection(call);
    assert.equal(e, reason, "rejects with signal.reason itself");
    assert.ok(Date.now() - aborted < 500, `settled ${Date.now() - aborted} ms after the abort`);
    assert.equal(mock.state.requestsFor(mailbox).length, 1);
  });

  test("a Retry-After longer than maxRetryDelayMs fails with throttled at once, for the caller to schedule", async () => {
    const mailbox = uniqueMailbox("long-retry-after");
    mock.state.addFaults([{ mailbox, kind: "status", status: 429, retryAfter: "120" }]);
    const started = Date.now();
    const e = await rejection(api.createImportSession(mailbox, options()));
    assert.ok(Date.now() - started < 1000, "did not wait");
    assert.equal(e.code, "throttled");
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterMs, 120000);
    assert.equal(e.attempts, 1);
    assert.equal(mock.state.requestsFor(mailbox).length, 1);
  });

  test("bad arguments reject with invalidArgument before any request, never throwing synchronously", async () => {
    const before = mock.state.requests.length;
    const good = options();
    const cases = [
      [42, good],
      [undefined, good],
      [null, good],
      [{ toString: () => "MBX:a@b" }, good],
      ["", good],
      [".", good],
      ["..", good],
      ["MBX:a\u0000b", good],
      ["\uD800", good],
      ["ok", undefined],
      ["ok", null],
      ["ok", {}],
      ["ok", { ...good, token: undefined }],
      ["ok", { ...good, token: 42 }],
      ["ok", { ...good, token: "" }],
      ["ok", { ...good, apiVersion: "v2" }],
      ["ok", { ...good, graphBaseUrl: "http://graph.example.com" }],
      ["ok", { ...good, maxRetries: 11 }],
      ["ok", { ...good, signal: "not a signal" }],
      ["ok", new Proxy({}, { get: () => { throw new Error("getter threw"); } })],
    ];
    for (const [mailboxId, opts] of cases) {
      const label = `${show(mailboxId)} with ${show(opts)}`;
      let promise;
      assert.doesNotThrow(() => {
        promise = api.createImportSession(mailboxId, opts);
      }, label);
      assert.ok(promise instanceof Promise, label);
      const e = await rejection(promise);
      assert.equal(e.name, "MailboxError", label);
      assert.equal(e.code, "invalidArgument", `${label}: ${e.message}`);
      assert.equal(e.attempts, 0, label);
      assert.equal(api.isMailboxError(e), true, label);
    }
    assert.equal(mock.state.requests.length, before, "no request reached the mock");
  });

  test("isMailboxError is false for anything else", () => {
    for (const value of [undefined, null, "MailboxError", 42, {}, new Error("x"), new TypeError("x")]) {
      assert.equal(api.isMailboxError(value), false, String(value));
    }
  });
});

describe("clientCredentials: app-only tokens from a token endpoint", () => {
  /** A stand-in for Entra's token endpoint: tokens for one app, each valid `lifetimeS` seconds. */
  async function startTokenEndpoint({ lifetimeS = 3599 } = {}) {
    const http = await import("node:http");
    const calls = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        calls.push({ path: req.url, contentType: req.headers["content-type"], form: Object.fromEntries(form) });
        res.setHeader("Content-Type", "application/json");
        if (form.get("client_secret") !== "the secret+/=") {
          res.writeHead(401);
          res.end(
            JSON.stringify({
              error: "invalid_client",
              error_description: `AADSTS7000215: Invalid client secret provided: ${form.get("client_secret")}.\r\nTrace ID: 1d2c`,
              error_codes: [7000215],
              trace_id: "1d2c",
            }),
          );
          return;
        }
        // Slow enough that concurrent callers overlap.
        setTimeout(() => res.end(JSON.stringify({ token_type: "Bearer", expires_in: lifetimeS, access_token: `app-token-${calls.length}` })), 50);
      });
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${server.address().port}`, calls, close: () => new Promise((r) => server.close(r)) };
  }

  test("many concurrent calls share one token request, and Graph gets that token", async () => {
    const endpoint = await startTokenEndpoint();
    try {
      const token = api.clientCredentials({
        tenantId: "contoso.onmicrosoft.com",
        clientId: "app-1",
        clientSecret: "the secret+/=",
        authorityHost: endpoint.url,
      });
      assert.equal(typeof token, "function");
      const client = new api.MailboxClient({ token, graphBaseUrl: mock.graphUrl, trustedImportHosts: [`127.0.0.1:${mock.importPort}`] });
      const mailboxes = Array.from({ length: 8 }, () => uniqueMailbox("app-only"));
      const sessions = await Promise.all(mailboxes.map((m) => client.createImportSession(m)));
      assert.equal(sessions.length, 8);
      assert.equal(endpoint.calls.length, 1, "one token request for eight calls");
      assert.deepEqual(endpoint.calls[0], {
        path: "/contoso.onmicrosoft.com/oauth2/v2.0/token",
        contentType: "application/x-www-form-urlencoded",
        form: {
          grant_type: "client_credentials",
          client_id: "app-1",
          client_secret: "the secret+/=",
          scope: "https://graph.microsoft.com/.default",
        },
      });
      for (const m of mailboxes) assert.equal(mock.state.requestsFor(m)[0].headers.authorization, "Bearer app-token-1");
      // A forced refresh (what the client asks for after a 401) gets a new token.
      assert.equal(await token({ scopes: [], forceRefresh: true }), "app-token-2");
      assert.equal(await token({ scopes: [], forceRefresh: false }), "app-token-2");
      assert.equal(endpoint.calls.length, 2);
      client.free();
    } finally {
      await endpoint.close();
    }
  });

  test("a refused secret fails the call with tokenProviderFailed, Entra's reason, and never the secret", async () => {
    const endpoint = await startTokenEndpoint();
    try {
      const token = api.clientCredentials({
        tenantId: "contoso.onmicrosoft.com",
        clientId: "app-1",
        clientSecret: "wrong-secret-value",
        authorityHost: endpoint.url,
      });
      const e = await rejection(api.createImportSession(uniqueMailbox("app-refused"), { token, graphBaseUrl: mock.graphUrl }));
      assert.equal(e.code, "tokenProviderFailed");
      assert.match(e.message, /unauthorized: Microsoft Entra ID refused the client credentials request: AADSTS7000215/);
      assert.equal(e.cause.code, "unauthorized");
      assert.equal(e.cause.graphCode, "invalid_client");
      assert.equal(e.cause.requestId, "1d2c");
      for (const text of [e.message, e.cause.message, JSON.stringify(e), JSON.stringify(e.cause)]) {
        assert.ok(!text.includes("wrong-secret-value"), text);
      }
    } finally {
      await endpoint.close();
    }
  });

  test("bad options reject every token request with invalidArgument, and never throw", async () => {
    for (const options of [undefined, {}, { tenantId: "t", clientId: "c" }, { tenantId: "a/b", clientId: "c", clientSecret: "s" }, { tenantId: "t", clientId: "c", clientSecret: "s", authorityHost: "http://login.example" }]) {
      let token;
      assert.doesNotThrow(() => {
        token = api.clientCredentials(options);
      });
      const e = await rejection(token({ scopes: [], forceRefresh: false }));
      assert.equal(e.code, "invalidArgument", JSON.stringify(options));
    }
  });
});
