// Tests of the mock tenant itself: node --test tests/mock/
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMockTenant } from "./server.mjs";
import { ISO_SECONDS, UUID, assertGraphError, controlRequest, withServerProcess } from "./support.mjs";

const ISO7 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;
const DATA = Buffer.from("FastTransfer stream bytes").toString("base64");

let tenant;

before(async () => {
  tenant = await startMockTenant();
});
after(async () => {
  await tenant.close();
});
beforeEach(() => {
  tenant.state.reset();
});

// ---------------------------------------------------------------------------------------------------------
// helpers

const sessionPath = (id, version = "v1.0") =>
  `/${version}/admin/exchange/mailboxes/${encodeURIComponent(id)}/createImportSession`;

function createSession(id, { version = "v1.0", token = "token-1", headers = {}, ...init } = {}) {
  const h = { ...headers };
  if (token !== null) h.authorization = `Bearer ${token}`;
  return fetch(tenant.graphUrl + sessionPath(id, version), { method: "POST", headers: h, ...init });
}

async function newSession(id, opts) {
  const r = await createSession(id, opts);
  assert.equal(r.status, 200);
  return r.json();
}

function importItem(importUrl, body, init = {}) {
  return fetch(importUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

function control(method, path, body) {
  return controlRequest(tenant.graphUrl, method, path, body);
}

async function addFaults(...faults) {
  const r = await control("POST", "/_mock/faults", { faults });
  assert.equal(r.status, 204);
}

async function recorded(query = "") {
  const r = await control("GET", `/_mock/requests${query}`);
  assert.equal(r.status, 200);
  return (await r.json()).requests;
}

// ---------------------------------------------------------------------------------------------------------
// createImportSession

test("startMockTenant gives loopback URLs and ports", () => {
  assert.equal(tenant.graphUrl, `http://127.0.0.1:${tenant.graphPort}`);
  assert.equal(tenant.importUrlBase, `http://127.0.0.1:${tenant.importPort}`);
  assert.notEqual(tenant.graphPort, tenant.importPort);
  assert.equal(typeof tenant.close, "function");
});

test("createImportSession answers the documented shape (v1.0 and beta)", async () => {
  for (const version of ["v1.0", "beta"]) {
    const before = Date.now();
    const r = await createSession("MBX:1234@5678", { version, headers: { "client-request-id": "my-crid" } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json; odata.metadata=minimal");
    assert.match(r.headers.get("request-id"), UUID);
    assert.equal(r.headers.get("client-request-id"), "my-crid");
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    const body = await r.json();
    assert.deepEqual(Object.keys(body), ["@odata.context", "importUrl", "expirationDateTime"]);
    assert.equal(
      body["@odata.context"],
      `${tenant.graphUrl}/${version}/$metadata#microsoft.graph.mailboxItemImportSession`,
    );
    const prefix = `${tenant.importUrlBase}/api/g${version}/Mailboxes('MBX%3A1234%405678')/importItem?authtoken=`;
    assert.ok(body.importUrl.startsWith(prefix), body.importUrl);
    assert.match(body.importUrl.slice(prefix.length), /^[A-Za-z0-9_-]{40,}$/);
    assert.match(body.expirationDateTime, ISO7);
    const expires = Date.parse(body.expirationDateTime);
    assert.ok(expires >= before + 3600_000 - 1000 && expires <= Date.now() + 3600_000 + 1000);
  }
});

test("client-request-id is generated when not sent; tokens differ per session", async () => {
  const r = await createSession("MBX:a");
  assert.match(r.headers.get("client-request-id"), UUID);
  const a = await r.json();
  const b = await newSession("MBX:a");
  assert.notEqual(a.importUrl, b.importUrl);
});

test("CORS: Allow-Origin echoes Origin, Retry-After is never exposed", async () => {
  const r = await createSession("MBX:a", { headers: { origin: "http://app.test:5173" } });
  assert.equal(r.headers.get("access-control-allow-origin"), "http://app.test:5173");
  assert.equal(r.headers.get("access-control-expose-headers"), "request-id, client-request-id");
  await addFaults({ kind: "status", status: 429, retryAfter: "2" });
  const t = await createSession("MBX:a", { headers: { origin: "http://app.test:5173" } });
  assert.equal(t.status, 429);
  assert.equal(t.headers.get("retry-after"), "2");
  assert.equal(t.headers.get("access-control-allow-origin"), "http://app.test:5173");
  assert.doesNotMatch(t.headers.get("access-control-expose-headers"), /retry-after/i);
});

test("auth: missing, other scheme, expired* -> 401; forbidden* -> 403", async () => {
  const cases = [
    [{ token: null }, 401],
    [{ token: null, headers: { authorization: "Basic dXNlcjpwdw==" } }, 401],
    [{ token: null, headers: { authorization: "Bearer " } }, 401],
    [{ token: "expired-abc" }, 401],
    [{ token: "forbidden-abc" }, 403],
  ];
  for (const [opts, status] of cases) {
    const r = await createSession("MBX:a", opts);
    const body = await r.json();
    if (status === 401) {
      assertGraphError(r, body, 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.");
      assert.match(r.headers.get("www-authenticate"), /^Bearer /);
    } else {
      assertGraphError(r, body, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
    }
  }
  assert.equal(tenant.state.sessions.size, 0);
  // The token reaches the mock verbatim.
  const reqs = await recorded();
  assert.equal(reqs[3].headers.authorization, "Bearer expired-abc");
});

test("missing* mailbox -> 404 ResourceNotFound", async () => {
  const r = await createSession("missing-mailbox", { headers: { "client-request-id": "c1" } });
  const body = await r.json();
  assertGraphError(
    r,
    body,
    404,
    "ResourceNotFound",
    "The specified object was not found in the store., The process failed to get the correct properties.",
  );
  assert.equal(body.error.innerError["client-request-id"], "c1");
});

test("unknown version or path -> 404; wrong method -> 405; bad percent-encoding -> 400", async () => {
  const post = (p) => fetch(tenant.graphUrl + p, { method: "POST", headers: { authorization: "Bearer t" } });
  for (const p of [
    "/v2.0/admin/exchange/mailboxes/MBX%3Aa/createImportSession",
    "/v1.0/admin/exchange/mailboxes/a/b/createImportSession", // raw "/" in the id: two segments
    "/v1.0/admin/exchange/mailboxes/a/createImportSession/",
    "/v1.0/me",
    "/",
  ]) {
    const r = await post(p);
    assertGraphError(r, await r.json(), 404, "ResourceNotFound");
  }
  const g = await fetch(tenant.graphUrl + sessionPath("MBX:a"), { headers: { authorization: "Bearer t" } });
  assertGraphError(g, await g.json(), 405, "BadRequest");
  assert.equal(g.headers.get("allow"), "POST");
  const bad = await post("/v1.0/admin/exchange/mailboxes/%E0%A4%A/createImportSession");
  assertGraphError(bad, await bad.json(), 400, "BadRequest");
  // Fixed segments match without regard to case, as Graph's router does.
  const mixed = await post("/v1.0/Admin/Exchange/Mailboxes/MBX%3Aa/CreateImportSession");
  assert.equal(mixed.status, 200);
});

test("odd mailbox ids travel as one segment and arrive decoded intact", async () => {
  const ids = [
    "MBX:0f6c5a1e-7d7b-4b8e-9a7e-1c2d3e4f5a6b@2a3b4c5d-6e7f-8091-a2b3-c4d5e6f7a8b9",
    "a/b/../c",
    "what?x=1&y=2",
    "hash#fragment",
    "with  spaces ",
    "ünïcødé 日本語 🙂",
    "quote'paren)('x')",
    "percent%2F%25",
    "x".repeat(300),
  ];
  for (const id of ids) {
    const session = await newSession(id);
    assert.ok(session.importUrl.includes(`/Mailboxes('${encodeURIComponent(id)}')/importItem?`), session.importUrl);
    const r = await importItem(session.importUrl, { FolderId: "inbox-id", Mode: "create", Data: DATA });
    assert.equal(r.status, 200, id);
    const reqs = await recorded(`?mailbox=${encodeURIComponent(id)}`);
    assert.deepEqual(
      reqs.map((q) => [q.server, q.mailbox, q.status]),
      [
        ["graph", id, 200],
        ["import", id, 200],
      ],
    );
    assert.equal(reqs[0].path, sessionPath(id));
    assert.equal(tenant.state.itemsFor(id).length, 1);
  }
});

test("createSessionStatus config can make the session answer 201", async () => {
  const c = await control("POST", "/_mock/config", { createSessionStatus: 201 });
  assert.equal(c.status, 204);
  const r = await createSession("MBX:a");
  assert.equal(r.status, 201);
  assert.ok((await r.json()).importUrl);
});

// ---------------------------------------------------------------------------------------------------------
// Preflights

test("Graph preflight allows what is asked, is not recorded and consumes no fault", async () => {
  await addFaults({ kind: "status", status: 503 });
  const r = await fetch(tenant.graphUrl + sessionPath("MBX:a"), {
    method: "OPTIONS",
    headers: {
      origin: "http://app.test",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,client-request-id,accept",
    },
  });
  assert.ok(r.status === 200 || r.status === 204);
  assert.equal(r.headers.get("access-control-allow-origin"), "http://app.test");
  assert.equal(r.headers.get("access-control-allow-methods"), "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  assert.equal(r.headers.get("access-control-allow-headers"), "authorization,client-request-id,accept");
  assert.equal(r.headers.get("access-control-max-age"), "3600");
  assert.deepEqual(await recorded(), []);
  assert.equal(tenant.state.faults.length, 1);
});

test("import host preflight allows content-type only", async () => {
  const session = await newSession("MBX:a");
  await addFaults({ target: "import", kind: "status", status: 503 });
  const r = await fetch(session.importUrl, {
    method: "OPTIONS",
    headers: {
      origin: "http://app.test",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, client-request-id",
    },
  });
  assert.ok(r.status === 200 || r.status === 204);
  assert.equal(r.headers.get("access-control-allow-origin"), "http://app.test");
  assert.equal(r.headers.get("access-control-allow-methods"), "POST, OPTIONS");
  assert.equal(r.headers.get("access-control-allow-headers"), "content-type");
  assert.equal((await recorded("?server=import")).length, 0);
  assert.equal(tenant.state.faults.length, 1);
});

test("control routes answer CORS with any header allowed", async () => {
  const r = await fetch(tenant.graphUrl + "/_mock/faults", {
    method: "OPTIONS",
    headers: {
      origin: "http://runner.test",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, x-anything",
    },
  });
  assert.equal(r.headers.get("access-control-allow-origin"), "http://runner.test");
  assert.equal(r.headers.get("access-control-allow-headers"), "content-type, x-anything");
  const g = await fetch(tenant.graphUrl + "/_mock/requests", { headers: { origin: "http://runner.test" } });
  assert.equal(g.headers.get("access-control-allow-origin"), "http://runner.test");
});

// ---------------------------------------------------------------------------------------------------------
// Import host

test("importItem: create, update, and the items are recorded per mailbox", async () => {
  const session = await newSession("MBX:imp");
  const c = await importItem(session.importUrl, { FolderId: "f1", Mode: "create", Data: DATA }, {
    headers: { "content-type": "application/json", origin: "http://app.test" },
  });
  assert.equal(c.status, 200);
  assert.equal(c.headers.get("access-control-allow-origin"), "http://app.test");
  const created = await c.json();
  assert.deepEqual(Object.keys(created), ["@odata.context", "itemId", "changeKey"]);
  assert.ok(created.itemId && created.changeKey);

  const u = await importItem(session.importUrl, {
    FolderId: "f2",
    Mode: "update",
    Data: DATA,
    ItemId: created.itemId,
    ChangeKey: created.changeKey,
  });
  assert.equal(u.status, 200);
  const updated = await u.json();
  assert.equal(updated.itemId, created.itemId);
  assert.notEqual(updated.changeKey, created.changeKey);

  // A stale change key conflicts; an item never created is not found.
  const stale = await importItem(session.importUrl, {
    FolderId: "f2", Mode: "update", Data: DATA, ItemId: created.itemId, ChangeKey: created.changeKey,
  });
  assert.equal(stale.status, 409);
  assert.equal(typeof (await stale.json()).Message, "string");
  const unknown = await importItem(session.importUrl, {
    FolderId: "f2", Mode: "update", Data: DATA, ItemId: "AAkAnope", ChangeKey: "CQnope",
  });
  assert.equal(unknown.status, 404);

  const r = await control("GET", "/_mock/items?mailbox=MBX%3Aimp");
  const { items } = await r.json();
  assert.equal(items.length, 1);
  assert.equal(items[0].mailbox, "MBX:imp");
  assert.equal(items[0].itemId, created.itemId);
  assert.equal(items[0].changeKey, updated.changeKey);
  assert.equal(items[0].folderId, "f2");
  assert.equal(items[0].data, DATA);
  const other = await (await control("GET", "/_mock/items?mailbox=other")).json();
  assert.deepEqual(other.items, []);
});

test("importItem validates the body", async () => {
  const { importUrl } = await newSession("MBX:val");
  const bad = [
    "not json",
    "[1,2]",
    { folderId: "f", mode: "create", data: DATA }, // camelCase is not accepted
    { FolderId: "", Mode: "create", Data: DATA },
    { FolderId: "f", Mode: "move", Data: DATA },
    { FolderId: "f", Mode: "create" },
    { FolderId: "f", Mode: "create", Data: "not base64!" },
    { FolderId: "f", Mode: "create", Data: "AAAA-_==" }, // url-safe alphabet is not standard base64
    { FolderId: "f", Mode: "create", Data: DATA, ItemId: "x" },
    { FolderId: "f", Mode: "create", Data: DATA, ChangeKey: "y" },
    { FolderId: "f", Mode: "update", Data: DATA },
    { FolderId: "f", Mode: "update", Data: DATA, ItemId: "x" },
    { FolderId: "f", Mode: "update", Data: DATA, ChangeKey: "y" },
  ];
  for (const body of bad) {
    const r = await importItem(importUrl, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    const answer = await r.json();
    assert.deepEqual(Object.keys(answer), ["Message"]);
  }
  assert.equal(tenant.state.itemsFor("MBX:val").length, 0);
});

test("importItem refuses unknown, foreign and expired authtokens with 401", async () => {
  const { importUrl } = await newSession("MBX:auth");
  const item = { FolderId: "f", Mode: "create", Data: DATA };
  const url = new URL(importUrl);
  const variants = [];
  const wrongToken = new URL(url);
  wrongToken.searchParams.set("authtoken", "nope");
  variants.push(wrongToken.href);
  const noToken = new URL(url);
  noToken.search = "";
  variants.push(noToken.href);
  variants.push(importUrl.replace("MBX%3Aauth", "MBX%3Aother")); // token of another mailbox
  variants.push(importUrl.replace("/api/gv1.0/", "/api/gbeta/")); // token of another version
  for (const v of variants) {
    const r = await importItem(v, item);
    assert.equal(r.status, 401, v);
    assert.equal(typeof (await r.json()).Message, "string");
  }

  await control("POST", "/_mock/config", { sessionLifetimeMs: 30 });
  const short = await newSession("MBX:auth");
  assert.ok(Math.abs(Date.parse(short.expirationDateTime) - Date.now() - 30) < 1000);
  await new Promise((r) => setTimeout(r, 60));
  const expired = await importItem(short.importUrl, item);
  assert.equal(expired.status, 401);
  assert.match((await expired.json()).Message, /expired/);
});

test("import host: other routes 404, wrong method 405, never a redirect", async () => {
  const { importUrl } = await newSession("MBX:r");
  for (const p of ["/", "/api/gv2.0/Mailboxes('x')/importItem", "/api/gv1.0/Mailboxes('a/b')/importItem", "/owa/"]) {
    const r = await fetch(tenant.importUrlBase + p, { method: "POST", body: "{}", redirect: "manual" });
    assert.equal(r.status, 404, p);
    assert.deepEqual(Object.keys(await r.json()), ["Message"]);
  }
  const g = await fetch(importUrl);
  assert.equal(g.status, 405);
  assert.deepEqual(Object.keys(await g.json()), ["Message"]);
});

// ---------------------------------------------------------------------------------------------------------
// Control API

test("control: faults queue, requests, config, reset, errors", async () => {
  await addFaults({ kind: "status", status: 503, times: 2 }, { kind: "emptyBody", target: "import" });
  let q = await (await control("GET", "/_mock/faults")).json();
  assert.deepEqual(
    q.faults.map((f) => [f.kind, f.target, f.times]),
    [
      ["status", "graph", 2],
      ["emptyBody", "import", 1],
    ],
  );
  await createSession("MBX:c");
  q = await (await control("GET", "/_mock/faults")).json();
  assert.equal(q.faults[0].times, 1);

  // Bad fault lists are refused whole.
  for (const body of [
    "not json",
    { faults: "x" },
    { faults: [{ kind: "nope" }] },
    { faults: [{ kind: "status" }] },
    { faults: [{ kind: "status", status: 503 }, { kind: "delay" }] },
    { faults: [{ kind: "hang", target: "elsewhere" }] },
    { faults: [{ kind: "hang", times: 0 }] },
  ]) {
    const r = await control("POST", "/_mock/faults", body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(typeof (await r.json()).error, "string");
  }
  assert.equal(tenant.state.faults.length, 2);

  const d = await control("DELETE", "/_mock/faults");
  assert.equal(d.status, 204);
  assert.equal(tenant.state.faults.length, 0);

  const reqs = await recorded("?server=graph");
  assert.equal(reqs.length, 1);
  const rec = reqs[0];
  assert.deepEqual(Object.keys(rec).slice(0, 9), [
    "server", "method", "path", "mailbox", "headers", "body", "fault", "status", "time",
  ]);
  assert.equal(rec.method, "POST");
  assert.equal(rec.mailbox, "MBX:c");
  assert.equal(rec.fault, "status");
  assert.equal(rec.status, 503);
  assert.equal(rec.body, null);
  assert.equal(typeof rec.time, "number");

  const cfg = await (await control("GET", "/_mock/config")).json();
  assert.equal(cfg.sessionLifetimeMs, 3600_000);
  assert.equal((await control("POST", "/_mock/config", { sessionLifetimeMs: "x" })).status, 400);
  assert.equal((await control("POST", "/_mock/config", { nope: 1 })).status, 400);
  assert.equal((await control("POST", "/_mock/config", { sessionLifetimeMs: 5000 })).status, 204);

  const s = await newSession("MBX:c");
  await importItem(s.importUrl, { FolderId: "f", Mode: "create", Data: DATA });
  const sessions = await (await control("GET", "/_mock/sessions")).json();
  assert.equal(sessions.sessions.length, 1);
  assert.equal(sessions.sessions[0].mailbox, "MBX:c");

  const reset = await control("POST", "/_mock/reset");
  assert.equal(reset.status, 204);
  assert.deepEqual(await recorded(), []);
  assert.equal(tenant.state.sessions.size, 0);
  assert.equal(tenant.state.items.size, 0);
  assert.equal(tenant.state.config.sessionLifetimeMs, 3600_000);
  assert.equal((await importItem(s.importUrl, { FolderId: "f", Mode: "create", Data: DATA })).status, 401);

  assert.equal((await control("GET", "/_mock/nothing")).status, 404);
  assert.equal((await control("GET", "/_mock/reset")).status, 405);
});

test("requests are recorded in arrival order with the body, filterable by mailbox", async () => {
  const s = await newSession("MBX:one");
  await newSession("MBX:two");
  const body = JSON.stringify({ FolderId: "f", Mode: "create", Data: DATA });
  await importItem(s.importUrl, body);
  const all = await recorded();
  assert.deepEqual(
    all.map((r) => [r.server, r.mailbox]),
    [
      ["graph", "MBX:one"],
      ["graph", "MBX:two"],
      ["import", "MBX:one"],
    ],
  );
  assert.equal(all[2].body, body);
  assert.equal(all[2].path, new URL(s.importUrl).pathname + new URL(s.importUrl).search);
  assert.equal(all[2].headers["content-type"], "application/json");
  assert.deepEqual((await recorded("?mailbox=MBX%3Atwo")).map((r) => r.server), ["graph"]);
});

test("in-process state API", async () => {
  assert.throws(() => tenant.state.addFaults([{ kind: "bogus" }]), TypeError);
  tenant.state.addFaults([{ kind: "status", status: 429 }]);
  const r = await createSession("MBX:p");
  assert.equal(r.status, 429);
  assert.equal(tenant.state.requests.length, 1);
  assert.equal(tenant.state.requestsFor("MBX:p")[0].fault, "status");
  tenant.state.setConfig({ sessionLifetimeMs: 1000 });
  assert.equal(tenant.state.config.sessionLifetimeMs, 1000);
  tenant.state.reset();
  assert.equal(tenant.state.requests.length, 0);
  assert.equal(tenant.state.config.sessionLifetimeMs, 3600_000);
});

test("stats count requests in flight per server and mailbox", async () => {
  const { importUrl } = await newSession("MBX:conc");
  await addFaults({ target: "import", kind: "delay", ms: 80, times: 3 });
  const item = { FolderId: "f", Mode: "create", Data: DATA };
  const rs = await Promise.all([1, 2, 3].map(() => importItem(importUrl, item)));
  assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
  const stats = await (await control("GET", "/_mock/stats")).json();
  assert.equal(stats.maxInFlight.import, 3);
  assert.equal(stats.maxInFlightByMailbox.import["MBX:conc"], 3);
});

test("a fifth concurrent post to one mailbox is refused with 429 MailboxConcurrency", async () => {
  const { importUrl } = await newSession("MBX:limit");
  const other = await newSession("MBX:limit-other");
  await addFaults({ target: "import", mailbox: "MBX:limit", kind: "delay", ms: 150, times: 6 });
  const item = { FolderId: "f", Mode: "create", Data: DATA };
  const posts = [1, 2, 3, 4, 5, 6].map(() => importItem(importUrl, item));
  // Another mailbox has its own limit.
  const elsewhere = await importItem(other.importUrl, item);
  const rs = await Promise.all(posts);
  const statuses = rs.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  const refused = rs.find((r) => r.status === 429);
  assert.deepEqual(await refused.json(), { Message: "Application is over its MailboxConcurrency limit." });
  assert.equal(refused.headers.get("retry-after"), null);
  assert.equal(elsewhere.status, 200);
  const items = await (await control("GET", "/_mock/items?mailbox=MBX%3Alimit")).json();
  assert.equal(items.items.length, 4, "refused posts store nothing");
  const stats = await (await control("GET", "/_mock/stats")).json();
  assert.equal(stats.maxInFlightByMailbox.import["MBX:limit"], 4);
  const log = await recorded("?mailbox=MBX%3Alimit&server=import");
  assert.equal(log.filter((r) => r.fault === "concurrencyLimit").length, 2);
  // The limit is configurable.
  assert.equal((await control("POST", "/_mock/config", { importConcurrencyLimit: 2 })).status, 204);
});

// ---------------------------------------------------------------------------------------------------------
// Faults on the Graph server

test("fault status: defaults per status, Retry-After, custom code and message", async () => {
  const httpDate = new Date(Date.now() + 5000).toUTCString();
  await addFaults(
    { kind: "status", status: 429, retryAfter: 2 },
    { kind: "status", status: 503, retryAfter: httpDate },
    { kind: "status", status: 504 },
    { kind: "status", status: 500 },
    { kind: "status", status: 502 },
    { kind: "status", status: 409, code: "ErrorIrresolvableConflict", message: "Conflict here." },
    { kind: "status", status: 401 },
  );
  const expected = [
    [429, "TooManyRequests", "Please retry again later.", "2"],
    [503, "ServiceUnavailable", undefined, httpDate],
    [504, "GatewayTimeout", undefined, null],
    [500, "UnknownError", undefined, null],
    [502, "UnknownError", undefined, null],
    [409, "ErrorIrresolvableConflict", "Conflict here.", null],
    [401, "UnknownError", undefined, null],
  ];
  for (const [status, code, message, retryAfter] of expected) {
    const r = await createSession("MBX:f");
    assertGraphError(r, await r.json(), status, code, message);
    assert.equal(r.headers.get("retry-after"), retryAfter);
  }
  assert.equal((await createSession("MBX:f")).status, 200);
  assert.equal(tenant.state.sessions.size, 1);
});

test("faults: FIFO, times, mailbox filter, target", async () => {
  await addFaults(
    { kind: "status", status: 503, mailbox: "MBX:b", times: 2 },
    { kind: "status", status: 429, target: "import" },
    { kind: "status", status: 504 },
  );
  assert.equal((await createSession("MBX:a")).status, 504); // first fault for this mailbox
  assert.equal((await createSession("MBX:a")).status, 200);
  assert.equal((await createSession("MBX:b")).status, 503);
  assert.equal((await createSession("MBX:b")).status, 503);
  assert.equal((await createSession("MBX:b")).status, 200);
  assert.deepEqual(tenant.state.faults.map((f) => f.target), ["import"]);
});

test("fault hang: no answer until the client gives up", async () => {
  await addFaults({ kind: "hang" });
  await assert.rejects(createSession("MBX:h", { signal: AbortSignal.timeout(150) }), (e) =>
    ["TimeoutError", "AbortError"].includes(e.name),
  );
  const [rec] = await recorded();
  assert.equal(rec.fault, "hang");
  assert.equal(rec.status, null);
  assert.equal((await createSession("MBX:h")).status, 200);
});

test("fault reset: the socket is destroyed without an answer", async () => {
  await addFaults({ kind: "reset" });
  await assert.rejects(createSession("MBX:x"), TypeError);
  const [rec] = await recorded();
  assert.equal(rec.fault, "reset");
  assert.equal(rec.status, null);
  assert.equal((await createSession("MBX:x")).status, 200);
});

test("fault malformedJson: a 200 whose JSON is cut short", async () => {
  await addFaults({ kind: "malformedJson" });
  const r = await createSession("MBX:m");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^application\/json/);
  assert.match(r.headers.get("request-id"), UUID);
  const text = await r.text();
  assert.match(text, /^\{.*"importUrl": "http:\/\//);
  assert.throws(() => JSON.parse(text), SyntaxError);
});

test("fault html: a proxy's page without request-id", async () => {
  await addFaults({ kind: "html" }, { kind: "html", status: 504 });
  for (const status of [502, 504]) {
    const r = await createSession("MBX:html", { headers: { origin: "http://app.test" } });
    assert.equal(r.status, status);
    assert.match(r.headers.get("content-type"), /^text\/html/);
    assert.equal(r.headers.get("request-id"), null);
    assert.equal(r.headers.get("access-control-allow-origin"), "http://app.test");
    assert.match(await r.text(), /<html>/);
  }
});

test("fault emptyBody: the status with nothing in the body", async () => {
  await addFaults({ kind: "emptyBody" }, { kind: "emptyBody", status: 503 });
  for (const status of [200, 503]) {
    const r = await createSession("MBX:e");
    assert.equal(r.status, status);
    assert.equal(await r.text(), "");
    assert.match(r.headers.get("request-id"), UUID);
  }
});

test("fault untrustedImportUrl: a valid body pointing off the import host", async () => {
  await addFaults({ kind: "untrustedImportUrl" });
  const r = await createSession("MBX:u", { version: "beta" });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.deepEqual(Object.keys(body), ["@odata.context", "importUrl", "expirationDateTime"]);
  const url = new URL(body.importUrl);
  assert.equal(url.origin, "https://evil.example.net");
  assert.equal(url.pathname, "/api/gbeta/Mailboxes('MBX%3Au')/importItem");
  assert.ok(url.searchParams.get("authtoken").length >= 40);
  assert.match(body.expirationDateTime, ISO7);
  assert.equal(tenant.state.sessions.size, 0);
});

test("fault missingFields: only @odata.context", async () => {
  await addFaults({ kind: "missingFields" });
  const r = await createSession("MBX:mf");
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(await r.json()), ["@odata.context"]);
});

test("fault delay: answers normally after the wait", async () => {
  await addFaults({ kind: "delay", ms: 150 });
  const t0 = Date.now();
  const r = await createSession("MBX:d");
  assert.ok(Date.now() - t0 >= 140);
  assert.equal(r.status, 200);
  assert.ok((await r.json()).importUrl);
  assert.equal((await recorded())[0].fault, "delay");
});

test("fault redirect: a Location off the trusted root", async () => {
  await addFaults({ kind: "redirect" }, { kind: "redirect", status: 308, location: "http://127.0.0.1:9/x" });
  const a = await createSession("MBX:rd", { redirect: "manual" });
  assert.equal(a.status, 307);
  assert.equal(a.headers.get("location"), `https://evil.example.net${sessionPath("MBX:rd")}`);
  const b = await createSession("MBX:rd", { redirect: "manual" });
  assert.equal(b.status, 308);
  assert.equal(b.headers.get("location"), "http://127.0.0.1:9/x");
});

// ---------------------------------------------------------------------------------------------------------
// Faults on the import host

test("import faults: status bodies use {Message}, 409 archive redirect message", async () => {
  const { importUrl } = await newSession("MBX:if");
  const item = { FolderId: "f", Mode: "create", Data: DATA };
  const msg = "Invalid import session. The target session is expected in mailbox MBX:archive@tenant.";
  await addFaults(
    { target: "import", kind: "status", status: 429, retryAfter: "3" },
    { target: "import", kind: "status", status: 409, message: msg },
    { target: "import", kind: "status", status: 503 },
  );
  const a = await importItem(importUrl, item);
  assert.equal(a.status, 429);
  assert.equal(a.headers.get("retry-after"), "3");
  assert.deepEqual(Object.keys(await a.json()), ["Message"]);
  const b = await importItem(importUrl, item);
  assert.equal(b.status, 409);
  assert.deepEqual(await b.json(), { Message: msg });
  const c = await importItem(importUrl, item);
  assert.equal(c.status, 503);
  assert.deepEqual(Object.keys(await c.json()), ["Message"]);
  assert.equal(tenant.state.itemsFor("MBX:if").length, 0);
  assert.equal((await importItem(importUrl, item)).status, 200);
});

test("import faults: hang and reset, with and without the item being created", async () => {
  const { importUrl } = await newSession("MBX:ih");
  const item = { FolderId: "f", Mode: "create", Data: DATA };
  await addFaults(
    { target: "import", kind: "hang", process: true },
    { target: "import", kind: "reset" },
    { target: "import", kind: "reset", process: true },
  );
  await assert.rejects(importItem(importUrl, item, { signal: AbortSignal.timeout(150) }), (e) =>
    ["TimeoutError", "AbortError"].includes(e.name),
  );
  assert.equal(tenant.state.itemsFor("MBX:ih").length, 1);
  await assert.rejects(importItem(importUrl, item), TypeError);
  assert.equal(tenant.state.itemsFor("MBX:ih").length, 1);
  await assert.rejects(importItem(importUrl, item), TypeError);
  assert.equal(tenant.state.itemsFor("MBX:ih").length, 2);
  const reqs = await recorded("?server=import");
  assert.deepEqual(reqs.map((r) => [r.fault, r.status]), [
    ["hang", null],
    ["reset", null],
    ["reset", null],
  ]);
  assert.equal(reqs[1].body, JSON.stringify(item));
});

test("import faults: the answer-shaped kinds", async () => {
  const { importUrl } = await newSession("MBX:ik");
  const item = { FolderId: "f", Mode: "create", Data: DATA };
  await addFaults(
    { target: "import", kind: "malformedJson" },
    { target: "import", kind: "html" },
    { target: "import", kind: "emptyBody" },
    { target: "import", kind: "missingFields" },
    { target: "import", kind: "untrustedImportUrl" },
    { target: "import", kind: "redirect", status: 302 },
    { target: "import", kind: "delay", ms: 50 },
    { target: "import", kind: "status", status: 500, mailbox: "someone-else" },
  );
  const post = () => importItem(importUrl, item, { redirect: "manual" });

  let r = await post();
  assert.equal(r.status, 200);
  const cut = await r.text();
  assert.match(cut, /"itemId": "AAk/);
  assert.throws(() => JSON.parse(cut), SyntaxError);

  r = await post();
  assert.equal(r.status, 502);
  assert.match(r.headers.get("content-type"), /^text\/html/);
  await r.text();

  r = await post();
  assert.equal(r.status, 200);
  assert.equal(await r.text(), "");

  r = await post();
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(await r.json()), ["@odata.context"]);

  for (const status of [307, 302]) {
    r = await post();
    assert.equal(r.status, status);
    assert.equal(new URL(r.headers.get("location")).origin, "https://evil.example.net");
    assert.equal(r.headers.get("location").includes("authtoken"), false);
  }

  r = await post();
  assert.equal(r.status, 200);
  assert.ok((await r.json()).itemId);

  // The mailbox-filtered fault is not for this mailbox.
  r = await post();
  assert.equal(r.status, 200);
  await r.json();
  assert.equal(tenant.state.faults.length, 1);
  assert.equal(tenant.state.itemsFor("MBX:ik").length, 2);
});

test("close() ends hung and delayed requests at once", async () => {
  const t = await startMockTenant();
  t.state.addFaults([{ kind: "hang" }, { kind: "delay", ms: 60_000 }]);
  const url = t.graphUrl + sessionPath("MBX:close");
  const init = { method: "POST", headers: { authorization: "Bearer t" } };
  const pending = Promise.allSettled([fetch(url, init), fetch(url, init)]);
  while (t.state.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
  const t0 = Date.now();
  await t.close();
  const results = await pending;
  assert.ok(Date.now() - t0 < 1000);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
});

// ---------------------------------------------------------------------------------------------------------
// Import host: concurrency limit, latency, chaos, expiry, archive folders, duplicates, recording

const ITEM = { FolderId: "f", Mode: "create", Data: DATA };
const b64 = (text) => Buffer.from(text).toString("base64");
const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
async function setConfig(patch) {
  const r = await control("POST", "/_mock/config", patch);
  assert.equal(r.status, 204, await r.text());
}

test("concurrency: 6 posts at once at 100 ms latency, exactly 2 refused, peak 4", async () => {
  const { importUrl } = await newSession("MBX:six");
  await setConfig({ importLatencyMs: 100 });
  const t0 = Date.now();
  const rs = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => importItem(importUrl, { ...ITEM, Data: b64(`six ${i}`) })));
  const bodies = await Promise.all(rs.map((r) => r.json()));
  assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 200, 200, 429, 429]);
  assert.ok(Date.now() - t0 >= 95, "the accepted posts waited the latency");
  for (const [i, r] of rs.entries()) {
    if (r.status !== 429) continue;
    assert.deepEqual(bodies[i], { Message: "Application is over its MailboxConcurrency limit." });
    assert.equal(r.headers.get("retry-after"), null);
    assert.match(r.headers.get("request-id"), UUID);
  }
  assert.equal(tenant.state.stats.maxInFlightByMailbox.import["MBX:six"], 4);
  assert.equal(tenant.state.stats.maxInFlight.import, 4);
  assert.deepEqual(tenant.state.stats.refusedForConcurrency, { "MBX:six": 2 });
  assert.equal(tenant.state.itemsFor("MBX:six").length, 4);
  const refused = tenant.state.requestsFor("MBX:six").filter((r) => r.fault === "concurrencyLimit");
  assert.equal(refused.length, 2);
  for (const r of refused) {
    assert.equal(r.status, 429);
    assert.equal(r.chaos, null);
    assert.match(r.body, /"Data":"/, "a refused post's body is recorded too");
  }
  // Slots are free again as soon as the answers are written: four more at once all pass.
  const again = await Promise.all([1, 2, 3, 4].map(() => importItem(importUrl, ITEM)));
  assert.deepEqual(again.map((r) => r.status), [200, 200, 200, 200]);
});

test("concurrency: Retry-After is configurable, the limit can be changed or lifted, faults are not consumed", async () => {
  const { importUrl } = await newSession("MBX:lim");
  await setConfig({ importLatencyMs: 80, importConcurrencyLimit: 2, concurrencyRetryAfter: 1 });
  await addFaults({ target: "import", mailbox: "MBX:lim", kind: "delay", ms: 0, times: 2 });
  let rs = await Promise.all([1, 2, 3].map(() => importItem(importUrl, ITEM)));
  assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 429]);
  assert.equal(rs.find((r) => r.status === 429).headers.get("retry-after"), "1");
  assert.equal(tenant.state.faults.length, 0, "the two accepted posts took the two faults");
  await Promise.all(rs.map((r) => r.arrayBuffer()));

  await setConfig({ importConcurrencyLimit: null, concurrencyRetryAfter: null });
  rs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => importItem(importUrl, ITEM)));
  assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
  assert.equal(tenant.state.stats.maxInFlightByMailbox.import["MBX:lim"], 6);
  assert.deepEqual(tenant.state.stats.refusedForConcurrency, { "MBX:lim": 1 });

  for (const bad of [{ importConcurrencyLimit: 0 }, { importConcurrencyLimit: 2.5 }, { concurrencyRetryAfter: -1 }, { concurrencyRetryAfter: "" }]) {
    assert.equal((await control("POST", "/_mock/config", bad)).status, 400, JSON.stringify(bad));
  }
  const cfg = await (await control("GET", "/_mock/config")).json();
  assert.equal(cfg.importConcurrencyLimit, null);
  tenant.state.reset();
  assert.equal(tenant.state.config.importConcurrencyLimit, 4);
  assert.equal(tenant.state.config.concurrencyRetryAfter, null);
});

test("concurrency: a hung post holds its slot until the client gives up; startMockTenant takes the options", async () => {
  const t = await startMockTenant({ importConcurrencyLimit: 1, importLatencyMs: 10, graphLatencyMs: 10 });
  try {
    assert.equal(t.state.config.importConcurrencyLimit, 1);
    const s = await (await fetch(t.graphUrl + sessionPath("MBX:hung"), { method: "POST", headers: { authorization: "Bearer t" } })).json();
    t.state.addFaults([{ target: "import", kind: "hang" }]);
    const hung = importItem(s.importUrl, ITEM, { signal: AbortSignal.timeout(150) });
    while (t.state.requests.length < 2) await sleepMs(5);
    assert.equal((await importItem(s.importUrl, ITEM)).status, 429);
    await assert.rejects(hung);
    await sleepMs(20); // the server sees the socket close
    assert.equal((await importItem(s.importUrl, ITEM)).status, 200);
    assert.deepEqual(t.state.stats.refusedForConcurrency, { "MBX:hung": 1 });
  } finally {
    await t.close();
  }
  await assert.rejects(startMockTenant({ importConcurrencyLimit: 0 }), TypeError);
});

test("latency: importLatencyMs and graphLatencyMs delay answers; control routes are not delayed", async () => {
  await setConfig({ graphLatencyMs: 80, importLatencyMs: 80 });
  let t0 = Date.now();
  const { importUrl } = await newSession("MBX:lat");
  assert.ok(Date.now() - t0 >= 75, "graph latency");
  t0 = Date.now();
  assert.equal((await importItem(importUrl, ITEM)).status, 200);
  assert.ok(Date.now() - t0 >= 75, "import latency");
  t0 = Date.now();
  assert.equal((await control("GET", "/_mock/stats")).status, 200);
  assert.ok(Date.now() - t0 < 75, "control is immediate");
  // Errors wait too; a delay fault adds to the latency.
  await addFaults({ target: "import", kind: "delay", ms: 50 });
  t0 = Date.now();
  assert.equal((await importItem(importUrl, ITEM)).status, 200);
  assert.ok(Date.now() - t0 >= 125);
  for (const bad of [{ importLatencyMs: -1 }, { graphLatencyMs: "5" }]) {
    assert.equal((await control("POST", "/_mock/config", bad)).status, 400);
  }
});

/** Posts `n` items one after another; returns each post's outcome ("ok", "throttle" or "reset"). */
async function postSequence(importUrl, n, prefix) {
  const outcomes = [];
  for (let i = 0; i < n; i += 1) {
    try {
      const r = await importItem(importUrl, { ...ITEM, Data: b64(`${prefix} ${i}`) });
      const body = await r.json();
      if (r.status === 200) outcomes.push("ok");
      else {
        assert.equal(r.status, 429);
        assert.deepEqual(Object.keys(body), ["Message"]);
        outcomes.push("throttle");
      }
    } catch (err) {
      assert.equal(err.name, "TypeError"); // the connection was reset
      outcomes.push("reset");
    }
  }
  return outcomes;
}

test("chaos: seeded throttles and resets, the same for the same seed, recorded per request", async () => {
  const chaos = { seed: 42, throttleRate: 0.2, resetBeforeProcessRate: 0.15, resetAfterProcessRate: 0.15, retryAfter: 0 };
  const run = async () => {
    tenant.state.reset();
    await setConfig({ chaos });
    const { importUrl } = await newSession("MBX:chaos");
    const outcomes = await postSequence(importUrl, 40, "chaos");
    const recs = tenant.state.requestsFor("MBX:chaos").filter((r) => r.server === "import");
    return { outcomes, recs, chaosLog: recs.map((r) => r.chaos), stats: structuredClone(tenant.state.stats.chaos) };
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a.chaosLog, b.chaosLog, "same seed, same outcomes");
  for (const kind of ["throttle", "resetBeforeProcess", "resetAfterProcess"]) {
    assert.ok(a.chaosLog.includes(kind), `${kind} happened in 40 posts`);
    assert.equal(a.stats[kind], a.chaosLog.filter((c) => c === kind).length);
  }
  assert.ok(a.chaosLog.includes(null));
  // What the client saw matches what was recorded; only resetAfterProcess posts left an item without an answer.
  const expected = a.chaosLog.map((c) => (c === null ? "ok" : c === "throttle" ? "throttle" : "reset"));
  assert.deepEqual(a.outcomes, expected);
  const items = tenant.state.itemsFor("MBX:chaos");
  assert.equal(items.length, a.chaosLog.filter((c) => c === null || c === "resetAfterProcess").length);
  for (const rec of b.recs) {
    assert.equal(rec.status, rec.chaos === null ? 200 : rec.chaos === "throttle" ? 429 : null);
    if (rec.chaos === "resetAfterProcess" || rec.chaos === null) {
      assert.ok(items.some((it) => it.itemId === rec.itemId), "the record names the stored item");
    } else {
      assert.equal(rec.itemId, null);
    }
  }
  const throttled = b.recs.find((r) => r.chaos === "throttle");
  assert.ok(throttled);

  // A different seed gives different outcomes; a queued fault takes precedence over chaos (no draw).
  tenant.state.reset();
  await setConfig({ chaos: { ...chaos, seed: 7 } });
  const { importUrl } = await newSession("MBX:chaos");
  await postSequence(importUrl, 40, "chaos");
  assert.notDeepEqual(tenant.state.requestsFor("MBX:chaos").filter((r) => r.server === "import").map((r) => r.chaos), a.chaosLog);
  await setConfig({ chaos: { seed: 1, throttleRate: 1 } });
  await addFaults({ target: "import", kind: "delay", ms: 0 });
  assert.equal((await importItem(importUrl, ITEM)).status, 200);
  const t = await importItem(importUrl, ITEM);
  assert.equal(t.status, 429);
  assert.equal(t.headers.get("retry-after"), null);
  const last = tenant.state.requests.slice(-2);
  assert.deepEqual(last.map((r) => [r.fault, r.chaos]), [["delay", null], [null, "throttle"]]);
  // chaos: null turns it off; bad chaos configs are refused.
  await setConfig({ chaos: null });
  assert.equal((await importItem(importUrl, ITEM)).status, 200);
  for (const bad of [
    { seed: 1, throttleRate: 0.6, resetAfterProcessRate: 0.6 },
    { seed: -1 },
    { seed: 1, throttleRate: 2 },
    { seed: 1, typo: 0.1 },
    "yes",
  ]) {
    assert.equal((await control("POST", "/_mock/config", { chaos: bad })).status, 400, JSON.stringify(bad));
  }
});

test("chaos retryAfter is sent with its 429s", async () => {
  tenant.state.setConfig({ chaos: { seed: 3, throttleRate: 1, retryAfter: 2 } });
  const { importUrl } = await newSession("MBX:ra");
  const r = await importItem(importUrl, ITEM);
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), "2");
  assert.deepEqual(await r.json(), { Message: "Too many requests. Please retry again later." });
});

test("sessions: shortening sessionLifetimeMs mid-run affects new sessions only", async () => {
  const long = await newSession("MBX:life");
  assert.equal((await importItem(long.importUrl, ITEM)).status, 200);
  tenant.state.setConfig({ sessionLifetimeMs: 40 });
  const short = await newSession("MBX:life");
  assert.equal((await importItem(short.importUrl, ITEM)).status, 200);
  await sleepMs(60);
  const expired = await importItem(short.importUrl, ITEM);
  assert.equal(expired.status, 401);
  assert.match((await expired.json()).Message, /expired/);
  assert.equal((await importItem(long.importUrl, ITEM)).status, 200);
});

test("sessions: POST /_mock/expire-sessions expires one mailbox's sessions at once (or all)", async () => {
  const x1 = await newSession("MBX:x");
  const x2 = await newSession("MBX:x", { version: "beta" });
  const y = await newSession("MBX:y");
  let r = await control("POST", "/_mock/expire-sessions", { mailbox: "MBX:x" });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { expired: 2 });
  for (const s of [x1, x2]) {
    const e = await importItem(s.importUrl, ITEM);
    assert.equal(e.status, 401);
    assert.match((await e.json()).Message, /expired/);
  }
  assert.equal((await importItem(y.importUrl, ITEM)).status, 200);
  // A post already in flight is judged when it is processed, after the latency.
  await setConfig({ importLatencyMs: 80 });
  const inFlight = importItem(y.importUrl, ITEM);
  await sleepMs(20);
  assert.equal(tenant.state.expireSessions("MBX:y"), 1);
  assert.equal((await inFlight).status, 401);
  const y2 = await newSession("MBX:y");
  r = await control("POST", "/_mock/expire-sessions");
  assert.deepEqual(await r.json(), { expired: 1 });
  assert.equal((await importItem(y2.importUrl, ITEM)).status, 401);
  assert.equal((await control("POST", "/_mock/expire-sessions", { mailbox: 5 })).status, 400);
  assert.equal((await control("GET", "/_mock/expire-sessions")).status, 405);
});

