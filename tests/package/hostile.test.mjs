// Hostile values fed to every export through the installed package in Node (see hostile-scenario.mjs; the
// same scenario runs in Chromium and workerd from their own test files).

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { runHostile } from "./hostile-scenario.mjs";
import { assertHostileRun, installPackedPackage, startMock, tempDir, uniqueMailbox } from "./support.mjs";

let api;
let mock;
const escaped = [];
const onUncaught = (error) => escaped.push(`uncaught: ${error?.message ?? error}`);

before(async () => {
  const dir = tempDir("hostile");
  installPackedPackage(dir);
  writeFileSync(join(dir, "consumer.mjs"), 'export * from "graph-mailbox-import";\n');
  api = await import(pathToFileURL(join(dir, "consumer.mjs")).href);
  mock = await startMock();
  // A trap inside a call's future surfaces as an uncaught exception (it would end the process).
  process.on("uncaughtException", onUncaught);
});

after(async () => {
  process.off("uncaughtException", onUncaught);
  await mock?.close();
});

test("Node: hostile values to every export settle with documented errors, and the module keeps working", { timeout: 120000 }, async () => {
  const env = { graphUrl: mock.graphUrl, importPort: mock.importPort, mailbox: uniqueMailbox("hostile") };
  const started = Date.now();
  const result = await runHostile(api, env);
  assert.deepEqual(escaped, [], "nothing escaped as an uncaught exception");
  assertHostileRun(result, mock);
  console.log(`hostile values (Node): ${result.calls} calls, ${result.goodCalls} good calls after them, in ${Date.now() - started} ms`);
});
