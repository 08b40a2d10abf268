// The folder-copy scenario's tenant and checks, shared by the Node, Chromium and workerd tests: a source
// mailbox of 12 folders in 3 levels (3 well-known) holding 1,000 items, plus a hidden folder that is not
// copied; four targets with their own well-known folders. What the scenario answers is checked against the
// mock's folder trees: every source item's data exactly once under the same path.

import assert from "node:assert/strict";

/** Seeds the scenario's mailboxes into `mock` and gives the scenario's env (ids unique to `label`). */
export function prepareFolders(mock, label) {
  const id = (name) => `MBX:${label}-${name}-${Date.now().toString(36)}@c0c0c0c0-0000-4000-8000-00000000c0de`;
  const source = id("source");
  const targets = { target: id("target"), resumeTarget: id("resume"), failTarget: id("fail"), otherTarget: id("other") };
  const fid = (name) => `AAMkAD${label}${name}AAA=`;
  const folders = [
    { id: fid("Inbox"), displayName: "Inbox", wellKnownName: "inbox" },
    { id: fid("Projects"), displayName: "Projects", parentFolderId: fid("Inbox") },
    { id: fid("P2026"), displayName: "2026", parentFolderId: fid("Projects") },
    { id: fid("P2025"), displayName: "2025", parentFolderId: fid("Projects") },
    { id: fid("Receipts"), displayName: "Receipts", parentFolderId: fid("Inbox") },
    { id: fid("Sent"), displayName: "Sent Items", wellKnownName: "sentitems" },
    { id: fid("Archive"), displayName: "Archive", wellKnownName: "archive" },
    { id: fid("Old"), displayName: "Old", parentFolderId: fid("Archive") },
    { id: fid("Older"), displayName: "Older", parentFolderId: fid("Old") },
    { id: fid("Clients"), displayName: "Clients" },
    { id: fid("Acme"), displayName: "Acme", parentFolderId: fid("Clients") },
    { id: fid("Contracts"), displayName: "Contracts", parentFolderId: fid("Acme") },
    { id: fid("Hidden"), displayName: "Conversation Action Settings", hidden: true, type: "IPF.Configuration" },
  ];
  const copied = folders.filter((f) => !f.hidden);
  const items = [];
  for (let n = 0; n < 1000; n++) {
    items.push({
      id: `AAMkAD${label}Item${String(n).padStart(4, "0")}AAA=`,
      folderId: copied[n % copied.length].id,
      data: Buffer.from(`item ${n} of ${label}`).toString("base64"),
    });
  }
  items.push({ folderId: fid("Hidden"), data: Buffer.from(`hidden of ${label}`).toString("base64") });
  const wellKnown = (mailbox) => ({
    folders: [
      { id: `${mailbox}-inbox`, displayName: "Inbox", wellKnownName: "inbox" },
      { id: `${mailbox}-sent`, displayName: "Sent Items", wellKnownName: "sentitems" },
      { id: `${mailbox}-archive`, displayName: "Archive", wellKnownName: "archive" },
      { id: `${mailbox}-drafts`, displayName: "Drafts", wellKnownName: "drafts" },
    ],
  });
  const mailboxes = { [source]: { folders } };
  for (const mailbox of Object.values(targets)) mailboxes[mailbox] = wellKnown(mailbox.split("@")[0]);
  mock.state.seed({ mailboxes, items });
  // The first folder the failing copy creates (Clients, the first top folder that is not well-known) is refused.
  mock.state.addFaults([{ kind: "status", status: 403, route: "createFolder", mailbox: targets.failTarget }]);
  const env = {
    graphUrl: mock.graphUrl,
    importPort: mock.importPort,
    source,
    ...targets,
    addTo: [0, 1, 2, 3, 4, 5, 7, 8, 9, 11].map((i) => copied[i].id),
    change: [3, 50, 200, 600, 999].map((n) => items[n].id),
    remove: [10, 400, 800].map((n) => items[n].id),
    seed: label,
  };
  return { env, source, targets, copied };
}

/** Path ("Inbox/Projects/2026") -> sorted data hashes, for a mailbox's tree as the mock holds it. */
export function contents(mock, mailbox) {
  const out = new Map();
  const walk = (nodes, prefix) => {
    for (const node of nodes) {
      const path = prefix ? `${prefix}/${node.displayName}` : node.displayName;
      out.set(path, node.items.map((i) => i.dataHash).sort());
      walk(node.childFolders, path);
    }
  };
  walk(mock.state.folderTree(mailbox).folders, "");
  return out;
}

