// The Simulate panel (offline mode): faults queued on the mock tenant for the next calls, and the lasting
// misbehaviour set through its config (refused exports, slow imports), read back after every call. Also the
// mock's request log, from which the session pane tells how many requests a call took, and a user at work in
// a source mailbox (new and changed items), for the Jobs view's next pass.

import { $ } from "./ui.js";

// Simulate: the wait the mock tenant adds to every import post, long enough to press Stop mid-copy.
const SLOW_IMPORT_MS = 400;
// Simulate: what exportItems answers for the one item it refuses.
const EXPORT_REFUSAL = { code: "ErrorCorruptData", message: "The item is corrupt and cannot be exported." };

/**
 * controlUrl: the mock tenant's control API (config.json's mockControlUrl); maxRetries: the page's retries
 * (a fault that outlasts them); importMailbox(): the mailbox of the session form, for "Throttle the next 3
 * imports"; chosenItemIds(): the items chosen in the copy pane, for "Refuse to export one chosen item".
 * Returns { refresh(), graphRequestCount(), graphStatusesSince(before), addItems(folderId, n),
 * changeItem(mailboxId, folderId) }.
 */
export function setupSimulatePane({ controlUrl, maxRetries, importMailbox, chosenItemIds }) {
  const els = { panel: $("simulate"), state: $("fault-state") };

  const FAULTS = {
    "throttle-once": () => [{ kind: "status", status: 429, times: 1 }],
    // One more 429 than the retries allow, so the call gives up with `throttled`.
    "throttle-always": () => [{ kind: "status", status: 429, times: maxRetries + 1 }],
    forbidden: () => [
      { kind: "status", status: 403, times: 1, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again." },
    ],
    // On the import host, for the mailbox in the form: three posts refused, each retried after a backoff.
    "throttle-imports": () => [{ target: "import", mailbox: importMailbox(), kind: "status", status: 429, times: 3 }],
  };

  for (const button of els.panel.querySelectorAll("button[data-fault]")) {
    button.addEventListener("click", () => onSimulate(button.dataset.fault));
  }

  async function mock(method, path, body) {
    const init = { method, cache: "no-store" };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { "content-type": "application/json" };
    }
    const res = await fetch(`${controlUrl}${path}`, init);
    if (!res.ok) throw new Error(`mock tenant: ${method} ${path} answered ${res.status}`);
    return res.status === 204 ? null : res.json();
  }

  async function onSimulate(kind) {
    try {
      if (kind === "export-error") {
        // One of the items chosen in the copy pane (the third, or the last of fewer): exportItems answers it
        // with an error, until Clear.
        const ids = chosenItemIds();
        if (!ids.length) {
          els.state.textContent = "Choose items in the copy pane first: one of them is then refused.";
          return;
        }
        const id = ids[Math.min(2, ids.length - 1)];
        await mock("POST", "/config", { exportItemErrors: { [id]: EXPORT_REFUSAL } });
      } else if (kind === "slow-imports") {
        await mock("POST", "/config", { importLatencyMs: SLOW_IMPORT_MS });
      } else {
        // Replace whatever was queued, so "next call" means exactly what was last clicked.
        await mock("DELETE", "/faults");
        if (kind === "clear") await mock("POST", "/config", { exportItemErrors: {}, importLatencyMs: 0 });
        if (FAULTS[kind]) await mock("POST", "/faults", { faults: FAULTS[kind]() });
      }
    } catch (err) {
      els.state.textContent = `Could not reach the mock tenant (${err.message}).`;
      return;
    }
    await refresh();
  }

  async function refresh() {
    try {
      const [{ faults }, settings] = await Promise.all([mock("GET", "/faults"), mock("GET", "/config")]);
      els.state.textContent = [describeFaults(faults), ...describeSettings(settings)].join(". ");
    } catch (err) {
      els.state.textContent = `Could not reach the mock tenant (${err.message}).`;
    }
  }

  return {
    /** Reads the fault queue and config back from the mock and shows them. */
    refresh,
    /** How many Graph requests the mock tenant has seen, to tell a call's requests from earlier ones; null when unknown. */
    async graphRequestCount() {
      try {
        return (await mock("GET", "/requests?server=graph")).requests.length;
      } catch {
        return null;
      }
    },
    /** New mail: `n` new items in a folder of the mock tenant (a few hundred bytes each, all different). */
    async addItems(folderId, n) {
      for (let i = 1; i <= n; i += 1) {
        const text = `New item ${i} of ${n}, added ${new Date().toISOString()} (${crypto.randomUUID()})`;
        await mock("POST", "/add-item", { folderId, data: btoa(text) });
      }
    },
    /** A user's edit of the first item of a folder (new content, new changeKey). Resolves its id. */
    async changeItem(mailboxId, folderId) {
      const { items } = await mock("GET", `/items?mailbox=${encodeURIComponent(mailboxId)}`);
      const item = items.find((it) => it.folderId === folderId);
      if (!item) throw new Error("the folder has no item to change");
      const text = `Edited ${new Date().toISOString()} (${crypto.randomUUID()})`;
      await mock("POST", "/change-item", { itemId: item.itemId, data: btoa(text) });
      return item.itemId;
    },
    /** Statuses the mock tenant answered since `before` requests, e.g. [429, 200]; null when unknown. */
    async graphStatusesSince(before) {
      if (before === null) return null;
      try {
        const { requests } = await mock("GET", "/requests?server=graph");
        return requests.slice(before).map((r) => r.status);
      } catch {
        return null;
      }
    },
  };
}

/** "Next call: 429 once", "Next imports into MBX:...: 429 ×3", or both, from the mock's fault queue. */
function describeFaults(faults) {
  const list = (some) => some.map((f) => `${f.status ?? f.kind}${f.times > 1 ? ` ×${f.times}` : " once"}`).join(", then ");
  const graph = faults.filter((f) => (f.target ?? "graph") === "graph");
  const imports = faults.filter((f) => f.target === "import");
  const parts = [];
  if (graph.length || !imports.length) parts.push(`Next call: ${graph.length ? list(graph) : "normal"}`);
  const mailboxes = [...new Set(imports.map((f) => f.mailbox ?? null))];
  for (const mailbox of mailboxes) {
    const some = imports.filter((f) => (f.mailbox ?? null) === mailbox);
    parts.push(`Next imports${mailbox ? ` into ${mailbox}` : ""}: ${list(some)}`);
  }
  return parts.join(". ");
}

/** The lasting misbehaviour set through the mock's config: refused exports, slow imports. */
function describeSettings(settings) {
  const parts = [];
  const refused = Object.keys(settings.exportItemErrors ?? {});
  if (refused.length) parts.push(`Export refused for ${refused.length === 1 ? `item ${refused[0]}` : `${refused.length} items`}`);
  if (settings.importLatencyMs > 0) parts.push(`Every import waits ${settings.importLatencyMs} ms`);
  return parts;
}
