// Section 2: cold start. Fresh Node processes (import + instantiate + one trivial call), and fresh
// Miniflare instances running workerd (start to first response), for ours against the Graph JS client and
// the Kiota builds.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { build } from "esbuild";
import { Miniflare } from "miniflare";

import { BENCH, WASM, interleaved, log, ms, range, ratio, run, summary } from "../lib/util.mjs";

export const COLD_TARGETS = [
  { id: "none", label: "empty Node process (baseline)" },
  { id: "ours", label: "graph-mailbox-import (ours)" },
  { id: "graph-client", label: "@microsoft/microsoft-graph-client" },
  { id: "kiota-runtime", label: "Kiota runtime" },
  { id: "kiota-beta", label: "Kiota beta SDK" },
];

const CHILD = join(BENCH, "sections", "cold-node-child.mjs");
const consumerPath = (id) => (id === "none" ? "none" : join(BENCH, "consumers", `${id}.mjs`));

/** `runs` fresh Node processes per target, interleaved. */
export async function nodeColdStart(targets, runs) {
  const results = await interleaved(targets.map((t) => t.id), runs, async (id) => {
    const r = await run(process.execPath, [CHILD, consumerPath(id)]);
    if (r.code !== 0) throw new Error(`cold start of ${id} failed: ${r.stderr}`);
    const { loadMs, sinceOriginMs } = JSON.parse(r.stdout);
    return { loadMs, sinceOriginMs, wallMs: r.wallMs };
  });
  return targets.map((t) => ({
    ...t,
    load: summary(results[t.id].map((x) => x.loadMs)),
    ready: summary(results[t.id].map((x) => x.sinceOriginMs)),
    wall: summary(results[t.id].map((x) => x.wallMs)),
  }));
}

const WORKER = (consumer) =>
  consumer === "none"
    ? `export default { fetch() { return new Response("ok"); } };\n`
    : `import { coldStart } from ${JSON.stringify(consumerPath(consumer))};\n` +
      `export default { fetch() { return new Response(String(coldStart())); } };\n`;

async function bundleWorker(id, dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "entry.js"), WORKER(id));
  // As wrangler bundles: the workerd/worker conditions before browser, the .wasm left to the runtime.
  await build({
    entryPoints: [join(dir, "entry.js")],
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["*.wasm"],
    outfile: join(dir, "worker.js"),
    logLevel: "silent",
  });
  if (id === "ours") copyFileSync(WASM, join(dir, "graph_mailbox_import_bg.wasm"));
  return join(dir, "worker.js");
}

/** `runs` fresh Miniflare instances per target: new Miniflare() to the first response's body. */
export async function workerdColdStart(targets, runs, tmp) {
  const scripts = {};
  for (const t of targets) scripts[t.id] = await bundleWorker(t.id, join(tmp, `worker-${t.id}`));
  const results = await interleaved(targets.map((t) => t.id), runs, async (id) => {
    const t0 = performance.now();
    const mf = new Miniflare({
      modules: true,
      modulesRules: [
        { type: "ESModule", include: ["**/*.js"] },
        { type: "CompiledWasm", include: ["**/*.wasm"] },
      ],
      scriptPath: scripts[id],
      modulesRoot: join(tmp, `worker-${id}`),
      compatibilityDate: "2026-04-01",
    });
    try {
      await mf.ready;
      const t1 = performance.now();
      const response = await mf.dispatchFetch("http://worker.test/");
      const body = await response.text();
      const t2 = performance.now();
      if (response.status !== 200) throw new Error(`worker ${id} answered ${response.status}: ${body.slice(0, 300)}`);
      return { firstResponseMs: t2 - t0, afterReadyMs: t2 - t1 };
    } finally {
      await mf.dispose();
    }
  });
  return targets.map((t) => ({
    ...t,
    label: t.id === "none" ? "empty worker (baseline)" : t.label,
    first: summary(results[t.id].map((x) => x.firstResponseMs)),
    afterReady: summary(results[t.id].map((x) => x.afterReadyMs)),
  }));
}

export async function measureColdStart(tmp, { nodeRuns = 30, workerdRuns = 8 } = {}) {
  log("", `== 2. Cold start: Node, ${nodeRuns} fresh processes each (import + instantiate + one call)`);
  const node = await nodeColdStart(COLD_TARGETS, nodeRuns);
  const graph = node.find((r) => r.id === "graph-client");
  for (const r of node) {
    log(`node ${r.label}: import+call ${range(r.load)}${r.id === "none" ? "" : ` = ${ratio(r.load.median, graph.load.median)} the Graph JS client`}; ` +
      `ready since process start ${ms(r.ready.median)}; process wall ${range(r.wall)}`);
  }
  log(`== 2. Cold start: workerd via Miniflare, ${workerdRuns} fresh instances each (new Miniflare to first response)`);
  const workerd = await workerdColdStart(COLD_TARGETS, workerdRuns, tmp);
  const base = workerd.find((r) => r.id === "none");
  for (const r of workerd) {
    log(`workerd ${r.label}: first response ${range(r.first)} (${ratio(r.first.median, base.first.median)} the empty worker); dispatch after ready ${range(r.afterReady)}`);
  }
  return { node, workerd };
}
