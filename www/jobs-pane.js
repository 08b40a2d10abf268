// The Jobs view: migration jobs on the example Cloudflare Worker (examples/cloudflare-worker, "Migration jobs").
// A job copies a folder with its subfolders, or a whole mailbox, into another mailbox in the target mailbox's
// Durable Object: it goes on with this page closed, and each new run (a pass) copies only what changed since
// the last. The page starts jobs (POST /jobs), lists them (GET /jobs), follows one (GET /jobs/{id}, polled
// while it runs) with a progress bar per folder, cancels it and runs it again.
//
// The Worker takes a portal user's Entra ID access token for its own API (connection().token()): offline, one
// the demo server has the mock tenant mint; with a real tenant, MSAL's for the Worker's application id URI.
// A folder's bar measures the items settled in this pass against the source folder's item count, which the
// page reads itself (listFolderTree through the page's MailboxClient): the job reports what it settled, not
// what is left.

import { $, cell, el, plural, redact, setStatus, shortDate } from "./ui.js";

// How often a running job is read again.
const POLL_MS = 400;
// Jobs shown in the list (the newest).
const LIST_LIMIT = 20;
const FINISHED = new Set(["done", "failed", "cancelled"]);
const COUNTS = ["imported", "updated", "failed", "outcomeUnknown", "removedInSource"];

/** An error answer of the Worker, or a call that did not reach it. */
class JobsApiError extends Error {
  constructor({ status = 0, code, message, requestId }) {
    super(message ?? code);
    Object.assign(this, { status, code, requestId });
  }
}

/**
 * connection(): { workerUrl, token(): Promise<string> } for the page's mode, or throws a PaneError saying what
 * is missing. folderTree(mailboxId): the source's folders with their item counts (listFolderTree).
 * mock: offline only, the mock tenant's control API ({ addItems(folderId, n), changeItem(mailboxId, folderId) }).
 * Returns { setMode(mode, defaults) }.
 */
