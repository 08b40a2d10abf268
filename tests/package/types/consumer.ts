// A TypeScript consumer of the published declarations. It must compile cleanly, and every
// `@ts-expect-error` below must be needed (tsc reports an unused one as an error), so wrong usage is proven
// to be rejected, not just right usage accepted.

import { clientCredentials, createImportSession, isMailboxError, MailboxClient } from "graph-mailbox-import";
import * as main from "graph-mailbox-import";
import type {
  BulkOptions,
  ClientCredentialsOptions,
  ClientOptions,
  ExportedItem,
  ImportedItem,
  ImportItem,
  ImportReport,
  ItemResult,
  Progress,
  MailboxError,
  MailboxErrorCode,
  MailboxFolder,
  MailboxItem,
  MailboxItemImportSession,
  TokenProvider,
  UserMailboxes,
} from "graph-mailbox-import";
import init, { initSync, createImportSession as createAfterInit } from "graph-mailbox-import/init";
import type { InitInput, SyncInitInput } from "graph-mailbox-import/init";

// A provider may answer synchronously or with a promise, and sees the scopes and whether to refresh.
const asyncProvider: TokenProvider = async ({ scopes, forceRefresh }) =>
  `${scopes.join(" ")}${forceRefresh ? " refreshed" : ""}`;
const syncProvider: TokenProvider = () => "token";

const everyOption: ClientOptions = {
  token: asyncProvider,
  apiVersion: "beta",
  graphBaseUrl: "https://graph.microsoft.us",
  trustedImportHosts: ["outlook.office365.us", "localhost:8443"],
  timeoutMs: 30000,
  maxRetries: 3,
  retryBaseDelayMs: 1000,
  maxRetryDelayMs: 60000,
  scopes: ["https://graph.microsoft.us/.default"],
  signal: new AbortController().signal,
};
const minimal: ClientOptions = { token: "eyJ0eXAi" };

function describeError(e: MailboxError): string {
  const code: MailboxErrorCode = e.code;
  const name: "MailboxError" = e.name;
  const status: number | undefined = e.status;
  const graphCode: string | undefined = e.graphCode;
  const requestId: string | undefined = e.requestId;
  const clientRequestId: string | undefined = e.clientRequestId;
  const retryAfterMs: number | undefined = e.retryAfterMs;
  const attempts: number = e.attempts;
  const cause: unknown = e.cause;
  const asError: Error = e;
  return [code, name, status, graphCode, requestId, clientRequestId, retryAfterMs, attempts, cause, asError.message].join();
}

export async function importSession(mailboxId: string): Promise<MailboxItemImportSession | number> {
  try {
    const session: MailboxItemImportSession = await createImportSession(mailboxId, everyOption);
    const url: string = session.importUrl;
    const expires: string = session.expirationDateTime;
    // @ts-expect-error: a session holds only importUrl and expirationDateTime
    session.odataContext;
    return { importUrl: url, expirationDateTime: expires };
  } catch (e: unknown) {
    if (isMailboxError(e)) {
      describeError(e);
      switch (e.code) {
        case "throttled":
          return e.retryAfterMs ?? 0;
        // @ts-expect-error: not one of the documented codes
        case "rateLimited":
          return 0;
        default:
          throw e;
      }
    }
    throw e;
  }
}

export async function wrongUsage(signal: AbortSignal): Promise<void> {
  // @ts-expect-error: apiVersion is "v1.0" or "beta"
  await createImportSession("MBX:a@b", { token: "t", apiVersion: "v2" });
  // @ts-expect-error: a token is a string or a provider, not a number
  await createImportSession("MBX:a@b", { token: 42 });
  // @ts-expect-error: the token is required
  await createImportSession("MBX:a@b", { signal });
  // @ts-expect-error: options are required
  await createImportSession("MBX:a@b");
  // @ts-expect-error: the mailbox id is a string
  await createImportSession(42, minimal);
  // @ts-expect-error: trustedImportHosts is a list
  await createImportSession("MBX:a@b", { token: "t", trustedImportHosts: "outlook.office365.com" });
  // @ts-expect-error: timeoutMs is a number of milliseconds
  await createImportSession("MBX:a@b", { token: "t", timeoutMs: "30s" });
  // @ts-expect-error: a provider receives one request object, not the scopes
  const badProvider: TokenProvider = (scopes: string[]) => scopes.join(" ");
  // @ts-expect-error: a provider answers with a token string
  const numericProvider: TokenProvider = () => 42;
  // @ts-expect-error: the main entry initialises itself and does not export the loader
  main.initSync;
  // @ts-expect-error: nor the default init
  main.default;
  void [badProvider, numericProvider];
}

