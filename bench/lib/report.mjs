// Writes BENCHMARKS.md and the chart (docs/benchmarks.svg) from one run's results. Every figure comes
// from the results object; nothing here is a measurement of its own.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { BENCH, bytes, int, ms, pct } from "./util.mjs";
import { jobsSection } from "../sections/jobs.mjs";
import { foldersSection } from "../sections/folders.mjs";
import { KIND_NAMES, bulkRow } from "../sections/bulk.mjs";

/** The hard ceiling on the shipped total that bench/budget.mjs enforces. */
const CEILING = JSON.parse(readFileSync(join(BENCH, "budget.json"), "utf8")).maxTotalGzip;

const x = (a, b) => `${(a / b).toFixed(2)}×`;
const mb = (n) => `${(n / 1048576).toFixed(1)} MiB`;
/** A Markdown table; a column whose cells all start with a figure is right-aligned. */
function table(head, rows) {
  const numeric = head.map((_, i) => rows.every((r) => /^(\*\*)?[-–0-9.]/.test(String(r[i]))));
  return [
    `| ${head.join(" | ")} |`,
    `|${numeric.map((n) => (n ? "---:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}
const rng = (s, f = ms) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

function sizeSection({ shipped, bundles, breakdown }) {
  const ours = bundles.find((b) => b.id === "ours");
  const fetch = bundles.find((b) => b.id === "fetch");
  const lines = [
    "## 1. Size",
    "",
    "### The package as shipped",
    "",
    "What a browser downloads: the wasm after wasm-opt, and the glue as `scripts/build.sh` minifies it (the browser entry",
    "bundled with wasm-bindgen's output by esbuild, the wasm left out). gzip -9 and brotli (quality 11) through `node:zlib`;",
    "the last column is `gzip -9` as `build.sh` runs it (the gzip CLI writes a slightly different header).",
    "",
    table(["file", "bytes", "gzip -9", "brotli", "gzip CLI"], [
      ["`graph_mailbox_import_bg.wasm`", int(shipped.wasm.raw), int(shipped.wasm.gzip), int(shipped.wasm.brotli), int(shipped.wasm.gzipCli)],
      [`glue, minified (${int(shipped.glue.unminified)} B before)`, int(shipped.glue.raw), int(shipped.glue.gzip), int(shipped.glue.brotli), int(shipped.glue.gzipCli)],
      ["**total**", `**${int(shipped.total.raw)}**`, `**${int(shipped.total.gzip)}**`, `**${int(shipped.total.brotli)}**`, `**${int(shipped.total.gzipCli)}**`],
    ]),
    "",
    `npm tarball (\`npm pack\` of \`pkg/\`): ${bytes(shipped.tarball.size)}, ${bytes(shipped.tarball.unpackedSize)} unpacked, ${shipped.tarball.files} files.`,
    `The ceiling (bench/budget.json, enforced by \`make test\`): ${bytes(CEILING)}; ${shipped.total.gzipCli > CEILING ? `over it by ${bytes(shipped.total.gzipCli - CEILING)}` : `${bytes(CEILING - shipped.total.gzipCli)} under it`}.`,
    "",
    "### One call, bundled",
    "",
    "The same consumer (`bench/consumers/*.mjs`: create one import session and print its expiry) bundled by esbuild",
    "(`--bundle --minify --format=esm --target=es2022 --platform=browser`). Ours adds the wasm, fetched beside the bundle.",
    "",
    table(["consumer", "JS min", "JS gzip", "wasm gzip", "total gzip", "total brotli", "× plain fetch (gzip)", "largest inputs (minified bytes)"],
      bundles.map((b) => [
        b.id === "ours" ? `**${b.label}**` : b.label,
        int(b.js.raw), int(b.js.gzip), b.wasm ? int(b.wasm.gzip) : "–", int(b.total.gzip), int(b.total.brotli), x(b.total.gzip, fetch.total.gzip),
        b.top.map((t) => `${t.name} ${int(t.minified)}`).join(", "),
      ])),
    "",
    `Ours against the Graph JS client: ${x(ours.total.gzip, bundles.find((b) => b.id === "graph-client").total.gzip)} its gzip bytes; against the Kiota runtime: ${x(ours.total.gzip, bundles.find((b) => b.id === "kiota-runtime").total.gzip)}.`,
    "The Kiota beta SDK row is a lower bound: its fluent admin package (`@microsoft/msgraph-beta-sdk-admin`) is not served by",
    "the npm registry reachable here, so `bench/consumers/kiota-beta.mjs` registers this one call's generated navigation",
    "metadata itself; the real admin package registers the whole `/admin` tree and its models, which esbuild cannot drop.",
    "",
  ];
  lines.push("### Where our bytes go", "");
  if (breakdown.error) {
    lines.push(`Not available in this run: ${breakdown.error}.`, "");
    return lines.join("\n");
  }
  const code = breakdown.sections.find((s) => s.name === "code")?.size ?? 0;
  lines.push(
    `Method: ${breakdown.method}. ${breakdown.sameAsShipped ? "The named build is the shipped one byte for byte once its name section is left out." : "**The named build differs from `pkg/`** (target/ and pkg/ come from different builds): the split is indicative."}`,
    "",
    table(["wasm section", "bytes", "share"], breakdown.sections.filter((s) => s.size >= 100).map((s) => [s.name, int(s.size), pct(s.size / breakdown.total)])),
    "",
    `Function bodies (${int(breakdown.functionCount)} functions, ${int(code)} B of code section), grouped by crate, and by module for this crate, core and alloc:`,
    "",
    table(["group", "bytes", "share of code", "functions"], breakdown.groups.slice(0, 22).map((g) => [`\`${g.group}\``, int(g.size), pct(g.size / code), g.count])),
    "",
    "Largest functions:",
    "",
    table(["function", "bytes"], breakdown.top.map((f) => [`\`${f.name.replace(/\|/g, "\\|")}\``, int(f.size)])),
    "",
    `Data section: ${int(breakdown.sections.find((s) => s.name === "data")?.size ?? 0)} B in ${breakdown.dataSegments.length} segments, of which ${int(breakdown.strings.textBytes)} B are`,
    `printable text in runs of 8+ characters (messages, JSON keys, error codes) and ${int(breakdown.strings.pathBytes)} B the source paths of`,
    `panic locations (${breakdown.strings.paths.length} files: ${breakdown.strings.paths.map((p) => `\`${p.replace(/^.*\/(library|src)\//, "")}\``).slice(0, 8).join(", ")}${breakdown.strings.paths.length > 8 ? ", ..." : ""}), kept although panics trap.`,
    "",
  );
  return lines.join("\n");
}

function coldSection({ node, workerd }, runs) {
  const graph = node.find((r) => r.id === "graph-client");
  const baseW = workerd.find((r) => r.id === "none");
  const graphW = workerd.find((r) => r.id === "graph-client");
  return [
    "## 2. Cold start",
    "",
    `Node: ${runs.node} fresh processes per row, interleaved. \"import + call\" is measured inside the process from before`,
    "the consumer module's `import` (which imports the library; ours reads and instantiates its wasm there) to after one",
    "trivial call (ours: `isMailboxError`; the others: creating their client). \"ready\" is the same point measured from",
    "the process's time origin; \"wall\" is spawn to exit as the parent sees it. Median (min–max).",
    "",
    table(["Node", "import + call", "× Graph JS client", "ready since start", "process wall"], node.map((r) => [
      r.id === "ours" ? `**${r.label}**` : r.label, rng(r.load), r.id === "none" ? "–" : x(r.load.median, graph.load.median), ms(r.ready.median), rng(r.wall),
    ])),
    "",
    `workerd through Miniflare: ${runs.workerd} fresh \`new Miniflare()\` instances per row, interleaved, each running the consumer`,
    "bundled as wrangler does (esbuild, `workerd`/`worker`/`browser` conditions, the wasm as a compiled module). Time from",
    "`new Miniflare()` to the first response's body; the worker's module (and our wasm instantiation) runs in there.",
    "",
    table(["workerd", "first response", "− empty worker", "× Graph JS client", "dispatch after ready"], workerd.map((r) => [
      r.id === "ours" ? `**${r.label}**` : r.label, rng(r.first), r.id === "none" ? "–" : ms(r.first.median - baseW.first.median),
      r.id === "none" ? "–" : x(r.first.median, graphW.first.median), rng(r.afterReady),
    ])),
    "",
  ].join("\n");
}

