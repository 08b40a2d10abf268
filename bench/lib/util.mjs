// Shared helpers: paths, statistics, formatting, compressed sizes, child processes.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

export const BENCH = fileURLToPath(new URL("..", import.meta.url));
export const ROOT = dirname(BENCH.replace(/\/$/, ""));
// The package measured: pkg/, or the snapshot of it that run.mjs takes at its start (others may rebuild pkg/
// while the bench runs), named by GMI_BENCH_PKG before this module is first imported.
export const PKG = process.env.GMI_BENCH_PKG || join(ROOT, "pkg");
export const WASM = join(PKG, "graph_mailbox_import_bg.wasm");
// The release module build.sh left in target/ (for the named build of the size breakdown), or its snapshot.
export const TARGET_WASM = process.env.GMI_BENCH_TARGET_WASM || join(ROOT, "target", "wasm32-unknown-unknown", "release", "graph_mailbox_import.wasm");
export const ROOT_BIN = join(ROOT, "node_modules", ".bin");

export const gzipSize = (buf) => gzipSync(buf, { level: 9 }).length;
export const brotliSize = (buf) =>
  brotliCompressSync(buf, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
  }).length;

export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { n, median, min: sorted[0], max: sorted[n - 1], mean: sorted.reduce((s, v) => s + v, 0) / n };
}

export const int = (n) => Math.round(n).toLocaleString("en-US");
export const bytes = (n) => `${int(n)} B`;
export const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
export const ms = (n, digits = n < 10 ? 2 : 1) => `${n.toFixed(digits)} ms`;
export const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
export const pct = (x) => `${(x * 100).toFixed(1)}%`;
export const range = (s, f = ms) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

/** Prints a heading and lines to stdout as the bench goes. */
export function log(...lines) {
  for (const line of lines) console.log(line);
}

/** Runs a command; resolves with { code, stdout, stderr, wallMs }. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ code, signal, stdout, stderr, wallMs });
    });
  });
}

/** Runs a command that must succeed; returns its stdout. */
export async function check(command, args, options) {
  const r = await run(command, args, options);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/** Runs `fn` for each of `names` in `rounds` interleaved rounds, rotating the order each round. */
export async function interleaved(names, rounds, fn) {
  const results = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r += 1) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) results[name].push(await fn(name, r));
  }
  return results;
}
