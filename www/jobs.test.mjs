// The Jobs view in a real browser: migration jobs on the example Worker (wrangler's bundle in workerd, which
// scripts/demo.mjs starts in app-only mode against the mock tenant), signed in to its API with a token the
// mock's Entra ID signed. A job copies Adele's Inbox tree into Megan's mailbox with a progress bar per folder;
// later passes copy only what changed (new items, an edited one); Cancel stops a job.
//
//   node --test www/
//
// Needs what demo.test.mjs needs, and the Worker example's dependencies (npm --prefix
// examples/cloudflare-worker ci). Leaves target/demo-jobs.png (the Jobs view after a job); with
// UPDATE_DOCS_SCREENSHOT=1 also docs/demo-jobs.png. Nothing leaves loopback: every other request is aborted.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { DEMO_IDS, demoSeed } from "../tests/mock/server.mjs";
import { demo, newContext, saveScreenshot, simulate, startDemoAndBrowser } from "./page-harness.mjs";

const SOURCE = DEMO_IDS.sourceMailbox;
const TARGET = DEMO_IDS.targetMailbox;
const F = DEMO_IDS.folders;
// Adele's Inbox and the folders below it, with their items in the demo seed.
const TREE = [
  { id: F.inbox, path: "Inbox", items: 100 },
  { id: F.projects, path: "Inbox › Projects", items: 40 },
  { id: F.y2026, path: "Inbox › Projects › 2026", items: 25 },
  { id: F.receipts, path: "Inbox › Receipts", items: 0 },
];
const TREE_ITEMS = 165;

startDemoAndBrowser();

/** The mock's items of a mailbox (in storing order), of the Inbox tree only when `treeOnly`. */
function stored(mailbox, { treeOnly = false } = {}) {
  const tree = new Set(TREE.map((f) => f.id));
  return demo.tenant.state.itemsFor(mailbox).filter((item) => !treeOnly || tree.has(item.folderId));
}

/** How many times each content hash occurs among `items`. */
function hashCounts(items) {
  const counts = new Map();
  for (const item of items) counts.set(item.dataHash, (counts.get(item.dataHash) ?? 0) + 1);
  return counts;
}

/** Import posts the mock has received for the target mailbox. */
function importPosts() {
  return demo.tenant.state.requests.filter((r) => r.server === "import" && r.mailbox === TARGET).length;
}

