// Tests of what folder-tree copies and incremental passes need from the mock tenant: folder creation, delta
// rounds (nextLink / deltaLink, @removed, $filter=receivedDateTime, expired tokens), the controls that add,
// change and remove items between passes, the tree read back, and the import host's update mode.
// node --test tests/mock/
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DEMO_IDS, startMockTenant } from "./server.mjs";
import { assertGraphError, controlRequest } from "./support.mjs";

const TOKEN = "pass-token";
const SRC = DEMO_IDS.sourceMailbox;
const DST = DEMO_IDS.targetMailbox;
const ARC = DEMO_IDS.sourceArchive;
const F = DEMO_IDS.folders;
const b64 = (s) => Buffer.from(s).toString("base64");
const sha256 = (s) => createHash("sha256").update(s).digest("hex");

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

const mbx = (id, version = "v1.0") => `/${version}/admin/exchange/mailboxes/${encodeURIComponent(id)}`;
const folderPath = (mailbox, folder, rest = "", version = "v1.0") =>
  `${mbx(mailbox, version)}/folders/${encodeURIComponent(folder)}${rest}`;

function get(pathOrUrl, { headers = {} } = {}) {
  const url = pathOrUrl.startsWith("http") ? pathOrUrl : tenant.graphUrl + pathOrUrl;
  return fetch(url, { headers: { authorization: `Bearer ${TOKEN}`, ...headers }, redirect: "manual" });
}

async function getJson(pathOrUrl, opts) {
  const r = await get(pathOrUrl, opts);
  assert.equal(r.status, 200, `${pathOrUrl}: ${r.status}`);
  return r.json();
}

function post(path, body, { contentType = "application/json" } = {}) {
  const headers = { authorization: `Bearer ${TOKEN}` };
  if (contentType) headers["content-type"] = contentType;
  return fetch(tenant.graphUrl + path, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    redirect: "manual",
  });
}

/** One delta round from `url` (a first request or a deltaLink): every page, then the deltaLink. */
async function round(url, opts) {
  const pages = [];
  for (let next = url; next; ) {
    const page = await getJson(next, opts);
    pages.push(page);
    assert.equal(page["@odata.nextLink"] !== undefined && page["@odata.deltaLink"] !== undefined, false);
    next = page["@odata.nextLink"];
  }
  const deltaLink = pages.at(-1)["@odata.deltaLink"];
  assert.ok(deltaLink, "a round ends with a deltaLink");
  return { pages, values: pages.flatMap((p) => p.value), deltaLink };
}

