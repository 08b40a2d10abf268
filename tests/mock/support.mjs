// Helpers shared by the mock tenant's own tests (mock.test.mjs, reading.test.mjs, login.test.mjs).
// Not a test file itself: `node --test tests/mock/` runs only the *.test.mjs files.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const SERVER_PATH = fileURLToPath(new URL("./server.mjs", import.meta.url));
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** A request to the control API (/_mock/...) of the tenant at `graphUrl`; `body`, when given, goes as JSON. */
export function controlRequest(graphUrl, method, path, body) {
  const init = { method };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  return fetch(graphUrl + path, init);
}

/** Asserts Graph's error answer: its status, body shape, code (and message if given), ids and CORS headers. */
export function assertGraphError(r, body, status, code, message) {
  assert.equal(r.status, status);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error), ["code", "message", "innerError"]);
  assert.equal(body.error.code, code);
  if (message !== undefined) assert.equal(body.error.message, message);
  const inner = body.error.innerError;
  assert.deepEqual(Object.keys(inner), ["date", "request-id", "client-request-id"]);
  assert.match(inner.date, ISO_SECONDS);
  assert.match(r.headers.get("request-id"), UUID);
  assert.equal(inner["request-id"], r.headers.get("request-id"));
  assert.equal(inner["client-request-id"], r.headers.get("client-request-id"));
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  assert.equal(r.headers.get("access-control-expose-headers"), "request-id, client-request-id");
}

/**
 * Runs server.mjs in a process of its own with `args`, parses the JSON line it prints first and awaits
 * `check(info)`; then sends SIGTERM and asserts the process exits with 0. It is killed whatever happens.
 */
export async function withServerProcess(args, check) {
  const child = spawn(process.execPath, [SERVER_PATH, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const line = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    await check(JSON.parse(line));
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve([code, signal])));
    child.kill("SIGTERM");
    assert.deepEqual(await exited, [0, null]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}