function overheadSection({ rows, calls, rounds, warmup, graphStatuses }) {
  const base = rows[0];
  return [
    "## 3. Call overhead",
    "",
    `${int(calls)} sequential createImportSession calls per implementation (after ${warmup} warm-up calls each) in one process,`,
    `${rounds} interleaved rounds, against the mock tenant running in its own process with no added latency. Wall time per`,
    "call, and the client process's CPU time per call (user + system, all its threads; the mock's work is not in it).",
    `The mock answered ${Object.entries(graphStatuses).map(([s, n]) => `${int(n)} × ${s}`).join(", ")}.`,
    "",
    table(["implementation", "µs/call wall", "rounds (min–max)", "× plain fetch", "µs/call client CPU", "CPU × plain fetch"], rows.map((r) => [
      r.id === "ours" ? `**${r.label}**` : r.label, r.wallUs.toFixed(0), `${r.roundWallUs.min.toFixed(0)}–${r.roundWallUs.max.toFixed(0)}`,
      x(r.wallUs, base.wallUs), r.cpuUs.toFixed(0), x(r.cpuUs, base.cpuUs),
    ])),
    "",
  ].join("\n");
}

function bulkSection({ runs, clientOnly, clientOnlyCount, count, latencyMs, limit, itemBytes, ceiling, warmup }) {
  return [
    "## 4. Bulk import",
    "",
    `2 runs of ${int(count)} items of ${int(itemBytes)} random bytes per mailbox, against the mock tenant (own process) answering each import`,
    `post after ${latencyMs} ms and refusing a post over ${limit} in flight per mailbox with 429 (Exchange's MailboxConcurrency`,
    `limit). Ceiling: ${limit} / ${latencyMs} ms = ${ceiling} items/s per mailbox. Ours is \`MailboxClient.importItems\` (one client,`,
    "defaults, `keepResults: false`) with `Uint8Array` items; the reference is the best hand-written alternative: exactly",
    `${limit} \`fetch\` workers per mailbox posting items base64-encoded with \`Buffer\`. The third row is that pool with ours'`,
    "safeguards on every post: an AbortController per attempt that a 30 s timer aborts (what cancels a hung post), `redirect:",
    "\"manual\"`, the four response headers ours reads, the body read as text. 429s are the mock's count of 429 answers;",
    "\"refused\" its count of posts refused for concurrency; \"peak\" its highest number of accepted posts in flight for one mailbox.",
    `Each kind ran in a process of its own, a fresh one each time, as a user runs one client: first ${int(warmup)} items into a`,
    "mailbox of its own, so the engine had compiled `fetch`, its stream code and ours before anything was measured, then one",
    "mailbox and four. In a process that has run two kinds, whichever ran after the other paid 300 to 400 µs an item more",
    "CPU (`fetch` compiled for the other's requests too). Each kind ran twice, in the order ours, pool, guarded, guarded,",
    "pool, ours, so a drift of the machine's speed weighs on all alike; each row is over both runs. The mock shares the",
    "machine's cores with the client, so the share of the ceiling follows the client's CPU.",
    "",
    table(["client", "mailboxes", "items", "seconds", "items/s", "of ceiling", "429s", "refused", "peak in flight", "imported / failed / unknown", "client CPU µs/item"], runs.map((r) => [
      KIND_NAMES[r.label].table, r.mailboxes, int(r.items), (r.wallMs / 1000).toFixed(2), r.itemsPerSecond.toFixed(1),
      `${pct(r.ofCeiling)} of ${r.ceiling}/s`, r.status429, r.refusedForConcurrency, r.peakInFlight, `${r.imported} / ${r.failed} / ${r.outcomeUnknown}`, r.cpuUsPerItem.toFixed(0),
    ])),
    "",
    `### The client's own work`,
    "",
    `The same three clients, 2 runs of ${int(clientOnlyCount)} items per mailbox each, with \`fetch\` replaced in the client's process by a`,
    `timer that answers each post after ${latencyMs} ms as the mock would: no sockets, no HTTP stack, no mock sharing the cores. What`,
    "is left is each client's own work per item (reading and encoding the item, building the request, handling the",
    "answer, and the safeguards), the part a client can change, measured with far less noise than the rows above.",
    "",
    table(["client", "mailboxes", "client CPU µs/item", "against the pool", "against the guarded pool"], clientOnly.map((r) => [
      KIND_NAMES[r.label].table, r.mailboxes, r.cpuUsPerItem.toFixed(0),
      x(r.cpuUsPerItem, bulkRow(clientOnly, "pool", r.mailboxes).cpuUsPerItem), x(r.cpuUsPerItem, bulkRow(clientOnly, "guarded", r.mailboxes).cpuUsPerItem),
    ])),
    "",
  ].join("\n");
}

