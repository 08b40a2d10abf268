// `graph-mailbox-import/init`: the public API plus the loader, for hosts that pass the module themselves.
export * from "./index.js";
export { default, initSync } from "./graph_mailbox_import.js";
export type { InitInput, SyncInitInput } from "./graph_mailbox_import.js";
