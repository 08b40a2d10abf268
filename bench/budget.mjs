#!/usr/bin/env node
// Budgets, for CI. Run after ./scripts/build.sh.
//
//   node bench/budget.mjs               size: total shipped gzip (wasm + minified glue, measured exactly as
//                                       scripts/build.sh does) at most maxTotalGzip of bench/budget.json, a hard
//                                       ceiling; the last recorded size is printed beside it. Needs only the
//                                       root's tooling.
//   node bench/budget.mjs --cold-start  Node cold start (import + instantiate + one call, median of 15 fresh
//                                       processes each, interleaved) of ours under 2× the Graph JS client's.
//                                       Installs bench/'s pinned peers first if they are missing.
//   node bench/budget.mjs --update      records the current size in bench/budget.json (for reference: the
//                                       ceiling does not move with it).
//
// Exits 0 when within budget, 1 when a budget is broken, 2 when it cannot measure (no build, no tooling).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { BENCH, PKG, ROOT_BIN, WASM, bytes } from "./lib/util.mjs";

const BUDGET = join(BENCH, "budget.json");
const args = process.argv.slice(2);

function fail(code, message) {
  console.error(message);
  process.exit(code);
}

async function measureShipped() {
  if (!existsSync(WASM) || !existsSync(join(PKG, "graph_mailbox_import.js"))) {
    fail(2, "budget: pkg/ has no build (graph_mailbox_import_bg.wasm / graph_mailbox_import.js): run ./scripts/build.sh first");
  }
  if (!existsSync(join(ROOT_BIN, "esbuild"))) fail(2, "budget: node_modules/.bin/esbuild is missing: run scripts/setup.sh first");
  const { gzipCli, minifiedGlue } = await import("./lib/shipped.mjs");
  const tmp = mkdtempSync(join(tmpdir(), "gmi-budget-"));
  try {
    const glue = join(tmp, "glue.min.js");
    const glueBuf = await minifiedGlue(glue);
    const wasmGzip = await gzipCli(WASM);
    const glueGzip = await gzipCli(glue);
    return { wasm: readFileSync(WASM).length, wasmGzip, glue: glueBuf.length, glueGzip, totalGzip: wasmGzip + glueGzip };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function sizeBudget() {
  const budget = JSON.parse(readFileSync(BUDGET, "utf8"));
  const now = await measureShipped();
  const limit = budget.maxTotalGzip;
  const delta = now.totalGzip - budget.totalGzip;
  const sign = delta >= 0 ? "+" : "-";
  console.log(`size: wasm ${bytes(now.wasm)} (gzip ${bytes(now.wasmGzip)}), glue min ${bytes(now.glue)} (gzip ${bytes(now.glueGzip)}), total gzip ${bytes(now.totalGzip)}`);
  console.log(`size budget: ceiling ${bytes(limit)} (bench/budget.json), ${bytes(Math.abs(limit - now.totalGzip))} ${now.totalGzip <= limit ? "under" : "OVER"}; last recorded ${bytes(budget.totalGzip)} (${budget.recorded}), now ${sign}${bytes(Math.abs(delta))}`);
  if (now.totalGzip > limit) {
    fail(1, `size budget BROKEN: total shipped gzip ${bytes(now.totalGzip)} is over the ceiling of ${bytes(limit)}. ` +
      "Find the bytes (npm --prefix bench run bench lists where they go) and cut them.");
  }
  console.log("size budget: ok");
}

async function update() {
  const budget = JSON.parse(readFileSync(BUDGET, "utf8"));
  const now = await measureShipped();
  const next = { ...budget, totalGzip: now.totalGzip, wasmGzip: now.wasmGzip, glueGzip: now.glueGzip, recorded: new Date().toISOString().slice(0, 10) };
  writeFileSync(BUDGET, `${JSON.stringify(next, null, 2)}\n`);
  console.log(`budget: recorded total gzip ${bytes(now.totalGzip)} (was ${bytes(budget.totalGzip)}) in bench/budget.json`);
}

async function coldStartBudget() {
  const budget = JSON.parse(readFileSync(BUDGET, "utf8")).coldStart;
  if (!existsSync(WASM)) fail(2, "budget: pkg/ has no build: run ./scripts/build.sh first");
  const { ensureBenchDeps } = await import("./lib/deps.mjs");
  ensureBenchDeps();
  const { nodeColdStart } = await import("./sections/cold-start.mjs");
  const runs = Number(args[args.indexOf("--runs") + 1]) || budget.runs;
  const [ours, graph] = await nodeColdStart([
    { id: "ours", label: "graph-mailbox-import" },
    { id: "graph-client", label: "@microsoft/microsoft-graph-client" },
  ], runs);
  const ratio = ours.load.median / graph.load.median;
  const f = (s) => `${s.median.toFixed(1)} ms (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  console.log(`cold start (Node, import + instantiate + one call, median of ${runs} fresh processes): ours ${f(ours.load)}, Graph JS client ${f(graph.load)}: ${ratio.toFixed(2)}× (limit ${budget.maxRatioToGraphClient}×)`);
  if (ratio >= budget.maxRatioToGraphClient) {
    fail(1, `cold start budget BROKEN: ours takes ${ratio.toFixed(2)}× the Graph JS client's cold start (limit under ${budget.maxRatioToGraphClient}×)`);
  }
  console.log("cold start budget: ok");
}

if (args.includes("--update")) await update();
else if (args.includes("--cold-start")) await coldStartBudget();
else await sizeBudget();
