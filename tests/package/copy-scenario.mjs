// Reading and copying through the installed package, the same in Node, in a Chromium page and inside a
// worker: find both users' mailboxes, walk the source folder tree, list every item (one folder reached through
// a 308 to the archive), copy them all into the target's folder, and read the copies back. Two reads that a
// hostile answer points off the Graph root must be refused. Plain JavaScript with no imports, so the page and
// the worker load it as it is; the caller checks the answer against what the mock tenant saw.

/**
 * env: { graphUrl, importPort, sourceUser, targetUser, targetFolderId, targetInboxId, movedFolderId,
 *        extraItemIds }. Answers with JSON.
 */
export async function runCopy(api, env) {
  const client = new api.MailboxClient({
    token: "copy-token",
    graphBaseUrl: env.graphUrl,
    trustedImportHosts: [`127.0.0.1:${env.importPort}`],
    retryBaseDelayMs: 20,
  });
  const refused = async (call) => {
    try {
      await call();
      return { ok: true };
    } catch (e) {
      return { ok: false, code: e?.code, isMailboxError: api.isMailboxError(e), message: String(e?.message) };
    }
  };
  try {
    const source = await client.resolveMailbox(env.sourceUser);
    const target = await client.resolveMailbox(env.targetUser);

    // The test queued two hostile answers for the target's inbox: a nextLink off the root, then a 308 off it.
    const untrusted = [
      await refused(() => client.listItems(target.primaryMailboxId, env.targetInboxId)),
      await refused(() => client.listItems(target.primaryMailboxId, env.targetInboxId)),
    ];

    const folders = [];
    async function walk(parentFolderId, depth) {
      const options = parentFolderId ? { parentFolderId, includeHidden: true } : { includeHidden: true };
      for (const folder of await client.listFolders(source.primaryMailboxId, options)) {
        folders.push({ id: folder.id, name: folder.displayName, depth, parentFolderId: folder.parentFolderId });
        if (folder.childFolderCount > 0) await walk(folder.id, depth + 1);
      }
    }
    await walk(undefined, 1);
    const withoutHidden = await client.listFolders(source.primaryMailboxId);

    const itemIds = [];
    let listedSizes = 0;
    for (const folder of folders) {
      for (const item of await client.listItems(source.primaryMailboxId, folder.id)) {
        itemIds.push(item.id);
        listedSizes += item.size;
      }
    }
    const listed = itemIds.length;
    // A folder moved to the user's archive, asked for through the primary: Graph answers 308. Browsers hide a
    // redirect's target, so there the client refuses to follow it, and the page reads the archive by its id.
    let moved;
    let movedVia = "redirect";
    try {
      moved = await client.listItems(source.primaryMailboxId, env.movedFolderId);
    } catch (e) {
      if (!api.isMailboxError(e) || !/hides/.test(e.message)) throw e;
      movedVia = `archive id, after ${e.code}`;
      moved = await client.listItems(source.inPlaceArchiveMailboxId, env.movedFolderId);
    }
    itemIds.push(...moved.map((item) => item.id), ...env.extraItemIds);

    const settledOrder = [];
    let lastProgress = null;
    const started = Date.now();
    const report = await client.copyItems(
      { mailboxId: source.primaryMailboxId, itemIds },
      { mailboxId: target.primaryMailboxId, folderId: env.targetFolderId },
      {
        onResult: (result) => settledOrder.push(result.sourceItemId),
        onProgress: (progress) => {
          lastProgress = progress;
        },
      },
    );
    const elapsedMs = Date.now() - started;
    const copies = await client.listItems(target.primaryMailboxId, env.targetFolderId);

    return {
      source,
      target,
      untrusted,
      folders,
      topLevelWithoutHidden: withoutHidden.map((folder) => folder.displayName),
      listed,
      listedSizes,
      moved: moved.length,
      movedVia,
      itemIds,
      report: {
        imported: report.imported,
        failed: report.failed,
        outcomeUnknown: report.outcomeUnknown,
        results: report.results.map((r) => ({
          index: r.index,
          status: r.status,
          sourceItemId: r.sourceItemId,
          itemId: r.itemId,
          code: r.error?.code,
          graphCode: r.error?.graphCode,
          isMailboxError: r.error ? api.isMailboxError(r.error) : undefined,
        })),
      },
      settledOrder,
      lastProgress,
      elapsedMs,
      copies: copies.map((item) => ({ id: item.id, size: item.size, type: item.type })),
    };
  } finally {
    client.free();
  }
}
