// The folder section's mailboxes, seeded into a mock tenant running in its own process (bench/lib/mock-process.mjs):
// a source like the package tests' tree (12 folders in 3 levels, 3 of them well-known) holding any number of
// items of random bytes, and targets that have their own well-known folders.
import { randomFillSync } from "node:crypto";

const TENANT = "c0c0c0c0-0000-4000-8000-00000000c0de";

/** The source's folders, each with its share of the items (weights). */
function sourceFolders(label) {
  const fid = (name) => `AAMkADbench${label}${name}AAA=`;
  return [
    { id: fid("Inbox"), displayName: "Inbox", wellKnownName: "inbox", weight: 6 },
    { id: fid("Projects"), displayName: "Projects", parentFolderId: fid("Inbox"), weight: 1 },
    { id: fid("P2026"), displayName: "2026", parentFolderId: fid("Projects"), weight: 2 },
    { id: fid("P2025"), displayName: "2025", parentFolderId: fid("Projects"), weight: 2 },
    { id: fid("Receipts"), displayName: "Receipts", parentFolderId: fid("Inbox"), weight: 1 },
    { id: fid("Sent"), displayName: "Sent Items", wellKnownName: "sentitems", weight: 4 },
    { id: fid("Archive"), displayName: "Archive", wellKnownName: "archive", weight: 2 },
    { id: fid("Old"), displayName: "Old", parentFolderId: fid("Archive"), weight: 1 },
    { id: fid("Older"), displayName: "Older", parentFolderId: fid("Old"), weight: 1 },
    { id: fid("Clients"), displayName: "Clients", weight: 1 },
    { id: fid("Acme"), displayName: "Acme", parentFolderId: fid("Clients"), weight: 2 },
    { id: fid("Contracts"), displayName: "Contracts", parentFolderId: fid("Acme"), weight: 1 },
  ];
}

/** Items per folder: by weight, a few more here and there, so that no folder holds a multiple of 100 and
 *  chunk and folder boundaries fall where they would in a real mailbox. */
function shares(folders, total) {
  const weights = folders.reduce((s, f) => s + f.weight, 0);
  const out = folders.map((f, i) => Math.floor((total * f.weight) / weights) + (total >= 1200 ? (i % 3) * 7 : 0));
  const over = out.reduce((s, n) => s + n, 0) - total;
  out[0] -= over;
  return out;
}

export function tenantOf(mock) {
  const control = async (path, body) => {
    const response = await fetch(`${mock.graphUrl}/_mock/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`mock ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const mailbox = (name) => `MBX:bench-${name}@${TENANT}`;
  const targetFolders = (label) => [
    { id: `AAMkADbench${label}InboxAAA=`, displayName: "Inbox", wellKnownName: "inbox" },
    { id: `AAMkADbench${label}SentAAA=`, displayName: "Sent Items", wellKnownName: "sentitems" },
    { id: `AAMkADbench${label}ArchiveAAA=`, displayName: "Archive", wellKnownName: "archive" },
    { id: `AAMkADbench${label}CopiedAAA=`, displayName: "Copied" },
  ];
  /** Seeds a source of `total` items of `itemBytes` random bytes and one target per label. Gives the source's
   *  mailbox id, its item ids in folder order, its folder count and each target's "Copied" folder id. */
  async function seed(label, total, targetLabels, itemBytes) {
    const folders = sourceFolders(label);
    const source = mailbox(`${label}-source`);
    const mailboxes = { [source]: { folders: folders.map(({ weight, ...f }) => f) } };
    for (const t of targetLabels) mailboxes[mailbox(t)] = { folders: targetFolders(t) };
    await control("seed", { mailboxes, items: [] });
    const itemIds = [];
    const bytes = Buffer.alloc(itemBytes);
    let batch = [];
    const flush = async () => {
      if (batch.length) await control("seed", { items: batch });
      batch = [];
    };
    const perFolder = shares(folders, total);
    for (const [f, folder] of folders.entries()) {
      for (let k = 0; k < perFolder[f]; k++) {
        const id = `AAMkADbench${label}Item${String(itemIds.length).padStart(6, "0")}AAA=`;
        itemIds.push(id);
        batch.push({ id, folderId: folder.id, data: randomFillSync(bytes).toString("base64") });
        if (batch.length === 5000) await flush();
      }
    }
    await flush();
    const copiedFolder = Object.fromEntries(targetLabels.map((t) => [t, `AAMkADbench${t}CopiedAAA=`]));
    return { source, itemIds, folders: folders.length, copiedFolder };
  }
  return { mailbox, seed };
}
