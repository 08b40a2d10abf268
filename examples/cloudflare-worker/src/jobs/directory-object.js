// JobDirectory: one Durable Object (env.JOB_DIRECTORY.idFromName("jobs")) that knows which target mailbox
// each job belongs to, so GET /jobs/{id} finds the mailbox's object, and GET /jobs can list jobs newest first.
// It holds no progress (that lives with each mailbox): one small entry per job.
//
//   job:<jobId>                 { id, targetMailboxId, createdAt }
//   order:<createdAt>:<jobId>   jobId (keys sort by creation time)

import { DurableObject } from "cloudflare:workers";

export class JobDirectory extends DurableObject {
  async add({ id, targetMailboxId, createdAt }) {
    // One transaction: both keys or neither.
    await this.ctx.storage.put({ [`job:${id}`]: { id, targetMailboxId, createdAt }, [`order:${createdAt}:${id}`]: id });
  }

  /** Forgets a job (DELETE /jobs/{id}): both of its keys, in one transaction. */
  async remove({ id, createdAt }) {
    await this.ctx.storage.delete([`job:${id}`, `order:${createdAt}:${id}`]);
  }

  async find(id) {
    return (await this.ctx.storage.get(`job:${id}`)) ?? null;
  }

  /** Newest first: `{ jobs: [{id, targetMailboxId, createdAt}], next }` (`next`: the cursor of the next page). */
  async list({ limit = 50, cursor } = {}) {
    const options = { prefix: "order:", reverse: true, limit: limit + 1 };
    if (cursor) options.end = cursor;
    const ids = [...(await this.ctx.storage.list(options)).entries()];
    const page = ids.slice(0, limit);
    const entries = await this.ctx.storage.get(page.map(([, id]) => `job:${id}`));
    return {
      jobs: page.map(([, id]) => entries.get(`job:${id}`)).filter(Boolean),
      next: ids.length > limit ? page[page.length - 1][0] : null,
    };
  }
}
