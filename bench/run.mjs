#!/usr/bin/env node
// The benchmarks in one command: `npm --prefix bench run bench` (or `node bench/run.mjs`). Installs what is
// missing (bench/'s pinned peers, the root tooling, a built pkg/), runs the five sections, prints every
// figure as it goes, and writes BENCHMARKS.md and docs/benchmarks.svg at the repository root.
//
// Options: --quick (fewer runs, smaller counts: to try the bench, not to publish), --only size,cold,overhead,bulk,encoding,jobs,folders
// (a subset: nothing is written), --build (rebuild pkg/ first), --json FILE (the raw results as well).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { ensureBenchDeps, ensureBuilt, ensureRootTools, ensureWorkerDeps, snapshotPackage, wasmHash } from "./lib/deps.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag("--quick");
const only = value("--only")?.split(",");
const want = (s) => !only || only.includes(s);

const started = performance.now();
const loadStart = os.loadavg();
ensureRootTools();
ensureBenchDeps();
if (want("jobs")) ensureWorkerDeps();
const build = ensureBuilt({ force: flag("--build") });

// Read-only git: which commit pkg/ was built from, and whether the crate had uncommitted changes.
const git = (...a) => spawnSync("git", ["--no-optional-locks", ...a], { cwd: ROOT, encoding: "utf8" });
const commit = git("rev-parse", "--short", "HEAD").stdout.trim() || "unknown";
const dirty = git("diff", "--quiet", "HEAD", "--", "src", "Cargo.toml", "Cargo.lock", "pkg").status === 1;

// Every section measures one copy of pkg/, taken now (others may rebuild pkg/ during the run).
const tmp = mkdtempSync(join(os.tmpdir(), "gmi-bench-"));
const snapshot = snapshotPackage(tmp);
Object.assign(process.env, snapshot.env);
const results = {};
try {
  const { measureSize } = await import("./sections/size.mjs");
  const { measureColdStart } = await import("./sections/cold-start.mjs");
  const { measureOverhead } = await import("./sections/overhead.mjs");
  const { measureBulk } = await import("./sections/bulk.mjs");
  const { measureEncoding } = await import("./sections/encoding.mjs");
  const { measureJobs } = await import("./sections/jobs.mjs");
  const { measureFolders } = await import("./sections/folders.mjs");

  const runs = quick ? { node: 8, workerd: 4 } : { node: 30, workerd: 15 };
  if (want("size")) results.size = await measureSize(join(tmp, "size"));
  if (want("cold")) results.cold = { ...(await measureColdStart(join(tmp, "cold"), { nodeRuns: runs.node, workerdRuns: runs.workerd })), runs };
  if (want("overhead")) results.overhead = await measureOverhead(quick ? { calls: 600, rounds: 3, warmup: 50 } : { calls: 3000, rounds: 6, warmup: 200 });
  if (want("bulk")) results.bulk = await measureBulk(quick ? { count: 400 } : { count: 2000 });
  if (want("jobs")) results.jobs = await measureJobs(quick ? { itemsPerMailbox: 60 } : { itemsPerMailbox: 500 });
  if (want("folders")) results.folders = await measureFolders(quick ? { count: 400, warmup: 100, memoryItems: 10000, sampleEvery: 500 } : {});
  if (want("encoding")) results.encoding = await measureEncoding(quick ? { sizes: [1e6, 10e6, 35e6], reps: 2 } : { sizes: [1e6, 10e6, 35e6], reps: 5 });
} finally {
  snapshot.restore();
  rmSync(tmp, { recursive: true, force: true });
}

const { renderMarkdown, renderSvg, findings, losses } = await import("./lib/report.mjs");
const pkgJson = JSON.parse(readFileSync(join(ROOT, "pkg", "package.json"), "utf8"));
const benchJson = JSON.parse(readFileSync(join(BENCH, "package.json"), "utf8"));
const versionOf = (name, dir = BENCH) => JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")).version;
const rebuiltMeanwhile = wasmHash() !== snapshot.hash;
results.meta = {
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  cpu: os.cpus()[0]?.model?.trim() ?? "unknown CPU",
  cores: os.cpus().length,
  memory: os.totalmem(),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  version: pkgJson.version,
  commit,
  dirty,
  builtAt: snapshot.builtAt,
  rebuiltByBench: build.built,
  rebuiltMeanwhile,
  peers: [
    ...Object.keys(benchJson.devDependencies).filter((n) => n.startsWith("@microsoft/")).map((name) => ({ name, version: versionOf(name) })),
    { name: "esbuild", version: versionOf("esbuild") },
    { name: "miniflare", version: versionOf("miniflare", ROOT) },
  ],
  loadStart,
  loadEnd: os.loadavg(),
  durationMs: performance.now() - started,
  quick,
};
if (rebuiltMeanwhile) console.log("\nbench: note: pkg/ was rebuilt during the run; every figure is of the copy taken at the start");

if (value("--json")) writeFileSync(value("--json"), JSON.stringify(results, null, 2));
if (only) {
  console.log(`\nbench: --only ${only.join(",")}: BENCHMARKS.md and the chart are not written (they need every section)`);
} else {
  console.log("\n== Summary");
  for (const f of findings(results)) console.log(`- ${f}`);
  console.log("\n== Where ours loses");
  for (const f of losses(results)) console.log(`- ${f}`);
  writeFileSync(join(ROOT, "BENCHMARKS.md"), renderMarkdown(results));
  mkdirSync(join(ROOT, "docs"), { recursive: true });
  writeFileSync(join(ROOT, "docs", "benchmarks.svg"), renderSvg(results));
  console.log(`\nbench: wrote BENCHMARKS.md and docs/benchmarks.svg${quick ? " (--quick: not for publishing)" : ""} in ${(results.meta.durationMs / 1000).toFixed(0)} s`);
}
