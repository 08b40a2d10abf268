// The copy pane: items of a folder in one mailbox copied into a folder of another (or the same) mailbox with
// MailboxClient.copyItems (exportItems feeding importItems as a stream), with a progress bar, counts, one row
// per source item as it settles, and Stop.
//
// Source: a mailbox id (typed, or set from the lookup) and a folder (typed, or picked in the folder tree);
// its items are listed with listItems and chosen with checkboxes. Target: a mailbox id and a folder the same
// way. The source keeps its items.

import { PaneError, $, describeError, errorDetail, formatBytes, plural, setStatus, shortDate, showErrorPanel } from "./ui.js";
import { setupFolderPicker } from "./folder-picker.js";

// Screen readers hear the progress at most this often (the visible counts change with every item).
const ANNOUNCE_EVERY_MS = 3000;

const STATUS_LABEL = {
  waiting: "Waiting",
  imported: "Copied",
  failed: "Failed",
  outcomeUnknown: "Outcome unknown",
  notSent: "Not copied",
};

/**
 * run(fn): calls fn(client) with the page's MailboxClient, or throws a PaneError (not signed in).
 * onRunEnd(): after every copy. Returns { setMode(mode), setSource(id), setTarget(id), selectedItemIds(),
 * targetMailbox() }.
 */
