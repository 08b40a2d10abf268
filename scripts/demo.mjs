// Offline demo: the admin page in www/ against the built package in pkg/ and the mock Graph tenant.
//
//   node scripts/demo.mjs [--port N] [--host 127.0.0.1] [--pkg-dir DIR] [--check]
//
// Starts the mock tenant (tests/mock/server.mjs) seeded with its demo tenant (two users with mailboxes, folders
// and items: see "Demo tenant" in tests/mock/README.md) and a small static server that serves
//   /             www/ (index.html gets an import map pointing at the package's browser entry)
//   /pkg/         the built package (scripts/build.sh writes it)
//   /vendor/      @azure/msal-browser and its @azure/msal-common, as installed in node_modules (their ESM
//                 builds, unbundled; the import map names their entries), for sign-in with a real tenant
//   /config.json  the mock tenant's URLs and demo users, and the example Worker's URL, for the page
//   /jobs-token   a portal user's access token for the Worker's jobs API, minted by the mock's Entra ID
// and the example Worker (examples/cloudflare-worker, app-only, in Miniflare: see demo-worker.mjs) for the
// page's Jobs view, then prints one line, "Demo: http://127.0.0.1:PORT/", and runs until SIGINT or SIGTERM.
// The port comes from --port, else PORT, else 8080; when it is taken a free one is used instead.
// --check starts everything, fetches the page, the config, the browser entry and the wasm once, prints the
// line and exits 0 (1 on any failure), so that tests and CI exercise the demo without a person.
//
// In-process: `const demo = await startDemo({ port: 0 }); ... await demo.close();`
//
// Only node: built-ins and the repo's own mock; msal-browser comes from the root node_modules (npm ci). Without
// it the page still works against the mock tenant; only the real-tenant sign-in is unavailable. Likewise the
// Worker needs the example's dependencies (npm --prefix examples/cloudflare-worker ci) and miniflare; without
// them only the Jobs view is unavailable (config.jobs says why).

import http from "node:http";
import { readFile, stat } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_IDS, closeOnSignals, isMainModule, startMockTenant } from "../tests/mock/server.mjs";
import { demoWorkerApp, startDemoWorker } from "./demo-worker.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WWW_DIR = join(ROOT, "www");
const DEFAULT_PKG_DIR = join(ROOT, "pkg");
const DEFAULT_PORT = 8080;
const PACKAGE_NAME = "graph-mailbox-import";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
};

// The page always sees fresh files: the package is rebuilt in place while the demo may be running.
const NO_CACHE = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };

// ---------------------------------------------------------------------------------------------------------
// The package's browser entry

/**
 * Resolves an `exports` target the way a browser-targeting bundler would: conditions in object order, the
 * first one of `browser`, `import`, `module` or `default` that yields a path wins (Node's algorithm with
 * those conditions). Arrays are fallbacks, tried in order.
 */
function resolveConditions(target) {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = resolveConditions(t);
      if (r) return r;
    }
    return null;
  }
  if (target && typeof target === "object") {
    for (const [key, value] of Object.entries(target)) {
      if (["browser", "import", "module", "default"].includes(key)) {
        const r = resolveConditions(value);
        if (r) return r;
      }
    }
  }
  return null;
}

/** The browser entry named by pkg/package.json, as a path relative to the package ("graph_mailbox_import.js"). */
async function browserEntry(pkgDir) {
  let manifest;
  try {
    manifest = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8"));
  } catch (err) {
    throw new Error(`no usable ${join(pkgDir, "package.json")} (${err.code ?? err.message}); build the package first: scripts/build.sh`);
  }
  let entry = null;
  const { exports } = manifest;
  if (exports !== undefined) {
    // `exports` is either the "." target itself or a map of subpaths.
    const isSubpathMap =
      exports && typeof exports === "object" && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith("."));
    entry = resolveConditions(isSubpathMap ? exports["."] : exports);
  } else {
    entry = (typeof manifest.browser === "string" && manifest.browser) || manifest.module || manifest.main || null;
  }
  if (!entry) throw new Error(`${join(pkgDir, "package.json")} names no browser entry for "."`);
  const relative = entry.replace(/^\.\//, "");
  if (!isInside(pkgDir, join(pkgDir, relative))) throw new Error(`browser entry ${entry} is outside the package`);
  return relative;
}

