// The jobs' own settings (wrangler.toml [vars]), on top of the Worker's (src/config.js). Bad values are
// reported by name like the Worker's other settings; unset ones take the Free plan's defaults.
//
// JOB_ITEMS_PER_CHUNK: items settled per alarm invocation. The Free plan allows 50 subrequests per
//   invocation: 20 import posts (+3 still in flight when the chunk stops), one or two exportItems, the folder
//   tree, a createImportSession and a token request, and the items/delta pages of the folder being copied
//   (copyFolders reads a folder's round from its start on every run until the round is done: one page per
//   100 items, so this fits folders of up to about 2,000 items). On the Paid plan raise it, e.g. to 500, for
//   fewer, longer invocations and fewer re-read pages.
// JOB_CHUNK_MS: wall-clock budget of one invocation before the chunk stops (the rest goes on in the next).

import { cachedPerEnv, varReaders } from "../env-vars.js";

export const JOB_DEFAULTS = Object.freeze({ itemsPerChunk: 20, chunkMs: 20_000 });

/** `{ jobs }` or `{ problems }`. */
export const readJobSettings = cachedPerEnv(parse);

function parse(env) {
  const problems = [];
  const { integer } = varReaders(env, problems);
  const jobs = {
    itemsPerChunk: integer("JOB_ITEMS_PER_CHUNK", JOB_DEFAULTS.itemsPerChunk, 1, 5000),
    chunkMs: integer("JOB_CHUNK_MS", JOB_DEFAULTS.chunkMs, 1000, 600_000),
  };
  return problems.length ? { problems } : { jobs: Object.freeze(jobs) };
}