function encodingSection({ rows, sizes, reps }) {
  const lines = [
    "## 5. Item encoding",
    "",
    "One item of random bytes posted to the mock's import host (own process), each method in a fresh Node process with",
    `\`--expose-gc\`, ${reps} posts (3 for items over 20 MB) after a small warm-up post; median time. Import data travels as base64 in`,
    "JSON, so every method encodes: ours in wasm (`importItem` with a `Uint8Array`), Node's `Buffer`, and the usual",
    "browser code (a binary string built with `String.fromCharCode` over 32 KiB chunks, then `btoa`); \"ours, base64 in\"",
    "passes text already encoded, which the package sends as it is. The time includes the mock decoding and hashing the",
    "item, the same for all; client CPU is the posting process's alone. Memory: the highest `heapUsed + external` seen",
    "during the first post (sampled every millisecond and when `fetch` is called) above what the process held before it,",
    "garbage not yet collected included; `external` already holds ArrayBuffers and the wasm memory (`arrayBuffers` is part",
    "of it, so it is not added twice). The wasm memory is never given back: \"wasm after\" is what the process keeps.",
    "",
    table(["item", "method", "median ms", "MB/s", "× Buffer time", "client CPU ms", "CPU × Buffer", "peak extra, first post", "later posts", "wasm after", "max RSS growth", "encoding alone"], rows.map((r) => {
      const base = rows.find((b) => b.size === r.size && b.id === "buffer");
      return [
        `${int(r.size / 1e6)} MB`, r.id.startsWith("ours") ? `**${r.label}**` : r.label, `${r.medianMs.toFixed(1)} (${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)})`, r.mbPerS.toFixed(1),
        x(r.medianMs, base.medianMs), r.cpuMs.toFixed(1), x(r.cpuMs, base.cpuMs), `${r.peakX.toFixed(2)}×`, r.peakLaterX === null ? "–" : `${r.peakLaterX.toFixed(2)}×`,
        r.id.startsWith("ours") ? mb(r.wasmAfter) : "–", `${mb(r.rssX * r.size)} (${r.rssX.toFixed(1)}×)`, r.encodeMs === null ? "–" : ms(r.encodeMs),
      ];
    })),
    "",
  ];
  return lines.join("\n");
}

