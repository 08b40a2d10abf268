// The copy pane: items of a folder in one mailbox copied into a folder of another (or the same) mailbox with
// MailboxClient.copyItems (exportItems feeding importItems as a stream), with a progress bar, counts, one row
// per source item as it settles, and Stop.
//
// Source: a mailbox id (typed, or set from the lookup) and a folder (typed, or picked in the folder tree);
// its items are listed with listItems and chosen with checkboxes. Target: a mailbox id and a folder the same
// way. The source keeps its items.
//
// The page remembers which items each earlier copy on it settled into each target folder (copied, or sent
// without an answer): a copy that would send any of them there again asks first, since the target would
// then hold them twice.

import { PaneError, $, cell, el, formatBytes, plural, setStatus, shortDate, showErrorPanel, showFailure, showProblem } from "./ui.js";
import { setupFolderPicker } from "./folder-picker.js";
import { setupItemRun } from "./item-run.js";

const WORDS = {
  labels: {
    waiting: "Waiting",
    imported: "Copied",
    failed: "Failed",
    outcomeUnknown: "Outcome unknown",
    notSent: "Not copied",
  },
  imported: "copied",
  notSent: "not copied",
  failed: "Copy failed",
  run: "copy",
  stopping: "Stopping: no more items are exported or sent; posts under way are let finish…",
  stopPressed: "Not copied: Stop was pressed before it went out.",
  endedBefore: "Not copied: the copy ended before this item.",
  noAnswer: "Sent, but no answer came back: it may exist in the target; not sent again. ",
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
    confirm: $("copy-confirm"),
    confirmText: $("copy-confirm-text"),
    confirmRest: $("copy-confirm-rest"),
    confirmAll: $("copy-confirm-all"),
    confirmCancel: $("copy-confirm-cancel"),
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
  const settledInto = new Map(); // "source mailbox, target mailbox, target folder" -> Set of source item ids
  let pendingCopy = null; // { source, target, targetName, where }: the copy the confirm panel asks about
  const copies = setupItemRun({ els, words: WORDS, onRunEnd });

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
  els.list.addEventListener("click", () => listItems(sourcePicker.pickedPath()?.join(" › ") ?? null));
  els.selectAll.addEventListener("change", () => {
    const all = els.selectAll.checked;
    for (const box of itemBoxes()) box.checked = all;
    renderSelection();
  });
  els.itemRows.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox]")) renderSelection();
  });
  els.form.addEventListener("submit", onCopy);
  // The question is about the selection and target it was asked for: any edit of them withdraws it.
  els.form.addEventListener("input", () => hideConfirm());
  els.form.addEventListener("change", () => hideConfirm());
  els.confirmCancel.addEventListener("click", () => {
    hideConfirm();
    setStatus(els.status, "Nothing copied.");
    els.start.focus();
  });
  els.confirmAll.addEventListener("click", () => confirmed((ids) => ids));
  els.confirmRest.addEventListener("click", () => confirmed((ids, done) => ids.filter((id) => !done.has(id))));

  // -------------------------------------------------------------------------------------------------------
  // The source's items

  function clearListing() {
    hideConfirm();
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
      showProblem(els.status, err);
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
      showFailure(els.status, els.error, err, "Could not list the items", "Listing the items failed");
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
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = item.id;
    box.setAttribute("aria-label", `Select item ${i + 1}`);
    const created = cell("col-created");
    if (item.createdDateTime) {
      const time = document.createElement("time");
      time.dateTime = item.createdDateTime;
      time.textContent = shortDate(item.createdDateTime);
      created.append(time);
    }
    const id = el("code", "", item.id);
    id.title = item.id;
    tr.append(
      cell("col-check", box),
      cell("col-index", String(i + 1)),
      cell("col-item-id", id),
      cell("col-type", item.type ?? ""),
      cell("col-size", formatBytes(item.size)),
      created,
    );
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
    if (copies.busy()) return;
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
      showProblem(els.status, problem);
      return;
    }

    const source = { mailboxId: listing.mailboxId, itemIds };
    const target = { mailboxId: targetMailbox, folderId: targetFolder };
    const targetName = els.targetPath.textContent || targetFolder;
    const done = settledInto.get(settledKey(source, target));
    const again = done ? itemIds.filter((id) => done.has(id)) : [];
    if (again.length) {
      askFirst({ source, target, targetName, where: listing.where }, again.length);
      return;
    }
    hideConfirm();
    await copy({ source, target, targetName, where: listing.where });
  }

  function settledKey(source, target) {
    return JSON.stringify([source.mailboxId, target.mailboxId, target.folderId]);
  }

  /** Asks before a copy that would send `repeated` of its items into the target again. */
  function askFirst(copyRequest, repeated) {
    pendingCopy = copyRequest;
    const n = copyRequest.source.itemIds.length;
    const rest = n - repeated;
    const which = repeated === n ? `All ${n} chosen items were` : `${repeated} of the ${n} chosen items were`;
    els.confirmText.textContent =
      `${which} already copied into ${copyRequest.targetName} by an earlier copy on this page (or sent without an ` +
      "answer). Copying them again makes second copies there.";
    els.confirmRest.hidden = rest === 0;
    els.confirmRest.textContent = `Copy only the ${plural(rest, "other item")}`;
    els.confirmAll.textContent = `Copy all ${n} again`;
    els.confirm.hidden = false;
    setStatus(els.status, "");
    // The safe answer has the focus: Enter does not make copies.
    els.confirmCancel.focus();
  }

  function hideConfirm() {
    pendingCopy = null;
    els.confirm.hidden = true;
  }

  /** Runs the copy the confirm panel asked about, with the item ids `choose(ids, settledBefore)` keeps. */
  async function confirmed(choose) {
    const asked = pendingCopy;
    hideConfirm();
    if (!asked || copies.busy()) return;
    const done = settledInto.get(settledKey(asked.source, asked.target)) ?? new Set();
    const itemIds = choose(asked.source.itemIds, done);
    els.start.focus();
    await copy({ ...asked, source: { ...asked.source, itemIds } });
  }

  /** Copies source.itemIds into the target, `where` and `targetName` naming the folders for people. */
  async function copy({ source, target, targetName, where }) {
    const { itemIds } = source;
    const key = settledKey(source, target);
    if (!settledInto.has(key)) settledInto.set(key, new Set());
    const settled = settledInto.get(key);
    els.error.hidden = true;
    // One row per source item.
    const rows = itemIds.map((id, i) => {
      const code = el("code", "source-item-id", id);
      code.title = id;
      const tr = copies.row(i, cell("col-source", code));
      tr.dataset.sourceItemId = id;
      return tr;
    });
    const errors = []; // the per-item errors, to tell a call that failed for every item from single failures
    await copies.run({
      rows,
      status: `Copying ${plural(itemIds.length, "item")} from ${where} into ${targetName} (${target.mailboxId})…`,
      call: (options) => run((client) => client.copyItems(source, target, options)),
      onSettled: (tr, result, count) => {
        if (result.sourceItemId && result.sourceItemId !== tr.dataset.sourceItemId) {
          // Not expected: the package numbers results by input position. Show what it said.
          tr.children[1].firstChild.textContent = result.sourceItemId;
        }
        // Copied, or sent without an answer (it may be there): either way, sending it again may duplicate it.
        if (count === "imported" || count === "outcomeUnknown") settled.add(tr.dataset.sourceItemId);
        if (result.error && count !== "notSent") errors.push(result.error);
      },
      ended: (outcome, counts) => {
        copies.renderProgress(itemIds.length - counts.notSent, itemIds.length);
        // Every item failed the same way: that is one call failing (a permission, a missing folder), not the
        // items. Show it as such.
        const first = errors[0];
        if (outcome.kind === "done" && first && counts.imported === 0 && errors.length === itemIds.length &&
          errors.every((e) => e.code === first.code)) {
          showErrorPanel(els.error, first, `Every item failed: ${first.code}`);
        }
      },
    });
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
      copies.abort(new DOMException("The page switched tenants.", "AbortError"));
      hideConfirm();
      settledInto.clear();
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
