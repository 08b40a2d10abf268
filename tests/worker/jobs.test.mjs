// Migration jobs on the example Worker (wrangler's app-only bundle in workerd through Miniflare, against the
// mock tenant): a Durable Object per target mailbox imports for every job and Worker instance within
// Exchange's limits, work advances in alarm chunks from storage, survives restarts without importing
// anything twice, runs again for what changed, and stops on cancel.
//
// Runs on the package's copyFolders; a build without it reports these tests as skipped (never as passed).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startMockTenant } from "../mock/server.mjs";
import {
  buildAppOnly,
  chainSeed,
  importPosts,
  MOCK_APPS,
  packageHasCopyFolders,
  startJobsWorker,
  waitForJob,
} from "./jobs-support.mjs";
import { checkPrerequisites, tempDir } from "./support.mjs";

checkPrerequisites();
const ready = await packageHasCopyFolders();
const skip = ready ? false : "the package in pkg/ has no copyFolders yet";

const TENANT = "c0c0c0c0-0000-4000-8000-00000000c0de";
const mailbox = (name) => `MBX:${name}@${TENANT}`;

let dist;
let mock;

before(async () => {
  dist = buildAppOnly();
  mock = await startMockTenant({ apps: MOCK_APPS, pageSize: 100 });
}, { timeout: 120_000 });

after(async () => {
  await mock?.close();
});

/** Seeds the mock with `source` holding a chain of folders (chainSeed) and `target` with no folders. */
function seedCopy(source, target, prefix, counts) {
  const seed = chainSeed(source, prefix, counts);
  seed.spec.mailboxes[target] = { folders: [] };
  mock.state.seed(seed.spec);
  return seed;
}

/** Folders in a mock folder tree, subfolders included. */
const countFolders = (folders) => folders.reduce((n, f) => n + 1 + countFolders(f.childFolders ?? []), 0);

describe("the jobs API checks what it is sent before anything is stored", () => {
  let worker;
  before(async () => {
    worker = await startJobsWorker({ dist, mock, persistDir: tempDir("do-checks") });
  }, { timeout: 60_000 });
  after(async () => {
    await worker?.dispose();
  });

  const source = { mailboxId: mailbox("source-x") };
  const target = { mailboxId: mailbox("target-x") };
  const BAD = [
    ["no body", undefined],
    ["an array", []],
    ["no target", { source }],
    ["both user and mailboxId", { source: { ...source, user: "adele@contoso.com" }, target }],
    ["an unknown property", { source, target, deleteEverything: true }],
    ["a control character in a folder id", { source: { ...source, folderId: "a\u0000b" }, target }],
    ["includeSubfolders not a boolean", { source, target, includeSubfolders: "yes" }],
    ["receivedSince not a date", { source, target, receivedSince: "last week" }],
    ["the same mailbox on both sides, no folder", { source, target: source }],
  ];
  for (const [label, body] of BAD) {
    test(`POST /jobs with ${label}: 400 invalidArgument, no job`, async () => {
      const r = await worker.call(0, "/jobs", { method: "POST", body });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, "invalidArgument");
      assert.deepEqual((await worker.call(0, "/jobs")).body.jobs, []);
    });
  }

  test("a user that does not exist: 404 from Graph, no job", async () => {
    const r = await worker.call(0, "/jobs", { method: "POST", body: { source: { user: "nobody@contoso.com" }, target } });
    assert.equal(r.status, 404, r.text);
    assert.deepEqual((await worker.call(0, "/jobs")).body.jobs, []);
  });

  test("unknown or malformed job ids are 404; wrong methods 405 with Allow; bad list parameters 400", async () => {
    for (const path of ["/jobs/8d1e2f3a-1b2c-4d5e-8f90-0123456789ab", "/jobs/not-a-job", "/jobs/8d1e2f3a-1b2c-4d5e-8f90-0123456789ab/cancel"]) {
      const method = path.endsWith("cancel") ? "POST" : "GET";
      const r = await worker.call(0, path, { method });
      assert.equal(r.status, 404, `${path}: ${r.text}`);
    }
    const wrong = await worker.call(0, "/jobs", { method: "DELETE" });
    assert.equal(wrong.status, 405);
    assert.equal((await worker.call(0, "/jobs?limit=0")).status, 400);
    assert.equal((await worker.call(0, "/jobs?cursor=job:x")).status, 400);
  });
});

