// The example Worker (examples/cloudflare-worker) for the demo's Jobs view: wrangler's dry-run bundle of its
// app-only environment, run in workerd through Miniflare in this process, against the demo's mock tenant.
//
// Why Miniflare in-process rather than `wrangler dev`: it is what the Worker's own tests run (the same bundle,
// the same Durable Objects), it starts in about a second with nothing but loopback, and it stops with the demo
// (no child process group to clean up). The bundle is what `wrangler deploy --dry-run` uploads; it is built
// once and kept in target/demo-worker/ until the Worker's sources or the package change.
//
// Sign-in: jobs routes take a portal user's Entra ID access token for the Worker's own API. The Worker checks
// it against the mock's published keys (JWKS on loopback) with the issuer, tenant and audience Microsoft's
// tokens carry; the demo server hands the page tokens minted by the mock (GET /jobs-token).
//
// Needs the example's dependencies (npm --prefix examples/cloudflare-worker ci: wrangler, jose) and the root's
// miniflare. Without them startDemoWorker resolves { error } and the page says the Jobs view is unavailable.

import { spawn } from "node:child_process";
import { randomBytes, createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLE_DIR = join(ROOT, "examples", "cloudflare-worker");
const WRANGLER = join(EXAMPLE_DIR, "node_modules", "wrangler", "bin", "wrangler.js");
const CACHE_DIR = join(ROOT, "target", "demo-worker");

/** The app the Worker signs in as (client credentials) at the mock's login server. */
const DEMO_APP_CLIENT_ID = "5d3c0a11-0000-4000-8000-00000000de70";

/** Keeps the Worker's log lines (one JSON line per request) to say why, should it fail to start. */
const KEPT_LOG_LINES = 40;

/** The app the mock tenant must accept: startMockTenant({ apps: { [app.clientId]: app.clientSecret } }). */
export function demoWorkerApp() {
  return { clientId: DEMO_APP_CLIENT_ID, clientSecret: `Demo~${randomBytes(24).toString("base64url")}` };
}

/** Every file under `dir` (recursively), skipping node_modules. */
async function filesUnder(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/**
 * A digest of what goes into the bundle: the Worker's sources and settings, its lock file, and the package's
 * files (pkg/, which the example depends on as file:../../pkg).
 */
async function bundleInputsDigest() {
  const files = [
    ...(await filesUnder(join(EXAMPLE_DIR, "src"))),
    join(EXAMPLE_DIR, "wrangler.toml"),
    join(EXAMPLE_DIR, "package-lock.json"),
    ...(await readdir(join(ROOT, "pkg"), { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(ROOT, "pkg", e.name)),
  ].sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(relative(ROOT, file)).update("\0");
    hash.update(await readFile(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

function runWrangler(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: EXAMPLE_DIR,
      env: {
        ...process.env,
        CI: "true",
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        WRANGLER_LOG_PATH: join(CACHE_DIR, "logs"),
        NO_COLOR: "1",
        FORCE_COLOR: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`wrangler exited with ${code}:\n${output.slice(-2000)}`))));
  });
}

/**
 * The directory of the app-only bundle (worker.js and the wasm), built with wrangler's dry run when the
 * inputs changed since the last build.
 */
export async function demoWorkerBundle() {
  const digest = await bundleInputsDigest();
  const dir = join(CACHE_DIR, digest);
  if (existsSync(join(dir, "worker.js"))) return dir;
  await mkdir(CACHE_DIR, { recursive: true });
  const building = join(CACHE_DIR, `building-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await runWrangler(["deploy", "--dry-run", "--env", "app-only", "--outdir", building]);
    try {
      await rename(building, dir);
    } catch (err) {
      // Another demo (test files start theirs in parallel) finished the same build first: as good as ours.
      if (!existsSync(join(dir, "worker.js"))) throw err;
    }
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  // Older bundles are of no further use.
  for (const name of await readdir(CACHE_DIR)) {
    if (name !== digest && name !== "logs" && !name.startsWith("building-")) {
      await rm(join(CACHE_DIR, name), { recursive: true, force: true });
    }
  }
  return dir;
}

/** Why the Worker cannot run here, or null. */
async function missingPrerequisite() {
  if (!existsSync(WRANGLER)) return "the Worker example's dependencies are not installed (npm --prefix examples/cloudflare-worker ci)";
  try {
    await import("miniflare");
  } catch {
    return "miniflare is not installed (npm ci)";
  }
  return null;
}

/**
 * Starts the example Worker in app-only mode against `tenant` (startMockTenant's answer, whose login server
 * knows `app`), listening on `host` (a free port), accepting browser calls from `allowedOrigins` and portal
 * tokens the mock mints. Resolves { url, audience, close() } or, when it cannot run here, { error }.
 */
export async function startDemoWorker({ tenant, app, host, allowedOrigins }) {
  const missing = await missingPrerequisite();
  if (missing) return { error: missing };
  const [{ Miniflare }, dist] = await Promise.all([import("miniflare"), demoWorkerBundle()]);
  const toml = await readFile(join(EXAMPLE_DIR, "wrangler.toml"), "utf8");
  const compatibilityDate = /^compatibility_date = "([^"]+)"/m.exec(toml)?.[1];
  const { entraTenantId, apiAudience } = tenant.state.config;

  const logLines = [];
  const miniflare = new Miniflare({
    host,
    port: 0,
    modules: true,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    scriptPath: join(dist, "worker.js"),
    modulesRoot: dist,
    compatibilityDate,
    durableObjects: {
      MAILBOX_JOBS: { className: "MailboxJobs", useSQLite: true },
      JOB_DIRECTORY: { className: "JobDirectory", useSQLite: true },
    },
    bindings: {
      TOKEN_MODE: "app-only",
      ALLOWED_ORIGINS: allowedOrigins.join(" "),
      GRAPH_BASE_URL: tenant.graphUrl,
      TRUSTED_IMPORT_HOSTS: `${host}:${tenant.importPort}`,
      ENTRA_TENANT_ID: entraTenantId,
      ENTRA_CLIENT_ID: app.clientId,
      ENTRA_CLIENT_SECRET: app.clientSecret,
      ENTRA_AUTHORITY_HOST: tenant.loginUrl,
      // The key mode is for servers; nobody here uses it, but app-only mode requires one.
      RELAY_API_KEY: randomBytes(32).toString("base64"),
      PORTAL_TENANT_ID: entraTenantId,
      PORTAL_AUDIENCE: apiAudience,
      // The issuer stays Microsoft's (the mock's tokens carry it); only the keys come from loopback.
      PORTAL_JWKS_URL: tenant.jwksUri,
      // The page waits for the demo's throttling faults rather than hours: a short Retry-After is waited out.
      MAX_RETRY_DELAY_MS: "2000",
    },
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        stream.setEncoding("utf8");
        stream.on("data", (chunk) => {
          logLines.push(...String(chunk).split("\n").filter(Boolean));
          if (logLines.length > KEPT_LOG_LINES) logLines.splice(0, logLines.length - KEPT_LOG_LINES);
        });
      }
    },
  });
  let url;
  try {
    url = await miniflare.ready;
  } catch (err) {
    await miniflare.dispose().catch(() => {});
    throw new Error(`the example Worker did not start (${err.message}); its last lines:\n${logLines.join("\n")}`);
  }
  let closing = null;
  return {
    url: url.origin,
    audience: apiAudience,
    close: () => (closing ??= miniflare.dispose()),
  };
}
