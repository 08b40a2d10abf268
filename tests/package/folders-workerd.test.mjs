// Copying folder trees through the installed package inside workerd (Miniflare), bundled as wrangler does
// (see workerd.test.mjs): the scenario of folders-scenario.mjs, checked as in Node.

import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { Miniflare } from "miniflare";

import { assertFolderPasses, prepareFolders } from "./folders-support.mjs";
import { installPackedPackage, startMock, tempDir } from "./support.mjs";

const SCENARIO = fileURLToPath(new URL("./folders-scenario.mjs", import.meta.url));

const WORKER = `
import { isMailboxError, MailboxClient } from "graph-mailbox-import";
import { runFolderPasses } from ${JSON.stringify(SCENARIO)};

export default {
  async fetch(request) {
    return Response.json(await runFolderPasses({ MailboxClient, isMailboxError }, await request.json()));
  },
};
`;

let mock;
let miniflare;

before(async () => {
  const dir = tempDir("folders-workerd");
  const { packageDir } = installPackedPackage(dir);
  writeFileSync(join(dir, "worker.js"), WORKER);
  const out = join(dir, "dist");
  await build({
    entryPoints: [join(dir, "worker.js")],
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["*.wasm"],
    outfile: join(out, "worker.js"),
    absWorkingDir: dir,
    logLevel: "silent",
  });
  copyFileSync(join(packageDir, "graph_mailbox_import_bg.wasm"), join(out, "graph_mailbox_import_bg.wasm"));
  mock = await startMock();
  miniflare = new Miniflare({
    modules: true,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    scriptPath: join(out, "worker.js"),
    modulesRoot: out,
    compatibilityDate: "2026-04-01",
  });
  await miniflare.ready;
}, { timeout: 60000 });

after(async () => {
  try {
    await miniflare?.dispose();
  } finally {
    await mock?.close();
  }
});

test("workerd: a whole mailbox copied, passed again unchanged and after changes, stopped and resumed", { timeout: 180000 }, async () => {
  const prepared = prepareFolders(mock, "workerd");
  const response = await miniflare.dispatchFetch("http://worker.test/", {
    method: "POST",
    body: JSON.stringify(prepared.env),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const out = await response.json();
  const figures = assertFolderPasses(out, mock, prepared);
  console.log(`folders (workerd): pass 1 of 1,000 items in ${figures.pass1Ms} ms, stops ${JSON.stringify(out.resume.stops)}`);
});
