// Entry for browsers, bundlers and any other host that can fetch a file next to this module (the `browser`
// and `default` conditions). The URL is written as `new URL("./file", import.meta.url)`, the form webpack 5,
// Vite and Parcel turn into an emitted asset; esbuild leaves it as it is, so the .wasm must be beside the
// bundle (or loaded through "graph-mailbox-import/init": see the README).
import init from "./graph_mailbox_import.js";

const wasmUrl = new URL("./graph_mailbox_import_bg.wasm", import.meta.url);

/** Why the module did not load, and what to do about it: the importing script fails with this. */
function loadError(reason, cause) {
  return new Error(
    `graph-mailbox-import could not load its WebAssembly module from ${wasmUrl} (${reason}). Serve ` +
      `graph_mailbox_import_bg.wasm from the package beside the script that imports the package: a bundler ` +
      `that does not emit it (esbuild) needs it copied into its output directory, or import ` +
      `"graph-mailbox-import/init" and pass the file's URL to init({ module_or_path }).`,
    { cause },
  );
}

let response;
try {
  response = await fetch(wasmUrl);
} catch (cause) {
  throw loadError(String(cause?.message ?? cause), cause);
}
if (!response.ok) throw loadError(`the server answered ${response.status}`);
try {
  await init({ module_or_path: response });
} catch (cause) {
  throw loadError(String(cause?.message ?? cause), cause);
}

export { clientCredentials, createImportSession, isMailboxError, MailboxClient } from "./api.js";
