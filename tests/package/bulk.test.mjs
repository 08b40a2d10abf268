// Bulk imports through the installed package in Node: a thousand items against a mock tenant that
// throttles, expires sessions, moves one item to an archive and loses answers; the throughput at a set
// latency; and the memory of a run of 100,000 items from an async generator. Figures are printed.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { runBulk } from "./bulk-scenario.mjs";
import { assertChaosRun, chaosFaults, installPackedPackage, ROOT, startMock, tempDir, uniqueMailbox } from "./support.mjs";

let api;
let init;
let mock;

before(async () => {
  const dir = tempDir("bulk");
  installPackedPackage(dir);
  writeFileSync(join(dir, "consumer.mjs"), 'export * from "graph-mailbox-import";\nexport { default as init } from "graph-mailbox-import/init";\n');
  ({ init, ...api } = await import(pathToFileURL(join(dir, "consumer.mjs")).href));
  mock = await startMock();
});

after(() => mock?.close());

test("1,000 items through throttling, expiring sessions, an archive switch and lost answers", { timeout: 120000 }, async () => {
  const mailbox = uniqueMailbox("chaos");
  const archive = uniqueMailbox("chaos-archive");
  const count = 1000;
  mock.state.addFaults(chaosFaults(mailbox, archive, count + 100));
  mock.state.setConfig({ sessionLifetimeMs: 400 });
  try {
    // A window of 8: the client's per-mailbox limit (mailboxConcurrency, 4) still keeps the mock's 4.
    const result = await runBulk(api, { graphUrl: mock.graphUrl, importPort: mock.importPort, mailbox, count, concurrency: 8 });
    const seen = assertChaosRun(result, mock, { mailbox, archive, count });
    console.log(
      `chaos run (Node): ${count} items in ${result.elapsedMs} ms; ${result.imported} imported, ` +
        `${result.outcomeUnknown} outcomeUnknown; ${seen.posts} posts, ${seen.sessions} sessions, ${seen.archived} moved to the archive, peak ${seen.peak} in flight`,
    );
  } finally {
    mock.state.reset();
  }
});

test("throughput at 50 ms per post, 4 in flight: close to the ceiling of 80 items/s", { timeout: 60000 }, async () => {
  const mailbox = uniqueMailbox("throughput");
  const count = 400;
  const latencyMs = 50;
  mock.state.addFaults(
    Array.from({ length: count }, () => ({ target: "import", mailbox, kind: "delay", ms: latencyMs })),
  );
  const result = await runBulk(api, { graphUrl: mock.graphUrl, importPort: mock.importPort, mailbox, count });
  assert.equal(result.imported, count);
  const perSecond = (count * 1000) / result.elapsedMs;
  const ceiling = (4 * 1000) / latencyMs;
  console.log(
    `throughput (Node): ${count} items at ${latencyMs} ms per post in ${result.elapsedMs} ms = ` +
      `${perSecond.toFixed(1)} items/s, ${((100 * perSecond) / ceiling).toFixed(0)}% of the ceiling (${ceiling}/s); ` +
      `peak in flight ${mock.state.stats.maxInFlightByMailbox.import[mailbox]}`,
  );
  assert.ok(perSecond > ceiling * 0.6, `${perSecond.toFixed(1)} items/s is far below the ceiling`);
  mock.state.reset();
});

/** Starts the mock in its own process, so its request log does not weigh on this process's heap. */
async function startMockProcess() {
  const portsFile = join(tempDir("bulk-mock"), "ports.json");
  const child = spawn(process.execPath, [join(ROOT, "tests/mock/server.mjs"), "--ports-file", portsFile], { stdio: "ignore" });
  for (let i = 0; i < 200; i += 1) {
    try {
      return { child, ...JSON.parse(readFileSync(portsFile, "utf8")) };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  child.kill();
  throw new Error("the mock process did not start");
}

test("memory stays flat through 100,000 items from an async generator", { timeout: 600000 }, async () => {
  const count = Number(process.env.BULK_MEMORY_ITEMS ?? 100000);
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  const remote = await startMockProcess();
  const wasmMemory = (await init()).memory;
  try {
    const client = new api.MailboxClient({
      token: "memory-token",
      graphBaseUrl: remote.graphUrl,
      trustedImportHosts: [`127.0.0.1:${remote.importPort}`],
    });
    async function* items() {
      for (let i = 0; i < count; i += 1) {
        yield { folderId: "AAMkInbox", data: `${btoa(`memory item ${String(i).padStart(8, "0")}`)}` };
      }
    }
    const samples = [];
    const sample = (settled) => {
      gc();
      samples.push({ settled, heap: process.memoryUsage().heapUsed, wasm: wasmMemory.buffer.byteLength });
    };
    sample(0);
    const every = count / 10;
    const started = Date.now();
    const report = await client.importItems("MBX:memory@package-tests", items(), {
      keepResults: false,
      onProgress: (p) => {
        if (p.settled % every === 0) sample(p.settled);
      },
    });
    const elapsed = Date.now() - started;
    client.free();
    assert.equal(report.imported, count);
    assert.deepEqual(report.results, []);
    const mb = (bytes) => (bytes / 1048576).toFixed(1);
    console.log(
      `memory (Node): ${count} items in ${elapsed} ms (${((count * 1000) / elapsed).toFixed(0)} items/s); ` +
        `JS heap after GC ${samples.map((s) => mb(s.heap)).join(" / ")} MB; wasm memory ${samples.map((s) => mb(s.wasm)).join(" / ")} MB`,
    );
    // Flat: after the first tenth, the heap grows by less than 8 MB over the rest of the run, and the wasm
    // memory not at all beyond its first growth.
    const settledHeap = samples[1].heap;
    const lastHeap = samples.at(-1).heap;
    assert.ok(lastHeap - settledHeap < 8 * 1048576, `heap grew ${mb(lastHeap - settledHeap)} MB after the first tenth`);
    assert.ok(samples.at(-1).wasm <= samples[1].wasm, "wasm memory kept growing");
  } finally {
    remote.child.kill();
  }
});