/** Sentences built from the figures: where ours stands against each alternative. */
export function findings(r) {
  const out = [];
  const ours = r.size.bundles.find((b) => b.id === "ours");
  const smaller = r.size.bundles.filter((b) => b.id !== "ours" && b.total.gzip < ours.total.gzip).map((b) => `${b.label} (${bytes(b.total.gzip)})`);
  out.push(`Size: ours is ${bytes(ours.total.gzip)} gzip for the one-call consumer; smaller: ${smaller.join(", ") || "none"}. Shipped total ${bytes(r.size.shipped.total.gzipCli)}, under the ${bytes(CEILING)} ceiling by ${bytes(CEILING - r.size.shipped.total.gzipCli)}.`);
  const n = Object.fromEntries(r.cold.node.map((c) => [c.id, c]));
  out.push(`Node cold start (import + call, median): ours ${ms(n.ours.load.median)}, Graph JS client ${ms(n["graph-client"].load.median)} (${x(n.ours.load.median, n["graph-client"].load.median)}), Kiota runtime ${ms(n["kiota-runtime"].load.median)}, Kiota beta SDK ${ms(n["kiota-beta"].load.median)}.`);
  const w = Object.fromEntries(r.cold.workerd.map((c) => [c.id, c]));
  out.push(`workerd first response (median): ours ${ms(w.ours.first.median)}, empty worker ${ms(w.none.first.median)}, Graph JS client ${ms(w["graph-client"].first.median)}, Kiota runtime ${ms(w["kiota-runtime"].first.median)}, Kiota beta SDK ${ms(w["kiota-beta"].first.median)}.`);
  const o = Object.fromEntries(r.overhead.rows.map((c) => [c.id, c]));
  out.push(`Call overhead: ours ${o.ours.wallUs.toFixed(0)} µs/call (${x(o.ours.wallUs, o.fetch.wallUs)} plain fetch; CPU ${x(o.ours.cpuUs, o.fetch.cpuUs)}), Graph JS client ${x(o["graph-client"].wallUs, o.fetch.wallUs)}, Kiota runtime ${x(o["kiota-runtime"].wallUs, o.fetch.wallUs)}, Kiota beta SDK ${x(o["kiota-beta"].wallUs, o.fetch.wallUs)}.`);
  for (const run of r.bulk.runs.filter((b) => b.label === "ours")) {
    const pool = bulkRow(r.bulk.runs, "pool", run.mailboxes);
    const guarded = bulkRow(r.bulk.runs, "guarded", run.mailboxes);
    const own = (kind) => bulkRow(r.bulk.clientOnly, kind, run.mailboxes).cpuUsPerItem;
    out.push(`Bulk, ${run.mailboxes === 1 ? "1 mailbox" : `${run.mailboxes} mailboxes at once`}: ours ${run.itemsPerSecond.toFixed(1)} items/s = ${pct(run.ofCeiling)} of the ${run.ceiling}/s ceiling (fetch pool ${pct(pool.ofCeiling)}, with ours' safeguards ${pct(guarded.ofCeiling)}), ${run.status429} 429s, peak ${run.peakInFlight} in flight, client CPU ${x(run.cpuUsPerItem, pool.cpuUsPerItem)} the pool's per item (${x(run.cpuUsPerItem, guarded.cpuUsPerItem)} the guarded pool's; own work alone ${x(own("ours"), own("pool"))} and ${x(own("ours"), own("guarded"))}).`);
  }
  for (const run of (r.folders?.runs ?? []).filter((f) => f.label === "copyFolders")) {
    const base = r.folders.runs.find((f) => f.label === "copyItems" && f.graphLatencyMs === run.graphLatencyMs);
    out.push(`Folder trees, Graph latency ${run.graphLatencyMs} ms: copyFolders ${run.itemsPerSecond.toFixed(1)} items/s = ${pct(run.ofCeiling)} of the ${run.ceiling}/s ceiling (copyItems ${pct(base.ofCeiling)}), peak ${run.peakInFlight} in flight.`);
  }
  if (r.folders) {
    const m = r.folders.memory;
    out.push(`Folder trees, ${int(m.items)} items with keepResults: false and an item store: JS heap ${mb(m.heapStart)} at the start, ${mb(m.heapMax)} at most, ${mb(m.heapEnd)} at the end; wasm memory ${mb(m.wasmEnd)}; state ${bytes(m.stateBytes)}.`);
  }
  const big = Math.max(...r.encoding.sizes);
  const e = Object.fromEntries(r.encoding.rows.filter((c) => c.size === big).map((c) => [c.id, c]));
  out.push(`Encoding, ${int(big / 1e6)} MB item: ours ${e["ours-bytes"].medianMs.toFixed(0)} ms (${x(e["ours-bytes"].medianMs, e.buffer.medianMs)} the Buffer path, client CPU ${x(e["ours-bytes"].cpuMs, e.buffer.cpuMs)}), btoa path ${x(e.btoa.medianMs, e.buffer.medianMs)}; peak extra memory ours ${e["ours-bytes"].peakX.toFixed(1)}× the item, Buffer ${e.buffer.peakX.toFixed(1)}×, btoa ${e.btoa.peakX.toFixed(1)}×; ours keeps ${mb(e["ours-bytes"].wasmAfter)} of wasm memory afterwards; passing base64 text to ours costs ${x(e["ours-base64"].medianMs, e["ours-bytes"].medianMs)} the time of passing bytes.`);
  return out;
}

