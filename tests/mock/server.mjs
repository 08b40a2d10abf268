// Mock Microsoft Graph tenant for the tests.
//
// Four loopback HTTP servers:
//   - "graph" plays https://graph.microsoft.com: createImportSession, the reading calls (a user's Exchange
//     settings, folders, child folders, items, delta, exportItems) and the /_mock/ control API;
//   - "import" plays the Exchange import host https://outlook.office365.com (importItem);
//   - "elsewhere" plays a host no client may send a token to: it answers anything with 200 {"value":[]} and
//     records every request, so tests can make a nextLink or a redirect point there and check nothing came;
//   - "login" plays Microsoft Entra ID's token endpoint https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
//     for the client credentials grant (app-only tokens), whose tokens Graph refuses once they expire.
// Imported and seeded items live in one store: what is imported can be listed and exported again.
// What they answer follows the project's reference on the service, docs/graph-api.md (cited as "graph-api.md §N").
// Only node: built-ins are used, so this starts on a machine with nothing installed:
//
//   node tests/mock/server.mjs [--graph-port N] [--import-port N] [--elsewhere-port N] [--login-port N]
//                              [--host 127.0.0.1] [--ports-file path] [--seed demo] [--app CLIENT_ID=SECRET]
//
// or in-process: `const tenant = await startMockTenant({ seed: demoSeed() }); ...; await tenant.close();`
//
// Each concern lives in a file of its own under lib/ (config, state, seed, demo, responses, graph/ routes by
// resource, import host, login, faults, request handling, control API); this file starts the servers, runs the
// command line and exports what other code imports.

import http from "node:http";
import { realpathSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { DEFAULT_CONFIG } from "./lib/config.mjs";
import { demoSeed } from "./lib/demo.mjs";
import { handleElsewhere } from "./lib/elsewhere.mjs";
import { handleGraph } from "./lib/graph/handler.mjs";
import { handleImport } from "./lib/import-host.mjs";
import { issuerFor } from "./lib/entra.mjs";
import { handleLogin } from "./lib/login.mjs";
import { createState } from "./lib/state.mjs";
import { urlHost } from "./lib/util.mjs";

export { DEMO_IDS, demoSeed } from "./lib/demo.mjs";

/**
 * A signed access token for a Worker's own API from the mock's login server (`tenant` as startMockTenant
 * returns it, or its state); the options make each bad case (see lib/entra.mjs).
 */
export function mintAccessToken(tenant, options) {
  return (tenant.state ?? tenant).mintAccessToken(options);
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address().port);
    });
  });
}

/** The seeds of a `seed` option: a spec, "demo" (demoSeed()), or a list of those. */
function seedList(seed) {
  if (seed === undefined || seed === null) return [];
  return [seed].flat().map((s) => (s === "demo" ? demoSeed() : s));
}

/**
 * Starts the four servers.
 * options: { host = "127.0.0.1", graphPort = 0, importPort = 0, elsewherePort = 0, loginPort = 0, seed } and any
 * config key (DEFAULT_CONFIG). `seed` is a seed spec, "demo", or a list of those; it is applied again after every
 * reset. Returns { graphUrl, importUrlBase, elsewhereUrl, loginUrl, graphPort, importPort, elsewherePort,
 * loginPort, close(), state, issuer, openidConfigurationUrl, jwksUri, mintAccessToken(options) }.
 */
