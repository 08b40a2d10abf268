// Section 5, one fresh process per (method, size), run with --expose-gc: posts one item of `size` random
// bytes to the mock tenant (its own process) `reps` times and reports for each post its time, the client's
// CPU time (the mock's work is not in it) and the memory the post needed beyond what the process held before
// it (the caller's bytes included there). Methods:
//   ours-bytes   MailboxClient.importItem with a Uint8Array: the package base64-encodes in wasm
//   ours-base64  the same with the data already base64 (sent as it is): the package without its encoding
//   buffer       fetch, body JSON.stringify({..., Data: Buffer.from(bytes).toString("base64")})
//   btoa         fetch, the usual browser code: a binary string built 32 KiB at a time, then btoa
import { randomFillSync } from "node:crypto";

import { MailboxClient } from "graph-mailbox-import";
import { initSync } from "graph-mailbox-import/init";

const [method, sizeArg, graphUrl, importHost, repsArg] = process.argv.slice(2);
const size = Number(sizeArg);
const reps = Number(repsArg);
const mailbox = "MBX:encoding@bench";
const folderId = "AAMkAGI2TAAA=";
const gc = globalThis.gc;

const bytes = new Uint8Array(size);
for (let i = 0; i < size; i += 65536) randomFillSync(bytes.subarray(i, Math.min(size, i + 65536)));

function binaryStringBase64(data) {
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
  return btoa(binary);
}
const bufferBase64 = (data) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");

// The memory the process holds: V8's heap plus everything outside it (Buffers, ArrayBuffers and the wasm
// memory all count in `external`; `arrayBuffers` is part of `external`, so it is not added again).
const held = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
let peak = 0;
const sample = () => {
  const h = held();
  if (h > peak) peak = h;
};
const realFetch = globalThis.fetch;
globalThis.fetch = (...args) => {
  sample(); // the moment the body is handed over: the encoded text exists, nothing is freed yet
  return realFetch(...args);
};

const client = new MailboxClient({ token: "bench-token", graphBaseUrl: graphUrl, trustedImportHosts: [importHost] });
const wasmMemory = initSync().memory;
let importUrl;

const precomputed = method === "ours-base64" ? bufferBase64(bytes) : undefined;

async function post() {
  if (method === "ours-bytes") return client.importItem(mailbox, { folderId, data: bytes });
  if (method === "ours-base64") return client.importItem(mailbox, { folderId, data: precomputed });
  const data = method === "buffer" ? bufferBase64(bytes) : binaryStringBase64(bytes);
  const response = await fetch(importUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ FolderId: folderId, Mode: "create", Data: data }),
  });
  if (!response.ok) throw new Error(`import answered ${response.status}: ${await response.text()}`);
  return response.json();
}

// Warm up with a small item: the session, the JIT, the wasm's first allocations.
const small = { folderId, data: new Uint8Array(1024) };
const session = await client.createImportSession(mailbox);
importUrl = session.importUrl;
await client.importItem(mailbox, small);

const wasmBefore = wasmMemory.buffer.byteLength;
const rssBefore = process.resourceUsage().maxRSS * 1024;
const timer = setInterval(sample, 1);
const runs = [];
for (let r = 0; r < reps; r += 1) {
  // Each post from a collected heap: garbage of the previous post is not this one's.
  gc();
  const baseline = held();
  peak = baseline;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await post();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  sample();
  if (!result.itemId) throw new Error(`no itemId: ${JSON.stringify(result)}`);
  runs.push({ ms, cpuMs: (cpu.user + cpu.system) / 1000, peakExtra: peak - baseline });
}
clearInterval(timer);
const wasmAfter = wasmMemory.buffer.byteLength;
const rssAfter = process.resourceUsage().maxRSS * 1024;

// Encoding alone, for the JavaScript methods (median of reps), after the posts.
let encodeMs = null;
if (method === "buffer" || method === "btoa") {
  const enc = [];
  for (let r = 0; r < reps; r += 1) {
    gc();
    const t0 = performance.now();
    const text = method === "buffer" ? bufferBase64(bytes) : binaryStringBase64(bytes);
    enc.push(performance.now() - t0);
    if (text.length !== Math.ceil(size / 3) * 4) throw new Error("bad base64 length");
  }
  enc.sort((a, b) => a - b);
  encodeMs = enc[Math.floor(enc.length / 2)];
}
client.free();
process.stdout.write(JSON.stringify({
  method,
  size,
  runs,
  wasmBefore,
  wasmAfter,
  maxRssGrowth: rssAfter - rssBefore,
  encodeMs,
}));
