// The public API, as declared by the Rust crate (src/wasm/api.rs) and generated into
// graph_mailbox_import.d.ts. Only the wasm-bindgen loader (`initSync`, the default `init`, their input
// types) is left out: every entry point behind "graph-mailbox-import" initialises itself.
export type {
  BulkOptions,
  ClientCredentialsOptions,
  ClientOptions,
  CopiedItem,
  CopyFoldersOptions,
  CopyFoldersReport,
  CopyItemStore,
  CopyState,
  ExportedItem,
  FolderEvent,
  FolderNode,
  ImportedItem,
  ImportItem,
  ImportReport,
  ItemChanges,
  ItemResult,
  MailboxError,
  MailboxErrorCode,
  MailboxFolder,
  MailboxItem,
  MailboxItemImportSession,
  Progress,
  TokenProvider,
  UserMailboxes,
} from "./graph_mailbox_import.js";
export { clientCredentials, createImportSession, isMailboxError, MailboxClient } from "./graph_mailbox_import.js";
