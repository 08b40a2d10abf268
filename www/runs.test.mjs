// Runs that cannot succeed stop early and say why, and a run that would copy the same items again asks first:
// the import and copy panes in a real browser against the built package and the mock tenant's demo tenant.
//
//   node --test www/
//
// Needs what demo.test.mjs needs. Nothing leaves loopback: every other request is aborted and reported.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { DEMO_IDS } from "../tests/mock/server.mjs";
import { demo, newContext, saveScreenshot, startDemoAndBrowser } from "./page-harness.mjs";

// Answers the tests provoke on purpose: the import host's 404 for a folder the mailbox lacks, and the
// connections refused while the tenant is cut off.
const EXPECTED_NETWORK_LOG = /^Failed to load resource: (the server responded with a status of 404 |net::ERR_CONNECTION_REFUSED$)/;

const SOURCE = DEMO_IDS.sourceMailbox;
const ARCHIVE = DEMO_IDS.sourceArchive;
const TARGET = DEMO_IDS.targetMailbox;
const MISSING_FOLDER = "AAMkADnoSuchFolderAAA=";

startDemoAndBrowser();

/** The mock's stored items of a mailbox, optionally of one folder. */
function stored(mailbox, folderId) {
  return demo.tenant.state.itemsFor(mailbox).filter((item) => !folderId || item.folderId === folderId);
}

/** The mock's requests for a mailbox on one route (createImportSession) or server ("import"). */
function requests(mailbox, { route, server }) {
  return demo.tenant.state.requestsFor(mailbox).filter((r) => (!route || r.route === route) && (!server || r.server === server));
}