async function importItem(mailbox, body) {
  const s = await post(`${mbx(mailbox)}/createImportSession`, "");
  const { importUrl } = await s.json();
  const r = await fetch(importUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

// ---------------------------------------------------------------------------------------------------------
// Folder creation

test("create folder: 201 with the mailboxFolder, listed afterwards under its parent with counts updated", async () => {
  const r = await post(`${mbx(DST)}/folders`, { displayName: "Projects", type: "IPF.Note" });
  assert.equal(r.status, 201);
  const created = await r.json();
  assert.deepEqual(Object.keys(created), [
    "@odata.context", "id", "displayName", "parentFolderId", "childFolderCount", "totalItemCount", "type",
  ]);
  assert.equal(created["@odata.context"], `${tenant.graphUrl}/v1.0/$metadata#admin/exchange/mailboxes/${encodeURIComponent(DST).replace(/%3A/g, ":").replace(/%40/g, "@")}/folders/$entity`);
  assert.equal(created.displayName, "Projects");
  assert.equal(created.parentFolderId, DEMO_IDS.roots.target);
  assert.equal(created.childFolderCount, 0);
  assert.equal(created.totalItemCount, 0);
  assert.equal(created.type, "IPF.Note");
  assert.equal(r.headers.get("content-type"), "application/json; odata.metadata=minimal");

  // A child under it, by id; a child of the well-known inbox, by name; the type defaults to IPF.Note.
  const child = await (await post(folderPath(DST, created.id, "/childFolders"), { displayName: "2026" })).json();
  assert.equal(child.parentFolderId, created.id);
  assert.equal(child.type, "IPF.Note");
  const underInbox = await post(folderPath(DST, "inbox", "/childFolders"), { displayName: "Receipts", type: "IPF.Note.Custom" });
  assert.equal(underInbox.status, 201);
  assert.equal((await underInbox.json()).parentFolderId, DEMO_IDS.targetFolders.inbox);

  const top = await getJson(`${mbx(DST)}/folders`);
  assert.deepEqual(top.value.map((f) => [f.displayName, f.childFolderCount]), [["Inbox", 1], ["Restored", 0], ["Sent Items", 0], ["Drafts", 0], ["Deleted Items", 0], ["Archive", 0], ["Projects", 1]]);
  const kids = await getJson(folderPath(DST, created.id, "/childFolders"));
  assert.deepEqual(kids.value.map((f) => f.id), [child.id]);
  const one = await getJson(folderPath(DST, child.id));
  assert.equal(one.displayName, "2026");
  const delta = await round(tenant.graphUrl + `${mbx(DST)}/folders/delta`);
  assert.deepEqual(delta.values.map((f) => f.displayName), ["Inbox", "Receipts", "Restored", "Sent Items", "Drafts", "Deleted Items", "Archive", "Projects", "2026"]);
  // Items can be imported into a created folder, and are listed there.
  const imported = await importItem(DST, { FolderId: child.id, Mode: "create", Data: b64("into 2026") });
  assert.equal(imported.status, 200);
  assert.deepEqual((await getJson(folderPath(DST, child.id, "/items"))).value.map((i) => i.id), [imported.body.itemId]);
  // Recorded with its route; beta adds parentMailboxUrl.
  assert.deepEqual(tenant.state.requests.filter((q) => q.method === "POST" && q.route?.startsWith("create") && q.route !== "createImportSession").map((q) => q.route), [
    "createFolder", "createChildFolder", "createChildFolder",
  ]);
  const beta = await (await post(`${mbx(DST, "beta")}/folders`, { displayName: "Beta" })).json();
  assert.match(beta.parentMailboxUrl, /\/beta\/admin\/exchange\/mailboxes\//);
});

test("create folder: a name taken under the same parent (any case) is 409 ErrorFolderExists unless duplicates are allowed", async () => {
  const first = await post(`${mbx(DST)}/folders`, { displayName: "Archive 2025" });
  assert.equal(first.status, 201);
  const again = await post(`${mbx(DST)}/folders`, { displayName: "ARCHIVE 2025" });
  assertGraphError(again, await again.json(), 409, "ErrorFolderExists", "A folder with the specified name already exists.");
  const seeded = await post(`${mbx(DST)}/folders`, { displayName: "restored" });
  assert.equal(seeded.status, 409);
  // The same name under another parent is fine.
  assert.equal((await post(folderPath(DST, "inbox", "/childFolders"), { displayName: "Archive 2025" })).status, 201);
  assert.equal((await getJson(`${mbx(DST)}/folders`)).value.length, 7);

  tenant.state.setConfig({ duplicateFolderNames: "allow" });
  const dup = await post(`${mbx(DST)}/folders`, { displayName: "archive 2025" });
  assert.equal(dup.status, 201);
  const names = (await getJson(`${mbx(DST)}/folders`)).value.map((f) => f.displayName);
  assert.deepEqual(names, ["Inbox", "Restored", "Sent Items", "Drafts", "Deleted Items", "Archive", "Archive 2025", "archive 2025"]);
  const ids = tenant.state.folderTree(DST).folders.map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length, "each duplicate has an id of its own");
  assert.throws(() => tenant.state.setConfig({ duplicateFolderNames: "maybe" }), TypeError);
});

test("create folder: bad bodies are Graph-shaped 400s; unknown parents 404; archive folders 308; auth and faults apply", async () => {
  const cases = [
    [{ displayName: "" }, "ErrorInvalidRequest"],
    [{ displayName: "   " }, "ErrorInvalidRequest"],
    [{}, "ErrorInvalidRequest"],
    [{ displayName: 7 }, "ErrorInvalidRequest"],
    [{ displayName: "x", type: "Note" }, "ErrorInvalidRequest"],
    [{ displayName: "x", type: "" }, "ErrorInvalidRequest"],
    [[], "BadRequest"],
  ];
  for (const [body, code] of cases) {
    const r = await post(`${mbx(DST)}/folders`, body);
    assertGraphError(r, await r.json(), 400, code);
  }
  const notJson = await post(`${mbx(DST)}/folders`, "{nope");
  assertGraphError(notJson, await notJson.json(), 400, "BadRequest");
  const noType = await post(`${mbx(DST)}/folders`, { displayName: "x" }, { contentType: null });
  assertGraphError(noType, await noType.json(), 400, "BadRequest");
  const unknown = await post(folderPath(DST, "AAMkADnoSuchFolderAAA=", "/childFolders"), { displayName: "x" });
  assertGraphError(unknown, await unknown.json(), 404, "ErrorItemNotFound");
  const otherMailbox = await post(folderPath(DST, F.inbox, "/childFolders"), { displayName: "x" });
  assert.equal(otherMailbox.status, 404);
  const moved = await post(folderPath(SRC, DEMO_IDS.archiveFolders.oldProjects, "/childFolders"), { displayName: "x" });
  assert.equal(moved.status, 308);
  assert.match(moved.headers.get("location"), new RegExp(`/mailboxes/${encodeURIComponent(ARC).replace(/%3A/g, ":").replace(/%40/g, "@")}/folders/`));
  assert.equal(tenant.state.folderTree(DST).folders.length, 6, "nothing was created");

  const unauth = await fetch(tenant.graphUrl + `${mbx(DST)}/folders`, { method: "POST", body: "{}" });
  assert.equal(unauth.status, 401);
  tenant.state.addFaults([{ route: "createFolder", kind: "status", status: 503 }]);
  const faulted = await post(`${mbx(DST)}/folders`, { displayName: "Later" });
  assert.equal(faulted.status, 503);
  assert.equal((await post(`${mbx(DST)}/folders`, { displayName: "Later" })).status, 201);
  // A mailbox never seeded gets a root when its first folder is created, and is strict from then on.
  const fresh = await post(`${mbx("MBX:fresh@tenant")}/folders`, { displayName: "First" });
  assert.equal(fresh.status, 201);
  const tree = tenant.state.folderTree("MBX:fresh@tenant");
  assert.deepEqual(tree.folders.map((f) => [f.displayName, f.parentFolderId]), [["First", tree.rootFolderId]]);
});

// ---------------------------------------------------------------------------------------------------------
// Delta rounds

test("items/delta: a first round pages every item; the deltaLink then gives only what was added, changed or removed", async () => {
  const first = await round(tenant.graphUrl + folderPath(SRC, F.inbox, "/items/delta"), { headers: { prefer: "odata.maxpagesize=30" } });
  assert.deepEqual(first.pages.map((p) => p.value.length), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10], "pageSize 10 caps a larger maxpagesize");
  const ids = first.values.map((v) => v.id);
  assert.equal(new Set(ids).size, 100);
  for (const url of [first.pages[0]["@odata.nextLink"], first.deltaLink]) {
    const link = new URL(url);
    assert.equal(link.origin, tenant.graphUrl);
    assert.deepEqual([...link.searchParams.keys()], [url === first.deltaLink ? "$deltatoken" : "$skiptoken"]);
    // Opaque: nothing in the token decodes to the round's state.
    const token = [...link.searchParams.values()][0];
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    const decoded = Buffer.from(token, "base64url").toString("latin1");
    assert.ok(!decoded.includes(F.inbox) && !decoded.includes(SRC), "the token names neither the folder nor the mailbox");
    assert.throws(() => JSON.parse(decoded), "the token is not a JSON document of the round's state");
  }
  const small = await get(folderPath(SRC, F.inbox, "/items/delta"), { headers: { prefer: "odata.maxpagesize=4" } });
  assert.equal(small.headers.get("preference-applied"), "odata.maxpagesize=4");
  assert.equal((await small.json()).value.length, 4);

  // Nothing changed: an empty round.
  const quiet = await round(first.deltaLink);
  assert.deepEqual(quiet.values, []);

  // Add 2, change 1 (new data), change 1 (categories only), remove 1.
  const [a, b, c, d] = ids;
  const added1 = tenant.state.createItem({ folderId: F.inbox, data: b64("new one"), receivedDateTime: "2026-03-01T00:00:00Z" });
  const added2 = (await (await controlRequest(tenant.graphUrl, "POST", "/_mock/add-item", { folderId: F.inbox, data: b64("new two") })).json()).item;
  const beforeChange = tenant.state.itemIndex.get(a);
  const oldKey = beforeChange.changeKey;
  const oldModified = beforeChange.updatedAt;
  tenant.state.changeItem(a, { data: b64("edited a") });
  const changedB = await controlRequest(tenant.graphUrl, "POST", "/_mock/change-item", { itemId: b, categories: ["Blue category"] });
  assert.equal(changedB.status, 200);
  const removed = await controlRequest(tenant.graphUrl, "POST", "/_mock/remove-item", { itemId: c });
  assert.equal(removed.status, 200);
  // Something in another folder does not show here.
  tenant.state.createItem({ folderId: F.drafts, data: b64("elsewhere") });

  const second = await round(quiet.deltaLink);
  assert.deepEqual(second.values.map((v) => v.id).sort(), [a, b, added1.itemId, added2.itemId, c].sort());
  const byId = new Map(second.values.map((v) => [v.id, v]));
  assert.deepEqual(byId.get(c), { id: c, "@removed": { reason: "deleted" } });
  const changedA = byId.get(a);
  assert.deepEqual(Object.keys(changedA), ["id", "changeKey", "type", "size", "createdDateTime", "lastModifiedDateTime", "categories"]);
  assert.notEqual(changedA.changeKey, oldKey);
  assert.ok(Date.parse(changedA.lastModifiedDateTime) > oldModified);
  assert.equal(changedA.size, "edited a".length);
  assert.deepEqual(byId.get(b).categories, ["Blue category"]);
  assert.equal(tenant.state.itemIndex.get(a).dataHash, sha256("edited a"));
  assert.equal(d !== undefined, true);
  // And then quiet again; the old deltaLink still replays the same changes.
  assert.deepEqual((await round(second.deltaLink)).values, []);
  assert.equal((await round(quiet.deltaLink)).values.length, 5);
});

test("items/delta: a round is frozen when it starts, so changes during it neither shift pages nor get lost", async () => {
  const url = tenant.graphUrl + folderPath(SRC, F.inbox, "/items/delta?$top=10");
  const page1 = await getJson(url);
  const seen = page1.value.map((v) => v.id);
  // During the round: change an item already served, remove one not yet served, add one.
  tenant.state.changeItem(seen[0], {});
  const notYet = tenant.state.itemsFor(SRC).filter((it) => it.folderId === F.inbox)[50].itemId;
  tenant.state.removeItem(notYet);
  const added = tenant.state.createItem({ folderId: F.inbox, data: b64("mid-round") });
  let next = page1["@odata.nextLink"];
  const rest = [];
  let deltaLink;
  while (next) {
    const page = await getJson(next);
    rest.push(...page.value);
    next = page["@odata.nextLink"];
    deltaLink = page["@odata.deltaLink"];
  }
  assert.equal(seen.length + rest.length, 100, "the round's list did not move");
  assert.deepEqual(rest.find((v) => v.id === notYet), { id: notYet, "@removed": { reason: "deleted" } });
  assert.equal(rest.some((v) => v.id === added.itemId), false);
  // The next round carries what happened during this one.
  const after = await round(deltaLink);
  assert.deepEqual(after.values.map((v) => v.id).sort(), [seen[0], added.itemId, notYet].sort());
});

test("items/delta: $filter=receivedDateTime ge|gt keeps the round to later items, across deltaLinks", async () => {
  // Inbox items were received hourly from 2026-01-05T10:00:00Z (item n at 09:00 + n hours): from item 63 on.
  const filter = encodeURIComponent("receivedDateTime ge 2026-01-08T00:00:00Z");
  const first = await round(tenant.graphUrl + folderPath(SRC, F.inbox, `/items/delta?$filter=${filter}`));
  const expected = tenant.state.itemsFor(SRC).filter((it) => it.folderId === F.inbox && it.receivedAt >= Date.parse("2026-01-08T00:00:00Z"));
  assert.equal(expected.length, 38);
  assert.deepEqual(first.values.map((v) => v.id), expected.map((it) => it.itemId));
  const gt = await round(tenant.graphUrl + folderPath(SRC, F.inbox, `/items/delta?$filter=${encodeURIComponent("receivedDateTime gt 2026-01-08T15:00:00Z")}`));
  assert.equal(gt.values.length, 22); // from item 79 on
  // Old and new items added; a change to an old item, and removal of an old one, stay out.
  const old = tenant.state.createItem({ folderId: F.inbox, data: b64("old"), receivedDateTime: "2025-12-31T23:59:59Z" });
  const recent = tenant.state.createItem({ folderId: F.inbox, data: b64("recent"), receivedDateTime: "2026-02-01T00:00:00Z" });
  const defaulted = tenant.state.createItem({ folderId: F.inbox, data: b64("received now") });
  const oldSeeded = tenant.state.itemsFor(SRC).find((it) => it.folderId === F.inbox).itemId;
  tenant.state.changeItem(oldSeeded, {});
  tenant.state.removeItem(old.itemId);
  const next = await round(first.deltaLink);
  assert.deepEqual(next.values.map((v) => v.id), [recent.itemId, defaulted.itemId]);
  // Only that expression, and only on items/delta.
  for (const q of ["size gt 1", "receivedDateTime eq 2026-01-01T00:00:00Z", "receivedDateTime ge yesterday"]) {
    const r = await get(folderPath(SRC, F.inbox, `/items/delta?$filter=${encodeURIComponent(q)}`));
    assertGraphError(r, await r.json(), 400, "BadRequest");
  }
  const onList = await get(folderPath(SRC, F.inbox, `/items?$filter=${filter}`));
  assert.equal(onList.status, 400);
});

test("folders/delta: created folders come in the next round; tokens are bound to their route, mailbox and folder", async () => {
  const first = await round(tenant.graphUrl + `${mbx(SRC)}/folders/delta`, { headers: { prefer: "odata.maxpagesize=3" } });
  assert.deepEqual(first.pages.map((p) => p.value.length), [3, 3, 2]);
  const created = await (await post(folderPath(SRC, F.projects, "/childFolders"), { displayName: "2027" })).json();
  const next = await round(first.deltaLink);
  assert.deepEqual(next.values.map((f) => [f.id, f.parentFolderId]), [[created.id, F.projects]]);

  const items = await getJson(folderPath(SRC, F.inbox, "/items/delta?$top=5"));
  const skip = new URL(items["@odata.nextLink"]).searchParams.get("$skiptoken");
  for (const path of [
    folderPath(SRC, F.drafts, `/items/delta?$skiptoken=${skip}`), // another folder
    folderPath(DST, "inbox", `/items/delta?$skiptoken=${skip}`), // another mailbox
    `${mbx(SRC)}/folders/delta?$skiptoken=${skip}`, // another route
    folderPath(SRC, F.inbox, `/items/delta?$deltatoken=${skip}`), // a skiptoken as a deltatoken
    folderPath(SRC, F.inbox, `/items?$skiptoken=${skip}`), // a delta token on a list
  ]) {
    const r = await get(path);
    assertGraphError(r, await r.json(), 400, "BadRequest");
  }
  // The same folder through its well-known name is the same folder.
  assert.equal((await get(folderPath(SRC, "inbox", `/items/delta?$skiptoken=${skip}`))).status, 200);
});

test("delta: an expired or unknown token answers as deltaTokenExpired says; a new round works", async () => {
  const first = await round(tenant.graphUrl + folderPath(SRC, F.drafts, "/items/delta?$top=2"));
  const midRound = await getJson(folderPath(SRC, F.drafts, "/items/delta?$top=2"));
  assert.equal(tenant.state.expireDeltaTokens(DST), 0);
  const expired = await controlRequest(tenant.graphUrl, "POST", "/_mock/expire-delta-tokens", { mailbox: SRC });
  assert.equal((await expired.json()).expired, 4, "three links of the round, one of the other");

  const gone = await get(first.deltaLink);
  assertGraphError(gone, await gone.json(), 410, "SyncStateNotFound");
  assert.equal((await get(midRound["@odata.nextLink"])).status, 410);
  const unknown = await get(folderPath(SRC, F.drafts, "/items/delta?$deltatoken=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  assertGraphError(unknown, await unknown.json(), 410, "SyncStateNotFound");

  tenant.state.setConfig({ deltaTokenExpired: "resyncRequired" });
  const resync = await get(first.deltaLink);
  assertGraphError(resync, await resync.json(), 410, "resyncRequired");
  const location = resync.headers.get("location");
  assert.equal(location, `${tenant.graphUrl}/v1.0/admin/exchange/mailboxes/${encodeURIComponent(SRC).replace(/%3A/g, ":").replace(/%40/g, "@")}/folders/${encodeURIComponent(F.drafts)}/items/delta?$top=2`);
  // Following the Location starts a full round again.
  assert.equal((await round(location)).values.length, 5);

  tenant.state.setConfig({ deltaTokenExpired: "badRequest" });
  const bad = await get(first.deltaLink);
  assertGraphError(bad, await bad.json(), 400, "syncStateNotFound");
  // Lists are not delta: a garbled skiptoken there is a plain 400.
  const list = await get(folderPath(SRC, F.drafts, "/items?$skiptoken=garbage"));
  assertGraphError(list, await list.json(), 400, "BadRequest");
});

// ---------------------------------------------------------------------------------------------------------
// Controls and the import host's update mode

test("controls: add, change and remove items over /_mock/, checked; the tree reads back every item with its hash", async () => {
  const add = await controlRequest(tenant.graphUrl, "POST", "/_mock/add-item", { folderId: DEMO_IDS.targetFolders.restored, data: b64("restored 1") });
  assert.equal(add.status, 201);
  const { item } = await add.json();
  assert.equal(item.mailbox, DST);
  assert.equal(item.dataHash, sha256("restored 1"));
  for (const [path, body] of [
    ["/_mock/add-item", { folderId: "AAMkADnoSuchFolderAAA=", data: b64("x") }],
    ["/_mock/add-item", { folderId: F.inbox, data: "not base64!" }],
    ["/_mock/change-item", { itemId: "AAMkADnoSuchItemAAA=" }],
    ["/_mock/change-item", { itemId: item.itemId, data: "" }],
    ["/_mock/change-item", { itemId: item.itemId, subject: "x" }],
    ["/_mock/remove-item", { itemId: "AAMkADnoSuchItemAAA=" }],
    ["/_mock/remove-item", {}],
  ]) {
    const r = await controlRequest(tenant.graphUrl, "POST", path, body);
    assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
  }
  const changed = await (await controlRequest(tenant.graphUrl, "POST", "/_mock/change-item", { itemId: item.itemId, data: b64("restored 1, edited") })).json();
  assert.notEqual(changed.item.changeKey, item.changeKey);
  assert.equal(changed.item.itemId, item.itemId);

  const tree = await (await controlRequest(tenant.graphUrl, "GET", `/_mock/tree?mailbox=${encodeURIComponent(DST)}`)).json();
  assert.deepEqual(tree, tenant.state.folderTree(DST));
  assert.equal(tree.rootFolderId, DEMO_IDS.roots.target);
  assert.deepEqual(tree.folders.map((f) => [f.displayName, f.items.length]), [["Inbox", 0], ["Restored", 1], ["Sent Items", 0], ["Drafts", 0], ["Deleted Items", 0], ["Archive", 0]]);
  assert.deepEqual(Object.keys(tree.folders[1].items[0]), ["id", "changeKey", "dataHash", "size", "receivedDateTime"]);
  assert.equal(tree.folders[1].items[0].dataHash, sha256("restored 1, edited"));
  const src = tenant.state.folderTree(SRC);
  assert.deepEqual(src.folders[0].childFolders.map((f) => f.displayName), ["Projects", "Receipts"]);
  assert.equal(src.folders[0].childFolders[0].childFolders[0].items.length, 25);
  // A mailbox never seeded: the folders items were imported into, flat.
  await importItem("MBX:loose", { FolderId: "anything", Mode: "create", Data: b64("loose") });
  assert.deepEqual(tenant.state.folderTree("MBX:loose").folders.map((f) => [f.id, f.items.length]), [["anything", 1]]);
  assert.equal((await controlRequest(tenant.graphUrl, "GET", "/_mock/tree")).status, 400);

  const gone = await controlRequest(tenant.graphUrl, "POST", "/_mock/remove-item", { itemId: item.itemId });
  assert.equal(gone.status, 200);
  assert.equal(tenant.state.itemIndex.has(item.itemId), false);
  assert.equal((await getJson(folderPath(DST, DEMO_IDS.targetFolders.restored, "/items"))).value.length, 0);
  // Removed and changed items are gone or changed in exports too.
  const exp = await post(`${mbx(DST)}/exportItems`, { itemIds: [item.itemId] });
  assert.equal((await exp.json()).value[0].error.code, "ErrorItemNotFound");
});

test("import update: replaces the item in place when the changeKey is current, refuses a stale one; copies stay countable", async () => {
  const created = await importItem(DST, { FolderId: DEMO_IDS.targetFolders.inbox, Mode: "create", Data: b64("v1") });
  assert.equal(created.status, 200);
  const { itemId, changeKey } = created.body;
  const updated = await importItem(DST, { FolderId: DEMO_IDS.targetFolders.inbox, Mode: "update", ItemId: itemId, ChangeKey: changeKey, Data: b64("v2") });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.itemId, itemId);
  assert.notEqual(updated.body.changeKey, changeKey);
  const stale = await importItem(DST, { FolderId: DEMO_IDS.targetFolders.inbox, Mode: "update", ItemId: itemId, ChangeKey: changeKey, Data: b64("v3") });
  assert.equal(stale.status, 409);
  assert.deepEqual(Object.keys(stale.body), ["Message"]);
  const items = tenant.state.folderTree(DST).folders[0].items;
  assert.deepEqual(items.map((i) => [i.id, i.changeKey, i.dataHash]), [[itemId, updated.body.changeKey, sha256("v2")]]);
  // An update that moves the item reports it removed from the first folder's delta.
  const inboxRound = await round(tenant.graphUrl + folderPath(DST, "inbox", "/items/delta"));
  const moved = await importItem(DST, { FolderId: DEMO_IDS.targetFolders.restored, Mode: "update", ItemId: itemId, ChangeKey: updated.body.changeKey, Data: b64("v2") });
  assert.equal(moved.status, 200);
  assert.deepEqual((await round(inboxRound.deltaLink)).values, [{ id: itemId, "@removed": { reason: "deleted" } }]);
  // A second create of the same data is a countable duplicate.
  await importItem(DST, { FolderId: DEMO_IDS.targetFolders.inbox, Mode: "create", Data: b64("v2") });
  assert.deepEqual(tenant.state.duplicateData(DST).map((d) => d.count), [2]);
});
