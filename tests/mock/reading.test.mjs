// Tests of the mock tenant's reading calls (users' Exchange settings, folders, items, delta, exportItems),
// its seeded data and the "elsewhere" server: node --test tests/mock/
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { DEMO_IDS, demoSeed, startMockTenant } from "./server.mjs";
import { ISO_SECONDS, UUID, assertGraphError, controlRequest, withServerProcess } from "./support.mjs";

const TOKEN = "reader-token";
const SRC = DEMO_IDS.sourceMailbox;
const ARC = DEMO_IDS.sourceArchive;
const DST = DEMO_IDS.targetMailbox;
const F = DEMO_IDS.folders;
const DEMO = demoSeed();
const dataOf = new Map(DEMO.items.map((it) => [it.id, it.data]));
const b64 = (s) => Buffer.from(s).toString("base64");

let tenant;

before(async () => {
  tenant = await startMockTenant({ seed: "demo" });
});
after(async () => {
  await tenant.close();
});
beforeEach(() => {
  tenant.state.reset();
});

// ---------------------------------------------------------------------------------------------------------
// helpers

/** Mailbox path the way the client builds it: the id percent-encoded as one segment. */
const mbx = (id, version = "v1.0") => `/${version}/admin/exchange/mailboxes/${encodeURIComponent(id)}`;
const folderPath = (mailbox, folder, rest = "", version = "v1.0") =>
  `${mbx(mailbox, version)}/folders/${encodeURIComponent(folder)}${rest}`;
/** The docs' spelling of a mailbox id in a URL: ":" and "@" raw. */
const docsId = (id) => encodeURIComponent(id).replace(/%3A/g, ":").replace(/%40/g, "@");

function get(pathOrUrl, { token = TOKEN, headers = {}, ...init } = {}) {
  const h = { ...headers };
  if (token !== null) h.authorization = `Bearer ${token}`;
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : tenant.graphUrl + pathOrUrl;
  return fetch(url, { headers: h, redirect: "manual", ...init });
}

async function getJson(path, opts) {
  const r = await get(path, opts);
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r.json();
}

