// A Node project's use of the package, compiled as such a project is set up (tsconfig.node-es2022.json):
// "lib": ["es2022"] with @types/node, no DOM library, no skipLibCheck. The shipped declarations must compile
// there as they are.

import { readFileSync } from "node:fs";

import { clientCredentials, isMailboxError, MailboxClient } from "graph-mailbox-import";
import type { ImportItem, ImportReport, MailboxErrorCode } from "graph-mailbox-import";
import init, { initSync } from "graph-mailbox-import/init";

export async function importFiles(paths: string[], mailboxId: string, folderId: string): Promise<ImportReport> {
  const controller = new AbortController();
  const token = clientCredentials({ tenantId: "contoso.onmicrosoft.com", clientId: "app", clientSecret: "secret" });
  // Node's AbortSignal and Buffer are what a Node caller has at hand.
  using client = new MailboxClient({ token, signal: controller.signal, timeoutMs: 15_000 });
  const items = paths.map((path): ImportItem => ({ folderId, data: readFileSync(path) }));
  try {
    return await client.importItems(mailboxId, items, { signal: AbortSignal.timeout(60_000) });
  } catch (error: unknown) {
    if (isMailboxError(error)) {
      const code: MailboxErrorCode = error.code;
      throw new Error(`import failed: ${code}`, { cause: error });
    }
    throw error;
  }
}

// The loader, given the module's bytes or a URL as a Node host has them.
export async function loadExplicitly(): Promise<void> {
  const url = new URL("graph_mailbox_import_bg.wasm", import.meta.url);
  initSync({ module: readFileSync(url) });
  await init({ module_or_path: url });
  // @ts-expect-error: the module is passed in an options object
  initSync(42);
}
