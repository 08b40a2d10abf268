// Copying folder trees through the installed package in a Chromium page (plain ESM through an import map),
// against the mock tenant from another origin: the scenario of folders-scenario.mjs, checked as in Node.

import assert from "node:assert/strict";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { launchChromium } from "../chromium.mjs";
import { assertFolderPasses, prepareFolders } from "./folders-support.mjs";
import { installPackedPackage, startMock, tempDir } from "./support.mjs";

const SCENARIO = fileURLToPath(new URL("./folders-scenario.mjs", import.meta.url));
const TYPES = { ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

let mock;
let server;
let browser;

/** Serves the unpacked package under /pkg/, the scenario, and a page that loads both. */
function serve(packageDir, entry) {
  const page =
    `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">` +
    `<script type="importmap">${JSON.stringify({ imports: { "graph-mailbox-import": `/pkg/${entry}` } })}</script>` +
    `<script type="module">import * as api from "graph-mailbox-import";\n` +
    `import { runFolderPasses } from "/folders-scenario.mjs";\n` +
    `window.runFolderPasses = (env) => runFolderPasses(api, env);</script></head><body></body></html>`;
  const handler = (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = null;
    if (path === "/folders-scenario.mjs") file = SCENARIO;
    else if (path.startsWith("/pkg/")) {
      const candidate = normalize(join(packageDir, path.slice(5)));
      if (candidate.startsWith(packageDir + sep) && existsSync(candidate) && statSync(candidate).isFile()) file = candidate;
    }
    if (path === "/folders.html") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(page);
    } else if (file) {
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      createReadStream(file).pipe(res);
    } else {
      res.writeHead(404);
      res.end();
    }
  };
  return new Promise((resolve) => {
    const s = http.createServer(handler);
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

before(async () => {
  const { packageDir } = installPackedPackage(tempDir("folders-browser"));
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  server = await serve(packageDir, manifest.exports["."].browser.replace(/^\.\//, ""));
  mock = await startMock();
  browser = await launchChromium();
}, { timeout: 60000 });

after(async () => {
  await Promise.allSettled([browser?.close(), server && new Promise((r) => server.close(r)), mock?.close()]);
});

test("Chromium: a whole mailbox copied, passed again unchanged and after changes, stopped and resumed", { timeout: 180000 }, async () => {
  const prepared = prepareFolders(mock, "chromium");
  const context = await browser.newContext();
  const tab = await context.newPage();
  const problems = [];
  tab.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  tab.on("console", (message) => {
    // The 403 the test queued on a folder creation is expected; anything else is a problem.
    const provoked = /status of 403/.test(message.text()) && message.location().url.startsWith(mock.graphUrl);
    if (message.type() === "error" && !provoked) problems.push(`console error: ${message.text()}`);
  });
  try {
    await tab.goto(`http://127.0.0.1:${server.address().port}/folders.html`);
    await tab.waitForFunction(() => typeof window.runFolderPasses === "function", null, { timeout: 10000 });
    const out = await tab.evaluate((env) => window.runFolderPasses(env), prepared.env);
    assert.deepEqual(problems, [], "no console or page errors");
    const figures = assertFolderPasses(out, mock, prepared);
    console.log(`folders (Chromium): pass 1 of 1,000 items in ${figures.pass1Ms} ms, stops ${JSON.stringify(out.resume.stops)}`);
  } finally {
    await context.close();
  }
});
