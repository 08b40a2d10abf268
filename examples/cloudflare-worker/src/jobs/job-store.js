// Where a mailbox's jobs live: the Durable Object's own storage (SQLite-backed, transactional). Nothing a job
// needs to go on is kept only in memory, so an object evicted or restarted between (or during) chunks picks
// up from here.
//
//   job:<jobId>                 the job record: what to copy, status, progress counts, last error
//   state:<jobId>               the CopyState of copyFolders (JSON text), as last passed to onState
//   item:<jobId>:<sourceItemId> one entry of the item map (the package's item store): how that item's copy stands
//   inflight:<jobId>            the items whose create may be in flight now (see itemStore); gone after a clean end
//   queue                       ids of the jobs waiting for their next chunk, in turn order
//   retryAfterUntil             a Graph Retry-After for this mailbox, shared by all its jobs (ms since epoch)
//
// Writes are not awaited one by one where the object's write coalescing makes them atomic together: puts
// issued in the same turn are committed as one transaction, and the object sends nothing (no import post, no
// answer) until they are on disk (Cloudflare's output gate).

const JOB = "job:";
const STATE = "state:";
const ITEM = "item:";
const INFLIGHT = "inflight:";
const QUEUE = "queue";
const RETRY_AFTER_UNTIL = "retryAfterUntil";

/** The package's CopiedItem for "a create was sent and no answer came back". */
const OUTCOME_UNKNOWN = Object.freeze({ status: "outcomeUnknown" });

/** Counters of one pass, or of every pass together. */
export function emptyCounts() {
  return { imported: 0, updated: 0, failed: 0, outcomeUnknown: 0, removedInSource: 0 };
}

/** A new job record (status "queued", pass 1). */
export function newJobRecord({ id, source, target, options, startedBy, now }) {
  return {
    id,
    source,
    target,
    options,
    startedBy,
    status: "queued",
    pass: 1,
    createdAt: now,
    startedAt: null,
    updatedAt: now,
    finishedAt: null,
    passCounts: emptyCounts(),
    totals: emptyCounts(),
    folderCounts: { created: 0, reused: 0, failed: 0 },
    folders: {},
    chunks: 0,
    lastError: null,
    cancelRequested: false,
  };
}

/** The job as the API shows it (GET /jobs/{id}). */
export function jobView(job) {
  return {
    id: job.id,
    status: job.status,
    source: job.source,
    target: job.target,
    includeSubfolders: job.options.includeSubfolders,
    ...(job.options.receivedSince ? { receivedSince: job.options.receivedSince } : {}),
    pass: job.pass,
    chunks: job.chunks,
    ...job.passCounts,
    totals: job.totals,
    folderCounts: job.folderCounts,
    folders: Object.entries(job.folders).map(([sourceFolderId, f]) => ({ sourceFolderId, ...f })),
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt,
    lastError: job.lastError,
    startedBy: job.startedBy,
  };
}

/** The short form of GET /jobs. */
export function jobSummary(job) {
  const { folders, totals, folderCounts, ...rest } = jobView(job);
  return rest;
}

export class JobStore {
  /** @param {DurableObjectStorage} storage */
  constructor(storage) {
    this.storage = storage;
  }

  getJob(id) {
    return this.storage.get(JOB + id);
  }

  /** Not awaited by callers that want it committed with other writes of the same turn. */
  putJob(job) {
    return this.storage.put(JOB + job.id, job);
  }

  async listJobs() {
    const map = await this.storage.list({ prefix: JOB });
    return [...map.values()];
  }

  async getState(id) {
    const text = await this.storage.get(STATE + id);
    return text === undefined ? undefined : JSON.parse(text);
  }

  putState(id, state) {
    return this.storage.put(STATE + id, JSON.stringify(state));
  }

  async getQueue() {
    return (await this.storage.get(QUEUE)) ?? [];
  }

  putQueue(queue) {
    return this.storage.put(QUEUE, queue);
  }