// ---------------------------------------------------------------------------------------------------------
// msal-browser, served from node_modules

/** The packages under /vendor/, and the import map entries (specifier -> URL) for their ESM builds. */
const VENDOR = [
  { name: "@azure/msal-browser", prefix: "/vendor/msal-browser", subpaths: [".", "./redirect-bridge"] },
  // msal-browser's ESM build imports "@azure/msal-common/browser"; resolved from msal-browser's own folder.
  { name: "@azure/msal-common", prefix: "/vendor/msal-common", subpaths: ["./browser"], from: "@azure/msal-browser" },
];

/**
 * Finds the vendor packages in node_modules. Returns { dirs: Map(prefix -> dir), imports: {specifier: url} },
 * or { error } when msal-browser is not installed (the page then offers the offline tenant only).
 */
function findVendor() {
  const dirs = new Map();
  const imports = {};
  const manifests = new Map();
  try {
    for (const pkg of VENDOR) {
      const base = pkg.from ? manifests.get(pkg.from) : join(ROOT, "package.json");
      const manifestPath = createRequire(base).resolve(`${pkg.name}/package.json`);
      manifests.set(pkg.name, manifestPath);
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
      const dir = dirname(manifestPath);
      for (const subpath of pkg.subpaths) {
        const target = resolveConditions(manifest.exports?.[subpath]);
        if (!target || !isInside(dir, join(dir, target))) throw new Error(`${pkg.name} exports no ESM entry for ${subpath}`);
        imports[pkg.name + subpath.slice(1)] = `${pkg.prefix}/${target.replace(/^\.\//, "")}`;
      }
      dirs.set(pkg.prefix, dir);
    }
  } catch (err) {
    return { error: err.code === "MODULE_NOT_FOUND" ? "@azure/msal-browser is not installed (npm ci)" : err.message };
  }
  return { dirs, imports };
}

// ---------------------------------------------------------------------------------------------------------
// Static files

function isInside(dir, file) {
  const base = resolve(dir);
  const full = resolve(file);
  return full === base || full.startsWith(base + sep);
}

/** Reads a file under `dir` for a URL path, or returns null (missing, a directory, or outside `dir`). */
async function readStatic(dir, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const file = resolve(dir, "." + (decoded.startsWith("/") ? decoded : `/${decoded}`));
  if (!isInside(dir, file)) return null;
  try {
    if (!(await stat(file)).isFile()) return null;
    return { file, body: await readFile(file) };
  } catch {
    return null;
  }
}

/**
 * index.html with its import map pointing `graph-mailbox-import` at the package's browser entry, and the
 * msal-browser specifiers at their files under /vendor/.
 */
function withImportMap(html, specifierUrl, vendorImports = {}) {
  return html.replace(/(<script type="importmap">)([\s\S]*?)(<\/script>)/, (_m, open, body, close) => {
    const map = JSON.parse(body);
    map.imports = { ...map.imports, ...vendorImports, [PACKAGE_NAME]: specifierUrl };
    return `${open}\n${JSON.stringify(map, null, 2).replace(/^/gm, "      ")}\n    ${close}`;
  });
}

function send(res, status, headers, body, method) {
  res.writeHead(status, { ...NO_CACHE, ...headers, "Content-Length": String(body.length) });
  res.end(method === "HEAD" ? undefined : body);
}

function sendText(res, status, text, method, headers = {}) {
  send(res, status, { "Content-Type": "text/plain; charset=utf-8", ...headers }, Buffer.from(text), method);
}

// ---------------------------------------------------------------------------------------------------------
// Start / stop

