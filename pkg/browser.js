// Entry for browsers, bundlers and any other host that can fetch a file next to this module (the `browser`
// and `default` conditions). The URL form lets bundlers that understand `new URL(..., import.meta.url)`
// (Vite, webpack, Parcel) emit the .wasm as an asset; others serve it beside the bundle.
import init from "./graph_mailbox_import.js";

await init({ module_or_path: new URL("./graph_mailbox_import_bg.wasm", import.meta.url) });

export { clientCredentials, createImportSession, isMailboxError, MailboxClient } from "./graph_mailbox_import.js";
