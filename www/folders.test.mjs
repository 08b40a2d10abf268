// The folders pane in a real browser, against the built package and the mock tenant's demo tenant: Inbox and
// its subfolders of adele@contoso.com copied into megan@contoso.com, a second pass after the source changed,
// and a copy stopped, the page reloaded and the copy resumed.
//
//   node --test www/
//
// Needs what demo.test.mjs needs. Leaves target/demo-folders.png (the pane after a second pass);
// UPDATE_DOCS_SCREENSHOT=1 also copies it to docs/demo-folders.png. Nothing leaves loopback.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { DEMO_IDS } from "../tests/mock/server.mjs";
import { demo, newContext, saveScreenshot, startDemoAndBrowser } from "./page-harness.mjs";

const SOURCE = DEMO_IDS.sourceMailbox;
const TARGET = DEMO_IDS.targetMailbox;
const F = DEMO_IDS.folders;
// Inbox (100 items), Projects (40), 2026 (25), Receipts (0).
const INBOX_TREE = [F.inbox, F.projects, F.y2026, F.receipts];

startDemoAndBrowser();

/** The data hashes of the source's items in the copied folders, sorted: what the target must hold once each. */
function sourceHashes() {
  const folders = new Set(INBOX_TREE);
  return demo.tenant.state.itemsFor(SOURCE).filter((item) => folders.has(item.folderId)).map((item) => item.dataHash).sort();
}

const targetItems = () => demo.tenant.state.itemsFor(TARGET);
const targetHashes = () => targetItems().map((item) => item.dataHash).sort();
/** The posts to the import host for the target mailbox, in arrival order. */
const importPosts = () => demo.tenant.state.requestsFor(TARGET).filter((r) => r.route === "importItem");

/** A fresh browser context and the page in it, Ready; the mock back to its demo seed. */
async function openPage(consoleErrors, outside) {
  demo.tenant.state.reset();
  const context = await newContext({ consoleErrors, outside, expectedLog: /^$/ });
  const page = await context.newPage();
  await page.goto(demo.url);
  await page.locator("#status", { hasText: "Ready." }).waitFor();
  return { context, page };
}

/** Picks adele's Inbox as the source folder (the mailbox fields hold the demo users). */
async function pickSourceInbox(page) {
  const pane = page.locator("#folders-pane");
  assert.equal(await pane.getByLabel("From mailbox", { exact: true }).inputValue(), DEMO_IDS.sourceUser);
  assert.equal(await pane.getByLabel("Into mailbox", { exact: true }).inputValue(), DEMO_IDS.targetUser);
  await page.locator("#folders-source-browse").click();
  const picker = page.locator("#folders-source-picker");
  await picker.locator(".picker-status", { hasText: /^\d+ folders/ }).waitFor();
  await picker.locator(".folder-pick", { has: page.locator(".folder-name", { hasText: /^Inbox$/ }) }).click();
  assert.equal(await pane.getByLabel("Folder", { exact: true }).inputValue(), F.inbox);
}

/** The tree on show: [name, depth, badge, counts] per folder, depth first. */
function tree(page) {
  return page.locator("#folders-tree .copy-folder").evaluateAll((lis) =>
    lis.map((li) => {
      let depth = 0;
      for (let p = li.parentElement; p && p.id !== "folders-tree"; p = p.parentElement) if (p.matches("li")) depth += 1;
      const row = li.querySelector(".copy-folder-row");
      return [row.querySelector(".folder-name").textContent, depth, row.querySelector(".badge").textContent, row.querySelector(".folder-counts").textContent];
    }),
  );
}

const count = async (page, which) => Number(await page.locator(`#folders-count-${which}`).textContent());

