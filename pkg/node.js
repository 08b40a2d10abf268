// Entry for Node (the `node` condition): reads the .wasm beside this file synchronously, so importing the
// package needs no top-level await and works from CommonJS via require(esm) where Node supports it.
import { readFileSync } from "node:fs";
import { webcrypto } from "node:crypto";
import { initSync } from "./graph_mailbox_import.js";

// The module calls the global `crypto.getRandomValues` for client-request-ids. Node 18 only has it with
// --experimental-global-webcrypto; Node 19+ always does, and there this line does nothing.
globalThis.crypto ??= webcrypto;

initSync({ module: readFileSync(new URL("./graph_mailbox_import_bg.wasm", import.meta.url)) });

export { clientCredentials, createImportSession, isMailboxError, MailboxClient } from "./api.js";
