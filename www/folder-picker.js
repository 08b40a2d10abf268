// A folder picker: a mailbox's folder tree under a "Browse folders" button, loaded lazily (the top level when
// it opens, a folder's children when it is expanded), with each folder's item count and a "Show hidden
// folders" toggle. Picking a folder fills the folder field next to the button.
//
// Plain nested lists of buttons (a disclosure button per folder with children, and the folder's own button
// to pick it): every control is reachable with Tab and works with Enter or Space.

import { PaneError, describeError, plural } from "./ui.js";

let nextListId = 0; // ids of subfolder lists, for their disclosure buttons' aria-controls

/**
 * toggle: the "Browse folders" button (aria-controls names `panel`); panel: the element the tree goes in;
 * input: the folder id field it fills; pathEl: where the picked folder's path is shown (cleared when the
 * field is edited by hand); mailbox(): the mailbox to browse, or throws a PaneError; run(fn): calls
 * fn(client) with the page's MailboxClient, or throws a PaneError (not signed in); onPick(folder, path):
 * after a pick, `path` the display names from the top ("Inbox", "Projects", "2026"); countInPath: whether the
 * picked folder's item count is shown with its path (not for a target, whose count a copy changes).
 * Returns { close(), reset(), pickInbox(), pickedPath() }: reset forgets the tree (the mailbox changed);
 * pickInbox fills the field with the mailbox's Inbox; pickedPath gives the path of the folder in the field
 * when it was picked (null when it was typed).
 */