describe("copy adele's Inbox and its subfolders into megan's mailbox, then only what changed", () => {
  const consoleErrors = [];
  const outside = [];
  let context;
  let page;

  before(async () => {
    ({ context, page } = await openPage(consoleErrors, outside));
  });

  after(() => context?.close());

  test("pass 1 fills the tree as folders are mapped, each folder's count reaches its total, the target holds every item once", async () => {
    await pickSourceInbox(page);
    await page.getByRole("button", { name: "Copy folders", exact: true }).click();
    await page.locator("#folders-status", { hasText: /^Pass 1 done/ }).waitFor();

    assert.deepEqual(await tree(page), [
      ["Inbox", 0, "done", "100 of 100 copied"],
      ["Projects", 1, "done", "40 of 40 copied"],
      ["2026", 2, "done", "25 of 25 copied"],
      ["Receipts", 1, "done", "0 of 0 copied"],
    ]);
    assert.deepEqual(
      await page.locator("#folders-tree .tag").allTextContents(),
      ["found in the target", "created in the target", "created in the target", "created in the target"],
    );
    assert.equal(await count(page, "created"), 165);
    assert.equal(await page.locator("#folders-progress").evaluate((p) => [p.value, p.max].join("/")), "165/165");
    assert.match(await page.locator("#folders-status").textContent(), /165 copied, 0 updated, 0 removed in the source, 0 failed, 0 outcome unknown; folders: 3 created, 1 found in the target/);

    // The mock's target: every source item exactly once, Inbox's in megan's Inbox, the rest in new folders.
    assert.deepEqual(targetHashes(), sourceHashes());
    assert.equal(importPosts().length, 165);
    assert.equal(targetItems().filter((item) => item.folderId === DEMO_IDS.targetFolders.inbox).length, 100);
    const made = demo.tenant.state.folderTree(TARGET).folders.find((f) => f.id === DEMO_IDS.targetFolders.inbox).childFolders;
    assert.deepEqual(made.map((f) => [f.displayName, f.items.length]), [["Projects", 40], ["Receipts", 0]]);
    assert.deepEqual(made[0].childFolders.map((f) => [f.displayName, f.items.length]), [["2026", 25]]);
    // What the next pass needs is kept in this browser.
    assert.equal(await page.getByRole("button", { name: "Run again" }).isVisible(), true);
  });

  test("Run again after 2 added, 1 changed and 1 removed source items copies exactly those changes", async () => {
    await page.getByRole("button", { name: /^Change the source/ }).click();
    await page.locator("#folders-status", { hasText: "The mock's source changed in Inbox › Projects › 2026: 2 items added, 1 changed, 1 removed." }).waitFor();
    const y2026 = demo.tenant.state.itemsFor(SOURCE).filter((item) => item.folderId === F.y2026);
    const changed = y2026.find((item) => item.categories?.includes("Changed in the demo"));
    assert.ok(changed, "one item of 2026 changed");
    const copiesBefore = new Map(targetItems().map((item) => [item.itemId, item.changeKey]));
    const postsBefore = importPosts().length;

    await page.getByRole("button", { name: "Run again" }).click();
    await page.locator("#folders-status", { hasText: /^Pass 2 done/ }).waitFor();

    assert.equal(await page.locator("#folders-pass").textContent(), "Pass 2: only what changed since pass 1");
    assert.deepEqual(
      [await count(page, "created"), await count(page, "updated"), await count(page, "removed"), await count(page, "failed"), await count(page, "unknown")],
      [2, 1, 1, 0, 0],
    );
    assert.deepEqual(await tree(page), [
      ["Inbox", 0, "done", "no changes"],
      ["Projects", 1, "done", "no changes"],
      ["2026", 2, "done", "2 new · 1 updated"],
      ["Receipts", 1, "done", "no changes"],
    ]);

    // Three posts: two new items, one update of the changed item's copy (its id kept, a new change key).
    const posts = importPosts().slice(postsBefore);
    assert.equal(posts.length, 3);
    const updatedIds = posts.map((r) => r.itemId).filter((id) => copiesBefore.has(id));
    assert.equal(updatedIds.length, 1);
    const copy = targetItems().find((item) => item.itemId === updatedIds[0]);
    assert.notEqual(copy.changeKey, copiesBefore.get(copy.itemId));
    // Nothing is deleted from the target: the removed item's copy stays; every item of the source is there once.
    assert.equal(targetItems().length, 167);
    const target = targetHashes();
    for (const hash of sourceHashes()) assert.equal(target.filter((h) => h === hash).length, 1);
    assert.equal(new Set(target).size, target.length);

    await page.locator("#folders-run").scrollIntoViewIfNeeded();
    await page.mouse.move(0, 0);
    await saveScreenshot(page.locator("#folders-pane"), "demo-folders.png", { docs: true });
  });

  test("no console errors, and no request left loopback", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
  });
});

