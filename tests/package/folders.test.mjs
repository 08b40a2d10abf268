// Copying folder trees through the installed package in Node, against the mock tenant: three passes over a
// 1,000-item mailbox, a foreign state, a failing folder, and 20 stopped runs resumed (folders-scenario.mjs).

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { runFolderPasses } from "./folders-scenario.mjs";
import { assertFolderPasses, contents, prepareFolders } from "./folders-support.mjs";
import { installPackedPackage, startMock, tempDir } from "./support.mjs";

let api;
let mock;

before(async () => {
  const dir = tempDir("folders");
  installPackedPackage(dir);
  writeFileSync(join(dir, "consumer.mjs"), 'export * from "graph-mailbox-import";\n');
  api = await import(pathToFileURL(join(dir, "consumer.mjs")).href);
  mock = await startMock();
});

after(() => mock?.close());

test("Node: a whole mailbox copied, passed again unchanged and after changes, stopped and resumed", { timeout: 120000 }, async () => {
  const prepared = prepareFolders(mock, "node");
  const out = await runFolderPasses(api, prepared.env);
  const figures = assertFolderPasses(out, mock, prepared);
  console.log(
    `folders (Node): pass 1 of 1,000 items in ${figures.pass1Ms} ms, state ${figures.stateBytes} B, stops ${JSON.stringify(out.resume.stops)}`,
  );
});

test("Node: a taken name gives the existing folder; a copy without state finds its folders again, whether or not the service allows duplicate names", { timeout: 60000 }, async () => {
  const { env, targets } = prepareFolders(mock, "names");
  const client = new api.MailboxClient({
    token: "names-token",
    graphBaseUrl: mock.graphUrl,
    trustedImportHosts: [`127.0.0.1:${mock.importPort}`],
  });
  try {
    const made = await client.createFolder(targets.target, { displayName: "Reports", parentFolderId: "inbox" });
    const again = await client.createFolder(targets.target, { displayName: "REPORTS", parentFolderId: "inbox" });
    assert.equal(again.id, made.id, "409 ErrorFolderExists: the existing folder");
    const taken = mock.state.requests.filter((r) => r.route === "createChildFolder" && r.status === 409);
    assert.equal(taken.length, 1);
    await assert.rejects(client.createFolder(targets.target, { displayName: " " }), { code: "invalidArgument" });

    mock.state.setConfig({ duplicateFolderNames: "allow" });
    const first = await client.copyFolders({ mailboxId: env.source }, { mailboxId: targets.otherTarget }, { keepResults: false });
    assert.deepEqual(first.folders, { created: 9, reused: 3, failed: 0 });
    const folders = contents(mock, targets.otherTarget).size;
    const second = await client.copyFolders({ mailboxId: env.source }, { mailboxId: targets.otherTarget }, { keepResults: false });
    assert.deepEqual(second.folders, { created: 0, reused: 12, failed: 0 });
    assert.equal(contents(mock, targets.otherTarget).size, folders, "no folder made twice");
  } finally {
    mock.state.setConfig({ duplicateFolderNames: "conflict" });
    client.free();
  }
});
