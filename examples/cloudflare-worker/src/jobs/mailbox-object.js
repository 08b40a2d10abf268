// MailboxJobs: the Durable Object of one target mailbox (env.MAILBOX_JOBS.idFromName(targetMailboxId)), the
// only place that imports into it, whichever Worker instance a job arrived at.
//
// - One MailboxClient (app-only, on the isolate's clientCredentials provider) for all the mailbox's jobs: one
//   import session, renewed for all; at most IMPORT_CONCURRENCY (4) posts in flight in total, since only one
//   chunk of one job runs at a time and the client caps the mailbox at that.
// - Jobs take turns: each alarm invocation runs one chunk of the job at the head of the queue (copyFolders
//   from its stored CopyState, stopped through its signal after JOB_ITEMS_PER_CHUNK settled items or
//   JOB_CHUNK_MS), then puts it at the back and sets the next alarm. A chunk fits the Free plan's 50
//   subrequests per invocation; the next one resumes from storage.
// - Everything lives in storage (job-store.js): the job record, its CopyState (onState) and its item map
//   (the package's item store, written as each item settles): an object evicted or restarted in the middle
//   of a chunk resumes from there, and the alarm (or the next call) starts it again.
// - A Graph Retry-After longer than the client waits out itself stops every job of the mailbox until then.

import { DurableObject } from "cloudflare:workers";
import { isMailboxError } from "graph-mailbox-import";

import { readConfig } from "../config.js";
import { jobClient } from "./graph-client.js";
import { emptyCounts, jobSummary, jobView, JobStore, newJobRecord } from "./job-store.js";
import { readJobSettings } from "./settings.js";

/** Why a chunk's signal was aborted: its budget was used up (the job goes on) or the job was cancelled. */
class ChunkStop extends Error {
  constructor(kind) {
    super(kind === "cancel" ? "The job was cancelled." : "The chunk's budget is used up.");
    this.name = "ChunkStop";
    this.kind = kind;
  }
}

// A job failing with one of these is not retried: the same request would fail the same way.
const PERMANENT = new Set(["invalidArgument", "unauthorized", "forbidden", "notFound", "untrustedImportUrl"]);
const MAX_TRANSIENT_FAILURES = 5;
const FINISHED = new Set(["done", "failed", "cancelled"]);