describe("runs that cannot succeed, and runs that would repeat one", () => {
  let context;
  let page;
  const consoleErrors = [];
  const outside = [];

  before(async () => {
    context = await newContext({ consoleErrors, outside, expectedLog: EXPECTED_NETWORK_LOG });
    page = await context.newPage();
    await page.goto(demo.url);
    await page.locator("#status", { hasText: "Ready." }).waitFor();
  });

  after(() => context?.close());

  async function lookUp(user) {
    await page.getByLabel("User", { exact: true }).fill(user);
    await page.getByRole("button", { name: "Look up" }).click();
    await page.locator("#lookup-status", { hasText: `${user}: a primary mailbox` }).waitFor();
  }

  async function importEnded() {
    await page.locator("#import-status", { hasText: /^(Done|Stopped|Import failed)/ }).waitFor({ timeout: 60_000 });
    return page.locator("#import-status").textContent();
  }

  async function runImport() {
    await page.getByRole("button", { name: "Import", exact: true }).click();
    return importEnded();
  }

  async function startCopy() {
    await page.locator("#copy-pane").getByRole("button", { name: "Copy items", exact: true }).click();
  }

  async function copyEnded() {
    await page.locator("#copy-status", { hasText: /^(Done|Stopped|Copy failed)/ }).waitFor({ timeout: 60_000 });
    return page.locator("#copy-status").textContent();
  }

  /** Lists a source folder of adele's primary mailbox by id, selects all its items, targets megan's Restored. */
  async function chooseCopy(folderId) {
    await page.getByLabel("Source mailbox").fill(SOURCE);
    await page.getByLabel("Source folder").fill(folderId);
    await page.getByRole("button", { name: "List items" }).click();
    await page.locator("#copy-items-summary", { hasText: `0 of ${stored(SOURCE, folderId).length} items selected.` }).waitFor();
    await page.getByLabel("Select all items").check();
    await page.getByLabel("Target mailbox").fill(TARGET);
    await page.getByLabel("Target folder").fill(DEMO_IDS.targetFolders.restored);
  }

  const rowStatuses = (pane) => page.locator(`#${pane}-rows tr`).evaluateAll((rows) => rows.map((r) => r.dataset.status));

  test("Import into from the lookup picks that mailbox's Inbox, and items go there", async () => {
    await lookUp(DEMO_IDS.sourceUser);
    await page.getByRole("button", { name: "Import into the primary mailbox" }).click();
    assert.equal(await page.getByLabel("Mailbox id").inputValue(), SOURCE);
    await page.locator("#import-folder-path", { hasText: /^Inbox · 100 items$/ }).waitFor({ timeout: 5000 });
    assert.equal(await page.getByLabel("Folder id").inputValue(), DEMO_IDS.folders.inbox);

    // The archive's Inbox (the mock gives it no well-known name: found by its name).
    await page.getByRole("button", { name: "Import into the archive mailbox" }).click();
    await page.locator("#import-folder-path", { hasText: /^Inbox · 0 items$/ }).waitFor({ timeout: 5000 });
    assert.equal(await page.getByLabel("Folder id").inputValue(), DEMO_IDS.archiveFolders.inbox);
    assert.equal(await page.getByLabel("Mailbox id").inputValue(), ARCHIVE);

    await page.getByRole("button", { name: "Import into the primary mailbox" }).click();
    await page.locator("#import-folder-path", { hasText: /^Inbox · / }).waitFor();
    const before = stored(SOURCE, DEMO_IDS.folders.inbox).length;
    await page.setInputFiles("#import-files", [
      { name: "one.fts", mimeType: "application/octet-stream", buffer: Buffer.from("one into adele's inbox") },
      { name: "two.fts", mimeType: "application/octet-stream", buffer: Buffer.from("two into adele's inbox") },
    ]);
    assert.equal(await runImport(), "Done: 2 imported, 0 failed, 0 outcome unknown.");
    assert.equal(stored(SOURCE, DEMO_IDS.folders.inbox).length - before, 2);
  });

  test("a folder the mailbox lacks stops the import at the first proof: one or two sessions, not one per item", async () => {
    await page.getByLabel("Folder id").fill(MISSING_FOLDER);
    const sessionsBefore = requests(SOURCE, { route: "createImportSession" }).length;
    const postsBefore = requests(SOURCE, { server: "import" }).length;
    const storedBefore = stored(SOURCE).length;
    await page.getByRole("button", { name: "Use 25 sample items" }).click();
    const status = await runImport();
    assert.match(status, /^Stopped: 0 imported, \d+ failed, 0 outcome unknown; \d+ not sent\.$/);

    const sessions = requests(SOURCE, { route: "createImportSession" }).length - sessionsBefore;
    assert.ok(sessions >= 1 && sessions <= 2, `${sessions} createImportSession calls`);
    const posts = requests(SOURCE, { server: "import" }).length - postsBefore;
    assert.ok(posts <= 8, `${posts} import posts`);
    const statuses = await rowStatuses("import");
    assert.equal(statuses.length, 25);
    assert.ok(statuses.filter((s) => s === "notSent").length >= 20, statuses.join());
    assert.equal(stored(SOURCE).length, storedBefore);

    const panel = page.locator("#import-error");
    assert.equal(await panel.isVisible(), true);
    const text = await panel.innerText();
    assert.match(text, new RegExp(`The folder ${MISSING_FOLDER} was not found in ${SOURCE.replace(/[.$]/g, "\\$&")}`));
    assert.match(text, /Browse folders/);
    await page.mouse.move(0, 0);
    await saveScreenshot(page.locator("#import-pane"), "demo-import-missing-folder.png");
  });

  test("a finished copy is not repeated by one more click: the page asks first, and declining copies nothing", async () => {
    await chooseCopy(DEMO_IDS.folders.drafts);
    const restored = () => stored(TARGET, DEMO_IDS.targetFolders.restored).length;
    const before = restored();
    await startCopy();
    assert.equal(await copyEnded(), "Done: 5 copied, 0 failed, 0 outcome unknown.");
    assert.equal(restored() - before, 5);

    // The same selection is still armed: one more click asks.
    const posts = requests(TARGET, { server: "import" }).length;
    await startCopy();
    const confirm = page.locator("#copy-confirm");
    await confirm.waitFor({ state: "visible", timeout: 3000 });
    assert.match(await confirm.innerText(), /All 5 chosen items were already copied into AAMkADdemoDstRestoredAAA=/);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Cancel");
    await saveScreenshot(page.locator("#copy-pane"), "demo-copy-again.png");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    assert.equal(await confirm.isHidden(), true);
    assert.equal(await page.locator("#copy-status").textContent(), "Nothing copied.");
    // Give a copy that wrongly started a moment to reach the mock.
    await page.waitForTimeout(500);
    assert.equal(requests(TARGET, { server: "import" }).length, posts, "no import was sent");
    assert.equal(restored() - before, 5);

    // Asked again, and confirmed: second copies, as asked for.
    await startCopy();
    await confirm.waitFor({ state: "visible" });
    await confirm.getByRole("button", { name: "Copy all 5 again" }).click();
    assert.equal(await copyEnded(), "Done: 5 copied, 0 failed, 0 outcome unknown.");
    assert.equal(restored() - before, 10);
  });

  test("a copy whose tenant stops answering mid-run stops within seconds and says why, once", async () => {
    await chooseCopy(DEMO_IDS.folders.inbox);
    const graphOrigin = new URL(demo.config.graphBaseUrl).origin;
    const importOrigin = new URL(demo.tenant.importUrlBase).origin;
    const cut = (url) => url.origin === importOrigin || (url.origin === graphOrigin && !url.pathname.startsWith("/_mock/"));
    let refused = 0;
    const refuse = (route) => {
      refused += 1;
      return route.abort("connectionrefused");
    };
    demo.tenant.state.setConfig({ importLatencyMs: 300 });
    let elapsed;
    try {
      await startCopy();
      await page.locator("#copy-rows tr[data-status='imported']").first().waitFor();
      await page.route(cut, refuse);
      const cutAt = Date.now();
      const status = await copyEnded();
      elapsed = Date.now() - cutAt;
      assert.match(status, /^Stopped: \d+ copied, \d+ failed, \d+ outcome unknown; \d+ not copied\.$/);
    } finally {
      await page.unroute(cut, refuse);
      demo.tenant.state.setConfig({ importLatencyMs: 0 });
    }
    assert.ok(elapsed < 8000, `stopped ${elapsed} ms after the tenant stopped answering`);
    assert.ok(refused > 0);
    const statuses = await rowStatuses("copy");
    assert.ok(statuses.filter((s) => s === "notSent").length >= 50, statuses.join());

    const panel = page.locator("#copy-error");
    assert.equal(await panel.isVisible(), true);
    assert.match(await panel.innerText(), /^The tenant stopped answering: /);
    assert.match(await panel.innerText(), /not copied/);
    await page.mouse.move(0, 0);
    await saveScreenshot(page.locator("#copy-pane"), "demo-copy-unreachable.png");

    // The tenant is back: the same selection asks first, and "only the others" copies exactly the rest.
    const settled = statuses.filter((s) => s === "imported" || s === "outcomeUnknown").length;
    const rest = statuses.length - settled;
    const sourceIds = await page.locator("#copy-rows .source-item-id").allTextContents();
    const restIds = sourceIds.filter((_, i) => statuses[i] !== "imported" && statuses[i] !== "outcomeUnknown");
    const before = stored(TARGET, DEMO_IDS.targetFolders.restored).length;
    await startCopy();
    const confirm = page.locator("#copy-confirm");
    await confirm.waitFor({ state: "visible" });
    assert.match(await confirm.innerText(), new RegExp(`${settled} of the ${statuses.length} chosen items were already copied`));
    await confirm.getByRole("button", { name: `Copy only the ${rest} other items` }).click();
    assert.equal(await copyEnded(), `Done: ${rest} copied, 0 failed, 0 outcome unknown.`);
    assert.deepEqual(await page.locator("#copy-rows .source-item-id").allTextContents(), restIds);
    assert.equal(stored(TARGET, DEMO_IDS.targetFolders.restored).length - before, rest);
    // Every Inbox item is in the target once (the posts refused while it was cut off never arrived).
    const inboxHashes = new Set(stored(SOURCE, DEMO_IDS.folders.inbox).map((item) => item.dataHash));
    const copiesOfInbox = stored(TARGET, DEMO_IDS.targetFolders.restored).filter((item) => inboxHashes.has(item.dataHash));
    assert.equal(copiesOfInbox.length, statuses.length - statuses.filter((s) => s === "outcomeUnknown").length);
    assert.equal(new Set(copiesOfInbox.map((item) => item.dataHash)).size, copiesOfInbox.length, "no Inbox item copied twice");
  });

  test("an import whose tenant stops answering mid-run stops too", async () => {
    const importOrigin = new URL(demo.tenant.importUrlBase).origin;
    const graphOrigin = new URL(demo.config.graphBaseUrl).origin;
    const cut = (url) => url.origin === importOrigin || (url.origin === graphOrigin && !url.pathname.startsWith("/_mock/"));
    const refuse = (route) => route.abort("connectionrefused");
    await page.getByLabel("Mailbox id").fill(SOURCE);
    await page.getByLabel("Folder id").fill(DEMO_IDS.folders.inbox);
    demo.tenant.state.setConfig({ importLatencyMs: 300 });
    try {
      await page.getByRole("button", { name: "Use 25 sample items" }).click();
      await page.getByRole("button", { name: "Import", exact: true }).click();
      await page.locator("#import-rows tr[data-status='imported']").first().waitFor();
      await page.route(cut, refuse);
      const status = await importEnded();
      // Whether items were left unsent depends on how many the run had taken when the tenant went away.
      assert.match(status, /^Stopped: \d+ imported, \d+ failed, \d+ outcome unknown(; \d+ not sent)?\.$/);
    } finally {
      await page.unroute(cut, refuse);
      demo.tenant.state.setConfig({ importLatencyMs: 0 });
    }
    assert.match(await page.locator("#import-error").innerText(), /^The tenant stopped answering: /);
  });

  test("no console errors, and no request left loopback", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
  });
});
