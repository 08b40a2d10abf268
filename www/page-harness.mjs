// What the page's browser tests (demo.test.mjs, copy.test.mjs) share: the demo and a Chromium, started once per
// test file; a browser context that keeps every request on loopback and reports console errors; the Simulate
// panel; and the screenshots they leave in target/ (and, with UPDATE_DOCS_SCREENSHOT=1, in docs/).

import { before, after } from "node:test";
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../tests/chromium.mjs";
import { startDemo } from "../scripts/demo.mjs";

const TARGET_DIR = fileURLToPath(new URL("../target/", import.meta.url));
const DOCS_DIR = fileURLToPath(new URL("../docs/", import.meta.url));

/** The demo (scripts/demo.mjs on a free port, with its mock tenant) and the Chromium, once started. */
export let demo;
export let browser;

/** Starts `demo` and `browser` before the calling test file's tests, and stops them after. */
export function startDemoAndBrowser() {
  before(async () => {
    mkdirSync(TARGET_DIR, { recursive: true });
    demo = await startDemo({ port: 0 });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
  });
}

export function isLoopback(url) {
  return ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

/**
 * A fresh browser context (own storage) whose pages report console errors (except those matching
 * `expectedLog`: answers the tests provoke on purpose) and uncaught exceptions in `consoleErrors`, and where
 * any request that would leave loopback is aborted and noted in `outside`.
 */
export async function newContext({ consoleErrors, outside, expectedLog }) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await context.route(
    (url) => !isLoopback(url),
    (route) => {
      outside.push(`${route.request().method()} ${route.request().url()}`);
      return route.abort();
    },
  );
  context.on("page", (p) => {
    p.setDefaultTimeout(15000);
    p.on("console", (msg) => {
      if (msg.type() === "error" && !expectedLog.test(msg.text())) consoleErrors.push(`${p.url()}: ${msg.text()}`);
    });
    p.on("pageerror", (err) => consoleErrors.push(`${p.url()}: uncaught: ${err.message}`));
  });
  return context;
}

/** Presses a button of the Simulate panel and waits for the fault line to say `expectedState`. */
export async function simulate(page, buttonText, expectedState) {
  await page.getByRole("button", { name: buttonText }).click();
  await page.locator("#fault-state", { hasText: expectedState }).waitFor();
}

/**
 * Saves a screenshot of `target` (a page, whole when `fullPage`, or a locator) as target/`name`; with `docs`
 * and UPDATE_DOCS_SCREENSHOT=1 also as docs/`name`, a picture of the README.
 */
export async function saveScreenshot(target, name, { fullPage = false, docs = false } = {}) {
  const path = `${TARGET_DIR}${name}`;
  await target.screenshot(fullPage ? { path, fullPage } : { path });
  if (docs && process.env.UPDATE_DOCS_SCREENSHOT) {
    mkdirSync(DOCS_DIR, { recursive: true });
    copyFileSync(path, `${DOCS_DIR}${name}`);
  }
}
