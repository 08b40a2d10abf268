// The package in Chromium, the ways a web app gets it:
//   - plain ESM: a page whose import map points "graph-mailbox-import" at the file the package's `browser`
//     condition names, served as the unpacked tarball;
//   - an esbuild bundle of a consumer, resolved through `exports` for the browser platform, two ways the
//     README gives: the main entry with the .wasm copied beside the bundle (the entry loads it from
//     `new URL(..., import.meta.url)`, which esbuild does not emit), or "graph-mailbox-import/init" with the
//     .wasm imported through esbuild's `file` loader, which emits it; nothing copied by hand;
//   - that bundle without the .wasm: the page fails with a message naming the URL and what to do.
// The page is served from its own port, so every call to the mock is cross-origin, as from a real app to
// Graph: the preflight is real, and Retry-After is hidden by CORS, so throttling takes the backoff path.

import assert from "node:assert/strict";
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

import { launchChromium } from "../chromium.mjs";
import {
  addScenarioFaults,
  assertCopyRun,
  assertHostileRun,
  assertScenarioResults,
  installPackedPackage,
  prepareCopy,
  scenarioEnv,
  startMock,
  tempDir,
} from "./support.mjs";

const SCENARIOS = fileURLToPath(new URL("./scenarios.mjs", import.meta.url));
const COPY = fileURLToPath(new URL("./copy-scenario.mjs", import.meta.url));
const HOSTILE = fileURLToPath(new URL("./hostile-scenario.mjs", import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

// Statuses the scenarios make the mock answer with (throttled, forbidden).
const EXPECTED_STATUSES = new Set([429, 403]);

let mock;
let server;
let origin;
let browser;
let packed;
let bundleInputs;
let loaderOutputs;

/** Serves `routes` (URL prefix -> directory, or exact path -> file or page text) on 127.0.0.1. */
function startStaticServer(routes) {
  const handler = (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let body = null;
    let file = null;
    for (const [prefix, target] of Object.entries(routes)) {
      if (prefix.endsWith("/") && path.startsWith(prefix)) {
        const candidate = normalize(join(target, path.slice(prefix.length)));
        if (candidate.startsWith(target + sep) && existsSync(candidate) && statSync(candidate).isFile()) file = candidate;
      } else if (path === prefix) {
        if (typeof target === "object") body = target;
        else file = target;
      }
    }
    if (body) {
      res.writeHead(200, { "Content-Type": TYPES[extname(path)] ?? "text/plain" });
      res.end(body.text);
    } else if (file) {
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      createReadStream(file).pipe(res);
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found");
    }
  };
  return new Promise((resolve) => {
    const s = http.createServer(handler);
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

/** A page that loads `module` (a module script's text) and waits for it to define window.runScenarios. */
function page(head, module) {
  return {
    text:
      `<!doctype html>\n<html><head><meta charset="utf-8"><title>graph-mailbox-import</title>\n` +
      // No favicon request, so no 404 in the console.
      `<link rel="icon" href="data:,">\n${head}\n<script type="module">\n${module}\n</script></head><body></body></html>\n`,
  };
}

before(async () => {
  const dir = tempDir("browser");
  packed = installPackedPackage(dir);

  // What the `browser` condition names, read from the shipped package.json, so the import map follows the
  // package's own declaration as a CDN or an import-map generator would.
  const manifest = JSON.parse(readFileSync(join(packed.packageDir, "package.json"), "utf8"));
  const browserEntry = manifest.exports["."].browser.replace(/^\.\//, "");

  // The bundled consumers, as a web app would write them.
  const consumer = join(dir, "app.js");
  writeFileSync(
    consumer,
    `import { createImportSession, isMailboxError } from "graph-mailbox-import";\n` +
      `import { runScenarios } from ${JSON.stringify(SCENARIOS)};\n` +
      `window.runScenarios = (env) => runScenarios({ createImportSession, isMailboxError }, env);\n`,
  );
  const loaderConsumer = join(dir, "app-loader.js");
  writeFileSync(
    loaderConsumer,
    `import init, { createImportSession, isMailboxError } from "graph-mailbox-import/init";\n` +
      `import wasmPath from "graph-mailbox-import/graph_mailbox_import_bg.wasm";\n` +
      `import { runScenarios } from ${JSON.stringify(SCENARIOS)};\n` +
      `await init({ module_or_path: new URL(wasmPath, import.meta.url) });\n` +
      `window.runScenarios = (env) => runScenarios({ createImportSession, isMailboxError }, env);\n`,
  );
  const bundle = (entry, outdir, extra = {}) =>
    build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      target: "es2022",
      platform: "browser",
      outdir,
      absWorkingDir: dir,
      metafile: true,
      logLevel: "silent",
      ...extra,
    });
  const dist = join(dir, "dist");
  const result = await bundle(consumer, dist);
  bundleInputs = Object.keys(result.metafile.inputs);
  // The README's one step for the main entry under esbuild: the .wasm beside the bundle. Without it: bare/.
  const bare = join(dir, "bare");
  await bundle(consumer, bare);
  mkdirSync(dist, { recursive: true });
  copyFileSync(join(packed.packageDir, "graph_mailbox_import_bg.wasm"), join(dist, "graph_mailbox_import_bg.wasm"));
  const emitted = join(dir, "emitted");
  const loaderResult = await bundle(loaderConsumer, emitted, { loader: { ".wasm": "file" } });
  loaderOutputs = Object.keys(loaderResult.metafile.outputs);

  server = await startStaticServer({
    "/pkg/": packed.packageDir,
    "/dist/": dist,
    "/bare/": bare,
    "/emitted/": emitted,
    "/scenarios.mjs": SCENARIOS,
    "/copy-scenario.mjs": COPY,
    "/hostile-scenario.mjs": HOSTILE,
    "/plain.html": page(
      `<script type="importmap">${JSON.stringify({ imports: { "graph-mailbox-import": `/pkg/${browserEntry}` } })}</script>`,
      `import * as api from "graph-mailbox-import";\n` +
        `import { runScenarios } from "/scenarios.mjs";\n` +
        `import { runCopy } from "/copy-scenario.mjs";\n` +
        `import { runHostile } from "/hostile-scenario.mjs";\n` +
        `window.packageExports = Object.keys(api);\n` +
        `window.runCopy = (env) => runCopy(api, env);\n` +
        `window.runHostile = (env) => runHostile(api, env);\n` +
        `window.runScenarios = (env) => runScenarios(api, env);`,
    ),
    "/bundle.html": page("", `import "/dist/app.js";`),
    "/bundle-loader.html": page("", `import "/emitted/app-loader.js";`),
    "/bundle-bare.html": page("", `import "/bare/app.js";`),
  });
  origin = `http://127.0.0.1:${server.address().port}`;

  mock = await startMock();
  browser = await launchChromium();
}, { timeout: 60000 });

after(async () => {
  // Each closed whatever happened to the others: anything left open keeps the test process alive.
  await Promise.allSettled([
    browser?.close(),
    server && new Promise((resolve) => server.close(resolve)),
    mock?.close(),
  ]);
});

/**
 * A fresh tab that collects console and page errors into `problems`. Chromium's network log reports every
 * non-2xx answer as a console error: answers from the mock with a status in `expected` (the ones a test
 * provokes) are left out; anything else (a script error, a missing file) is a problem.
 */
async function openTab(expected) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const problems = [];
  tab.on("console", (message) => {
    if (message.type() !== "error") return;
    const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
    const provoked = failed && expected.has(Number(failed[1])) && message.location().url.startsWith(mock.graphUrl);
    if (!provoked) problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  tab.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  return { context, tab, problems };
}

/** Opens `path`, runs the scenarios there and returns their results, failing on any console error. */
async function runInPage(path, label) {
  mock.state.reset(); // the seed mailbox is the same in every run
  const env = scenarioEnv(mock, label);
  addScenarioFaults(mock, env);

  const { context, tab, problems } = await openTab(EXPECTED_STATUSES);
  try {
    await tab.goto(`${origin}${path}`);
    await tab
      .waitForFunction(() => typeof window.runScenarios === "function", null, { timeout: 10000 })
      .catch((e) => {
        throw new Error(`the page did not load the package: ${e.message}\n${problems.join("\n")}`);
      });
    const results = await tab.evaluate((e) => window.runScenarios(e), env);
    const exports = await tab.evaluate(() => window.packageExports);
    assert.deepEqual(problems, [], "no console or page errors");
    return { env, results, exports };
  } finally {
    await context.close();
  }
}

function assertBrowserThrottling(env) {
  // CORS hides Retry-After, so the retry came after the short backoff rather than the second asked for.
  const [first, second] = mock.state.requestsFor(env.mailboxes.throttled);
  assert.ok(second.time - first.endTime < 900, `retried after ${second.time - first.endTime} ms`);
  assert.ok(first.headers.origin === origin, "the call was cross-origin, from the page");
}

test("plain ESM through an import map: the common scenarios", { timeout: 30000 }, async () => {
  const { env, results, exports } = await runInPage("/plain.html", "browser-esm");
  assertScenarioResults(results, mock, env);
  assertBrowserThrottling(env);
  assert.deepEqual(exports.sort(), ["MailboxClient", "clientCredentials", "createImportSession", "isMailboxError"]);
});

test("an esbuild bundle resolved through exports: the common scenarios", { timeout: 30000 }, async () => {
  // The bundle took the `browser` entry, not the Node one (which would pull in node:fs).
  assert.ok(bundleInputs.includes("node_modules/graph-mailbox-import/browser.js"), bundleInputs.join(", "));
  assert.ok(!bundleInputs.some((input) => input.endsWith("/node.js")), bundleInputs.join(", "));
  const { env, results } = await runInPage("/bundle.html", "browser-bundle");
  assertScenarioResults(results, mock, env);
  assertBrowserThrottling(env);
});

test("an esbuild bundle of graph-mailbox-import/init with the .wasm through the file loader: esbuild emits it, the common scenarios", { timeout: 30000 }, async () => {
  const wasm = loaderOutputs.filter((output) => output.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `esbuild emitted the wasm: ${loaderOutputs.join(", ")}`);
  assert.match(wasm[0], /^emitted\/graph_mailbox_import_bg-[A-Z0-9]+\.wasm$/);
  const { env, results } = await runInPage("/bundle-loader.html", "browser-bundle-loader");
  assertScenarioResults(results, mock, env);
  assertBrowserThrottling(env);
});

test("an esbuild bundle served without its .wasm fails to load with a message naming the URL and the fix", { timeout: 30000 }, async () => {
  const { context, tab, problems } = await openTab(new Set());
  try {
    await tab.goto(`${origin}/bundle-bare.html`);
    const wasmUrl = `${origin}/bare/graph_mailbox_import_bg.wasm`;
    const deadline = Date.now() + 10000;
    while (!problems.some((p) => p.startsWith("page error")) && Date.now() < deadline) await tab.waitForTimeout(50);
    const pageErrors = problems.filter((p) => p.startsWith("page error"));
    assert.equal(pageErrors.length, 1, problems.join("\n"));
    assert.ok(pageErrors[0].includes(`could not load its WebAssembly module from ${wasmUrl} (the server answered 404)`), pageErrors[0]);
    assert.match(pageErrors[0], /copied into its output directory/);
    assert.match(pageErrors[0], /"graph-mailbox-import\/init"/);
    assert.equal(await tab.evaluate(() => typeof window.runScenarios), "undefined", "the app did not start");
  } finally {
    await context.close();
  }
});

test("plain ESM: a mailbox's folder tree is read and 255 items are copied to another mailbox", { timeout: 60000 }, async () => {
  const prepared = prepareCopy(mock);
  // The 503 the test queued on an export is expected; nothing else is.
  const { context, tab, problems } = await openTab(new Set([503]));
  try {
    await tab.goto(`${origin}/plain.html`);
    await tab.waitForFunction(() => typeof window.runCopy === "function", null, { timeout: 10000 });
    const result = await tab.evaluate((e) => window.runCopy(e), prepared.env);
    assert.deepEqual(problems, [], "no console or page errors");
    assertCopyRun(result, mock, prepared, { redirectHidden: true });
    console.log(`copy (Chromium): ${result.itemIds.length} source items, ${result.report.imported} copied, in ${result.elapsedMs} ms`);
  } finally {
    await context.close();
    mock.state.reset();
  }
});

test("plain ESM: hostile values to every export settle with documented errors, and the module keeps working", { timeout: 120000 }, async () => {
  mock.state.reset();
  // The refusals the values provoke show in the console as failed loads; a page error (an exception
  // escaping the package, a trap) does not.
  const { context, tab, problems } = await openTab(new Set());
  try {
    await tab.goto(`${origin}/plain.html`);
    await tab.waitForFunction(() => typeof window.runHostile === "function", null, { timeout: 10000 });
    const env = { graphUrl: mock.graphUrl, importPort: mock.importPort, mailbox: "MBX:hostile-browser@package-tests" };
    const started = Date.now();
    const result = await tab.evaluate((e) => window.runHostile(e), env);
    assert.deepEqual(problems.filter((p) => p.startsWith("page error")), [], "nothing escaped the package");
    assertHostileRun(result, mock);
    console.log(`hostile values (Chromium): ${result.calls} calls, ${result.goodCalls} good calls after them, in ${Date.now() - started} ms`);
  } finally {
    await context.close();
    mock.state.reset();
  }
});
