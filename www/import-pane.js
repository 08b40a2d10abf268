// The import pane: items (chosen or dropped files, or generated samples in offline mode) go into the mailbox
// through MailboxClient.importItems, with a progress bar, counts and one row per item as it settles.
//
// app.js owns the page's mode and token: `prepare()` gives the mailbox and the client options for a run (the
// same options, token provider included, that the page uses for createImportSession). Runs go through the
// page's one MailboxClient (clients.js) for as long as those options stay the same, so its import session
// carries over from run to run (and is shared with the copy pane); a new one is made after a switch of tenant,
// account or API version.

import { isMailboxError } from "graph-mailbox-import";
import { $, PaneError } from "./ui.js";

export { PaneError };

export const DEFAULT_FOLDER_ID = "AAMkInbox";
const SAMPLE_COUNT = 25;
// Screen readers hear the progress at most this often (the visible counts change with every item).
const ANNOUNCE_EVERY_MS = 3000;

const STATUS_LABEL = {
  waiting: "Waiting",
  imported: "Imported",
  failed: "Failed",
  outcomeUnknown: "Outcome unknown",
  notSent: "Not sent",
};

/**
 * `prepare()` returns `{ mailboxId, key, options }` for a run (`key` names the options: the same key, the same
 * client) or throws a PaneError; `clients` is the page's client pool (clients.js). `onRunEnd()` is called after
 * every run. Returns `{ setMode(mode) }`, which app.js calls with "offline" or "tenant" whenever the page
 * switches.
 */