export function setupJobsPane({ connection, folderTree, mock }) {
  const els = {
    form: $("jobs-form"),
    source: $("jobs-source"),
    sourceFolder: $("jobs-source-folder"),
    target: $("jobs-target"),
    targetFolder: $("jobs-target-folder"),
    subfolders: $("jobs-subfolders"),
    since: $("jobs-since"),
    start: $("jobs-start"),
    refresh: $("jobs-refresh"),
    status: $("jobs-status"),
    error: $("jobs-error"),
    list: $("jobs-list"),
    rows: $("jobs-rows"),
    detail: $("job-detail"),
    heading: $("job-heading"),
    summary: $("job-summary"),
    counts: $("job-counts"),
    lastError: $("job-last-error"),
    folders: $("job-folders"),
    cancel: $("job-cancel"),
    runAgain: $("job-run"),
    remove: $("job-delete"),
    addItems: $("job-add-items"),
    changeItem: $("job-change-item"),
    note: $("job-note"),
    announce: $("jobs-announce"),
  };

  let mode = "offline";
  let shown = null; // the job on show (GET /jobs/{id})
  let poll = null; // the timer of the next read of the job on show
  let generation = 0; // bumped when another job is shown: late answers about the previous one are dropped
  const folderCounts = new Map(); // "jobId pass" -> Map(sourceFolderId -> totalItemCount), or a pending promise
  const folderNames = new Map(); // jobId -> the path of its source folder, once a job view named it

  els.form.addEventListener("submit", onStart);
  els.refresh.addEventListener("click", () => refreshList().catch((err) => showFailure(err, "Could not list the jobs")));
  els.cancel.addEventListener("click", onCancel);
  els.runAgain.addEventListener("click", onRunAgain);
  els.remove.addEventListener("click", onDelete);
  els.addItems.addEventListener("click", onAddItems);
  els.changeItem.addEventListener("click", onChangeItem);

  // ---------------------------------------------------------------------------------------------------------
  // The Worker's API

  async function api(method, path, body) {
    const { workerUrl, token } = connection();
    const headers = { authorization: `Bearer ${await token()}` };
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(`${workerUrl}${path}`, init);
    } catch {
      throw new JobsApiError({ code: "network", message: `The Worker at ${workerUrl} could not be reached.` });
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: reported below by status
    }
    if (!res.ok) {
      const e = json?.error ?? {};
      throw new JobsApiError({
        status: res.status,
        code: e.code ?? `http${res.status}`,
        message: e.message ?? `The Worker answered ${res.status}.`,
        requestId: e.requestId ?? res.headers.get("request-id") ?? undefined,
      });
    }
    return json;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Start

  /** The POST /jobs body from the form: { mailboxId } for an MBX: id, { user } otherwise. */
  function jobRequest() {
    const side = (input, folderInput, folderKey, what) => {
      const who = input.value.trim();
      if (!who) {
        input.focus();
        throw new JobsApiError({ code: "invalidArgument", message: `Enter the ${what}: a user (UPN or id) or a mailbox id (MBX:…).` });
      }
      const out = /^MBX:/i.test(who) ? { mailboxId: who } : { user: who };
      const folder = folderInput.value.trim();
      if (folder) out[folderKey] = folder;
      return out;
    };
    const body = {
      source: side(els.source, els.sourceFolder, "folderId", "source"),
      target: side(els.target, els.targetFolder, "parentFolderId", "target"),
      includeSubfolders: els.subfolders.checked,
    };
    // A date picked in the form: from midnight UTC of that day.
    if (els.since.value) body.receivedSince = `${els.since.value}T00:00:00Z`;
    return body;
  }

  async function onStart(event) {
    event.preventDefault();
    els.error.hidden = true;
    let body;
    try {
      body = jobRequest();
    } catch (err) {
      return setStatus(els.status, err.message, "error");
    }
    els.start.disabled = true;
    setStatus(els.status, "Starting the job…");
    try {
      const job = await api("POST", "/jobs", body);
      setStatus(els.status, `Job started: ${describeSides(job, folderNames)}.`, "ok");
      show(job);
      await refreshList();
    } catch (err) {
      showFailure(err, "Could not start the job");
    } finally {
      els.start.disabled = false;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The list

  async function refreshList() {
    const { jobs } = await api("GET", `/jobs?limit=${LIST_LIMIT}`);
    els.rows.replaceChildren(...jobs.map(jobRow));
    els.list.hidden = jobs.length === 0;
    if (!shown && jobs.length === 0) setStatus(els.status, "No jobs yet.");
  }

  function jobRow(job) {
    const tr = el("tr");
    tr.dataset.jobId = job.id;
    if (shown?.id === job.id) tr.classList.add("selected");
    const button = el("button", "link-button", "Show");
    button.type = "button";
    button.setAttribute("aria-label", `Show the job ${describeSides(job, folderNames)}, started ${shortDate(job.createdAt)}`);
    button.addEventListener("click", () => {
      els.error.hidden = true;
      show(job);
    });
    tr.append(
      cell("col-created", shortDate(job.createdAt)),
      cell("col-sides", describeSides(job, folderNames)),
      cell("col-job-status", el("span", `job-status ${job.status}`, job.status)),
      cell("col-pass", String(job.pass)),
      cell("col-copied", String(job.imported + job.updated)),
      cell("col-show", button),
    );
    return tr;
  }

  // ---------------------------------------------------------------------------------------------------------
  // One job

  /** Shows `job` (as the API answered it) and follows it while it runs. */
  function show(job) {
    const switched = shown?.id !== job.id;
    if (switched) {
      generation += 1;
      clearTimeout(poll);
      poll = null;
    }
    render(job);
    if (!FINISHED.has(job.status)) schedulePoll(job.id);
  }

  function schedulePoll(id) {
    clearTimeout(poll);
    const mine = generation;
    poll = setTimeout(async () => {
      poll = null;
      try {
        const job = await api("GET", `/jobs/${id}`);
        if (mine !== generation) return;
        const before = shown?.status;
        render(job);
        if (!FINISHED.has(job.status)) schedulePoll(id);
        if (before !== job.status) refreshList().catch(() => {});
      } catch (err) {
        if (mine !== generation) return;
        showFailure(err, "Could not read the job");
      }
    }, POLL_MS);
  }

  function render(job) {
    const previous = shown;
    shown = job;
    const top = job.source.folderId && job.folders.find((f) => f.sourceFolderId === job.source.folderId);
    if (top) folderNames.set(job.id, top.path.join(" › "));
    els.detail.hidden = false;
    els.heading.textContent = `Job ${describeSides(job, folderNames)}`;
    const times = [
      `created ${shortDate(job.createdAt)}`,
      job.startedAt ? `started ${shortDate(job.startedAt)}` : null,
      job.finishedAt ? `finished ${shortDate(job.finishedAt)}` : null,
    ].filter(Boolean);
    els.summary.replaceChildren(
      el("span", `job-status ${job.status}`, job.status),
      ` Pass ${job.pass} · ${plural(job.chunks, "chunk")} · ${times.join(", ")} (UTC)`,
      job.receivedSince ? ` · items received since ${shortDate(job.receivedSince)}` : "",
      job.includeSubfolders ? "" : " · without subfolders",
    );
    renderCounts(job);
    if (job.lastError?.code) {
      const graph = job.lastError.graphCode ? `, ${job.lastError.graphCode}` : "";
      const http = job.lastError.upstreamStatus ? ` (HTTP ${job.lastError.upstreamStatus}${graph})` : graph ? ` (${graph.slice(2)})` : "";
      setStatus(els.lastError, `Last error: ${job.lastError.code}${http}${job.lastError.at ? ` at ${shortDate(job.lastError.at)}` : ""}.`, "error");
      els.lastError.hidden = false;
    } else {
      els.lastError.hidden = true;
    }
    renderFolders(job);
    const finished = FINISHED.has(job.status);
    els.cancel.disabled = finished;
    els.runAgain.disabled = !finished;
    els.remove.disabled = !finished;
    els.addItems.disabled = !sourceFolderOf(job);
    els.changeItem.disabled = !sourceFolderOf(job);
    for (const row of els.rows.querySelectorAll("tr")) row.classList.toggle("selected", row.dataset.jobId === job.id);
    if (previous?.id !== job.id || previous.status !== job.status || previous.pass !== job.pass) {
      els.announce.textContent = `Job ${job.status}, pass ${job.pass}: ${plural(job.imported, "item")} imported, ${job.updated} updated, ${job.failed} failed.`;
    }
  }

  function renderCounts(job) {
    const labels = {
      imported: "Imported",
      updated: "Updated",
      failed: "Failed",
      outcomeUnknown: "Outcome unknown",
      removedInSource: "Removed in source",
    };
    const classes = { imported: "imported", updated: "imported", failed: "failed", outcomeUnknown: "unknown", removedInSource: "removed" };
    els.counts.replaceChildren(
      ...COUNTS.map((key) => {
        const n = job[key] ?? 0;
        const strong = el("strong", "", String(n));
        strong.id = `job-count-${key}`;
        return el("li", `count ${classes[key]}${n === 0 ? " zero" : ""}`, labels[key], strong);
      }),
    );
  }

  /** The source's item count per folder for this pass (first pass only; later passes copy changes). */
  function itemCountsFor(job) {
    if (job.pass !== 1) return null;
    const key = `${job.id} ${job.pass}`;
    const known = folderCounts.get(key);
    if (known instanceof Map) return known;
    if (!known) {
      const pending = folderTree(job.source.mailboxId)
        .then((tree) => {
          const counts = new Map(tree.filter((f) => Number.isInteger(f.totalItemCount)).map((f) => [f.id, f.totalItemCount]));
          folderCounts.set(key, counts);
          if (shown?.id === job.id) renderFolders(shown);
        })
        .catch(() => {
          // Without the counts (no permission to read the source, say) the bars say only what is done.
          folderCounts.set(key, new Map());
        });
      folderCounts.set(key, pending);
    }
    return null;
  }

  function renderFolders(job) {
    const counts = itemCountsFor(job);
    els.folders.replaceChildren(
      ...job.folders.map((folder) => {
        const settled = folder.imported + folder.updated + folder.failed + folder.outcomeUnknown;
        const total = counts?.get(folder.sourceFolderId);
        const path = folder.path.join(" › ");
        const bar = el("progress", "folder-progress");
        bar.setAttribute("aria-label", `${path}: items settled`);
        let text;
        if (folder.status === "failed") {
          bar.max = 1;
          bar.value = 0;
          text = `failed${folder.errorCode ? `: ${folder.errorCode}` : ""}`;
        } else if (total !== undefined) {
          // First pass: settled of the folder's items; a done folder is full (receivedSince may skip some).
          bar.max = Math.max(total, 1);
          bar.value = folder.status === "done" ? bar.max : Math.min(settled, bar.max);
          text = folder.status === "done" && settled < total ? `${settled} of ${total} (done)` : `${settled} of ${total}`;
        } else if (folder.status === "done") {
          bar.max = 1;
          bar.value = 1;
          text = job.pass === 1 ? plural(settled, "item") : settled ? `${plural(settled, "change")} copied` : "no changes";
        } else if (folder.status === "copying") {
          // Indeterminate: how many changes wait in this folder is known only once it is done.
          text = settled ? `${settled} so far` : "copying…";
        } else {
          bar.max = 1;
          bar.value = 0;
          text = folder.status;
        }
        const li = el(
          "li",
          `job-folder ${folder.status}`,
          el("span", "folder-path", path),
          bar,
          el("span", "folder-settled", text),
        );
        li.dataset.folderId = folder.sourceFolderId;
        li.title = redact(folder.sourceFolderId);
        return li;
      }),
    );
    if (job.folders.length === 0) els.folders.append(el("li", "job-folder none", FINISHED.has(job.status) ? "No folders." : "Reading the source's folders…"));
  }

  async function onCancel() {
    if (!shown) return;
    els.cancel.disabled = true;
    const mine = generation;
    try {
      const job = await api("POST", `/jobs/${shown.id}/cancel`);
      if (mine !== generation) return;
      setStatus(els.status, "Cancel requested: no new item is sent; the ones under way settle.", "ok");
      show(job);
      if (FINISHED.has(job.status)) await refreshList();
    } catch (err) {
      els.cancel.disabled = false;
      showFailure(err, "Could not cancel the job");
    }
  }

  async function onRunAgain() {
    if (!shown) return;
    els.runAgain.disabled = true;
    const mine = generation;
    try {
      const job = await api("POST", `/jobs/${shown.id}/run`);
      if (mine !== generation) return;
      setStatus(els.status, `Pass ${job.pass} queued: only what changed in the source since the last pass is copied.`, "ok");
      show(job);
      await refreshList();
    } catch (err) {
      els.runAgain.disabled = false;
      showFailure(err, "Could not run the job again");
    }
  }

  /**
   * Deletes the finished job on show, after asking: with it go its copy state and item map, so a later job
   * for the same folders copies every item again.
   */
  async function onDelete() {
    if (!shown) return;
    const job = shown;
    const question = `Delete this job? Its copies stay in ${job.target.mailboxId}, but what it knows of them goes: ` +
      "a new job for the same folders would copy every item again.";
    if (!window.confirm(question)) return;
    els.remove.disabled = true;
    try {
      await api("DELETE", `/jobs/${job.id}`);
      if (shown?.id !== job.id) return;
      generation += 1;
      clearTimeout(poll);
      poll = null;
      shown = null;
      els.detail.hidden = true;
      await refreshList();
      setStatus(els.status, "Job deleted.", "ok");
    } catch (err) {
      els.remove.disabled = false;
      showFailure(err, "Could not delete the job");
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Offline: the mock tenant plays a user at work in the source

  /** The source folder new items go into: the job's folder, else the first it copied. */
  function sourceFolderOf(job) {
    return job.source.folderId ?? job.folders.find((f) => f.status !== "failed")?.sourceFolderId ?? null;
  }

  async function onAddItems() {
    const folderId = shown && sourceFolderOf(shown);
    if (!folderId) return;
    try {
      await mock.addItems(folderId, 2);
      setStatus(els.note, "2 new items in the source. Run the job again: it copies those 2 only.", "ok");
    } catch (err) {
      setStatus(els.note, `The mock tenant did not add them (${err.message}).`, "error");
    }
  }

  async function onChangeItem() {
    const folderId = shown && sourceFolderOf(shown);
    if (!folderId) return;
    try {
      const itemId = await mock.changeItem(shown.source.mailboxId, folderId);
      setStatus(els.note, `Changed item ${itemId} in the source. Run the job again: its copy is updated, not copied twice.`, "ok");
    } catch (err) {
      setStatus(els.note, `The mock tenant did not change it (${err.message}).`, "error");
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Errors

  function showFailure(err, heading) {
    if (!(err instanceof JobsApiError)) {
      // A PaneError (nothing to call with) or a token provider's failure: the status line says it.
      setStatus(els.status, err.message, "error");
      err.focus?.focus();
      return;
    }
    setStatus(els.status, `${heading}: ${err.code}${err.status ? ` (HTTP ${err.status})` : ""}.`, "error");
    const dl = el("dl", "details");
    const add = (term, value) => {
      if (value === undefined || value === null || value === "") return;
      dl.append(el("dt", "", term), el("dd", "", redact(String(value))));
    };
    add("Code", err.code);
    add("Status", err.status || null);
    add("Request id", err.requestId);
    add("Message", err.message);
    els.error.replaceChildren(el("h3", "", heading), dl);
    els.error.hidden = false;
  }

  return {
    /**
     * The page's mode: "offline" fills the form with the demo tenant's users (`defaults`: { source, target,
     * sourceFolderId }) where it is empty and offers the mock's buttons; "tenant" leaves the form as it is.
     */
    setMode(pageMode, defaults = {}) {
      if (mode !== pageMode) {
        // Another Worker, another sign-in: what is on show belongs to the previous one.
        generation += 1;
        clearTimeout(poll);
        poll = null;
        shown = null;
        els.detail.hidden = true;
        els.list.hidden = true;
        els.rows.replaceChildren();
        els.error.hidden = true;
        setStatus(els.status, "");
      }
      mode = pageMode;
      if (mode === "offline") {
        if (!els.source.value) els.source.value = defaults.source ?? "";
        if (!els.sourceFolder.value) els.sourceFolder.value = defaults.sourceFolderId ?? "";
        if (!els.target.value) els.target.value = defaults.target ?? "";
      }
      els.addItems.hidden = mode !== "offline";
      els.changeItem.hidden = mode !== "offline";
    },
    /** Enables the form and reads the list (or says why the view cannot work). */
    async start() {
      els.start.disabled = false;
      els.refresh.disabled = false;
      try {
        await refreshList();
      } catch (err) {
        // Said on the status line; focus stays where the page put it.
        if (err instanceof JobsApiError) showFailure(err, "Could not list the jobs");
        else setStatus(els.status, err.message, "error");
      }
    },
  };
}

/**
 * "adele@contoso.com › Inbox → megan@contoso.com": who the job copies from and to, the source folder by its
 * name once a view of the job named it (`folderNames`: jobId -> path), else by its id.
 */
function describeSides(job, folderNames) {
  const source = job.source.user ?? job.source.mailboxId;
  const folder = job.source.folderId ? ` › ${folderNames.get(job.id) ?? `folder ${job.source.folderId}`}` : "";
  const target = job.target.user ?? job.target.mailboxId;
  const into = job.target.parentFolderId ? ` › folder ${job.target.parentFolderId}` : "";
  return `${source}${folder} → ${target}${into}`;
}
