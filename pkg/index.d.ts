// The public API of "graph-mailbox-import", written by hand: every runtime's entry (browser.js, node.js,
// workerd.js) exports exactly these values, and tests/package/types.test.mjs checks that against what the
// package exports at run time. The declarations name no DOM type (AbortSignal, Response, WebAssembly...),
// so they compile in a project without the DOM library (a Node project with "lib": ["es2022"] and
// @types/node, or a Worker with its own types) and without skipLibCheck.

/** What the package uses of an `AbortSignal`: a browser's, Node's or workerd's fits. Anything else is refused
 *  at run time with `invalidArgument`. */
interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

declare global {
  // `Symbol.dispose` as TypeScript's esnext.disposable library and @types/node declare it (the declarations
  // merge), so `[Symbol.dispose]` below compiles in projects whose lib has neither. The runtimes already
  // define the symbol (Node >= 18.18, recent browsers and workerd).
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** Graph's `mailboxItemImportSession`: a plain, JSON-able object. */
export interface MailboxItemImportSession {
  /** Pre-authenticated upload URL; its `authtoken` query parameter is a credential: never log it. */
  importUrl: string;
  /** When the importUrl stops working, as Graph wrote it (ISO 8601, UTC). */
  expirationDateTime: string;
}

/** Called before each Graph request; after a 401 it is called once more with `forceRefresh: true`. */
export type TokenProvider = (request: { scopes: string[]; forceRefresh: boolean }) => string | Promise<string>;

export interface ClientOptions {
  /** An access token for Microsoft Graph (as MSAL returns it, without "Bearer "), or a function that gets one. */
  token: string | TokenProvider;
  /** Default "v1.0". */
  apiVersion?: "v1.0" | "beta";
  /** Default "https://graph.microsoft.com". `http:` only for localhost, 127.0.0.0/8 and [::1]. */
  graphBaseUrl?: string;
  /** Hosts an importUrl may point to, "host" (default port only) or "host:port".
   *  Default ["outlook.office365.com", "outlook.office.com"]. */
  trustedImportHosts?: string[];
  /** Per attempt, including reading the body. Default 30000. */
  timeoutMs?: number;
  /** Retries for 429/503/504 and for network failures of safe requests, 0 to 10. Default 3. */
  maxRetries?: number;
  /** First backoff when no Retry-After is seen, doubling with jitter. Default 1000. */
  retryBaseDelayMs?: number;
  /** Cap on any single wait, default 60000. A longer Retry-After is not waited out: the call fails with
   *  `throttled` and `retryAfterMs`, for the caller to schedule. */
  maxRetryDelayMs?: number;
  /** Scopes passed to the token provider. Default ["https://graph.microsoft.com/MailboxItem.ImportExport"]
   *  (the resource follows graphBaseUrl for national clouds). */
  scopes?: string[];
  /** Import sessions are renewed this long before their expirationDateTime. Default 300000 (5 minutes). */
  renewBeforeMs?: number;
  /** Import posts in flight at once per target mailbox, across all calls of a MailboxClient, 1 to 16.
   *  Default 4, Exchange's per-mailbox limit: a fifth concurrent request is refused with 429. */
  mailboxConcurrency?: number;
  /** Cancels everything, waits between retries included; the call rejects with `signal.reason`. */
  signal?: AbortSignalLike;
}

export type MailboxErrorCode =
  | "invalidArgument" | "unauthorized" | "forbidden" | "notFound" | "throttled" | "serviceUnavailable"
  | "graphError" | "network" | "timeout" | "outcomeUnknown" | "sessionExpired" | "untrustedImportUrl"
  | "invalidResponse" | "tokenProviderFailed"
  /** Only in a bulk report: the run was aborted before this item was sent; it was not imported. */
  | "aborted";

/** Every failure rejects with an `Error` named "MailboxError". Its message never holds a token or an importUrl. */
export interface MailboxError extends Error {
  name: "MailboxError";
  code: MailboxErrorCode;
  /** HTTP status of the last answer, when there was one. */
  status?: number;
  /** The most specific code in Graph's error body. */
  graphCode?: string;
  /** Graph's request-id, for Microsoft support. */
  requestId?: string;
  /** The client-request-id sent on the last attempt. */
  clientRequestId?: string;
  /** How long the service asked to wait, when it said. */
  retryAfterMs?: number;
  /** HTTP attempts made (0 when the call failed before sending anything). */
  attempts: number;
  /** For `tokenProviderFailed`: what the provider threw. */
  cause?: unknown;
}

/** Creates an import session for one mailbox. Never throws synchronously: every failure is a rejected promise. */
export function createImportSession(mailboxId: string, options: ClientOptions): Promise<MailboxItemImportSession>;

/** One item to import: its FastTransfer stream as bytes, or as base64 text (as exportItems returns it),
 *  which is sent as it is, never decoded and re-encoded. */
export interface ImportItem {
  folderId: string;
  data: Uint8Array | ArrayBuffer | ArrayBufferView | string;
  /** Default "create". */
  mode?: "create" | "update";
  /** Required with "update", refused with "create". */
  itemId?: string;
  /** Required with "update", refused with "create". */
  changeKey?: string;
}

export interface ImportedItem { itemId: string; changeKey: string }

export interface BulkOptions {
  /** Posts in flight at once, 1 to 16. Default 4, Exchange's per-mailbox limit. */
  concurrency?: number;
  /** Stops taking items; posts under way settle and are reported; then the call rejects with `signal.reason`. */
  signal?: AbortSignalLike;
  /** Called once per item as it settles, in settling order. Throwing stops the run (it rejects with what was thrown). */
  onResult?: (result: ItemResult) => void;
  /** Called after each settled item. Throwing stops the run. */
  onProgress?: (progress: Progress) => void;
  /** Keep one result per item for the report. Default true; set false for huge runs and use onResult. */
  keepResults?: boolean;
}

export interface Progress {
  /** Known when the items are an array. */
  total?: number;
  settled: number;
  imported: number;
  failed: number;
  outcomeUnknown: number;
  /** base64 bytes of the items imported so far. */
  bytes: number;
}

export interface ItemResult {
  /** Position of the item in the input, from 0. */
  index: number;
  /** "outcomeUnknown": sent, but no answer came back; it may exist. It is never sent again automatically. */
  status: "imported" | "failed" | "outcomeUnknown";
  itemId?: string;
  changeKey?: string;
  sourceItemId?: string;
  error?: MailboxError;
}

/** A user's mailboxes, from Graph's `/users/{user}/settings/exchange`. */
export interface UserMailboxes {
  primaryMailboxId: string;
  /** Present when the user has an in-place archive. */
  inPlaceArchiveMailboxId?: string;
}

/** Graph's `mailboxFolder`, as Graph sent it (camelCase); the fields below are the documented ones. */
export interface MailboxFolder {
  id: string;
  displayName?: string;
  parentFolderId?: string;
  childFolderCount?: number;
  totalItemCount?: number;
  /** e.g. "IPF.Note". */
  type?: string;
  /** e.g. "inbox", on well-known folders. */
  wellKnownName?: string;
  /** beta only. */
  parentMailboxUrl?: string;
  [property: string]: unknown;
}

/** Graph's `mailboxItem`, as Graph sent it (camelCase); the fields below are the documented ones. */
export interface MailboxItem {
  id: string;
  changeKey?: string;
  /** e.g. "IPM.Note". */
  type?: string;
  size?: number;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  categories?: string[];
  [property: string]: unknown;
}

/** One item of an export: its FastTransfer stream as base64 in `data`, or Graph's reason in `error`. */
export interface ExportedItem {
  itemId: string;
  changeKey?: string;
  /** base64, ready to pass as `ImportItem.data` unchanged. */
  data?: string;
  /** Graph's per-item error (read from `error` or `Error`, whichever Graph sent). */
  error?: { code: string; message: string };
}

export interface ImportReport {
  imported: number;
  failed: number;
  outcomeUnknown: number;
  /** One per item, in input order (empty when keepResults is false). */
  results: ItemResult[];
}

/** A folder of a tree, with the display names from the tree's root down to it (its own last). */
export interface FolderNode extends MailboxFolder {
  path: string[];
}

/** One items/delta round of a folder. */
export interface ItemChanges {
  /** Items added or changed since the deltaLink (every item in a first round). */
  changed: MailboxItem[];
  /** Ids of items removed since the deltaLink. */
  removed: string[];
  /** Pass it as `deltaLink` to get what changes next. */
  deltaLink: string;
}

/** How the copy of one source item stands, as copyFolders records it. */
export type CopiedItem =
  | { status: "imported"; itemId: string; changeKey: string; sourceChangeKey?: string }
  /** A create was sent and no answer came back (or the process died with it in flight): a copy may exist.
   *  Not sent again unless retryOutcomeUnknown. */
  | { status: "outcomeUnknown" }
  /** No copy was made: a create recorded ahead of its post failed, or was never sent. The same as no entry
   *  (a store may delete the entry instead of keeping this). */
  | { status: "failed" };

/** Where copyFolders keeps its item map instead of the state: source item id -> CopiedItem. A `Map` works;
 *  IndexedDB in a page or Durable Object storage in a Worker keep it across crashes. Write-ahead: before
 *  each create is posted, `set(id, { status: "outcomeUnknown" })` is called and a promise it returns is
 *  awaited; when the item settles, `set` is called again with how it went (an update only then). So a
 *  process that dies with posts in flight leaves them outcomeUnknown, and a copy resumed from its last
 *  state imports nothing twice. `set` promises are awaited before the next `onState`. Pass the same store
 *  with every state of the copy. */
export interface CopyItemStore {
  get(sourceItemId: string): CopiedItem | undefined | Promise<CopiedItem | undefined>;
  set(sourceItemId: string, item: CopiedItem): unknown;
}

/** What a copy of folders remembers between passes. Plain JSON (survives JSON.stringify/parse); treat the
 *  rest as opaque. Bound to its source and target: another pair's state is refused with invalidArgument. */
export interface CopyState {
  readonly version: 1;
  readonly source: { readonly mailboxId: string; readonly folderId?: string };
  readonly target: { readonly mailboxId: string; readonly parentFolderId?: string };
  readonly [internal: string]: unknown;
}

/** What `onFolder` is told as each folder is mapped, copied, or given up. */
export interface FolderEvent {
  sourceFolderId: string;
  /** Display names from the copy's top folder down to this one. */
  path: string[];
  targetFolderId?: string;
  action: "created" | "reused" | "done" | "failed";
  error?: MailboxError;
}

export interface CopyFoldersOptions extends BulkOptions {
  /** Default true. */
  includeSubfolders?: boolean;
  /** Default false: hidden folders are not listed, so not copied. */
  includeHidden?: boolean;
  /** Default false: search folders (and what is below them) are not copied; their items live elsewhere. */
  includeSearchFolders?: boolean;
  /** ISO 8601 with a zone: only items received at or after it (first pass of each folder). */
  receivedSince?: string;
  /** What an earlier run returned or last passed to onState: copy only what changed since. */
  state?: CopyState;
  /** Called at every folder boundary, after at most 100 settled items, and once more when the run ends for
   *  any reason, each time with no post in flight. A returned promise is awaited; throwing stops the run. */
  onState?: (state: CopyState) => void | Promise<void>;
  onFolder?: (event: FolderEvent) => void;
  /** Default false: items left outcomeUnknown are never imported again by a later pass. */
  retryOutcomeUnknown?: boolean;
  /** Keep the item map here rather than in the state (see CopyItemStore). */
  itemStore?: CopyItemStore;
}

export interface CopyFoldersReport extends ImportReport {
  folders: { created: number; reused: number; failed: number };
  /** Items changed in the source since the last pass, imported as updates of their copies. */
  updated: number;
  /** Items removed from the source since the last pass; nothing is ever deleted from the target. */
  removedInSource: number;
  /** Pass it as `state` to the next run. */
  state: CopyState;
}

/** Holds options and one import session per target mailbox, shared by all its calls. The constructor never
 *  throws: bad options reject every call with `invalidArgument`. */
export class MailboxClient {
  constructor(options: ClientOptions);
  /** A new import session, not shared with the client's imports. */
  createImportSession(mailboxId: string): Promise<MailboxItemImportSession>;
  /** Posts one item through the mailbox's session (created, renewed and switched as needed). */
  importItem(mailboxId: string, item: ImportItem): Promise<ImportedItem>;
  /** Imports every item, pulled lazily, at most `concurrency` at a time; settles each exactly once. */
  importItems(
    mailboxId: string,
    items: Iterable<ImportItem> | AsyncIterable<ImportItem>,
    options?: BulkOptions,
  ): Promise<ImportReport>;
  /** The user's primary (and archive) mailbox ids, by user id or UPN. Needs User.Read.All. */
  resolveMailbox(user: string): Promise<UserMailboxes>;
  /** Top-level folders, or the children of `parentFolderId`; every page, hidden folders only when asked. */
  listFolders(mailboxId: string, options?: { parentFolderId?: string; includeHidden?: boolean }): Promise<MailboxFolder[]>;
  /** Every item of a folder, all pages. Well-known names such as "inbox" work for primary mailboxes only. */
  listItems(mailboxId: string, folderId: string): Promise<MailboxItem[]>;
  /** Exports items in calls of at most 20 ids, 4 at a time; one result per id, in input order. Items whose
   *  folder moved to the archive are fetched from there. */
  exportItems(mailboxId: string, itemIds: string[]): Promise<ExportedItem[]>;
  /** Copies items from one mailbox into a folder of another: exports stream into imports, memory stays
   *  bounded, every source item settles exactly once and its result carries `sourceItemId`. */
  copyItems(
    source: { mailboxId: string; itemIds: string[] },
    target: { mailboxId: string; folderId: string },
    options?: BulkOptions,
  ): Promise<ImportReport>;
  /** Creates a folder (type default "IPF.Note") at the top level or under `parentFolderId`. When the name is
   *  taken there, the existing folder is the result. Needs MailboxFolder.ReadWrite. */
  createFolder(mailboxId: string, folder: { displayName: string; type?: string; parentFolderId?: string }): Promise<MailboxFolder>;
  /** Every folder below the root (default: the mailbox's top level), parents before children, all pages. */
  listFolderTree(mailboxId: string, options?: { rootFolderId?: string; includeHidden?: boolean }): Promise<FolderNode[]>;
  /** One items/delta round: without deltaLink every item (and a deltaLink); with one, what changed since. */
  listItemChanges(mailboxId: string, folderId: string, options?: { deltaLink?: string; receivedSince?: string }): Promise<ItemChanges>;
  /** Copies a folder with its subfolders, or the whole mailbox (no folderId), into the target; with
   *  `options.state`, only what changed since. Every item is copied once across passes and stopped runs. */
  copyFolders(
    source: { mailboxId: string; folderId?: string },
    target: { mailboxId: string; parentFolderId?: string },
    options?: CopyFoldersOptions,
  ): Promise<CopyFoldersReport>;
  /** Releases the client's wasm memory now rather than at garbage collection. Call it once; afterwards
   *  every method of this client fails. */
  free(): void;
  /** The same as `free()`, so `using client = new MailboxClient(options)` frees it at the end of the block. */
  [Symbol.dispose](): void;
}

/** Options of {@link clientCredentials}: an app registration's client secret, for servers and Workers only. */
export interface ClientCredentialsOptions {
  /** The tenant's id or a verified domain, e.g. "contoso.onmicrosoft.com". */
  tenantId: string;
  /** The application (client) id. */
  clientId: string;
  /** A client secret of the application. Never ship it to a browser. */
  clientSecret: string;
  /** Default "https://login.microsoftonline.com" (national clouds have their own); `http:` only for loopback.
   *  The token URL is `${authorityHost}/${tenantId}/oauth2/v2.0/token`. */
  authorityHost?: string;
  /** Default "https://graph.microsoft.com/.default": the application permissions granted to the app. */
  scope?: string;
  /** A cached token is replaced this long before it expires (at most half its lifetime). Default 300000. */
  renewBeforeMs?: number;
  /** Per attempt at the token endpoint. Default 30000. */
  timeoutMs?: number;
}

/** A token provider for app-only access (the client credentials grant): pass it as `token`. It keeps one
 *  token until shortly before it expires, and concurrent callers share one request for a new one; with
 *  `forceRefresh` (after a 401) it gets a new one. It rejects with a MailboxError (`unauthorized` when Entra
 *  refuses the credentials, `invalidArgument` for bad options); messages never hold the secret. */
export function clientCredentials(options: ClientCredentialsOptions): TokenProvider;

/** Whether `value` is an error from this package. */
export function isMailboxError(value: unknown): value is MailboxError;

// Only the declarations marked `export` above are the package's (AbortSignalLike stays internal).
export {};