function exportItems(mailbox, body, { token = TOKEN, version = "v1.0", headers = {}, url } = {}) {
  const h = { "content-type": "application/json", ...headers };
  if (token !== null) h.authorization = `Bearer ${token}`;
  return fetch(url ?? tenant.graphUrl + `${mbx(mailbox, version)}/exportItems`, {
    method: "POST",
    headers: h,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function exported(mailbox, itemIds, opts) {
  const r = await exportItems(mailbox, { itemIds }, opts);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.deepEqual(Object.keys(body), ["@odata.context", "value"]);
  return body.value;
}

/** Follows @odata.nextLink to the end; returns the pages. Refuses links off graphUrl. */
async function allPages(path, opts) {
  const pages = [];
  let url = tenant.graphUrl + path;
  for (let i = 0; i < 100; i += 1) {
    const body = await getJson(url, opts);
    pages.push(body);
    const next = body["@odata.nextLink"];
    if (!next) return pages;
    assert.ok(next.startsWith(`${tenant.graphUrl}/`), next);
    url = next;
  }
  throw new Error("too many pages");
}

function control(method, path, body) {
  return controlRequest(tenant.graphUrl, method, path, body);
}

async function newSession(mailbox) {
  const r = await fetch(tenant.graphUrl + `${mbx(mailbox)}/createImportSession`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(r.status, 200);
  return (await r.json()).importUrl;
}

async function importItem(importUrl, body) {
  const r = await fetch(importUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

const FOLDER_KEYS = ["id", "displayName", "parentFolderId", "childFolderCount", "totalItemCount", "type"];
const ITEM_KEYS = ["id", "changeKey", "type", "size", "createdDateTime", "lastModifiedDateTime", "categories"];

// ---------------------------------------------------------------------------------------------------------
// users/{user}/settings/exchange

test("settings/exchange: a user's primary and archive ids, Graph's headers, case-insensitive UPN", async () => {
  for (const version of ["v1.0", "beta"]) {
    const r = await get(`/${version}/users/adele%40contoso.com/settings/exchange`, {
      headers: { "client-request-id": "crid-1", origin: "http://app.test" },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json; odata.metadata=minimal");
    assert.match(r.headers.get("request-id"), UUID);
    assert.equal(r.headers.get("client-request-id"), "crid-1");
    assert.equal(r.headers.get("access-control-allow-origin"), "http://app.test");
    assert.equal(r.headers.get("access-control-expose-headers"), "request-id, client-request-id");
    assert.deepEqual(await r.json(), {
      "@odata.context": `${tenant.graphUrl}/${version}/$metadata#users('adele%40contoso.com')/settings/exchange/$entity`,
      primaryMailboxId: SRC,
      inPlaceArchiveMailboxId: ARC,
    });
  }
  // A raw "@" and another case name the same user.
  const raw = await getJson("/v1.0/users/Adele@Contoso.com/settings/exchange");
  assert.equal(raw.primaryMailboxId, SRC);
  const recs = tenant.state.requests;
  assert.deepEqual(recs.map((q) => [q.route, q.mailbox]), [
    ["exchangeSettings", null],
    ["exchangeSettings", null],
    ["exchangeSettings", null],
  ]);
});

test("settings/exchange: no archive is null, or left out with missingArchiveIdAs omit; unknown user 404", async () => {
  const megan = await getJson("/v1.0/users/megan%40contoso.com/settings/exchange");
  assert.equal(megan.primaryMailboxId, DST);
  assert.ok("inPlaceArchiveMailboxId" in megan);
  assert.equal(megan.inPlaceArchiveMailboxId, null);
  tenant.state.setConfig({ missingArchiveIdAs: "omit" });
  const omitted = await getJson("/v1.0/users/megan%40contoso.com/settings/exchange");
  assert.deepEqual(Object.keys(omitted), ["@odata.context", "primaryMailboxId"]);
  assert.throws(() => tenant.state.setConfig({ missingArchiveIdAs: "undefined" }), TypeError);

  const r = await get("/v1.0/users/nobody%40contoso.com/settings/exchange", { headers: { "client-request-id": "c9" } });
  const body = await r.json();
  assertGraphError(r, body, 404, "Request_ResourceNotFound");
  assert.match(body.error.message, /nobody@contoso\.com/);
  assert.equal(body.error.innerError["client-request-id"], "c9");
  // Only GET; the rest of the conventions hold here too.
  const post = await fetch(tenant.graphUrl + "/v1.0/users/adele%40contoso.com/settings/exchange", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assertGraphError(post, await post.json(), 405, "BadRequest");
  assert.equal(post.headers.get("allow"), "GET");
  const expired = await get("/v1.0/users/adele%40contoso.com/settings/exchange", { token: "expired-1" });
  assertGraphError(expired, await expired.json(), 401, "InvalidAuthenticationToken");
  const bad = await get("/v1.0/users/%E0%A4%A/settings/exchange");
  assertGraphError(bad, await bad.json(), 400, "BadRequest");
});

// ---------------------------------------------------------------------------------------------------------
// Conventions on every reading route

test("reading routes: auth, missing* mailboxes, methods, bad ids and unknown paths", async () => {
  const paths = [
    `${mbx(SRC)}/folders`,
    `${mbx(SRC)}/folders/delta`,
    folderPath(SRC, F.inbox),
    folderPath(SRC, F.inbox, "/childFolders"),
    folderPath(SRC, F.inbox, "/childFolders/delta"),
    folderPath(SRC, F.inbox, "/items"),
    folderPath(SRC, F.inbox, "/items/delta"),
    folderPath(SRC, F.inbox, `/items/${encodeURIComponent("AAMkADdemoItem0001AAA=")}`),
  ];
  for (const path of paths) {
    assert.equal((await get(path)).status, 200, path);
    const none = await get(path, { token: null });
    assertGraphError(none, await none.json(), 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.");
    assert.match(none.headers.get("www-authenticate"), /^Bearer /);
    const expired = await get(path, { token: "expired-x" });
    assert.equal(expired.status, 401);
    const forbidden = await get(path, { token: "forbidden-x" });
    assertGraphError(forbidden, await forbidden.json(), 403, "ErrorAccessDenied");
    const missing = await get(path.replace(encodeURIComponent(SRC), "missing-mbx"));
    assertGraphError(missing, await missing.json(), 404, "ResourceNotFound");
    // folders and childFolders also take POST (folder creation); the Allow header names what the path has.
    const other = await fetch(tenant.graphUrl + path, { method: "DELETE", headers: { authorization: `Bearer ${TOKEN}` } });
    assertGraphError(other, await other.json(), 405, "BadRequest");
    assert.equal(other.headers.get("allow"), /\/(folders|childFolders)$/.test(path) ? "GET, POST" : "GET", path);
  }
  const exp = await fetch(tenant.graphUrl + `${mbx(SRC)}/exportItems`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(exp.status, 405);
  assert.equal(exp.headers.get("allow"), "POST");
  for (const path of [
    `${mbx(SRC)}/folders/`,
    `${mbx(SRC)}/folders/x/y`,
    `${mbx(SRC)}/mailFolders`,
    `/v2.0${mbx(SRC).slice(5)}/folders`,
  ]) {
    const r = await get(path);
    assertGraphError(r, await r.json(), 404, "ResourceNotFound");
  }
  const badFolder = await get(`${mbx(SRC)}/folders/%E0%A4%A/items`);
  assertGraphError(badFolder, await badFolder.json(), 400, "BadRequest");
  // Fixed segments ignore case; delta() is delta.
  assert.equal((await get(`${mbx(SRC)}/Folders/${encodeURIComponent(F.inbox)}/ChildFolders`)).status, 200);
  assert.equal((await get(`${mbx(SRC)}/folders/delta()`)).status, 200);
  // Raw ":" and "@" in the mailbox segment (as in the docs) are the same mailbox.
  assert.equal((await getJson(`/v1.0/admin/exchange/mailboxes/${SRC}/folders`)).value.length, 5);
});

test("reading routes: requests are recorded with their route; faults filter by mailbox and route; CORS", async () => {
  tenant.state.addFaults([
    { kind: "status", status: 503, mailbox: SRC, route: "items" },
    { kind: "status", status: 429, route: ["exportItems"], retryAfter: "1" },
  ]);
  assert.equal((await get(`${mbx(SRC)}/folders`)).status, 200); // neither fault is for this route
  assert.equal((await get(folderPath(DST, "inbox", "/items"))).status, 200); // nor this mailbox
  const r = await get(folderPath(SRC, "inbox", "/items"), { headers: { origin: "http://app.test" } });
  assert.equal(r.status, 503);
  assert.equal((await r.json()).error.code, "ServiceUnavailable");
  assert.equal(r.headers.get("access-control-allow-origin"), "http://app.test");
  const t = await exportItems(DST, { itemIds: ["x"] });
  assert.equal(t.status, 429);
  assert.equal(t.headers.get("retry-after"), "1");
  assert.equal(tenant.state.faults.length, 0);
  assert.deepEqual(
    tenant.state.requests.map((q) => [q.route, q.mailbox, q.fault, q.status]),
    [
      ["folders", SRC, null, 200],
      ["items", DST, null, 200],
      ["items", SRC, "status", 503],
      ["exportItems", DST, "status", 429],
    ],
  );
  assert.equal(tenant.state.requests[3].body, '{"itemIds":["x"]}');
  assert.equal(tenant.state.requests[0].headers.authorization, `Bearer ${TOKEN}`);
  assert.throws(() => tenant.state.addFaults([{ kind: "hang", route: "nope" }]), TypeError);
  assert.throws(() => tenant.state.addFaults([{ kind: "hang", route: [] }]), TypeError);
  assert.throws(() => tenant.state.addFaults([{ kind: "hang", target: "import", route: "items" }]), TypeError);
  tenant.state.addFaults([{ kind: "hang", target: "import", route: "importItem" }]);
  // Preflights on the reading routes allow what is asked.
  const pre = await fetch(tenant.graphUrl + `${mbx(SRC)}/exportItems`, {
    method: "OPTIONS",
    headers: {
      origin: "http://app.test",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type,client-request-id",
    },
  });
  assert.equal(pre.headers.get("access-control-allow-headers"), "authorization,content-type,client-request-id");
});

test("reading routes wait graphLatencyMs and delay faults like the others", async () => {
  tenant.state.setConfig({ graphLatencyMs: 120 });
  let t0 = Date.now();
  assert.equal((await get(`${mbx(SRC)}/folders`)).status, 200);
  assert.ok(Date.now() - t0 >= 110);
  tenant.state.setConfig({ graphLatencyMs: 0 });
  tenant.state.addFaults([{ kind: "delay", ms: 120, route: "exportItems" }]);
  t0 = Date.now();
  assert.equal((await exportItems(SRC, { itemIds: ["AAMkADdemoItem0001AAA="] })).status, 200);
  assert.ok(Date.now() - t0 >= 110);
});

// ---------------------------------------------------------------------------------------------------------
// Folders

test("folders: top level without hidden ones, shapes, counts, wellKnownName only where set", async () => {
  const body = await getJson(`${mbx(SRC)}/folders`);
  assert.equal(
    body["@odata.context"],
    `${tenant.graphUrl}/v1.0/$metadata#admin/exchange/mailboxes/${docsId(SRC)}/folders`,
  );
  assert.equal(body["@odata.nextLink"], undefined);
  assert.deepEqual(body.value.map((f) => f.displayName), ["Inbox", "Sent Items", "Drafts", "Deleted Items", "Archive"]);
  const [inbox] = body.value;
  assert.deepEqual(Object.keys(inbox), [...FOLDER_KEYS, "wellKnownName"]);
  assert.deepEqual(inbox, {
    id: F.inbox,
    displayName: "Inbox",
    parentFolderId: DEMO_IDS.roots.source,
    childFolderCount: 2,
    totalItemCount: 100,
    type: "IPF.Note",
    wellKnownName: "inbox",
  });
  assert.deepEqual(body.value.map((f) => f.totalItemCount), [100, 45, 5, 2, 30]);

  const hidden = await getJson(`${mbx(SRC)}/folders?includeHiddenFolders=true`);
  assert.equal(hidden.value.length, 6);
  const h = hidden.value[5];
  assert.deepEqual(h, {
    id: F.hidden,
    displayName: "Conversation Action Settings",
    parentFolderId: DEMO_IDS.roots.source,
    childFolderCount: 0,
    totalItemCount: 3,
    type: "IPF.Configuration",
  });
  assert.equal((await getJson(`${mbx(SRC)}/folders?includeHiddenFolders=false`)).value.length, 5);
  // beta adds parentMailboxUrl.
  const beta = await getJson(`${mbx(SRC, "beta")}/folders`);
  assert.equal(beta.value[0].parentMailboxUrl, `${tenant.graphUrl}/beta/admin/exchange/mailboxes/${docsId(SRC)}`);
  // One folder by id (or well-known name).
  const one = await getJson(folderPath(SRC, "inbox"));
  assert.equal(one["@odata.context"], `${tenant.graphUrl}/v1.0/$metadata#admin/exchange/mailboxes/${docsId(SRC)}/folders/$entity`);
  assert.equal(one.id, F.inbox);
  assert.equal(one.totalItemCount, 100);
});

test("childFolders: three levels, the root, well-known names, hidden children, unknown folders", async () => {
  const inboxChildren = await getJson(folderPath(SRC, F.inbox, "/childFolders"));
  assert.deepEqual(inboxChildren.value.map((f) => [f.id, f.displayName, f.parentFolderId, f.childFolderCount]), [
    [F.projects, "Projects", F.inbox, 1],
    [F.receipts, "Receipts", F.inbox, 0],
  ]);
  assert.equal(
    inboxChildren["@odata.context"],
    `${tenant.graphUrl}/v1.0/$metadata#admin/exchange/mailboxes/${docsId(SRC)}/folders('${F.inbox}')/childFolders`,
  );
  const level3 = await getJson(folderPath(SRC, F.projects, "/childFolders"));
  assert.deepEqual(level3.value.map((f) => [f.id, f.displayName, f.totalItemCount]), [[F.y2026, "2026", 25]]);
  assert.deepEqual((await getJson(folderPath(SRC, F.y2026, "/childFolders"))).value, []);
  // Through the well-known name, and from the root (by id or msgfolderroot).
  assert.deepEqual((await getJson(folderPath(SRC, "Inbox", "/childFolders"))).value.map((f) => f.id), [F.projects, F.receipts]);
  assert.equal((await getJson(folderPath(SRC, DEMO_IDS.roots.source, "/childFolders"))).value.length, 5);
  assert.equal((await getJson(folderPath(SRC, "msgfolderroot", "/childFolders?includeHiddenFolders=true"))).value.length, 6);
  // Hidden children of a visible folder are left out unless asked for.
  tenant.state.seed({ mailboxes: { [SRC]: { folders: [{ id: "AAMkADhiddenChildAAA=", displayName: "Sync", parentFolderId: F.y2026, hidden: true }] } } });
  assert.deepEqual((await getJson(folderPath(SRC, F.y2026, "/childFolders"))).value, []);
  const withHidden = await getJson(folderPath(SRC, F.y2026, "/childFolders?includeHiddenFolders=true"));
  assert.deepEqual(withHidden.value.map((f) => f.id), ["AAMkADhiddenChildAAA="]);
  // childFolderCount counts every child, hidden ones included.
  assert.equal((await getJson(folderPath(SRC, F.y2026))).childFolderCount, 1);
  // Unknown folders, and folders of another mailbox, are not found.
  for (const path of [
    folderPath(SRC, "AAMkADnoSuchFolderAAA=", "/childFolders"),
    folderPath(SRC, "junkemail", "/items"),
    folderPath(DST, F.inbox, "/items"),
    folderPath(SRC, DEMO_IDS.targetFolders.restored),
  ]) {
    const r = await get(path);
    assertGraphError(r, await r.json(), 404, "ErrorItemNotFound", "The specified object was not found in the store.");
  }
});

// ---------------------------------------------------------------------------------------------------------
// Items and paging

test("items: pages of pageSize linked by absolute nextLinks with $skiptoken, in a stable order", async () => {
  const pages = await allPages(folderPath(SRC, F.inbox, "/items"));
  assert.equal(pages.length, 10);
  for (const [i, page] of pages.entries()) {
    assert.equal(page.value.length, 10);
    assert.equal(
      page["@odata.context"],
      `${tenant.graphUrl}/v1.0/$metadata#admin/exchange/mailboxes/${docsId(SRC)}/folders('${F.inbox}')/items`,
    );
    if (i < 9) {
      const next = new URL(page["@odata.nextLink"]);
      assert.equal(next.origin, tenant.graphUrl);
      assert.equal(next.pathname, `/v1.0/admin/exchange/mailboxes/${docsId(SRC)}/folders/${encodeURIComponent(F.inbox)}/items`);
      assert.ok(next.searchParams.get("$skiptoken"));
      assert.match(page["@odata.nextLink"], /\?\$skiptoken=[A-Za-z0-9_-]+$/);
    } else {
      assert.equal(page["@odata.nextLink"], undefined);
    }
  }
  const items = pages.flatMap((p) => p.value);
  assert.deepEqual(items.map((it) => it.id), DEMO.ids.items.inbox);
  const first = items[0];
  assert.deepEqual(Object.keys(first), ITEM_KEYS);
  assert.equal(first.type, "IPM.Note");
  assert.equal(first.changeKey, "CQAAABYAAADdemo0001");
  assert.equal(first.size, Buffer.from(dataOf.get(first.id), "base64").length);
  assert.match(first.createdDateTime, ISO_SECONDS);
  assert.equal(first.createdDateTime, "2026-01-05T10:00:00Z");
  assert.equal(first.lastModifiedDateTime, first.createdDateTime);
  assert.deepEqual(first.categories, []);
  assert.deepEqual(items[6].categories, ["Red category"]); // item 7
  // The same items through the well-known name, by id, and one at a time.
  const byName = (await allPages(folderPath(SRC, "inbox", "/items"))).flatMap((p) => p.value);
  assert.deepEqual(byName, items);
  const one = await getJson(folderPath(SRC, F.inbox, `/items/${encodeURIComponent(first.id)}`));
  assert.deepEqual({ ...one, "@odata.context": undefined }, { ...first, "@odata.context": undefined });
  const elsewhere = await get(folderPath(SRC, F.projects, `/items/${encodeURIComponent(first.id)}`));
  assert.equal(elsewhere.status, 404);
});

test("paging: $top, pageSize, Prefer odata.maxpagesize, $select, $skip; bad options are 400", async () => {
  // $top smaller than pageSize sets the page size; the nextLink keeps it.
  const top = await allPages(folderPath(SRC, F.drafts, "/items?$top=2"));
  assert.deepEqual(top.map((p) => p.value.length), [2, 2, 1]);
  assert.match(top[0]["@odata.nextLink"], /\?\$top=2&\$skiptoken=/);
  // $top larger than pageSize is capped at pageSize.
  assert.equal((await getJson(folderPath(SRC, F.sentItems, "/items?$top=25"))).value.length, 10);
  tenant.state.setConfig({ pageSize: 40 });
  const big = await allPages(folderPath(SRC, F.sentItems, "/items"));
  assert.deepEqual(big.map((p) => p.value.length), [40, 5]);
  tenant.state.setConfig({ pageSize: 10 });
  // Folders page too.
  const folders = await allPages(`${mbx(SRC)}/folders?$top=2&includeHiddenFolders=true`);
  assert.deepEqual(folders.map((p) => p.value.length), [2, 2, 2]);
  assert.match(folders[0]["@odata.nextLink"], /includeHiddenFolders=true/);
  assert.equal(folders.flat().length, 3);
  // Prefer: odata.maxpagesize.
  const pref = await get(folderPath(SRC, F.sentItems, "/items"), { headers: { prefer: "odata.maxpagesize=3" } });
  assert.equal(pref.headers.get("preference-applied"), "odata.maxpagesize=3");
  assert.equal((await pref.json()).value.length, 3);
  // $select keeps id and the properties named.
  const sel = await getJson(folderPath(SRC, F.drafts, "/items?$select=size,type"));
  assert.deepEqual(Object.keys(sel.value[0]), ["id", "size", "type"]);
  const fsel = await getJson(`${mbx(SRC)}/folders?$select=displayName`);
  assert.deepEqual(fsel.value[0], { id: F.inbox, displayName: "Inbox" });
  // $skip as in the docs' links.
  const skipped = await getJson(folderPath(SRC, F.drafts, "/items?$skip=3"));
  assert.deepEqual(skipped.value.map((it) => it.id), DEMO.ids.items.drafts.slice(3));
  for (const q of ["$top=0", "$top=abc", "$top=1001", "$skiptoken=garbage", "$skip=-1", "$filter=size gt 1", "$select=nope", "$orderby=size"]) {
    const r = await get(folderPath(SRC, F.drafts, `/items?${q}`));
    assertGraphError(r, await r.json(), 400, "BadRequest");
  }
  // A token of another collection is refused.
  const folderToken = new URL(folders[0]["@odata.nextLink"]).searchParams.get("$skiptoken");
  const r = await get(folderPath(SRC, F.drafts, `/items?$skiptoken=${folderToken}`));
  assert.equal(r.status, 400);
  assert.throws(() => tenant.state.setConfig({ pageSize: 0 }), TypeError);
});

test("well-known names work for primary mailboxes only", async () => {
  const sent = await getJson(folderPath(SRC, "SentItems", "/items?$top=1"));
  assert.equal(sent.value[0].id, DEMO.ids.items.sentItems[0]);
  assert.equal((await getJson(folderPath(DST, "inbox", "/items"))).value.length, 0);
  // The archive has a folder named Inbox, but not as a well-known name.
  for (const name of ["inbox", "msgfolderroot", "archive"]) {
    const r = await get(folderPath(ARC, name, "/items"));
    assertGraphError(r, await r.json(), 404, "ErrorItemNotFound");
  }
  const byId = await getJson(folderPath(ARC, DEMO_IDS.archiveFolders.oldProjects, "/items"));
  assert.deepEqual(byId.value.map((it) => it.id), DEMO.ids.items["archive:oldProjects"]);
  const arcFolders = await getJson(`${mbx(ARC)}/folders`);
  assert.deepEqual(arcFolders.value.map((f) => [f.displayName, f.wellKnownName]), [["Inbox", undefined], ["Old Projects", undefined]]);
});

// ---------------------------------------------------------------------------------------------------------
// Delta

test("delta: folders and items page like lists and end with a deltaLink that yields only later changes", async () => {
  const folderPages = await allPages(`${mbx(SRC)}/folders/delta?$top=3`);
  assert.deepEqual(folderPages.map((p) => p.value.length), [3, 3, 2]);
  for (const p of folderPages.slice(0, -1)) {
    assert.equal(p["@odata.deltaLink"], undefined);
    assert.match(p["@odata.nextLink"], /\/folders\/delta\?\$skiptoken=/);
  }
  const last = folderPages.at(-1);
  assert.equal(last["@odata.nextLink"], undefined);
  const deltaLink = new URL(last["@odata.deltaLink"]);
  assert.equal(deltaLink.origin, tenant.graphUrl);
  assert.equal(deltaLink.pathname, `/v1.0/admin/exchange/mailboxes/${docsId(SRC)}/folders/delta`);
  assert.ok(deltaLink.searchParams.get("$deltatoken"));
  assert.equal(last["@odata.context"], `${tenant.graphUrl}/v1.0/$metadata#Collection(mailboxFolder)`);
  // The whole hierarchy, depth first, hidden folders left out.
  assert.deepEqual(folderPages.flatMap((p) => p.value).map((f) => f.displayName), [
    "Inbox", "Projects", "2026", "Receipts", "Sent Items", "Drafts", "Deleted Items", "Archive",
  ]);
  const withHidden = await allPages(`${mbx(SRC)}/folders/delta?includeHiddenFolders=true`);
  assert.equal(withHidden.flatMap((p) => p.value).length, 9);
  // Nothing changed since: the deltaLink gives an empty page and a fresh deltaLink.
  const again = await getJson(last["@odata.deltaLink"]);
  assert.deepEqual(again.value, []);
  assert.ok(again["@odata.deltaLink"]);

  // Items of a folder, then only what was imported after the round.
  const itemPages = await allPages(folderPath(SRC, F.drafts, "/items/delta?$top=2"));
  assert.deepEqual(itemPages.map((p) => p.value.length), [2, 2, 1]);
  assert.deepEqual(Object.keys(itemPages[0].value[0]), ITEM_KEYS);
  const itemsDelta = itemPages.at(-1)["@odata.deltaLink"];
  assert.match(itemsDelta, new RegExp(`/folders/${encodeURIComponent(F.drafts)}/items/delta\\?\\$deltatoken=`));
  const importUrl = await newSession(SRC);
  const added = await importItem(importUrl, { FolderId: F.drafts, Mode: "create", Data: b64("a new draft") });
  assert.equal(added.status, 200);
  await importItem(importUrl, { FolderId: F.inbox, Mode: "create", Data: b64("not in drafts") });
  const changes = await getJson(itemsDelta);
  assert.deepEqual(changes.value.map((it) => it.id), [added.body.itemId]);
  assert.equal(changes["@odata.context"], `${tenant.graphUrl}/v1.0/$metadata#Collection(mailboxItem)`);
  assert.ok(changes["@odata.deltaLink"]);
  // A child folders delta, and a deltatoken of another route refused.
  const child = await getJson(folderPath(SRC, F.inbox, "/childFolders/delta"));
  assert.deepEqual(child.value.map((f) => f.id), [F.projects, F.receipts]);
  const token = new URL(itemsDelta).searchParams.get("$deltatoken");
  assert.equal((await get(`${mbx(SRC)}/folders/delta?$deltatoken=${token}`)).status, 400);
});

// ---------------------------------------------------------------------------------------------------------
// Archive redirects

test("archive: a folder of the user's archive read through the primary answers 308 to the archive", async () => {
  const oldProjects = DEMO_IDS.archiveFolders.oldProjects;
  for (const rest of ["/items?$top=2", "/childFolders?includeHiddenFolders=true", "/items/delta", "", "/childFolders/delta"]) {
    const path = folderPath(SRC, oldProjects, rest);
    const r = await get(path, { headers: { origin: "http://app.test" } });
    assert.equal(r.status, 308, rest);
    assert.equal(await r.text(), "");
    assert.match(r.headers.get("request-id"), UUID);
    assert.equal(r.headers.get("access-control-allow-origin"), "http://app.test");
    const expected = `${tenant.graphUrl}/v1.0/admin/exchange/mailboxes/${docsId(ARC)}/folders/${encodeURIComponent(oldProjects)}${rest}`;
    assert.equal(r.headers.get("location"), expected);
    // The Location serves the folder.
    assert.equal((await get(r.headers.get("location"))).status, 200);
  }
  const moved = await get(folderPath(SRC, oldProjects, "/items"));
  const items = await getJson(moved.headers.get("location"));
  assert.deepEqual(items.value.map((it) => it.id), DEMO.ids.items["archive:oldProjects"]);
  // beta keeps its version; linkIdStyle "encoded" percent-encodes the id in the Location.
  const beta = await get(folderPath(SRC, oldProjects, "/items", "beta"));
  assert.ok(beta.headers.get("location").startsWith(`${tenant.graphUrl}/beta/admin/exchange/mailboxes/${docsId(ARC)}/`));
  tenant.state.setConfig({ linkIdStyle: "encoded" });
  const enc = await get(folderPath(SRC, oldProjects, "/items"));
  assert.ok(enc.headers.get("location").includes(`/mailboxes/${encodeURIComponent(ARC)}/folders/`));
  // Through a mailbox of another user: not found, no redirect.
  const other = await get(folderPath(DST, oldProjects, "/items"));
  assert.equal(other.status, 404);
  // Unauthenticated: 401 before any redirect.
  assert.equal((await get(folderPath(SRC, oldProjects, "/items"), { token: null })).status, 401);
});

test("archive: archiveFolders config redirects reads of unseeded mailboxes too", async () => {
  tenant.state.setConfig({ archiveFolders: { AAMkADcfgFolderAAA: "MBX:cfg-archive@t" } });
  const r = await get(folderPath("MBX:cfg-primary@t", "AAMkADcfgFolderAAA", "/items?$top=5"));
  assert.equal(r.status, 308);
  assert.equal(
    r.headers.get("location"),
    `${tenant.graphUrl}/v1.0/admin/exchange/mailboxes/MBX:cfg-archive@t/folders/AAMkADcfgFolderAAA/items?$top=5`,
  );
  // In the archive itself: what was imported there.
  const importUrl = await newSession("MBX:cfg-archive@t");
  const { body } = await importItem(importUrl, { FolderId: "AAMkADcfgFolderAAA", Mode: "create", Data: b64("archived") });
  const listed = await getJson(r.headers.get("location"));
  assert.deepEqual(listed.value.map((it) => it.id), [body.itemId]);
});

test("the redirect fault answers 308 off the trusted root on reading routes; the mock never follows it", async () => {
  const path = folderPath(SRC, F.inbox, "/items");
  tenant.state.addFaults([
    { kind: "redirect", status: 308, location: `${tenant.elsewhereUrl}${path}`, route: "items" },
    { kind: "redirect", status: 308, route: "folders" },
  ]);
  const r = await get(path);
  assert.equal(r.status, 308);
  assert.equal(r.headers.get("location"), `${tenant.elsewhereUrl}${path}`);
  const f = await get(`${mbx(SRC)}/folders?$top=1`);
  assert.equal(f.status, 308);
  assert.equal(f.headers.get("location"), `https://evil.example.net${mbx(SRC)}/folders`);
  assert.deepEqual(tenant.state.requests.map((q) => q.fault), ["redirect", "redirect"]);
  assert.deepEqual(tenant.state.elsewhereRequests, []);
});

// ---------------------------------------------------------------------------------------------------------
// Untrusted links and the elsewhere server

test("the elsewhere server answers anything with 200 {value: []} and records it, Authorization included", async () => {
  assert.equal(tenant.elsewhereUrl, `http://127.0.0.1:${tenant.elsewherePort}`);
  assert.ok(![tenant.graphPort, tenant.importPort].includes(tenant.elsewherePort));
  const a = await fetch(`${tenant.elsewhereUrl}/v1.0/steal?x=1`, { headers: { authorization: "Bearer secret-1" } });
  assert.equal(a.status, 200);
  assert.match(a.headers.get("content-type"), /^application\/json/);
  assert.deepEqual(await a.json(), { value: [] });
  const b = await fetch(`${tenant.elsewhereUrl}/anything`, { method: "POST", body: '{"itemIds":["x"]}' });
  assert.deepEqual(await b.json(), { value: [] });
  const pre = await fetch(`${tenant.elsewhereUrl}/x`, {
    method: "OPTIONS",
    headers: { origin: "http://app.test", "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
  });
  assert.equal(pre.headers.get("access-control-allow-origin"), "http://app.test");
  assert.equal(pre.headers.get("access-control-allow-headers"), "authorization");
  const recs = tenant.state.elsewhereRequests;
  assert.deepEqual(recs.map((q) => [q.method, q.path]), [["GET", "/v1.0/steal?x=1"], ["POST", "/anything"], ["OPTIONS", "/x"]]);
  assert.equal(recs[0].headers.authorization, "Bearer secret-1");
  assert.equal(recs[1].body, '{"itemIds":["x"]}');
  assert.equal(typeof recs[0].time, "number");
  const http = await (await control("GET", "/_mock/elsewhere-requests")).json();
  assert.deepEqual(http.requests, recs);
  assert.equal(tenant.state.requests.length, 0, "the graph server saw none of it");
  assert.equal((await control("DELETE", "/_mock/elsewhere-requests")).status, 204);
  assert.equal(tenant.state.elsewhereRequests.length, 0);
  await fetch(`${tenant.elsewhereUrl}/again`);
  tenant.state.reset();
  assert.equal(tenant.state.elsewhereRequests.length, 0);
});

test("nextLinkBase makes every link untrusted; following one is recorded by the elsewhere server", async () => {
  tenant.state.setConfig({ nextLinkBase: tenant.elsewhereUrl });
  const page = await getJson(folderPath(SRC, F.inbox, "/items"));
  const next = new URL(page["@odata.nextLink"]);
  assert.equal(next.origin, tenant.elsewhereUrl);
  assert.equal(next.pathname, `/v1.0/admin/exchange/mailboxes/${docsId(SRC)}/folders/${encodeURIComponent(F.inbox)}/items`);
  const delta = await getJson(folderPath(SRC, F.deletedItems, "/items/delta"));
  assert.ok(delta["@odata.deltaLink"].startsWith(`${tenant.elsewhereUrl}/`));
  // A client that followed it would hand its token over: the test can see that.
  const r = await get(page["@odata.nextLink"]);
  assert.deepEqual(await r.json(), { value: [] });
  assert.equal(tenant.state.elsewhereRequests.length, 1);
  assert.equal(tenant.state.elsewhereRequests[0].headers.authorization, `Bearer ${TOKEN}`);
  for (const bad of ["ftp://x", "not a url", "http://x/?q=1", 5]) {
    assert.throws(() => tenant.state.setConfig({ nextLinkBase: bad }), TypeError, String(bad));
  }
  tenant.state.reset();
  assert.equal(tenant.state.config.nextLinkBase, null);
});

test("untrustedNextLink fault: the next collection page links to the elsewhere server", async () => {
  tenant.state.addFaults([{ kind: "untrustedNextLink", mailbox: DST }]);
  // Not a collection, or not this mailbox: the fault waits.
  assert.equal((await exportItems(DST, { itemIds: ["x"] })).status, 200);
  assert.equal((await get(folderPath(DST, "inbox"))).status, 200);
  assert.equal((await get(`${mbx(SRC)}/folders`)).status, 200);
  assert.equal(tenant.state.faults.length, 1);
  // A one-page collection gets a nextLink anyway, on the elsewhere server.
  const body = await getJson(`${mbx(DST)}/folders`);
  assert.deepEqual(body.value.map((f) => f.displayName), ["Inbox", "Restored", "Sent Items", "Drafts", "Deleted Items", "Archive"]);
  const next = new URL(body["@odata.nextLink"]);
  assert.equal(next.origin, tenant.elsewhereUrl);
  assert.ok(next.searchParams.get("$skiptoken"));
  assert.equal(tenant.state.faults.length, 0);
  assert.equal(tenant.state.requests.at(-1).fault, "untrustedNextLink");
  // base names another host; on delta the page carries the nextLink instead of the deltaLink.
  tenant.state.addFaults([{ kind: "untrustedNextLink", base: "https://evil.example.net/x" }]);
  const d = await getJson(folderPath(SRC, F.deletedItems, "/items/delta"));
  assert.ok(d["@odata.nextLink"].startsWith(`https://evil.example.net/x/v1.0/admin/exchange/mailboxes/`));
  assert.equal(d["@odata.deltaLink"], undefined);
  // The next page is normal again.
  assert.equal((await getJson(`${mbx(DST)}/folders`))["@odata.nextLink"], undefined);
  assert.throws(() => tenant.state.addFaults([{ kind: "untrustedNextLink", target: "import" }]), TypeError);
  assert.throws(() => tenant.state.addFaults([{ kind: "untrustedNextLink", base: "nope" }]), TypeError);
  assert.deepEqual(tenant.state.elsewhereRequests, []);
});

test("malformedJson and missingFields faults take the shape of the reading route", async () => {
  tenant.state.addFaults([
    { kind: "malformedJson", route: "items" },
    { kind: "missingFields", route: "folders" },
    { kind: "missingFields", route: "exchangeSettings" },
  ]);
  const m = await get(folderPath(SRC, "inbox", "/items"));
  assert.equal(m.status, 200);
  const text = await m.text();
  assert.match(text, /"value": \[/);
  assert.throws(() => JSON.parse(text), SyntaxError);
  assert.deepEqual(Object.keys(await getJson(`${mbx(SRC)}/folders`)), ["@odata.context"]);
  assert.deepEqual(Object.keys(await getJson("/v1.0/users/adele%40contoso.com/settings/exchange")), ["@odata.context"]);
});

// ---------------------------------------------------------------------------------------------------------
// exportItems

test("exportItems: results in request order with each item's stored data; unknown ids fail alone", async () => {
  const ids = ["AAMkADdemoItem0150AAA=", "AAMkADnopeAAA=", "AAMkADdemoItem0001AAA=", "AAMkADdemoItem0150AAA="];
  const r = await exportItems(SRC, { itemIds: ids }, { headers: { "client-request-id": "exp-1" } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "application/json; odata.metadata=minimal");
  assert.equal(r.headers.get("client-request-id"), "exp-1");
  const body = await r.json();
  assert.equal(body["@odata.context"], `${tenant.graphUrl}/v1.0/$metadata#Collection(microsoft.graph.exportItemResponse)`);
  assert.deepEqual(body.value.map((v) => v.itemId), ids);
  assert.deepEqual(body.value[0], { itemId: ids[0], changeKey: "CQAAABYAAADdemo0150", data: dataOf.get(ids[0]) });
  assert.deepEqual(body.value[1], {
    itemId: "AAMkADnopeAAA=",
    error: { code: "ErrorItemNotFound", message: "The specified object was not found in the store." },
  });
  assert.equal(body.value[2].data, dataOf.get(ids[2]));
  assert.deepEqual(body.value[3], body.value[0]);
  // Twenty is the most; every seeded item exports.
  const twenty = DEMO.ids.items.sentItems.slice(0, 20);
  const values = await exported(SRC, twenty);
  assert.deepEqual(values.map((v) => v.data), twenty.map((id) => dataOf.get(id)));
  // An item of another user's mailbox is not found through this one.
  assert.equal((await exported(DST, [ids[0]]))[0].error.code, "ErrorItemNotFound");
});

test("exportItems: more than 20 ids, none, bad JSON, wrong shapes or no JSON content type are 400", async () => {
  const many = DEMO.ids.items.inbox.slice(0, 21);
  const cases = [
    { itemIds: many },
    { itemIds: [] },
    "{not json",
    "",
    [],
    { ids: ["x"] },
    { itemIds: "AAMk" },
    { itemIds: ["ok", ""] },
    { itemIds: ["ok", 3] },
  ];
  for (const body of cases) {
    const r = await exportItems(SRC, body);
    assertGraphError(r, await r.json(), 400, "BadRequest");
  }
  // Content-Type is required ("Required" in the docs): Graph's usual 400 without it.
  for (const headers of [{ "content-type": "text/plain;charset=UTF-8" }, { "content-type": "" }]) {
    const r = await exportItems(SRC, { itemIds: ["AAMkADdemoItem0001AAA="] }, { headers });
    const body = await r.json();
    assertGraphError(r, body, 400, "BadRequest");
    assert.match(body.error.message, /Content-Type/);
  }
  const withCharset = await exportItems(SRC, { itemIds: ["AAMkADdemoItem0001AAA="] }, { headers: { "content-type": "application/json; charset=utf-8" } });
  assert.equal(withCharset.status, 200);
  tenant.state.setConfig({ requireJsonContentType: false });
  const lax = await exportItems(SRC, { itemIds: ["AAMkADdemoItem0001AAA="] }, { headers: { "content-type": "text/plain" } });
  assert.equal(lax.status, 200);
});

test("exportItems: injected per-item errors, spelled error or Error", async () => {
  const [a, b, c] = DEMO.ids.items.archive;
  tenant.state.setConfig({
    exportItemErrors: {
      [a]: { code: "ErrorCorruptData", message: "Corrupt." },
      [b]: { code: "ErrorQuotaExceeded", message: "Too big.", key: "Error" },
    },
  });
  const values = await exported(SRC, [a, b, c]);
  assert.deepEqual(values[0], { itemId: a, error: { code: "ErrorCorruptData", message: "Corrupt." } });
  assert.deepEqual(values[1], { itemId: b, Error: { code: "ErrorQuotaExceeded", message: "Too big." } });
  assert.equal(values[2].data, dataOf.get(c));
  // exportErrorKey spells every per-item error "Error" (an entry's own key still wins).
  const cfg = await control("POST", "/_mock/config", { exportErrorKey: "Error" });
  assert.equal(cfg.status, 204);
  const again = await exported(SRC, [a, "AAMkADnopeAAA="]);
  assert.deepEqual(Object.keys(again[0]), ["itemId", "Error"]);
  assert.deepEqual(again[1], { itemId: "AAMkADnopeAAA=", Error: { code: "ErrorItemNotFound", message: "The specified object was not found in the store." } });
  tenant.state.setConfig({ exportItemErrors: { [a]: { code: "X", message: "m", key: "error" } } });
  assert.deepEqual(Object.keys((await exported(SRC, [a]))[0]), ["itemId", "error"]);
  for (const bad of [
    { exportItemErrors: { [a]: { code: "", message: "m" } } },
    { exportItemErrors: { [a]: { code: "X" } } },
    { exportItemErrors: { [a]: { code: "X", message: "m", key: "ERROR" } } },
    { exportItemErrors: { [a]: { code: "X", message: "m", extra: 1 } } },
    { exportItemErrors: [] },
    { exportErrorKey: "err" },
    { archiveMovedMessage: "no placeholder" },
  ]) {
    assert.equal((await control("POST", "/_mock/config", bad)).status, 400, JSON.stringify(bad));
  }
  tenant.state.reset();
  assert.deepEqual(tenant.state.config.exportItemErrors, {});
});

test("exportItems: an archive item asked through the primary names the archive's exportItems URL", async () => {
  const [arc1, arc2] = DEMO.ids.items["archive:oldProjects"];
  const src1 = "AAMkADdemoItem0001AAA=";
  const values = await exported(SRC, [src1, arc1, arc2]);
  const url = `${tenant.graphUrl}/v1.0/admin/exchange/mailboxes/${docsId(ARC)}/exportItems`;
  assert.equal(values[0].data, dataOf.get(src1));
  assert.deepEqual(values[1], { itemId: arc1, error: { code: "ErrorArchiveFolderMovedPermanently", message: url } });
  assert.equal(values[2].error.message, url);
  // Posting the ids again to that URL exports them.
  const r = await exportItems(null, { itemIds: [arc1, arc2] }, { url: values[1].error.message });
  assert.equal(r.status, 200);
  const moved = (await r.json()).value;
  assert.deepEqual(moved.map((v) => v.data), [dataOf.get(arc1), dataOf.get(arc2)]);
  assert.equal(tenant.state.requests.at(-1).mailbox, ARC);
  // The message can embed the URL in a sentence; beta names the beta URL; the Error spelling applies.
  tenant.state.setConfig({ archiveMovedMessage: "The folder moved. Post the request again to {url}.", exportErrorKey: "Error" });
  const [beta] = await exported(SRC, [arc1], { version: "beta" });
  assert.deepEqual(beta.Error, {
    code: "ErrorArchiveFolderMovedPermanently",
    message: `The folder moved. Post the request again to ${tenant.graphUrl}/beta/admin/exchange/mailboxes/${docsId(ARC)}/exportItems.`,
  });
  // Through another user's mailbox, or a primary item through the archive: plainly not found.
  assert.equal((await exported(DST, [arc1]))[0].Error.code, "ErrorItemNotFound");
  assert.equal((await exported(ARC, [src1]))[0].Error.code, "ErrorItemNotFound");
});

test("exportItems: archiveFolders config marks items imported into an archive folder of an unseeded mailbox", async () => {
  tenant.state.setConfig({ archiveFolders: { AAMkADcfgArcAAA: "MBX:u-archive@t" }, linkIdStyle: "encoded" });
  const importUrl = await newSession("MBX:u-archive@t");
  const { body } = await importItem(importUrl, { FolderId: "AAMkADcfgArcAAA", Mode: "create", Data: b64("old one") });
  const [v] = await exported("MBX:u-primary@t", [body.itemId]);
  assert.equal(v.error.code, "ErrorArchiveFolderMovedPermanently");
  assert.equal(v.error.message, `${tenant.graphUrl}/v1.0/admin/exchange/mailboxes/MBX%3Au-archive%40t/exportItems`);
  const [ok] = await exported("MBX:u-archive@t", [body.itemId]);
  assert.equal(ok.data, b64("old one"));
});

test("stats: the peak of exportItems in flight per mailbox, apart from other routes and mailboxes", async () => {
  tenant.state.addFaults([{ kind: "delay", ms: 120, route: "exportItems", times: 5 }]);
  const ids = { itemIds: ["AAMkADdemoItem0001AAA="] };
  const rs = await Promise.all([
    ...[1, 2, 3, 4].map(() => exportItems(SRC, ids)),
    exportItems(DST, ids),
    get(`${mbx(SRC)}/folders`),
  ]);
  assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
  const stats = await (await control("GET", "/_mock/stats")).json();
  assert.equal(stats.maxInFlightByRoute.exportItems[SRC], 4);
  assert.equal(stats.maxInFlightByRoute.exportItems[DST], 1);
  assert.equal(stats.maxInFlightByRoute.folders[SRC], 1);
  assert.ok(stats.maxInFlightByMailbox.graph[SRC] >= 4);
  assert.deepEqual(tenant.state.stats.maxInFlightByRoute, stats.maxInFlightByRoute);
  tenant.state.reset();
  assert.deepEqual(tenant.state.stats.maxInFlightByRoute, {});
});

// ---------------------------------------------------------------------------------------------------------
// Imported items are read and exported like seeded ones

test("an imported item is listed in its folder and exports byte for byte; well-known names resolve", async () => {
  const [source] = await exported(SRC, ["AAMkADdemoItem0042AAA="]);
  const importUrl = await newSession(DST);
  const created = await importItem(importUrl, { FolderId: DEMO_IDS.targetFolders.restored, Mode: "create", Data: source.data });
  assert.equal(created.status, 200);
  const listed = await getJson(folderPath(DST, DEMO_IDS.targetFolders.restored, "/items"));
  assert.equal(listed.value.length, 1);
  const [item] = listed.value;
  assert.deepEqual(Object.keys(item), ITEM_KEYS);
  assert.equal(item.id, created.body.itemId);
  assert.equal(item.changeKey, created.body.changeKey);
  assert.equal(item.size, Buffer.from(source.data, "base64").length);
  const [back] = await exported(DST, [item.id]);
  assert.equal(back.data, source.data);
  assert.deepEqual(Buffer.from(back.data, "base64"), Buffer.from(dataOf.get("AAMkADdemoItem0042AAA="), "base64"));
  assert.equal((await getJson(folderPath(DST, DEMO_IDS.targetFolders.restored))).totalItemCount, 1);
  // An update moves and replaces it; the change key follows.
  const upd = await importItem(importUrl, {
    FolderId: "inbox", Mode: "update", Data: b64("v2"), ItemId: item.id, ChangeKey: item.changeKey,
  });
  assert.equal(upd.status, 200);
  assert.equal((await getJson(folderPath(DST, DEMO_IDS.targetFolders.restored, "/items"))).value.length, 0);
  const inbox = await getJson(folderPath(DST, DEMO_IDS.targetFolders.inbox, "/items"));
  assert.deepEqual(inbox.value.map((it) => [it.id, it.changeKey, it.size]), [[item.id, upd.body.changeKey, 2]]);
  assert.equal(tenant.state.itemsFor(DST)[0].folderId, DEMO_IDS.targetFolders.inbox);
  assert.equal((await exported(DST, [item.id]))[0].data, b64("v2"));
  // A seeded mailbox takes items only into its own folders.
  for (const FolderId of ["AAMkADnoSuchFolderAAA=", F.inbox, "junkemail"]) {
    const r = await importItem(importUrl, { FolderId, Mode: "create", Data: b64("x") });
    assert.equal(r.status, 404, FolderId);
    assert.deepEqual(Object.keys(r.body), ["Message"]);
  }
  // An archive folder posted through its user's primary session: the documented 409.
  const primaryUrl = await newSession(SRC);
  const refused = await importItem(primaryUrl, { FolderId: DEMO_IDS.archiveFolders.oldProjects, Mode: "create", Data: b64("x") });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.Message, `Invalid import session. The target session is expected in mailbox ${ARC}.`);
});

test("unseeded mailboxes stay lenient: any folder id, listed and exported; storeItemData false", async () => {
  const mailbox = "MBX:lenient@t";
  const importUrl = await newSession(mailbox);
  const a = await importItem(importUrl, { FolderId: "f1", Mode: "create", Data: b64("first") });
  const b = await importItem(importUrl, { FolderId: "f1", Mode: "create", Data: b64("second") });
  await importItem(importUrl, { FolderId: "f2", Mode: "create", Data: b64("third") });
  const listed = await getJson(folderPath(mailbox, "f1", "/items"));
  assert.deepEqual(listed.value.map((it) => it.id), [a.body.itemId, b.body.itemId]);
  assert.deepEqual((await getJson(folderPath(mailbox, "nothing-here", "/items"))).value, []);
  assert.deepEqual((await getJson(`${mbx(mailbox)}/folders`)).value, []);
  assert.equal((await getJson(folderPath(mailbox, "f1"))).totalItemCount, 2);
  const values = await exported(mailbox, [b.body.itemId, a.body.itemId]);
  assert.deepEqual(values.map((v) => v.data), [b64("second"), b64("first")]);
  tenant.state.setConfig({ storeItemData: false });
  const c = await importItem(importUrl, { FolderId: "f1", Mode: "create", Data: b64("forgotten") });
  const [v] = await exported(mailbox, [c.body.itemId]);
  assert.equal(v.error.code, "ErrorMockDataNotStored");
  assert.equal(v.data, undefined);
  // Seeded items keep their data whatever storeItemData says.
  assert.equal((await exported(SRC, ["AAMkADdemoItem0001AAA="]))[0].data, dataOf.get("AAMkADdemoItem0001AAA="));
});

// ---------------------------------------------------------------------------------------------------------
// Seeding

test("demoSeed: two users, a 3-level source tree with 250 distinct items, an archive, an empty target", () => {
  const spec = demoSeed();
  assert.deepEqual(demoSeed(), spec, "deterministic");
  assert.deepEqual(spec.users.map((u) => [u.user, u.primaryMailboxId, u.inPlaceArchiveMailboxId]), [
    ["adele@contoso.com", SRC, ARC],
    ["megan@contoso.com", DST, undefined],
  ]);
  const source = spec.items.filter((it) => Object.values(F).includes(it.folderId));
  assert.equal(source.length, 250);
  const archived = spec.items.filter((it) => it.folderId === DEMO_IDS.archiveFolders.oldProjects);
  assert.equal(archived.length, 5);
  assert.equal(spec.items.length, 255);
  assert.equal(new Set(spec.items.map((it) => it.data)).size, 255, "distinct data");
  assert.equal(new Set(spec.items.map((it) => it.id)).size, 255, "distinct ids");
  for (const it of spec.items) {
    assert.match(it.data, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(Buffer.from(it.data, "base64").toString("base64"), it.data);
    const size = Buffer.from(it.data, "base64").length;
    assert.ok(size >= 200 && size <= 600, `size ${size}`);
    assert.match(it.id, /^AAMkADdemo(Item\d{4}|ArcItem\d{2})AAA=$/);
  }
  assert.deepEqual(spec.ids.items.inbox.slice(0, 2), ["AAMkADdemoItem0001AAA=", "AAMkADdemoItem0002AAA="]);
  assert.equal(spec.ids.items.y2026.length, 25);
  assert.equal(spec.ids.sourceMailbox, SRC);
  // 3 levels deep: 2026 < Projects < Inbox < root.
  const folders = spec.mailboxes[SRC].folders;
  const parentOf = (id) => folders.find((f) => f.id === id)?.parentFolderId;
  assert.equal(parentOf(F.y2026), F.projects);
  assert.equal(parentOf(F.projects), F.inbox);
  assert.equal(parentOf(F.inbox), undefined);
  assert.ok(folders.some((f) => f.hidden === true));
  assert.deepEqual(spec.mailboxes[DST].folders.map((f) => f.displayName), ["Inbox", "Restored", "Sent Items", "Drafts", "Deleted Items", "Archive"]);
  assert.equal(tenant.state.itemsFor(DST).length, 0);
  assert.equal(tenant.state.itemsFor(SRC).length, 250);
  assert.equal(tenant.state.itemsFor(ARC).length, 5);
  // The tenant keeps every seeded item's data, size and hash.
  const seeded = tenant.state.itemIndex.get("AAMkADdemoItem0001AAA=");
  assert.equal(seeded.size, Buffer.from(seeded.data, "base64").length);
  assert.equal(seeded.seeded, true);
});

test("seed: users, folders and items with generated ids; all or nothing; kept across reset only when given at start", async () => {
  const summary = tenant.state.seed({
    users: [{ user: "Zed@Contoso.com", id: "0000-zed", primaryMailboxId: "MBX:zed@t" }],
    mailboxes: {
      "MBX:zed@t": { folders: [{ displayName: "Top" }, { id: "AAMkADzedChildAAA=", displayName: "Child" }] },
    },
    items: [{ folderId: "AAMkADzedChildAAA=", data: b64("zed's mail"), categories: ["Blue"] }],
  });
  assert.deepEqual(summary.users, ["Zed@Contoso.com"]);
  assert.deepEqual(summary.mailboxes, ["MBX:zed@t"]);
  assert.equal(summary.folders.length, 2);
  assert.match(summary.folders[0], /^AAMkADFolder\d{6}AAA=$/);
  assert.equal(summary.items.length, 1);
  assert.match(summary.items[0], /^AAMkADItem\d{6}AAA=$/);
  // By UPN (any case) or by object id.
  assert.equal((await getJson("/v1.0/users/zed%40contoso.com/settings/exchange")).primaryMailboxId, "MBX:zed@t");
  assert.equal((await getJson("/v1.0/users/0000-zed/settings/exchange")).primaryMailboxId, "MBX:zed@t");
  const [item] = (await getJson(folderPath("MBX:zed@t", "AAMkADzedChildAAA=", "/items"))).value;
  assert.deepEqual(item.categories, ["Blue"]);
  assert.equal(item.size, Buffer.from("zed's mail").length);
  assert.equal((await exported("MBX:zed@t", [item.id]))[0].data, b64("zed's mail"));

  // Invalid specs change nothing.
  const before = { items: tenant.state.itemIndex.size, folders: tenant.state.folders.size, users: tenant.state.users.size };
  const bad = [
    { nope: [] },
    { users: [{ user: "adele@contoso.com", primaryMailboxId: "MBX:new@t" }] }, // user taken
    { users: [{ user: "new@t", primaryMailboxId: SRC }] }, // mailbox already a user's
    { users: [{ user: "new@t", primaryMailboxId: "MBX:a", inPlaceArchiveMailboxId: "MBX:a" }] },
    { users: [{ user: "new@t" }] },
    { mailboxes: { "MBX:new": { folders: [{ id: F.inbox, displayName: "Dup" }] } } }, // folder id taken
    { mailboxes: { "MBX:new": { folders: [{ displayName: "x", parentFolderId: F.inbox }] } } }, // parent elsewhere
    { mailboxes: { "MBX:new": { folders: [{ id: "A", displayName: "a", parentFolderId: "B" }, { id: "B", displayName: "b", parentFolderId: "A" }] } } },
    { mailboxes: { "MBX:new": { folders: [{ displayName: "a", wellKnownName: "inbox" }, { displayName: "b", wellKnownName: "Inbox" }] } } },
    { mailboxes: { "MBX:new": { folders: [{ displayName: "" }] } } },
    { items: [{ folderId: "AAMkADnoSuchFolderAAA=", data: b64("x") }] },
    { items: [{ folderId: F.inbox, data: "not base64!" }] },
    { items: [{ folderId: F.inbox, data: b64("x"), id: "AAMkADdemoItem0001AAA=" }] }, // item id taken
    { items: [{ folderId: F.inbox, data: b64("x"), mailbox: DST }] },
    // A valid user and folder, then a bad item: nothing is added.
    {
      users: [{ user: "half@t", primaryMailboxId: "MBX:half" }],
      mailboxes: { "MBX:half": { folders: [{ id: "AAMkADhalfAAA=", displayName: "Half" }] } },
      items: [{ folderId: "AAMkADhalfAAA=", data: "" }],
    },
  ];
  for (const spec of bad) assert.throws(() => tenant.state.seed(spec), TypeError, JSON.stringify(spec));
  assert.deepEqual(
    { items: tenant.state.itemIndex.size, folders: tenant.state.folders.size, users: tenant.state.users.size },
    before,
  );
  assert.equal(tenant.state.mailboxes.has("MBX:half"), false);

  // Over HTTP: 200 with the summary, 400 when wrong.
  const ok = await control("POST", "/_mock/seed", { mailboxes: { "MBX:http@t": { folders: [{ displayName: "Web" }] } } });
  assert.equal(ok.status, 200);
  assert.deepEqual((await ok.json()).mailboxes, ["MBX:http@t"]);
  const no = await control("POST", "/_mock/seed", { items: [{ folderId: "x", data: "eA==" }] });
  assert.equal(no.status, 400);
  assert.equal(typeof (await no.json()).error, "string");
  const folders = await (await control("GET", "/_mock/folders?mailbox=MBX%3Ahttp%40t")).json();
  assert.deepEqual(folders.folders.filter((f) => !f.root).map((f) => f.displayName), ["Web"]);
  assert.equal((await (await control("GET", "/_mock/users")).json()).users.length, 3);
  assert.ok((await (await control("GET", "/_mock/mailboxes")).json()).mailboxes.some((m) => m.id === "MBX:http@t"));

  // Reset: the start seed comes back, the later seeds do not.
  await control("POST", "/_mock/reset");
  assert.equal(tenant.state.users.has("zed@contoso.com"), false);
  assert.equal(tenant.state.mailboxes.has("MBX:http@t"), false);
  assert.equal(tenant.state.itemsFor(SRC).length, 250);
  assert.equal((await getJson(`${mbx(SRC)}/folders`)).value[0].parentFolderId, DEMO_IDS.roots.source);
});

test("seed: an archive and other mailboxes can be declared before their user; ids stay unique", async () => {
  tenant.state.seed({ mailboxes: { "MBX:later@t": { folders: [{ id: "AAMkADlaterAAA=", displayName: "Old" }] } } });
  // The mailbox is seeded (strict) but belongs to nobody yet: no redirect from anywhere.
  assert.equal((await get(folderPath("MBX:later-primary@t", "AAMkADlaterAAA=", "/items"))).status, 404);
  tenant.state.seed({ users: [{ user: "later@t", primaryMailboxId: "MBX:later-primary@t", inPlaceArchiveMailboxId: "MBX:later@t" }] });
  const r = await get(folderPath("MBX:later-primary@t", "AAMkADlaterAAA=", "/items"));
  assert.equal(r.status, 308);
  assert.ok(r.headers.get("location").includes("/mailboxes/MBX:later@t/folders/"));
  assert.throws(() => tenant.state.seed({ users: [{ user: "x@t", primaryMailboxId: "MBX:later@t" }] }), TypeError);
  // A second seed of generated ids never reuses one.
  const a = tenant.state.seed({ mailboxes: { "MBX:g@t": { folders: [{ displayName: "a" }] } }, items: [] });
  const b = tenant.state.seed({ mailboxes: { "MBX:g@t": { folders: [{ displayName: "b" }] } } });
  assert.notEqual(a.folders[0], b.folders[0]);
  assert.equal(new Set([...tenant.state.folders.keys()]).size, tenant.state.folders.size);
});

test("startMockTenant({seed}) takes specs or lists; a bad seed fails the start", async () => {
  const small = await startMockTenant({
    seed: [{ users: [{ user: "solo@t", primaryMailboxId: "MBX:solo" }] }, { mailboxes: { "MBX:solo": { folders: [{ displayName: "Only" }] } } }],
    pageSize: 1,
  });
  try {
    const r = await fetch(`${small.graphUrl}${mbx("MBX:solo")}/folders`, { headers: { authorization: "Bearer t" } });
    assert.deepEqual((await r.json()).value.map((f) => f.displayName), ["Only"]);
    assert.equal(small.state.users.size, 1);
    assert.ok(small.elsewhereUrl.startsWith("http://127.0.0.1:"));
  } finally {
    await small.close();
  }
  await assert.rejects(startMockTenant({ seed: { items: [{ folderId: "nope", data: "eA==" }] } }), TypeError);
});

// ---------------------------------------------------------------------------------------------------------
// Command line

test("run directly with --seed demo --page-size 5: the demo tenant, pages of 5, the elsewhere port printed", async () => {
  await withServerProcess(["--seed", "demo", "--page-size", "5"], async (info) => {
    assert.equal(info.elsewhereUrl, `http://127.0.0.1:${info.elsewherePort}`);
    const h = { authorization: "Bearer t" };
    const settings = await (await fetch(`${info.graphUrl}/v1.0/users/adele%40contoso.com/settings/exchange`, { headers: h })).json();
    assert.equal(settings.inPlaceArchiveMailboxId, ARC);
    const page = await (await fetch(`${info.graphUrl}${folderPath(SRC, "inbox", "/items")}`, { headers: h })).json();
    assert.equal(page.value.length, 5);
    assert.ok(page["@odata.nextLink"].startsWith(`${info.graphUrl}/`));
    assert.deepEqual(await (await fetch(`${info.elsewhereUrl}/x`)).json(), { value: [] });
  });
});
