// What the bench needs before it runs, installed only when missing: bench/'s pinned peers (npm ci from
// bench/package-lock.json), the root's tooling (esbuild, Miniflare, wasm-opt: scripts/setup.sh), the Worker
// example's packages (the jobs section builds it with wrangler) and a built pkg/ (scripts/build.sh).
// No import of util.mjs here: run.mjs names the package to measure (GMI_BENCH_PKG) only after these ran.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH = fileURLToPath(new URL("..", import.meta.url));
const ROOT = dirname(BENCH.replace(/\/$/, ""));
const PKG = join(ROOT, "pkg");
const WASM = join(PKG, "graph_mailbox_import_bg.wasm");
const TARGET_WASM = join(ROOT, "target", "wasm32-unknown-unknown", "release", "graph_mailbox_import.wasm");
const LINK = join(BENCH, "node_modules", "graph-mailbox-import");

function sh(command, args, cwd) {
  console.log(`bench: ${command} ${args.join(" ")}`);
  const r = spawnSync(command, args, { cwd, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status ?? r.signal})`);
}

/** Installs bench/'s devDependencies when one is missing or the lock file changed since the last install. */
export function ensureBenchDeps() {
  const pkg = JSON.parse(readFileSync(join(BENCH, "package.json"), "utf8"));
  const marker = join(BENCH, "node_modules", ".package-lock.json");
  const lock = join(BENCH, "package-lock.json");
  const missing = Object.keys(pkg.devDependencies).some((name) => !existsSync(join(BENCH, "node_modules", name, "package.json")));
  const stale = existsSync(lock) && existsSync(marker) && statSync(lock).mtimeMs > statSync(marker).mtimeMs;
  if (missing || stale || !existsSync(marker)) {
    sh("npm", [existsSync(lock) ? "ci" : "install", "--no-audit", "--no-fund"], BENCH);
  }
}

/** The root's tooling (esbuild, Miniflare, wasm-opt), through the project's own idempotent setup. */
export function ensureRootTools() {
  const need = ["esbuild", "miniflare", "binaryen"].some((n) => !existsSync(join(ROOT, "node_modules", n, "package.json")));
  if (need) sh("bash", [join(ROOT, "scripts", "setup.sh")], ROOT);
}

/** The Worker example's packages (wrangler builds it for the jobs section), as the Makefile installs them. */
export function ensureWorkerDeps() {
  const example = join(ROOT, "examples", "cloudflare-worker");
  if (!existsSync(join(example, "node_modules", "wrangler", "bin", "wrangler.js"))) {
    sh("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], example);
  }
}

function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds pkg/ when its wasm is missing, or older than the crate's sources (`force` always). A failed
 * rebuild of a stale package is reported and the existing package measured.
 */
export function ensureBuilt({ force = false } = {}) {
  const missing = !existsSync(WASM) || !existsSync(join(PKG, "graph_mailbox_import.js"));
  const sources = Math.max(newestIn(join(ROOT, "src")), statSync(join(ROOT, "Cargo.toml")).mtimeMs, statSync(join(ROOT, "Cargo.lock")).mtimeMs);
  const stale = !missing && sources > statSync(WASM).mtimeMs;
  if (!missing && !stale && !force) return { built: false };
  try {
    sh("bash", [join(ROOT, "scripts", "build.sh")], ROOT);
    return { built: true };
  } catch (e) {
    if (missing) throw e;
    console.log(`bench: WARNING: pkg/ is older than src/ and rebuilding it failed (${e.message}); measuring pkg/ as it is`);
    return { built: false, staleWarning: true };
  }
}

export const wasmHash = () => (existsSync(WASM) ? createHash("sha256").update(readFileSync(WASM)).digest("hex") : null);

/**
 * Copies pkg/ (and target/'s release module) into `dir` and points bench/node_modules/graph-mailbox-import
 * at the copy, so every section measures the same build even if pkg/ is rebuilt meanwhile. Returns the
 * environment for util.mjs and a restore function (the link back to ../pkg, as npm made it).
 */
export function snapshotPackage(dir) {
  const pkg = join(dir, "pkg");
  cpSync(PKG, pkg, { recursive: true });
  const env = { GMI_BENCH_PKG: pkg };
  if (existsSync(TARGET_WASM)) {
    cpSync(TARGET_WASM, join(dir, "target.wasm"));
    env.GMI_BENCH_TARGET_WASM = join(dir, "target.wasm");
  }
  rmSync(LINK, { force: true });
  symlinkSync(pkg, LINK);
  const restore = () => {
    try {
      unlinkSync(LINK);
    } catch {}
    symlinkSync("../../pkg", LINK);
  };
  return {
    env,
    restore,
    hash: createHash("sha256").update(readFileSync(join(pkg, "graph_mailbox_import_bg.wasm"))).digest("hex"),
    builtAt: statSync(WASM).mtime.toISOString().replace(/\.\d+Z$/, "Z"),
  };
}
