// The jobs API: long copies (a folder, a folder tree or a whole mailbox) that run in the target mailbox's
// Durable Object, outlive the request that started them, and can be run again for what changed since.
//
//   POST /jobs                 {source, target, includeSubfolders?, receivedSince?}  -> 202 {id, status, ...}
//   GET  /jobs                 newest first, ?limit=1..100&cursor=...                 -> 200 {jobs, next}
//   GET  /jobs/{id}            progress: status, per-folder counts, totals, times     -> 200
//   POST /jobs/{id}/cancel     stops it (posts in flight settle)                      -> 200
//   POST /jobs/{id}/run        the next incremental pass from the stored state        -> 202 (409 while busy)
//   DELETE /jobs/{id}          a finished job and all it kept (state, item map)       -> 204 (409 while busy)
//
// The caller has been authenticated by the Worker (a portal user's Entra ID token or the relay key); jobs
// run app-only, so TOKEN_MODE must be "app-only".

import { WorkerError, json, readRequestBody } from "../http.js";
import { jobClient } from "./graph-client.js";
import { checkJobRequest, jobIdFromPath } from "./job-request.js";

export const JOB_ROUTES = [
  { name: "jobs", pattern: /^\/jobs\/?$/, methods: ["GET", "POST"], handle: jobsCollection },
  { name: "job", pattern: /^\/jobs\/([^/]+)$/, methods: ["GET", "DELETE"], handle: jobResource },
  { name: "job-cancel", pattern: /^\/jobs\/([^/]+)\/cancel$/, methods: ["POST"], handle: cancelJob },
  { name: "job-run", pattern: /^\/jobs\/([^/]+)\/run$/, methods: ["POST"], handle: runJob },
];

/** The route for `pathname`, or null when it is not a jobs path. */
export function findJobRoute(pathname) {
  return JOB_ROUTES.find((r) => r.pattern.test(pathname)) ?? null;
}

/** Refuses jobs where they cannot run: app-only mode and both Durable Object bindings are needed. */
export function checkJobsAvailable(config, env) {
  if (config.mode !== "app-only" || !env.MAILBOX_JOBS || !env.JOB_DIRECTORY) {
    throw new WorkerError(404, "notFound", "Jobs run app-only: deploy with --env app-only (see the README, \"Migration jobs\").");
  }
}

function directory(env) {
  return env.JOB_DIRECTORY.get(env.JOB_DIRECTORY.idFromName("jobs"));
}

function mailboxObject(env, mailboxId) {
  return env.MAILBOX_JOBS.get(env.MAILBOX_JOBS.idFromName(mailboxId));
}

async function jobsCollection(ctx) {
  return ctx.request.method === "POST" ? createJob(ctx) : listJobs(ctx);
}

/** POST /jobs: validated, users resolved to mailbox ids, stored and queued in the target's object: 202. */
async function createJob({ request, env, config, requestId, log, caller }) {
  const body = await readRequestBody(request, config, log);
  const { source, target, options } = checkJobRequest(body);
  if (source.user || target.user) {
    const client = jobClient(config);
    try {
      for (const side of [source, target]) {
        if (side.user) side.mailboxId = (await client.resolveMailbox(side.user)).primaryMailboxId;
      }
    } finally {
      client.free();
    }
  }
  if (source.mailboxId === target.mailboxId && !source.folderId && !target.parentFolderId) {
    throw new WorkerError(400, "invalidArgument", "source and target are the same mailbox: name a folder on one side.");
  }
  const id = crypto.randomUUID();
  const createdAt = new Date().toISOString();
  await directory(env).add({ id, targetMailboxId: target.mailboxId, createdAt });
  const startedBy = caller.kind === "user" ? { kind: "user", oid: caller.oid, name: caller.name } : { kind: "apiKey" };
  const job = await mailboxObject(env, target.mailboxId).createJob({ id, source, target, options, startedBy });
  log.job = id;
  return json(202, job, requestId, { location: `/jobs/${id}` });
}

/** The job's directory entry, or 404. */
async function findJob(env, id) {
  const entry = await directory(env).find(id);
  if (!entry) throw new WorkerError(404, "notFound", "No job has this id.");
  return entry;
}