/** Import-host answers with status 429 for `mailboxId` (refusals of ours, throttling, anything). */
function throttledAnswers(mailboxId) {
  return importPosts(mock, mailboxId).filter((r) => r.status === 429).length;
}

describe("10 jobs into 3 target mailboxes through 2 Worker instances", { skip }, () => {
  const source = mailbox("source-ten");
  const targets = [mailbox("target-a"), mailbox("target-b"), mailbox("target-c")];
  let worker;

  before(async () => {
    const folders = [];
    const items = [];
    for (let j = 0; j < 10; j++) {
      const id = `AAMkADtenF${j}AAA=`;
      folders.push({ id, displayName: `Folder ${j}` });
      for (let i = 0; i < 15; i++) items.push({ folderId: id, data: Buffer.from(`job ${j} item ${i} `.repeat(12)).toString("base64") });
    }
    mock.state.seed({
      mailboxes: { [source]: { folders }, ...Object.fromEntries(targets.map((t) => [t, { folders: [] }])) },
      items,
    });
    // Slow enough that posts overlap and a window kept per instance (not per mailbox) would show.
    mock.state.setConfig({ importLatencyMs: 50 });
    worker = await startJobsWorker({ dist, mock, persistDir: tempDir("do-ten"), instances: 2, vars: { JOB_ITEMS_PER_CHUNK: "20" } });
  }, { timeout: 60_000 });

  after(async () => {
    mock.state.setConfig({ importLatencyMs: 0 });
    await worker?.dispose();
  });

  test("every job finishes; at most 4 posts in flight per mailbox, one session each, no 429", { timeout: 120_000 }, async () => {
    const ids = [];
    for (let j = 0; j < 10; j++) {
      const r = await worker.call(j % 2, "/jobs", {
        method: "POST",
        body: { source: { mailboxId: source, folderId: `AAMkADtenF${j}AAA=` }, target: { mailboxId: targets[j % 3] } },
      });
      assert.equal(r.status, 202, r.text);
      assert.equal(r.body.status, "queued");
      ids.push(r.body.id);
    }
    const jobs = await Promise.all(ids.map((id) => waitForJob(() => worker, id)));
    for (const job of jobs) {
      assert.equal(job.status, "done", JSON.stringify(job));
      assert.equal(job.imported, 15);
      assert.equal(job.failed + job.outcomeUnknown, 0);
    }
    const list = await worker.call(1, "/jobs");
    assert.equal(list.status, 200);
    assert.deepEqual(new Set(list.body.jobs.map((j) => j.id)), new Set(ids));

    const { stats } = mock.state;
    for (const target of targets) {
      assert.ok(stats.maxInFlightByMailbox.import[target] <= 4, `${stats.maxInFlightByMailbox.import[target]} in flight`);
      assert.equal(stats.refusedForConcurrency[target] ?? 0, 0);
      assert.equal(throttledAnswers(target), 0);
      const sessions = mock.state.requests.filter((r) => r.route === "createImportSession" && r.mailbox === target);
      assert.equal(sessions.length, 1, `${sessions.length} import sessions for ${target}`);
      const expected = jobs.filter((j) => j.target.mailboxId === target).length * 15;
      assert.equal(mock.state.itemsFor(target).length, expected);
      assert.deepEqual(mock.state.duplicateData(target), []);
    }
  });
});

