// Section 4: bulk import throughput against the mock with latency and Exchange's per-mailbox limit.
import { join } from "node:path";

import { BENCH, check, int, log, pct } from "../lib/util.mjs";

/** Two runs of one kind as one: counts and times added, the peak the larger. */
function combine(a, b) {
  const statuses = { ...a.importStatuses };
  for (const [status, n] of Object.entries(b.importStatuses)) statuses[status] = (statuses[status] ?? 0) + n;
  return {
    ...a,
    items: a.items + b.items,
    wallMs: a.wallMs + b.wallMs,
    cpuMs: a.cpuMs + b.cpuMs,
    imported: a.imported + b.imported,
    failed: a.failed + b.failed,
    outcomeUnknown: a.outcomeUnknown + b.outcomeUnknown,
    refusedForConcurrency: a.refusedForConcurrency + b.refusedForConcurrency,
    importStatuses: statuses,
    peakInFlight: Math.max(a.peakInFlight, b.peakInFlight),
    importRequests: a.importRequests + b.importRequests,
  };
}

/** The kinds of client compared (bulk-child.mjs describes each), each run twice in fresh processes in the
 *  order ours, pool, guarded, guarded, pool, ours, so a drift of the machine's speed weighs on all alike. */
const KINDS = ["ours", "pool", "guarded"];
const ORDER = [...KINDS, ...[...KINDS].reverse()];

/** Each kind's name in the log, in BENCHMARKS.md's tables and on the chart. */
export const KIND_NAMES = {
  ours: { log: "ours (MailboxClient.importItems)", table: "**ours (importItems)**", chart: "ours" },
  pool: { log: "fetch pool of 4 per mailbox", table: "fetch pool", chart: "fetch pool" },
  guarded: { log: "fetch pool with ours' safeguards", table: "fetch pool with ours' safeguards", chart: "pool + safeguards" },
};

/** The row of `kind` with `mailboxes` mailboxes among a section's rows. */
export const bulkRow = (rows, kind, mailboxes) => rows.find((r) => r.label === kind && r.mailboxes === mailboxes);

export async function measureBulk({ count = 2000, latencyMs = 50, limit = 4, itemBytes = 2048, mailboxes = 4, warmup = 200, clientOnlyCount = count / 2 } = {}) {
  const ceiling = limit / (latencyMs / 1000);
  const child = async (kind, network, n) =>
    JSON.parse(await check(process.execPath, [join(BENCH, "sections", "bulk-child.mjs"), JSON.stringify({ kind, count: n, latencyMs, limit, itemBytes, mailboxes, warmup, network })]));
  // Each row is over a kind's two runs.
  const series = async (network, n) => {
    const done = {};
    for (const kind of ORDER) (done[kind] ??= []).push(await child(kind, network, n));
    const rows = [0, 1].flatMap((group) => KINDS.map((kind) => combine(done[kind][0][group], done[kind][1][group])));
    for (const r of rows) r.cpuUsPerItem = (r.cpuMs * 1000) / r.items;
    return rows;
  };

  log("", `== 4. Bulk import: 2 runs of ${int(count)} items of ${int(itemBytes)} B per mailbox per kind (${ORDER.join(", ")}), mock latency ${latencyMs} ms, limit ${limit} in flight per mailbox (ceiling ${ceiling}/s per mailbox)`);
  const runs = await series("mock", count);
  for (const r of runs) {
    r.ceiling = ceiling * r.mailboxes;
    r.itemsPerSecond = r.items / (r.wallMs / 1000);
    r.ofCeiling = r.itemsPerSecond / r.ceiling;
    r.status429 = r.importStatuses["429"] ?? 0;
    log(`${KIND_NAMES[r.label].log}, ${r.mailboxes} mailbox(es): ${int(r.items)} items in ${(r.wallMs / 1000).toFixed(2)} s = ` +
      `${r.itemsPerSecond.toFixed(1)} items/s = ${pct(r.ofCeiling)} of ${r.ceiling}/s; 429s ${r.status429} (refused for concurrency ${r.refusedForConcurrency}); ` +
      `peak in flight ${r.peakInFlight}; imported ${r.imported}, failed ${r.failed}, unknown ${r.outcomeUnknown}; client CPU ${r.cpuUsPerItem.toFixed(0)} µs/item; statuses ${JSON.stringify(r.importStatuses)}`);
  }

  log("", `== 4b. The client's own work: the same, ${int(clientOnlyCount)} items per mailbox, fetch answered by a timer after ${latencyMs} ms in the client's process`);
  const clientOnly = await series("timer", clientOnlyCount);
  for (const r of clientOnly) {
    log(`${KIND_NAMES[r.label].log}, ${r.mailboxes} mailbox(es): client CPU ${r.cpuUsPerItem.toFixed(0)} µs/item; imported ${r.imported}, failed ${r.failed}`);
  }
  return { runs, clientOnly, clientOnlyCount, count, latencyMs, limit, itemBytes, ceiling, warmup };
}
