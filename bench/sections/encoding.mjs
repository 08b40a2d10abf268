// Section 5: item encoding. Posting 1 MB, 10 MB and 35 MB items: our base64 in wasm against Node's Buffer
// and the common browser approach, each in fresh processes; throughput and peak memory as multiples of
// the item's size.
import { join } from "node:path";

import { startMockProcess } from "../lib/mock-process.mjs";
import { BENCH, check, int, log, ratio } from "../lib/util.mjs";

export const ENCODING_METHODS = [
  { id: "buffer", label: "fetch + Buffer.toString(\"base64\") (baseline)" },
  { id: "ours-bytes", label: "ours: importItem(Uint8Array), base64 in wasm" },
  { id: "ours-base64", label: "ours: importItem(base64 string), no encoding" },
  { id: "btoa", label: "fetch + binary string (32 KiB chunks) + btoa" },
];

export async function measureEncoding({ sizes = [1e6, 10e6, 35e6], reps = 5 } = {}) {
  log("", `== 5. Item encoding: one post per item against the mock, ${reps} posts per fresh process`);
  const mock = await startMockProcess();
  const rows = [];
  try {
    for (const size of sizes) {
      for (const m of ENCODING_METHODS) {
        const n = size >= 20e6 ? Math.min(reps, 3) : reps;
        const out = JSON.parse(await check(process.execPath, [
          "--expose-gc", join(BENCH, "sections", "encoding-child.mjs"), m.id, String(size), mock.graphUrl, mock.importHost, String(n),
        ]));
        const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const times = out.runs.map((r) => r.ms);
        rows.push({
          ...m,
          size,
          medianMs: med(times),
          minMs: Math.min(...times),
          maxMs: Math.max(...times),
          cpuMs: med(out.runs.map((r) => r.cpuMs)),
          mbPerS: size / 1e6 / (med(times) / 1000),
          cpuMbPerS: size / 1e6 / (med(out.runs.map((r) => r.cpuMs)) / 1000),
          // The first post's peak: later posts find the wasm memory already grown (it is never given back).
          peakX: out.runs[0].peakExtra / size,
          peakLaterX: out.runs.length > 1 ? Math.max(...out.runs.slice(1).map((r) => r.peakExtra)) / size : null,
          wasmGrowthX: (out.wasmAfter - out.wasmBefore) / size,
          wasmAfter: out.wasmAfter,
          rssX: out.maxRssGrowth / size,
          encodeMs: out.encodeMs,
        });
      }
      const base = rows.find((r) => r.size === size && r.id === "buffer");
      for (const r of rows.filter((x) => x.size === size)) {
        log(`${int(size / 1e6)} MB ${r.label}: ${r.medianMs.toFixed(1)} ms (${r.minMs.toFixed(1)}–${r.maxMs.toFixed(1)}) = ${r.mbPerS.toFixed(1)} MB/s, ` +
          `${ratio(r.medianMs, base.medianMs)} the Buffer path; client CPU ${r.cpuMs.toFixed(1)} ms = ${ratio(r.cpuMs, base.cpuMs)}; ` +
          `peak memory +${r.peakX.toFixed(2)}× item (heap+external; later posts +${r.peakLaterX?.toFixed(2)}×), ` +
          `max RSS +${r.rssX.toFixed(2)}×, wasm memory grew ${r.wasmGrowthX.toFixed(2)}× to ${int(r.wasmAfter / 1048576)} MiB` +
          (r.encodeMs !== null ? `; encoding alone ${r.encodeMs.toFixed(1)} ms` : ""));
      }
    }
  } finally {
    await mock.close();
  }
  return { rows, sizes, reps };
}