function assertSameItems(mock, source, target, { except = [] } = {}) {
  const want = contents(mock, source);
  const got = contents(mock, target);
  for (const [path, hashes] of want) {
    if (path.startsWith("Conversation Action Settings")) {
      assert.equal(got.has(path), false, "hidden folders are not copied");
      continue;
    }
    if (except.some((p) => path === p || path.startsWith(`${p}/`))) continue;
    assert.deepEqual(got.get(path), hashes, `${target} ${path}`);
  }
}

export function assertFolderPasses(out, mock, { env, source, targets }) {
  assert.equal(out.tree.length, 12, out.tree.join(", "));
  assert.ok(out.tree.includes("Clients/Acme/Contracts"));

  // Pass 1.
  assert.deepEqual(out.pass1.folders, { created: 9, reused: 3, failed: 0 });
  assert.equal(out.pass1.imported, 1000);
  assert.equal(out.pass1.failed + out.pass1.outcomeUnknown, 0);
  assert.equal(out.pass1.results, 1000);
  const settled = out.pass1.statesSettled.map((s) => s.settled);
  assert.ok(settled.length >= 13, `${settled.length} states`);
  for (let i = 1; i < settled.length; i++) assert.ok(settled[i] - settled[i - 1] <= 100, settled.join(","));
  assert.equal(settled.at(-1), 1000);
  assert.ok(out.pass1.statesSettled.every((s) => s.version === 1));
  const reused = out.pass1.folderEvents.filter((e) => e.action === "reused").map((e) => e.path).sort();
  assert.deepEqual(reused, ["Archive", "Inbox", "Sent Items"]);

  // Pass 2: nothing imported or created, only delta requests.
  assert.deepEqual(out.pass2.folders, { created: 0, reused: 0, failed: 0 });
  assert.equal(out.pass2.imported + out.pass2.failed + out.pass2.updated, 0);
  assert.equal(out.pass2.requests.length, 13, out.pass2.requests.join(", "));
  assert.ok(out.pass2.requests.every((r) => /^GET (foldersDelta|itemsDelta)$/.test(r)), out.pass2.requests.join(", "));

  // Pass 3: 10 creates and 5 updates, each update naming its copy's itemId and changeKey.
  assert.equal(out.pass3.imported, 15);
  assert.equal(out.pass3.updated, 5);
  assert.equal(out.pass3.removedInSource, 3);
  assert.equal(out.pass3.posts.filter((p) => p.mode === "create").length, 10);
  const updates = out.pass3.posts.filter((p) => p.mode === "update").map((p) => `${p.itemId} ${p.changeKey}`).sort();
  const copies = out.pass3.copiesBefore.map(([status, itemId, changeKey]) => {
    assert.equal(status, "i");
    return `${itemId} ${changeKey}`;
  });
  assert.deepEqual(updates, copies.sort());
  // The target holds every source item once (changed ones as changed); removed ones stay in the target.
  const got = contents(mock, targets.target);
  const want = contents(mock, source);
  let extra = 0;
  for (const [path, hashes] of want) {
    if (path.startsWith("Conversation Action Settings")) continue;
    const copy = got.get(path) ?? [];
    for (const hash of hashes) assert.ok(copy.includes(hash), `${path} lacks an item`);
    assert.equal(new Set(copy).size, copy.length, `${path} holds a duplicate`);
    extra += copy.length - hashes.length;
  }
  assert.equal(extra, 3, "the 3 removed items stay in the target");

  assert.equal(out.foreign?.code, "invalidArgument");
  assert.equal(out.foreign.isMailboxError, true);
  assert.equal(out.notAState?.code, "invalidArgument");

  // The refused folder fails with its subtree; the rest is copied.
  assert.deepEqual(out.failing.failedEvents, [
    { path: "Clients", code: "forbidden" },
    { path: "Clients/Acme", code: "notFound" },
    { path: "Clients/Acme/Contracts", code: "notFound" },
  ]);
  assert.deepEqual(out.failing.folders, { created: 6, reused: 3, failed: 3 });
  assertSameItems(mock, source, targets.failTarget, { except: ["Clients"] });
  assert.equal(contents(mock, targets.failTarget).has("Clients"), false);

  // Stopped and resumed: every source item exactly once.
  assert.ok(out.resume.stops.aborted + out.resume.stops.thrown >= 10, JSON.stringify(out.resume.stops));
  assert.equal(out.resume.last.failed, 0);
  assertSameItems(mock, source, targets.resumeTarget);
  assert.deepEqual(mock.state.duplicateData(targets.resumeTarget), []);
  return { stateBytes: out.stateBytes, pass1Ms: out.pass1.ms };
}