/** GET /jobs: newest first, each with its status and counts from its mailbox's object. */
async function listJobs({ env, url, requestId }) {
  const limitText = url.searchParams.get("limit");
  const limit = limitText === null ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new WorkerError(400, "invalidArgument", "limit must be a whole number from 1 to 100.");
  }
  const cursor = url.searchParams.get("cursor");
  if (cursor !== null && (!cursor.startsWith("order:") || cursor.length > 200)) {
    throw new WorkerError(400, "invalidArgument", "cursor must be the `next` of an earlier answer.");
  }
  const page = await directory(env).list({ limit, cursor: cursor ?? undefined });
  // One call per mailbox on the page, not per job.
  const byMailbox = new Map();
  for (const entry of page.jobs) {
    if (!byMailbox.has(entry.targetMailboxId)) byMailbox.set(entry.targetMailboxId, []);
    byMailbox.get(entry.targetMailboxId).push(entry.id);
  }
  const summaries = new Map();
  await Promise.all(
    [...byMailbox].map(async ([mailboxId, ids]) => {
      for (const summary of await mailboxObject(env, mailboxId).listJobs(ids)) summaries.set(summary.id, summary);
    }),
  );
  const jobs = page.jobs.map((e) => summaries.get(e.id)).filter(Boolean);
  return json(200, { jobs, next: page.next }, requestId);
}

async function jobResource(ctx) {
  return ctx.request.method === "DELETE" ? deleteJob(ctx) : getJob(ctx);
}

/** GET /jobs/{id} */
async function getJob({ env, id, requestId }) {
  const entry = await findJob(env, id);
  const job = await mailboxObject(env, entry.targetMailboxId).getJob(id);
  if (!job) throw new WorkerError(404, "notFound", "No job has this id.");
  return json(200, job, requestId);
}

/** POST /jobs/{id}/cancel */
async function cancelJob({ env, id, requestId, log }) {
  const entry = await findJob(env, id);
  const job = await mailboxObject(env, entry.targetMailboxId).cancelJob(id);
  if (!job) throw new WorkerError(404, "notFound", "No job has this id.");
  log.job = id;
  return json(200, job, requestId);
}

/** POST /jobs/{id}/run: 202 with the job queued for its next pass; 409 while it is queued or running. */
async function runJob({ env, id, requestId, log }) {
  const entry = await findJob(env, id);
  const outcome = await mailboxObject(env, entry.targetMailboxId).runJob(id);
  if (!outcome) throw new WorkerError(404, "notFound", "No job has this id.");
  log.job = id;
  if (outcome.busy) {
    throw new WorkerError(409, "jobBusy", `The job is ${outcome.busy.status}; run it again once it has finished.`);
  }
  return json(202, outcome.job, requestId, { location: `/jobs/${id}` });
}

/**
 * DELETE /jobs/{id}: a finished job goes with everything its mailbox's object kept for it (its record, its
 * CopyState and its item map): 204. 409 while it is queued or running (cancel it first). The job's copies stay
 * in the target; without the item map, a later job for the same folders copies every item again.
 */
async function deleteJob({ env, id, requestId, log }) {
  const entry = await findJob(env, id);
  const outcome = await mailboxObject(env, entry.targetMailboxId).deleteJob(id);
  log.job = id;
  if (outcome?.busy) {
    throw new WorkerError(409, "jobBusy", `The job is ${outcome.busy.status}; cancel it, then delete it once it has stopped.`);
  }
  // The mailbox's part first: a directory entry left by a failure here points at nothing and reads as 404.
  await directory(env).remove(entry);
  return new Response(null, { status: 204, headers: { "request-id": requestId } });
}

/** Runs a jobs route: method check, job id from the path, then the handler. */
export async function handleJobRoute(route, ctx) {
  if (!route.methods.includes(ctx.request.method)) {
    throw new WorkerError(405, "methodNotAllowed", `This route takes ${route.methods.join(" or ")}.`, {
      allow: [...route.methods, "OPTIONS"].join(", "),
    });
  }
  const match = route.pattern.exec(ctx.url.pathname);
  const id = match[1] === undefined ? undefined : jobIdFromPath(match[1]);
  return route.handle({ ...ctx, id });
}
