// Entry for Cloudflare Workers (the `workerd` condition). Workers cannot compile wasm from bytes at run
// time, so the .wasm is imported as a module that wrangler (or Miniflare's CompiledWasm rule) compiles
// at deploy time, then instantiated synchronously.
import wasmModule from "./graph_mailbox_import_bg.wasm";
import { initSync } from "./graph_mailbox_import.js";

initSync({ module: wasmModule });

export { clientCredentials, createImportSession, isMailboxError, MailboxClient } from "./api.js";
