// The example Worker's body reading and redaction (examples/cloudflare-worker/src/http.js), in Node: the
// parts Miniflare cannot show (it hands the Worker request bodies without their Content-Length).

import assert from "node:assert/strict";
import { test } from "node:test";

import { readJsonBody, redact, WorkerError } from "../../examples/cloudflare-worker/src/http.js";

/** A request whose body counts what was pulled from it. */
function countingRequest(total, headers) {
  const counter = { pulled: 0 };
  const chunk = new Uint8Array(1024).fill(0x41);
  const body = new ReadableStream({
    pull(controller) {
      if (counter.pulled >= total) return controller.close();
      counter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  const request = new Request("https://relay.test/mailboxes/m/items", { method: "POST", body, duplex: "half", headers });
  return { request, counter };
}

test("a declared Content-Length over the limit is refused with 413 before a byte is read", async () => {
  const { request, counter } = countingRequest(10 * 1024 * 1024, { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) });
  const progress = {};
  await assert.rejects(readJsonBody(request, { maxBytes: 64 * 1024, timeoutMs: 5000 }, progress), (e) => e instanceof WorkerError && e.status === 413 && e.code === "payloadTooLarge");
  assert.equal(progress.bytes, 0);
  assert.ok(counter.pulled <= 1024 * 2, `pulled ${counter.pulled}`); // a stream may prefetch a chunk, never more
  const bad = countingRequest(10, { "content-type": "application/json", "content-length": "ten" });
  await assert.rejects(readJsonBody(bad.request, { maxBytes: 64 * 1024, timeoutMs: 5000 }), (e) => e.status === 400 && e.code === "invalidArgument");
});

test("without Content-Length the body is read only until it passes the limit", async () => {
  const { request, counter } = countingRequest(10 * 1024 * 1024, { "content-type": "application/json" });
  const progress = {};
  await assert.rejects(readJsonBody(request, { maxBytes: 64 * 1024, timeoutMs: 5000 }, progress), (e) => e.status === 413);
  assert.equal(progress.bytes, 65 * 1024);
  assert.ok(counter.pulled < 128 * 1024, `pulled ${counter.pulled}`);
});

test("a body that trickles in is refused with 408 at the deadline, and the rest of it cancelled", async () => {
  // One byte every 50 ms: each read returns quickly, only the whole body is late.
  let cancelled = false;
  let timer;
  const body = new ReadableStream({
    start(controller) {
      timer = setInterval(() => controller.enqueue(new Uint8Array([0x20])), 50);
    },
    cancel() {
      cancelled = true;
      clearInterval(timer);
    },
  });
  const request = new Request("https://relay.test/", { method: "POST", body, duplex: "half", headers: { "content-type": "application/json" } });
  const started = Date.now();
  const progress = {};
  try {
    await assert.rejects(readJsonBody(request, { maxBytes: 64 * 1024, timeoutMs: 300 }, progress), (e) => e.status === 408 && e.code === "requestTimeout");
  } finally {
    clearInterval(timer);
  }
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 290 && elapsed < 1500, `answered after ${elapsed} ms`);
  assert.ok(progress.bytes > 0, "bytes were arriving");
  assert.equal(cancelled, true, "the body was cancelled");
});

test("bodies: JSON only, UTF-8 only, empty is undefined, the parser's message (which quotes the body) not repeated", async () => {
  const req = (body, type = "application/json; charset=utf-8") =>
    new Request("https://relay.test/", { method: "POST", body, headers: type ? { "content-type": type } : {} });
  assert.deepEqual(await readJsonBody(req('{"a":1}'), { maxBytes: 1024, timeoutMs: 5000 }), { a: 1 });
  assert.equal(await readJsonBody(req(""), { maxBytes: 1024, timeoutMs: 5000 }), undefined);
  assert.equal(await readJsonBody(new Request("https://relay.test/", { method: "POST" }), { maxBytes: 1024, timeoutMs: 5000 }), undefined);
  await assert.rejects(readJsonBody(req('{"a":1}', "text/plain"), { maxBytes: 1024, timeoutMs: 5000 }), (e) => e.status === 415 && e.code === "unsupportedMediaType");
  await assert.rejects(readJsonBody(req('{"a":1}', null), { maxBytes: 1024, timeoutMs: 5000 }), (e) => e.status === 415);
  await assert.rejects(readJsonBody(req(new Uint8Array([0x7b, 0xff, 0x7d])), { maxBytes: 1024, timeoutMs: 5000 }), (e) => e.status === 400 && /UTF-8/.test(e.message));
  await assert.rejects(readJsonBody(req('{"secret-ish": tru'), { maxBytes: 1024, timeoutMs: 5000 }), (e) => e.status === 400 && !e.message.includes("secret-ish"));
});

test("redact: known secrets, authtokens, bearer credentials and client secrets are scrubbed", () => {
  const secret = "s3cr3t-value-0123456789";
  const text =
    `key ${secret} url http://h/importItem?authtoken=abcDEF_-123&x=1 auth Bearer eyJhbGciOi.x-y_z ` +
    "form client_secret=hunter2hunter2&scope=x";
  const out = redact(text, [secret, "short"]);
  assert.ok(!out.includes(secret));
  assert.ok(!out.includes("abcDEF_-123"));
  assert.ok(!out.includes("eyJhbGciOi"));
  assert.ok(!out.includes("hunter2"));
  assert.match(out, /authtoken=\[redacted\]&x=1/);
  assert.match(out, /Bearer \[redacted\]/);
  // Values too short to be secrets are left alone (they would mangle ordinary words).
  assert.equal(redact("short words", ["short"]), "short words");
});
