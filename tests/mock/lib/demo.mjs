// The demo tenant: a deterministic seed (two users, a source mailbox with its archive, a target mailbox, folders
// and items) that the demo page, the package tests and the Worker tests start from.

import { seededRandom } from "./util.mjs";

/** Stable ids of demoSeed(): users, mailboxes, folders and items. */
export const DEMO_IDS = Object.freeze({
  sourceUser: "adele@contoso.com",
  targetUser: "megan@contoso.com",
  sourceMailbox: "MBX:ade1e000-0000-4000-8000-000000000001@c0c0c0c0-0000-4000-8000-00000000c0de",
  sourceArchive: "MBX:ade1e000-0000-4000-8000-0000000000a1@c0c0c0c0-0000-4000-8000-00000000c0de",
  targetMailbox: "MBX:3e6a0000-0000-4000-8000-000000000002@c0c0c0c0-0000-4000-8000-00000000c0de",
  // Root folders ("Top of Information Store"): the parentFolderId of top-level folders.
  roots: Object.freeze({
    source: "AAMkADdemoSrcRootAAA=",
    archive: "AAMkADdemoArcRootAAA=",
    target: "AAMkADdemoDstRootAAA=",
  }),
  folders: Object.freeze({
    inbox: "AAMkADdemoSrcInboxAAA=",
    projects: "AAMkADdemoSrcProjectsAAA=",
    y2026: "AAMkADdemoSrc2026AAA=",
    receipts: "AAMkADdemoSrcReceiptsAAA=",
    sentItems: "AAMkADdemoSrcSentItemsAAA=",
    drafts: "AAMkADdemoSrcDraftsAAA=",
    deletedItems: "AAMkADdemoSrcDeletedItemsAAA=",
    archive: "AAMkADdemoSrcArchiveAAA=",
    hidden: "AAMkADdemoSrcHiddenAAA=",
  }),
  archiveFolders: Object.freeze({
    inbox: "AAMkADdemoArcInboxAAA=",
    oldProjects: "AAMkADdemoArcOldProjectsAAA=",
  }),
  targetFolders: Object.freeze({
    inbox: "AAMkADdemoDstInboxAAA=",
    restored: "AAMkADdemoDstRestoredAAA=",
    sentItems: "AAMkADdemoDstSentItemsAAA=",
    drafts: "AAMkADdemoDstDraftsAAA=",
    deletedItems: "AAMkADdemoDstDeletedItemsAAA=",
    archive: "AAMkADdemoDstArchiveAAA=",
  }),
});

// Source folders of the demo, in seeding order: [key, displayName, parent key | null, items, extra].
export const DEMO_SOURCE_FOLDERS = [
  ["inbox", "Inbox", null, 100, { wellKnownName: "inbox" }],
  ["projects", "Projects", "inbox", 40, {}],
  ["y2026", "2026", "projects", 25, {}],
  ["receipts", "Receipts", "inbox", 0, {}],
  ["sentItems", "Sent Items", null, 45, { wellKnownName: "sentitems" }],
  ["drafts", "Drafts", null, 5, { wellKnownName: "drafts" }],
  ["deletedItems", "Deleted Items", null, 2, { wellKnownName: "deleteditems" }],
  ["archive", "Archive", null, 30, { wellKnownName: "archive" }],
  ["hidden", "Conversation Action Settings", null, 3, { hidden: true, type: "IPF.Configuration" }],
];

export const DEMO_ARCHIVE_ITEMS = 5;

/** Deterministic FastTransfer-like bytes for demo item `n`: a few hundred bytes, different for every item. */
export function demoItemBytes(label, n, folderName) {
  const random = seededRandom(0x5eed0000 + n * 7919 + label.length);
  const text = Buffer.from(
    `Demo ${label} item ${n} in "${folderName}". Subject: Status update #${n}. ` +
      `From: ${label === "archive" ? "old-projects" : "adele"}@contoso.com\r\n`,
    "utf8",
  );
  const padding = Buffer.alloc(120 + ((n * 37) % 280));
  for (let i = 0; i < padding.length; i += 1) padding[i] = Math.floor(random() * 256);
  // A FastTransfer stream starts with property markers; these bytes only look the part.
  return Buffer.concat([Buffer.from([0x03, 0x00, 0x01, 0x40, n & 0xff, (n >> 8) & 0xff]), text, padding]);
}

