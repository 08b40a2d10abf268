// A bulk import through the installed package, the same in Node and inside a worker: an async generator of
// small items, imported by MailboxClient.importItems. Plain JavaScript with no imports, so the worker
// bundles it as it is; the caller checks the answer against what the mock tenant saw.

/** env: { graphUrl, importPort, mailbox, count, concurrency? }. Answers with the report, summarised as JSON. */
export async function runBulk(api, env) {
  const client = new api.MailboxClient({
    token: "bulk-token",
    graphBaseUrl: env.graphUrl,
    trustedImportHosts: [`127.0.0.1:${env.importPort}`],
    retryBaseDelayMs: 20,
    // Renew only when a session has expired or is refused, so the mock's short sessions expire mid-run.
    renewBeforeMs: 0,
  });
  const encoder = new TextEncoder();
  async function* items() {
    for (let i = 0; i < env.count; i += 1) {
      yield { folderId: "AAMkInbox", data: encoder.encode(`bulk item ${i}`) };
    }
  }
  let onResultCalls = 0;
  let progressCalls = 0;
  let lastProgress = null;
  const started = Date.now();
  const report = await client.importItems(env.mailbox, items(), {
    concurrency: env.concurrency ?? 4,
    onResult: () => {
      onResultCalls += 1;
    },
    onProgress: (progress) => {
      progressCalls += 1;
      lastProgress = progress;
    },
  });
  const elapsedMs = Date.now() - started;
  client.free();
  const byStatus = (status) => report.results.filter((r) => r.status === status).map((r) => r.index);
  return {
    imported: report.imported,
    failed: report.failed,
    outcomeUnknown: report.outcomeUnknown,
    indexes: report.results.map((r) => r.index),
    outcomeUnknownIndexes: byStatus("outcomeUnknown"),
    failedCodes: report.results.filter((r) => r.error && r.status === "failed").map((r) => r.error.code),
    outcomeUnknownCodes: report.results.filter((r) => r.status === "outcomeUnknown").map((r) => r.error?.code),
    itemIds: report.results.filter((r) => r.itemId).length,
    onResultCalls,
    progressCalls,
    lastProgress,
    elapsedMs,
  };
}

/** The data each item of runBulk carries, base64, as the mock stores it. */
export function bulkItemData(i) {
  return btoa(`bulk item ${i}`);
}
