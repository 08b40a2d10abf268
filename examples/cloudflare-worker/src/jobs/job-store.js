// Where a mailbox's jobs live: the Durable Object's own storage (SQLite-backed, transactional). Nothing a job
// needs to go on is kept only in memory, so an object evicted or restarted between (or during) chunks picks
// up from here.
//
//   job:<jobId>                 the job record: what to copy, status, progress counts, last error
//   state:<jobId>               the CopyState of copyFolders (JSON text), as last passed to onState
//   item:<jobId>:<sourceItemId> one entry of the item map (the package's item store): how that item's copy stands
//   queue                       ids of the jobs waiting for their next chunk, in turn order
//   retryAfterUntil             a Graph Retry-After for this mailbox, shared by all its jobs (ms since epoch)
//
// Writes are not awaited one by one where the object's write coalescing makes them atomic together: puts
// issued in the same turn are committed as one transaction, and the object sends nothing (no import post, no
// answer) until they are on disk (Cloudflare's output gate).

const JOB = "job:";
const STATE = "state:";
const ITEM = "item:";
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
   * The item map of one job as the package's item store: entries are the package's own (opaque JSON values),
   * one storage key each, so the map grows with the mailbox without any value growing with it. `onSet` runs
   * in the same turn as each write (the caller's progress counters go into the same transaction).
   */
  itemStore(jobId) {
    const storage = this.storage;
    const prefix = `${ITEM}${jobId}:`;
    return {
      async get(sourceItemId) {
        return storage.get(prefix + sourceItemId);
      },
      async getMany(sourceItemIds) {
        const out = {};
        // storage.get takes at most 128 keys at once.
        for (let i = 0; i < sourceItemIds.length; i += 128) {
          const keys = sourceItemIds.slice(i, i + 128).map((id) => prefix + id);
          for (const [key, value] of await storage.get(keys)) out[key.slice(prefix.length)] = value;
        }
        return out;
      },
      set(sourceItemId, entry) {
        return storage.put(prefix + sourceItemId, entry);
      },
    };
  }

  /** Everything a job left in storage (DELETE is not offered yet; kept for the operator's tooling). */
  async countItems(jobId) {
    const map = await this.storage.list({ prefix: `${ITEM}${jobId}:` });
    return map.size;
  }
}