describe("migration jobs on the example Worker", () => {
  let context;
  let page;
  const consoleErrors = [];
  const consoleText = [];
  const outside = [];

  before(async () => {
    assert.equal(demo.config.jobs.available, true, `the demo's Worker: ${demo.config.jobs.reason}`);
    context = await newContext({ consoleErrors, outside, expectedLog: /^$/ });
    page = await context.newPage();
    page.on("console", (msg) => consoleText.push(msg.text()));
    await page.goto(demo.url);
    await page.locator("#status", { hasText: "Ready." }).waitFor();
    await page.locator("#jobs-status", { hasText: "No jobs yet." }).waitFor();
  });

  after(() => context?.close());

  const jobStatus = () => page.locator("#job-summary .job-status");
  const count = async (key) => Number(await page.locator(`#job-count-${key}`).textContent());

  /** The folders' bars as the page shows them: { folderId: { path, value, max, text } }. */
  async function bars() {
    const rows = await page.locator("#job-folders li.job-folder[data-folder-id]").evaluateAll((lis) =>
      lis.map((li) => {
        const bar = li.querySelector("progress");
        return {
          id: li.dataset.folderId,
          path: li.querySelector(".folder-path").textContent,
          value: bar.hasAttribute("value") ? bar.value : null,
          max: bar.max,
          text: li.querySelector(".folder-settled").textContent,
        };
      }),
    );
    return Object.fromEntries(rows.map((r) => [r.id, r]));
  }

  /** Samples the bars in the page every 30 ms until the job on show has finished; resolves the samples. */
  function sampleBarsUntilFinished() {
    return page.evaluate(
      () =>
        new Promise((resolve) => {
          const samples = [];
          const timer = setInterval(() => {
            samples.push(
              [...document.querySelectorAll("#job-folders li.job-folder[data-folder-id]")].map((li) => {
                const bar = li.querySelector("progress");
                return { id: li.dataset.folderId, value: bar.hasAttribute("value") ? bar.value : null, max: bar.max };
              }),
            );
            const status = document.querySelector("#job-summary .job-status")?.textContent;
            if (["done", "failed", "cancelled"].includes(status)) {
              clearInterval(timer);
              resolve(samples);
            }
          }, 30);
        }),
    );
  }

  test("a job copies Adele's Inbox tree into Megan's mailbox: every folder's bar fills up, every item arrives once", async () => {
    demo.tenant.state.reset();
    // Slow enough for the bars to be seen moving (165 items, 4 at a time: about 2 seconds).
    demo.tenant.state.setConfig({ importLatencyMs: 40 });
    // Prefilled for the demo tenant.
    assert.equal(await page.getByLabel("Source user or mailbox").inputValue(), DEMO_IDS.sourceUser);
    assert.equal(await page.getByLabel("Folder to copy (optional)").inputValue(), F.inbox);
    assert.equal(await page.getByLabel("Target user or mailbox").inputValue(), DEMO_IDS.targetUser);
    assert.equal(await page.getByLabel("Include subfolders").isChecked(), true);

    await page.getByRole("button", { name: "Start job" }).click();
    await page.locator("#jobs-status", { hasText: "Job started" }).waitFor();
    const samples = await sampleBarsUntilFinished();
    assert.equal(await jobStatus().textContent(), "done");

    // The bars moved: the Inbox's was seen part way, on its way up and never going back.
    const inbox = samples.map((s) => s.find((b) => b.id === F.inbox)).filter((b) => b && b.value !== null && b.max === 100);
    assert.ok(inbox.some((b) => b.value > 0 && b.value < 100), `the Inbox's bar was seen part way: ${JSON.stringify(inbox.map((b) => b.value))}`);
    for (let i = 1; i < inbox.length; i++) assert.ok(inbox[i].value >= inbox[i - 1].value, "a bar never goes back");

    // Every folder at 100%, against its item count in the source.
    const shown = await bars();
    for (const folder of TREE) {
      const bar = shown[folder.id];
      assert.ok(bar, `a bar for ${folder.path}`);
      assert.equal(bar.path, folder.path);
      assert.equal(bar.value, bar.max, `${folder.path} is full`);
      assert.equal(bar.text, `${folder.items} of ${folder.items}`);
    }
    assert.deepEqual(Object.keys(shown).sort(), TREE.map((f) => f.id).sort());
    assert.equal(await count("imported"), TREE_ITEMS);
    for (const key of ["updated", "failed", "outcomeUnknown"]) assert.equal(await count(key), 0, key);

    // Megan's mailbox holds every item of the tree exactly once.
    const target = stored(TARGET);
    assert.equal(target.length, TREE_ITEMS);
    assert.deepEqual(hashCounts(target), hashCounts(stored(SOURCE, { treeOnly: true })));
    assert.ok([...hashCounts(target).values()].every((n) => n === 1), "no item twice");

    // The list has the job, done.
    const row = page.locator("#jobs-rows tr.selected");
    await row.locator(".job-status", { hasText: "done" }).waitFor();
    assert.equal(await row.locator(".col-copied").textContent(), String(TREE_ITEMS));

    await saveScreenshot(page.locator("#jobs-pane"), "demo-jobs.png", { docs: true });
  });

  test("run again after 2 new items in the source: the second pass copies exactly those 2", async () => {
    demo.tenant.state.setConfig({ importLatencyMs: 0 });
    const before = new Set(stored(SOURCE).map((i) => i.itemId));
    await page.getByRole("button", { name: "Add 2 items to the source" }).click();
    await page.locator("#job-note", { hasText: "2 new items in the source" }).waitFor();
    const added = stored(SOURCE).filter((i) => !before.has(i.itemId));
    assert.equal(added.length, 2);
    assert.ok(added.every((i) => i.folderId === F.inbox), "added to the job's folder");

    const postsBefore = importPosts();
    await page.getByRole("button", { name: "Run again" }).click();
    await page.locator("#jobs-status", { hasText: "Pass 2 queued" }).waitFor();
    await page.locator("#job-summary", { hasText: "Pass 2" }).waitFor();
    await page.locator("#job-summary .job-status", { hasText: "done" }).waitFor();

    assert.equal(await count("imported"), 2);
    assert.equal(await count("updated"), 0);
    assert.equal(await count("failed"), 0);
    assert.equal(importPosts() - postsBefore, 2, "two posts in the second pass");
    const target = stored(TARGET);
    assert.equal(target.length, TREE_ITEMS + 2);
    const counts = hashCounts(target);
    for (const item of added) assert.equal(counts.get(item.dataHash), 1, "each new item once in the target");
    assert.ok([...counts.values()].every((n) => n === 1), "still no item twice");
    const shown = await bars();
    assert.equal(shown[F.inbox].text, "2 changes copied");
    assert.equal(shown[F.projects].text, "no changes");
    assert.equal(await page.locator("#jobs-rows tr.selected .col-pass").textContent(), "2");
  });

  test("run again after an edit in the source: the third pass updates that item's copy in place", async () => {
    await page.getByRole("button", { name: "Change an item in the source" }).click();
    await page.locator("#job-note", { hasText: /^Changed item / }).waitFor();
    const itemId = /^Changed item (\S+) /.exec(await page.locator("#job-note").textContent())[1];
    const changed = demo.tenant.state.itemsFor(SOURCE).find((i) => i.itemId === itemId);
    assert.equal(changed.folderId, F.inbox);
    const hashesBefore = hashCounts(stored(TARGET));
    assert.equal(hashesBefore.get(changed.dataHash), undefined, "the new content is not in the target yet");

    await page.getByRole("button", { name: "Run again" }).click();
    await page.locator("#job-summary", { hasText: "Pass 3" }).waitFor();
    await page.locator("#job-summary .job-status", { hasText: "done" }).waitFor();

    assert.equal(await count("updated"), 1);
    assert.equal(await count("imported"), 0);
    // Still one copy per source item: the old content replaced, not added to.
    const target = stored(TARGET);
    assert.equal(target.length, TREE_ITEMS + 2);
    assert.equal(hashCounts(target).get(changed.dataHash), 1);
    assert.deepEqual(hashCounts(target), hashCounts(stored(SOURCE, { treeOnly: true })));
    assert.equal((await bars())[F.inbox].text, "1 change copied");
  });

  test("Cancel stops a running job: it ends cancelled and nothing more reaches the target", async () => {
    demo.tenant.state.reset();
    // Every import waits 400 ms (the Simulate panel): the job would take about 17 seconds.
    await simulate(page, "Slow down every import", "Every import waits 400 ms");
    try {
      await page.getByRole("button", { name: "Start job" }).click();
      await page.locator("#jobs-status", { hasText: "Job started" }).waitFor();
      await page.locator(`#job-folders li[data-folder-id="${F.inbox}"] .folder-settled`, { hasText: /^([4-9]|\d\d) of 100$/ }).waitFor();
      await page.getByRole("button", { name: "Cancel job" }).click();
      await jobStatus().filter({ hasText: "cancelled" }).waitFor({ timeout: 5000 });

      const settled = stored(TARGET).length;
      const posts = importPosts();
      assert.ok(settled > 0 && settled < TREE_ITEMS, `stopped part way (${settled} items)`);
      // Every item the target got is counted; none arrives after.
      assert.equal(await count("imported"), settled);
      await page.waitForTimeout(1500);
      assert.equal(stored(TARGET).length, settled, "nothing arrived after the cancel");
      assert.equal(importPosts(), posts, "no post after the cancel");
      assert.equal(await page.getByRole("button", { name: "Cancel job" }).isDisabled(), true);
      assert.equal(await page.getByRole("button", { name: "Run again" }).isEnabled(), true);
      await page.locator("#jobs-rows tr.selected .job-status", { hasText: "cancelled" }).waitFor();
    } finally {
      await simulate(page, "Clear", "Next call: normal");
    }
  });

  test("Delete job asks first, then the finished job leaves the list; the target keeps its copies", async () => {
    const id = await page.locator("#jobs-rows tr.selected").getAttribute("data-job-id");
    const rows = await page.locator("#jobs-rows tr").count();
    const copies = stored(TARGET).length;
    // Declined: nothing happens.
    page.once("dialog", (dialog) => dialog.dismiss());
    await page.getByRole("button", { name: "Delete job" }).click();
    assert.equal(await page.locator("#jobs-rows tr").count(), rows);
    assert.equal(await page.locator("#job-detail").isVisible(), true);
    // Accepted: the question said what goes with the job.
    let question = "";
    page.once("dialog", (dialog) => {
      question = dialog.message();
      dialog.accept();
    });
    await page.getByRole("button", { name: "Delete job" }).click();
    await page.locator("#jobs-status", { hasText: "Job deleted." }).waitFor();
    assert.match(question, /copy every item again/);
    assert.equal(await page.locator("#job-detail").isVisible(), false);
    assert.equal(await page.locator(`#jobs-rows tr[data-job-id="${id}"]`).count(), 0);
    assert.equal(await page.locator("#jobs-rows tr").count(), rows - 1);
    assert.equal(stored(TARGET).length, copies);
  });

  test("without subfolders and with a received-since date: only the Inbox's items received since then", async () => {
    demo.tenant.state.reset();
    const since = "2026-01-08";
    await page.getByLabel("Include subfolders").uncheck();
    await page.getByLabel("Received since (optional)").fill(since);
    try {
      await page.getByRole("button", { name: "Start job" }).click();
      await page.locator("#jobs-status", { hasText: "Job started" }).waitFor();
      await page.locator("#job-summary .job-status", { hasText: "done" }).waitFor();
    } finally {
      await page.getByLabel("Include subfolders").check();
      await page.getByLabel("Received since (optional)").fill("");
    }
    const summary = await page.locator("#job-summary").textContent();
    assert.ok(summary.includes("items received since 2026-01-08 00:00") && summary.includes("without subfolders"), summary);

    const wanted = stored(SOURCE).filter((i) => i.folderId === F.inbox && (i.receivedAt ?? i.createdAt) >= Date.parse(`${since}T00:00:00Z`));
    assert.ok(wanted.length > 0 && wanted.length < 100, `some of the Inbox (${wanted.length})`);
    assert.deepEqual(hashCounts(stored(TARGET)), hashCounts(wanted));
    assert.equal(await count("imported"), wanted.length);
    // One folder, full: the job's folder is done, whatever the date left out.
    const shown = await bars();
    assert.deepEqual(Object.keys(shown), [F.inbox]);
    assert.equal(shown[F.inbox].value, shown[F.inbox].max);
    assert.equal(shown[F.inbox].text, `${wanted.length} of 100 (done)`);
  });

  test("no console errors, no request left loopback, no token in the console", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
    assert.ok(!consoleText.some((t) => /eyJ[\w-]+\.eyJ/.test(t)), "no JWT in the console");
  });
});

// The seed's counts are what the test expects of the tree.
test("the demo seed has the Inbox tree the tests copy", () => {
  const { ids } = demoSeed();
  assert.deepEqual(
    TREE.map((f) => ids.items[Object.keys(F).find((k) => F[k] === f.id)].length),
    TREE.map((f) => f.items),
  );
});
