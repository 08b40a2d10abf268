// A hard crash of a copy with an item store, through the installed package in Node against the mock tenant:
// a child process copies a 300-item tree keeping its item map in a file (each record appended as copyFolders
// sets it) and its state in another (onState); once four import posts have taken effect in the mock without
// being answered, it is killed (SIGKILL: no final onState, nothing settles). A copy resumed from those two
// files imports nothing twice: the four were recorded outcomeUnknown before they were sent.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { installPackedPackage, startMock, tempDir } from "./support.mjs";

const TENANT = "c0c0c0c0-0000-4000-8000-00000000c0de";
let dir;
let api;
let mock;

// The child: copies source -> target with the store and state in files, printing each settled count.
const CHILD = `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { MailboxClient } from "graph-mailbox-import";
const [graphUrl, importPort, source, target, storeFile, stateFile] = process.argv.slice(2);
const client = new MailboxClient({ token: "crash-token", graphBaseUrl: graphUrl, trustedImportHosts: ["127.0.0.1:" + importPort] });
const items = new Map();
const itemStore = {
  get: (id) => items.get(id),
  set: (id, item) => {
    items.set(id, item);
    appendFileSync(storeFile, JSON.stringify([id, item]) + "\\n");
  },
};
const options = {
  itemStore,
  concurrency: 4,
  keepResults: false,
  onState: (state) => writeFileSync(stateFile, JSON.stringify(state)),
  onProgress: (p) => console.log("settled " + p.settled),
};
if (existsSync(stateFile)) options.state = JSON.parse(readFileSync(stateFile, "utf8"));
await client.copyFolders({ mailboxId: source }, { mailboxId: target }, options);
console.log("done");
`;

before(async () => {
  dir = tempDir("folders-crash");
  installPackedPackage(dir);
  writeFileSync(join(dir, "consumer.mjs"), 'export * from "graph-mailbox-import";\n');
  writeFileSync(join(dir, "child.mjs"), CHILD);
  api = await import(pathToFileURL(join(dir, "consumer.mjs")).href);
  mock = await startMock();
});

after(() => mock?.close());

/** The item store as the file holds it: the last record of each item ("failed": no entry). */
function readStore(file) {
  const items = new Map();
  if (!existsSync(file)) return items;
  for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
    const [id, item] = JSON.parse(line);
    if (item.status === "failed") items.delete(id);
    else items.set(id, item);
  }
  return items;
}

test("Node: a copy killed with posts in flight, resumed from its store and last state, imports nothing twice", { timeout: 120000 }, async () => {
  const stamp = Date.now().toString(36);
  const source = `MBX:crash-source-${stamp}@${TENANT}`;
  const target = `MBX:crash-target-${stamp}@${TENANT}`;
  const folders = [
    { id: `AAMkADcrash${stamp}InboxAAA=`, displayName: "Inbox", wellKnownName: "inbox" },
    { id: `AAMkADcrash${stamp}ProjAAA=`, displayName: "Projects", parentFolderId: `AAMkADcrash${stamp}InboxAAA=` },
    { id: `AAMkADcrash${stamp}ClientsAAA=`, displayName: "Clients" },
  ];
  const items = Array.from({ length: 300 }, (_, n) => ({
    id: `AAMkADcrash${stamp}Item${String(n).padStart(4, "0")}AAA=`,
    folderId: folders[n % 3].id,
    data: Buffer.from(`crash item ${n} ${stamp}`).toString("base64"),
  }));
  mock.state.seed({
    mailboxes: {
      [source]: { folders },
      [target]: { folders: [{ id: `${stamp}-inbox`, displayName: "Inbox", wellKnownName: "inbox" }] },
    },
    items,
  });
  const storeFile = join(dir, "store.jsonl");
  const stateFile = join(dir, "state.json");
  const hungPosts = () =>
    mock.state.requests.filter((r) => r.route === "importItem" && r.mailbox === target && r.fault === "hang");

  const child = spawn(process.execPath, [join(dir, "child.mjs"), mock.graphUrl, String(mock.importPort), source, target, storeFile, stateFile], {
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let faultsAdded = false;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text) => {
    const settled = Math.max(...[...text.matchAll(/settled (\d+)/g)].map((m) => Number(m[1])), 0);
    if (!faultsAdded && settled >= 120) {
      faultsAdded = true;
      // The next four posts take effect in the mailbox, and their answers never come.
      mock.state.addFaults([{ target: "import", route: "importItem", mailbox: target, kind: "hang", process: true, times: 4 }]);
    }
  });
  const deadline = Date.now() + 60000;
  while (hungPosts().length < 4) {
    assert.ok(Date.now() < deadline, "four posts hung");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill("SIGKILL");
  const { signal } = await exited;
  assert.equal(signal, "SIGKILL");

  // Killed: the four took effect; the store holds each as outcomeUnknown (written before it was sent).
  const hung = hungPosts().map((r) => r.itemId);
  assert.equal(hung.length, 4);
  const stored = readStore(storeFile);
  const unknown = [...stored].filter(([, item]) => item.status === "outcomeUnknown").map(([id]) => id);
  assert.equal(unknown.length, 4, JSON.stringify(unknown));
  assert.ok(existsSync(stateFile), "onState ran before the kill");
  const importedBefore = [...stored.values()].filter((i) => i.status === "imported").length;
  assert.ok(importedBefore >= 120 && importedBefore < 296, `${importedBefore}`);

  // Resumed in this process from the files: every other item copied, none twice.
  const client = new api.MailboxClient({
    token: "crash-token",
    graphBaseUrl: mock.graphUrl,
    trustedImportHosts: [`127.0.0.1:${mock.importPort}`],
  });
  try {
    const report = await client.copyFolders({ mailboxId: source }, { mailboxId: target }, {
      itemStore: stored,
      state: JSON.parse(readFileSync(stateFile, "utf8")),
      keepResults: false,
    });
    assert.equal(report.failed + report.outcomeUnknown, 0);
    assert.equal(report.imported, 300 - importedBefore - 4);
  } finally {
    client.free();
  }
  assert.deepEqual(mock.state.duplicateData(target), []);
  const copied = new Set(mock.state.itemsFor(target).map((i) => i.dataHash));
  assert.equal(mock.state.itemsFor(target).length, 300);
  assert.ok(mock.state.itemsFor(source).every((i) => copied.has(i.dataHash)), "every source item copied");
  assert.equal([...stored.values()].filter((i) => i.status === "outcomeUnknown").length, 4);
});