describe("the whole of adele's mailbox into megan's: well-known folders onto megan's own", () => {
  const consoleErrors = [];
  const outside = [];
  let context;
  let page;

  before(async () => {
    ({ context, page } = await openPage(consoleErrors, outside));
  });

  after(() => context?.close());

  test("every folder copied, none failed, each well-known folder's items in megan's folder of that name", async () => {
    await page.locator("#folders-scope-mailbox").check();
    await page.getByRole("button", { name: "Copy folders", exact: true }).click();
    await page.locator("#folders-status", { hasText: /^Pass 1 done/ }).waitFor();
    // 250 items but the 3 of the hidden "Conversation Action Settings" folder, which a copy leaves alone.
    assert.match(
      await page.locator("#folders-status").textContent(),
      /^Pass 1 done: 247 copied, 0 updated, 0 removed in the source, 0 failed, 0 outcome unknown; folders: 3 created, 5 found in the target\./,
    );
    assert.deepEqual((await tree(page)).map(([name, depth, badge]) => [name, depth, badge]), [
      ["Inbox", 0, "done"], ["Projects", 1, "done"], ["2026", 2, "done"], ["Receipts", 1, "done"],
      ["Sent Items", 0, "done"], ["Drafts", 0, "done"], ["Deleted Items", 0, "done"], ["Archive", 0, "done"],
    ]);
    const T = DEMO_IDS.targetFolders;
    for (const key of ["inbox", "sentItems", "drafts", "deletedItems", "archive"]) {
      const sourceCount = demo.tenant.state.itemsFor(SOURCE).filter((item) => item.folderId === F[key]).length;
      assert.equal(targetItems().filter((item) => item.folderId === T[key]).length, sourceCount, key);
    }
    const visible = demo.tenant.state.itemsFor(SOURCE).filter((item) => item.folderId !== F.hidden);
    assert.deepEqual(targetHashes(), visible.map((item) => item.dataHash).sort());
    assert.equal(importPosts().length, 247);
  });

  test("no console errors, and no request left loopback", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
  });
});

describe("a copy stopped half-way, the page reloaded, the copy resumed", () => {
  const consoleErrors = [];
  const outside = [];
  let context;
  let page;

  before(async () => {
    ({ context, page } = await openPage(consoleErrors, outside));
  });

  after(async () => {
    demo.tenant.state.setConfig({ importLatencyMs: 0 });
    await context?.close();
  });

  test("Resume after a reload copies the rest: every item once, no item posted twice", async () => {
    await pickSourceInbox(page);
    demo.tenant.state.setConfig({ importLatencyMs: 100 });
    await page.getByRole("button", { name: "Copy folders", exact: true }).click();
    await page.waitForFunction(() => Number(document.getElementById("folders-count-created").textContent) >= 12);
    await page.locator("#folders-stop").click();
    await page.locator("#folders-status", { hasText: /^Stopped: / }).waitFor();
    demo.tenant.state.setConfig({ importLatencyMs: 0 });
    const copiedBeforeStop = await count(page, "created");
    assert.ok(copiedBeforeStop < 100, `stopped in Inbox (${copiedBeforeStop} copied)`);
    assert.equal(targetItems().length, copiedBeforeStop);

    await page.reload();
    await page.locator("#status", { hasText: "Ready." }).waitFor();
    await page.locator("#folders-status", { hasText: "Pass 1 of this copy did not finish. Resume copies the rest" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Copy folders", exact: true }).isVisible(), false);
    assert.equal(await count(page, "created"), copiedBeforeStop);

    await page.getByRole("button", { name: "Resume" }).click();
    await page.locator("#folders-status", { hasText: /^Pass 1 done/ }).waitFor();
    assert.equal(await page.locator("#folders-pass").textContent(), "Pass 1: every item (resumed)");
    assert.equal(await count(page, "created"), 165);
    assert.deepEqual((await tree(page)).map((row) => row[3]), ["100 of 100 copied", "40 of 40 copied", "25 of 25 copied", "0 of 0 copied"]);
    assert.deepEqual(targetHashes(), sourceHashes());
    assert.equal(importPosts().length, 165);
  });

  test("no console errors, and no request left loopback", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
  });
});
