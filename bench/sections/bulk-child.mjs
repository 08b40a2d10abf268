// Section 4, one kind of client in a process of its own: MailboxClient.importItems ("ours"), the best a
// hand-written client can do ("pool": exactly 4 fetch workers per mailbox, each encoding and posting the next
// item), or that pool with ours' safeguards on every post ("guarded", below), against the mock tenant (its
// own process) with Exchange's limit of 4 concurrent posts per mailbox and a fixed latency; one mailbox, then
// four at once. Prints JSON.
//
// With `network: "timer"` no request leaves the process: `fetch` is replaced by a timer that answers each
// post after the latency, as the mock would. What remains is each client's own work per item, without the
// network stack's or the mock's (which share the machine's cores): the part of the CPU a client can change.
//
// One kind per process, as a user runs one: in a process that has run both, `fetch` and its stream code
// have been compiled for both kinds' requests (ours sends a signal and `redirect: "manual"` and reads the
// body as text; the pool sends neither and reads bytes), and whichever kind runs there pays for the other's
// shapes: 300 to 400 µs an item more CPU for whichever ran after the other.
import { randomFillSync } from "node:crypto";

import { MailboxClient } from "graph-mailbox-import";

import { mockClient as fetchSession } from "../consumers/fetch.mjs";
import { startMockProcess } from "../lib/mock-process.mjs";

const { kind, count, latencyMs, limit, itemBytes, mailboxes: mailboxCount, warmup: warmupCount = 200, network = "mock" } = JSON.parse(process.argv[2]);
const mock = network === "timer" ? timerNetwork() : await startMockProcess({ importLatencyMs: latencyMs, importConcurrencyLimit: limit });

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

/** `fetch` answered in-process after the latency, with the mock's answers; the stats a run reads, counted. */
function timerNetwork() {
  const importHost = "127.0.0.1:9";
  const headers = { "content-type": "application/json", "request-id": "bench", "client-request-id": "bench" };
  let statuses = {};
  globalThis.fetch = async (url, init) => {
    if (String(url).endsWith("/createImportSession")) {
      const session = { importUrl: `http://${importHost}/importItem?authtoken=bench`, expirationDateTime: "2099-01-01T00:00:00Z" };
      return new Response(JSON.stringify(session), { status: 201, headers });
    }
    const body = init.body;
    await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const ok = typeof body === "string" && body.includes('"Data":"');
    const status = ok ? 200 : 400;
    statuses[status] = (statuses[status] ?? 0) + 1;
    return new Response(ok ? '{"ItemId":"AAMkAGI2TAAA=","ChangeKey":"CQAAABYAAAA="}' : '{"Message":"no data"}', { status, headers });
  };
  return {
    graphUrl: "http://127.0.0.1:9",
    importHost,
    reset: async () => void (statuses = {}),
    close: async () => {},
    stats: async () => ({ refusedForConcurrency: {}, statuses: { import: statuses }, maxInFlightByMailbox: { import: {} }, requests: { import: Object.values(statuses).reduce((a, b) => a + b, 0) } }),
  };
}

/** Ours' safeguards on one post, for the "guarded" pool: an AbortController per attempt that a 30 s timer
 *  aborts (ours' default timeout), `redirect: "manual"`, the four response headers ours reads, and the body
 *  read as text. What they cost is what a hand-written pool would pay to match ours on a hung post. */
const TIMEOUT_REASON = new Error("timed out");
async function guardedPost(url, init) {
  const controller = new AbortController();
  const timer = setTimeout(controller.abort.bind(controller, TIMEOUT_REASON), 30_000);
  try {
    const response = await fetch(url, { ...init, redirect: "manual", signal: controller.signal });
    for (const name of ["retry-after", "request-id", "client-request-id", "location"]) response.headers.get(name);
    await response.text();
    return response;
  } finally {
    clearTimeout(timer);
  }
}

async function plainPost(url, init) {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response;
}

/** A fetch pool: `limit` workers per mailbox, each taking the next item; a 429 is retried after 100 ms. */
async function pool(mailboxes, post = plainPost) {
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
            const response = await post(importUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
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

const impl = { ours, pool, guarded: (mailboxes) => pool(mailboxes, guardedPost) }[kind];
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