/** Every comparison in this run where an alternative did better than ours (medians; noise included). */
export function losses(r) {
  const out = [];
  const list = (xs) => xs.join(", ");
  const name = (row) => row.label.replace(/ \(baseline\)$/, "");
  const ours = r.size.bundles.find((b) => b.id === "ours");
  const smaller = r.size.bundles.filter((b) => b.id !== "ours" && b.total.gzip < ours.total.gzip);
  if (smaller.length) out.push(`Size: one-call consumers smaller than ours (${bytes(ours.total.gzip)} gzip): ${list(smaller.map((b) => `${name(b)} (${bytes(b.total.gzip)}, ours is ${x(ours.total.gzip, b.total.gzip)})`))}.`);
  if (r.size.shipped.total.gzipCli > CEILING) out.push(`Size ceiling: ${bytes(r.size.shipped.total.gzipCli)} shipped, over the ${bytes(CEILING)} ceiling.`);
  const node = r.cold.node.find((c) => c.id === "ours");
  const fasterNode = r.cold.node.filter((c) => c.id !== "ours" && c.id !== "none" && c.load.median < node.load.median);
  if (fasterNode.length) out.push(`Node cold start: ${list(fasterNode.map((c) => `${name(c)} ${ms(c.load.median)}`))} against ours ${ms(node.load.median)}.`);
  const wo = r.cold.workerd.find((c) => c.id === "ours");
  const fasterW = r.cold.workerd.filter((c) => c.id !== "ours" && c.id !== "none" && c.first.median < wo.first.median);
  if (fasterW.length) out.push(`workerd first response: ${list(fasterW.map((c) => `${name(c)} ${ms(c.first.median)}`))} against ours ${ms(wo.first.median)}.`);
  const oo = r.overhead.rows.find((c) => c.id === "ours");
  const fasterCalls = r.overhead.rows.filter((c) => c.id !== "ours" && c.wallUs < oo.wallUs);
  if (fasterCalls.length) out.push(`Call overhead: ${list(fasterCalls.map((c) => `${name(c)} ${c.wallUs.toFixed(0)} µs`))} per call against ours ${oo.wallUs.toFixed(0)} µs.`);
  for (const run of r.bulk.runs.filter((b) => b.label === "ours")) {
    const pool = bulkRow(r.bulk.runs, "pool", run.mailboxes);
    const guarded = bulkRow(r.bulk.runs, "guarded", run.mailboxes);
    const where = run.mailboxes === 1 ? "1 mailbox" : `${run.mailboxes} mailboxes`;
    if (pool.itemsPerSecond > run.itemsPerSecond) out.push(`Bulk, ${where}: the hand-written fetch pool reached ${pct(pool.ofCeiling)} of the ceiling, ours ${pct(run.ofCeiling)}.`);
    if (guarded.itemsPerSecond > run.itemsPerSecond) out.push(`Bulk, ${where}: the fetch pool with ours' safeguards reached ${pct(guarded.ofCeiling)} of the ceiling, ours ${pct(run.ofCeiling)}.`);
    if (pool.cpuUsPerItem < run.cpuUsPerItem) out.push(`Bulk, ${where}: ours spends ${x(run.cpuUsPerItem, pool.cpuUsPerItem)} the fetch pool's client CPU per item (${run.cpuUsPerItem.toFixed(0)} against ${pool.cpuUsPerItem.toFixed(0)} µs).`);
    if (guarded.cpuUsPerItem < run.cpuUsPerItem) out.push(`Bulk, ${where}: ours spends ${x(run.cpuUsPerItem, guarded.cpuUsPerItem)} the guarded pool's client CPU per item (${run.cpuUsPerItem.toFixed(0)} against ${guarded.cpuUsPerItem.toFixed(0)} µs).`);
  }
  for (const run of (r.folders?.runs ?? []).filter((f) => f.label === "copyFolders")) {
    const base = r.folders.runs.find((f) => f.label === "copyItems" && f.graphLatencyMs === run.graphLatencyMs);
    if (base.itemsPerSecond > run.itemsPerSecond) out.push(`Folder trees, Graph latency ${run.graphLatencyMs} ms: copyItems into one folder reached ${pct(base.ofCeiling)} of the ceiling, copyFolders over 12 folders ${pct(run.ofCeiling)}.`);
  }
  for (const size of r.encoding.sizes) {
    const rows = r.encoding.rows.filter((e) => e.size === size);
    const o = rows.find((e) => e.id === "ours-bytes");
    const faster = rows.filter((e) => !e.id.startsWith("ours") && e.medianMs < o.medianMs);
    const leaner = rows.filter((e) => !e.id.startsWith("ours") && e.peakX < o.peakX);
    const tag = `${int(size / 1e6)} MB item`;
    if (faster.length) out.push(`Encoding, ${tag}: ${list(faster.map((e) => `${name(e)} ${e.medianMs.toFixed(0)} ms`))} against ours ${o.medianMs.toFixed(0)} ms.`);
    if (leaner.length) out.push(`Memory, ${tag}: the first post's peak is ${o.peakX.toFixed(1)}× the item for ours, ${list(leaner.map((e) => `${e.peakX.toFixed(1)}× for ${name(e)}`))}; ours then keeps ${mb(o.wasmAfter)} of wasm memory (${(o.wasmAfter / size).toFixed(1)}× the item) for the life of the process.`);
    const b64 = rows.find((e) => e.id === "ours-base64");
    if (b64.medianMs > o.medianMs) out.push(`Encoding, ${tag}: handing ours base64 text (nothing to encode) takes ${x(b64.medianMs, o.medianMs)} the time of handing it bytes.`);
  }
  return out;
}

