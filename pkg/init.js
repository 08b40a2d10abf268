// `graph-mailbox-import/init`: the same API without loading anything, for hosts that must hand over the
// module themselves. Call `await init({ module_or_path })` or `initSync({ module })` before the first call.
// Importing this next to the main entry is fine: both share one instance, and a second init is a no-op.
export { default, initSync } from "./graph_mailbox_import.js";
export { clientCredentials, createImportSession, isMailboxError, MailboxClient } from "./api.js";
