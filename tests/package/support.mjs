// Helpers shared by the package tests: installing the package the way users get it, the mock tenant, and
// the assertions every runtime must pass for the common scenarios (see scenarios.mjs).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { demoSeed, startMockTenant } from "../mock/server.mjs";
import { bulkItemData } from "./bulk-scenario.mjs";
import { SEED_MAILBOX, SEED_TOKEN } from "./scenarios.mjs";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PKG_DIR = join(ROOT, "pkg");
export const NODE_MODULES_BIN = join(ROOT, "node_modules", ".bin");

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Runs a command to completion and returns its stdout; throws with its output when it fails. */
export function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `gmi-${label}-`));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Packs pkg/ with `npm pack` into a fresh directory, as `npm pack ./pkg` does for a user. Returns the
 * tarball's path and the paths it holds, sorted.
 */
export function packPackage() {
  if (!existsSync(join(PKG_DIR, "graph_mailbox_import_bg.wasm"))) {
    throw new Error("pkg/ has no wasm: run scripts/build.sh first");
  }
  const packDir = tempDir("pack");
  const out = run("npm", ["pack", "--json", "--silent", "--pack-destination", packDir], { cwd: PKG_DIR });
  const [info] = JSON.parse(out);
  return { tarball: join(packDir, info.filename), files: info.files.map((f) => f.path).sort() };
}

/**
 * Packs pkg/ and unpacks the tarball as `<dir>/node_modules/graph-mailbox-import`, which is what
 * `npm install` of the tarball leaves: only the files its `files` list ships, resolved by package name
 * through `exports`. Unpacking is all an install does here, the package having no dependencies.
 * Returns the package's directory and the paths the tarball holds.
 */
