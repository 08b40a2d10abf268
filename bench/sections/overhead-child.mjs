// Section 3, run in a process of its own (so the peers' modules stay out of the other sections):
// sequential createImportSession calls against the mock tenant (a separate process, no added latency),
// every implementation in the same process, interleaved in rounds. Prints JSON.
import { startMockProcess } from "../lib/mock-process.mjs";

const { ids, calls, rounds, warmup } = JSON.parse(process.argv[2]);
const mock = await startMockProcess();
try {
  const clients = {};
  for (const id of ids) {
    const consumer = await import(`../consumers/${id}.mjs`);
    clients[id] = consumer.mockClient({ token: "bench-token", graphUrl: mock.graphUrl, importHost: mock.importHost });
  }
  const mailbox = "MBX:e0643f21@a7809c93";
  for (const id of ids) {
    for (let i = 0; i < warmup; i += 1) {
      const s = await clients[id](mailbox);
      if (!s.importUrl.startsWith(mock.importUrlBase)) throw new Error(`${id} returned ${JSON.stringify(s)}`);
    }
  }
  const perRound = Math.ceil(calls / rounds);
  const results = Object.fromEntries(ids.map((id) => [id, []]));
  for (let r = 0; r < rounds; r += 1) {
    for (let k = 0; k < ids.length; k += 1) {
      const id = ids[(k + r) % ids.length];
      const call = clients[id];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < perRound; i += 1) await call(mailbox);
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      results[id].push({ calls: perRound, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  }
  const stats = await mock.stats();
  process.stdout.write(JSON.stringify({ results, graphStatuses: stats.statuses.graph }));
} finally {
  await mock.close();
}
