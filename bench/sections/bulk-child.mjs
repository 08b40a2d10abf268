// Section 4, in a process of its own: MailboxClient.importItems against the mock tenant (its own process)
// with Exchange's limit of 4 concurrent posts per mailbox and a fixed latency; then the same over four
// mailboxes at once. Beside it, the best a hand-written client can do: a pool of exactly 4 fetch workers
// per mailbox posting pre-encoded items. Prints JSON.
import { randomFillSync } from "node:crypto";

import { MailboxClient } from "graph-mailbox-import";

import { mockClient as fetchSession } from "../consumers/fetch.mjs";
import { startMockProcess } from "../lib/mock-process.mjs";

const { count, latencyMs, limit, itemBytes, mailboxes: mailboxCount, warmup: warmupCount = 200 } = JSON.parse(process.argv[2]);
const mock = await startMockProcess({ importLatencyMs: latencyMs, importConcurrencyLimit: limit });

const folderId = "AAMkAGI2TAAA=";
let items = Array.from({ length: count }, () => ({ folderId, data: randomFillSync(new Uint8Array(itemBytes)) }));

async function ours(mailboxes) {
  const client = new MailboxClient({ token: "bench-token", graphBaseUrl: mock.graphUrl, trustedImportHosts: [mock.importHost] });
  try {
    const reports = await Promise.all(mailboxes.map((m) => client.importItems(m, items, { keepResults: false })));
    return reports.map((r) => ({ imported: r.imported, failed: r.failed, outcomeUnknown: r.outcomeUnknown }));
  } finally {
    client.free();
  }
}

/** A fetch pool: `limit` workers per mailbox, each taking the next item; a 429 is retried after 100 ms. */
async function pool(mailboxes) {
  const session = fetchSession({ token: "bench-token", graphUrl: mock.graphUrl });
  return Promise.all(
    mailboxes.map(async (mailbox) => {
      const { importUrl } = await session(mailbox);
      let next = 0;
      let imported = 0;
      let failed = 0;
      const worker = async () => {
        while (next < items.length) {
          const item = items[next++];
          const body = JSON.stringify({ FolderId: item.folderId, Mode: "create", Data: Buffer.from(item.data).toString("base64") });
          for (;;) {
            const response = await fetch(importUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
            await response.arrayBuffer();
            if (response.status === 429) {
              await new Promise((r) => setTimeout(r, 100));
              continue;
            }
            if (response.ok) imported += 1;
            else failed += 1;
            break;
          }
        }
      };
      await Promise.all(Array.from({ length: limit }, worker));
      return { imported, failed, outcomeUnknown: 0 };
    }),
  );
}

async function measure(label, impl, mailboxes) {
  await mock.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const reports = await impl(mailboxes);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const stats = await mock.stats();
  return {
    label,
    mailboxes: mailboxes.length,
    items: count * mailboxes.length,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    imported: reports.reduce((s, r) => s + r.imported, 0),
    failed: reports.reduce((s, r) => s + r.failed, 0),
    outcomeUnknown: reports.reduce((s, r) => s + r.outcomeUnknown, 0),
    refusedForConcurrency: mailboxes.reduce((s, m) => s + (stats.refusedForConcurrency[m] ?? 0), 0),
    importStatuses: stats.statuses.import,
    peakInFlight: Math.max(...mailboxes.map((m) => stats.maxInFlightByMailbox.import[m] ?? 0)),
    importRequests: stats.requests.import,
  };
}

/** Two runs of one implementation as one: counts and times added, the peak the larger. */
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

/** A short run of each implementation first, on mailboxes of its own, so neither is measured while the
 *  engine is still compiling `fetch` and its stream code (whichever ran first used to pay for both). */
async function warmUp() {
  const warm = items;
  items = warm.slice(0, warmupCount);
  try {
    await ours(["MBX:warm-ours@bench"]);
    await pool(["MBX:warm-pool@bench"]);
  } finally {
    items = warm;
  }
}

try {
  await warmUp();
  const one = ["MBX:bulk-1@bench"];
  const many = Array.from({ length: mailboxCount }, (_, i) => `MBX:bulk-${i + 1}@bench`);
  const results = [];
  // Each twice, in the order ours, pool, pool, ours: a run measured right after the other kind pays for part
  // of its switch (the warm-up does not remove it: 300 to 400 µs an item for whichever ran first), and this
  // order gives both kinds that cost once. Each figure is over both runs.
  for (const group of [one, many]) {
    const [oursA, poolA, poolB, oursB] = [
      await measure("ours", ours, group),
      await measure("pool", pool, group),
      await measure("pool", pool, group),
      await measure("ours", ours, group),
    ];
    results.push(combine(oursA, oursB), combine(poolA, poolB));
  }
  process.stdout.write(JSON.stringify(results));
} finally {
  await mock.close();
}
