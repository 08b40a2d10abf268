// Hostile values fed to every export of the installed package, the same in Node, in a Chromium page and
// inside a worker: multi-byte and lone-surrogate strings, huge and empty strings, every other type where a
// string or a number is expected, NaN and friends, Proxies whose traps throw. Each call must settle (never
// throw synchronously, never hang), a rejection must be a MailboxError with a documented code, and the next
// good call on the same module instance must still work (a trap in the wasm would poison the instance).
// Plain JavaScript with no imports, so the page and the worker load it as it is; the answer is JSON.

/** The codes of api.md's table; `aborted` appears only on items of a bulk report. */
export const DOCUMENTED_CODES = [
  "invalidArgument",
  "unauthorized",
  "forbidden",
  "notFound",
  "throttled",
  "serviceUnavailable",
  "graphError",
  "network",
  "timeout",
  "outcomeUnknown",
  "sessionExpired",
  "untrustedImportUrl",
  "invalidResponse",
  "tokenProviderFailed",
];

/** [label, value, type]: `type` is what the value counts as when matched against what a position takes. */
function hostileValues() {
  const trap = () => {
    throw new Error("trap");
  };
  const traps = { get: trap, getOwnPropertyDescriptor: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, set: trap, defineProperty: trap };
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return [
    ["a multi-byte string", "abcdeféxyz", "string"],
    ["an emoji", "MBX:😀@b", "string"],
    ["a lone high surrogate", "\uD800", "string"],
    ["a lone low surrogate inside", "a\uDC00b", "string"],
    ["a 1 MB string", "x".repeat(1 << 20), "string"],
    ["a 1 MB multi-byte string", "é".repeat(1 << 19), "string"],
    ["an empty string", "", "string"],
    ["a NUL", "\u0000", "string"],
    ["NaN", NaN, "number"],
    ["Infinity", Infinity, "number"],
    ["-1", -1, "number"],
    ["1e300", 1e300, "number"],
    ["-0", -0, "number"],
    ["an object", {}, "object"],
    ["an array", [], "array"],
    ["null", null, "absent"],
    ["undefined", undefined, "absent"],
    ["a symbol", Symbol("hostile"), "symbol"],
    ["a BigInt", 10n, "bigint"],
    ["true", true, "boolean"],
    ["a function", () => {}, "function"],
    ["a Proxy whose traps throw", new Proxy({}, traps), "object"],
    ["a revoked Proxy", revocable.proxy, "object"],
    ["a callable Proxy whose traps throw", new Proxy(function hostile() {}, { ...traps, apply: trap }), "function"],
  ];
}

