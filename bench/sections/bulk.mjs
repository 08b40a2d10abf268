// Section 4: bulk import throughput against the mock with latency and Exchange's per-mailbox limit.
import { join } from "node:path";

import { BENCH, check, int, log, pct } from "../lib/util.mjs";

export async function measureBulk({ count = 2000, latencyMs = 50, limit = 4, itemBytes = 2048, mailboxes = 4, warmup = 200 } = {}) {
  const ceiling = limit / (latencyMs / 1000);
  log("", `== 4. Bulk import: 2 runs of ${int(count)} items of ${int(itemBytes)} B per mailbox (ours, pool, pool, ours), mock latency ${latencyMs} ms, limit ${limit} in flight per mailbox (ceiling ${ceiling}/s per mailbox)`);
  const runs = JSON.parse(await check(process.execPath, [join(BENCH, "sections", "bulk-child.mjs"), JSON.stringify({ count, latencyMs, limit, itemBytes, mailboxes, warmup })]));
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
