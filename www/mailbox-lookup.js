// Mailbox lookup: a user id or UPN -> the user's primary and archive mailbox ids (resolveMailbox, Graph's
// /users/{user}/settings/exchange), each of which can become the copy pane's source or target, or the mailbox
// of the import session form.

import { PaneError, $, setStatus, showFailure, showProblem } from "./ui.js";

/**
 * run(fn): calls fn(client) with the page's MailboxClient, or throws a PaneError (not signed in);
 * targets: { copySource(id), copyTarget(id), importInto(id) }, each returning a sentence for the status line.
 * Returns { setMode(mode, demoUser) }.
 */
export function setupMailboxLookup({ run, targets }) {
  const els = {
    form: $("lookup-form"),
    user: $("lookup-user"),
    button: $("lookup-button"),
    status: $("lookup-status"),
    result: $("lookup-result"),
    caption: $("lookup-caption"),
    rows: $("lookup-rows"),
    error: $("lookup-error"),
  };
  let busy = false;
  let generation = 0; // a lookup answered after a mode switch is dropped
  let demoUser = null;

  els.form.addEventListener("submit", onLookup);

  async function onLookup(event) {
    event.preventDefault();
    if (busy) return;
    const user = els.user.value.trim();
    if (!user) {
      showProblem(els.status, new PaneError("Enter a user id or user principal name (name@domain).", els.user));
      return;
    }
    busy = true;
    const gen = ++generation;
    els.button.setAttribute("aria-disabled", "true");
    els.form.setAttribute("aria-busy", "true");
    els.error.hidden = true;
    els.result.hidden = true;
    setStatus(els.status, `Looking up ${user}…`);
    try {
      const found = await run((client) => client.resolveMailbox(user));
      if (gen !== generation) return;
      show(user, found);
      const archive = found.inPlaceArchiveMailboxId ? " and an archive mailbox" : ", no archive mailbox";
      setStatus(els.status, `${user}: a primary mailbox${archive}.`, "ok");
    } catch (err) {
      if (gen !== generation) return;
      showFailure(els.status, els.error, err, "Lookup failed", `Could not look up ${user}`);
    } finally {
      if (gen === generation) {
        busy = false;
        els.button.removeAttribute("aria-disabled");
        els.form.removeAttribute("aria-busy");
      }
    }
  }

  function show(user, found) {
    els.caption.textContent = `Mailboxes of ${user}`;
    const rows = [row(user, "primary", "Primary mailbox", found.primaryMailboxId)];
    rows.push(row(user, "archive", "Archive mailbox", found.inPlaceArchiveMailboxId ?? null));
    els.rows.replaceChildren(...rows);
    els.result.hidden = false;
  }

  function row(user, kind, title, id) {
    const tr = document.createElement("tr");
    tr.dataset.kind = kind;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = title;
    const idCell = document.createElement("td");
    idCell.className = "col-mailbox-id";
    if (id) {
      const code = document.createElement("code");
      code.className = "mailbox-id";
      code.textContent = id;
      const actions = document.createElement("div");
      actions.className = "use-buttons";
      idCell.append(code, actions);
      const which = kind === "primary" ? "the primary mailbox" : "the archive mailbox";
      for (const [text, label, use] of [
        ["Copy from", `Copy from ${which}`, targets.copySource],
        ["Copy into", `Copy into ${which}`, targets.copyTarget],
        ["Import into", `Import into ${which}`, targets.importInto],
      ]) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = text;
        button.setAttribute("aria-label", label);
        button.addEventListener("click", () => setStatus(els.status, use(id, `${user}'s ${kind} mailbox`), "ok"));
        actions.append(button);
      }
    } else {
      idCell.textContent = "None: this user has no in-place archive.";
      idCell.className = "col-mailbox-id muted";
    }
    tr.append(th, idCell);
    return tr;
  }

  return {
    /** "offline": the demo tenant's source user prefilled; "tenant": the person types a real user. */
    setMode(mode, demo) {
      generation += 1;
      busy = false;
      els.button.removeAttribute("aria-disabled");
      els.form.removeAttribute("aria-busy");
      const offline = mode === "offline";
      demoUser = demo ?? demoUser;
      const typed = els.user.value.trim();
      if (offline && !typed && demoUser) els.user.value = demoUser;
      if (!offline && typed && typed === demoUser) els.user.value = "";
      els.user.placeholder = offline ? "" : "name@contoso.onmicrosoft.com";
      els.result.hidden = true;
      els.error.hidden = true;
      setStatus(els.status, "");
    },
  };
}
