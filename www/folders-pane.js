// The folders pane: a folder with its subfolders, or a whole mailbox, copied into another mailbox with
// MailboxClient.copyFolders, pass after pass. A tree fills in as folders are mapped (created or found in the
// target), each with its counts; a progress bar, the pass's counts, Stop.
//
// What a copy remembers lives in this browser, keyed by its source and target: the CopyState in localStorage
// (saved at every onState: every folder boundary, every 100 items, and when the pass ends, Stop included) and
// the item map in IndexedDB (openItemStore below: a CopyItemStore, written the moment an item settles, so
// even a tab closed mid-pass resumes without sending anything twice). A pass that did not finish offers
// Resume; a finished one offers Run again, the next pass: only what changed in the source since.

import { PaneError, $, el, plural, setStatus, showFailure, showProblem } from "./ui.js";
import { setupFolderPicker } from "./folder-picker.js";

const STORAGE_PREFIX = "graph-mailbox-import.folders.";
const LAST_COPY_KEY = `${STORAGE_PREFIX}last`;
const DB_NAME = "graph-mailbox-import";
const DB_STORE = "copied-items";

/**
 * run(fn): calls fn(client) with the page's MailboxClient, or throws a PaneError (not signed in).
 * controlUrl: the mock tenant's control API (offline mode's "Change the source"). onRunEnd(): after every pass.
 * Returns { setMode(mode, demoUsers) }.
 */
