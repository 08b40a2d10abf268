// Copying folder trees through the installed package, the same in Node, in a Chromium page and inside a
// worker: a whole mailbox (3 levels, 12 folders, 3 of them well-known) copied to another mailbox; a second
// pass with no changes; a third after items were added, changed and removed in the source (through the mock's
// control API); a state refused for another pair; a folder whose creation fails; and 20 runs stopped at random
// points (an abort, or an onState that throws after keeping the state), each resumed from the last state it
// gave. Plain JavaScript with no imports, so the page and the worker load it as it is; the caller checks the
// answer against what the mock tenant holds.

/**
 * env: { graphUrl, importPort, source, target, resumeTarget, failTarget, otherTarget,
 *        addTo: [folderId x10], change: [itemId x5], remove: [itemId x3], seed }. Answers with JSON.
 */
export async function runFolderPasses(api, env) {
  const client = new api.MailboxClient({
    token: "folders-token",
    graphBaseUrl: env.graphUrl,
    trustedImportHosts: [`127.0.0.1:${env.importPort}`],
    retryBaseDelayMs: 20,
  });
  const control = async (path, body) => {
    const response = await fetch(`${env.graphUrl}/_mock/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`control ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  const recorded = async () => (await (await fetch(`${env.graphUrl}/_mock/requests`)).json()).requests;
  const summary = (report) => ({
    folders: report.folders,
    imported: report.imported,
    failed: report.failed,
    outcomeUnknown: report.outcomeUnknown,
    updated: report.updated,
    removedInSource: report.removedInSource,
    results: report.results.length,
  });
  const copy = (target, options) =>
    client.copyFolders({ mailboxId: env.source }, { mailboxId: target }, options);
  const failure = async (call) => {
    try {
      await call();
      return null;
    } catch (e) {
      return { code: e?.code, isMailboxError: api.isMailboxError(e), message: String(e?.message) };
    }
  };
  try {
    const out = {};
    const tree = await client.listFolderTree(env.source);
    out.tree = tree.map((node) => node.path.join("/"));

    // Pass 1: every folder mapped or created, every item copied once; the state after every 100 items at most.
    const statesSettled = [];
    let settled = 0;
    const folderEvents = [];
    const started = Date.now();
    const first = await copy(env.target, {
      onProgress: (p) => (settled = p.settled),
      onState: (state) => statesSettled.push({ settled, version: state.version }),
      onFolder: (e) => folderEvents.push({ path: e.path.join("/"), action: e.action, target: e.targetFolderId }),
    });
    out.pass1 = { ...summary(first), ms: Date.now() - started, statesSettled, folderEvents };
    out.stateBytes = JSON.stringify(first.state).length;
    const state1 = JSON.parse(JSON.stringify(first.state));

    // Pass 2, no changes: only delta requests.
    const before2 = (await recorded()).length;
    const second = await copy(env.target, { state: state1 });
    out.pass2 = { ...summary(second), requests: (await recorded()).slice(before2).map((r) => `${r.method} ${r.route}`) };

    // 10 added, 5 changed, 3 removed in the source; pass 3 copies exactly those.
    for (const [n, folderId] of env.addTo.entries()) {
      await control("add-item", { folderId, data: btoa(`added item ${n} of ${env.seed}`) });
    }
    for (const itemId of env.change) await control("change-item", { itemId, data: btoa(`changed ${itemId}`) });
    for (const itemId of env.remove) await control("remove-item", { itemId });
    const before3 = (await recorded()).length;
    const third = await copy(env.target, { state: second.state });
    const posts = (await recorded()).slice(before3).filter((r) => r.server === "import");
    out.pass3 = {
      ...summary(third),
      posts: posts.map((r) => {
        const body = JSON.parse(r.body);
        return { mode: body.Mode, itemId: body.ItemId, changeKey: body.ChangeKey };
      }),
      copiesBefore: env.change.map((id) => second.state.items[id]),
    };

    // A state is bound to its pair.
    out.foreign = await failure(() => copy(env.otherTarget, { state: third.state }));
    out.notAState = await failure(() => copy(env.target, { state: { version: 7 } }));

    // A folder whose creation the target refuses (the harness queued one 403): it fails alone, with its subtree.
    const failedEvents = [];
    const failing = await copy(env.failTarget, {
      onFolder: (e) => e.action === "failed" && failedEvents.push({ path: e.path.join("/"), code: e.error?.code }),
    });
    out.failing = { ...summary(failing), failedEvents };

    // 20 runs stopped at random points, each resumed from the last state it gave.
    let state;
    const stops = { aborted: 0, thrown: 0, finished: 0 };
    let seed = 7;
    const random = (n) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let run = 0; run < 20; run++) {
      const controller = new AbortController();
      const throwAt = run % 2 === 1 ? 1 + random(8) : -1;
      let calls = 0;
      const timer = run % 2 === 0 ? setTimeout(() => controller.abort(new Error("stop")), 20 + random(400)) : null;
      try {
        await copy(env.resumeTarget, {
          state,
          signal: controller.signal,
          keepResults: false,
          onState: (given) => {
            state = given;
            calls += 1;
            if (calls === throwAt) throw new Error("onState failed");
          },
        });
        stops.finished += 1;
      } catch (e) {
        if (e?.message === "stop") stops.aborted += 1;
        else if (e?.message === "onState failed") stops.thrown += 1;
        else throw e;
      } finally {
        if (timer) clearTimeout(timer);
      }
    }
    const last = await copy(env.resumeTarget, { state });
    out.resume = { stops, last: summary(last) };
    return out;
  } finally {
    client.free();
  }
}
