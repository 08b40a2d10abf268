// How the page reads: folders named by their path where it is known, a tab order that follows the layout, and
// result tables that stay one line a row on a 390 px wide phone. In a real browser against the built package
// and the mock tenant's demo tenant.
//
//   node --test www/
//
// Needs what demo.test.mjs needs. Leaves target/demo-390.png (the copy pane on a phone). Nothing leaves
// loopback: every other request is aborted and reported.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { DEMO_IDS } from "../tests/mock/server.mjs";
import { demo, newContext, saveScreenshot, startDemoAndBrowser } from "./page-harness.mjs";

const SOURCE = DEMO_IDS.sourceMailbox;
const TARGET = DEMO_IDS.targetMailbox;

startDemoAndBrowser();

/** Opens the page in a fresh context of `viewport` size; returns { context, page }. */
async function openPage(consoleErrors, outside, viewport) {
  const context = await newContext({ consoleErrors, outside, expectedLog: /^$/ });
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(demo.url);
  await page.locator("#status", { hasText: "Ready." }).waitFor();
  return { context, page };
}

async function lookUp(page, user) {
  await page.getByLabel("User", { exact: true }).fill(user);
  await page.getByRole("button", { name: "Look up" }).click();
  await page.locator("#lookup-status", { hasText: `${user}: a primary mailbox` }).waitFor();
}

/** Picks `path` in a picker ("copy-source", "copy-target", "import"), expanding the folders along it. */
async function pickFolder(page, which, path) {
  await page.locator(`#${which}-browse`).click();
  const picker = page.locator(`#${which}-picker`);
  await picker.locator(".picker-status", { hasText: /^\d+ folders?[.,]/ }).waitFor();
  for (const name of path.slice(0, -1)) {
    await picker.getByRole("button", { name: `Subfolders of ${name}`, exact: true }).click();
    await picker.locator(".picker-status", { hasText: `${name}: ` }).waitFor();
  }
  await picker.locator(".folder-pick", { has: page.locator(".folder-name", { hasText: new RegExp(`^${path.at(-1)}$`) }) }).click();
}

describe("how the page reads", () => {
  const consoleErrors = [];
  const outside = [];
  let context;
  let page;

  before(async () => {
    ({ context, page } = await openPage(consoleErrors, outside));
  });

  after(() => context?.close());

  test("folders are named by their path where it is known, not by their id", async () => {
    // The copy pane: listing a picked folder again from the button.
    await lookUp(page, DEMO_IDS.sourceUser);
    await page.getByRole("button", { name: "Copy from the primary mailbox" }).click();
    await pickFolder(page, "copy-source", ["Inbox", "Projects"]);
    await page.locator("#copy-status", { hasText: "40 items in Inbox › Projects. Choose the ones to copy." }).waitFor();
    await page.getByRole("button", { name: "List items" }).click();
    await page.locator("#copy-status", { hasText: /^40 items in .*Choose/ }).waitFor();
    assert.equal(await page.locator("#copy-status").textContent(), "40 items in Inbox › Projects. Choose the ones to copy.");
    assert.equal(await page.locator("#copy-items-heading").textContent(), "Items in Inbox › Projects");

    // The import pane, while a run is under way.
    await page.getByRole("button", { name: "Import into the primary mailbox" }).click();
    await page.locator("#import-folder-path", { hasText: /^Inbox · / }).waitFor();
    demo.tenant.state.setConfig({ importLatencyMs: 1500 });
    try {
      await page.setInputFiles("#import-files", [{ name: "slow.fts", mimeType: "application/octet-stream", buffer: Buffer.from("slow") }]);
      await page.getByRole("button", { name: "Import", exact: true }).click();
      await page.locator("#import-status", { hasText: /^Importing / }).waitFor();
      assert.equal(await page.locator("#import-status").textContent(), `Importing 1 item into Inbox (${SOURCE})…`);
      await page.locator("#import-status", { hasText: /^Done/ }).waitFor();
    } finally {
      demo.tenant.state.setConfig({ importLatencyMs: 0 });
    }
  });

  test("Tab goes through the cards in the order they are laid out: left column, right column, then the panes", async () => {
    await page.getByLabel("Mailbox id").focus();
    const cards = [];
    for (let i = 0; i < 60; i += 1) {
      const card = await page.evaluate(() => document.activeElement.closest(".card")?.id ?? null);
      if (card && cards.at(-1) !== card) cards.push(card);
      await page.keyboard.press("Tab");
    }
    assert.deepEqual(cards.slice(0, 6), ["session", "lookup", "settings", "simulate", "import-pane", "copy-pane"]);
    // And the layout agrees: the lookup sits under the session form, the settings beside them.
    const box = async (id) => page.locator(`#${id}`).boundingBox();
    const [session, lookup, settings] = [await box("session"), await box("lookup"), await box("settings")];
    assert.ok(Math.abs(lookup.x - session.x) < 1 && lookup.y > session.y, "the lookup is under the session form");
    assert.ok(settings.x > session.x + session.width && Math.abs(settings.y - session.y) < 1, "the settings are beside it");
  });

  test("no console errors, and no request left loopback", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
  });
});