export function setupImportPane({ prepare, clients, onRunEnd = () => {} }) {
  const els = {
    form: $("import-form"),
    folder: $("import-folder"),
    files: $("import-files"),
    drop: $("import-drop"),
    selection: $("import-selection"),
    samples: $("import-samples"),
    clear: $("import-clear"),
    start: $("import-start"),
    stop: $("import-stop"),
    status: $("import-status"),
    run: $("import-run"),
    progress: $("import-progress"),
    settled: $("import-settled"),
    imported: $("count-imported"),
    failed: $("count-failed"),
    unknown: $("count-unknown"),
    unknownNote: $("import-unknown-note"),
    rows: $("import-rows"),
    announce: $("import-announce"),
  };

  let offline = true;
  let pending = []; // [{ name, size, sample, read: () => Promise<Uint8Array> }]
  let controller = null; // the running import's AbortController

  // -------------------------------------------------------------------------------------------------------
  // Choosing items

  function setPending(items) {
    pending = items;
    renderSelection();
  }

  function renderSelection() {
    els.clear.hidden = pending.length === 0;
    if (!pending.length) {
      els.selection.textContent = "No items chosen.";
      return;
    }
    const size = formatBytes(pending.reduce((sum, item) => sum + item.size, 0));
    if (pending.every((item) => item.sample)) {
      els.selection.textContent = `${pending.length} sample items (${size}) ready to import.`;
      return;
    }
    const names = pending.slice(0, 3).map((item) => item.name);
    const more = pending.length > 3 ? `, and ${pending.length - 3} more` : "";
    els.selection.textContent = `${plural(pending.length, "file")} (${size}) ready to import: ${names.join(", ")}${more}.`;
  }

  function addFiles(fileList) {
    const files = [...(fileList ?? [])];
    if (!files.length) return;
    // Read when the run gets to them, not now: a few thousand files need not sit in memory at once.
    const chosen = files.map((file) => ({
      name: file.name,
      size: file.size,
      sample: false,
      read: async () => new Uint8Array(await file.arrayBuffer()),
    }));
    setPending(pending.filter((item) => !item.sample).concat(chosen));
    setStatus("");
  }

  function sampleItems() {
    const encoder = new TextEncoder();
    const made = new Date().toISOString();
    return Array.from({ length: SAMPLE_COUNT }, (_, i) => {
      const name = `sample-${String(i + 1).padStart(2, "0")}.fts`;
      // A few bytes of text and some random ones: unique, so the mock never sees the same item twice.
      const text = encoder.encode(`Sample item ${i + 1} of ${SAMPLE_COUNT}, made ${made}\n`);
      const data = new Uint8Array(text.length + 32);
      data.set(text);
      crypto.getRandomValues(data.subarray(text.length));
      return { name, size: data.length, sample: true, read: async () => data };
    });
  }

  els.files.addEventListener("change", () => {
    addFiles(els.files.files);
    // So that choosing the same files again is a change too.
    els.files.value = "";
  });

  // The drop zone. The file input inside it is the keyboard's way in; dropping is a shortcut for the mouse.
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  els.drop.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    els.drop.classList.add("drag");
  });
  els.drop.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    els.drop.classList.add("drag");
  });
  els.drop.addEventListener("dragleave", (event) => {
    if (!els.drop.contains(event.relatedTarget)) els.drop.classList.remove("drag");
  });
  els.drop.addEventListener("drop", (event) => {
    event.preventDefault();
    els.drop.classList.remove("drag");
    addFiles(event.dataTransfer.files);
  });
  // A file dropped next to the zone would make the browser leave the page to show it.
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (event) => {
      if (!hasFiles(event) || els.drop.contains(event.target)) return;
      event.preventDefault();
      if (type === "dragover") event.dataTransfer.dropEffect = "none";
    });
  }

  els.samples.addEventListener("click", () => {
    setPending(sampleItems());
    setStatus("");
  });
  els.clear.addEventListener("click", () => {
    setPending([]);
    setStatus("");
    els.files.focus();
  });
  els.stop.addEventListener("click", () => {
    if (!controller || controller.signal.aborted) return;
    controller.abort(new DOMException("Stopped from the page.", "AbortError"));
    els.stop.disabled = true;
    els.start.focus();
    setStatus("Stopping: no more items are sent; posts under way are let finish…");
  });
  els.form.addEventListener("submit", onImport);

  // -------------------------------------------------------------------------------------------------------
  // A run

  async function onImport(event) {
    event.preventDefault();
    // The button stays enabled (and focused) during a run; repeated submits are ignored.
    if (controller) return;
    const folderId = els.folder.value.trim();
    if (!folderId) {
      setStatus("Enter a folder id.", "error");
      els.folder.focus();
      return;
    }
    if (!pending.length) {
      setStatus(offline ? "Choose item files, or use the sample items." : "Choose item files.", "error");
      els.files.focus();
      return;
    }
    let prepared;
    try {
      prepared = prepare();
    } catch (err) {
      setStatus(err.message, "error");
      err.focus?.focus();
      return;
    }

    const items = pending;
    setPending([]);
    controller = new AbortController();
    const signal = controller.signal;
    setRunning(true);

    // One row per item, by position in the input (`result.index`).
    const rows = items.map((item, i) => row(i, item.name));
    els.rows.replaceChildren(...rows);
    const counts = { imported: 0, failed: 0, outcomeUnknown: 0, notSent: 0 };
    let settled = 0;
    let lastAnnounced = Date.now();
    renderCounts(counts);
    renderProgress(0, items.length);
    els.unknownNote.hidden = true;
    els.run.hidden = false;
    els.announce.textContent = "";
    setStatus(`Importing ${plural(items.length, "item")} into ${prepared.mailboxId}, folder ${folderId}…`);

    async function* source() {
      for (const item of items) {
        let data;
        try {
          data = await item.read();
        } catch (err) {
          throw new Error(`could not read ${item.name} (${err?.message || err})`);
        }
        yield { folderId, data };
      }
    }

    const bulkOptions = {
      signal,
      onResult: (result) => {
        const status = showResult(rows[result.index], result);
        if (status) counts[status] += 1;
        renderCounts(counts);
      },
      onProgress: (progress) => {
        settled = progress.settled;
        renderProgress(settled, items.length);
        if (Date.now() - lastAnnounced >= ANNOUNCE_EVERY_MS) {
          lastAnnounced = Date.now();
          els.announce.textContent = `${settled} of ${items.length} items settled.`;
        }
      },
      // Rows and counts come from onResult; the report would hold the same again.
      keepResults: false,
    };
    let outcome;
    try {
      await clients.use(prepared.key, prepared.options, (client) => client.importItems(prepared.mailboxId, source(), bulkOptions));
      outcome = { kind: "done" };
    } catch (err) {
      outcome = signal.aborted ? { kind: "stopped" } : { kind: "failed", err };
    }

    // Items the run never got to (stopped, or the run failed): say so on their rows.
    for (const tr of rows) {
      if (tr.dataset.status !== "waiting") continue;
      setRow(tr, "notSent", "Not sent: the run ended before this item.");
      counts.notSent += 1;
    }
    renderCounts(counts);

    const summary = `${counts.imported} imported, ${counts.failed} failed, ${counts.outcomeUnknown} outcome unknown`;
    const notSent = counts.notSent ? `; ${counts.notSent} not sent` : "";
    if (outcome.kind === "done") {
      const clean = counts.failed === 0 && counts.outcomeUnknown === 0;
      setStatus(`Done: ${summary}.`, clean ? "ok" : "error");
    } else if (outcome.kind === "stopped") {
      setStatus(`Stopped: ${summary}${notSent}. Posts under way when Stop was pressed were let finish.`, "error");
    } else {
      setStatus(`Import failed (${describeError(outcome.err)}): ${summary}${notSent}.`, "error");
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

  function row(index, name) {
    const tr = document.createElement("tr");
    const number = document.createElement("td");
    number.className = "col-index";
    number.textContent = String(index + 1);
    const file = document.createElement("td");
    file.className = "col-file";
    file.textContent = name;
    const status = document.createElement("td");
    status.className = "col-status";
    const detail = document.createElement("td");
    detail.className = "col-detail";
    tr.append(number, file, status, detail);
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
    if (!tr) return null;
    if (result.status === "imported") {
      const id = document.createElement("code");
      id.className = "item-id";
      id.textContent = result.itemId ?? "";
      setRow(tr, "imported", [id]);
      return "imported";
    }
    const error = result.error;
    if (result.status === "failed" && error?.code === "aborted") {
      setRow(tr, "notSent", "Not sent: Stop was pressed before it went out.");
      return "notSent";
    }
    if (result.status === "outcomeUnknown") {
      setRow(tr, "outcomeUnknown", [
        document.createTextNode("Sent, but no answer came back: it may exist; not sent again. "),
        errorDetail(error),
      ]);
      return "outcomeUnknown";
    }
    setRow(tr, "failed", [errorDetail(error)]);
    return "failed";
  }

  function errorDetail(error) {
    const span = document.createElement("span");
    span.className = "error-detail";
    if (!error) return span;
    const code = document.createElement("code");
    code.textContent = error.code ?? "error";
    const status = error.status ? ` (HTTP ${error.status})` : "";
    span.append(code, `${status}: ${error.message ?? ""}`);
    return span;
  }

  function setStatus(text, kind = "") {
    els.status.textContent = text;
    els.status.className = kind ? `status status-${kind}` : "status";
  }

  renderSelection();
  // Disabled in the HTML until the package has loaded and this pane is wired.
  els.start.disabled = false;

  return {
    /** "offline": sample items offered, folder prefilled; "tenant": the person types a real folder id. */
    setMode(mode) {
      offline = mode === "offline";
      if (!offline && pending.some((item) => item.sample)) setPending(pending.filter((item) => !item.sample));
      if (offline && !els.folder.value.trim()) els.folder.value = DEFAULT_FOLDER_ID;
      if (!offline && els.folder.value.trim() === DEFAULT_FOLDER_ID) els.folder.value = "";
      els.folder.placeholder = offline ? "" : "AAMkAGI2T…";
    },
  };
}

function describeError(err) {
  if (isMailboxError(err)) return `${err.code}: ${err.message}`;
  return err?.message || String(err);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