export class MailboxJobs extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.store = new JobStore(ctx.storage);
    /** The chunk in progress: { jobId, controller, job }. */
    this.running = null;
    this.client = null;
  }

  // -------------------------------------------------------------------------------------------------------
  // RPC from the Worker

  /** Stores a new job and queues it. `job`: { id, source, target, options, startedBy }. */
  async createJob(job) {
    const record = newJobRecord({ ...job, now: new Date().toISOString() });
    await this.store.putJob(record);
    await this.enqueue(record.id);
    return jobView(record);
  }

  async getJob(id) {
    const job = await this.store.getJob(id);
    await this.ensureAlarm();
    return job ? jobView(job) : null;
  }

  /** Summaries of the jobs with these ids (all of this mailbox's when `ids` is absent). */
  async listJobs(ids) {
    await this.ensureAlarm();
    const jobs = await this.store.listJobs();
    return jobs.filter((j) => !ids || ids.includes(j.id)).map(jobSummary);
  }

  /**
   * Stops a job: a queued one at once; a running one through its chunk's signal (no new post is sent; the
   * ones in flight settle and are recorded). Returns the job, or null when unknown.
   */
  async cancelJob(id) {
    const job = await this.store.getJob(id);
    if (!job) return null;
    if (FINISHED.has(job.status)) return jobView(job);
    if (this.running?.jobId === id) {
      // The chunk's own record, so its later writes keep the request.
      const running = this.running.job;
      running.cancelRequested = true;
      this.running.controller.abort(new ChunkStop("cancel"));
      await this.store.putJob(running);
      return jobView(running);
    }
    job.cancelRequested = true;
    await this.finish(job, "cancelled");
    return jobView(job);
  }

  /**
   * The next incremental pass of a finished job, from its stored CopyState: copies what changed in the
   * source since. `{ job }`, or `{ busy: job }` while the job is still queued or running.
   */
  async runJob(id) {
    const job = await this.store.getJob(id);
    if (!job) return null;
    if (!FINISHED.has(job.status)) return { busy: jobView(job) };
    const now = new Date().toISOString();
    Object.assign(job, {
      status: "queued",
      pass: job.pass + 1,
      passCounts: emptyCounts(),
      startedAt: null,
      finishedAt: null,
      updatedAt: now,
      lastError: null,
      cancelRequested: false,
      transientFailures: 0,
    });
    // Every folder is copied again in the new pass; one that fails again is this pass's failure. (A folder is
    // created or found once per job: those counts stay.)
    for (const folder of Object.values(job.folders)) Object.assign(folder, { status: "pending", ...emptyCounts() });
    job.folderCounts.failed = 0;
    await this.store.putJob(job);
    await this.enqueue(id);
    return { job: jobView(job) };
  }

  /**
   * Deletes a finished job and what was kept for it. `{ deleted: true }`, `{ busy: job }` while it is queued or
   * running, or null when unknown.
   */
  async deleteJob(id) {
    const job = await this.store.getJob(id);
    if (!job) return null;
    if (!FINISHED.has(job.status) || this.running?.jobId === id) return { busy: jobView(job) };
    await this.store.deleteJob(id);
    return { deleted: true };
  }

  // -------------------------------------------------------------------------------------------------------
  // Scheduling

  async enqueue(id) {
    const queue = await this.store.getQueue();
    if (!queue.includes(id)) queue.push(id);
    await this.store.putQueue(queue);
    await this.ensureAlarm();
  }

  /** An alarm is set whenever work is waiting (also after a restart that lost the running invocation). */
  async ensureAlarm() {
    if (this.running) return;
    const queue = await this.store.getQueue();
    if (queue.length === 0) return;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Math.max(Date.now(), await this.store.getRetryAfterUntil()));
    }
  }

  async alarm() {
    const retryAfterUntil = await this.store.getRetryAfterUntil();
    if (retryAfterUntil > Date.now()) {
      await this.ctx.storage.setAlarm(retryAfterUntil);
      return;
    }
    const queue = await this.store.getQueue();
    const id = queue[0];
    if (id === undefined) return;
    const job = await this.store.getJob(id);
    let keep = false;
    if (job && !FINISHED.has(job.status)) {
      keep = await this.runChunk(job);
    }
    // Taking turns: this job goes to the back when it has more to do.
    const after = (await this.store.getQueue()).filter((q) => q !== id);
    if (keep) after.push(id);
    await this.store.putQueue(after);
    if (after.length) {
      await this.ctx.storage.setAlarm(Math.max(Date.now(), await this.store.getRetryAfterUntil()));
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // One chunk of one job

  /** Runs a chunk of `job`; true when the job has more to do (it stays queued). */
  async runChunk(job) {
    const { config, problems } = readConfig(this.env);
    const { jobs: settings, problems: jobProblems } = readJobSettings(this.env);
    if (!config || !settings || config.mode !== "app-only") {
      // Names of settings only; the operator sees them in the log.
      console.log(JSON.stringify({ object: "MailboxJobs", problems: problems ?? jobProblems ?? ["TOKEN_MODE: jobs need app-only"] }));
      job.lastError = { code: "workerMisconfigured", at: new Date().toISOString() };
      await this.finish(job, "failed");
      return false;
    }
    if (job.cancelRequested) {
      await this.finish(job, "cancelled");
      return false;
    }
    this.client ??= jobClient(config);

    // The last chunk never ended (the object died): its creates in flight stay outcomeUnknown; count them.
    const unknown = await this.store.recoverInflight(job.id);
    job.passCounts.outcomeUnknown += unknown;
    job.totals.outcomeUnknown += unknown;
    const now = new Date().toISOString();
    job.status = "running";
    job.startedAt ??= now;
    job.updatedAt = now;
    job.chunks += 1;
    await this.store.putJob(job);

    const controller = new AbortController();
    const chunk = { updates: new Set() };
    this.running = { jobId: job.id, controller, job };
    const timer = setTimeout(() => controller.abort(new ChunkStop("budget")), settings.chunkMs);
    let settled = 0;
    const state = await this.store.getState(job.id);
    const options = {
      includeSubfolders: job.options.includeSubfolders,
      concurrency: config.limits.importConcurrency,
      signal: controller.signal,
      itemStore: this.store.itemStore(job.id, chunk),
      onState: (next) => this.store.putState(job.id, next),
      onFolder: (event) => {
        this.recordFolder(job, event);
        this.store.putJob(job);
      },
      onResult: (result) => {
        chunk.settled(result.sourceItemId);
        // Stopped before it was sent (the chunk's budget): not copied, not failed; the next chunk sends it.
        if (result.error?.code === "aborted") return;
        this.recordResult(job, result, chunk.updates.has(result.sourceItemId));
        // Committed in the same transaction as the item store's write of this item.
        this.store.putJob(job);
        settled += 1;
        if (settled >= settings.itemsPerChunk && !controller.signal.aborted) controller.abort(new ChunkStop("budget"));
      },
    };
    if (state !== undefined) options.state = state;
    if (job.options.receivedSince) options.receivedSince = job.options.receivedSince;
    const source = { mailboxId: job.source.mailboxId };
    if (job.source.folderId) source.folderId = job.source.folderId;
    const target = { mailboxId: job.target.mailboxId };
    if (job.target.parentFolderId) target.parentFolderId = job.target.parentFolderId;

    try {
      const report = await this.client.copyFolders(source, target, options).finally(() => this.store.endChunk(job.id));
      await this.store.putState(job.id, report.state);
      job.passCounts.removedInSource = report.removedInSource ?? job.passCounts.removedInSource;
      await this.finish(job, "done");
      return false;
    } catch (error) {
      return await this.chunkFailed(job, error);
    } finally {
      clearTimeout(timer);
      this.running = null;
    }
  }

  /** After a chunk stopped early: true when the job goes on in a later chunk. */
  async chunkFailed(job, error) {
    const now = new Date().toISOString();
    if (error instanceof ChunkStop || error?.name === "ChunkStop") {
      if (error.kind === "cancel" || job.cancelRequested) {
        await this.finish(job, "cancelled");
        return false;
      }
      job.status = "queued";
      job.transientFailures = 0;
      job.updatedAt = now;
      await this.store.putJob(job);
      return true;
    }
    if (!isMailboxError(error)) {
      // A bug: its name only, the message could hold anything.
      job.lastError = { code: "internalError", name: error instanceof Error ? error.name : typeof error, at: now };
      await this.finish(job, "failed");
      return false;
    }
    job.lastError = { code: error.code, at: now };
    if (error.graphCode) job.lastError.graphCode = error.graphCode;
    if (error.status !== undefined) job.lastError.upstreamStatus = error.status;
    if (PERMANENT.has(error.code)) {
      await this.finish(job, "failed");
      return false;
    }
    job.transientFailures = (job.transientFailures ?? 0) + 1;
    if (job.transientFailures > MAX_TRANSIENT_FAILURES) {
      await this.finish(job, "failed");
      return false;
    }
    // Throttled, unavailable, network: wait (Graph's Retry-After when it said one, for every job of this
    // mailbox; else a doubling backoff), then go on from the stored state.
    const waitMs = error.code === "throttled" && error.retryAfterMs !== undefined
      ? error.retryAfterMs
      : Math.min(60_000, 1000 * 2 ** job.transientFailures);
    await this.store.putRetryAfterUntil(Date.now() + waitMs);
    job.status = "waiting";
    job.updatedAt = now;
    await this.store.putJob(job);
    return true;
  }

  async finish(job, status) {
    const now = new Date().toISOString();
    job.status = status;
    job.updatedAt = now;
    job.finishedAt = now;
    job.cancelRequested = false;
    await this.store.putJob(job);
    const queue = await this.store.getQueue();
    if (queue.includes(job.id)) await this.store.putQueue(queue.filter((q) => q !== job.id));
  }

  // -------------------------------------------------------------------------------------------------------
  // Progress

  /** Applies a copyFolders onFolder event to the job's folder list (kept in the copy's order). */
  recordFolder(job, event) {
    const id = event.sourceFolderId;
    const folder = (job.folders[id] ??= { path: event.path, targetFolderId: null, status: "pending", ...emptyCounts() });
    folder.path = event.path;
    if (event.targetFolderId) folder.targetFolderId = event.targetFolderId;
    switch (event.action) {
      case "created":
      case "reused":
        // A chunk that stopped after mapping a folder but before its state was kept maps it again in the next
        // chunk, and finds the folder it created: the first word on a folder is the one counted.
        if (folder.mapping === undefined) {
          folder.mapping = event.action;
          job.folderCounts[event.action] += 1;
        }
        folder.status = "copying";
        break;
      case "done":
        folder.status = "done";
        break;
      case "failed":
        // Each chunk runs the copy again and is told again of a folder that failed before: count it once.
        if (folder.status !== "failed") job.folderCounts.failed += 1;
        folder.status = "failed";
        folder.errorCode = event.error?.code;
        break;
      default:
        break;
    }
    job.updatedAt = new Date().toISOString();
  }

  /**
   * Counts one settled item in the pass, the totals and its folder: copyFolders copies folders one after the
   * other in the order it first reported them, so an item belongs to the first folder not yet done or failed.
   */
  recordResult(job, result, isUpdate) {
    const kind = result.status === "imported" ? (isUpdate ? "updated" : "imported") : result.status;
    if (!(kind in job.passCounts)) return;
    job.passCounts[kind] += 1;
    job.totals[kind] += 1;
    const folder = Object.values(job.folders).find((f) => f.status !== "done" && f.status !== "failed");
    if (folder) folder[kind] += 1;
    if (result.status !== "imported" && result.error) {
      job.lastError = { code: result.error.code, at: new Date().toISOString() };
      if (result.error.graphCode) job.lastError.graphCode = result.error.graphCode;
      if (result.error.status !== undefined) job.lastError.upstreamStatus = result.error.status;
    }
    job.updatedAt = new Date().toISOString();
  }
}
