// The page's mailbox lookup, folder pickers and copy pane in a real browser, against the built package and the
// mock tenant seeded with its demo tenant (adele@contoso.com to copy from, megan@contoso.com to copy into; see
// "Demo tenant" in tests/mock/README.md).
//
//   node --test www/
//
// Needs what demo.test.mjs needs (the package built into pkg/, playwright-core, a Chromium). Leaves
// target/demo-copy.png (the copy pane after a copy); UPDATE_DOCS_SCREENSHOT=1 also copies it to
// docs/demo-copy.png. Nothing leaves loopback: every other request is aborted and reported.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { DEMO_IDS } from "../tests/mock/server.mjs";
import { demo, newContext, saveScreenshot, simulate as simulateOn, startDemoAndBrowser } from "./page-harness.mjs";

const DEMO_TOKEN = "demo-token";

// Answers the tests provoke on purpose (the simulated 403s, the unknown user's 404); see demo.test.mjs.
const EXPECTED_NETWORK_LOG = /^Failed to load resource: the server responded with a status of (403|404) /;

const SOURCE = DEMO_IDS.sourceMailbox;
const ARCHIVE = DEMO_IDS.sourceArchive;
const TARGET = DEMO_IDS.targetMailbox;
const TOP_LEVEL = ["Inbox", "Sent Items", "Drafts", "Deleted Items", "Archive"];
const HIDDEN_FOLDER = "Conversation Action Settings";

startDemoAndBrowser();

/** The mock's stored items of a mailbox, optionally of one folder, in storing order. */
function stored(mailbox, folderId) {
  return demo.tenant.state.itemsFor(mailbox).filter((item) => !folderId || item.folderId === folderId);
}

