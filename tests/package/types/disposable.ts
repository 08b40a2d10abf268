// `using` frees a MailboxClient at the end of its block. Compiled by tsconfig.disposable.json (lib es2022 +
// esnext.disposable, no DOM, no @types/node) and run by types.test.mjs: the client answers inside the block
// and is freed after it.

import { isMailboxError, MailboxClient } from "graph-mailbox-import";

/** How a call settled: a MailboxError's code, "resolved", or "threw: <message>" for anything else. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "resolved";
  } catch (error: unknown) {
    return isMailboxError(error) ? error.code : `threw: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export async function callInsideAndAfterBlock(): Promise<{ inside: string; after: string }> {
  let kept: MailboxClient;
  let inside: string;
  {
    // Graph at a loopback port nothing listens on: a live client sends the request and fails with `network`.
    using client = new MailboxClient({ token: "eyJ0eXAi", graphBaseUrl: "http://127.0.0.1:9", maxRetries: 0 });
    kept = client;
    inside = await outcome(() => client.listFolders("MBX:a@b"));
  }
  return { inside, after: await outcome(() => kept.listFolders("MBX:a@b")) };
}
