// The import pane: items (chosen or dropped files, or generated samples in offline mode) go into the mailbox
// through MailboxClient.importItems, with a progress bar, counts and one row per item as it settles.
//
// app.js and settings-pane.js own the page's mode and token: `prepare()` gives the mailbox and the client
// options for a run (the same options, token provider included, that the page uses for createImportSession).
// Runs go through the page's one MailboxClient (clients.js) for as long as those options stay the same, so its
// import session carries over from run to run (and is shared with the copy pane); a new one is made after a
// switch of tenant, account or API version.

import { $, PaneError, cell, errorDetail, formatBytes, plural, redact, setStatus, showProblem } from "./ui.js";
import { setupItemRun } from "./item-run.js";

export { PaneError };

export const DEFAULT_FOLDER_ID = "AAMkInbox";
const SAMPLE_COUNT = 25;

const WORDS = {
  labels: {
    waiting: "Waiting",
    imported: "Imported",
    failed: "Failed",
    outcomeUnknown: "Outcome unknown",
    notSent: "Not sent",
  },
  imported: "imported",
  notSent: "not sent",
  failed: "Import failed",
  run: "import",
  stopping: "Stopping: no more items are sent; posts under way are let finish…",
  stopPressed: "Not sent: Stop was pressed before it went out.",
  endedBefore: "Not sent: the run ended before this item.",
  noAnswer: "Sent, but no answer came back: it may exist; not sent again. ",
};

/**
 * `prepare()` returns `{ mailboxId, key, options, folderPath }` for a run (`key` names the options: the same
 * key, the same client; `folderPath` the display names down to the folder in the field when it was picked,
 * else null) or throws a PaneError; `clients` is the page's client pool (clients.js). `onRunEnd()` is called after
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
    error: $("import-error"),
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
  const imports = setupItemRun({
    els,
    words: WORDS,
    // This pane says less of an item's error than the copy pane: its code, HTTP status and message (not
    // Graph's code).
    detail: (error, sameAs) => errorDetail(error && { code: error.code, status: error.status, message: error.message }, sameAs),
    onRunEnd,
  });

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
    setStatus(els.status, "");
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
    setStatus(els.status, "");
  });
  els.clear.addEventListener("click", () => {
    setPending([]);
    setStatus(els.status, "");
    els.files.focus();
  });
  els.form.addEventListener("submit", onImport);

  // -------------------------------------------------------------------------------------------------------
  // A run

  async function onImport(event) {
    event.preventDefault();
    // The button stays enabled (and focused) during a run; repeated submits are ignored.
    if (imports.busy()) return;
    const folderId = els.folder.value.trim();
    let prepared;
    try {
      if (!folderId) throw new PaneError("Enter a folder id.", els.folder);
      if (!pending.length) throw new PaneError(offline ? "Choose item files, or use the sample items." : "Choose item files.", els.files);
      prepared = prepare();
    } catch (err) {
      showProblem(els.status, err);
      return;
    }
    const items = pending;
    setPending([]);

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

    const folderName = prepared.folderPath?.join(" › ") ?? folderId;
    await imports.run({
      // One row per item.
      rows: items.map((item, i) => imports.row(i, fileCell(item.name))),
      status: `Importing ${plural(items.length, "item")} into ${folderName} (${prepared.mailboxId})…`,
      call: (options) => clients.use(prepared.key, prepared.options, (client) => client.importItems(prepared.mailboxId, source(), options)),
      // Every item goes to the same folder of the same mailbox: once one is refused as not found, so would
      // the rest be, each after a session of its own. Stop at the first.
      stopOn: (result) =>
        result.status === "failed" && result.error?.code === "notFound" ? notFound(result.error, folderName, prepared.mailboxId) : null,
    });
  }

  function fileCell(name) {
    const td = cell("col-file", name);
    td.title = name;
    return td;
  }

  /** Why the run stopped at its first notFound: the folder (the likelier) or the mailbox does not exist. */
  function notFound(error, folderName, mailboxId) {
    const said = `${error.code}${error.status ? `, HTTP ${error.status}` : ""}: ${redact(error.message)}`;
    // The import host's 404 (the folder) has no Graph error body; Graph's own (createImportSession: the
    // mailbox) has one, and with it a Graph code.
    const folder = !error.graphCode;
    return {
      title: folder ? `The folder ${folderName} was not found in ${mailboxId}` : `The mailbox ${mailboxId} was not found`,
      text: `The first item was refused (${said}); the rest would have been too.`,
      advice: folder ? "Pick a folder of this mailbox with Browse folders, then import again." : "Check the mailbox id, or look its user up above.",
    };
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