describe("copy items between mailboxes of the offline demo tenant", () => {
  let context;
  let page;
  const consoleErrors = [];
  const consoleText = []; // every console message, to check that no token was logged
  const outside = [];

  before(async () => {
    context = await newContext({ consoleErrors, outside, expectedLog: EXPECTED_NETWORK_LOG });
    page = await context.newPage();
    page.on("console", (msg) => consoleText.push(msg.text()));
    await page.goto(demo.url);
    await page.locator("#status", { hasText: "Ready." }).waitFor();
  });

  after(() => context?.close());

  const copyPane = () => page.locator("#copy-pane");

  async function lookUp(user) {
    await page.getByLabel("User", { exact: true }).fill(user);
    await page.getByRole("button", { name: "Look up" }).click();
    await page.locator("#lookup-status", { hasText: /^(.+: a primary mailbox|Lookup failed)/ }).waitFor();
  }

  /** Opens a picker (unless it is open) and waits for its top level. */
  async function openPicker(which) {
    if (await page.locator(`#${which}-picker`).isHidden()) await page.locator(`#${which}-browse`).click();
    // Not "Loading folders…": the top level's answer.
    await page.locator(`#${which}-picker .picker-status`, { hasText: /^(\d+ folders?[.,]|This mailbox has no folders|Could not)/ }).waitFor();
  }

  /** Folder names on show in a picker, depth first. */
  function folderNames(which) {
    return page.locator(`#${which}-picker .folder-pick .folder-name`).allTextContents();
  }

  /** Opens the picker, expands the folders along `path` and picks its last folder. */
  async function pickFolder(which, path) {
    await openPicker(which);
    const picker = page.locator(`#${which}-picker`);
    for (const name of path.slice(0, -1)) {
      await picker.getByRole("button", { name: `Subfolders of ${name}`, exact: true }).click();
      await picker.locator(".picker-status", { hasText: `${name}: ` }).waitFor();
    }
    const last = path.at(-1);
    await picker.locator(".folder-pick", { has: page.locator(".folder-name", { hasText: new RegExp(`^${last}$`) }) }).click();
    assert.equal(await picker.isHidden(), true, "the picker closes after a pick");
  }

  async function listedItems() {
    await page.locator("#copy-status", { hasText: /^(\d+ items? in .*Choose|.* holds no items\.|Could not)/ }).waitFor();
    return page.locator("#copy-item-rows tr").evaluateAll((rows) => rows.map((r) => r.dataset.itemId));
  }

  async function runCopy() {
    await copyPane().getByRole("button", { name: "Copy items", exact: true }).click();
    await page.locator("#copy-status", { hasText: /^(Done|Stopped|Copy failed)/ }).waitFor();
    return page.locator("#copy-status").textContent();
  }

  function rowStatuses() {
    return page.locator("#copy-rows tr").evaluateAll((rows) => rows.map((r) => r.dataset.status));
  }

  const simulate = (buttonText, expectedState) => simulateOn(page, buttonText, expectedState);

  test("the lookup shows a user's primary and archive mailbox ids and hands them to the panes", async () => {
    assert.equal(await page.getByLabel("User", { exact: true }).inputValue(), DEMO_IDS.sourceUser, "prefilled offline");
    await lookUp(DEMO_IDS.sourceUser);
    assert.equal(await page.locator("#lookup-status").textContent(), `${DEMO_IDS.sourceUser}: a primary mailbox and an archive mailbox.`);
    const ids = await page.locator("#lookup-rows tr").evaluateAll((rows) =>
      rows.map((r) => [r.dataset.kind, r.querySelector(".mailbox-id")?.textContent ?? null]),
    );
    assert.deepEqual(ids, [["primary", SOURCE], ["archive", ARCHIVE]]);

    await page.getByRole("button", { name: "Copy from the primary mailbox" }).click();
    assert.equal(await page.getByLabel("Source mailbox").inputValue(), SOURCE);
    assert.match(await page.locator("#lookup-status").textContent(), /copies from adele@contoso\.com's primary mailbox/);

    // The import pane's mailbox (the session form's) and its folder picker.
    await page.getByRole("button", { name: "Import into the archive mailbox" }).click();
    assert.equal(await page.getByLabel("Mailbox id").inputValue(), ARCHIVE);
    await openPicker("import");
    assert.deepEqual(await folderNames("import"), ["Inbox", "Old Projects"]);
    await pickFolder("import", ["Old Projects"]);
    assert.equal(await page.getByLabel("Folder id").inputValue(), DEMO_IDS.archiveFolders.oldProjects);
    assert.equal(await page.locator("#import-folder-path").textContent(), "Old Projects · 5 items");

    // A user without an archive says so; the target side.
    await lookUp(DEMO_IDS.targetUser);
    assert.equal(await page.locator("#lookup-status").textContent(), `${DEMO_IDS.targetUser}: a primary mailbox, no archive mailbox.`);
    assert.match(await page.locator("#lookup-rows tr[data-kind=archive]").innerText(), /None: this user has no in-place archive/);
    assert.equal(await page.locator("#lookup-rows tr[data-kind=archive] button").count(), 0);
    await page.getByRole("button", { name: "Copy into the primary mailbox" }).click();
    assert.equal(await page.getByLabel("Target mailbox").inputValue(), TARGET);
  });

  test("a failed lookup shows the error's code, status and message, the message once", async () => {
    await simulate("Deny next call (403)", "Next call: 403 once");
    await lookUp("adele@contoso.com");
    // The status line says what failed; the panel says it in full, and nothing twice.
    assert.equal(await page.locator("#lookup-status").textContent(), "Lookup failed: forbidden (HTTP 403, ErrorAccessDenied).");
    assert.equal((await page.locator("#lookup").innerText()).split("Access is denied").length - 1, 1);
    const panel = page.locator("#lookup-error");
    assert.equal(await panel.isVisible(), true);
    const text = await panel.innerText();
    assert.match(text, /Code\s+forbidden/);
    assert.match(text, /Status\s+403/);
    assert.match(text, /Graph code\s+ErrorAccessDenied/);
    assert.match(text, /Message\s+.*Access is denied/);
    assert.equal(await page.locator("#lookup-result").isVisible(), false);
    // An unknown user: 404 with Graph's message.
    await lookUp("nobody@contoso.com");
    assert.equal(await page.locator("#lookup-status").textContent(), "Lookup failed: notFound (HTTP 404, Request_ResourceNotFound).");
    assert.match(await panel.innerText(), /Could not look up nobody@contoso\.com.*Message\s+.*nobody@contoso\.com/s);
  });

  test("the folder picker lists the tree lazily with item counts, and hidden folders only with the toggle", async () => {
    await openPicker("copy-source");
    const picker = page.locator("#copy-source-picker");
    assert.equal(await page.locator("#copy-source-browse").getAttribute("aria-expanded"), "true");
    assert.deepEqual(await folderNames("copy-source"), TOP_LEVEL);
    const counts = await picker.locator(".folder-pick .folder-count").allTextContents();
    assert.deepEqual(counts, ["100 items", "45 items", "5 items", "2 items", "30 items"]);
    // Children are not loaded until a folder is expanded.
    const childRequests = () => demo.tenant.state.requests.filter((r) => r.route === "childFolders").length;
    const before = childRequests();
    assert.equal(await picker.getByRole("button", { name: "Subfolders of Projects" }).count(), 0);
    await picker.getByRole("button", { name: "Subfolders of Inbox", exact: true }).click();
    await picker.locator(".picker-status", { hasText: "Inbox: 2 subfolders." }).waitFor();
    assert.equal(childRequests(), before + 1);
    assert.deepEqual(await folderNames("copy-source"), ["Inbox", "Projects", "Receipts", ...TOP_LEVEL.slice(1)]);

    const toggle = picker.getByLabel("Show hidden folders");
    await toggle.check();
    await picker.locator(".picker-status", { hasText: "hidden ones included" }).waitFor();
    assert.deepEqual(await folderNames("copy-source"), [...TOP_LEVEL, HIDDEN_FOLDER]);
    const hidden = picker.locator(".folder-pick", { has: page.locator(".tag", { hasText: "hidden" }) });
    assert.deepEqual(await hidden.locator(".folder-name").allTextContents(), [HIDDEN_FOLDER]);
    await toggle.uncheck();
    await picker.locator(".picker-status", { hasText: /^5 folders\. / }).waitFor();
    assert.deepEqual(await folderNames("copy-source"), TOP_LEVEL);

    // Escape closes it and gives focus back to its button.
    await picker.getByRole("button", { name: /^Inbox/ }).focus();
    await page.keyboard.press("Escape");
    assert.equal(await picker.isHidden(), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), "copy-source-browse");
  });

  test("25 items of Inbox › Projects › 2026 are copied into megan's Restored folder, each exactly once", async () => {
    const sourceItems = stored(SOURCE, DEMO_IDS.folders.y2026);
    assert.equal(sourceItems.length, 25);
    assert.equal(stored(TARGET).length, 0, "megan's mailbox starts empty");

    // Picking the source folder (three levels down) lists its items.
    await pickFolder("copy-source", ["Inbox", "Projects", "2026"]);
    assert.equal(await page.getByLabel("Source folder").inputValue(), DEMO_IDS.folders.y2026);
    assert.equal(await page.locator("#copy-source-path").textContent(), "Inbox › Projects › 2026 · 25 items");
    assert.deepEqual(await listedItems(), sourceItems.map((item) => item.itemId));
    assert.equal(await page.locator("#copy-status").textContent(), "25 items in Inbox › Projects › 2026. Choose the ones to copy.");
    assert.equal(await page.locator("#copy-items-heading").textContent(), "Items in Inbox › Projects › 2026");
    // Type, size and creation time, as the mock tenant has them.
    const first = await page.locator("#copy-item-rows tr").first().locator("td").allInnerTexts();
    assert.deepEqual(first.slice(1), ["1", sourceItems[0].itemId, "IPM.Note", `${sourceItems[0].size} B`, "2026-01-11 06:00"]);

    // Select all, none, all.
    const selectAll = page.getByLabel("Select all items");
    assert.equal(await page.locator("#copy-items-summary").textContent(), "0 of 25 items selected.");
    await selectAll.check();
    assert.match(await page.locator("#copy-items-summary").textContent(), /^25 of 25 items selected \(\d+\.\d KB\)\.$/);
    await selectAll.uncheck();
    assert.equal(await page.locator("#copy-items-summary").textContent(), "0 of 25 items selected.");
    await page.getByLabel("Select item 2", { exact: true }).check();
    assert.equal(await selectAll.evaluate((box) => box.indeterminate), true);
    await selectAll.check();
    assert.equal(await page.locator("#copy-item-rows input:checked").count(), 25);

    // Megan's Restored, from the target's picker (beside the well-known folders every mailbox has).
    await openPicker("copy-target");
    assert.deepEqual(await folderNames("copy-target"), ["Inbox", "Restored", "Sent Items", "Drafts", "Deleted Items", "Archive"]);
    await page.locator("#copy-target-browse").click(); // closes it
    await pickFolder("copy-target", ["Restored"]);
    assert.equal(await page.getByLabel("Target folder").inputValue(), DEMO_IDS.targetFolders.restored);

    assert.equal(await runCopy(), "Done: 25 copied, 0 failed, 0 outcome unknown.");
    assert.deepEqual(await rowStatuses(), Array(25).fill("imported"));
    assert.equal(await page.locator("#copy-progress").evaluate((p) => `${p.value}/${p.max}`), "25/25");
    assert.equal(await page.locator("#copy-settled").textContent(), "25 of 25 settled");
    assert.deepEqual(await page.locator("#copy-counts strong").allTextContents(), ["25", "0", "0"]);
    assert.deepEqual(
      await page.locator("#copy-rows .source-item-id").allTextContents(),
      sourceItems.map((item) => item.itemId),
      "one row per source item, in order",
    );
    assert.equal(await page.locator("#copy-error").isVisible(), false);

    // The mock holds each copy exactly once, in Restored, with the source's bytes, under the ids the rows show.
    const copies = stored(TARGET);
    assert.equal(copies.length, 25);
    assert.ok(copies.every((item) => item.folderId === DEMO_IDS.targetFolders.restored));
    assert.deepEqual(copies.map((item) => item.dataHash).sort(), sourceItems.map((item) => item.dataHash).sort());
    assert.deepEqual(demo.tenant.state.duplicateData(TARGET), []);
    const shown = await page.locator("#copy-rows .item-id").allTextContents();
    assert.deepEqual([...shown].sort(), copies.map((item) => item.itemId).sort());
    // Row by row: each source item's copy has that item's bytes.
    const hashOfSource = new Map(sourceItems.map((item) => [item.itemId, item.dataHash]));
    const hashOfCopy = new Map(copies.map((item) => [item.itemId, item.dataHash]));
    const pairs = await page.locator("#copy-rows tr").evaluateAll((rows) =>
      rows.map((r) => [r.querySelector(".source-item-id").textContent, r.querySelector(".item-id").textContent]),
    );
    for (const [sourceId, copyId] of pairs) assert.equal(hashOfCopy.get(copyId), hashOfSource.get(sourceId), sourceId);
    // The source keeps its items.
    assert.equal(stored(SOURCE, DEMO_IDS.folders.y2026).length, 25);

    // The picker's counts are fresh when it opens again.
    await openPicker("copy-target");
    assert.deepEqual(await page.locator("#copy-target-picker .folder-count").allTextContents(), ["0 items", "25 items", "0 items", "0 items", "0 items", "0 items"]);
    await page.locator("#copy-target-browse").click();

    await page.locator("#copy-heading").scrollIntoViewIfNeeded();
    await page.mouse.move(0, 0);
    await saveScreenshot(copyPane(), "demo-copy.png", { docs: true });
  });

  test("an item Graph refuses to export shows its error on its row, and the rest are copied", async () => {
    await pickFolder("copy-source", ["Inbox", "Projects"]);
    const sourceItems = stored(SOURCE, DEMO_IDS.folders.projects);
    assert.equal((await listedItems()).length, 40);
    await page.getByLabel("Select all items").check();
    await pickFolder("copy-target", ["Inbox"]);
    const refused = sourceItems[2].itemId;
    await simulate("Refuse to export one chosen item", `Export refused for item ${refused}`);
    try {
      assert.equal(await runCopy(), "Done: 39 copied, 1 failed, 0 outcome unknown.");
    } finally {
      await simulate("Clear", /^Next call: normal$/);
    }
    const statuses = await rowStatuses();
    assert.deepEqual(statuses, statuses.map((_, i) => (i === 2 ? "failed" : "imported")));
    const failedRow = page.locator("#copy-rows tr[data-status=failed]");
    assert.equal(await failedRow.locator(".source-item-id").textContent(), refused);
    assert.ok((await failedRow.locator(".error-code").textContent()).length > 0, "the package's error code");
    assert.equal(await failedRow.locator(".graph-code").textContent(), "ErrorCorruptData");
    assert.match(await failedRow.locator(".col-detail").textContent(), /The item is corrupt and cannot be exported\./);
    assert.deepEqual(await page.locator("#copy-counts strong").allTextContents(), ["39", "1", "0"]);

    const copies = stored(TARGET, DEMO_IDS.targetFolders.inbox);
    assert.equal(copies.length, 39);
    const refusedHash = sourceItems[2].dataHash;
    assert.ok(!copies.some((item) => item.dataHash === refusedHash), "the refused item was not copied");
    assert.deepEqual(demo.tenant.state.duplicateData(TARGET), []);
  });

  test("a target mailbox the app may not write to (403) fails each row with forbidden, and says so once", async () => {
    await pickFolder("copy-source", ["Drafts"]);
    assert.equal((await listedItems()).length, 5);
    await page.getByLabel("Select all items").check();
    // Typed by hand: a mailbox the mock was not seeded with (it takes any folder id there).
    const locked = "MBX:7e570000-0000-4000-8000-00000000f403@c0c0c0c0-0000-4000-8000-00000000c0de";
    await page.getByLabel("Target mailbox").fill(locked);
    await page.getByLabel("Target folder").fill("AAMkADlockedAAA=");
    demo.tenant.state.addFaults([
      { route: "createImportSession", mailbox: locked, kind: "status", status: 403, times: 20, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again." },
    ]);
    try {
      assert.equal(await runCopy(), "Done: 0 copied, 5 failed, 0 outcome unknown.");
    } finally {
      demo.tenant.state.clearFaults();
    }
    assert.deepEqual(await rowStatuses(), Array(5).fill("failed"));
    assert.deepEqual(await page.locator("#copy-rows .error-code").allTextContents(), Array(5).fill("forbidden"));
    assert.deepEqual(await page.locator("#copy-rows .graph-code").allTextContents(), Array(5).fill("ErrorAccessDenied"));
    const panel = await page.locator("#copy-error").innerText();
    assert.match(panel, /Every item failed: forbidden/);
    assert.match(panel, /Status\s+403/);
    assert.match(panel, /Access is denied/);
    assert.equal(stored(locked).length, 0);
    // Back to megan for the next test.
    await page.getByLabel("Target mailbox").fill(TARGET);
  });

  test("Stop mid-copy settles every row, and what the rows say was copied is exactly what the target holds", async () => {
    await pickFolder("copy-source", ["Inbox"]);
    assert.equal((await listedItems()).length, 100);
    await page.getByLabel("Select all items").check();
    await pickFolder("copy-target", ["Restored"]);
    const before = stored(TARGET, DEMO_IDS.targetFolders.restored).length;
    const postsBefore = demo.tenant.state.requestsFor(TARGET).filter((r) => r.server === "import").length;
    await simulate("Slow down every import (400 ms)", "Every import waits 400 ms");
    try {
      await copyPane().getByRole("button", { name: "Copy items", exact: true }).click();
      await page.locator("#copy-rows tr[data-status='imported']").first().waitFor();
      await copyPane().getByRole("button", { name: "Stop" }).click();
      await page.locator("#copy-status", { hasText: /^Stopped: / }).waitFor();
      // Stop is disabled once the copy ends; focus stays in the pane.
      assert.equal(await page.evaluate(() => document.activeElement.id), "copy-start");
    } finally {
      await simulate("Clear", /^Next call: normal$/);
    }
    const statuses = await rowStatuses();
    assert.equal(statuses.length, 100);
    const imported = statuses.filter((s) => s === "imported").length;
    const notSent = statuses.filter((s) => s === "notSent").length;
    assert.ok(imported > 0 && notSent > 0, statuses.join());
    assert.equal(imported + notSent, 100, statuses.join());
    assert.equal(
      await page.locator("#copy-status").textContent(),
      `Stopped: ${imported} copied, 0 failed, 0 outcome unknown; ${notSent} not copied. Posts under way when Stop was pressed were let finish.`,
    );
    // Each item went out at most once, and the target holds exactly the ones the rows call copied.
    const posts = demo.tenant.state.requestsFor(TARGET).filter((r) => r.server === "import").slice(postsBefore);
    assert.equal(posts.length, imported);
    assert.equal(stored(TARGET, DEMO_IDS.targetFolders.restored).length - before, imported);
    assert.deepEqual(demo.tenant.state.duplicateData(TARGET), []);
    assert.equal(await copyPane().getByRole("button", { name: "Stop" }).isDisabled(), true);
  });

  test("no console errors, no request left loopback, and no token on the page or in the console", async () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
    const text = await page.evaluate(() => document.body.innerText + document.body.innerHTML);
    assert.ok(!text.includes(DEMO_TOKEN), "the token is not on the page");
    assert.ok(!/authtoken=(?!••••••)/.test(text), "no authtoken on the page");
    for (const line of consoleText) {
      assert.ok(!line.includes(DEMO_TOKEN) && !/authtoken=/.test(line), line);
    }
    // The mock received the token, so it was in use.
    assert.ok(demo.tenant.state.requests.some((r) => r.headers.authorization === `Bearer ${DEMO_TOKEN}`));
  });
});
