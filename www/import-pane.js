// The import pane: items (dropped files, or generated samples in offline mode) go into the mailbox through
// one MailboxClient.importItems run, with a progress bar and one row per item as it settles.
// app.js owns the page's mode and token; it hands this pane a function that gives the client options.

import { MailboxClient, isMailboxError } from "graph-mailbox-import";

const $ = (id) => document.getElementById(id);

const STATUS_TEXT = {
  imported: "Imported",
  failed: "Failed",
  outcomeUnknown: "Outcome unknown: sent, but no answer came back; it may exist and was not sent again",
};

/**
 * `clientOptions()` returns `{ options, mailboxId }` for a run, or throws an Error whose message is shown
 * (for example "Sign in with Microsoft first."). `isOffline()` says whether sample items are offered.
 */
export function setupImportPane({ clientOptions, isOffline }) {
  const els = {
    form: $("import-form"),
    folder: $("import-folder"),
    files: $("import-files"),
    drop: $("import-drop"),
    samples: $("import-samples"),
    start: $("import-start"),
    stop: $("import-stop"),
    progress: $("import-progress"),
    counts: $("import-counts"),
    status: $("import-status"),
    rows: $("import-rows"),
  };
  let pending = []; // [{ name, data }]
  let controller = null;

  const setStatus = (text, kind = "") => {
    els.status.textContent = text;
    els.status.className = kind ? `status status-${kind}` : "status";
  };
  const describePending = () =>
    setStatus(pending.length ? `${pending.length} item${pending.length === 1 ? "" : "s"} ready to import.` : "Choose item files.");

  async function addFiles(fileList) {
    const files = [...fileList];
    const read = await Promise.all(files.map(async (file) => ({ name: file.name, data: new Uint8Array(await file.arrayBuffer()) })));
    pending = pending.concat(read.filter((item) => item.data.length > 0));
    describePending();
  }

  els.files.addEventListener("change", () => addFiles(els.files.files));
  els.drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    els.drop.classList.add("drag");
  });
  els.drop.addEventListener("dragleave", () => els.drop.classList.remove("drag"));
  els.drop.addEventListener("drop", (event) => {
    event.preventDefault();
    els.drop.classList.remove("drag");
    addFiles(event.dataTransfer.files);
  });
  els.samples.addEventListener("click", () => {
    const encoder = new TextEncoder();
    pending = Array.from({ length: 25 }, (_, i) => ({
      name: `sample-${String(i + 1).padStart(2, "0")}.fts`,
      data: encoder.encode(`sample FastTransfer stream ${i + 1} ${Date.now()}`),
    }));
    describePending();
  });
  els.stop.addEventListener("click", () => controller?.abort(new Error("Stopped by the user")));

  els.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (controller) return;
    const folderId = els.folder.value.trim();
    if (!folderId) {
      setStatus("Enter a folder id.", "error");
      els.folder.focus();
      return;
    }
    if (!pending.length) {
      setStatus(isOffline() ? "Choose item files, or use the sample items." : "Choose item files.", "error");
      return;
    }
    let run;
    try {
      run = clientOptions();
    } catch (err) {
      setStatus(err.message, "error");
      return;
    }
    const items = pending;
    pending = [];
    controller = new AbortController();
    els.start.setAttribute("aria-disabled", "true");
    els.stop.disabled = false;
    els.rows.replaceChildren(...items.map((item) => row(item.name)));
    els.progress.max = items.length;
    els.progress.value = 0;
    setStatus(`Importing ${items.length} items…`);

    const client = new MailboxClient(run.options);
    const source = items.map((item) => ({ folderId, data: item.data }));
    try {
      const report = await client.importItems(run.mailboxId, source, {
        signal: controller.signal,
        onResult: (result) => showResult(els.rows.children[result.index], result),
        onProgress: (p) => {
          els.progress.value = p.settled;
          els.counts.textContent = `${p.settled} of ${p.total} settled: ${p.imported} imported, ${p.failed} failed, ${p.outcomeUnknown} outcome unknown`;
        },
      });
      const kind = report.failed || report.outcomeUnknown ? "error" : "ok";
      setStatus(`Done: ${report.imported} imported, ${report.failed} failed, ${report.outcomeUnknown} outcome unknown.`, kind);
    } catch (err) {
      if (controller.signal.aborted) {
        for (const tr of els.rows.children) {
          if (!tr.dataset.status) {
            tr.dataset.status = "notSent";
            tr.children[1].textContent = "Not sent (stopped)";
          }
        }
        setStatus("Stopped: items already sent were allowed to finish; the table shows how each one ended.", "error");
      } else {
        setStatus(`Import failed: ${isMailboxError(err) ? `${err.code}: ${err.message}` : err}`, "error");
      }
    } finally {
      client.free();
      controller = null;
      els.start.removeAttribute("aria-disabled");
      els.stop.disabled = true;
    }
  });

  function row(name) {
    const tr = document.createElement("tr");
    const file = document.createElement("td");
    file.textContent = name;
    const status = document.createElement("td");
    status.textContent = "Waiting";
    const detail = document.createElement("td");
    tr.append(file, status, detail);
    return tr;
  }

  function showResult(tr, result) {
    if (!tr) return;
    tr.dataset.status = result.status;
    tr.children[1].textContent = STATUS_TEXT[result.status] ?? result.status;
    tr.children[2].textContent = result.itemId ?? (result.error ? `${result.error.code}: ${result.error.message}` : "");
  }

  describePending();
}