describe("a 2,000-item job in a 3-level tree, the object restarted 5 times", { skip }, () => {
  const source = mailbox("source-big");
  const target = mailbox("target-big");
  const persistDir = tempDir("do-restart");
  let worker;
  let jobId;
  let folderIds;
  // Items settled when each restart was asked for: the creates then in flight may stay outcomeUnknown.
  const stoppedAt = [];

  before(async () => {
    folderIds = seedCopy(source, target, "Big", [800, 700, 500]).folderIds;
    worker = await startJobsWorker({ dist, mock, persistDir, vars: { JOB_ITEMS_PER_CHUNK: "100" } });
  }, { timeout: 60_000 });

  after(async () => {
    await worker?.dispose();
  });

  test("finishes with every item exactly once (outcomeUnknown at most once), progress never backwards", { timeout: 150_000 }, async () => {
    const r = await worker.call(0, "/jobs", { method: "POST", body: { source: { mailboxId: source, folderId: folderIds[0] }, target: { mailboxId: target } } });
    assert.equal(r.status, 202, r.text);
    jobId = r.body.id;
    // Five points of the job, drawn at random (and printed, to replay a failure).
    const points = Array.from({ length: 5 }, () => 100 + Math.floor(Math.random() * 1700)).sort((a, b) => a - b);
    console.log(`restart points (items settled): ${points.join(", ")}`);
    let last = -1;
    const seen = [];
    const watch = (job) => {
      const settled = job.imported + job.updated + job.failed + job.outcomeUnknown;
      assert.ok(settled >= last, `progress went back from ${last} to ${settled}`);
      last = settled;
      seen.push(settled);
    };
    for (const point of points) {
      for (;;) {
        const job = (await worker.call(0, `/jobs/${jobId}`)).body;
        watch(job);
        if (job.status === "done") break;
        if (last >= point) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      stoppedAt.push(last);
      await worker.dispose();
      worker = await startJobsWorker({ dist, mock, persistDir, vars: { JOB_ITEMS_PER_CHUNK: "100" } });
    }
    const job = await waitForJob(() => worker, jobId, { onProgress: watch, timeoutMs: 120_000 });
    assert.equal(job.status, "done", JSON.stringify(job));
    assert.equal(job.failed, 0, JSON.stringify(job.lastError));
    // Only creates that may have been in flight when the object died are left unknown: at most 4 per restart.
    console.log(`outcomeUnknown after 5 restarts: ${job.outcomeUnknown}`);
    assert.ok(job.outcomeUnknown <= 5 * 4, `${job.outcomeUnknown} outcomeUnknown`);

    // In the mock: no data stored twice, and every source item there once, except outcomeUnknown ones at most once.
    assert.deepEqual(mock.state.duplicateData(target), []);
    const stored = new Set(mock.state.itemsFor(target).map((i) => i.dataHash));
    const sourceItems = mock.state.itemsFor(source);
    assert.equal(sourceItems.length, 2000);
    const missing = sourceItems.filter((i) => !stored.has(i.dataHash)).length;
    assert.ok(missing <= job.outcomeUnknown, `${missing} items missing, ${job.outcomeUnknown} outcomeUnknown`);
    assert.equal(job.imported + job.outcomeUnknown, 2000);
    // The tree came along: three folders, nested as in the source.
    assert.equal(job.folders.length, 3);
    assert.ok(job.folders.every((f) => f.status === "done"), JSON.stringify(job.folders));
    // Each folder counted once, however many chunks and restarts mapped it again before its state was kept.
    assert.equal(countFolders(mock.state.folderTree(target).folders), 3);
    assert.deepEqual(job.folderCounts, { created: 3, reused: 0, failed: 0 });
  });

  test("a second pass copies only what changed in the source", { timeout: 60_000 }, async () => {
    assert.ok(jobId, "the first pass ran");
    const [level1, level2, level3] = folderIds;
    const before = importPosts(mock, target).length;
    const added = [level1, level3, level3].map((folderId) => mock.state.createItem({ folderId, data: Buffer.from(`added ${folderId} ${Math.random()}`).toString("base64") }));
    // Items of the second level (copied after the first level's 800, in order) that no restart can have left
    // outcomeUnknown: an unknown one stays unknown in every pass, and would be neither updated nor removed.
    const atRisk = (i) => stoppedAt.some((settled) => 800 + i >= settled - 10 && 800 + i <= settled + 100);
    const sourceItems = mock.state.itemsFor(source).filter((i) => i.folderId === level2).filter((_, i) => !atRisk(i));
    mock.state.changeItem(sourceItems[0].itemId, { data: Buffer.from("changed once").toString("base64") });
    mock.state.changeItem(sourceItems[1].itemId, { data: Buffer.from("changed twice").toString("base64") });
    mock.state.removeItem(sourceItems[2].itemId);

    const r = await worker.call(0, `/jobs/${jobId}/run`, { method: "POST" });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.pass, 2);
    const job = await waitForJob(() => worker, jobId);
    assert.equal(job.status, "done", JSON.stringify(job));
    assert.equal(job.imported, added.length);
    assert.equal(job.updated, 2);
    assert.equal(job.failed, 0);
    assert.equal(job.totals.updated, 2);
    assert.equal(importPosts(mock, target).length - before, added.length + 2, "posts beyond the changes");
    assert.deepEqual(mock.state.duplicateData(target), []);
    // Running it again while it runs is refused.
    const again = await worker.call(0, `/jobs/${jobId}/run`, { method: "POST" });
    assert.equal(again.status, 202);
    const busy = await worker.call(0, `/jobs/${jobId}/run`, { method: "POST" });
    assert.equal(busy.status, 409, busy.text);
    assert.equal(busy.body.error.code, "jobBusy");
    await waitForJob(() => worker, jobId);
  });
});

