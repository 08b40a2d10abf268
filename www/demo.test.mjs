// The demo page in a real browser, against the built package and the mock tenant.
//
//   node --test www/
//
// Needs the package built into pkg/ (scripts/build.sh), playwright-core in the root node_modules and a
// Chromium (scripts/setup.sh installs both; CHROMIUM_PATH overrides /usr/bin/chromium).
// Leaves a screenshot of the page in target/demo.png.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startDemo } from "../scripts/demo.mjs";

const SCREENSHOT = fileURLToPath(new URL("../target/demo.png", import.meta.url));
const MASKED = "authtoken=••••••";
const AUTHTOKEN = /authtoken=[A-Za-z0-9_-]{43}$/;

// Chrome logs every 4xx/5xx answer to fetch as "Failed to load resource"; these are the answers the test
// provokes on purpose, not faults of the page.
const EXPECTED_NETWORK_LOG = /^Failed to load resource: the server responded with a status of (429|403) /;

let demo;
let browser;
let page;
const consoleErrors = [];

before(async () => {
  demo = await startDemo({ port: 0 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(demo.url).origin });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("console", (msg) => {
    if (msg.type() === "error" && !EXPECTED_NETWORK_LOG.test(msg.text())) consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => consoleErrors.push(`uncaught: ${err.message}`));
  await page.goto(demo.url);
  await page.locator("#status", { hasText: "Ready." }).waitFor();
});

after(async () => {
  await browser?.close();
  await demo?.close();
});

/** Submits the form and waits for the call to settle (result or error shown). */
async function create() {
  await page.click("#create-button");
  await page.waitForFunction(() => {
    const status = document.getElementById("status").textContent;
    return status.startsWith("Import session created") || status.startsWith("Failed");
  });
}

async function simulate(buttonText, expectedState) {
  await page.getByRole("button", { name: buttonText }).click();
  await page.locator("#fault-state", { hasText: expectedState }).waitFor();
}

/** Statuses of the Graph requests the mock tenant saw, newest last. */
function graphStatuses() {
  return demo.tenant.state.requests.filter((r) => r.server === "graph").map((r) => r.status);
}

test("the page shows the offline banner and a prefilled form", async () => {
  assert.match(await page.locator("#mode-banner").textContent(), /mock tenant/);
  assert.equal(await page.getByLabel("Mailbox id").inputValue(), "MBX:e0643f21@a7809c93");
  assert.equal(await page.getByLabel("API version").inputValue(), "v1.0");
});

test("creating a session shows its expiry with a countdown and the import URL masked", async () => {
  await create();
  assert.equal(await page.locator("#result-panel").isVisible(), true);
  assert.equal(await page.locator("#error-panel").isVisible(), false);
  const url = await page.locator("#import-url").textContent();
  assert.ok(url.endsWith(MASKED), `masked URL, got ${url}`);
  assert.match(url, /\/api\/gv1\.0\/Mailboxes\('MBX%3Ae0643f21%40a7809c93'\)\/importItem\?/);
  assert.match(await page.locator("#expiration").textContent(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
  assert.match(await page.locator("#countdown").textContent(), /^\d+:\d\d(:\d\d)? left$/);
});

test("Reveal toggles the authtoken, Copy copies the full URL", async () => {
  const reveal = page.getByRole("button", { name: "Reveal" });
  await reveal.click();
  assert.equal(await reveal.getAttribute("aria-pressed"), "true");
  const full = await page.locator("#import-url").textContent();
  assert.match(full, AUTHTOKEN);
  // The one session the mock issued is the one on screen.
  const issued = [...demo.tenant.state.sessions.values()].map((s) => s.importUrl);
  assert.ok(issued.includes(full), "the revealed URL is the one the mock tenant issued");

  await page.getByRole("button", { name: "Copy" }).click();
  await page.locator("#copy-feedback", { hasText: "Copied" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), full);

  await reveal.click();
  assert.equal(await reveal.getAttribute("aria-pressed"), "false");
  assert.ok((await page.locator("#import-url").textContent()).endsWith(MASKED));
});

test("a throttled call is retried and succeeds", async () => {
  await simulate("Throttle next call once (429)", "Next call: 429 once");
  const before = graphStatuses().length;
  await create();
  assert.equal(await page.locator("#result-panel").isVisible(), true);
  assert.deepEqual(graphStatuses().slice(before), [429, 200]);
  assert.match(await page.locator("#status").textContent(), /2 requests: 429 → 200, 1 retry/);
  assert.ok((await page.locator("#import-url").textContent()).endsWith(MASKED));
  assert.match(await page.locator("#fault-state").textContent(), /Next call: normal/);
});

test("a 403 shows the error panel with code, status, request id and a hint", async () => {
  await simulate("Deny next call (403)", "Next call: 403 once");
  // From the keyboard this time: Enter in the mailbox field submits the form.
  await page.getByLabel("Mailbox id").focus();
  await page.keyboard.press("Enter");
  await page.locator("#error-panel").waitFor({ state: "visible" });
  assert.equal(await page.locator("#result-panel").isVisible(), false);
  assert.equal(await page.locator("#error-code").textContent(), "forbidden");
  assert.equal(await page.locator("#error-status").textContent(), "403");
  const requestId = await page.locator("#error-request-id").textContent();
  assert.match(requestId, /^[0-9a-f-]{36}$/);
  assert.match(await page.locator("#error-message").textContent(), /Access is denied/);
  assert.match(await page.locator("#error-hint").textContent(), /MailboxItem\.ImportExport/);
  assert.match(await page.locator("#status").textContent(), /Failed: forbidden \(403\)/);
  mkdirSync(fileURLToPath(new URL("../target/", import.meta.url)), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});

test("no console errors", () => {
  assert.deepEqual(consoleErrors, []);
});
