// A TypeScript consumer of the folder-tree and copyFolders declarations. It must compile cleanly, and
// every `@ts-expect-error` must be needed, so wrong usage is proven to be rejected.

import { MailboxClient } from "graph-mailbox-import";
import type {
  CopiedItem,
  CopyFoldersOptions,
  CopyFoldersReport,
  CopyItemStore,
  CopyState,
  FolderEvent,
  FolderNode,
  ItemChanges,
  MailboxFolder,
} from "graph-mailbox-import";

export async function folders(client: MailboxClient, source: string, target: string): Promise<CopyFoldersReport> {
  const created: MailboxFolder = await client.createFolder(target, { displayName: "Restored", parentFolderId: "inbox" });
  await client.createFolder(target, { displayName: "Tasks", type: "IPF.Task" });
  // @ts-expect-error: displayName is required
  await client.createFolder(target, { type: "IPF.Note" });

  const tree: FolderNode[] = await client.listFolderTree(source, { rootFolderId: "inbox", includeHidden: true });
  const path: string[] = tree[0]!.path;
  const id: string = tree[0]!.id;
  // @ts-expect-error: includeHidden is a boolean
  await client.listFolderTree(source, { includeHidden: "yes" });

  const first: ItemChanges = await client.listItemChanges(source, "inbox", { receivedSince: "2026-01-01T00:00:00Z" });
  const next: ItemChanges = await client.listItemChanges(source, "inbox", { deltaLink: first.deltaLink });
  const removed: string[] = next.removed;
  const changeKey: string | undefined = next.changed[0]?.changeKey;

  const saved: string | null = null as string | null;
  const store: CopyItemStore = new Map<string, CopiedItem>();
  const options: CopyFoldersOptions = {
    includeSubfolders: true,
    includeHidden: false,
    includeSearchFolders: false,
    receivedSince: "2026-01-01T00:00:00Z",
    retryOutcomeUnknown: false,
    concurrency: 4,
    keepResults: false,
    itemStore: store,
    onState: async (state: CopyState) => {
      const version: 1 = state.version;
      const text: string = JSON.stringify(state);
      void [version, text];
    },
    onFolder: (event: FolderEvent) => {
      const action: "created" | "reused" | "done" | "failed" = event.action;
      void [action, event.path.join("/"), event.targetFolderId, event.error?.code];
    },
    onResult: (result) => void result.sourceItemId,
  };
  if (saved !== null) options.state = JSON.parse(saved) as CopyState;
  const report: CopyFoldersReport = await client.copyFolders({ mailboxId: source }, { mailboxId: target }, options);
  const counts: number[] = [report.folders.created, report.folders.reused, report.folders.failed, report.updated, report.removedInSource, report.imported];
  const again = await client.copyFolders(
    { mailboxId: source, folderId: "inbox" },
    { mailboxId: target, parentFolderId: created.id },
    { state: report.state },
  );
  // @ts-expect-error: a state is not a string
  await client.copyFolders({ mailboxId: source }, { mailboxId: target }, { state: "{}" });
  // @ts-expect-error: the target's folder is parentFolderId
  await client.copyFolders({ mailboxId: source }, { mailboxId: target, folderId: "x" });
  const unknown: CopiedItem = { status: "outcomeUnknown" };
  // @ts-expect-error: an imported record names its copy
  const bad: CopiedItem = { status: "imported" };
  void [path, id, removed, changeKey, counts, unknown, bad];
  return again;
}