export function renderMarkdown(r) {
  const m = r.meta;
  return [
    "# Benchmarks",
    "",
    "<!-- Generated by `npm --prefix bench run bench` (bench/run.mjs) from one run; do not edit by hand. -->",
    "",
    `Measured ${m.date} on ${m.cpu} (${m.cores} cores), ${mb(m.memory)} RAM, ${m.os}, Node ${m.node}; load average ${m.loadStart.map((l) => l.toFixed(2)).join(" / ")} at the start,`,
    `${m.loadEnd.map((l) => l.toFixed(2)).join(" / ")} at the end (the machine may be shared: ratios between rows of one table, measured interleaved in the same run, are the figures to read).`,
    `Package: graph-mailbox-import ${m.version}, \`pkg/\` built ${m.builtAt}${m.rebuiltByBench ? " by this run" : ""}, the work tree at commit ${m.commit}${m.dirty ? " with uncommitted changes to the crate" : ""} (wasm ${bytes(r.size.shipped.wasm.raw)}); every section measured one copy of it taken at the start.`,
    `${m.quick ? "**A --quick run: fewer runs and items than the published figures.** " : ""}Peers: ${m.peers.map((p) => `${p.name} ${p.version}`).join(", ")}. The run took ${(m.durationMs / 1000).toFixed(0)} s.`,
    "",
    "![Benchmarks: bundle size, Node cold start, call overhead, bulk throughput, encoding](docs/benchmarks.svg)",
    "",
    "## Summary",
    "",
    ...findings(r).map((f) => `- ${f}`),
    "",
    "### Where ours loses in this run",
    "",
    ...losses(r).map((f) => `- ${f}`),
    "",
    sizeSection(r.size),
    coldSection(r.cold, r.cold.runs),
    overheadSection(r.overhead),
    bulkSection(r.bulk),
    encodingSection(r.encoding),
    ...(r.jobs && !r.jobs.skipped ? [jobsSection(r.jobs)] : []),
    ...(r.folders ? [foldersSection(r.folders)] : []),
    "## Reproducing",
    "",
    "```sh",
    "./scripts/build.sh            # pkg/ as shipped",
    "npm --prefix bench run bench  # installs bench/'s pinned peers if needed, runs all five sections, rewrites this file and docs/benchmarks.svg",
    "node bench/budget.mjs         # size budget: total gzip at most the ceiling in bench/budget.json (95,000 B)",
    "node bench/budget.mjs --cold-start  # Node cold start under 2× the Graph JS client's (needs bench's deps)",
    "```",
    "",
  ].join("\n");
}