export function setupCopyPane({ run, onRunEnd = () => {} }) {
  const els = {
    pane: $("copy-pane"),
    form: $("copy-form"),
    sourceMailbox: $("copy-source-mailbox"),
    sourceFolder: $("copy-source-folder"),
    sourceBrowse: $("copy-source-browse"),
    sourcePicker: $("copy-source-picker"),
    sourcePath: $("copy-source-path"),
    list: $("copy-list"),
    targetMailbox: $("copy-target-mailbox"),
    targetFolder: $("copy-target-folder"),
    targetBrowse: $("copy-target-browse"),
    targetPicker: $("copy-target-picker"),
    targetPath: $("copy-target-path"),
    items: $("copy-items"),
    itemsHeading: $("copy-items-heading"),
    itemsSummary: $("copy-items-summary"),
    selectAll: $("copy-select-all"),
    itemRows: $("copy-item-rows"),
    start: $("copy-start"),
    stop: $("copy-stop"),
    status: $("copy-status"),
    error: $("copy-error"),
    run: $("copy-run"),
    progress: $("copy-progress"),
    settled: $("copy-settled"),
    imported: $("copy-count-imported"),
    failed: $("copy-count-failed"),
    unknown: $("copy-count-unknown"),
    unknownNote: $("copy-unknown-note"),
    rows: $("copy-rows"),
    announce: $("copy-announce"),
  };

  let listing = null; // { mailboxId, folderId, where, items: MailboxItem[] } of the items on show
  let listGeneration = 0; // a listing answered after the source changed is dropped
  let controller = null; // the running copy's AbortController

  const required = (input, what) => () => {
    const value = input.value.trim();
    if (!value) throw new PaneError(`Enter the ${what} mailbox first (or look its user up above).`, input);
    return value;
  };
  const sourcePicker = setupFolderPicker({
    toggle: els.sourceBrowse,
    panel: els.sourcePicker,
    input: els.sourceFolder,
    pathEl: els.sourcePath,
    mailbox: required(els.sourceMailbox, "source"),
    run,
    onPick: (folder, path) => listItems(path.join(" › ")),
  });
  const targetPicker = setupFolderPicker({
    toggle: els.targetBrowse,
    panel: els.targetPicker,
    input: els.targetFolder,
    pathEl: els.targetPath,
    mailbox: required(els.targetMailbox, "target"),
    run,
    countInPath: false,
  });

  // A listing belongs to the mailbox and folder it was made for: editing either drops it.
  els.sourceMailbox.addEventListener("input", () => {
    sourcePicker.reset();
    clearListing();
  });
  els.sourceFolder.addEventListener("input", () => clearListing());
  els.targetMailbox.addEventListener("input", () => targetPicker.reset());
  els.list.addEventListener("click", () => listItems(null));
  els.selectAll.addEventListener("change", () => {
    const all = els.selectAll.checked;
    for (const box of itemBoxes()) box.checked = all;
    renderSelection();
  });
  els.itemRows.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox]")) renderSelection();
  });
  els.stop.addEventListener("click", () => {
    if (!controller || controller.signal.aborted) return;
    controller.abort(new DOMException("Stopped from the page.", "AbortError"));
    els.stop.disabled = true;
    els.start.focus();
    setStatus(els.status, "Stopping: no more items are exported or sent; posts under way are let finish…");
  });
  els.form.addEventListener("submit", onCopy);

  // -------------------------------------------------------------------------------------------------------
  // The source's items

  function clearListing() {
    listGeneration += 1;
    listing = null;
    els.items.hidden = true;
    els.itemRows.replaceChildren();
    els.list.removeAttribute("aria-disabled");
  }

  /** Lists the source folder's items; `where` names the folder for people (its path, when it was picked). */
  async function listItems(where) {
    if (els.list.getAttribute("aria-disabled") === "true") return;
    const folderId = els.sourceFolder.value.trim();
    let mailboxId;
    try {
      mailboxId = required(els.sourceMailbox, "source")();
      if (!folderId) throw new PaneError("Enter the source folder, or browse the source mailbox's folders.", els.sourceFolder);
    } catch (err) {
      setStatus(els.status, err.message, "error");
      err.focus?.focus();
      return;
    }
    clearListing();
    const gen = listGeneration;
    els.error.hidden = true;
    els.list.setAttribute("aria-disabled", "true");
    const name = where || folderId;
    setStatus(els.status, `Listing the items in ${name}…`);
    try {
      const items = await run((client) => client.listItems(mailboxId, folderId));
      if (gen !== listGeneration) return;
      listing = { mailboxId, folderId, where: name, items };
      renderListing();
      setStatus(els.status, items.length ? `${plural(items.length, "item")} in ${name}. Choose the ones to copy.` : `${name} holds no items.`, items.length ? "" : "error");
    } catch (err) {
      if (gen !== listGeneration) return;
      if (err instanceof PaneError) {
        setStatus(els.status, err.message, "error");
        err.focus?.focus();
      } else {
        setStatus(els.status, `Could not list the items: ${describeError(err)}`, "error");
        showErrorPanel(els.error, err, "Listing the items failed");
      }
    } finally {
      if (gen === listGeneration) els.list.removeAttribute("aria-disabled");
    }
  }

  function renderListing() {
    els.itemsHeading.textContent = `Items in ${listing.where}`;
    els.itemRows.replaceChildren(...listing.items.map((item, i) => itemRow(item, i)));
    els.items.hidden = false;
    renderSelection();
  }

  function itemRow(item, i) {
    const tr = document.createElement("tr");
    tr.dataset.itemId = item.id;
    const check = document.createElement("td");
    check.className = "col-check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = item.id;
    box.setAttribute("aria-label", `Select item ${i + 1}`);
    check.append(box);
    const number = document.createElement("td");
    number.className = "col-index";
    number.textContent = String(i + 1);
    const id = document.createElement("td");
    id.className = "col-item-id";
    const code = document.createElement("code");
    code.textContent = item.id;
    id.append(code);
    const type = document.createElement("td");
    type.className = "col-type";
    type.textContent = item.type ?? "";
    const size = document.createElement("td");
    size.className = "col-size";
    size.textContent = formatBytes(item.size);
    const created = document.createElement("td");
    created.className = "col-created";
    if (item.createdDateTime) {
      const time = document.createElement("time");
      time.dateTime = item.createdDateTime;
      time.textContent = shortDate(item.createdDateTime);
      created.append(time);
    }
    tr.append(check, number, id, type, size, created);
    return tr;
  }

  const itemBoxes = () => [...els.itemRows.querySelectorAll("input[type=checkbox]")];

  function selectedItemIds() {
    return itemBoxes().filter((box) => box.checked).map((box) => box.value);
  }

  function renderSelection() {
    const boxes = itemBoxes();
    const checked = new Set(boxes.filter((box) => box.checked).map((box) => box.value));
    const chosen = checked.size;
    els.selectAll.checked = boxes.length > 0 && chosen === boxes.length;
    els.selectAll.indeterminate = chosen > 0 && chosen < boxes.length;
    els.selectAll.disabled = boxes.length === 0;
    const bytes = (listing?.items ?? []).reduce((sum, item) => sum + (checked.has(item.id) ? (item.size ?? 0) : 0), 0);
    els.itemsSummary.textContent = `${chosen} of ${plural(boxes.length, "item")} selected${chosen ? ` (${formatBytes(bytes)})` : ""}.`;
  }


  // -------------------------------------------------------------------------------------------------------
  // A copy

  async function onCopy(event) {
    event.preventDefault();
    // The button stays enabled (and focused) during a run; repeated submits are ignored.
    if (controller) return;
    els.error.hidden = true;
    const itemIds = selectedItemIds();
    const targetMailbox = els.targetMailbox.value.trim();
    const targetFolder = els.targetFolder.value.trim();
    const problem =
      (!listing && new PaneError("List the source folder's items first, then choose the ones to copy.", els.list)) ||
      (!itemIds.length && new PaneError("Choose at least one item to copy.", els.selectAll)) ||
      (!targetMailbox && new PaneError("Enter the target mailbox (or look its user up above).", els.targetMailbox)) ||
      (!targetFolder && new PaneError("Enter the target folder, or browse the target mailbox's folders.", els.targetFolder)) ||
      (targetMailbox === listing.mailboxId && targetFolder === listing.folderId &&
        new PaneError("The target folder is the source folder: pick another folder to copy into.", els.targetBrowse)) ||
      null;
    if (problem) {
      setStatus(els.status, problem.message, "error");
      problem.focus?.focus();
      return;
    }

    const source = { mailboxId: listing.mailboxId, itemIds };
    const target = { mailboxId: targetMailbox, folderId: targetFolder };
    controller = new AbortController();
    const signal = controller.signal;
    setRunning(true);

    // One row per source item, by position in the input (`result.index`).
    const rows = itemIds.map((id, i) => row(i, id));
    els.rows.replaceChildren(...rows);
    const counts = { imported: 0, failed: 0, outcomeUnknown: 0, notSent: 0 };
    const errors = []; // the per-item errors, to tell a call that failed for every item from single failures
    let lastAnnounced = Date.now();
    renderCounts(counts);
    renderProgress(0, itemIds.length);
    els.run.hidden = false;
    els.announce.textContent = "";
    const targetName = els.targetPath.textContent || targetFolder;
    setStatus(els.status, `Copying ${plural(itemIds.length, "item")} from ${listing.where} into ${targetName} (${targetMailbox})…`);

    const options = {
      signal,
      onResult: (result) => {
        const tr = rows[result.index];
        if (!tr) return;
        if (result.sourceItemId && result.sourceItemId !== tr.dataset.sourceItemId) {
          // Not expected: the package numbers results by input position. Show what it said.
          tr.children[1].firstChild.textContent = result.sourceItemId;
        }
        const status = showResult(tr, result);
        counts[status] += 1;
        if (result.error && status !== "notSent") errors.push(result.error);
        renderCounts(counts);
      },
      onProgress: (progress) => {
        renderProgress(progress.settled, itemIds.length);
        if (Date.now() - lastAnnounced >= ANNOUNCE_EVERY_MS) {
          lastAnnounced = Date.now();
          els.announce.textContent = `${progress.settled} of ${itemIds.length} items settled.`;
        }
      },
      // Rows and counts come from onResult; the report would hold the same again.
      keepResults: false,
    };
    let outcome;
    try {
      await run((client) => client.copyItems(source, target, options));
      outcome = { kind: "done" };
    } catch (err) {
      outcome = signal.aborted ? { kind: "stopped" } : { kind: "failed", err };
    }

    // Items the copy never got to (stopped, or the call failed): say so on their rows.
    for (const tr of rows) {
      if (tr.dataset.status !== "waiting") continue;
      setRow(tr, "notSent", "Not copied: the copy ended before this item.");
      counts.notSent += 1;
    }
    renderCounts(counts);
    renderProgress(itemIds.length - counts.notSent, itemIds.length);

    const summary = `${counts.imported} copied, ${counts.failed} failed, ${counts.outcomeUnknown} outcome unknown`;
    const notSent = counts.notSent ? `; ${counts.notSent} not copied` : "";
    if (outcome.kind === "done") {
      const clean = counts.failed === 0 && counts.outcomeUnknown === 0;
      setStatus(els.status, `Done: ${summary}.`, clean ? "ok" : "error");
      // Every item failed the same way: that is one call failing (a permission, a missing folder), not the
      // items. Show it as such.
      const first = errors[0];
      if (first && counts.imported === 0 && errors.length === itemIds.length && errors.every((e) => e.code === first.code)) {
        showErrorPanel(els.error, first, `Every item failed: ${first.code}`);
      }
    } else if (outcome.kind === "stopped") {
      setStatus(els.status, `Stopped: ${summary}${notSent}. Posts under way when Stop was pressed were let finish.`, "error");
    } else if (outcome.err instanceof PaneError) {
      setStatus(els.status, outcome.err.message, "error");
      outcome.err.focus?.focus();
    } else {
      setStatus(els.status, `Copy failed (${describeError(outcome.err)}): ${summary}${notSent}.`, "error");
      showErrorPanel(els.error, outcome.err, "The copy failed");
    }
    els.announce.textContent = "";

    controller = null;
    setRunning(false);
    onRunEnd();
  }

  function setRunning(running) {
    if (running) {
      els.start.setAttribute("aria-disabled", "true");
      els.form.setAttribute("aria-busy", "true");
    } else {
      els.start.removeAttribute("aria-disabled");
      els.form.removeAttribute("aria-busy");
      // Stop is disabled once the run ends: keep keyboard focus in the pane.
      if (document.activeElement === els.stop) els.start.focus();
    }
    els.stop.disabled = !running;
  }

  function renderProgress(settled, total) {
    els.progress.max = Math.max(total, 1);
    els.progress.value = settled;
    els.settled.textContent = `${settled} of ${total} settled`;
  }

  function renderCounts(counts) {
    for (const [el, n] of [
      [els.imported, counts.imported],
      [els.failed, counts.failed],
      [els.unknown, counts.outcomeUnknown],
    ]) {
      el.textContent = String(n);
      el.parentElement.classList.toggle("zero", n === 0);
    }
    els.unknownNote.hidden = counts.outcomeUnknown === 0;
  }

  function row(index, sourceItemId) {
    const tr = document.createElement("tr");
    tr.dataset.sourceItemId = sourceItemId;
    const number = document.createElement("td");
    number.className = "col-index";
    number.textContent = String(index + 1);
    const source = document.createElement("td");
    source.className = "col-source";
    const code = document.createElement("code");
    code.className = "source-item-id";
    code.textContent = sourceItemId;
    source.append(code);
    const status = document.createElement("td");
    status.className = "col-status";
    const detail = document.createElement("td");
    detail.className = "col-detail";
    tr.append(number, source, status, detail);
    setRow(tr, "waiting", "");
    return tr;
  }

  function setRow(tr, status, detail) {
    tr.dataset.status = status;
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = STATUS_LABEL[status] ?? status;
    tr.children[2].replaceChildren(badge);
    if (typeof detail === "string") tr.children[3].textContent = detail;
    else tr.children[3].replaceChildren(...detail);
  }

  /** Shows an ItemResult on its row; returns the count it belongs to. */
  function showResult(tr, result) {
    if (result.status === "imported") {
      const id = document.createElement("code");
      id.className = "item-id";
      id.textContent = result.itemId ?? "";
      setRow(tr, "imported", [id]);
      return "imported";
    }
    const error = result.error;
    if (result.status === "failed" && error?.code === "aborted") {
      setRow(tr, "notSent", "Not copied: Stop was pressed before it went out.");
      return "notSent";
    }
    if (result.status === "outcomeUnknown") {
      setRow(tr, "outcomeUnknown", [
        document.createTextNode("Sent, but no answer came back: it may exist in the target; not sent again. "),
        errorDetail(error),
      ]);
      return "outcomeUnknown";
    }
    setRow(tr, "failed", [errorDetail(error)]);
    return "failed";
  }

  // Disabled in the HTML until the package has loaded and this pane is wired.
  els.start.disabled = false;
  els.list.disabled = false;
  els.sourceBrowse.disabled = false;
  els.targetBrowse.disabled = false;

  function setMailbox(input, picker, folder, id) {
    input.value = id;
    folder.value = "";
    picker.reset();
  }

  return {
    /** A switch of tenant: the ids on show belong to the other one. */
    setMode() {
      if (controller) controller.abort(new DOMException("The page switched tenants.", "AbortError"));
      setMailbox(els.sourceMailbox, sourcePicker, els.sourceFolder, "");
      setMailbox(els.targetMailbox, targetPicker, els.targetFolder, "");
      clearListing();
      els.error.hidden = true;
      els.run.hidden = true;
      els.rows.replaceChildren();
      setStatus(els.status, "");
    },
    setSource(id) {
      setMailbox(els.sourceMailbox, sourcePicker, els.sourceFolder, id);
      clearListing();
    },
    setTarget(id) {
      setMailbox(els.targetMailbox, targetPicker, els.targetFolder, id);
    },
    selectedItemIds,
    targetMailbox: () => els.targetMailbox.value.trim(),
  };
}
