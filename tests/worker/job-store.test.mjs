// The jobs' item store (examples/cloudflare-worker/src/jobs/job-store.js) over a Map with the storage API's
// shape: which creates it holds as possibly in flight while a copy posts, and what a dead chunk leaves.

import assert from "node:assert/strict";
import { test } from "node:test";

import { JobStore } from "../../examples/cloudflare-worker/src/jobs/job-store.js";

/** The subset of DurableObjectStorage the store uses, over a Map. */
function memoryStorage() {
  const map = new Map();
  return {
    map,
    async get(key) {
      return structuredClone(map.get(key));
    },
    async put(key, value) {
      map.set(key, structuredClone(value));
    },
    async delete(key) {
      map.delete(key);
    },
  };
}

const copy = (n) => ({ status: "imported", itemId: `T${n}`, changeKey: `K${n}` });

/** A copy as the package runs one: looks up every item of a folder in order, then settles them. */
async function plan(items, ids) {
  for (const id of ids) await items.get(id);
}

test("the in-flight window is the unsettled creates among the first settled + 4, whatever the settle order", async () => {
  const storage = memoryStorage();
  const store = new JobStore(storage);
  const chunk = { updates: new Set() };
  const items = store.itemStore("job", chunk, 4);
  const ids = Array.from({ length: 10 }, (_, i) => `S${i}`);
  await plan(items, ids);
  // Before any post: the first 4 may leave.
  assert.deepEqual(storage.map.get("inflight:job"), ["S0", "S1", "S2", "S3"]);
  // S2 settles first: S4 may now be posted too.
  await items.set("S2", copy(2));
  chunk.settled("S2");
  assert.deepEqual(storage.map.get("inflight:job"), ["S0", "S1", "S3", "S4"]);
  for (const n of [0, 1, 3]) {
    await items.set(`S${n}`, copy(n));
    chunk.settled(`S${n}`);
  }
  assert.deepEqual(storage.map.get("inflight:job"), ["S4", "S5", "S6", "S7"]);
  // A failed item settles too (no record), and frees its place.
  chunk.settled("S4");
  assert.deepEqual(storage.map.get("inflight:job"), ["S5", "S6", "S7", "S8"]);

  // The object dies here: a new one over the same storage records those four as outcomeUnknown, once.
  const revived = new JobStore(storage);
  assert.equal(await revived.recoverInflight("job"), 4);
  for (const n of [5, 6, 7, 8]) assert.deepEqual(storage.map.get(`item:job:S${n}`), { status: "outcomeUnknown" });
  assert.equal(storage.map.get("item:job:S9"), undefined);
  assert.equal(storage.map.get("item:job:S4"), undefined);
  assert.deepEqual(storage.map.get("item:job:S2"), copy(2));
  assert.equal(await revived.recoverInflight("job"), 0);
});

test("a clean end leaves nothing in flight; known items are not creates; a new folder starts a new window", async () => {
  const storage = memoryStorage();
  const store = new JobStore(storage);
  await storage.put("item:job:A0", copy(0));
  const chunk = { updates: new Set() };
  const items = store.itemStore("job", chunk, 2);
  await plan(items, ["A0", "A1", "A2", "A3"]);
  assert.deepEqual(storage.map.get("inflight:job"), ["A1", "A2"]);
  // A0's copy was known: imported again, it is an update.
  await items.set("A0", copy(10));
  chunk.settled("A0");
  assert.deepEqual([...chunk.updates], ["A0"]);
  for (const id of ["A1", "A2", "A3"]) {
    await items.set(id, copy(1));
    chunk.settled(id);
  }
  assert.deepEqual(storage.map.get("inflight:job"), []);
  // The next folder's lookups start over.
  await plan(items, ["B0", "B1", "B2"]);
  assert.deepEqual(storage.map.get("inflight:job"), ["B0", "B1"]);
  await store.endChunk("job");
  assert.equal(storage.map.has("inflight:job"), false);
  assert.equal(await store.recoverInflight("job"), 0);
});
