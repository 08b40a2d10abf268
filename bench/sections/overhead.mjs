// Section 3: call overhead of createImportSession against the mock tenant with no added latency.
import { join } from "node:path";

import { BENCH, check, log, ratio, summary } from "../lib/util.mjs";

export const OVERHEAD_TARGETS = [
  { id: "fetch", label: "plain fetch (baseline)" },
  { id: "ours", label: "graph-mailbox-import (ours)" },
  { id: "graph-client", label: "@microsoft/microsoft-graph-client" },
  { id: "kiota-runtime", label: "Kiota runtime" },
  { id: "kiota-beta", label: "Kiota beta SDK" },
];

export async function measureOverhead({ calls = 3000, rounds = 6, warmup = 200 } = {}) {
  log("", `== 3. Call overhead: ${calls} sequential createImportSession calls each, same process, mock without latency`);
  const ids = OVERHEAD_TARGETS.map((t) => t.id);
  const out = JSON.parse(await check(process.execPath, [join(BENCH, "sections", "overhead-child.mjs"), JSON.stringify({ ids, calls, rounds, warmup })]));
  const rows = OVERHEAD_TARGETS.map((t) => {
    const rs = out.results[t.id];
    const n = rs.reduce((s, r) => s + r.calls, 0);
    return {
      ...t,
      calls: n,
      wallUs: (rs.reduce((s, r) => s + r.wallMs, 0) / n) * 1000,
      cpuUs: (rs.reduce((s, r) => s + r.cpuMs, 0) / n) * 1000,
      roundWallUs: summary(rs.map((r) => (r.wallMs / r.calls) * 1000)),
    };
  });
  const base = rows[0];
  for (const r of rows) {
    log(`${r.label}: ${r.wallUs.toFixed(0)} µs/call wall (rounds ${r.roundWallUs.min.toFixed(0)}–${r.roundWallUs.max.toFixed(0)}), ` +
      `${r.cpuUs.toFixed(0)} µs/call client CPU; ${ratio(r.wallUs, base.wallUs)} wall, ${ratio(r.cpuUs, base.cpuUs)} CPU vs plain fetch`);
  }
  log(`mock answered: ${JSON.stringify(out.graphStatuses)}`);
  return { rows, graphStatuses: out.graphStatuses, calls, rounds, warmup };
}