test("archive folders: 409 through another mailbox's session, stored under the archive through its own", async () => {
  const archive = "MBX:archive@tenant";
  await setConfig({ archiveFolders: { "AAMkArchiveFolder": archive } });
  const primary = await newSession("MBX:primary@tenant");
  const arch = await newSession(archive);
  const item = { FolderId: "AAMkArchiveFolder", Mode: "create", Data: b64("old mail") };
  const refused = await importItem(primary.importUrl, item);
  assert.equal(refused.status, 409);
  assert.deepEqual(await refused.json(), {
    Message: "Invalid import session. The target session is expected in mailbox MBX:archive@tenant.",
  });
  assert.equal(tenant.state.itemsFor("MBX:primary@tenant").length, 0);
  const ok = await importItem(arch.importUrl, item);
  assert.equal(ok.status, 200);
  const { itemId, changeKey } = await ok.json();
  assert.deepEqual(tenant.state.itemsFor(archive).map((it) => [it.itemId, it.folderId]), [[itemId, "AAMkArchiveFolder"]]);
  // Other folders go through the primary session as before; an update into the archive folder is refused too.
  assert.equal((await importItem(primary.importUrl, ITEM)).status, 200);
  const upd = { ...item, Mode: "update", ItemId: itemId, ChangeKey: changeKey };
  assert.equal((await importItem(primary.importUrl, upd)).status, 409);
  assert.equal((await importItem(arch.importUrl, upd)).status, 200);
  for (const bad of [{ f: "" }, { f: 1 }, ["x"], { "": "MBX:a" }]) {
    assert.equal((await control("POST", "/_mock/config", { archiveFolders: bad })).status, 400, JSON.stringify(bad));
  }
  tenant.state.reset();
  assert.deepEqual(tenant.state.config.archiveFolders, {});
});