// ---- chart -------------------------------------------------------------------------------------------

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function panel({ title, rows, format, x0, y0, width, max = Math.max(...rows.map((r) => r.value)) }) {
  const labelW = 230;
  const barMax = width - labelW - 90;
  const out = [`<text x="${x0}" y="${y0}" class="t">${esc(title)}</text>`];
  rows.forEach((r, i) => {
    const y = y0 + 14 + i * 22;
    const w = Math.max(1, (r.value / max) * barMax);
    out.push(
      `<text x="${x0 + labelW - 6}" y="${y + 12}" class="l" text-anchor="end">${esc(r.label)}</text>`,
      `<rect x="${x0 + labelW}" y="${y}" width="${w.toFixed(1)}" height="16" class="${r.ours ? "o" : "b"}"/>`,
      `<text x="${x0 + labelW + w + 5}" y="${y + 12}" class="v">${esc(format(r.value))}</text>`,
    );
  });
  return { svg: out.join("\n"), height: 14 + rows.length * 22 + 30 };
}

export function renderSvg(r) {
  const width = 760;
  const short = {
    fetch: "plain fetch", "fetch-retry": "fetch + retry", ours: "ours", "graph-client": "Graph JS client",
    "kiota-runtime": "Kiota runtime", "kiota-beta": "Kiota beta SDK", none: "empty process",
  };
  const panels = [
    { title: "1. One-call consumer, esbuild --minify, gzip -9 bytes (ours: JS + wasm)", format: (v) => bytes(v),
      rows: r.size.bundles.map((b) => ({ label: b.id === "kiota-beta" ? "Kiota beta SDK (lower bound)" : short[b.id], value: b.total.gzip, ours: b.id === "ours" })) },
    { title: "2. Node cold start: import + instantiate + one call, median ms", format: (v) => ms(v),
      rows: r.cold.node.filter((c) => c.id !== "none").map((c) => ({ label: short[c.id], value: c.load.median, ours: c.id === "ours" })) },
    { title: "3. createImportSession against the local mock, µs per call", format: (v) => `${v.toFixed(0)} µs`,
      rows: r.overhead.rows.map((c) => ({ label: short[c.id], value: c.wallUs, ours: c.id === "ours" })) },
    { title: `4. Bulk import, share of the ceiling (${r.bulk.limit} in flight / ${r.bulk.latencyMs} ms per mailbox; full bar = 100%)`, format: (v) => pct(v), max: 1,
      rows: r.bulk.runs.map((b) => ({ label: `${KIND_NAMES[b.label].chart}, ${b.mailboxes} mailbox${b.mailboxes > 1 ? "es" : ""}`, value: b.ofCeiling, ours: b.label === "ours" })) },
  ];
  const big = Math.max(...r.encoding.sizes);
  panels.push({ title: `5. Posting a ${int(big / 1e6)} MB item, median ms (incl. the mock's work)`, format: (v) => ms(v),
    rows: r.encoding.rows.filter((e) => e.size === big).map((e) => ({ label: { buffer: "fetch + Buffer", btoa: "fetch + btoa", "ours-bytes": "ours, bytes", "ours-base64": "ours, base64 text" }[e.id], value: e.medianMs, ours: e.id.startsWith("ours") })) });
  let y = 72;
  const parts = [];
  for (const p of panels) {
    const { svg, height } = panel({ ...p, x0: 16, y0: y, width });
    parts.push(svg);
    y += height;
  }
  const m = r.meta;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    "<style>.t{font-size:14px;font-weight:bold;fill:#222}.l{font-size:12px;fill:#333}.v{font-size:12px;fill:#333}.b{fill:#9aa5b1}.o{fill:#d9480f}.h{font-size:16px;font-weight:bold;fill:#111}.s{font-size:11px;fill:#555}</style>",
    `<rect width="${width}" height="${y}" fill="#fff"/>`,
    `<text x="16" y="22" class="h">graph-mailbox-import benchmarks</text>`,
    `<text x="16" y="38" class="s">${esc(`${m.date}, ${m.cpu} (${m.cores} cores), Node ${m.node}; details in BENCHMARKS.md`)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
