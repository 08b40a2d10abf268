// Helpers of the Worker example's tests: building it with its own wrangler (the deployable bundle), and
// running wrangler with nothing sent to Cloudflare.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const EXAMPLE_DIR = join(ROOT, "examples", "cloudflare-worker");
export const WRANGLER = join(EXAMPLE_DIR, "node_modules", "wrangler", "bin", "wrangler.js");

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `gmi-worker-${label}-`));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Fails early, with what to run, when the package or the example's dependencies are missing. */
export function checkPrerequisites() {
  if (!existsSync(join(ROOT, "pkg", "graph_mailbox_import_bg.wasm"))) {
    throw new Error("pkg/ has no wasm: run ./scripts/build.sh first");
  }
  if (!existsSync(WRANGLER)) {
    throw new Error("the example's dependencies are missing: run npm --prefix examples/cloudflare-worker ci");
  }
}

/** The environment wrangler runs in here: no telemetry, no prompts, no colours, logs in a temporary dir. */
export function wranglerEnv(extra = {}) {
  return {
    ...process.env,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_LOG_PATH: tempDir("wrangler-logs"),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
}

/** Runs wrangler in the example's directory; resolves {status, stdout, stderr}. */
export function runWrangler(args, { timeoutMs = 120_000 } = {}) {
  const result = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: EXAMPLE_DIR,
    env: wranglerEnv(),
    encoding: "utf8",
    timeout: timeoutMs,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts wrangler in the background (e.g. `dev`); the caller stops it with stop(). */
export function startWrangler(args) {
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: EXAMPLE_DIR,
    env: wranglerEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stopping it also stops the workerd it starts.
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => output,
    /** Resolves when `pattern` appears in the output; rejects on exit or after timeoutMs. */
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}; output:\n${output}`)), timeoutMs);
        const check = () => {
          const m = pattern.exec(output);
          if (m) done(null, m);
        };
        const onExit = () => done(new Error(`wrangler exited; output:\n${output}`));
        function done(err, m) {
          clearTimeout(timer);
          child.stdout.off("data", check);
          child.stderr.off("data", check);
          child.off("exit", onExit);
          if (err) reject(err);
          else resolve(m);
        }
        child.stdout.on("data", check);
        child.stderr.on("data", check);
        child.once("exit", onExit);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      // Whatever wrangler left of its group (its workerd) goes too.
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // nothing left
      }
    },
  };
}

/** A port that was free a moment ago. */
export async function freePort() {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
