// An item store for copyFolders that keeps its map in a process of its own, so what it holds is not in the
// measured process's JS heap (as IndexedDB or Durable Object storage would not be). The parent talks to it over
// the IPC channel: {id, op: "get"|"set", key, value?} -> {id, value?}; {op: "size"} -> {id, size, bytes}.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(import.meta.url);

if (process.argv[1] === MAIN) {
  const map = new Map();
  let bytes = 0;
  process.on("message", ({ id, op, key, value }) => {
    if (op === "get") {
      const text = map.get(key);
      process.send({ id, value: text === undefined ? undefined : JSON.parse(text) });
    } else if (op === "set") {
      const text = JSON.stringify(value);
      bytes += text.length - (map.get(key)?.length ?? 0) + (map.has(key) ? 0 : key.length);
      map.set(key, text);
      process.send({ id });
    } else if (op === "size") {
      process.send({ id, size: map.size, bytes });
    }
  });
  process.on("disconnect", () => process.exit(0));
}

/** Starts the store process; gives a CopyItemStore plus size() and close(). */
export function startStoreProcess() {
  const child = fork(MAIN, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting = new Map();
  let next = 0;
  child.on("message", (message) => {
    const resolve = waiting.get(message.id);
    waiting.delete(message.id);
    resolve?.(message);
  });
  const ask = (message) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      child.send({ ...message, id });
    });
  return {
    get: async (key) => (await ask({ op: "get", key })).value,
    set: (key, value) => ask({ op: "set", key, value }),
    /** Entries, and the JSON bytes of keys and records. */
    size: async () => {
      const { size, bytes } = await ask({ op: "size" });
      return { size, bytes };
    },
    close: () => {
      child.disconnect();
    },
  };
}
