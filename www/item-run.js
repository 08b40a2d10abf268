// A run of items, as the import and copy panes show it: Start and Stop, a progress bar, the counts, one row
// per item as it settles (by position in the input, `result.index`), and the status line when it ends. The
// panes differ in their words, in the cell that names an item and in what they add at the end.

import { PaneError, cell, describeError, el, errorDetail, setStatus, showProblem } from "./ui.js";

// Screen readers hear the progress at most this often (the visible counts change with every item).
const ANNOUNCE_EVERY_MS = 3000;

/**
 * els: the pane's form, start, stop, status, run, progress, settled, imported, failed, unknown, unknownNote,
 * rows and announce elements. words: labels (the badge of each row status: waiting, imported, failed,
 * outcomeUnknown, notSent); imported and notSent (the counts in the summary: "copied", "not copied");
 * failed (the status when the call fails: "Copy failed"); stopping (the status after Stop); stopPressed,
 * endedBefore and noAnswer (a row's detail for an item Stop kept back, one the run never got to, and one
 * whose answer never came). describe(err) and detail(error): the call's error for the status line, and an
 * item's error for its row. onRunEnd(): after every run.
 *
 * Returns { busy(), abort(reason), row(index, itemCell), run({ rows, status, call, onSettled, ended }),
 * renderProgress(settled, total) }.
 */
export function setupItemRun({ els, words, describe = describeError, detail = errorDetail, onRunEnd = () => {} }) {
  let controller = null; // the running call's AbortController

  els.stop.addEventListener("click", () => {
    if (!controller || controller.signal.aborted) return;
    controller.abort(new DOMException("Stopped from the page.", "AbortError"));
    els.stop.disabled = true;
    els.start.focus();
    setStatus(els.status, words.stopping);
  });

  /**
   * Runs `call(options)` (importItems or copyItems, with `options` for it) over `rows`, one per item, `status`
   * on the status line meanwhile. onSettled(tr, result, count): after each result is shown on its row.
   * ended(outcome, counts): after the status line says how it ended (outcome: { kind: "done" | "stopped" |
   * "failed", err }).
   */
  async function run({ rows, status, call, onSettled = () => {}, ended = () => {} }) {
    controller = new AbortController();
    const signal = controller.signal;
    setRunning(true);

    const total = rows.length;
    els.rows.replaceChildren(...rows);
    const counts = { imported: 0, failed: 0, outcomeUnknown: 0, notSent: 0 };
    let lastAnnounced = Date.now();
    renderCounts(counts);
    renderProgress(0, total);
    els.run.hidden = false;
    els.announce.textContent = "";
    setStatus(els.status, status);

    const options = {
      signal,
      onResult: (result) => {
        const tr = rows[result.index];
        if (!tr) return;
        const count = showResult(tr, result);
        counts[count] += 1;
        onSettled(tr, result, count);
        renderCounts(counts);
      },
      onProgress: (progress) => {
        renderProgress(progress.settled, total);
        if (Date.now() - lastAnnounced >= ANNOUNCE_EVERY_MS) {
          lastAnnounced = Date.now();
          els.announce.textContent = `${progress.settled} of ${total} items settled.`;
        }
      },
      // Rows and counts come from onResult; the report would hold the same again.
      keepResults: false,
    };
    let outcome;
    try {
      await call(options);
      outcome = { kind: "done" };
    } catch (err) {
      outcome = signal.aborted ? { kind: "stopped" } : { kind: "failed", err };
    }

    // Items the run never got to (stopped, or the call failed): say so on their rows.
    for (const tr of rows) {
      if (tr.dataset.status !== "waiting") continue;
      setRow(tr, "notSent", words.endedBefore);
      counts.notSent += 1;
    }
    renderCounts(counts);

    const summary = `${counts.imported} ${words.imported}, ${counts.failed} failed, ${counts.outcomeUnknown} outcome unknown`;
    const notSent = counts.notSent ? `; ${counts.notSent} ${words.notSent}` : "";
    if (outcome.kind === "done") {
      const clean = counts.failed === 0 && counts.outcomeUnknown === 0;
      setStatus(els.status, `Done: ${summary}.`, clean ? "ok" : "error");
    } else if (outcome.kind === "stopped") {
      setStatus(els.status, `Stopped: ${summary}${notSent}. Posts under way when Stop was pressed were let finish.`, "error");
    } else if (outcome.err instanceof PaneError) {
      showProblem(els.status, outcome.err);
    } else {
      setStatus(els.status, `${words.failed} (${describe(outcome.err)}): ${summary}${notSent}.`, "error");
    }
    ended(outcome, counts);
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

  /** A waiting row for the item at `index`: its number, `itemCell` (the td that names the item), status, detail. */
  function row(index, itemCell) {
    const tr = el("tr", "", cell("col-index", String(index + 1)), itemCell, cell("col-status"), cell("col-detail"));
    setRow(tr, "waiting", "");
    return tr;
  }

  function setRow(tr, status, detail) {
    tr.dataset.status = status;
    tr.children[2].replaceChildren(el("span", "badge", words.labels[status] ?? status));
    if (typeof detail === "string") tr.children[3].textContent = detail;
    else tr.children[3].replaceChildren(...detail);
  }

  /** Shows an ItemResult on its row; returns the count it belongs to. */
  function showResult(tr, result) {
    if (result.status === "imported") {
      setRow(tr, "imported", [el("code", "item-id", result.itemId ?? "")]);
      return "imported";
    }
    const error = result.error;
    if (result.status === "failed" && error?.code === "aborted") {
      setRow(tr, "notSent", words.stopPressed);
      return "notSent";
    }
    if (result.status === "outcomeUnknown") {
      setRow(tr, "outcomeUnknown", [document.createTextNode(words.noAnswer), detail(error)]);
      return "outcomeUnknown";
    }
    setRow(tr, "failed", [detail(error)]);
    return "failed";
  }

  return {
    /** Whether a run is under way (the Start button stays enabled during one; a repeated submit is ignored). */
    busy: () => controller !== null,
    /** Stops the run under way, if any, as Stop does but without a word on the page. */
    abort: (reason) => controller?.abort(reason),
    row,
    run,
    renderProgress,
  };
}