export async function startMockTenant(options = {}) {
  const host = options.host ?? "127.0.0.1";
  const initialConfig = { ...DEFAULT_CONFIG };
  for (const k of Object.keys(DEFAULT_CONFIG)) if (options[k] !== undefined) initialConfig[k] = options[k];
  const state = createState(initialConfig, seedList(options.seed)); // validates the options and the seed
  state.setConfig(initialConfig);

  const sockets = new Set();
  const ctx = {
    state,
    graphUrl: "",
    importUrlBase: "",
    elsewhereUrl: "",
    loginUrl: "",
    timers: new Set(),
    hung: new Set(),
    closed: false,
  };

  const makeServer = (handler) => {
    const server = http.createServer((req, res) => {
      handler(ctx, req, res).catch((err) => {
        if (!res.headersSent) {
          res.writeHead(500, { "Content-Type": "text/plain" });
          res.end(String(err && err.stack ? err.stack : err));
        } else {
          res.destroy();
        }
      });
    });
    server.on("connection", (socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    return server;
  };
  const graphServer = makeServer(handleGraph);
  const importServer = makeServer(handleImport);
  const elsewhereServer = makeServer(handleElsewhere);
  const loginServer = makeServer(handleLogin);
  const servers = [graphServer, importServer, elsewhereServer, loginServer];

  const ports = [];
  try {
    ports.push(await listen(graphServer, options.graphPort ?? 0, host));
    ports.push(await listen(importServer, options.importPort ?? 0, host));
    ports.push(await listen(elsewhereServer, options.elsewherePort ?? 0, host));
    ports.push(await listen(loginServer, options.loginPort ?? 0, host));
  } catch (err) {
    for (const server of servers.slice(0, ports.length)) server.close();
    throw err;
  }
  const [graphPort, importPort, elsewherePort, loginPort] = ports;
  ctx.graphUrl = `http://${urlHost(host)}:${graphPort}`;
  ctx.importUrlBase = `http://${urlHost(host)}:${importPort}`;
  ctx.elsewhereUrl = `http://${urlHost(host)}:${elsewherePort}`;
  ctx.loginUrl = `http://${urlHost(host)}:${loginPort}`;

  let closing = null;
  const close = () => {
    if (closing) return closing;
    ctx.closed = true;
    const done = Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
    for (const t of ctx.timers) clearTimeout(t);
    ctx.timers.clear();
    for (const res of ctx.hung) res.socket?.destroy();
    ctx.hung.clear();
    for (const socket of sockets) socket.destroy();
    closing = done.then(() => undefined);
    return closing;
  };

  const tenantId = state.config.entraTenantId;
  return {
    graphUrl: ctx.graphUrl,
    importUrlBase: ctx.importUrlBase,
    elsewhereUrl: ctx.elsewhereUrl,
    loginUrl: ctx.loginUrl,
    graphPort,
    importPort,
    elsewherePort,
    loginPort,
    close,
    state,
    // Entra ID for a Worker's own API (lib/entra.mjs): the issuer tokens carry (as in production) and where the
    // mock publishes its keys, for the tenant id the mock started with.
    issuer: issuerFor(tenantId),
    openidConfigurationUrl: `${ctx.loginUrl}/${tenantId}/v2.0/.well-known/openid-configuration`,
    jwksUri: `${ctx.loginUrl}/${tenantId}/discovery/v2.0/keys`,
    mintAccessToken: (tokenOptions) => state.mintAccessToken(tokenOptions),
  };
}

// Command line

const USAGE =
  "usage: node tests/mock/server.mjs [--graph-port N] [--import-port N] [--elsewhere-port N] [--login-port N] " +
  "[--host 127.0.0.1] [--ports-file path] [--session-lifetime-ms N] [--import-concurrency-limit N|none] " +
  "[--import-latency-ms N] [--graph-latency-ms N] [--page-size N] [--seed demo] [--app CLIENT_ID=SECRET]... " +
  "[--app-token-lifetime-s N]";

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${name} needs a non-negative integer`);
      return v;
    };
    switch (name) {
      case "--graph-port": opts.graphPort = int(); break;
      case "--import-port": opts.importPort = int(); break;
      case "--elsewhere-port": opts.elsewherePort = int(); break;
      case "--login-port": opts.loginPort = int(); break;
      case "--app": {
        const v = value();
        const eq = v.indexOf("=");
        if (eq < 1 || eq === v.length - 1) throw new Error(`${name} needs CLIENT_ID=SECRET`);
        opts.apps = { ...opts.apps, [v.slice(0, eq)]: v.slice(eq + 1) };
        break;
      }
      case "--app-token-lifetime-s": {
        const v = int();
        if (v < 1) throw new Error(`${name} needs a whole number, 1 or more`);
        opts.appTokenLifetimeS = v;
        break;
      }
      case "--page-size": {
        const v = int();
        if (v < 1) throw new Error(`${name} needs a whole number, 1 or more`);
        opts.pageSize = v;
        break;
      }
      case "--seed": {
        const v = value();
        if (v !== "demo") throw new Error(`${name} knows only "demo"`);
        opts.seed = "demo";
        break;
      }
      case "--host": opts.host = value(); break;
      case "--ports-file": opts.portsFile = value(); break;
      case "--session-lifetime-ms": opts.sessionLifetimeMs = int(); break;
      case "--import-concurrency-limit": {
        const v = value();
        if (v === "none") opts.importConcurrencyLimit = null;
        else if (/^[1-9]\d*$/.test(v)) opts.importConcurrencyLimit = Number(v);
        else throw new Error(`${name} needs a whole number, 1 or more, or "none"`);
        break;
      }
      case "--import-latency-ms": opts.importLatencyMs = int(); break;
      case "--graph-latency-ms": opts.graphLatencyMs = int(); break;
      case "-h":
      case "--help": opts.help = true; break;
      default: throw new Error(`unknown argument ${arg}`);
    }
  }
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const tenant = await startMockTenant(opts);
  const line = JSON.stringify({
    graphUrl: tenant.graphUrl,
    importUrlBase: tenant.importUrlBase,
    graphPort: tenant.graphPort,
    importPort: tenant.importPort,
    elsewhereUrl: tenant.elsewhereUrl,
    elsewherePort: tenant.elsewherePort,
    loginUrl: tenant.loginUrl,
    loginPort: tenant.loginPort,
  });
  if (opts.portsFile) writeFileSync(opts.portsFile, `${line}\n`);
  process.stdout.write(`${line}\n`);
  closeOnSignals(() => tenant.close());
}

/** Runs `close` on SIGINT or SIGTERM, then exits 0: how the command-line tools here stop cleanly. */
export function closeOnSignals(close) {
  const stop = () => {
    close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isMainModule(moduleUrl) {
  if (!process.argv[1]) return false;
  try {
    return pathToFileURL(realpathSync(process.argv[1])).href === moduleUrl;
  } catch {
    return false;
  }
}

if (isMainModule(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
}
