// The package in workerd (Cloudflare Workers' runtime) through Miniflare. The worker is bundled the way
// wrangler does it: esbuild with the conditions wrangler passes (workerd, worker, browser), so the package's
// `workerd` entry must win over `browser`, and `.wasm` left external, to be loaded by the runtime as a
// compiled module (Workers cannot compile wasm from bytes at run time).

import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { Miniflare } from "miniflare";

import {
  addScenarioFaults,
  assertChaosRun,
  assertCopyRun,
  assertHostileRun,
  assertScenarioResults,
  chaosFaults,
  installPackedPackage,
  prepareCopy,
  scenarioEnv,
  startMock,
  tempDir,
  uniqueMailbox,
} from "./support.mjs";

const SCENARIOS = fileURLToPath(new URL("./scenarios.mjs", import.meta.url));
const BULK = fileURLToPath(new URL("./bulk-scenario.mjs", import.meta.url));
const COPY = fileURLToPath(new URL("./copy-scenario.mjs", import.meta.url));
const HOSTILE = fileURLToPath(new URL("./hostile-scenario.mjs", import.meta.url));

// The worker: runs the scenarios against the mock named by its bindings and answers with their results.
const WORKER = `
import * as api from "graph-mailbox-import";
import { createImportSession, isMailboxError, MailboxClient } from "graph-mailbox-import";
import { runScenarios } from ${JSON.stringify(SCENARIOS)};
import { runBulk } from ${JSON.stringify(BULK)};
import { runCopy } from ${JSON.stringify(COPY)};
import { runHostile } from ${JSON.stringify(HOSTILE)};

export default {
  async fetch(request, env) {
    const { mailboxes, retryBaseDelayMs, bulk, copy, hostile } = await request.json();
    if (hostile) {
      return Response.json(await runHostile(api, hostile));
    }
    if (copy) {
      return Response.json(await runCopy({ MailboxClient, isMailboxError }, copy));
    }
    if (bulk) {
      const result = await runBulk({ MailboxClient }, { graphUrl: env.GRAPH_URL, importPort: Number(env.IMPORT_PORT), ...bulk });
      return Response.json(result);
    }
    const results = await runScenarios(
      { createImportSession, isMailboxError },
      { graphUrl: env.GRAPH_URL, importPort: Number(env.IMPORT_PORT), mailboxes, retryBaseDelayMs },
    );
    return Response.json(results);
  },
};
`;

let mock;
let miniflare;
let bundle;

before(async () => {
  const dir = tempDir("workerd");
  const { packageDir } = installPackedPackage(dir);
  writeFileSync(join(dir, "worker.js"), WORKER);

  const out = join(dir, "dist");
  const result = await build({
    entryPoints: [join(dir, "worker.js")],
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["*.wasm"],
    outfile: join(out, "worker.js"),
    absWorkingDir: dir,
    metafile: true,
    logLevel: "silent",
  });
  bundle = { inputs: Object.keys(result.metafile.inputs), imports: result.metafile.outputs["dist/worker.js"].imports };
  // The external import keeps its relative path, so the module goes beside the bundle.
  copyFileSync(join(packageDir, "graph_mailbox_import_bg.wasm"), join(out, "graph_mailbox_import_bg.wasm"));

  mock = await startMock();
  miniflare = new Miniflare({
    modules: true,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    scriptPath: join(out, "worker.js"),
    // Module names are paths relative to this root; the default (the working directory) is outside the
    // temporary directory, and workerd refuses names that climb out with "..".
    modulesRoot: out,
    compatibilityDate: "2026-04-01",
    bindings: { GRAPH_URL: mock.graphUrl, IMPORT_PORT: String(mock.importPort) },
  });
  await miniflare.ready;
}, { timeout: 60000 });

after(async () => {
  // Each closed on its own: a Miniflare whose runtime failed to start rejects dispose(), and a mock left
  // open would keep the test process alive.
  try {
    await miniflare?.dispose();
  } finally {
    await mock?.close();
  }
});

test("the worker bundle took the workerd entry and imports the wasm as a module", () => {
  assert.ok(bundle.inputs.includes("node_modules/graph-mailbox-import/workerd.js"), bundle.inputs.join(", "));
  assert.ok(!bundle.inputs.some((input) => /\/(browser|node)\.js$/.test(input)), bundle.inputs.join(", "));
  assert.deepEqual(
    bundle.imports.map((i) => [i.path, i.external]),
    [["./graph_mailbox_import_bg.wasm", true]],
  );
});

test("workerd: the common scenarios", { timeout: 30000 }, async () => {
  const env = scenarioEnv(mock, "workerd");
  addScenarioFaults(mock, env);
  const response = await miniflare.dispatchFetch("http://worker.test/", {
    method: "POST",
    body: JSON.stringify({ mailboxes: env.mailboxes, retryBaseDelayMs: env.retryBaseDelayMs }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const results = await response.json();
  assertScenarioResults(results, mock, env);
  // workerd's fetch is not subject to CORS: it saw Retry-After and waited the second it asked for.
  const [first, second] = mock.state.requestsFor(env.mailboxes.throttled);
  assert.ok(second.time - first.endTime >= 950, `waited ${second.time - first.endTime} ms`);
});

test("workerd: 1,000 items through throttling, expiring sessions, an archive switch and lost answers", { timeout: 120000 }, async () => {
  const mailbox = uniqueMailbox("workerd-chaos");
  const archive = uniqueMailbox("workerd-chaos-archive");
  const count = 1000;
  mock.state.addFaults(chaosFaults(mailbox, archive, count + 100));
  mock.state.setConfig({ sessionLifetimeMs: 400 });
  try {
    const response = await miniflare.dispatchFetch("http://worker.test/", {
      method: "POST",
      body: JSON.stringify({ bulk: { mailbox, count } }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const result = await response.json();
    const seen = assertChaosRun(result, mock, { mailbox, archive, count });
    console.log(
      `chaos run (workerd): ${count} items in ${result.elapsedMs} ms; ${result.imported} imported, ` +
        `${result.outcomeUnknown} outcomeUnknown; ${seen.posts} posts, ${seen.sessions} sessions, ${seen.archived} moved to the archive, peak ${seen.peak} in flight`,
    );
  } finally {
    mock.state.reset();
  }
});

test("workerd: a mailbox's folder tree is read and 255 items are copied to another mailbox", { timeout: 60000 }, async () => {
  const prepared = prepareCopy(mock);
  try {
    const response = await miniflare.dispatchFetch("http://worker.test/", {
      method: "POST",
      body: JSON.stringify({ copy: prepared.env }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const result = await response.json();
    assertCopyRun(result, mock, prepared);
    console.log(`copy (workerd): ${result.itemIds.length} source items, ${result.report.imported} copied, in ${result.elapsedMs} ms`);
  } finally {
    mock.state.reset();
  }
});

test("workerd: hostile values to every export settle with documented errors, and the module keeps working", { timeout: 120000 }, async () => {
  mock.state.reset();
  const env = { graphUrl: mock.graphUrl, importPort: mock.importPort, mailbox: uniqueMailbox("workerd-hostile") };
  try {
    const started = Date.now();
    const response = await miniflare.dispatchFetch("http://worker.test/", { method: "POST", body: JSON.stringify({ hostile: env }) });
    assert.equal(response.status, 200, await response.clone().text());
    const result = await response.json();
    assertHostileRun(result, mock);
    console.log(`hostile values (workerd): ${result.calls} calls, ${result.goodCalls} good calls after them, in ${Date.now() - started} ms`);
  } finally {
    mock.state.reset();
  }
});
