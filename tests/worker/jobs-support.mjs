// Running the example Worker's migration jobs in Miniflare against the mock tenant: the app-only bundle built
// by wrangler, one or more Worker instances sharing the Durable Objects, storage persisted on disk so a
// "restart" (dispose, then a new Miniflare on the same directory) finds it, and helpers to seed source trees
// and follow jobs. Shared by tests/worker/jobs.test.mjs and bench/sections/jobs.mjs.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { Miniflare } from "miniflare";

import { EXAMPLE_DIR, ROOT, runWrangler, tempDir } from "./support.mjs";

export const CLIENT_ID = "7d3c0a11-5e5e-4c4c-9b9b-0123456789ab";
export const CLIENT_SECRET = `Xy8Q~${randomBytes(24).toString("base64url")}`;
export const API_KEY = randomBytes(32).toString("base64");
const COMPATIBILITY_DATE = /^compatibility_date = "([^"]+)"/m.exec(readFileSync(join(EXAMPLE_DIR, "wrangler.toml"), "utf8"))[1];

/** Whether the built package has copyFolders (the jobs run on it). */
export async function packageHasCopyFolders() {
  const { MailboxClient } = await import(join(ROOT, "pkg", "node.js"));
  return typeof MailboxClient.prototype.copyFolders === "function";
}

/** wrangler deploy --dry-run of the app-only environment (the one with the Durable Objects): its dir. */
export function buildAppOnly() {
  const dir = tempDir("jobs-dist");
  const run = runWrangler(["deploy", "--dry-run", "--env", "app-only", "--outdir", dir]);
  assert.equal(run.status, 0, `wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
  return dir;
}

/** The mock tenant's options for the apps the Worker uses. */
export const MOCK_APPS = { [CLIENT_ID]: CLIENT_SECRET };

/**
 * Starts Miniflare with `instances` Worker instances ("w0", "w1", ...) of the bundle in `dist`; the first
 * defines the Durable Objects, the others bind to them, as every instance of one deployed Worker does.
 * `persistDir` keeps their storage on disk across restarts. Returns { miniflare, call, logLines, dispose }.
 */
export async function startJobsWorker({ dist, mock, persistDir, instances = 1, vars = {} }) {
  const logLines = [];
  const bindings = {
    TOKEN_MODE: "app-only",
    ALLOWED_ORIGINS: "https://portal.contoso.test",
    GRAPH_BASE_URL: mock.graphUrl,
    TRUSTED_IMPORT_HOSTS: `127.0.0.1:${mock.importPort}`,
    ENTRA_TENANT_ID: "contoso.onmicrosoft.com",
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
    ENTRA_AUTHORITY_HOST: mock.loginUrl,
    RELAY_API_KEY: API_KEY,
    MAX_RETRY_DELAY_MS: "2000",
    ...vars,
  };
  const workers = [];
  for (let i = 0; i < instances; i++) {
    const name = `w${i}`;
    const objects = (className) => (i === 0 ? { className, useSQLite: true } : { className, scriptName: "w0", useSQLite: true });
    workers.push({
      name,
      modules: true,
      modulesRules: [
        { type: "ESModule", include: ["**/*.js"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
      scriptPath: join(dist, "worker.js"),
      modulesRoot: dist,
      compatibilityDate: COMPATIBILITY_DATE,
      routes: [`${name}.relay.test/*`],
      bindings,
      durableObjects: { MAILBOX_JOBS: objects("MailboxJobs"), JOB_DIRECTORY: objects("JobDirectory") },
    });
  }
  const miniflare = new Miniflare({
    workers,
    durableObjectsPersist: persistDir,
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) createInterface({ input: stream }).on("line", (line) => logLines.push(line));
    },
  });
  await miniflare.ready;
  /** Calls instance `i` with the relay key; resolves { status, body, text }. */
  const call = async (i, path, { method = "GET", body } = {}) => {
    const headers = { "x-api-key": API_KEY };
    const init = { method, headers };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const r = await miniflare.dispatchFetch(`http://w${i}.relay.test${path}`, init);
    const text = await r.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // left null: the caller asserts on the status
    }
    return { status: r.status, body: parsed, text };
  };
  return { miniflare, call, logLines, dispose: () => miniflare.dispose() };
}

const FINISHED = new Set(["done", "failed", "cancelled"]);

/**
 * Polls GET /jobs/{id} until the job has finished; `onProgress(job)` sees every answer. Resolves the job.
 * `worker` may be swapped by the caller between polls (restarts): it is read through `getWorker()`.
 */
export async function waitForJob(getWorker, id, { timeoutMs = 120_000, intervalMs = 100, onProgress } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getWorker().call(0, `/jobs/${id}`);
    assert.equal(r.status, 200, r.text);
    onProgress?.(r.body);
    if (FINISHED.has(r.body.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${r.body.status} after ${timeoutMs} ms: ${r.text}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Distinct item data (standard base64 of `bytes` random bytes). */
export function itemData(bytes = 240) {
  return randomBytes(bytes).toString("base64");
}

/**
 * A seed spec for a source mailbox `mailboxId` whose folders form a chain `levels` deep under the top level
 * (Level 1 > Level 2 > ...), with `counts[i]` items in level i. Returns { spec, folderIds }.
 */
export function chainSeed(mailboxId, prefix, counts) {
  const folders = [];
  const items = [];
  const folderIds = [];
  counts.forEach((count, level) => {
    const id = `AAMkAD${prefix}L${level + 1}AAA=`;
    folderIds.push(id);
    folders.push({ id, displayName: `${prefix} level ${level + 1}`, ...(level ? { parentFolderId: folderIds[level - 1] } : {}) });
    for (let i = 0; i < count; i++) items.push({ folderId: id, data: itemData() });
  });
  return { spec: { mailboxes: { [mailboxId]: { folders } }, items }, folderIds };
}

/** Import posts the mock received for `mailbox` (accepted and refused), with their arrival times. */
export function importPosts(mock, mailbox) {
  return mock.state.requests.filter((r) => r.server === "import" && r.mailbox === mailbox);
}
