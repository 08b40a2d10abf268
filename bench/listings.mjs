#!/usr/bin/env node
// What reading a mailbox costs the client: `exportItems` of one full batch (20 items of 300,000 raw bytes, an
// 8 MB answer) and `listItems` of a folder of 20,000 items (pages of 1,000), each in fresh Node processes
// against the mock tenant in a process of its own. Prints, per package and call: the call's time (median),
// how far the wasm memory grew for it (it never shrinks: the peak the call needed in wasm), the process's
// peak RSS growth (everything, transient JavaScript strings included), and a hash of what the call returned.
//
//   node bench/listings.mjs                          # pkg/ alone
//   node bench/listings.mjs --before DIR [--pkg DIR] # two builds of the package, side by side in one run,
//                                                    # their processes interleaved; the hashes must match
// Options: --rounds N (fresh processes per package and call, default 3), --reps N (calls per process, default 5).
import { execFileSync } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BENCH = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

const EXPORT_ITEMS = 20;
const EXPORT_ITEM_BYTES = 300_000;
const LIST_ITEMS = 20_000;
const TENANT = "c0c0c0c0-0000-4000-8000-00000000c0de";
const mailbox = `MBX:bench-listings@${TENANT}`;
const exportFolder = "AAMkADbenchListingsExportAAA=";
const listFolder = "AAMkADbenchListingsListAAA=";
const itemId = (kind, n) => `AAMkADbenchListings${kind}${String(n).padStart(6, "0")}AAA=`;

async function parent() {
  const { startMockProcess } = await import("./lib/mock-process.mjs");
  const packages = [];
  if (option("--before")) packages.push({ label: "before", dir: resolve(option("--before")) });
  packages.push({ label: option("--before") ? "after" : "pkg", dir: resolve(option("--pkg", join(BENCH, "..", "pkg"))) });
  const rounds = Number(option("--rounds", 3));
  const reps = Number(option("--reps", 5));

  const mock = await startMockProcess({ pageSize: 1000 });
  try {
    const control = async (path, body) => {
      const response = await fetch(`${mock.graphUrl}/_mock/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`mock ${path}: ${response.status} ${await response.text()}`);
    };
    const folders = [
      { id: exportFolder, displayName: "Export" },
      { id: listFolder, displayName: "List" },
    ];
    await control("seed", { mailboxes: { [mailbox]: { folders } }, items: [] });
    const bytes = Buffer.alloc(EXPORT_ITEM_BYTES);
    const exported = Array.from({ length: EXPORT_ITEMS }, (_, n) => ({ id: itemId("Export", n), folderId: exportFolder, data: randomFillSync(bytes).toString("base64") }));
    await control("seed", { items: exported });
    for (let start = 0; start < LIST_ITEMS; start += 5000) {
      const batch = Array.from({ length: 5000 }, (_, k) => ({ id: itemId("List", start + k), folderId: listFolder, data: "Zm9vYmFy" }));
      await control("seed", { items: batch });
    }

    const rows = [];
    for (const call of ["export", "list"]) {
      const runs = new Map(packages.map((p) => [p.label, []]));
      for (let r = 0; r < rounds; r += 1) {
        for (const p of packages) {
          const input = { dir: p.dir, call, graphUrl: mock.graphUrl, importHost: mock.importHost, reps };
          const out = execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", JSON.stringify(input)], { encoding: "utf8", maxBuffer: 1 << 26 });
          runs.get(p.label).push(JSON.parse(out));
        }
      }
      for (const p of packages) rows.push({ call, label: p.label, ...summary(runs.get(p.label)) });
    }
    report(rows, packages.length > 1);
  } finally {
    await mock.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function summary(runs) {
  const hashes = new Set(runs.map((r) => r.hash));
  if (hashes.size !== 1) throw new Error(`one package returned different results across runs: ${[...hashes]}`);
  return {
    ms: median(runs.flatMap((r) => r.ms)),
    firstMs: median(runs.map((r) => r.ms[0])),
    wasmGrowth: median(runs.map((r) => r.wasmGrowth)),
    rssGrowth: median(runs.map((r) => r.rssGrowth)),
    resultBytes: runs[0].resultBytes,
    hash: runs[0].hash,
  };
}

function report(rows, compare) {
  const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
  const what = { export: `exportItems: one batch of ${EXPORT_ITEMS} items, ${mb(EXPORT_ITEMS * Math.ceil(EXPORT_ITEM_BYTES / 3) * 4)} of base64`, list: `listItems: ${LIST_ITEMS} items, pages of 1,000` };
  for (const call of ["export", "list"]) {
    console.log(`== ${what[call]} (JSON of the result: ${mb(rows.find((r) => r.call === call).resultBytes)})`);
    const mine = rows.filter((r) => r.call === call);
    for (const r of mine) {
      console.log(`${r.label.padEnd(7)} ${r.ms.toFixed(1).padStart(8)} ms (first call ${r.firstMs.toFixed(1)} ms), wasm memory +${mb(r.wasmGrowth)}, peak RSS +${mb(r.rssGrowth)}, result ${r.hash}`);
    }
    if (compare) {
      const [before, after] = mine;
      const ratio = (a, b) => (b === 0 ? "n/a" : `${(a / b).toFixed(2)}×`);
      console.log(`after/before: time ${ratio(after.ms, before.ms)}, first call ${ratio(after.firstMs, before.firstMs)}, wasm memory growth ${ratio(after.wasmGrowth, before.wasmGrowth)}, peak RSS growth ${ratio(after.rssGrowth, before.rssGrowth)}; results ${after.hash === before.hash ? "identical" : "DIFFER"}`);
      if (after.hash !== before.hash) process.exitCode = 1;
    }
  }
}

async function child({ dir, call, graphUrl, importHost, reps }) {
  const { MailboxClient } = await import(pathToFileURL(join(dir, "node.js")).href);
  const { initSync } = await import(pathToFileURL(join(dir, "init.js")).href);
  const memory = initSync().memory;
  const client = new MailboxClient({ token: "bench-token", graphBaseUrl: graphUrl, trustedImportHosts: [importHost] });
  const ids = Array.from({ length: EXPORT_ITEMS }, (_, n) => itemId("Export", n));
  const run = () => (call === "export" ? client.exportItems(mailbox, ids) : client.listItems(mailbox, listFolder));
  // Warm up on a small read of the same kind: the code, the JIT, the wasm's first allocations.
  await (call === "export" ? client.exportItems(mailbox, ids.slice(0, 1)) : client.listItems(mailbox, exportFolder));
  globalThis.gc();
  const wasmBefore = memory.buffer.byteLength;
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  const ms = [];
  let result;
  let rssGrowth;
  for (let r = 0; r < reps; r += 1) {
    result = undefined;
    globalThis.gc();
    const t0 = performance.now();
    result = await run();
    ms.push(performance.now() - t0);
    if (r === 0) rssGrowth = process.resourceUsage().maxRSS * 1024 - rssBefore;
  }
  const text = JSON.stringify(result);
  if (call === "export" && result.some((item) => typeof item.data !== "string")) throw new Error(`an item came back without data: ${text.slice(0, 300)}`);
  process.stdout.write(JSON.stringify({
    ms,
    wasmGrowth: memory.buffer.byteLength - wasmBefore,
    rssGrowth,
    resultBytes: text.length,
    hash: createHash("sha256").update(text).digest("hex").slice(0, 16),
  }));
  client.free();
}

if (args[0] === "--child") {
  await child(JSON.parse(args[1]));
} else {
  await parent();
}