/**
 * The demo tenant as a seed spec (pass it to startMockTenant({ seed }) or state.seed):
 * - adele@contoso.com: primary mailbox DEMO_IDS.sourceMailbox with Inbox > Projects > 2026, Inbox > Receipts
 *   (empty), Sent Items, Drafts, Deleted Items, Archive and a hidden "Conversation Action Settings" folder,
 *   250 items in all; in-place archive DEMO_IDS.sourceArchive with Inbox (empty) and "Old Projects" (5 items);
 * - megan@contoso.com: primary mailbox DEMO_IDS.targetMailbox with the well-known folders every Exchange mailbox
 *   has (Inbox, Sent Items, Drafts, Deleted Items, Archive), all empty, and a "Restored" folder; no in-place
 *   archive. A whole-mailbox copy from adele maps her well-known folders onto these, as it would in a tenant.
 * Item ids are AAMkADdemoItem0001AAA= ... AAMkADdemoItem0250AAA= (source, in folder order) and
 * AAMkADdemoArcItem01AAA= ... AAMkADdemoArcItem05AAA= (archive). Returns the spec plus `ids`: DEMO_IDS and
 * `ids.items` ({folder key: [item ids]}, archive items under "archive:oldProjects").
 */
export function demoSeed() {
  const folderIds = DEMO_IDS.folders;
  const items = [];
  const itemIds = {};
  let n = 0;
  const base = Date.parse("2026-01-05T09:00:00Z");
  for (const [key, displayName, , count] of DEMO_SOURCE_FOLDERS) {
    itemIds[key] = [];
    for (let i = 0; i < count; i += 1) {
      n += 1;
      const id = `AAMkADdemoItem${String(n).padStart(4, "0")}AAA=`;
      itemIds[key].push(id);
      const created = new Date(base + n * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      items.push({
        id,
        folderId: folderIds[key],
        data: demoItemBytes("source", n, displayName).toString("base64"),
        changeKey: `CQAAABYAAADdemo${String(n).padStart(4, "0")}`,
        categories: n % 7 === 0 ? ["Red category"] : [],
        createdDateTime: created,
        lastModifiedDateTime: created,
      });
    }
  }
  itemIds["archive:oldProjects"] = [];
  for (let i = 1; i <= DEMO_ARCHIVE_ITEMS; i += 1) {
    const id = `AAMkADdemoArcItem${String(i).padStart(2, "0")}AAA=`;
    itemIds["archive:oldProjects"].push(id);
    const created = new Date(Date.parse("2019-03-01T10:00:00Z") + i * 86400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    items.push({
      id,
      folderId: DEMO_IDS.archiveFolders.oldProjects,
      data: demoItemBytes("archive", i, "Old Projects").toString("base64"),
      changeKey: `CQAAABYAAADdemoArc${String(i).padStart(2, "0")}`,
      createdDateTime: created,
      lastModifiedDateTime: created,
    });
  }
  return {
    users: [
      {
        user: DEMO_IDS.sourceUser,
        displayName: "Adele Vance",
        primaryMailboxId: DEMO_IDS.sourceMailbox,
        inPlaceArchiveMailboxId: DEMO_IDS.sourceArchive,
      },
      { user: DEMO_IDS.targetUser, displayName: "Megan Bowen", primaryMailboxId: DEMO_IDS.targetMailbox },
    ],
    mailboxes: {
      [DEMO_IDS.sourceMailbox]: {
        rootFolderId: DEMO_IDS.roots.source,
        folders: DEMO_SOURCE_FOLDERS.map(([key, displayName, parent, , extra]) => ({
          id: folderIds[key],
          displayName,
          ...(parent ? { parentFolderId: folderIds[parent] } : {}),
          ...extra,
        })),
      },
      [DEMO_IDS.sourceArchive]: {
        rootFolderId: DEMO_IDS.roots.archive,
        folders: [
          { id: DEMO_IDS.archiveFolders.inbox, displayName: "Inbox" },
          { id: DEMO_IDS.archiveFolders.oldProjects, displayName: "Old Projects" },
        ],
      },
      [DEMO_IDS.targetMailbox]: {
        rootFolderId: DEMO_IDS.roots.target,
        folders: [
          { id: DEMO_IDS.targetFolders.inbox, displayName: "Inbox", wellKnownName: "inbox" },
          { id: DEMO_IDS.targetFolders.restored, displayName: "Restored" },
          { id: DEMO_IDS.targetFolders.sentItems, displayName: "Sent Items", wellKnownName: "sentitems" },
          { id: DEMO_IDS.targetFolders.drafts, displayName: "Drafts", wellKnownName: "drafts" },
          { id: DEMO_IDS.targetFolders.deletedItems, displayName: "Deleted Items", wellKnownName: "deleteditems" },
          { id: DEMO_IDS.targetFolders.archive, displayName: "Archive", wellKnownName: "archive" },
        ],
      },
    },
    items,
    ids: { ...DEMO_IDS, items: itemIds },
  };
}