export function installPackedPackage(dir) {
  const { tarball, files } = packPackage();
  const packageDir = join(dir, "node_modules", "graph-mailbox-import");
  rmSync(packageDir, { recursive: true, force: true });
  mkdirSync(packageDir, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", packageDir, "--strip-components=1"]);
  return { packageDir, files };
}

/** Starts the mock tenant; the caller closes it. */
export function startMock() {
  return startMockTenant();
}

let counter = 0;
/** A mailbox id no other test uses, so faults and recorded requests can be scoped to one test. */
export function uniqueMailbox(label) {
  counter += 1;
  return `MBX:${label}-${process.pid}-${counter}@package-tests`;
}

/** The mailbox ids and options `runScenarios` needs, for one runtime. */
export function scenarioEnv(mock, label, extra = {}) {
  return {
    graphUrl: mock.graphUrl,
    importPort: mock.importPort,
    mailboxes: {
      throttled: uniqueMailbox(`${label}-throttled`),
      forbidden: uniqueMailbox(`${label}-forbidden`),
      abortInRequest: uniqueMailbox(`${label}-abort-in-request`),
      abortInBody: uniqueMailbox(`${label}-abort-in-body`),
    },
    retryBaseDelayMs: 50,
    ...extra,
  };
}

/**
 * Queues the faults the common scenarios expect: one 429 with `Retry-After: 1` before the throttled call, an
 * answer that never comes for the call aborted in the request, and one that stops halfway through its body
 * for the call aborted while reading it.
 */
export function addScenarioFaults(mock, env) {
  mock.state.addFaults([
    { target: "graph", mailbox: env.mailboxes.throttled, kind: "status", status: 429, retryAfter: "1" },
    { target: "graph", mailbox: env.mailboxes.abortInRequest, kind: "hang" },
    { target: "graph", mailbox: env.mailboxes.abortInBody, kind: "hangInBody" },
  ]);
}

/** Checks the one request of a createImportSession call as the mock saw it. */
export function assertSessionRequest(request, { path, token }) {
  assert.equal(request.server, "graph");
  assert.equal(request.method, "POST");
  assert.equal(request.path, path);
  assert.equal(request.headers.authorization, `Bearer ${token}`);
  assert.equal(request.headers.accept, "application/json");
  assert.match(request.headers["client-request-id"], UUID_V4);
}

/** Checks a returned session: a plain object with exactly Graph's two fields, on the mock's import host. */
export function assertSession(result, mock, version = "v1.0") {
  assert.equal(result.ok, true, `expected a session, got ${JSON.stringify(result.error)}`);
  assert.equal(result.plainObject, true, "the session is a plain object");
  assert.deepEqual([...result.keys].sort(), ["expirationDateTime", "importUrl"]);
  assert.ok(
    result.value.importUrl.startsWith(`${mock.importUrlBase}/api/g${version}/Mailboxes('`),
    "importUrl is the one the mock issued",
  );
  assert.match(result.value.importUrl, /\?authtoken=[A-Za-z0-9_-]{43}$/);
  assert.match(result.value.expirationDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
}

/**
 * The common assertions, the same in every runtime:
 * (a) the seed call returns the session and sends exactly the documented request;
 * (b) a 429 then a 200: two requests, success;
 * (c) a 403 rejects with a MailboxError carrying the mock's request-id and no token;
 * (d) an abort while waiting for the answer, and one while reading its body, reject with signal.reason itself
 *     (the module does not trap), after one request each.
 */
export function assertScenarioResults(results, mock, env) {
  // (a)
  assertSession(results.seed, mock);
  const seedRequests = mock.state.requestsFor(SEED_MAILBOX);
  assert.equal(seedRequests.length, 1, "one request for the seed call");
  assertSessionRequest(seedRequests[0], {
    path: "/v1.0/admin/exchange/mailboxes/MBX%3Ae0643f21%40a7809c93/createImportSession",
    token: SEED_TOKEN,
  });
  assert.equal(seedRequests[0].status, 200);

  // (b)
  assertSession(results.throttled, mock);
  const throttled = mock.state.requestsFor(env.mailboxes.throttled);
  assert.deepEqual(
    throttled.map((r) => [r.fault, r.status]),
    [["status", 429], [null, 200]],
    "a 429, then a retry that succeeded",
  );

  // (c)
  const forbidden = mock.state.requestsFor(env.mailboxes.forbidden);
  assert.equal(forbidden.length, 1, "a 403 is not retried");
  assert.equal(forbidden[0].status, 403);
  const { error } = results.forbidden;
  assert.equal(results.forbidden.ok, false, "the 403 call rejected");
  assert.equal(error.isError, true, "rejects with an Error");
  assert.equal(error.name, "MailboxError");
  assert.equal(error.code, "forbidden");
  assert.equal(error.status, 403);
  assert.equal(error.isMailboxError, true, "isMailboxError(e)");
  assert.equal(error.attempts, 1);
  // The request-id the mock answered with, as the runtime's fetch saw it (see observeResponses).
  const answered = results.forbidden.responses;
  assert.equal(answered.length, 1);
  assert.match(answered[0].requestId, UUID_V4);
  assert.equal(error.requestId, answered[0].requestId);
  assert.equal(error.clientRequestId, forbidden[0].headers["client-request-id"]);
  assert.ok(!error.message.includes(results.forbidden.token), "the message does not hold the token");
  assert.ok(!error.message.includes("Bearer"), "the message does not hold the Authorization header");

  // (d)
  for (const [key, fault, message] of [
    ["abortInRequest", "hang", "stop in request"],
    ["abortInBody", "hangInBody", "stop in body"],
  ]) {
    const aborted = results[key];
    assert.equal(aborted.ok, false, `${key}: rejected`);
    assert.equal(aborted.error.isError, true, `${key}: rejects with the reason, an Error`);
    assert.equal(aborted.error.isMailboxError, false, `${key}: the reason itself, not a MailboxError`);
    assert.equal(aborted.error.message, message, `${key}: the signal's reason`);
    const requests = mock.state.requestsFor(env.mailboxes[key]);
    assert.deepEqual(requests.map((r) => r.fault), [fault], `${key}: one request, not retried`);
  }
}

/**
 * Faults for a bulk run into `mailbox`, one per import post in arrival order (retries included), so the run
 * is the same every time: a 429 without Retry-After every 41 posts, a connection reset after the item was
 * stored every 97 posts (from post 60), one 409 naming `archive` at post 800, and 2 ms of latency otherwise.
 * All items go to one folder, so after the 409 the client sends the rest straight to the archive, where
 * no faults are queued.
 */
export function chaosFaults(mailbox, archive, posts) {
  const faults = [];
  for (let k = 0; k < posts; k += 1) {
    const base = { target: "import", mailbox, times: 1 };
    if (k === 800) {
      const message = `Invalid import session. The target session is expected in mailbox ${archive}.`;
      faults.push({ ...base, kind: "status", status: 409, message });
    } else if (k % 97 === 60) {
      faults.push({ ...base, kind: "reset", process: true });
    } else if (k % 41 === 13) {
      faults.push({ ...base, kind: "status", status: 429 });
    } else {
      faults.push({ ...base, kind: "delay", ms: 2 });
    }
  }
  return faults;
}

/**
 * Checks a chaos run (see chaosFaults) of `count` items against what the mock saw: every item settled once
 * in input order, the items whose answer was lost reported as outcomeUnknown and posted exactly once, nothing
 * stored twice, one item moved to the archive, sessions renewed when they expired, and never more than four
 * posts in flight for the mailbox.
 */
export function assertChaosRun(result, mock, { mailbox, archive, count }) {
  assert.deepEqual(result.indexes, Array.from({ length: count }, (_, i) => i), "one result per item, in input order");
  assert.equal(result.imported + result.failed + result.outcomeUnknown, count);
  assert.equal(result.onResultCalls, count, "onResult once per item");
  assert.equal(result.progressCalls, count, "onProgress once per item");
  assert.equal(result.lastProgress.settled, count);

  const posts = mock.state.requestsFor(mailbox).filter((r) => r.server === "import");
  const resets = posts.filter((r) => r.fault === "reset");
  assert.ok(resets.length >= 7, `the run met the resets (${resets.length})`);
  assert.equal(result.outcomeUnknown, resets.length, "each lost answer is outcomeUnknown");
  assert.deepEqual(new Set(result.outcomeUnknownCodes), new Set(["outcomeUnknown"]));
  // An item whose answer was lost was never posted again (earlier attempts that the server refused without
  // processing them are fine).
  for (const reset of resets) {
    const same = posts.filter((p) => p.body === reset.body);
    const after = same.filter((p) => p !== reset && p.time >= reset.time);
    assert.equal(after.length, 0, "an outcomeUnknown item was not posted again");
    const refusedStatuses = new Set([401, 409, 429]); // session refused, archive switch, throttled: none processed
    const earlier = same.filter((p) => p !== reset);
    assert.ok(earlier.every((p) => refusedStatuses.has(p.status)), `earlier attempts were refused: ${earlier.map((p) => p.status)}`);
  }
  assert.equal(result.failed, 0, `nothing failed: ${result.failedCodes.join(", ")}`);
  assert.equal(result.imported, count - resets.length);

  // Every item is stored exactly once, the lost answers included: the primary mailbox's until the 409,
  // then the archive's, where the client sent the rest of that folder's items without a refused post each.
  const primary = mock.state.itemsFor(mailbox).length;
  const archived = mock.state.itemsFor(archive).length;
  const stored = new Map();
  for (const item of [...mock.state.itemsFor(mailbox), ...mock.state.itemsFor(archive)]) {
    stored.set(item.data, (stored.get(item.data) ?? 0) + 1);
  }
  // Imported items exist exactly once. An outcomeUnknown item exists at most once: its answer was lost,
  // and the post may or may not have taken effect (here: not when its session had just expired).
  const unknown = new Set(result.outcomeUnknownIndexes);
  for (let i = 0; i < count; i += 1) {
    const copies = stored.get(bulkItemData(i)) ?? 0;
    if (unknown.has(i)) assert.ok(copies <= 1, `outcomeUnknown item ${i} stored ${copies} times`);
    else assert.equal(copies, 1, `imported item ${i} stored ${copies} times`);
  }
  assert.ok(primary >= 700 && archived >= 1, `stored ${primary} in the mailbox, ${archived} in the archive`);
  const refused = posts.filter((p) => p.status === 409).length;
  assert.equal(refused, 1, "one refused post: the folder's later items went to the archive directly");
  const sessions = mock.state.requestsFor(mailbox).filter((r) => r.server === "graph" && r.status === 200);
  assert.ok(sessions.length >= 2, `sessions were renewed as they expired (${sessions.length} created)`);
  const peak = mock.state.stats.maxInFlightByMailbox.import[mailbox];
  assert.ok(peak <= 4, `at most 4 posts in flight (saw ${peak})`);
  assert.equal(peak, 4, "the window was used");
  const refusedForLimit = mock.state.requests.filter((r) => r.fault === "concurrencyLimit" && (r.mailbox === mailbox || r.mailbox === archive));
  assert.equal(refusedForLimit.length, 0, "the client never had a fifth post in flight");
  const archivePeak = mock.state.stats.maxInFlightByMailbox.import[archive] ?? 0;
  assert.ok(archivePeak <= 4, `at most 4 posts in flight to the archive (saw ${archivePeak})`);
  return { resets: resets.length, sessions: sessions.length, peak, posts: posts.length, archived };
}

/**
 * Prepares the mock for runCopy (copy-scenario.mjs): the demo tenant (a source user with a 3-level folder tree
 * of 250 items and an archive, a target user), two items Graph will not export (one error spelled `Error`),
 * one transient 503 on an export, and two hostile answers for the target's inbox: a nextLink off the Graph
 * root, then a 308 off it, both to the elsewhere server. Returns the env runCopy takes, plus the seed.
 */
export function prepareCopy(mock) {
  mock.state.reset();
  const seed = demoSeed();
  mock.state.seed(seed);
  const { ids } = seed;
  const corrupt = ids.items.inbox[10];
  const denied = ids.items.y2026[3];
  mock.state.setConfig({
    exportItemErrors: {
      [corrupt]: { code: "ErrorCorruptData", message: "The item's data is corrupt." },
      [denied]: { code: "ErrorAccessDenied", message: "Access is denied.", key: "Error" },
    },
  });
  const inboxPath = `/v1.0/admin/exchange/mailboxes/${encodeURIComponent(ids.targetMailbox)}/folders/${encodeURIComponent(ids.targetFolders.inbox)}/items`;
  mock.state.addFaults([
    { kind: "untrustedNextLink", mailbox: ids.targetMailbox, route: "items" },
    { kind: "redirect", status: 308, location: mock.elsewhereUrl + inboxPath, mailbox: ids.targetMailbox, route: "items" },
    { kind: "status", status: 503, mailbox: ids.sourceMailbox, route: "exportItems" },
  ]);
  return {
    env: {
      graphUrl: mock.graphUrl,
      importPort: mock.importPort,
      sourceUser: ids.sourceUser,
      targetUser: ids.targetUser,
      targetFolderId: ids.targetFolders.restored,
      targetInboxId: ids.targetFolders.inbox,
      movedFolderId: ids.archiveFolders.oldProjects,
      extraItemIds: ["AAMkADnoSuchItemAAA="],
    },
    seed,
    // Source id -> [code, graphCode] of its failed copy.
    failing: {
      [corrupt]: ["graphError", "ErrorCorruptData"],
      [denied]: ["forbidden", "ErrorAccessDenied"],
      "AAMkADnoSuchItemAAA=": ["notFound", "ErrorItemNotFound"],
    },
  };
}

/** What every runtime's copy must show, in its answer and in what the mock saw. */
export function assertCopyRun(result, mock, { seed, failing }, { redirectHidden = false } = {}) {
  const { ids } = seed;
  assert.deepEqual(result.source, { primaryMailboxId: ids.sourceMailbox, inPlaceArchiveMailboxId: ids.sourceArchive });
  assert.deepEqual(result.target, { primaryMailboxId: ids.targetMailbox });

  // Refused without contacting the other host: no request, so no token, ever reached it. A browser hides a
  // redirect's target, so there the 308 is refused unseen (graphError, saying so) rather than judged.
  assert.deepEqual(
    result.untrusted.map((u) => [u.ok, u.code, u.isMailboxError]),
    [
      [false, "untrustedImportUrl", true],
      [false, redirectHidden ? "graphError" : "untrustedImportUrl", true],
    ],
  );
  if (redirectHidden) assert.match(result.untrusted[1].message, /hides/);
  assert.deepEqual(mock.state.elsewhereRequests, [], "nothing was sent off the Graph root");

  // The tree: three levels, the hidden folder only when asked for.
  assert.equal(Math.max(...result.folders.map((f) => f.depth)), 3);
  assert.ok(result.folders.some((f) => f.id === ids.folders.hidden));
  assert.ok(!result.topLevelWithoutHidden.includes("Conversation Action Settings"));
  assert.equal(result.listed, 250, "every page of every folder");
  assert.equal(result.moved, 5, "the folder moved to the archive was read");
  // Where the runtime shows a redirect's target, the 308 was followed; a browser hides it, so it was refused.
  assert.equal(result.movedVia, redirectHidden ? "archive id, after graphError" : "redirect");

  // Every source id settled once, in input order, with its sourceItemId.
  const { report } = result;
  assert.deepEqual(
    report.results.map((r) => r.sourceItemId),
    result.itemIds,
  );
  assert.deepEqual(report.results.map((r) => r.index), result.itemIds.map((_, i) => i));
  assert.deepEqual([...result.settledOrder].sort(), [...result.itemIds].sort(), "onResult once per source item");
  assert.equal(result.lastProgress.settled, result.itemIds.length);
  assert.equal(result.lastProgress.total, result.itemIds.length);
  const failedIds = Object.keys(failing);
  assert.deepEqual(
    { imported: report.imported, failed: report.failed, outcomeUnknown: report.outcomeUnknown },
    { imported: result.itemIds.length - failedIds.length, failed: failedIds.length, outcomeUnknown: 0 },
  );
  for (const r of report.results.filter((r) => r.status === "failed")) {
    assert.deepEqual([r.code, r.graphCode, r.isMailboxError], [...failing[r.sourceItemId], true], r.sourceItemId);
  }
  assert.deepEqual(new Set(report.results.filter((r) => r.status === "failed").map((r) => r.sourceItemId)), new Set(failedIds));

  // The copies: in the target folder, each source item's exact data once, nothing duplicated.
  const sourceData = new Map(
    [...mock.state.itemsFor(ids.sourceMailbox), ...mock.state.itemsFor(ids.sourceArchive)].map((item) => [item.itemId, item.dataHash]),
  );
  const copies = mock.state.itemsFor(ids.targetMailbox);
  assert.equal(copies.length, report.imported);
  assert.ok(copies.every((item) => item.folderId === ids.targetFolders.restored));
  const expectedHashes = report.results.filter((r) => r.status === "imported").map((r) => sourceData.get(r.sourceItemId)).sort();
  assert.deepEqual(copies.map((item) => item.dataHash).sort(), expectedHashes, "each copy carries its source's data");
  assert.deepEqual(mock.state.duplicateData(ids.targetMailbox), []);
  assert.equal(result.copies.length, report.imported, "the copies read back through every page");

  // Exports: at most 20 ids a call, the transient 503 retried, the moved items asked for again from the archive.
  const exports = mock.state.requests.filter((r) => r.server === "graph" && r.path.endsWith("/exportItems"));
  for (const request of exports) assert.ok(JSON.parse(request.body).itemIds.length <= 20);
  assert.ok(exports.some((r) => r.status === 503), "the 503 was met");
  const toArchive = exports.filter((r) => r.mailbox === ids.sourceArchive);
  assert.equal(toArchive.length, 1, "one export from the archive");
  assert.equal(JSON.parse(toArchive[0].body).itemIds.length, 5);
  assert.ok(mock.state.stats.maxInFlightByMailbox.import[ids.targetMailbox] <= 4);
  // The token went to Graph only; the import host saw authtokens alone.
  for (const request of mock.state.requests) {
    const expected = request.server === "graph" ? "Bearer copy-token" : undefined;
    assert.equal(request.headers.authorization, expected, `${request.server} ${request.path}`);
  }
}

/** What every runtime's hostile-values run must show (see hostile-scenario.mjs). */
export function assertHostileRun(result, mock) {
  assert.deepEqual(result.violations, [], `${result.violations.length} calls broke the contract`);
  assert.deepEqual(result.offMock, [], "nothing was fetched off the mock");
  assert.ok(result.calls > 1000, `${result.calls} calls`);
  assert.equal(result.goodCalls + 24, result.calls, "a good call after every hostile one");
  assert.ok(result.codes.invalidArgument > 500, JSON.stringify(result.codes));
  assert.deepEqual(mock.state.elsewhereRequests, []);
}