test("duplicates: items carry a hash of their Data; duplicateData finds data stored twice", async () => {
  const a = await newSession("MBX:dup");
  const arch = await newSession("MBX:dup-archive");
  const one = b64("item one");
  for (const data of [one, b64("item two"), one]) {
    assert.equal((await importItem(a.importUrl, { ...ITEM, Data: data })).status, 200);
  }
  assert.equal((await importItem(arch.importUrl, { ...ITEM, Data: b64("item two") })).status, 200);
  const items = tenant.state.itemsFor("MBX:dup");
  const hashOne = createHash("sha256").update("item one").digest("hex");
  assert.equal(items[0].dataHash, hashOne);
  assert.equal(items[0].size, 8);
  assert.equal(items[0].data, one);
  const dups = tenant.state.duplicateData("MBX:dup");
  assert.deepEqual(dups, [
    { dataHash: hashOne, count: 2, items: [{ mailbox: "MBX:dup", itemId: items[0].itemId }, { mailbox: "MBX:dup", itemId: items[2].itemId }] },
  ]);
  assert.deepEqual(tenant.state.duplicateData("MBX:dup-archive"), []);
  // A mailbox and its archive pooled: "item two" is there twice as well.
  assert.equal(tenant.state.duplicateData(["MBX:dup", "MBX:dup-archive"]).length, 2);
  assert.equal(tenant.state.duplicateData().length, 2);
  const http = await (await control("GET", "/_mock/duplicates?mailbox=MBX%3Adup")).json();
  assert.deepEqual(http.duplicates, dups);
  const pooled = await (await control("GET", "/_mock/duplicates?mailbox=MBX%3Adup&mailbox=MBX%3Adup-archive")).json();
  assert.equal(pooled.duplicates.length, 2);
  const listed = await (await control("GET", "/_mock/items?mailbox=MBX%3Adup")).json();
  assert.deepEqual(Object.keys(listed.items[0]), [
    "mailbox", "itemId", "changeKey", "folderId", "data", "version", "createdAt", "updatedAt", "receivedAt", "dataHash", "size", "seq",
  ]);
  assert.equal(listed.items[0].dataHash, hashOne);
  // An update re-hashes; storeItemData: false keeps the hash and size only.
  await setConfig({ storeItemData: false });
  const r = await importItem(a.importUrl, { ...ITEM, Mode: "update", Data: b64("changed"), ItemId: items[2].itemId, ChangeKey: items[2].changeKey });
  assert.equal(r.status, 200);
  assert.equal(items[2].data, null);
  assert.equal(items[2].dataHash, createHash("sha256").update("changed").digest("hex"));
  assert.deepEqual(tenant.state.duplicateData("MBX:dup"), []);
});

