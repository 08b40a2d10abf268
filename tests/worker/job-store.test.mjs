// The jobs' item store (examples/cloudflare-worker/src/jobs/job-store.js) over a Map with the storage API's
// shape: which creates the package recorded ahead of their posts are still unsettled, and what a dead chunk
// leaves for the job's counts.

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
const UNKNOWN = { status: "outcomeUnknown" };

test("creates recorded ahead and not yet settled are the object's in-flight list; a dead chunk's are counted once", async () => {
  const storage = memoryStorage();
  const store = new JobStore(storage);
  const chunk = { updates: new Set() };
  const items = store.itemStore("job", chunk);
  // The package records four creates outcomeUnknown before it posts them.
  for (const n of [0, 1, 2, 3]) {
    assert.equal(await items.get(`S${n}`), undefined);
    await items.set(`S${n}`, UNKNOWN);
  }
  assert.deepEqual(storage.map.get("inflight:job"), ["S0", "S1", "S2", "S3"]);
  // S2 settles (its record, then onResult): off the list; S4 is recorded ahead in its place.
  await items.set("S2", copy(2));
  chunk.settled("S2");
  await items.set("S4", UNKNOWN);
  assert.deepEqual(storage.map.get("inflight:job"), ["S0", "S1", "S3", "S4"]);
  // S0's answer was lost: settled outcomeUnknown (counted by onResult), off the list too.
  await items.set("S0", UNKNOWN);
  chunk.settled("S0");
  // S1 failed: no copy, no entry.
  await items.set("S1", { status: "failed" });
  chunk.settled("S1");
  assert.equal(storage.map.has("item:job:S1"), false);
  assert.deepEqual(storage.map.get("inflight:job"), ["S3", "S4"]);

  // The object dies here: a new one over the same storage counts S3 and S4, which stay outcomeUnknown.
  const revived = new JobStore(storage);
  assert.equal(await revived.recoverInflight("job"), 2);
  for (const n of [0, 3, 4]) assert.deepEqual(storage.map.get(`item:job:S${n}`), UNKNOWN);
  assert.deepEqual(storage.map.get("item:job:S2"), copy(2));
  assert.equal(await revived.recoverInflight("job"), 0);
});

test("a clean end leaves nothing in flight; a known item imported again is an update; a create recorded ahead and never sent is not counted", async () => {
  const storage = memoryStorage();
  const store = new JobStore(storage);
  await storage.put("item:job:A0", copy(0));
  const chunk = { updates: new Set() };
  const items = store.itemStore("job", chunk);
  assert.deepEqual(await items.get("A0"), copy(0));
  // An update is recorded only as it settles.
  await items.set("A0", copy(10));
  chunk.settled("A0");
  assert.deepEqual([...chunk.updates], ["A0"]);
  assert.equal(storage.map.has("inflight:job"), false);
  // A create recorded ahead whose pull the stopping run gave up: the package records it failed, no onResult.
  await items.set("A1", UNKNOWN);
  await items.set("A1", { status: "failed" });
  assert.equal(storage.map.has("item:job:A1"), false);
  assert.equal(await new JobStore(storage).recoverInflight("job"), 0);
  await items.set("A2", UNKNOWN);
  await items.set("A2", copy(2));
  chunk.settled("A2");
  await store.endChunk("job");
  assert.equal(storage.map.has("inflight:job"), false);
  assert.equal(await store.recoverInflight("job"), 0);
  assert.deepEqual([...chunk.updates], ["A0"]);
});
