// Section 6: migration jobs on the example Worker (its app-only bundle in workerd through Miniflare): items per
// second with 1, 4 and 16 target mailboxes, one job and one Durable Object each, at the mock's import latency,
// against the ceiling of 4 posts in flight per mailbox (4 / latency per mailbox), with the Free plan's chunk
// (JOB_ITEMS_PER_CHUNK 20, a fresh copyFolders from the stored state every 20 items) and a Paid one (500).
import { int, log, pct } from "../lib/util.mjs";

const FINISHED = new Set(["done", "failed", "cancelled"]);

export async function measureJobs({ itemsPerMailbox = 200, latencyMs = 50, limit = 4, mailboxCounts = [1, 4, 16], chunks = [20, 500] } = {}) {
  const { startMockTenant } = await import("../../tests/mock/server.mjs");
  const { buildAppOnly, itemData, MOCK_APPS, packageHasCopyFolders, startJobsWorker } = await import("../../tests/worker/jobs-support.mjs");
  const { tempDir } = await import("../../tests/worker/support.mjs");
  const perMailboxCeiling = limit / (latencyMs / 1000);
  log("", `== 6. Migration jobs (example Worker, a Durable Object per target mailbox): ${int(itemsPerMailbox)} items per mailbox, ` +
    `mock latency ${latencyMs} ms, ceiling ${perMailboxCeiling}/s per mailbox`);
  if (!(await packageHasCopyFolders())) {
    log("skipped: the package has no copyFolders");
    return { skipped: true };
  }
  const dist = buildAppOnly();
  const runs = [];
  for (const itemsPerChunk of chunks) {
    for (const mailboxes of mailboxCounts) {
      const mock = await startMockTenant({ apps: MOCK_APPS, pageSize: 100, recordBodies: false, storeItemData: false });
      const tenant = "c0c0c0c0-0000-4000-8000-00000000c0de";
      const source = `MBX:bench-source@${tenant}`;
      const folders = [];
      const items = [];
      const targets = [];
      for (let m = 0; m < mailboxes; m++) {
        const folderId = `AAMkADbenchF${m}AAA=`;
        folders.push({ id: folderId, displayName: `Bench ${m}` });
        for (let i = 0; i < itemsPerMailbox; i++) items.push({ folderId, data: itemData(512) });
        targets.push(`MBX:bench-target-${m}@${tenant}`);
      }
      mock.state.seed({ mailboxes: { [source]: { folders }, ...Object.fromEntries(targets.map((t) => [t, { folders: [] }])) }, items });
      mock.state.setConfig({ importLatencyMs: latencyMs });
      const worker = await startJobsWorker({ dist, mock, persistDir: tempDir("bench-jobs"), vars: { JOB_ITEMS_PER_CHUNK: String(itemsPerChunk), JOB_CHUNK_MS: "60000" } });
      try {
        const started = performance.now();
        const ids = [];
        for (let m = 0; m < mailboxes; m++) {
          const r = await worker.call(0, "/jobs", { method: "POST", body: { source: { mailboxId: source, folderId: folders[m].id }, target: { mailboxId: targets[m] } } });
          if (r.status !== 202) throw new Error(`POST /jobs: ${r.status} ${r.text}`);
          ids.push(r.body.id);
        }
        let jobs;
        for (;;) {
          jobs = (await worker.call(0, `/jobs?limit=100`)).body.jobs;
          if (jobs.length === ids.length && jobs.every((j) => FINISHED.has(j.status))) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const wallMs = performance.now() - started;
        const imported = jobs.reduce((s, j) => s + j.imported, 0);
        const { stats } = mock.state;
        const run = {
          mailboxes,
          itemsPerChunk,
          items: imported,
          wallMs,
          itemsPerSecond: imported / (wallMs / 1000),
          ceiling: perMailboxCeiling * mailboxes,
          failed: jobs.reduce((s, j) => s + j.failed + j.outcomeUnknown, 0),
          refusedForConcurrency: Object.values(stats.refusedForConcurrency).reduce((s, n) => s + n, 0),
          peakInFlightPerMailbox: Math.max(...Object.values(stats.maxInFlightByMailbox.import)),
          graphRequests: stats.requests.graph,
          importRequests: stats.requests.import,
        };
        run.ofCeiling = run.itemsPerSecond / run.ceiling;
        run.graphRequestsPerItem = run.graphRequests / Math.max(1, imported);
        runs.push(run);
        log(`chunk ${itemsPerChunk}, ${mailboxes} mailbox(es): ${int(imported)} items in ${(wallMs / 1000).toFixed(2)} s = ` +
          `${run.itemsPerSecond.toFixed(1)} items/s = ${pct(run.ofCeiling)} of ${run.ceiling}/s; peak ${run.peakInFlightPerMailbox} in flight per mailbox, ` +
          `refused ${run.refusedForConcurrency}; Graph requests ${int(run.graphRequests)} (${run.graphRequestsPerItem.toFixed(2)} per item), failed/unknown ${run.failed}`);
      } finally {
        await worker.dispose();
        await mock.close();
      }
    }
  }
  return { runs, itemsPerMailbox, latencyMs, limit, perMailboxCeiling };
}

/** The section of BENCHMARKS.md. */
export function jobsSection({ runs, itemsPerMailbox, latencyMs, limit, perMailboxCeiling }) {
  const rows = runs.map((r) => `| ${r.itemsPerChunk} | ${r.mailboxes} | ${int(r.items)} | ${(r.wallMs / 1000).toFixed(2)} | ${r.itemsPerSecond.toFixed(1)} | ` +
    `${pct(r.ofCeiling)} of ${r.ceiling}/s | ${r.peakInFlightPerMailbox} | ${r.refusedForConcurrency} | ${r.graphRequestsPerItem.toFixed(2)} | ${r.failed} |`);
  return [
    "## 6. Migration jobs",
    "",
    `The example Worker's jobs (examples/cloudflare-worker, its app-only bundle in workerd through Miniflare): one job per target`,
    `mailbox, ${int(itemsPerMailbox)} items each, copied by the mailbox's Durable Object in alarm chunks of \`JOB_ITEMS_PER_CHUNK\` items`,
    `(20: the Free plan's 50 subrequests per invocation; 500: a Paid setting). The mock answers each import post after ${latencyMs} ms`,
    `and refuses a post over ${limit} in flight per mailbox; ceiling ${limit} / ${latencyMs} ms = ${perMailboxCeiling} items/s per mailbox.`,
    "Time from the first POST /jobs to every job done (polled every 50 ms); all objects share one local workerd process here.",
    "",
    "| chunk | mailboxes | items | seconds | items/s | of ceiling | peak in flight | refused | Graph requests per item | failed / unknown |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
