// A run of items, as the import and copy panes show it: Start and Stop, a progress bar, the counts, one row
// per item as it settles (by position in the input, `result.index`), and the status line when it ends. The
// panes differ in their words, in the cell that names an item and in what they add at the end.
//
// A run that cannot succeed is stopped early, through its AbortSignal, and the pane's panel says why: after
// this many items in a row got no answer at all (the tenant stopped answering), or when the pane's own rule
// says so (the import pane: the folder does not exist).

import { PaneError, cell, el, errorDetail, redact, setStatus, showErrorPanel, showProblem } from "./ui.js";

// Screen readers hear the progress at most this often (the visible counts change with every item).
const ANNOUNCE_EVERY_MS = 3000;
// Items in a row that got no answer before the run is stopped: more than the four posts one mailbox has in
// flight, so one batch caught by a blip does not stop it, but a tenant that went away stops it within seconds.
const UNANSWERED_BEFORE_STOP = 5;

/** Whether an item got no answer at all: a network failure or timeout, or a create sent without an answer. */
function unanswered(result) {
  if (result.status === "outcomeUnknown") return true;
  return result.status === "failed" && ["network", "timeout"].includes(result.error?.code);
}

/**
 * els: the pane's form, start, stop, status, error (its panel), run, progress, settled, imported, failed,
 * unknown, unknownNote, rows and announce elements. words: labels (the badge of each row status: waiting,
 * imported, failed, outcomeUnknown, notSent); imported and notSent (the counts in the summary: "copied", "not
 * copied"); failed (the status when the call fails: "Copy failed"); run (what a run is called: "copy");
 * stopping (the status after Stop); stopPressed, endedBefore and noAnswer (a row's detail for an item Stop
 * kept back, one the run never got to, and one whose answer never came). detail(error, sameAs): an item's
 * error for its row (`sameAs`: the number of the row already showing the same message, shown instead of it).
 * onRunEnd(): after every run.
 *
 * Returns { busy(), abort(reason), row(index, itemCell), run({ rows, status, call, stopOn, onSettled, ended }),
 * renderProgress(settled, total) }.
 */
export function setupItemRun({ els, words, detail = errorDetail, onRunEnd = () => {} }) {
  let controller = null; // the running call's AbortController
  let shownMessages = new Map(); // an error message -> the number of the row that shows it in full
  let stoppedEarly = false; // the run under way was stopped by the page, not by Stop

  els.stop.addEventListener("click", () => {
    if (!controller || controller.signal.aborted) return;
    controller.abort(new DOMException("Stopped from the page.", "AbortError"));
    els.stop.disabled = true;
    els.start.focus();
    setStatus(els.status, words.stopping);
  });

  /**
   * Runs `call(options)` (importItems or copyItems, with `options` for it) over `rows`, one per item, `status`
   * on the status line meanwhile. stopOn(result): a reason to stop the run early after this result, as
   * { title, text, advice } (the panel's sentences), or null. onSettled(tr, result, count): after each result is shown on its row.
   * ended(outcome, counts): after the status line says how it ended (outcome: { kind: "done" | "stopped" |
   * "halted" | "failed", err, reason }).
   */
  async function run({ rows, status, call, stopOn = () => null, onSettled = () => {}, ended = () => {} }) {
    controller = new AbortController();
    const signal = controller.signal;
    const running = controller;
    setRunning(true);
    shownMessages = new Map();
    els.error.hidden = true;
    let halted = null; // { title, text, advice }: why the run was stopped early
    stoppedEarly = false;
    let unansweredInARow = 0;

    /** Stops the run for `reason`: no more items are taken, posts under way settle and are reported. */
    function halt(reason) {
      if (halted || signal.aborted) return;
      halted = reason;
      stoppedEarly = true;
      running.abort(new DOMException(`${reason.title}.`, "AbortError"));
      els.stop.disabled = true;
      setStatus(els.status, `Stopping: ${reason.title}…`);
    }

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
        if (signal.aborted) return;
        unansweredInARow = unanswered(result) ? unansweredInARow + 1 : 0;
        if (unansweredInARow >= UNANSWERED_BEFORE_STOP) {
          const said = `${result.error?.code ?? result.status}: ${redact(result.error?.message ?? "")}`;
          halt({
            title: "The tenant stopped answering",
            text: `${unansweredInARow} items in a row got no answer (${said}).`,
            advice: "Check the connection, then run the rest again.",
          });
          return;
        }
        const reason = stopOn(result);
        if (reason) halt(reason);
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
      // Stopped early at its last items: nothing was left to keep back, but the panel still says why.
      outcome = halted ? { kind: "halted", reason: halted } : { kind: "done" };
    } catch (err) {
      if (halted) outcome = { kind: "halted", reason: halted };
      else outcome = signal.aborted ? { kind: "stopped" } : { kind: "failed", err };
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
    } else if (outcome.kind === "halted") {
      // The status line says what ended; the panel says why, once.
      setStatus(els.status, `Stopped: ${summary}${notSent}.`, "error");
      const { title, text, advice } = outcome.reason;
      const kept = `${counts.notSent} ${counts.notSent === 1 ? "item was" : "items were"} ${words.notSent}`;
      const left = counts.notSent ? ` The run was stopped; ${kept}.` : " The run was stopped.";
      const p = el("p", "halt-reason", el("strong", "", `${title}:`), ` ${text}${left} ${advice ?? ""}`.trimEnd());
      els.error.replaceChildren(p);
      els.error.hidden = false;
    } else if (outcome.err instanceof PaneError) {
      showProblem(els.status, outcome.err);
    } else {
      // The status line says what ended; the panel carries the error, once.
      setStatus(els.status, `${words.failed}: ${summary}${notSent}.`, "error");
      showErrorPanel(els.error, outcome.err, `The ${words.run} failed`);
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

  /**
   * An item's error for its row: in full on the first row with its message; on later rows the code and the
   * number of that row, so that one long message is not repeated down the table.
   */
  function rowDetail(tr, error, lead = null) {
    const message = error?.message ?? "";
    const first = shownMessages.get(message);
    if (message && first === undefined) shownMessages.set(message, tr.children[0].textContent);
    const sameAs = message ? first : undefined;
    const parts = [detail(error, sameAs)];
    if (lead && sameAs === undefined) parts.unshift(document.createTextNode(lead));
    return parts;
  }

  /** Shows an ItemResult on its row; returns the count it belongs to. */
  function showResult(tr, result) {
    if (result.status === "imported") {
      const id = result.itemId ?? "";
      const code = el("code", "item-id", id);
      code.title = id;
      setRow(tr, "imported", [code]);
      return "imported";
    }
    const error = result.error;
    if (result.status === "failed" && error?.code === "aborted") {
      setRow(tr, "notSent", stoppedEarly ? words.endedBefore : words.stopPressed);
      return "notSent";
    }
    if (result.status === "outcomeUnknown") {
      setRow(tr, "outcomeUnknown", rowDetail(tr, error, words.noAnswer));
      return "outcomeUnknown";
    }
    setRow(tr, "failed", rowDetail(tr, error));
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
