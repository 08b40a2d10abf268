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

export async function measureBulk({ count = 2000, latencyMs = 50, limit = 4, itemBytes = 2048, mailboxes = 4, warmup = 200 } = {}) {
  const ceiling = limit / (latencyMs / 1000);
  log("", `== 4. Bulk import: 2 runs of ${int(count)} items of ${int(itemBytes)} B per mailbox (ours, pool, pool, ours), mock latency ${latencyMs} ms, limit ${limit} in flight per mailbox (ceiling ${ceiling}/s per mailbox)`);
  // Each kind twice, each time in a fresh process (bulk-child.mjs says why), in the order ours, pool, pool,
  // ours, so a drift of the machine's speed during the section weighs on both alike; each row is over both.
  const child = async (kind) =>
    JSON.parse(await check(process.execPath, [join(BENCH, "sections", "bulk-child.mjs"), JSON.stringify({ kind, count, latencyMs, limit, itemBytes, mailboxes, warmup })]));
  const [oursA, poolA, poolB, oursB] = [await child("ours"), await child("pool"), await child("pool"), await child("ours")];
  const runs = [0, 1].flatMap((group) => [combine(oursA[group], oursB[group]), combine(poolA[group], poolB[group])]);
  for (const r of runs) {
    r.ceiling = ceiling * r.mailboxes;
    r.itemsPerSecond = r.items / (r.wallMs / 1000);
    r.ofCeiling = r.itemsPerSecond / r.ceiling;
    r.cpuUsPerItem = (r.cpuMs * 1000) / r.items;
    r.status429 = r.importStatuses["429"] ?? 0;
    log(`${r.label === "ours" ? "ours (MailboxClient.importItems)" : "fetch pool of 4 per mailbox"}, ${r.mailboxes} mailbox(es): ${int(r.items)} items in ${(r.wallMs / 1000).toFixed(2)} s = ` +
      `${r.itemsPerSecond.toFixed(1)} items/s = ${pct(r.ofCeiling)} of ${r.ceiling}/s; 429s ${r.status429} (refused for concurrency ${r.refusedForConcurrency}); ` +
      `peak in flight ${r.peakInFlight}; imported ${r.imported}, failed ${r.failed}, unknown ${r.outcomeUnknown}; client CPU ${r.cpuUsPerItem.toFixed(0)} µs/item; statuses ${JSON.stringify(r.importStatuses)}`);
  }
  return { runs, count, latencyMs, limit, itemBytes, ceiling, warmup };
}
