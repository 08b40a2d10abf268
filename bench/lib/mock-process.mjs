// The mock tenant (tests/mock/server.mjs) in a process of its own, so its work and memory are not the
// client's: `node lib/mock-process.mjs '<startMockTenant options as JSON>'` prints one JSON line with its
// URLs and answers control requests on the graph port's /_mock/ routes. Ends on SIGTERM, or when its parent
// goes away (its stdin closes).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(import.meta.url);

if (process.argv[1] === MAIN) {
  const { startMockTenant, closeOnSignals } = await import("../../tests/mock/server.mjs");
  const mock = await startMockTenant(JSON.parse(process.argv[2] ?? "{}"));
  closeOnSignals(mock.close);
  // The parent holds our stdin: when it goes away (even killed), so do we.
  process.stdin.on("end", () => mock.close().then(() => process.exit(0)));
  process.stdin.resume();
  const { graphUrl, importUrlBase, graphPort, importPort } = mock;
  console.log(JSON.stringify({ graphUrl, importUrlBase, graphPort, importPort }));
}

/** Starts the mock tenant in a child process. Quiet by default: no request records or bodies, no item data. */
export async function startMockProcess(options = {}) {
  const config = { recordRequests: false, recordBodies: false, storeItemData: false, ...options };
  const child = spawn(process.execPath, [MAIN, JSON.stringify(config)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const [first] = await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(([code]) => {
      throw new Error(`mock tenant exited ${code} before starting`);
    }),
  ]);
  const info = JSON.parse(first);
  const control = async (method, path, body) => {
    const response = await fetch(`${info.graphUrl}/_mock/${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`mock ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  };
  return {
    ...info,
    importHost: `127.0.0.1:${info.importPort}`,
    pid: child.pid,
    stats: () => control("GET", "stats"),
    setConfig: (c) => control("POST", "config", c),
    reset: () => control("POST", "reset"),
    async close() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    },
  };
}