function listen(server, port, host) {
  return new Promise((resolvePort, reject) => {
    const onError = (err) => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolvePort(server.address().port);
    });
  });
}

/**
 * Starts the mock tenant, the static server and the example Worker.
 * options: { port = 8080 (0 picks a free one; a taken port falls back to a free one), host = "127.0.0.1",
 *            pkgDir = <repo>/pkg, jobs = true (false: no Worker, the Jobs view says so) }
 * Returns { url, port, config, tenant, worker, entry, vendorImports, close() }; vendorImports maps the
 * msal-browser specifiers to their URLs (empty when msal-browser is not installed: config.msal says why);
 * worker is { url, close() } or null (config.jobs says why).
 */
export async function startDemo(options = {}) {
  const host = options.host ?? "127.0.0.1";
  const pkgDir = resolve(options.pkgDir ?? DEFAULT_PKG_DIR);
  const wantedPort = options.port ?? DEFAULT_PORT;

  // Fails early with a clear message when the package has not been built.
  const entry = await browserEntry(pkgDir);

  const vendor = findVendor();

  // Seeded with the demo tenant (kept across the mock's reset): adele@contoso.com's mailbox and archive to copy
  // from, megan@contoso.com's to copy into. Mailboxes never seeded (the import pane's default) stay lenient.
  // The example Worker signs in to it as this app (client credentials).
  const app = demoWorkerApp();
  const tenant = await startMockTenant({ host, seed: "demo", apps: { [app.clientId]: app.clientSecret } });
  // The page runs against this mock tenant ("offline demo tenant") unless a real tenant is set in its
  // settings panel (kept in the browser's localStorage, not here).
  const config = {
    mode: "offline",
    graphBaseUrl: tenant.graphUrl,
    trustedImportHosts: [`${host}:${tenant.importPort}`],
    mockControlUrl: `${tenant.graphUrl}/_mock`,
    // Prefilled in the page's mailbox lookup.
    demoUsers: { source: DEMO_IDS.sourceUser, target: DEMO_IDS.targetUser },
    msal: vendor.error ? { available: false, reason: vendor.error } : { available: true },
    // The Jobs view: filled in once the Worker has started (below).
    jobs: { available: false, reason: "the example Worker is starting" },
  };
  let worker = null;

  const sockets = new Set();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendText(res, 500, `${err && err.stack ? err.stack : err}\n`, req.method);
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  async function handle(req, res) {
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      return sendText(res, 405, "only GET and HEAD\n", method, { Allow: "GET, HEAD" });
    }
    const pathname = new URL(req.url ?? "/", "http://demo").pathname;

    if (pathname === "/config.json") {
      return send(res, 200, { "Content-Type": MIME[".json"] }, Buffer.from(JSON.stringify(config)), method);
    }
    if (pathname === "/jobs-token") {
      // Offline sign-in for the Jobs view: what MSAL would get from Entra ID for the Worker's API (signed by
      // the mock's published key, with the admin role). Loopback only, like everything here.
      if (!worker) return sendText(res, 404, "no Worker: the Jobs view is unavailable\n", method);
      const expiresInS = 3600;
      const body = { accessToken: tenant.mintAccessToken({ expiresInS }), expiresOn: Date.now() + expiresInS * 1000 };
      return send(res, 200, { "Content-Type": MIME[".json"] }, Buffer.from(JSON.stringify(body)), method);
    }
    if (pathname === "/pkg" || pathname.startsWith("/pkg/")) {
      const found = await readStatic(pkgDir, pathname.slice("/pkg".length) || "/");
      if (!found) return sendText(res, 404, "not found\n", method);
      return send(res, 200, { "Content-Type": MIME[extname(found.file)] ?? "application/octet-stream" }, found.body, method);
    }
    const vendorPrefix = vendor.dirs && [...vendor.dirs.keys()].find((p) => pathname.startsWith(`${p}/`));
    if (vendorPrefix) {
      const found = await readStatic(vendor.dirs.get(vendorPrefix), pathname.slice(vendorPrefix.length));
      if (!found) return sendText(res, 404, "not found\n", method);
      return send(res, 200, { "Content-Type": MIME[extname(found.file)] ?? "application/octet-stream" }, found.body, method);
    }
    // The page's own tests live next to it but are not part of the page.
    if (pathname.endsWith(".test.mjs")) return sendText(res, 404, "not found\n", method);
    const found = await readStatic(WWW_DIR, pathname.endsWith("/") ? `${pathname}index.html` : pathname);
    if (!found) return sendText(res, 404, "not found\n", method);
    let body = found.body;
    if (found.file === join(WWW_DIR, "index.html")) {
      // The entry's file name is whatever the build chose; read it again each time in case of a rebuild.
      const current = await browserEntry(pkgDir).catch(() => entry);
      body = Buffer.from(withImportMap(body.toString("utf8"), `/pkg/${current}`, vendor.imports));
    }
    return send(res, 200, { "Content-Type": MIME[extname(found.file)] ?? "application/octet-stream" }, body, method);
  }

  let port;
  try {
    try {
      port = await listen(server, wantedPort, host);
    } catch (err) {
      if (err.code !== "EADDRINUSE" || wantedPort === 0) throw err;
      port = await listen(server, 0, host);
    }
  } catch (err) {
    await tenant.close();
    throw err;
  }

  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  const url = `http://${hostInUrl}:${port}/`;

  let closing = null;
  const close = () => {
    if (!closing) {
      const stopped = new Promise((r) => server.close(() => r()));
      for (const socket of sockets) socket.destroy();
      closing = Promise.all([stopped, tenant.close(), worker?.close()]).then(() => undefined);
    }
    return closing;
  };

  if (options.jobs === false) {
    config.jobs = { available: false, reason: "the demo was started without the example Worker" };
  } else {
    // The page calls the Worker from its own origin (CORS): the one it was served from, and localhost for the
    // same port when it listens on 127.0.0.1.
    const origins = [new URL(url).origin];
    if (host === "127.0.0.1") origins.push(`http://localhost:${port}`);
    try {
      const started = await startDemoWorker({ tenant, app, host, allowedOrigins: origins });
      if (started.error) {
        config.jobs = { available: false, reason: started.error };
      } else {
        worker = started;
        config.jobs = {
          available: true,
          workerUrl: started.url,
          // Prefilled in the Jobs view: Adele's Inbox with its subfolders, into Megan's mailbox.
          demoSourceFolderId: DEMO_IDS.folders.inbox,
        };
      }
    } catch (err) {
      await close();
      throw err;
    }
  }

  return { url, port, config, tenant, worker, entry, vendorImports: vendor.imports ?? {}, close };
}