test("recording: recordRequests and recordBodies false keep only the counters", async () => {
  const { importUrl } = await newSession("MBX:rec");
  await setConfig({ recordBodies: false });
  assert.equal((await importItem(importUrl, ITEM)).status, 200);
  assert.equal(tenant.state.requests.at(-1).body, null);
  assert.equal(tenant.state.requests.length, 2);
  await setConfig({ recordRequests: false });
  await addFaults({ target: "import", kind: "status", status: 503 });
  assert.equal((await importItem(importUrl, ITEM)).status, 503);
  assert.equal((await importItem(importUrl, ITEM)).status, 200);
  assert.equal((await createSession("MBX:rec")).status, 200);
  assert.equal(tenant.state.requests.length, 2, "nothing more recorded");
  assert.equal(tenant.state.requestsFor("MBX:rec").length, 2);
  const stats = await (await control("GET", "/_mock/stats")).json();
  assert.deepEqual(stats.requests, { graph: 2, import: 3 });
  assert.deepEqual(stats.requestsByMailbox, { graph: { "MBX:rec": 2 }, import: { "MBX:rec": 3 } });
  assert.deepEqual(stats.statuses, { graph: { 200: 2 }, import: { 200: 2, 503: 1 } });
  assert.equal(tenant.state.itemsFor("MBX:rec").length, 2, "items are still stored");
  for (const bad of [{ recordRequests: 0 }, { recordBodies: "no" }, { storeItemData: null }]) {
    assert.equal((await control("POST", "/_mock/config", bad)).status, 400);
  }
  tenant.state.reset();
  assert.equal(tenant.state.config.recordRequests, true);
  assert.deepEqual(tenant.state.stats.requests, { graph: 0, import: 0 });
});