describe("a 3,000-item folder in Free-plan chunks", { skip }, () => {
  const source = mailbox("source-round");
  const target = mailbox("target-round");
  let worker;

  before(async () => {
    seedCopy(source, target, "Round", [3000]);
    worker = await startJobsWorker({ dist, mock, persistDir: tempDir("do-round"), vars: { JOB_ITEMS_PER_CHUNK: "20" } });
  }, { timeout: 60_000 });

  after(async () => {
    await worker?.dispose();
  });

  test("each chunk goes on from the page of the round the last one reached: under 50 requests a chunk", { timeout: 240_000 }, async () => {
    const r = await worker.call(0, "/jobs", { method: "POST", body: { source: { mailboxId: source }, target: { mailboxId: target } } });
    assert.equal(r.status, 202, r.text);
    const job = await waitForJob(() => worker, r.body.id, { timeoutMs: 220_000 });
    assert.equal(job.status, "done", JSON.stringify(job));
    assert.equal(job.imported, 3000);
    const requests = mock.state.requests.filter((q) => q.mailbox === source || q.mailbox === target);
    const pages = requests.filter((q) => q.route === "itemsDelta").length;
    console.log(`3,000 items in ${job.chunks} chunks of 20: ${requests.length} requests (${(requests.length / job.chunks).toFixed(1)} a chunk), ${pages} items/delta pages`);
    // 30 pages of 100, each read once, but the page a chunk stopped in (read again by the next chunk).
    assert.ok(pages <= 30 + job.chunks, `${pages} items/delta pages for ${job.chunks} chunks`);
    assert.ok(requests.length / job.chunks < 50, `${requests.length} requests in ${job.chunks} chunks`);
    assert.deepEqual(mock.state.duplicateData(target), []);
    assert.deepEqual(job.folderCounts, { created: countFolders(mock.state.folderTree(target).folders), reused: 0, failed: 0 });
  });
});

describe("a folder the target refuses to create", { skip }, () => {
  const source = mailbox("source-refused");
  const target = mailbox("target-refused");
  let worker;

  before(async () => {
    seedCopy(source, target, "Refused", [3, 2]);
    worker = await startJobsWorker({ dist, mock, persistDir: tempDir("do-refused") });
  }, { timeout: 60_000 });

  after(async () => {
    await worker?.dispose();
  });

  const refuseOneCreate = () =>
    mock.state.addFaults([{ kind: "status", status: 403, route: "createFolder", mailbox: target, times: 1 }]);
  const folderStatuses = (job) => job.folders.map((f) => `${f.path.join("/")}: ${f.status}`);

  test("fails with its subtree in each pass it is refused, counted in that pass's folderCounts.failed only", { timeout: 120_000 }, async () => {
    refuseOneCreate();
    const r = await worker.call(0, "/jobs", { method: "POST", body: { source: { mailboxId: source }, target: { mailboxId: target } } });
    assert.equal(r.status, 202, r.text);
    const jobId = r.body.id;
    let job = await waitForJob(() => worker, jobId);
    assert.deepEqual(folderStatuses(job), ["Refused level 1: failed", "Refused level 1/Refused level 2: failed"]);
    assert.deepEqual(job.folderCounts, { created: 0, reused: 0, failed: 2 });
    assert.equal(importPosts(mock, target).length, 0);

    // Refused again in the next pass: the same two folders, not four.
    refuseOneCreate();
    assert.equal((await worker.call(0, `/jobs/${jobId}/run`, { method: "POST" })).status, 202);
    job = await waitForJob(() => worker, jobId);
    assert.equal(job.pass, 2);
    assert.deepEqual(job.folderCounts, { created: 0, reused: 0, failed: 2 });

    // Accepted in the third: both created, none failed, every item there once.
    assert.equal((await worker.call(0, `/jobs/${jobId}/run`, { method: "POST" })).status, 202);
    job = await waitForJob(() => worker, jobId);
    assert.deepEqual(folderStatuses(job), ["Refused level 1: done", "Refused level 1/Refused level 2: done"]);
    assert.deepEqual(job.folderCounts, { created: 2, reused: 0, failed: 0 });
    assert.equal(job.imported, 5);
    assert.equal(mock.state.itemsFor(target).length, 5);
    assert.deepEqual(mock.state.duplicateData(target), []);
  });
});