export function setupFolderPicker({ toggle, panel, input, pathEl, mailbox, run, onPick = () => {}, countInPath = true }) {
  const bar = document.createElement("div");
  bar.className = "picker-bar";
  const hiddenLabel = document.createElement("label");
  hiddenLabel.className = "check";
  const hiddenBox = document.createElement("input");
  hiddenBox.type = "checkbox";
  hiddenLabel.append(hiddenBox, " Show hidden folders");
  const where = document.createElement("span");
  where.className = "picker-mailbox";
  bar.append(hiddenLabel, where);
  const status = document.createElement("p");
  status.className = "picker-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const tree = document.createElement("ul");
  tree.className = "folder-tree";
  panel.replaceChildren(bar, status, tree);

  let loadedFor = null; // { mailboxId, includeHidden } of the tree on show
  let generation = 0; // bumped on every reload: answers for an older tree are dropped
  let pickedId = null;
  let pickedPath = null; // display names down to pickedId
  const hiddenIds = new Set(); // folders known to be hidden

  toggle.setAttribute("aria-expanded", "false");
  toggle.addEventListener("click", () => {
    if (panel.hidden) open();
    else close();
  });
  hiddenBox.addEventListener("change", () => load());
  input.addEventListener("input", () => {
    // Typed by hand: the path shown no longer names it.
    pickedId = null;
    pickedPath = null;
    pathEl.textContent = "";
    pathEl.classList.remove("picker-problem");
    markPicked();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    close();
    toggle.focus();
  });

  function open() {
    let mailboxId;
    try {
      mailboxId = mailbox();
    } catch (err) {
      showStatusOutside(err);
      return;
    }
    panel.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    // Fresh counts every time it opens (a copy may have added items since).
    load(mailboxId);
  }

  function close() {
    generation += 1;
    panel.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
  }

  function reset() {
    close();
    loadedFor = null;
    pickedId = null;
    pickedPath = null;
    hiddenIds.clear();
    tree.replaceChildren();
    status.textContent = "";
    pathEl.textContent = "";
    pathEl.classList.remove("picker-problem");
  }

  /** A PaneError before the panel opens (no mailbox yet): said in the path line, focus to the field. */
  function showStatusOutside(err) {
    pathEl.textContent = err.message;
    pathEl.classList.add("picker-problem");
    err.focus?.focus();
  }

  async function load(mailboxId = loadedFor?.mailboxId) {
    if (!mailboxId) return;
    pathEl.classList.remove("picker-problem");
    const includeHidden = hiddenBox.checked;
    const gen = ++generation;
    loadedFor = { mailboxId, includeHidden };
    where.textContent = `in ${mailboxId}`;
    tree.replaceChildren();
    tree.setAttribute("aria-busy", "true");
    status.textContent = "Loading folders…";
    try {
      const folders = await listLevel(mailboxId, undefined, includeHidden);
      if (gen !== generation) return;
      tree.replaceChildren(...folders.map((folder) => folderItem(folder, [], mailboxId, includeHidden)));
      status.textContent = folders.length
        ? `${plural(folders.length, "folder")}${includeHidden ? ", hidden ones included" : ""}. Pick one, or expand it to see its subfolders.`
        : "This mailbox has no folders.";
      markPicked();
    } catch (err) {
      if (gen !== generation) return;
      status.textContent = err instanceof PaneError ? err.message : `Could not list the folders: ${describeError(err)}`;
      status.classList.add("picker-error");
      if (err instanceof PaneError) err.focus?.focus();
      return;
    } finally {
      if (gen === generation) tree.removeAttribute("aria-busy");
    }
    status.classList.remove("picker-error");
  }

  /**
   * One level of the tree: the top-level folders or a folder's children. With hidden folders, those that are
   * hidden go in `hiddenIds`: Graph marks them with `isHidden`; where that property is missing (the mock
   * tenant leaves it out), the level is listed once more without hidden folders and the difference is taken.
   */
  async function listLevel(mailboxId, parentFolderId, includeHidden) {
    const folders = await run((client) => client.listFolders(mailboxId, { parentFolderId, includeHidden }));
    if (!includeHidden) return folders;
    if (folders.every((f) => typeof f.isHidden === "boolean")) {
      for (const f of folders) if (f.isHidden) hiddenIds.add(f.id);
      return folders;
    }
    const visible = new Set((await run((client) => client.listFolders(mailboxId, { parentFolderId }))).map((f) => f.id));
    for (const f of folders) if (f.isHidden === true || !visible.has(f.id)) hiddenIds.add(f.id);
    return folders;
  }

  function folderItem(folder, parents, mailboxId, includeHidden) {
    const name = folder.displayName || folder.id;
    const path = [...parents, name];
    const li = document.createElement("li");
    li.dataset.folderId = folder.id;
    const row = document.createElement("div");
    row.className = "folder-row";

    const hasChildren = (folder.childFolderCount ?? 0) > 0;
    let children = null;
    if (hasChildren) {
      const twisty = document.createElement("button");
      twisty.type = "button";
      twisty.className = "twisty";
      twisty.setAttribute("aria-expanded", "false");
      twisty.setAttribute("aria-label", `Subfolders of ${name}`);
      children = document.createElement("ul");
      children.className = "folder-tree folder-children";
      children.hidden = true;
      children.id = `${panel.id}-sub-${++nextListId}`;
      twisty.setAttribute("aria-controls", children.id);
      let loaded = false;
      twisty.addEventListener("click", async () => {
        const expanded = twisty.getAttribute("aria-expanded") === "true";
        if (expanded) {
          twisty.setAttribute("aria-expanded", "false");
          children.hidden = true;
          return;
        }
        twisty.setAttribute("aria-expanded", "true");
        children.hidden = false;
        if (loaded || twisty.getAttribute("aria-busy") === "true") return;
        const gen = generation;
        twisty.setAttribute("aria-busy", "true");
        const wait = document.createElement("li");
        wait.className = "folder-note";
        wait.textContent = "Loading…";
        children.replaceChildren(wait);
        try {
          const subfolders = await listLevel(mailboxId, folder.id, includeHidden);
          if (gen !== generation) return;
          loaded = true;
          if (subfolders.length) {
            children.replaceChildren(...subfolders.map((sub) => folderItem(sub, path, mailboxId, includeHidden)));
          } else {
            const none = document.createElement("li");
            none.className = "folder-note";
            none.textContent = includeHidden ? "No subfolders." : "No subfolders (hidden ones are not shown).";
            children.replaceChildren(none);
          }
          status.textContent = `${name}: ${plural(subfolders.length, "subfolder")}.`;
          markPicked();
        } catch (err) {
          if (gen !== generation) return;
          // Collapsed again, so that expanding it once more tries again.
          const failed = document.createElement("li");
          failed.className = "folder-note picker-error";
          failed.textContent = `Could not list the subfolders: ${err instanceof PaneError ? err.message : describeError(err)}`;
          children.replaceChildren(failed);
          twisty.setAttribute("aria-expanded", "false");
          status.textContent = failed.textContent;
          children.hidden = false;
        } finally {
          twisty.removeAttribute("aria-busy");
        }
      });
      row.append(twisty);
    } else {
      const spacer = document.createElement("span");
      spacer.className = "twisty-spacer";
      row.append(spacer);
    }

    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "folder-pick";
    pick.dataset.folderId = folder.id;
    const label = document.createElement("span");
    label.className = "folder-name";
    label.textContent = name;
    const count = document.createElement("span");
    count.className = "folder-count";
    const total = folder.totalItemCount;
    count.textContent = Number.isFinite(total) ? String(total) : "?";
    const countWord = document.createElement("span");
    countWord.className = "visually-hidden";
    countWord.textContent = Number.isFinite(total) && total === 1 ? " item" : " items";
    count.append(countWord);
    pick.append(label, " ", count);
    if (hiddenIds.has(folder.id)) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = "hidden";
      pick.append(" ", tag);
    }
    pick.title = folder.id;
    pick.addEventListener("click", () => {
      choose(folder, path);
      close();
      toggle.focus();
      onPick(folder, path);
    });
    row.append(pick);
    li.append(row);
    if (children) li.append(children);
    return li;
  }

  /** Puts `folder` in the field and its path (and item count) under it. */
  function choose(folder, path) {
    pickedId = folder.id;
    pickedPath = path;
    input.value = folder.id;
    pathEl.classList.remove("picker-problem");
    const total = folder.totalItemCount;
    const items = Number.isFinite(total) ? plural(total, "item") : "items unknown";
    pathEl.textContent = countInPath ? `${path.join(" › ")} · ${items}` : path.join(" › ");
    markPicked();
  }

  /**
   * Fills the field with the mailbox's Inbox: its top-level folder with the well-known name "inbox", else one
   * named "Inbox" (an archive's may have no well-known name). Without one, or when the folders cannot be
   * listed, the field is left empty and the path line asks for a pick: a folder id that does not exist in
   * this mailbox would fail every item. A pick or an edit made meanwhile wins.
   */
  async function pickInbox() {
    reset();
    input.value = "";
    let mailboxId;
    try {
      mailboxId = mailbox();
    } catch {
      return;
    }
    const gen = generation;
    pathEl.textContent = "Looking for this mailbox's Inbox…";
    const problem = (text) => {
      pathEl.textContent = text;
      pathEl.classList.add("picker-problem");
    };
    try {
      const folders = await run((client) => client.listFolders(mailboxId));
      if (gen !== generation || input.value !== "") return;
      const inbox =
        folders.find((f) => String(f.wellKnownName ?? "").toLowerCase() === "inbox") ??
        folders.find((f) => String(f.displayName ?? "").toLowerCase() === "inbox");
      if (inbox) choose(inbox, [inbox.displayName || "Inbox"]);
      else problem("This mailbox has no Inbox: browse its folders to pick one.");
    } catch (err) {
      if (gen !== generation || input.value !== "") return;
      problem(`Could not find the Inbox (${err instanceof PaneError ? err.message : describeError(err)}): browse the folders to pick one.`);
    }
  }

  function markPicked() {
    for (const button of panel.querySelectorAll(".folder-pick")) {
      if (button.dataset.folderId === pickedId) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  return {
    close,
    reset,
    pickInbox,
    pickedPath: () => (pickedId !== null && input.value.trim() === pickedId ? pickedPath : null),
  };
}