describe("on a 390 px wide phone", () => {
  const consoleErrors = [];
  const outside = [];
  let context;
  let page;

  before(async () => {
    ({ context, page } = await openPage(consoleErrors, outside, { width: 390, height: 844 }));
  });

  after(() => context?.close());

  /** The heights of the rows of a table body, in px. */
  const rowHeights = (tbody) => page.locator(`#${tbody} tr`).evaluateAll((rows) => rows.map((r) => Math.round(r.getBoundingClientRect().height)));

  test("rows of ids stay one line each, the whole id kept in the title; the page does not scroll sideways", async () => {
    await lookUp(page, DEMO_IDS.sourceUser);
    await page.getByRole("button", { name: "Copy from the primary mailbox" }).click();
    await lookUp(page, DEMO_IDS.targetUser);
    await page.getByRole("button", { name: "Copy into the primary mailbox" }).click();
    await pickFolder(page, "copy-source", ["Drafts"]);
    await page.locator("#copy-status", { hasText: "5 items in Drafts" }).waitFor();
    await page.getByLabel("Select all items").check();
    await pickFolder(page, "copy-target", ["Restored"]);
    await page.locator("#copy-pane").getByRole("button", { name: "Copy items", exact: true }).click();
    await page.locator("#copy-status", { hasText: /^Done: 5 copied/ }).waitFor();
    assert.equal(demo.tenant.state.itemsFor(TARGET).filter((item) => item.folderId === DEMO_IDS.targetFolders.restored).length, 5);

    // One line of text is about 22 px here; a row with its padding stays under 44.
    const lineRow = 44;
    for (const tbody of ["copy-item-rows", "copy-rows"]) {
      const heights = await rowHeights(tbody);
      assert.equal(heights.length, 5);
      assert.ok(heights.every((h) => h <= lineRow), `${tbody}: ${heights.join(", ")}`);
    }
    // Cut short on screen, whole in the text and the title.
    const ids = await page.locator("#copy-rows .item-id").evaluateAll((codes) =>
      codes.map((c) => ({ text: c.textContent, title: c.title, clipped: c.scrollWidth > c.clientWidth })),
    );
    for (const id of ids) {
      assert.equal(id.title, id.text);
      assert.ok(id.text.length > 40, id.text);
      assert.equal(id.clipped, true, `${id.text} is cut short with an ellipsis`);
    }
    const sources = await page.locator("#copy-rows .source-item-id").evaluateAll((codes) => codes.map((c) => [c.title, c.textContent]));
    for (const [title, text] of sources) assert.equal(title, text);

    // The lookup's mailbox ids: the buttons stay on one line under the id.
    const lookupHeights = await rowHeights("lookup-rows");
    assert.ok(lookupHeights.every((h) => h <= 150), `lookup rows: ${lookupHeights.join(", ")}`);

    // An import's rows (file names) too.
    await page.setInputFiles("#import-files", [
      { name: "a-rather-long-file-name-of-an-exported-item-0001.fts", mimeType: "application/octet-stream", buffer: Buffer.from("one") },
      { name: "two.fts", mimeType: "application/octet-stream", buffer: Buffer.from("two") },
    ]);
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.locator("#import-status", { hasText: /^Done: 2 imported/ }).waitFor();
    const importHeights = await rowHeights("import-rows");
    assert.ok(importHeights.every((h) => h <= lineRow), `import rows: ${importHeights.join(", ")}`);

    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no sideways scroll");
    await page.locator("#copy-run").scrollIntoViewIfNeeded();
    await page.mouse.move(0, 0);
    await saveScreenshot(page.locator("#copy-pane"), "demo-390.png");
  });

  test("no console errors, and no request left loopback", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
  });
});