// ---------------------------------------------------------------------------------------------------------
// Command line

test("run directly: prints the ports, writes --ports-file, exits 0 on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mock-tenant-"));
  const portsFile = join(dir, "ports.json");
  const args = ["--ports-file", portsFile, "--host", "127.0.0.1", "--import-concurrency-limit", "none", "--graph-latency-ms", "5"];
  try {
    await withServerProcess(args, async (info) => {
      assert.deepEqual(Object.keys(info), ["graphUrl", "importUrlBase", "graphPort", "importPort", "elsewhereUrl", "elsewherePort", "loginUrl", "loginPort"]);
      assert.equal(info.graphUrl, `http://127.0.0.1:${info.graphPort}`);
      assert.equal(info.importUrlBase, `http://127.0.0.1:${info.importPort}`);
      assert.equal(info.elsewhereUrl, `http://127.0.0.1:${info.elsewherePort}`);
      assert.deepEqual(JSON.parse(readFileSync(portsFile, "utf8")), info);
      const r = await fetch(info.graphUrl + sessionPath("MBX:cli"), {
        method: "POST",
        headers: { authorization: "Bearer t" },
      });
      assert.equal(r.status, 200);
      assert.ok((await r.json()).importUrl.startsWith(info.importUrlBase + "/api/gv1.0/"));
      const cfg = await (await fetch(info.graphUrl + "/_mock/config")).json();
      assert.equal(cfg.importConcurrencyLimit, null);
      assert.equal(cfg.graphLatencyMs, 5);
      assert.equal(cfg.importLatencyMs, 0);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
