// Small helpers shared by the page's panes.

import { isMailboxError } from "graph-mailbox-import";

export const $ = (id) => document.getElementById(id);

/** An Error whose message is shown in a pane as it is, optionally with a control to move focus to. */
export class PaneError extends Error {
  constructor(message, focus = null) {
    super(message);
    this.focus = focus;
  }
}

/** A new `tag` element of class `className` (no class attribute when empty), holding `content`: nodes and strings. */
export function el(tag, className, ...content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...content);
  return node;
}

/** A table cell of class `className` holding `content`. */
export const cell = (className, ...content) => el("td", className, ...content);

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Text that may reach the screen, with anything that looks like a credential masked. The package promises
 * that its messages hold no token nor authtoken; this is for everything else (a provider's own error, say).
 */
export function redact(text) {
  return String(text ?? "")
    .replace(/([?&]authtoken=)[^&#\s]*/gi, "$1••••••")
    .replace(/\b(Bearer\s+)[^\s"',;]+/gi, "$1••••••");
}

/** "forbidden (HTTP 403, ErrorAccessDenied): Access is denied." for a MailboxError; the message otherwise. */
export function describeError(err) {
  if (isMailboxError(err)) return redact(`${describeCode(err)}: ${err.message}`);
  if (err?.name === "AbortError") return "stopped";
  return redact(err?.message || String(err));
}

/** "forbidden (HTTP 403, ErrorAccessDenied)" for a MailboxError, without its message; "unexpected error" otherwise. */
export function describeCode(err) {
  if (!isMailboxError(err)) return err?.name === "AbortError" ? "stopped" : "unexpected error";
  const extra = [err.status ? `HTTP ${err.status}` : null, err.graphCode ?? null].filter(Boolean);
  return `${err.code}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

/**
 * Fills an error panel (a `.panel.error` element) with what the call said: code, HTTP status, Graph's code,
 * request id and message; `heading` names the call ("The lookup failed").
 */
export function showErrorPanel(panel, err, heading) {
  const known = isMailboxError(err);
  const h = document.createElement("h3");
  h.textContent = heading;
  const dl = document.createElement("dl");
  dl.className = "details";
  const add = (term, value, asCode = false) => {
    if (value === undefined || value === null || value === "") return;
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    if (asCode) {
      const code = document.createElement("code");
      code.textContent = redact(value);
      dd.append(code);
    } else {
      dd.textContent = redact(value);
    }
    dl.append(dt, dd);
  };
  add("Code", known ? err.code : "unexpected", true);
  if (known) {
    add("Status", err.status ? String(err.status) : null);
    add("Graph code", err.graphCode, true);
    add("Request id", err.requestId, true);
  }
  add("Message", (err && err.message) || String(err));
  panel.replaceChildren(h, dl);
  panel.hidden = false;
}

/**
 * A result row's explanation of a per-item error: code, Graph's code, HTTP status and message; with `sameAs`
 * (the number of an earlier row showing the same message), that number instead of the message.
 */
export function errorDetail(error, sameAs) {
  const span = document.createElement("span");
  span.className = "error-detail";
  if (!error) return span;
  const code = document.createElement("code");
  code.className = "error-code";
  code.textContent = error.code ?? "error";
  span.append(code);
  if (error.graphCode) {
    const graph = document.createElement("code");
    graph.className = "graph-code";
    graph.textContent = error.graphCode;
    span.append(" ", graph);
  }
  const status = error.status ? ` (HTTP ${error.status})` : "";
  if (sameAs !== undefined) {
    span.append(status, el("span", "same-as", ` · as #${sameAs}`));
    span.title = redact(error.message ?? "");
  } else {
    span.append(`${status}: ${redact(error.message ?? "")}`);
  }
  return span;
}

export function setStatus(el, text, kind = "") {
  el.textContent = redact(text);
  el.className = kind ? `status status-${kind}` : "status";
}

/** Says on a pane's status line what is in the way (a PaneError's message); focus goes to the control to fix it. */
export function showProblem(statusEl, err) {
  setStatus(statusEl, err.message, "error");
  err.focus?.focus();
}

/**
 * A call that failed: a PaneError as a problem (above); anything else as `${failed}: ` and its code on the
 * status line, and in full (message included, once) in the error panel under `heading`.
 */
export function showFailure(statusEl, panel, err, failed, heading) {
  if (err instanceof PaneError) return showProblem(statusEl, err);
  setStatus(statusEl, `${failed}: ${describeCode(err)}.`, "error");
  showErrorPanel(panel, err, heading);
}

/** "2026-01-11 06:00" for Graph's "2026-01-11T06:00:00Z" (UTC as Graph wrote it); the text as it is otherwise. */
export function shortDate(text) {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(String(text ?? ""));
  return m ? `${m[1]} ${m[2]}` : String(text ?? "");
}