/** Fetches what the page needs once and throws if any of it is not served as a browser expects. */
async function check(demo) {
  const expect = async (path, type) => {
    const res = await fetch(new URL(path, demo.url));
    const body = Buffer.from(await res.arrayBuffer());
    const got = res.headers.get("content-type") ?? "";
    if (res.status !== 200) throw new Error(`GET ${path}: status ${res.status}`);
    if (!got.startsWith(type)) throw new Error(`GET ${path}: content-type ${got}, expected ${type}`);
    if (body.length === 0) throw new Error(`GET ${path}: empty body`);
    return body;
  };
  const page = (await expect("/", "text/html")).toString("utf8");
  if (!page.includes(`"${PACKAGE_NAME}": "/pkg/${demo.entry}"`)) throw new Error("the page's import map does not name the package entry");
  await expect("/app.js", "text/javascript");
  await expect("/style.css", "text/css");
  const config = JSON.parse((await expect("/config.json", "application/json")).toString("utf8"));
  if (config.graphBaseUrl !== demo.tenant.graphUrl) throw new Error("/config.json does not name the mock tenant");
  const entrySource = (await expect(`/pkg/${demo.entry}`, "text/javascript")).toString("utf8");
  // The browser entry loads the wasm that sits next to it; find its name there rather than guess.
  const wasmName = /([\w.-]+\.wasm)\b/.exec(entrySource)?.[1] ?? "graph_mailbox_import_bg.wasm";
  const wasm = await expect(`/pkg/${wasmName}`, "application/wasm");
  if (!WebAssembly.validate(wasm)) throw new Error(`/pkg/${wasmName} is not a valid WebAssembly module`);
  // msal-browser's entries, for sign-in with a real tenant.
  if (!config.msal?.available) throw new Error(`msal-browser: ${config.msal?.reason ?? "unavailable"}`);
  for (const [specifier, url] of Object.entries(demo.vendorImports)) {
    if (!page.includes(`"${specifier}": "${url}"`)) throw new Error(`the page's import map does not name ${specifier}`);
    await expect(url, "text/javascript");
  }
  // The mock must answer the page's origin too (CORS), or the page could not reach it.
  const res = await fetch(`${config.mockControlUrl}/faults`, { headers: { origin: new URL(demo.url).origin } });
  if (res.status !== 200) throw new Error(`mock control API: status ${res.status}`);
  await res.arrayBuffer();
  // The demo tenant is seeded: the users the page offers to look up exist.
  const users = await fetch(`${config.mockControlUrl}/users`);
  if (users.status !== 200) throw new Error(`mock control API /users: status ${users.status}`);
  const upns = new Set(((await users.json()).users ?? []).map((u) => String(u.user).toLowerCase()));
  for (const user of Object.values(config.demoUsers ?? {})) {
    if (!upns.has(user.toLowerCase())) throw new Error(`the mock tenant is not seeded with the demo user ${user}`);
  }
  // The Jobs view: the Worker runs, takes the page's token and answers the page's origin.
  if (!config.jobs?.available) throw new Error(`the Jobs view: ${config.jobs?.reason ?? "unavailable"}`);
  const { accessToken } = JSON.parse((await expect("/jobs-token", "application/json")).toString("utf8"));
  const origin = new URL(demo.url).origin;
  const jobs = await fetch(`${config.jobs.workerUrl}/jobs`, { headers: { origin, authorization: `Bearer ${accessToken}` } });
  const jobsText = await jobs.text();
  if (jobs.status !== 200) throw new Error(`the example Worker's GET /jobs: status ${jobs.status} ${jobsText.slice(0, 300)}`);
  if (jobs.headers.get("access-control-allow-origin") !== origin) throw new Error("the example Worker does not answer the page's origin");
}