describe("cancel", { skip }, () => {
  const source = mailbox("source-cancel");
  const target = mailbox("target-cancel");
  let worker;

  before(async () => {
    seedCopy(source, target, "Cancel", [400]);
    mock.state.setConfig({ importLatencyMs: 200 });
    worker = await startJobsWorker({ dist, mock, persistDir: tempDir("do-cancel"), vars: { JOB_ITEMS_PER_CHUNK: "50" } });
  }, { timeout: 60_000 });

  after(async () => {
    mock.state.setConfig({ importLatencyMs: 0 });
    await worker?.dispose();
  });

  test("stops new posts within 2 seconds and the job ends cancelled", { timeout: 60_000 }, async () => {
    const r = await worker.call(0, "/jobs", { method: "POST", body: { source: { mailboxId: source }, target: { mailboxId: target } } });
    assert.equal(r.status, 202, r.text);
    const id = r.body.id;
    await waitForJob(() => worker, id, {
      timeoutMs: 30_000,
      onProgress: (job) => {
        if (job.imported >= 10) throw Object.assign(new Error("started"), { started: true });
      },
    }).catch((e) => {
      if (!e.started) throw e;
    });
    // A running job is not deleted: it is cancelled first.
    const early = await worker.call(0, `/jobs/${id}`, { method: "DELETE" });
    assert.equal(early.status, 409, early.text);
    assert.equal(early.body.error.code, "jobBusy");
    const cancelledAt = Date.now();
    const c = await worker.call(0, `/jobs/${id}/cancel`, { method: "POST" });
    assert.equal(c.status, 200, c.text);
    const job = await waitForJob(() => worker, id, { timeoutMs: 10_000 });
    assert.equal(job.status, "cancelled");
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const late = importPosts(mock, target).filter((p) => p.time > cancelledAt + 2000);
    assert.equal(late.length, 0, `${late.length} posts more than 2 s after cancel`);
    assert.ok(job.imported < 400);
    // The items it did import are each there once.
    assert.deepEqual(mock.state.duplicateData(target), []);
  });
});

describe("delete", { skip }, () => {
  const source = mailbox("source-delete");
  const target = mailbox("target-delete");
  let worker;

  before(async () => {
    seedCopy(source, target, "Delete", [5]);
    worker = await startJobsWorker({ dist, mock, persistDir: tempDir("do-delete") });
  }, { timeout: 60_000 });

  after(async () => {
    await worker?.dispose();
  });

  test("a finished job is deleted with its state and item map: 204, then 404 everywhere, gone from the list", { timeout: 60_000 }, async () => {
    const body = { source: { mailboxId: source }, target: { mailboxId: target } };
    const first = await worker.call(0, "/jobs", { method: "POST", body });
    assert.equal(first.status, 202, first.text);
    const id = first.body.id;
    assert.equal((await waitForJob(() => worker, id, { timeoutMs: 30_000 })).status, "done");

    const deleted = await worker.call(0, `/jobs/${id}`, { method: "DELETE" });
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, "");
    for (const [path, method] of [[`/jobs/${id}`, "GET"], [`/jobs/${id}`, "DELETE"], [`/jobs/${id}/run`, "POST"], [`/jobs/${id}/cancel`, "POST"]]) {
      const r = await worker.call(0, path, { method });
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.error.code, "notFound");
    }
    assert.ok(!(await worker.call(0, "/jobs")).body.jobs.some((job) => job.id === id));
    // The copies stay in the target. The item map went with the job: a new job for the same folders knows
    // none of them and copies every item again (the README says so).
    assert.equal(mock.state.itemsFor(target).length, 5);
    const second = await worker.call(0, "/jobs", { method: "POST", body });
    const again = await waitForJob(() => worker, second.body.id, { timeoutMs: 30_000 });
    assert.equal(again.status, "done");
    assert.equal(again.imported, 5);
  });
});