export function setupFoldersPane({ run, controlUrl, onRunEnd = () => {} }) {
  const els = {
    form: $("folders-form"),
    sourceMailbox: $("folders-source-mailbox"),
    scopeFolder: $("folders-scope-folder"),
    scopeMailbox: $("folders-scope-mailbox"),
    sourceFolderField: $("folders-source-folder-field"),
    sourceFolder: $("folders-source-folder"),
    targetMailbox: $("folders-target-mailbox"),
    targetParent: $("folders-target-parent"),
    start: $("folders-start"),
    resume: $("folders-resume"),
    again: $("folders-again"),
    stop: $("folders-stop"),
    changeSource: $("folders-change-source"),
    status: $("folders-status"),
    error: $("folders-error"),
    run: $("folders-run"),
    pass: $("folders-pass"),
    progress: $("folders-progress"),
    settled: $("folders-settled"),
    created: $("folders-count-created"),
    updated: $("folders-count-updated"),
    removed: $("folders-count-removed"),
    failed: $("folders-count-failed"),
    unknown: $("folders-count-unknown"),
    tree: $("folders-tree"),
  };

  let controller = null; // the pass under way
  const mailboxOfUser = new Map(); // a user typed in a mailbox field -> their primary mailbox id
  const required = (input, what) => () => {
    const value = input.value.trim();
    if (!value) throw new PaneError(`Enter the ${what} mailbox first (or look its user up above).`, input);
    return value;
  };
  /** The mailbox id a field names: as typed, or a user's primary mailbox (looked up once). */
  async function mailboxId(client, typed) {
    if (/^MBX:/i.test(typed) || !typed.includes("@")) return typed;
    if (!mailboxOfUser.has(typed)) mailboxOfUser.set(typed, (await client.resolveMailbox(typed)).primaryMailboxId);
    return mailboxOfUser.get(typed);
  }
  // The pickers list folders of the mailbox a field names, a user's included.
  const browse = (fn) => run((client) => fn({ listFolders: async (mb, options) => client.listFolders(await mailboxId(client, mb), options) }));
  const sourcePicker = setupFolderPicker({
    toggle: $("folders-source-browse"),
    panel: $("folders-source-picker"),
    input: els.sourceFolder,
    pathEl: $("folders-source-path"),
    mailbox: required(els.sourceMailbox, "source"),
    run: browse,
  });
  const targetPicker = setupFolderPicker({
    toggle: $("folders-target-browse"),
    panel: $("folders-target-picker"),
    input: els.targetParent,
    pathEl: $("folders-target-path"),
    mailbox: required(els.targetMailbox, "target"),
    run: browse,
    countInPath: false,
  });

  els.sourceMailbox.addEventListener("input", () => sourcePicker.reset());
  els.targetMailbox.addEventListener("input", () => targetPicker.reset());
  for (const radio of [els.scopeFolder, els.scopeMailbox]) radio.addEventListener("change", () => renderScope());
  // The buttons follow the copy the form names: Resume or Run again where this browser has one.
  els.form.addEventListener("input", () => renderButtons());
  els.form.addEventListener("change", () => renderButtons());
  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    pass("start");
  });
  els.resume.addEventListener("click", () => pass("resume"));
  els.again.addEventListener("click", () => pass("again"));
  els.stop.addEventListener("click", () => {
    if (!controller || controller.signal.aborted) return;
    controller.abort(new DOMException("Stopped from the page.", "AbortError"));
    els.stop.disabled = true;
    setStatus(els.status, "Stopping: no more items are sent; posts under way are let finish…");
  });
  els.changeSource.addEventListener("click", () => changeSource());

  function renderScope() {
    els.sourceFolderField.hidden = els.scopeMailbox.checked;
  }

  /**
   * The copy the form names: { source, target, key }, or throws a PaneError saying what is missing. A user
   * in a mailbox field stands for their primary mailbox: known once looked up (resolve), else null.
   */
  function pair(resolve = (typed) => (mailboxOfUser.get(typed) ?? (typed.includes("@") && !/^MBX:/i.test(typed) ? null : typed))) {
    const sourceMailbox = resolve(required(els.sourceMailbox, "source")());
    const folderId = els.scopeMailbox.checked ? undefined : els.sourceFolder.value.trim();
    if (folderId === "") throw new PaneError("Enter the source folder, browse for it, or copy the whole mailbox.", els.sourceFolder);
    const targetMailbox = resolve(required(els.targetMailbox, "target")());
    if (!sourceMailbox || !targetMailbox) return null;
    const parentFolderId = els.targetParent.value.trim() || undefined;
    const source = folderId ? { mailboxId: sourceMailbox, folderId } : { mailboxId: sourceMailbox };
    const target = parentFolderId ? { mailboxId: targetMailbox, parentFolderId } : { mailboxId: targetMailbox };
    const key = JSON.stringify([sourceMailbox, folderId ?? null, targetMailbox, parentFolderId ?? null]);
    return { source, target, key };
  }

  function currentSaved() {
    try {
      const copy = pair();
      return copy && loadCopy(copy.key);
    } catch {
      return null;
    }
  }

  /** pair(), users looked up first; null (and the status line says why) when that cannot be done. */
  async function resolvedPair() {
    try {
      required(els.sourceMailbox, "source")();
      required(els.targetMailbox, "target")();
      const [source, target] = await run((client) =>
        Promise.all([mailboxId(client, els.sourceMailbox.value.trim()), mailboxId(client, els.targetMailbox.value.trim())]),
      );
      return pair((typed) => (typed === els.sourceMailbox.value.trim() ? source : target));
    } catch (err) {
      showFailure(els.status, els.error, err, "Could not find the mailboxes", "The lookup failed");
      return null;
    }
  }

  function renderButtons() {
    const saved = currentSaved();
    const busy = controller !== null;
    els.start.hidden = saved !== null;
    els.resume.hidden = !saved || saved.finished;
    els.again.hidden = !saved || !saved.finished;
    for (const button of [els.start, els.resume, els.again]) {
      if (busy) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
    els.stop.disabled = !busy;
  }

  // -------------------------------------------------------------------------------------------------------
  // A pass

  /**
   * kind "start": a first pass; "resume": the pass a saved copy did not finish, its counts going on;
   * "again": the next pass of a finished copy, only what changed since.
   */
  async function pass(kind) {
    if (controller) return;
    els.error.hidden = true;
    const copy = await resolvedPair();
    if (!copy) return;
    const saved = loadCopy(copy.key);
    if (kind === "start" && saved) kind = saved.finished ? "again" : "resume";
    if (kind !== "start" && !saved) kind = "start";
    const record =
      kind === "start"
        ? { state: null, pass: 1, finished: false, view: emptyView() }
        : kind === "again"
          ? { ...saved, pass: saved.pass + 1, finished: false, view: nextPassView(saved.view) }
          : saved;
    record.source = copy.source;
    record.target = copy.target;
    record.sourcePath = $("folders-source-path").textContent;
    saveCopy(copy.key, record);

    controller = new AbortController();
    const signal = controller.signal;
    renderButtons();
    els.form.setAttribute("aria-busy", "true");
    els.run.hidden = false;
    const view = record.view;
    renderPassHeading(record, kind);
    renderView(view);
    setStatus(els.status, kind === "resume" ? "Resuming the copy where it stopped…" : "Reading the source's folders…");

    let store = null;
    let outcome;
    try {
      store = await openItemStore(copy.key);
      if (record.pass === 1 && view.totalItems === null) {
        // Each folder's item count, for "n of total" and the progress bar of a first pass.
        const totals = await sourceTotals(copy.source);
        view.totals = totals.perFolder;
        view.totalItems = totals.all;
        renderView(view);
      }
      setStatus(els.status, record.pass === 1 ? "Copying…" : `Pass ${record.pass}: copying what changed since pass ${record.pass - 1}…`);
      const base = { ...view.counts };
      // At most one render a frame: a big folder settles items faster than the tree is worth drawing.
      let drawing = false;
      const tracker = folderTracker(view, () => {
        if (drawing) return;
        drawing = true;
        requestAnimationFrame(() => {
          drawing = false;
          renderView(view);
        });
      });
      const report = await run((client) =>
        client.copyFolders(copy.source, copy.target, {
          state: record.state ?? undefined,
          itemStore: store.forPass(),
          signal,
          keepResults: false,
          onState: (state) => {
            record.state = state;
            saveCopy(copy.key, record);
          },
          onFolder: (event) => tracker.folder(event),
          onResult: (result) => tracker.result(result, store.wasCopiedBefore(result.sourceItemId)),
        }),
      );
      // The report is this run's own account (a resumed pass adds to what ran before the stop).
      view.counts.removed = base.removed + report.removedInSource;
      view.counts.updated = base.updated + report.updated;
      view.counts.created = base.created + report.imported - report.updated;
      record.state = report.state;
      record.finished = true;
      outcome = { kind: "done", report };
    } catch (err) {
      outcome = signal.aborted ? { kind: "stopped" } : { kind: "failed", err };
    } finally {
      store?.close();
    }
    saveCopy(copy.key, record);
    renderView(view);
    controller = null;
    els.form.removeAttribute("aria-busy");
    renderButtons();
    sayHowItEnded(outcome, record);
    onRunEnd();
  }

  function renderPassHeading(record, kind) {
    const what = record.pass === 1 ? "Pass 1: every item" : `Pass ${record.pass}: only what changed since pass ${record.pass - 1}`;
    els.pass.textContent = kind === "resume" ? `${what} (resumed)` : what;
  }

  function sayHowItEnded(outcome, record) {
    const c = record.view.counts;
    const summary = `${c.created} copied, ${c.updated} updated, ${c.removed} removed in the source, ${c.failed} failed, ${c.unknown} outcome unknown`;
    if (outcome.kind === "done") {
      const { folders } = outcome.report;
      // A later pass maps only folders new in the source: nothing to say about folders otherwise.
      const mapped = folders.created + folders.reused + folders.failed;
      const made = mapped ? `; folders: ${folders.created} created, ${folders.reused} found in the target${folders.failed ? `, ${folders.failed} failed` : ""}` : "";
      const clean = c.failed === 0 && c.unknown === 0 && folders.failed === 0;
      setStatus(els.status, `Pass ${record.pass} done: ${summary}${made}. Run again copies only what changes next.`, clean ? "ok" : "error");
    } else if (outcome.kind === "stopped") {
      setStatus(els.status, `Stopped: ${summary}. Resume copies the rest; nothing is copied twice.`, "error");
    } else {
      showFailure(els.status, els.error, outcome.err, `The copy failed (${summary}); Resume tries again`, "The copy failed");
    }
  }

  /** Item counts of the source's folders (visible ones, as copyFolders copies), for a first pass. */
  async function sourceTotals(source) {
    const tree = await run((client) => client.listFolderTree(source.mailboxId));
    const perFolder = {};
    for (const folder of tree) perFolder[folder.id] = folder.totalItemCount ?? null;
    let copied = tree;
    if (source.folderId) {
      // The folder and what is below it.
      const inside = new Set([source.folderId]);
      copied = tree.filter((folder) => {
        if (inside.has(folder.id) || inside.has(folder.parentFolderId)) {
          inside.add(folder.id);
          return true;
        }
        return false;
      });
    }
    const counts = copied.map((folder) => folder.totalItemCount);
    const all = copied.length && counts.every(Number.isFinite) ? counts.reduce((a, b) => a + b, 0) : null;
    return { perFolder, all };
  }

  // -------------------------------------------------------------------------------------------------------
  // The tree and the counts

  function renderView(view) {
    const c = view.counts;
    for (const [node, n] of [
      [els.created, c.created],
      [els.updated, c.updated],
      [els.removed, c.removed],
      [els.failed, c.failed],
      [els.unknown, c.unknown],
    ]) {
      node.textContent = String(n);
      node.parentElement.classList.toggle("zero", n === 0);
    }
    const settled = c.created + c.updated + c.failed + c.unknown;
    const folders = Object.values(view.folders);
    const foldersDone = folders.filter((f) => f.state === "done" || f.state === "failed").length;
    if (view.totalItems !== null && view.totalItems !== undefined) {
      // A first pass: items settled of the source's items.
      els.progress.max = Math.max(view.totalItems, 1);
      els.progress.value = Math.min(settled, view.totalItems);
      els.settled.textContent = `${settled} of ${plural(view.totalItems, "item")} · ${plural(foldersDone, "folder")} done`;
    } else {
      // A later pass: how many changes there are is only known as they come; the folders say how far it got.
      els.progress.max = Math.max(folders.length, 1);
      els.progress.value = foldersDone;
      els.settled.textContent = `${plural(settled, "change")} copied · ${plural(foldersDone, "folder")} done`;
    }
    renderTree(view);
  }

  function renderTree(view) {
    const lists = new Map([["", els.tree]]); // a folder's path -> the list its children go in
    els.tree.replaceChildren();
    for (const folder of view.order.map((id) => view.folders[id])) {
      const parentPath = JSON.stringify(folder.path.slice(0, -1));
      const list = lists.get(folder.path.length > 1 ? parentPath : "") ?? els.tree;
      const li = el("li", "copy-folder");
      li.dataset.sourceFolderId = folder.id;
      li.dataset.state = folder.state;
      const name = el("span", "folder-name", folder.path.at(-1) ?? folder.id);
      name.title = folder.id;
      const badge = el("span", "badge", FOLDER_STATES[folder.state] ?? folder.state);
      const row = el("div", "copy-folder-row", name, " ", badge);
      if (folder.mapped) row.append(" ", el("span", "tag", folder.mapped === "created" ? "created in the target" : "found in the target"));
      row.append(" ", el("span", "folder-counts", folderCounts(folder, view)));
      li.append(row);
      const children = el("ul", "copy-tree");
      li.append(children);
      lists.set(JSON.stringify(folder.path), children);
      list.append(li);
    }
    for (const ul of els.tree.querySelectorAll("ul")) if (!ul.children.length) ul.remove();
  }

  function folderCounts(folder, view) {
    if (folder.state === "failed") return folder.error ?? "could not be copied";
    const total = view.totalItems !== null ? view.totals?.[folder.id] : undefined;
    const parts = [];
    if (Number.isFinite(total)) parts.push(`${folder.created} of ${total} copied`);
    else if (folder.created) parts.push(`${folder.created} new`);
    if (folder.updated) parts.push(`${folder.updated} updated`);
    if (folder.failed) parts.push(`${folder.failed} failed`);
    if (folder.unknown) parts.push(`${folder.unknown} outcome unknown`);
    if (!parts.length) return folder.state === "done" ? "no changes" : "";
    return parts.join(" · ");
  }

  // -------------------------------------------------------------------------------------------------------
  // Offline mode: a change in the mock's source, for Run again to copy

  async function changeSource() {
    els.error.hidden = true;
    const copy = await resolvedPair();
    if (!copy) return;
    const saved = loadCopy(copy.key);
    // The deepest folder the copy finished (a change there shows how far down a pass looks), else its top.
    const done = saved ? saved.view.order.map((id) => saved.view.folders[id]).filter((f) => f.state === "done") : [];
    const folder = done.sort((a, b) => b.path.length - a.path.length)[0];
    const folderId = folder?.id ?? copy.source.folderId;
    if (!folderId) {
      showProblem(els.status, new PaneError("Copy the folders first: the change goes into one of the copied folders.", els.start));
      return;
    }
    const where = folder ? folder.path.join(" › ") : "the source folder";
    try {
      const items = await run((client) => client.listItems(copy.source.mailboxId, folderId));
      if (items.length < 2) throw new Error(`${where} holds fewer than 2 items`);
      const stamp = new Date().toISOString();
      for (const n of [1, 2]) {
        await mock("/add-item", { folderId, data: btoa(`A message added to the demo source at ${stamp} (#${n}).`) });
      }
      await mock("/change-item", { itemId: items[0].id, categories: ["Changed in the demo"] });
      await mock("/remove-item", { itemId: items[1].id });
      setStatus(els.status, `The mock's source changed in ${where}: 2 items added, 1 changed, 1 removed. Run again copies only these.`, "ok");
    } catch (err) {
      setStatus(els.status, `Could not change the mock's source (${err.message}).`, "error");
    }
  }

  async function mock(path, body) {
    const res = await fetch(`${controlUrl}${path}`, {
      method: "POST",
      cache: "no-store",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`mock tenant: POST ${path} answered ${res.status}`);
    return res.json();
  }

  // -------------------------------------------------------------------------------------------------------

  els.start.disabled = false;
  els.resume.disabled = false;
  els.again.disabled = false;
  $("folders-source-browse").disabled = false;
  $("folders-target-browse").disabled = false;
  renderScope();

  /** Puts the copy this browser last ran back in the form and its last pass on show; true when there is one. */
  function restoreLast() {
    const key = localStorage.getItem(LAST_COPY_KEY);
    const saved = key && loadCopy(key);
    if (!saved) return false;
    els.sourceMailbox.value = saved.source.mailboxId;
    els.scopeMailbox.checked = !saved.source.folderId;
    els.scopeFolder.checked = Boolean(saved.source.folderId);
    els.sourceFolder.value = saved.source.folderId ?? "";
    $("folders-source-path").textContent = saved.sourcePath ?? "";
    els.targetMailbox.value = saved.target.mailboxId;
    els.targetParent.value = saved.target.parentFolderId ?? "";
    renderScope();
    renderButtons();
    els.run.hidden = false;
    renderPassHeading(saved, saved.finished ? "done" : "resume");
    if (!saved.finished) els.pass.textContent = `Pass ${saved.pass}: not finished`;
    renderView(saved.view);
    setStatus(
      els.status,
      saved.finished
        ? `Pass ${saved.pass} of this copy finished earlier. Run again copies only what changed since.`
        : `Pass ${saved.pass} of this copy did not finish. Resume copies the rest; nothing is copied twice.`,
    );
    return true;
  }

  return {
    /** The page's mode: the copy this browser last ran comes back, else offline the demo tenant's users. */
    setMode(pageMode, demoUsers) {
      controller?.abort(new DOMException("The page switched tenants.", "AbortError"));
      mailboxOfUser.clear();
      sourcePicker.reset();
      targetPicker.reset();
      if (restoreLast()) return;
      els.run.hidden = true;
      setStatus(els.status, "");
      // Offline, the demo tenant's users (their mailboxes are looked up when a copy or a picker needs them).
      els.sourceMailbox.value = demoUsers?.source ?? "";
      els.targetMailbox.value = demoUsers?.target ?? "";
      els.sourceFolder.value = "";
      els.targetParent.value = "";
      renderButtons();
    },
  };
}

const FOLDER_STATES = { waiting: "waiting", copying: "copying", done: "done", failed: "failed" };

function emptyView() {
  return {
    order: [], // source folder ids, in the order copyFolders reached them (parents before children)
    folders: {}, // id -> { id, path, targetFolderId, state, created, updated, failed, unknown, error }
    counts: { created: 0, updated: 0, removed: 0, failed: 0, unknown: 0 },
    totals: {},
    totalItems: null,
  };
}

/** The view a next pass starts from: the folders of the last, waiting, with how they were mapped; no counts. */
function nextPassView(last) {
  const view = emptyView();
  for (const id of last.order) {
    const { path, targetFolderId, mapped } = last.folders[id];
    view.folders[id] = { id, path, targetFolderId, mapped, state: "waiting", created: 0, updated: 0, failed: 0, unknown: 0 };
    view.order.push(id);
  }
  return view;
}

/**
 * Counts results into folders. copyFolders copies one folder at a time and says so: a folder's items settle
 * after the event that maps it (on a first pass) and before its "done" event (on every pass, the only one
 * a later pass gives for a folder mapped before). Results are kept aside until a folder claims them.
 */
function folderTracker(view, render) {
  let current = null;
  let unclaimed = { created: 0, updated: 0, failed: 0, unknown: 0 };
  const node = (event) => {
    let folder = view.folders[event.sourceFolderId];
    if (!folder) {
      folder = { id: event.sourceFolderId, path: event.path, state: "copying", created: 0, updated: 0, failed: 0, unknown: 0 };
      view.folders[folder.id] = folder;
      view.order.push(folder.id);
    }
    folder.path = event.path;
    if (event.targetFolderId) folder.targetFolderId = event.targetFolderId;
    return folder;
  };
  return {
    folder(event) {
      const folder = node(event);
      if (event.action === "created" || event.action === "reused") {
        folder.mapped = event.action;
        folder.state = "copying";
        current = folder;
      } else {
        if (current !== folder) for (const k of Object.keys(unclaimed)) folder[k] += unclaimed[k];
        folder.state = event.action;
        if (event.error) folder.error = `${event.error.code}${event.error.status ? ` (HTTP ${event.error.status})` : ""}`;
        current = null;
      }
      unclaimed = { created: 0, updated: 0, failed: 0, unknown: 0 };
      render();
    },
    /** `update`: whether the item had a copy before this pass (so this result is an update of it). */
    result(result, update) {
      const kind = result.status === "imported" ? (update ? "updated" : "created") : result.status === "failed" ? "failed" : "unknown";
      if (result.status === "failed" && result.error?.code === "aborted") return;
      (current ?? unclaimed)[kind] += 1;
      view.counts[kind] += 1;
      render();
    },
  };
}

// -----------------------------------------------------------------------------------------------------------
// Saved copies

function loadCopy(key) {
  try {
    const text = localStorage.getItem(STORAGE_PREFIX + key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function saveCopy(key, record) {
  localStorage.setItem(STORAGE_PREFIX + key, JSON.stringify(record));
  localStorage.setItem(LAST_COPY_KEY, key);
}

/**
 * The copy's item map in IndexedDB (source item id -> CopiedItem), as copyFolders' CopyItemStore. forPass()
 * gives the store for one pass; wasCopiedBefore(id) says whether the item had a copy when that pass asked for
 * it (a change of it is then imported as an update of the copy).
 */
async function openItemStore(copyKey) {
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(DB_STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const request = (mode, fn) =>
    new Promise((resolve, reject) => {
      const tx = db.transaction(DB_STORE, mode);
      const req = fn(tx.objectStore(DB_STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  let copiedBefore = new Set();
  return {
    forPass() {
      copiedBefore = new Set();
      return {
        async get(sourceItemId) {
          const item = await request("readonly", (s) => s.get([copyKey, sourceItemId]));
          if (item?.status === "imported") copiedBefore.add(sourceItemId);
          return item ?? undefined;
        },
        set: (sourceItemId, item) => request("readwrite", (s) => s.put(item, [copyKey, sourceItemId])),
      };
    },
    wasCopiedBefore: (sourceItemId) => copiedBefore.has(sourceItemId),
    close: () => db.close(),
  };
}
