// Section 7: copying folder trees. Throughput: a whole mailbox (3 levels, 12 folders) copied with copyFolders at
// the mock's import latency, against the ceiling of `limit` posts in flight per target mailbox (limit / latency),
// with the same items through copyItems as the baseline of the same run. Memory: one pass over a far larger
// mailbox with keepResults: false and the item map in an item store, the JS heap after a full GC sampled as it
// goes. Each part runs in a fresh Node process of its own, the mock tenant in another.
import { join } from "node:path";

import { BENCH, check, int, log, pct } from "../lib/util.mjs";

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;

export async function measureFolders({ count = 2000, latencyMs = 50, graphLatencies = [0, 50], limit = 4, itemBytes = 2048, warmup = 200, memoryItems = 100000, memoryItemBytes = 256, sampleEvery = 2000 } = {}) {
  const ceiling = limit / (latencyMs / 1000);
  log("", `== 7. Folder trees: ${int(count)} items in 12 folders (3 levels), mock import latency ${latencyMs} ms, limit ${limit} in flight per mailbox (ceiling ${ceiling}/s per target mailbox)`);
  const runs = [];
  for (const graphLatencyMs of graphLatencies) {
    const child = join(BENCH, "sections", "folders-child.mjs");
    const out = JSON.parse(await check(process.execPath, [child, JSON.stringify({ count, latencyMs, graphLatencyMs, limit, itemBytes, warmup })]));
    for (const r of out) {
      r.graphLatencyMs = graphLatencyMs;
      r.ceiling = ceiling;
      r.itemsPerSecond = r.items / (r.wallMs / 1000);
      r.ofCeiling = r.itemsPerSecond / ceiling;
      r.cpuUsPerItem = (r.cpuMs * 1000) / r.items;
      runs.push(r);
      log(`${r.label}, Graph latency ${graphLatencyMs} ms: ${int(r.items)} items in ${(r.wallMs / 1000).toFixed(2)} s = ${r.itemsPerSecond.toFixed(1)} items/s = ${pct(r.ofCeiling)} of ${ceiling}/s; ` +
        `peak in flight ${r.peakInFlight}, refused ${r.refusedForConcurrency}; imported ${r.imported}, failed ${r.failed}, unknown ${r.outcomeUnknown}; ` +
        `Graph requests ${int(r.graphRequests)}${r.folders ? `; folders created ${r.folders.created}, reused ${r.folders.reused}; onState ${r.states.count} times` : ""}; client CPU ${r.cpuUsPerItem.toFixed(0)} µs/item`);
    }
  }

  log(`-- memory: one pass over ${int(memoryItems)} items of ${int(memoryItemBytes)} B, keepResults: false, items kept in a store in a process of its own; mock latency 0`);
  const child = join(BENCH, "sections", "folders-memory-child.mjs");
  const memory = JSON.parse(await check(process.execPath, ["--expose-gc", child, JSON.stringify({ count: memoryItems, itemBytes: memoryItemBytes, store: "process", every: sampleEvery })]));
  memory.itemsPerSecond = memory.items / (memory.wallMs / 1000);
  const second = memory.samples.filter((s) => s.settled > memory.items / 2);
  memory.heapSecondHalf = { min: Math.min(...second.map((s) => s.heap)), max: Math.max(...second.map((s) => s.heap)) };
  log(`${int(memory.imported)} imported (failed ${memory.failed}, unknown ${memory.outcomeUnknown}) in ${(memory.wallMs / 1000).toFixed(1)} s (${memory.itemsPerSecond.toFixed(0)} items/s); ` +
    `JS heap after GC: start ${mib(memory.heapStart)}, max ${mib(memory.heapMax)}, end ${mib(memory.heapEnd)} ` +
    `(second half of the pass ${mib(memory.heapSecondHalf.min)}–${mib(memory.heapSecondHalf.max)}); wasm memory ${mib(memory.wasmStart)} -> ${mib(memory.wasmEnd)}; ` +
    `state ${int(memory.stateBytes)} B of JSON (onState ${memory.states} times); the store holds ${int(memory.storeEntries)} entries, ${mib(memory.storeBytes)} of JSON`);
  return { runs, count, latencyMs, limit, itemBytes, ceiling, warmup, memory };
}

