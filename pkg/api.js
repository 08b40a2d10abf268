// The public API as every entry exports it: the generated glue, with one guard wasm-bindgen's class lacks.
// A freed MailboxClient (after free(), or at the end of a `using` block) would make each method throw
// synchronously ("null pointer passed to rust") before any of the package's code runs; every method returns
// a promise and never throws, so here a call on a freed client rejects with invalidArgument instead, and a
// second free() does nothing.
import { MailboxClient } from "./graph_mailbox_import.js";

export { clientCredentials, createImportSession, isMailboxError, MailboxClient } from "./graph_mailbox_import.js";

function freedClient() {
  const error = new Error(
    "This MailboxClient was freed (by free() or at the end of a `using` block): create a new one for more calls",
  );
  error.name = "MailboxError";
  error.code = "invalidArgument";
  return error;
}

const proto = MailboxClient.prototype;
for (const name of Object.getOwnPropertyNames(proto)) {
  const method = proto[name];
  if (name === "constructor" || name === "free" || name.startsWith("__") || typeof method !== "function") continue;
  Object.defineProperty(proto, name, {
    value: {
      [name](...args) {
        return this.__wbg_ptr ? method.apply(this, args) : Promise.reject(freedClient());
      },
    }[name],
    writable: true,
    configurable: true,
  });
}
const free = proto.free;
proto.free = function free_() {
  if (this.__wbg_ptr) free.call(this);
};
Object.defineProperty(proto.free, "name", { value: "free" });
if (typeof Symbol.dispose === "symbol") proto[Symbol.dispose] = proto.free;