/** How `call()` settled: "threw" (synchronously), "resolved", "rejected", or "unsettled" after `ms`. */
async function outcomeOf(call, ms) {
  let promise;
  try {
    promise = call();
  } catch (error) {
    return { settled: "threw", error };
  }
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ settled: "unsettled" }), ms);
  });
  try {
    return await Promise.race([
      Promise.resolve(promise).then(
        (value) => ({ settled: "resolved", value }),
        (error) => ({ settled: "rejected", error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error) {
  try {
    return `${error?.name}: ${String(error?.message).slice(0, 160)}`;
  } catch {
    return "an unprintable value";
  }
}

/**
 * env: { graphUrl, importPort, mailbox }. Answers { calls, goodCalls, violations, codes } where
 * violations lists every call that broke the contract.
 */
export async function runHostile(api, env) {
  const goodOptions = () => ({
    token: "hostile-token",
    graphBaseUrl: env.graphUrl,
    trustedImportHosts: [`127.0.0.1:${env.importPort}`],
    maxRetries: 0,
    timeoutMs: 5000,
  });
  // The token endpoint is looked for on the Graph mock, which answers 404 at once (with CORS, so a page
  // sees it too): the calls here are about reading options, not about tokens.
  const goodApp = () => ({ tenantId: "contoso.onmicrosoft.com", clientId: "hostile-app", clientSecret: "s3cret", authorityHost: env.graphUrl });
  const goodItem = () => ({ folderId: "AAMkInbox", data: "QUJD" });
  const mailbox = env.mailbox;
  const items = ["AAMkADhostile="];
  const target = () => ({ mailboxId: mailbox, folderId: "AAMkInbox" });
  const source = () => ({ mailboxId: mailbox, itemIds: items });
  const client = new api.MailboxClient(goodOptions());
  const goodClient = new api.MailboxClient(goodOptions());

  // Nothing may leave for a host other than the mock's, whatever an option says.
  const allowed = [env.graphUrl, `http://127.0.0.1:${env.importPort}`].map((url) => new URL(url).origin);
  const offMock = [];
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input?.url ?? String(input);
    let origin = null;
    try {
      origin = new URL(url).origin;
    } catch {
      // left null: refused below
    }
    if (!allowed.includes(origin)) {
      offMock.push(url.slice(0, 120));
      return Promise.reject(new TypeError("blocked by the hostile-values test"));
    }
    return Reflect.apply(originalFetch, globalThis, [input, init]);
  };

  // Each position: a label, what it takes (types a value may have and still be valid), and the call. A
  // call that takes `function` values as callbacks may reject with what the callback threw.
  const optionKeys = {
    token: ["string", "function"],
    apiVersion: ["string", "absent"],
    graphBaseUrl: ["string"],
    trustedImportHosts: ["array"],
    timeoutMs: ["number", "absent"],
    maxRetries: ["number", "absent"],
    retryBaseDelayMs: ["number", "absent"],
    maxRetryDelayMs: ["number", "absent"],
    scopes: ["array", "absent"],
    renewBeforeMs: ["number", "absent"],
    mailboxConcurrency: ["number", "absent"],
    signal: ["absent"],
  };
  // An absent graphBaseUrl or trustedImportHosts means Microsoft's hosts: not fed here.
  const skipAbsent = new Set(["graphBaseUrl", "trustedImportHosts", "authorityHost"]);
  const positions = [
    ["createImportSession(mailboxId, options)", ["string"], (v) => api.createImportSession(v, goodOptions())],
    ["createImportSession(mailboxId, options: v)", ["object"], (v) => api.createImportSession(mailbox, v)],
    ["new MailboxClient(v).createImportSession()", ["object"], (v) => new api.MailboxClient(v).createImportSession(mailbox)],
  ];
  for (const [key, takes] of Object.entries(optionKeys)) {
    positions.push([`createImportSession(mailboxId, { ${key} })`, takes, (v) => api.createImportSession(mailbox, { ...goodOptions(), [key]: v }), skipAbsent.has(key)]);
    positions.push([`new MailboxClient({ ${key} }).createImportSession()`, takes, (v) => new api.MailboxClient({ ...goodOptions(), [key]: v }).createImportSession(mailbox), skipAbsent.has(key)]);
  }
  positions.push(
    ["client.createImportSession(v)", ["string"], (v) => client.createImportSession(v)],
    ["client.importItem(v, item)", ["string"], (v) => client.importItem(v, goodItem())],
    ["client.importItem(mailboxId, v)", ["object"], (v) => client.importItem(mailbox, v)],
  );
  for (const [key, takes] of Object.entries({ folderId: ["string"], data: ["string"], mode: ["string", "absent"], itemId: ["string", "absent"], changeKey: ["string", "absent"] })) {
    positions.push([`client.importItem(mailboxId, { ${key} })`, takes, (v) => client.importItem(mailbox, { ...goodItem(), [key]: v })]);
    // In a bulk run a bad item fails alone: its result must carry a documented code.
    positions.push([`client.importItems(mailboxId, [{ ${key} }])`, takes, (v) => bulkItem(client.importItems(mailbox, [{ ...goodItem(), [key]: v }]))]);
  }
  positions.push(
    ["client.importItems(v, items)", ["string"], (v) => client.importItems(v, [goodItem()])],
    ["client.importItems(mailboxId, v)", ["array", "object"], (v) => client.importItems(mailbox, v)],
    ["client.importItems(mailboxId, [v])", [], (v) => bulkItem(client.importItems(mailbox, [v]))],
    ["client.importItems(mailboxId, items, v)", ["object", "absent"], (v) => client.importItems(mailbox, [goodItem()], v)],
  );
  for (const [key, takes] of Object.entries({ concurrency: ["number", "absent"], signal: ["absent"], onResult: ["function", "absent"], onProgress: ["function", "absent"], keepResults: ["boolean", "absent"] })) {
    positions.push([`client.importItems(mailboxId, items, { ${key} })`, takes, (v) => client.importItems(mailbox, [goodItem()], { [key]: v }), false, key.startsWith("on")]);
    positions.push([`client.copyItems(source, target, { ${key} })`, takes, (v) => client.copyItems(source(), target(), { [key]: v }), false, key.startsWith("on")]);
  }
  positions.push(
    ["client.resolveMailbox(v)", ["string"], (v) => client.resolveMailbox(v)],
    ["client.listFolders(v)", ["string"], (v) => client.listFolders(v)],
    ["client.listFolders(mailboxId, v)", ["object", "absent"], (v) => client.listFolders(mailbox, v)],
    ["client.listFolders(mailboxId, { parentFolderId })", ["string", "absent"], (v) => client.listFolders(mailbox, { parentFolderId: v })],
    ["client.listFolders(mailboxId, { includeHidden })", ["boolean", "absent"], (v) => client.listFolders(mailbox, { includeHidden: v })],
    ["client.listItems(v, folderId)", ["string"], (v) => client.listItems(v, "AAMkInbox")],
    ["client.listItems(mailboxId, v)", ["string"], (v) => client.listItems(mailbox, v)],
    ["client.exportItems(v, ids)", ["string"], (v) => client.exportItems(v, items)],
    ["client.exportItems(mailboxId, v)", ["array"], (v) => client.exportItems(mailbox, v)],
    ["client.exportItems(mailboxId, [v])", ["string"], (v) => client.exportItems(mailbox, [v])],
    ["client.copyItems(v, target)", ["object"], (v) => client.copyItems(v, target())],
    ["client.copyItems(source, v)", ["object"], (v) => client.copyItems(source(), v)],
    ["client.copyItems({ mailboxId: v }, target)", ["string"], (v) => client.copyItems({ mailboxId: v, itemIds: items }, target())],
    ["client.copyItems({ itemIds: v }, target)", ["array"], (v) => client.copyItems({ mailboxId: mailbox, itemIds: v }, target())],
    ["client.copyItems({ itemIds: [v] }, target)", ["string"], (v) => client.copyItems({ mailboxId: mailbox, itemIds: [v] }, target())],
    ["client.copyItems(source, { mailboxId: v })", ["string"], (v) => client.copyItems(source(), { mailboxId: v, folderId: "AAMkInbox" })],
    ["client.copyItems(source, { folderId: v })", ["string"], (v) => client.copyItems(source(), { mailboxId: mailbox, folderId: v })],
    ["client.copyItems(source, target, v)", ["object", "absent"], (v) => client.copyItems(source(), target(), v)],
    ["clientCredentials(v)()", ["object"], (v) => api.clientCredentials(v)({ scopes: [], forceRefresh: false })],
    ["clientCredentials(options)(v)", ["object", "absent"], (v) => api.clientCredentials(goodApp())(v)],
  );
  for (const [key, takes] of Object.entries({ tenantId: ["string"], clientId: ["string"], clientSecret: ["string"], authorityHost: ["string"], scope: ["string", "absent"], renewBeforeMs: ["number", "absent"], timeoutMs: ["number", "absent"] })) {
    positions.push([`clientCredentials({ ${key} })()`, takes, (v) => api.clientCredentials({ ...goodApp(), [key]: v })({ scopes: [], forceRefresh: false }), skipAbsent.has(key)]);
  }

  /** A one-item report as the outcome of that item: a failed item stands for a rejection. */
  async function bulkItem(report) {
    const [result] = (await report).results;
    if (result?.status === "failed") throw result.error;
    return result;
  }

  const violations = [];
  const codes = {};
  let calls = 0;
  let goodCalls = 0;
  try {
    for (const [label, value, type] of hostileValues()) {
      for (const [position, takes, call, skipIfAbsent, callback] of positions) {
        if (type === "absent" && skipIfAbsent) continue;
        calls += 1;
        const where = `${position} with ${label}`;
        const outcome = await outcomeOf(() => call(value), 10000);
        const valid = takes.includes(type);
        if (outcome.settled === "threw") {
          violations.push(`${where}: threw synchronously (${describeError(outcome.error)})`);
        } else if (outcome.settled === "unsettled") {
          violations.push(`${where}: did not settle`);
        } else if (outcome.settled === "resolved" && !valid) {
          violations.push(`${where}: resolved, though the value is not valid there`);
        } else if (outcome.settled === "rejected") {
          const { error } = outcome;
          const thrownByCallback = callback && type === "function" && error?.message === "trap";
          if (!thrownByCallback && !(api.isMailboxError(error) && DOCUMENTED_CODES.includes(error.code))) {
            violations.push(`${where}: rejected with ${describeError(error)}, not a MailboxError with a documented code (${error?.code})`);
          }
          if (api.isMailboxError(error)) codes[error.code] = (codes[error.code] ?? 0) + 1;
        }
        // The same module instance still works.
        goodCalls += 1;
        const good = await outcomeOf(() => goodClient.createImportSession(mailbox), 10000);
        if (good.settled !== "resolved" || typeof good.value?.importUrl !== "string") {
          violations.push(`after ${where}: the next good call ${good.settled} (${describeError(good.error)})`);
          if (violations.length > 50) return { calls, goodCalls, violations, codes, offMock };
        }
      }
      // isMailboxError answers a boolean and never throws.
      calls += 1;
      try {
        if (typeof api.isMailboxError(value) !== "boolean") violations.push(`isMailboxError(${label}) did not answer a boolean`);
      } catch (error) {
        violations.push(`isMailboxError(${label}) threw (${describeError(error)})`);
      }
    }
  } finally {
    globalThis.fetch = originalFetch;
  }
  return { calls, goodCalls, violations, codes, offMock };
}
