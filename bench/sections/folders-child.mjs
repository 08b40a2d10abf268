// Section 7 (throughput), in a process of its own: MailboxClient.copyFolders copies a whole mailbox (3 levels,
// 12 folders, 3 of them well-known) into another mailbox against the mock tenant (its own process) answering
// each import post after a fixed latency, refusing a post over the limit in flight per mailbox; then the same
// items through copyItems into one folder of a third mailbox, as the baseline of the same run. Prints JSON.
import { MailboxClient } from "graph-mailbox-import";

import { startMockProcess } from "../lib/mock-process.mjs";
import { tenantOf } from "./folders-tenant.mjs";

const { count, latencyMs, graphLatencyMs = 0, limit, itemBytes, warmup } = JSON.parse(process.argv[2]);
// The client asks for delta pages of 100 (Prefer: odata.maxpagesize=100); the mock serves up to that.
const mock = await startMockProcess({ importLatencyMs: 0, graphLatencyMs: 0, importConcurrencyLimit: limit, pageSize: 100 });

const { mailbox, seed } = tenantOf(mock);

const client = new MailboxClient({ token: "bench-token", graphBaseUrl: mock.graphUrl, trustedImportHosts: [mock.importHost] });

async function copyFolders(source, target) {
  const states = { count: 0, ms: 0, lastBytes: 0 };
  const report = await client.copyFolders({ mailboxId: source }, { mailboxId: target }, {
    keepResults: false,
    onState: (state) => {
      const t0 = performance.now();
      states.count += 1;
      states.lastBytes = JSON.stringify(state).length;
      states.ms += performance.now() - t0;
    },
  });
  return { imported: report.imported, failed: report.failed, outcomeUnknown: report.outcomeUnknown, folders: report.folders, states };
}

async function copyItems(source, itemIds, target, folderId) {
  const report = await client.copyItems({ mailboxId: source, itemIds }, { mailboxId: target, folderId }, { keepResults: false });
  return { imported: report.imported, failed: report.failed, outcomeUnknown: report.outcomeUnknown };
}

async function measure(label, target, run, source) {
  const before = await mock.stats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await run();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = await mock.stats();
  const delta = (f) => (f(after) ?? 0) - (f(before) ?? 0);
  return {
    label,
    items: count,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...report,
    peakInFlight: after.maxInFlightByMailbox.import[target] ?? 0,
    refusedForConcurrency: after.refusedForConcurrency[target] ?? 0,
    importRequests: delta((s) => s.requestsByMailbox.import[target]),
    graphRequests: delta((s) => s.requestsByMailbox.graph[source]) + delta((s) => s.requestsByMailbox.graph[target]),
  };
}

try {
  // Warm-up on mailboxes of their own, so neither call is measured while the engine still compiles.
  const warm = await seed("warm", warmup, ["warm-folders", "warm-items"], itemBytes);
  await copyFolders(warm.source, mailbox("warm-folders"));
  await copyItems(warm.source, warm.itemIds, mailbox("warm-items"), warm.copiedFolder["warm-items"]);

  const main = await seed("main", count, ["folders-target", "items-target"], itemBytes);
  await mock.setConfig({ importLatencyMs: latencyMs, graphLatencyMs });
  const results = [];
  results.push({ ...(await measure("copyFolders", mailbox("folders-target"), () => copyFolders(main.source, mailbox("folders-target")), main.source)), folderCount: main.folders });
  results.push(await measure("copyItems", mailbox("items-target"), () => copyItems(main.source, main.itemIds, mailbox("items-target"), main.copiedFolder["items-target"]), main.source));
  process.stdout.write(JSON.stringify(results));
} finally {
  client.free();
  await mock.close();
}