// `graph-mailbox-import/init`: the loader for hosts that pass the module themselves.
export async function explicitInit(module: WebAssembly.Module, bytes: ArrayBuffer): Promise<void> {
  const input: InitInput = new URL("https://cdn.example/graph_mailbox_import_bg.wasm");
  const syncInput: SyncInitInput = bytes;
  await init({ module_or_path: input });
  initSync({ module });
  initSync({ module: syncInput });
  await createAfterInit("MBX:a@b", { token: syncProvider });
}

// The stateful client: imports one item or many, with typed results and a typed report.
export async function bulkImport(items: AsyncIterable<ImportItem>, bytes: Uint8Array): Promise<ImportReport> {
  const client = new MailboxClient({ token: asyncProvider, renewBeforeMs: 120000 });
  const session: MailboxItemImportSession = await client.createImportSession("MBX:a@b");
  const imported: ImportedItem = await client.importItem("MBX:a@b", { folderId: "AAMk", data: bytes });
  const update: ImportItem = { folderId: "AAMk", data: "Zm9v", mode: "update", itemId: imported.itemId, changeKey: imported.changeKey };
  await client.importItem("MBX:a@b", update);
  const options: BulkOptions = {
    concurrency: 4,
    signal: new AbortController().signal,
    keepResults: false,
    onResult: (result: ItemResult) => {
      const status: "imported" | "failed" | "outcomeUnknown" = result.status;
      const code: MailboxErrorCode | undefined = result.error?.code;
      void [status, code, result.index, result.itemId];
    },
    onProgress: (progress: Progress) => void [progress.settled, progress.bytes, progress.total],
  };
  const report: ImportReport = await client.importItems("MBX:a@b", items, options);
  const first: ItemResult | undefined = report.results[0];
  // @ts-expect-error: mode is "create" or "update"
  await client.importItem("MBX:a@b", { folderId: "AAMk", data: bytes, mode: "upsert" });
  // @ts-expect-error: an item needs its data
  await client.importItem("MBX:a@b", { folderId: "AAMk" });
  // @ts-expect-error: items are ImportItem objects
  await client.importItems("MBX:a@b", [1, 2, 3]);
  // @ts-expect-error: concurrency is a number
  await client.importItems("MBX:a@b", items, { concurrency: "4" });
  void [session, first, report.imported + report.failed + report.outcomeUnknown];
  client.free();
  return report;
}

// Reading and copying: Graph's objects typed by their documented fields, exports ready to import.
export async function copyBetweenMailboxes(client: MailboxClient): Promise<string[]> {
  const mailboxes: UserMailboxes = await client.resolveMailbox("adele@contoso.com");
  const archive: string | undefined = mailboxes.inPlaceArchiveMailboxId;
  const folders: MailboxFolder[] = await client.listFolders(mailboxes.primaryMailboxId, { includeHidden: true });
  const children: MailboxFolder[] = await client.listFolders(mailboxes.primaryMailboxId, { parentFolderId: folders[0].id });
  const items: MailboxItem[] = await client.listItems(mailboxes.primaryMailboxId, "inbox");
  const size: number | undefined = items[0]?.size;
  const exported: ExportedItem[] = await client.exportItems(mailboxes.primaryMailboxId, items.map((i) => i.id));
  const reasons: (string | undefined)[] = exported.map((e) => e.error?.code);
  const reimport: ImportItem[] = exported.flatMap((e) => (e.data ? [{ folderId: "AAMk", data: e.data }] : []));
  const report: ImportReport = await client.copyItems(
    { mailboxId: mailboxes.primaryMailboxId, itemIds: items.map((i) => i.id) },
    { mailboxId: "MBX:target@contoso", folderId: "AAMk" },
    { onResult: (r) => void r.sourceItemId },
  );
  // @ts-expect-error: item ids are strings
  await client.exportItems(mailboxes.primaryMailboxId, [1, 2]);
  // @ts-expect-error: the target needs a folder
  await client.copyItems({ mailboxId: "a", itemIds: [] }, { mailboxId: "b" });
  // @ts-expect-error: includeHidden is a boolean
  await client.listFolders("MBX:a@b", { includeHidden: "yes" });
  void [archive, children, size, reasons, reimport];
  return report.results.flatMap((r) => (r.sourceItemId ? [r.sourceItemId] : []));
}

// App-only tokens for servers and Workers: a TokenProvider built from an app registration's secret.
export function appOnlyClient(secret: string): MailboxClient {
  const options: ClientCredentialsOptions = { tenantId: "contoso.onmicrosoft.com", clientId: "app", clientSecret: secret, renewBeforeMs: 60000 };
  const token: TokenProvider = clientCredentials(options);
  // @ts-expect-error: the secret is required
  clientCredentials({ tenantId: "t", clientId: "c" });
  return new MailboxClient({ token });
}