/** The section of BENCHMARKS.md. */
export function foldersSection({ runs, count, latencyMs, limit, itemBytes, ceiling, warmup, memory }) {
  const rows = runs.map((r) => `| ${r.label === "copyFolders" ? "**copyFolders (12 folders)**" : "copyItems (one folder)"} | ${r.graphLatencyMs} | ${int(r.items)} | ${(r.wallMs / 1000).toFixed(2)} | ` +
    `${r.itemsPerSecond.toFixed(1)} | ${pct(r.ofCeiling)} of ${r.ceiling}/s | ${r.peakInFlight} | ${r.refusedForConcurrency} | ${int(r.graphRequests)} | ${r.imported} / ${r.failed} / ${r.outcomeUnknown} | ${r.cpuUsPerItem.toFixed(0)} |`);
  const m = memory;
  return [
    "## 7. Folder trees",
    "",
    `A whole mailbox of ${int(count)} items of ${int(itemBytes)} random bytes in 12 folders (3 levels, 3 of them well-known, no folder a`,
    `multiple of 100 items) copied by \`MailboxClient.copyFolders\` (\`keepResults: false\`, an \`onState\` that serializes the state)`,
    "into another mailbox that has its own well-known folders: 9 folders are created, 3 mapped. The baseline, in the same",
    "process right after it, is `copyItems` of the same item ids into one folder of a third mailbox. The mock tenant (own process)",
    `answers each import post after ${latencyMs} ms and refuses a post over ${limit} in flight per mailbox; Graph calls (folder`,
    "listings and creation, items/delta, exportItems) after the Graph latency in the table. Ceiling: " +
      `${limit} / ${latencyMs} ms = ${ceiling} items/s per target mailbox. Both calls ran a ${int(warmup)}-item copy into mailboxes of their own first.`,
    "",
    "| call | Graph latency ms | items | seconds | items/s | of ceiling | peak in flight | refused | Graph requests | imported / failed / unknown | client CPU µs/item |",
    "|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|",
    ...rows,
    "",
    `Memory: one \`copyFolders\` pass over ${int(m.items)} items of ${int(m.itemBytes)} B in ${m.folders} folders with \`keepResults: false\`, the`,
    "item map in an item store that keeps it in a process of its own (a `Map` there, reached over IPC: outside the measured",
    "heap, as IndexedDB or Durable Object storage would be). Fresh Node process with `--expose-gc`, the mock (own process)",
    `with no added latency; the JS heap is \`heapUsed\` after \`gc()\`, sampled every ${int(m.samples[1]?.settled - m.samples[0]?.settled || 0)} settled items.`,
    "",
    "| items | seconds | JS heap start | max | end | second half of the pass | wasm memory start → end | state (JSON) | onState calls | item store (JSON) |",
    "|---:|---:|---:|---:|---:|---|---|---:|---:|---|",
    `| ${int(m.imported)} | ${(m.wallMs / 1000).toFixed(1)} | ${mib(m.heapStart)} | ${mib(m.heapMax)} | ${mib(m.heapEnd)} | ${mib(m.heapSecondHalf.min)}–${mib(m.heapSecondHalf.max)} | ` +
      `${mib(m.wasmStart)} → ${mib(m.wasmEnd)} | ${int(m.stateBytes)} B | ${m.states} | ${int(m.storeEntries)} entries, ${mib(m.storeBytes)} |`,
    "",
    "The wasm memory holds a folder's items/delta round while the folder is copied, and is never given back to the engine.",
    "",
  ].join("\n");
}
