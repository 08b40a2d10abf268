// Where a mailbox's jobs live: the Durable Object's own storage (SQLite-backed, transactional). Nothing a job
// needs to go on is kept only in memory, so an object evicted or restarted between (or during) chunks picks
// up from here.
//
//   job:<jobId>                 the job record: what to copy, status, progress counts, last error
//   state:<jobId>               the CopyState of copyFolders (JSON text), as last passed to onState
//   item:<jobId>:<sourceItemId> one entry of the item map (the package's item store): how that item's copy stands
//   inflight:<jobId>            the creates recorded ahead of their posts and not yet settled (see itemStore); gone
//                               after a clean end
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
   * Posts in flight when the object dies: the package records each create outcomeUnknown (and waits for
   * the write) before it sends it, so such a create is never sent again. All this store adds is which of
   * them the job has not counted yet: `inflight:<jobId>` holds the ids recorded outcomeUnknown and not yet
   * settled through onResult (`chunk.settled`), written in the same turn as the record it follows; after a
   * crash, recoverInflight counts those that are still outcomeUnknown. A "failed" record (a create recorded
   * ahead that was not made) deletes the entry.
   */
  itemStore(jobId, chunk) {
    const storage = this.storage;
    const prefix = `${ITEM}${jobId}:`;
    const known = new Set();
    const inflight = new Set();
    chunk.settled = (sourceItemId) => {
      if (inflight.delete(sourceItemId)) storage.put(INFLIGHT + jobId, [...inflight]);
    };
    return {
      async get(sourceItemId) {
        const entry = await storage.get(prefix + sourceItemId);
        if (entry?.status === "imported") known.add(sourceItemId);
        return entry;
      },
      set(sourceItemId, entry) {
        if (entry.status === "imported" && known.has(sourceItemId)) chunk.updates.add(sourceItemId);
        if (entry.status === "outcomeUnknown" && !inflight.has(sourceItemId)) {
          inflight.add(sourceItemId);
          storage.put(INFLIGHT + jobId, [...inflight]);
        }
        return entry.status === "failed" ? storage.delete(prefix + sourceItemId) : storage.put(prefix + sourceItemId, entry);
      },
    };
  }

  /**
   * Everything kept for a job: its record, state, in-flight list and item map. The item map has a key per
   * copied item, so it goes a page at a time (a storage delete takes at most 128 keys).
   */
  async deleteJob(jobId) {
    const prefix = `${ITEM}${jobId}:`;
    for (;;) {
      const keys = [...(await this.storage.list({ prefix, limit: 1024 })).keys()];
      if (keys.length === 0) break;
      for (let at = 0; at < keys.length; at += 128) await this.storage.delete(keys.slice(at, at + 128));
    }
    await this.storage.delete([JOB + jobId, STATE + jobId, INFLIGHT + jobId]);
  }

  /** After a clean end of a chunk (every post settled): nothing is in flight. */
  endChunk(jobId) {
    return this.storage.delete(INFLIGHT + jobId);
  }

  /**
   * Before a chunk: when the last one never ended (the object died), the creates it had recorded ahead and
   * not settled stay outcomeUnknown (the package never sends them again); returns how many, for the job's
   * counts.
   */
  async recoverInflight(jobId) {
    const ids = (await this.storage.get(INFLIGHT + jobId)) ?? [];
    let unknown = 0;
    for (const id of ids) {
      if ((await this.storage.get(`${ITEM}${jobId}:${id}`))?.status === "outcomeUnknown") unknown += 1;
    }
    await this.storage.delete(INFLIGHT + jobId);
    return unknown;
  }
}
