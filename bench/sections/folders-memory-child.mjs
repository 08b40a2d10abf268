// Section 7 (memory), in a process of its own started with --expose-gc: one copyFolders pass over a mailbox of
// `count` items (12 folders) with keepResults: false, against the mock tenant in its own process with no added
// latency. The item map is kept by `store`: "process" (a Map in a process of its own, folders-store.mjs: outside
// this process's heap, as IndexedDB or Durable Object storage would be) or "map" (a Map in this process).
// The JS heap is sampled after a full GC every `every` settled items; prints JSON.
import { MailboxClient } from "graph-mailbox-import";
import { initSync } from "graph-mailbox-import/init";

import { startMockProcess } from "../lib/mock-process.mjs";
import { tenantOf } from "./folders-tenant.mjs";
import { startStoreProcess } from "./folders-store.mjs";

if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
const { count, itemBytes, store: storeKind, every } = JSON.parse(process.argv[2]);
const mock = await startMockProcess({ importLatencyMs: 0, graphLatencyMs: 0, pageSize: 100 });
const { mailbox, seed } = tenantOf(mock);
const client = new MailboxClient({ token: "bench-token", graphBaseUrl: mock.graphUrl, trustedImportHosts: [mock.importHost] });
const wasmMemory = initSync().memory;
const heap = () => {
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

let store;
try {
  const tenant = await seed("memory", count, ["memory-target"], itemBytes);
  store = storeKind === "process" ? startStoreProcess() : new Map();
  // A small folder copy first, so the engine's code and the client's session are in the start figure.
  const warm = await seed("memory-warm", 100, ["memory-warm-target"], itemBytes);
  await client.copyFolders({ mailboxId: warm.source }, { mailboxId: mailbox("memory-warm-target") }, { keepResults: false, itemStore: new Map() });

  const wasmStart = wasmMemory.buffer.byteLength;
  const heapStart = heap();
  const samples = [];
  let states = 0;
  let lastSample = 0;
  const t0 = performance.now();
  const report = await client.copyFolders({ mailboxId: tenant.source }, { mailboxId: mailbox("memory-target") }, {
    keepResults: false,
    itemStore: store,
    onProgress: (p) => {
      if (p.settled - lastSample >= every) {
        lastSample = p.settled;
        samples.push({ settled: p.settled, heap: heap(), wasm: wasmMemory.buffer.byteLength });
      }
    },
    onState: () => {
      states += 1;
    },
  });
  const wallMs = performance.now() - t0;
  const stateBytes = JSON.stringify(report.state).length;
  const heapEnd = heap();
  const stored = storeKind === "process" ? await store.size() : { size: store.size, bytes: [...store].reduce((s, [k, v]) => s + k.length + JSON.stringify(v).length, 0) };
  process.stdout.write(JSON.stringify({
    store: storeKind,
    items: count,
    itemBytes,
    folders: tenant.folders,
    wallMs,
    imported: report.imported,
    failed: report.failed,
    outcomeUnknown: report.outcomeUnknown,
    results: report.results.length,
    states,
    stateBytes,
    storeEntries: stored.size,
    storeBytes: stored.bytes,
    heapStart,
    heapMax: Math.max(heapStart, ...samples.map((s) => s.heap)),
    heapEnd,
    wasmStart,
    wasmEnd: wasmMemory.buffer.byteLength,
    samples,
  }));
} finally {
  if (storeKind === "process") store?.close();
  client.free();
  await mock.close();
}