  async getRetryAfterUntil() {
    return (await this.storage.get(RETRY_AFTER_UNTIL)) ?? 0;
  }

  putRetryAfterUntil(ms) {
    return this.storage.put(RETRY_AFTER_UNTIL, ms);
  }

  /**
   * The item map of one job as the package's item store (CopyItemStore: `get`, `set` of CopiedItem values),
   * one storage key per item, so the map grows with the mailbox without any value growing with it. The
   * package calls `set` the moment an item settles, just before `onResult`; what the caller writes in
   * onResult (its counters, `settled` here) goes into the same transaction. `chunk.updates` gets the ids
   * whose copy was known and was imported again (an update, not a new copy).
   *
   * Posts in flight when the object dies: the package records an item when it settles, so a create whose
   * answer was lost with the object would be sent again by the resumed copy. What makes it knowable: the
   * copy plans a folder by looking up each of its items (creates are those not found, in the order it will
   * post them), then posts them in that order with at most `concurrency` in flight. So the creates that may
   * be in flight are the unsettled ones among the first (settled + concurrency) of that order. That window
   * (at most `concurrency` ids) is written as `inflight:<jobId>` before any post can leave (a write in the
   * same turn as the lookup or settle it follows; the output gate holds the next post until it is on disk).
   * A clean end of the chunk deletes it; after a crash, recoverInflight records its items outcomeUnknown.
   */
  itemStore(jobId, chunk, concurrency) {
    const storage = this.storage;
    const prefix = `${ITEM}${jobId}:`;
    const known = new Set();
    // The creates of the folder being copied, in post order, and which of them have settled.
    let order = [];
    let inOrder = new Set();
    let settled = new Set();
    let low = 0;
    let posting = false;
    const writeWindow = () => {
      while (low < order.length && settled.has(order[low])) low += 1;
      const window = [];
      for (let i = low; i < Math.min(order.length, settled.size + concurrency); i++) {
        if (!settled.has(order[i])) window.push(order[i]);
      }
      storage.put(INFLIGHT + jobId, window);
    };
    chunk.settled = (sourceItemId) => {
      posting = true;
      if (!inOrder.has(sourceItemId) || settled.has(sourceItemId)) return;
      settled.add(sourceItemId);
      writeWindow();
    };
    return {
      async get(sourceItemId) {
        const entry = await storage.get(prefix + sourceItemId);
        if (posting) {
          // A lookup after posts: the copy plans its next folder (the previous one has settled).
          order = [];
          inOrder = new Set();
          settled = new Set();
          low = 0;
          posting = false;
        }
        if (entry === undefined) {
          order.push(sourceItemId);
          inOrder.add(sourceItemId);
          if (order.length <= concurrency) writeWindow();
        } else if (entry.status === "imported") {
          known.add(sourceItemId);
        }
        return entry;
      },
      set(sourceItemId, entry) {
        if (entry?.status === "imported" && known.has(sourceItemId)) chunk.updates.add(sourceItemId);
        return storage.put(prefix + sourceItemId, entry);
      },
    };
  }

  /** After a clean end of a chunk (every post settled): nothing is in flight. */
  endChunk(jobId) {
    return this.storage.delete(INFLIGHT + jobId);
  }

  /**
   * Before a chunk: when the last one never ended (the object died), the creates it may have had in flight
   * are recorded outcomeUnknown, so no later pass sends them again. Returns how many.
   */
  async recoverInflight(jobId) {
    const ids = (await this.storage.get(INFLIGHT + jobId)) ?? [];
    let unknown = 0;
    for (const id of ids) {
      if ((await this.storage.get(`${ITEM}${jobId}:${id}`)) === undefined) {
        await this.storage.put(`${ITEM}${jobId}:${id}`, OUTCOME_UNKNOWN);
        unknown += 1;
      }
    }
    await this.storage.delete(INFLIGHT + jobId);
    return unknown;
  }
}
