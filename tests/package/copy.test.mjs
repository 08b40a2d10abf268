// Reading and copying through the installed package in Node, against the demo tenant of the mock: a folder
// tree of 3 levels and 250 items (plus 5 behind an archive redirect) copied to another mailbox, with per-item
// export errors, a transient 503, and hostile links that must not take the token off the Graph root.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { runCopy } from "./copy-scenario.mjs";
import { assertCopyRun, installPackedPackage, prepareCopy, startMock, tempDir } from "./support.mjs";

let api;
let mock;

before(async () => {
  const dir = tempDir("copy");
  installPackedPackage(dir);
  writeFileSync(join(dir, "consumer.mjs"), 'export * from "graph-mailbox-import";\n');
  api = await import(pathToFileURL(join(dir, "consumer.mjs")).href);
  mock = await startMock();
});

after(() => mock?.close());

test("Node: a mailbox's folder tree is read and 255 items are copied to another mailbox", { timeout: 60000 }, async () => {
  const prepared = prepareCopy(mock);
  const result = await runCopy(api, prepared.env);
  assertCopyRun(result, mock, prepared);
  console.log(
    `copy (Node): ${result.itemIds.length} source items, ${result.report.imported} copied, ${result.report.failed} failed, ` +
      `in ${result.elapsedMs} ms`,
  );
});