// ---------------------------------------------------------------------------------------------------------
// Command line

const USAGE = "usage: node scripts/demo.mjs [--port N] [--host 127.0.0.1] [--pkg-dir DIR] [--check]";

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case "--port": opts.port = parsePort(value(), name); break;
      case "--host": opts.host = value(); break;
      case "--pkg-dir": opts.pkgDir = value(); break;
      case "--check": opts.check = true; break;
      case "-h":
      case "--help": opts.help = true; break;
      default: throw new Error(`unknown argument ${arg}`);
    }
  }
  if (opts.port === undefined && process.env.PORT) opts.port = parsePort(process.env.PORT, "PORT");
  return opts;
}

function parsePort(text, what) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what} must be a port number, got ${JSON.stringify(text)}`);
  return n;
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
  const demo = await startDemo(opts);
  const wanted = opts.port ?? DEFAULT_PORT;
  if (wanted !== 0 && demo.port !== wanted) process.stderr.write(`demo: port ${wanted} is taken; using ${demo.port}\n`);
  if (opts.check) {
    try {
      await check(demo);
    } catch (err) {
      await demo.close();
      throw err;
    }
    process.stdout.write(`Demo: ${demo.url}\n`);
    await demo.close();
    return;
  }
  if (!demo.config.jobs.available) process.stderr.write(`demo: the Jobs view is unavailable: ${demo.config.jobs.reason}\n`);
  process.stdout.write(`Demo: ${demo.url}\n`);
  closeOnSignals(() => demo.close());
}

if (isMainModule(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`demo: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  });
}
