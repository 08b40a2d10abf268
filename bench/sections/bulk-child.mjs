// Section 4, one kind of client in a process of its own: MailboxClient.importItems ("ours"), or the best a
// hand-written client can do ("pool": exactly 4 fetch workers per mailbox posting pre-encoded items), against
// the mock tenant (its own process) with Exchange's limit of 4 concurrent posts per mailbox and a fixed
// latency; one mailbox, then four at once. Prints JSON.
//
// One kind per process, as a user runs one: in a process that has run both, `fetch` and its stream code
// have been compiled for both kinds' requests (ours sends a signal and `redirect: "manual"` and reads the
// body as text; the pool sends neither and reads bytes), and whichever kind runs there pays for the other's
// shapes: 300 to 400 µs an item more CPU for whichever ran after the other.
import { randomFillSync } from "node:crypto";

import { MailboxClient } from "graph-mailbox-import";

import { mockClient as fetchSession } from "../consumers/fetch.mjs";
import { startMockProcess } from "../lib/mock-process.mjs";

const { kind, count, latencyMs, limit, itemBytes, mailboxes: mailboxCount, warmup: warmupCount = 200 } = JSON.parse(process.argv[2]);
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

/** A short run first, into a mailbox of its own, so the engine has compiled `fetch`, its stream code and
 *  ours before anything is measured. */
async function warmUp(impl) {
  const all = items;
  items = all.slice(0, warmupCount);
  try {
    await impl(["MBX:warm@bench"]);
  } finally {
    items = all;
  }
}

const impl = { ours, pool }[kind];
try {
  await warmUp(impl);
  const one = ["MBX:bulk-1@bench"];
  const many = Array.from({ length: mailboxCount }, (_, i) => `MBX:bulk-${i + 1}@bench`);
  const results = [];
  for (const group of [one, many]) results.push(await measure(kind, impl, group));
  process.stdout.write(JSON.stringify(results));
} finally {
  await mock.close();
}
