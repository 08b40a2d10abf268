// What a caller passes cannot crash the package or steer it, in Node through the installed package: every
// JavaScript call that throws inside a call (a detached buffer, a lying or huge typed array, a getter, a
// Proxy, a callback, a token provider) becomes a rejection or the item's `invalidArgument` and the run goes
// on; options and items are read from own properties only; a run into a refused mailbox yields to the
// event loop and honours its signal; a run that ends early closes the caller's iterator; and the copy resume
// recipe of the README loses nothing.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { demoSeed } from "../mock/server.mjs";
import { installPackedPackage, startMock, tempDir, uniqueMailbox } from "./support.mjs";

let api;
let mock;

// Anything that escapes the package as an uncaught exception or an unhandled rejection fails the test.
const escaped = [];
const onUncaught = (error) => escaped.push(`uncaught: ${error?.message ?? error}`);
const onUnhandled = (reason) => escaped.push(`unhandled rejection: ${reason?.message ?? reason}`);

before(async () => {
  const dir = tempDir("boundary");
  installPackedPackage(dir);
  writeFileSync(join(dir, "consumer.mjs"), 'export * from "graph-mailbox-import";\n');
  api = await import(pathToFileURL(join(dir, "consumer.mjs")).href);
  mock = await startMock();
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUnhandled);
});

after(async () => {
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUnhandled);
  await mock?.close();
});

afterEach(async () => {
  // Let a stray exception surface before judging.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(escaped.splice(0), [], "nothing escaped the package");
});

function options(extra = {}) {
  return {
    token: "boundary-token",
    graphBaseUrl: mock.graphUrl,
    trustedImportHosts: [`127.0.0.1:${mock.importPort}`],
    retryBaseDelayMs: 20,
    ...extra,
  };
}

/** How `promise` settled, or "unsettled" after `ms`. */
async function settled(promise, ms = 5000) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ status: "unsettled" }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ status: "resolved", value }),
        (error) => ({ status: "rejected", error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejectsWith(promise, code, message) {
  const outcome = await settled(promise);
  assert.equal(outcome.status, "rejected", `expected a rejection, got ${outcome.status}`);
  assert.equal(api.isMailboxError(outcome.error), true, `a MailboxError, got ${outcome.error}`);
  assert.equal(outcome.error.code, code, outcome.error.message);
  if (message) assert.match(outcome.error.message, message);
  return outcome.error;
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** An ArrayBuffer transferred away (as postMessage does): detached, its byteLength now 0. */
function detachedBuffer() {
  const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
  structuredClone(buffer, { transfer: [buffer] });
  assert.equal(buffer.byteLength, 0);
  return buffer;
}

/** A DataView whose buffer was transferred after the view was made. */
function detachedDataView() {
  const buffer = new ArrayBuffer(4);
  const view = new DataView(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

const throwingProxy = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error("get trap");
      },
      getOwnPropertyDescriptor() {
        throw new Error("getOwnPropertyDescriptor trap");
      },
      has() {
        throw new Error("has trap");
      },
      ownKeys() {
        throw new Error("ownKeys trap");
      },
      getPrototypeOf() {
        throw new Error("getPrototypeOf trap");
      },
    },
  );

describe("JavaScript that throws inside a call becomes a rejection", { timeout: 60000 }, () => {
  test("a detached ArrayBuffer or view is refused with invalidArgument, and the run goes on", async () => {
    const client = new api.MailboxClient(options());
    const mailbox = uniqueMailbox("detached");
    const detachedView = new Uint8Array(8);
    structuredClone(detachedView.buffer, { transfer: [detachedView.buffer] });
    await rejectsWith(client.importItem(mailbox, { folderId: "f", data: detachedBuffer() }), "invalidArgument", /detached/);
    await rejectsWith(client.importItem(mailbox, { folderId: "f", data: detachedView }), "invalidArgument", /detached/);

    const reported = [];
    const outcome = await settled(
      client.importItems(
        mailbox,
        [
          { folderId: "f", data: "QUJD" },
          { folderId: "f", data: detachedBuffer() },
          { folderId: "f", data: detachedDataView() },
          { folderId: "f", data: "REVG" },
        ],
        { onResult: (r) => reported.push([r.index, r.status, r.error?.code]) },
      ),
    );
    assert.equal(outcome.status, "resolved");
    assert.deepEqual(
      outcome.value.results.map((r) => [r.index, r.status, r.error?.code]),
      [
        [0, "imported", undefined],
        [1, "failed", "invalidArgument"],
        [2, "failed", "invalidArgument"],
        [3, "imported", undefined],
      ],
    );
    assert.equal(reported.length, 4, "every item reported");
    assert.equal(mock.state.itemsFor(mailbox).length, 2);
    client.free();
  });

  test("an item whose body would pass the engine's string limit is refused before it is encoded", async () => {
    const client = new api.MailboxClient(options());
    const mailbox = uniqueMailbox("huge");
    // 403 MiB: its base64 is over 536,870,888 characters, the longest string V8 builds. (Zero pages are
    // never touched: the package refuses it by its length alone.)
    const huge = new Uint8Array(403 * 1024 * 1024);
    const started = Date.now();
    await rejectsWith(client.importItem(mailbox, { folderId: "f", data: huge }), "invalidArgument", /too large/);
    const report = await client.importItems(mailbox, [
      { folderId: "f", data: huge },
      { folderId: "f", data: "QUJD" },
    ]);
    assert.deepEqual(
      report.results.map((r) => [r.status, r.error?.code]),
      [
        ["failed", "invalidArgument"],
        ["imported", undefined],
      ],
    );
    assert.ok(Date.now() - started < 3000, `refused in ${Date.now() - started} ms`);
    assert.equal(mock.state.requestsFor(mailbox).filter((r) => r.server === "import").length, 1);
    client.free();
  });

  test("a typed array whose byteLength lies is read as what it really holds", async () => {
    const client = new api.MailboxClient(options());
    const mailbox = uniqueMailbox("lying");
    class Lying extends Uint8Array {
      get byteLength() {
        return 1e6;
      }
      get byteOffset() {
        return -1;
      }
    }
    class Throwing extends Uint8Array {
      get byteLength() {
        throw new Error("byteLength getter");
      }
    }
    const lying = Lying.from([1, 2, 3, 4, 5]);
    const throwing = Throwing.from([6, 7, 8]);
    // A view with an own property claiming another length.
    const shadowed = new Uint8Array([9, 10]);
    Object.defineProperty(shadowed, "byteLength", { value: 1 << 30 });
    const report = await client.importItems(mailbox, [
      { folderId: "f", data: lying },
      { folderId: "f", data: throwing },
      { folderId: "f", data: shadowed },
    ]);
    assert.equal(report.imported, 3, JSON.stringify(report.results.map((r) => r.error?.message)));
    const hashes = mock.state.itemsFor(mailbox).map((item) => item.dataHash).sort();
    const expected = [[1, 2, 3, 4, 5], [6, 7, 8], [9, 10]].map((bytes) => sha256(Uint8Array.from(bytes))).sort();
    assert.deepEqual(hashes, expected, "each item's real bytes, no more, no less");
    client.free();
  });

  test("getters and Proxies that throw in an item fail that item with invalidArgument", async () => {
    const client = new api.MailboxClient(options());
    const mailbox = uniqueMailbox("getters");
    const items = [
      {
        folderId: "f",
        get data() {
          throw new Error("data getter");
        },
      },
      throwingProxy(),
      {
        get folderId() {
          throw new Error("folderId getter");
        },
        data: "QUJD",
      },
      { folderId: "f", data: "QUJD" },
    ];
    for (const item of items.slice(0, 3)) {
      await rejectsWith(client.importItem(mailbox, item), "invalidArgument", /could not be read/);
    }
    const report = await client.importItems(mailbox, items);
    assert.deepEqual(
      report.results.map((r) => [r.status, r.error?.code]),
      [
        ["failed", "invalidArgument"],
        ["failed", "invalidArgument"],
        ["failed", "invalidArgument"],
        ["imported", undefined],
      ],
    );
    client.free();
  });

  test("getters and Proxies that throw in options reject the call with invalidArgument", async () => {
    const throwingGetter = (name) =>
      Object.defineProperty(options(), name, {
        enumerable: true,
        get() {
          throw new Error(`${name} getter`);
        },
      });
    for (const name of ["token", "graphBaseUrl", "timeoutMs", "trustedImportHosts", "signal"]) {
      await rejectsWith(api.createImportSession("MBX:a@b", throwingGetter(name)), "invalidArgument", new RegExp(`options\\.${name}`));
      const client = new api.MailboxClient(throwingGetter(name));
      await rejectsWith(client.createImportSession("MBX:a@b"), "invalidArgument");
      client.free();
    }
    await rejectsWith(api.createImportSession("MBX:a@b", throwingProxy()), "invalidArgument");
    await rejectsWith(api.createImportSession("MBX:a@b", options({ trustedImportHosts: throwingProxy() })), "invalidArgument");

    const client = new api.MailboxClient(options());
    for (const name of ["onResult", "onProgress", "signal", "concurrency"]) {
      const bulk = Object.defineProperty({}, name, {
        get() {
          throw new Error(`${name} getter`);
        },
      });
      await rejectsWith(client.importItems("MBX:a@b", [], bulk), "invalidArgument", new RegExp(name));
    }
    await rejectsWith(client.importItems("MBX:a@b", [], throwingProxy()), "invalidArgument");
    await rejectsWith(client.copyItems(throwingProxy(), { mailboxId: "MBX:a@b", folderId: "f" }), "invalidArgument");
    await rejectsWith(client.copyItems({ mailboxId: "MBX:s@b", itemIds: throwingProxy() }, { mailboxId: "MBX:a@b", folderId: "f" }), "invalidArgument");
    await rejectsWith(client.exportItems("MBX:a@b", new Proxy(["a"], { get: () => { throw new Error("trap"); } })), "invalidArgument");
    const provider = api.clientCredentials(throwingProxy());
    await rejectsWith(provider({ scopes: [], forceRefresh: false }), "invalidArgument");
    assert.equal(api.isMailboxError(throwingProxy()), false);
    client.free();
  });

  test("onResult, onProgress and a token provider that throw: the call rejects with what they threw", async () => {
    const client = new api.MailboxClient(options());
    const mailbox = uniqueMailbox("callbacks");
    const items = () => [1, 2, 3].map(() => ({ folderId: "f", data: "QUJD" }));
    const thrown = new Error("from onResult");
    let outcome = await settled(client.importItems(mailbox, items(), { onResult: () => { throw thrown; } }));
    assert.equal(outcome.status, "rejected");
    assert.equal(outcome.error, thrown);
    const fromProgress = new Error("from onProgress");
    outcome = await settled(client.importItems(mailbox, items(), { onProgress: () => { throw fromProgress; } }));
    assert.equal(outcome.error, fromProgress);
    client.free();

    const fromProvider = new Error("from the provider");
    const failing = new api.MailboxClient(options({ token: () => { throw fromProvider; } }));
    const error = await rejectsWith(failing.createImportSession(mailbox), "tokenProviderFailed");
    assert.equal(error.cause, fromProvider);
    // A provider whose returned promise has a throwing `constructor` getter, and one returning a Proxy.
    const odd = Promise.resolve("tok");
    Object.defineProperty(odd, "constructor", { get() { throw new Error("constructor getter"); } });
    const oddClient = new api.MailboxClient(options({ token: () => odd }));
    await rejectsWith(oddClient.createImportSession(mailbox), "tokenProviderFailed");
    const proxyClient = new api.MailboxClient(options({ token: () => throwingProxy() }));
    await rejectsWith(proxyClient.createImportSession(mailbox), "tokenProviderFailed");
    for (const c of [failing, oddClient, proxyClient]) c.free();
  });

  test("an iterator whose steps throw or are not objects rejects the run with what it threw", async () => {
    const client = new api.MailboxClient(options());
    const mailbox = uniqueMailbox("steps");
    const boom = new Error("done getter");
    const iterable = (step) => ({ [Symbol.iterator]: () => ({ next: () => step }) });
    let outcome = await settled(client.importItems(mailbox, iterable({ get done() { throw boom; } })));
    assert.equal(outcome.error, boom);
    outcome = await settled(client.importItems(mailbox, iterable(42)));
    assert.equal(outcome.status, "rejected");
    assert.equal(outcome.error.code, "invalidArgument");
    outcome = await settled(client.importItems(mailbox, iterable(throwingProxy())));
    assert.equal(outcome.status, "rejected");
    assert.equal(outcome.error.message, "get trap");
    client.free();
  });
});

describe("options and items are read from own properties only", { timeout: 30000 }, () => {
  /** Runs `body` with `Object.prototype` polluted by `pollution`, every key removed afterwards. */
  async function polluted(pollution, body) {
    for (const [key, value] of Object.entries(pollution)) {
      Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true });
    }
    try {
      return await body();
    } finally {
      for (const key of Object.keys(pollution)) delete Object.prototype[key];
    }
  }

  /** Every URL fetched while `body` runs; nothing leaves the process: each answer is a 403 made here. */
  async function fetched(body) {
    const original = globalThis.fetch;
    const urls = [];
    const bodies = [];
    globalThis.fetch = async (url, init) => {
      urls.push(String(url));
      bodies.push(String(init?.body ?? ""));
      return new Response('{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}', {
        status: 403,
        headers: { "content-type": "application/json" },
      });
    };
    try {
      return { result: await body(), urls, bodies };
    } finally {
      globalThis.fetch = original;
    }
  }

  test("a polluted graphBaseUrl (or any other option) never takes the token elsewhere", async () => {
    const elsewhere = `${mock.elsewhereUrl}/graph`;
    const { urls, bodies } = await fetched(() =>
      polluted(
        {
          graphBaseUrl: elsewhere,
          trustedImportHosts: ["evil.example.net"],
          apiVersion: "beta",
          maxRetries: 10,
          authorityHost: elsewhere,
          scope: "https://evil.example.net/.default",
        },
        async () => {
          const client = new api.MailboxClient({ token: "my-token" });
          await rejectsWith(client.createImportSession("MBX:a@b"), "forbidden");
          await rejectsWith(api.createImportSession("MBX:a@b", { token: "my-token" }), "forbidden");
          const provider = api.clientCredentials({ tenantId: "contoso.onmicrosoft.com", clientId: "app", clientSecret: "secret" });
          await settled(provider({ scopes: [], forceRefresh: false }));
          client.free();
        },
      ),
    );
    assert.deepEqual(
      urls.map((url) => new URL(url).origin),
      ["https://graph.microsoft.com", "https://graph.microsoft.com", "https://login.microsoftonline.com"],
    );
    assert.ok(urls[0].includes("/v1.0/"), "the default version, not the polluted one");
    assert.match(bodies[2], /scope=https%3A%2F%2Fgraph\.microsoft\.com%2F\.default/, "the default scope");
    assert.deepEqual(mock.state.elsewhereRequests, []);
  });

  test("a polluted item field, bulk option or copy argument is not read", async () => {
    const client = new api.MailboxClient(options());
    const mailbox = uniqueMailbox("polluted");
    // (Not `signal`: Node's own streams read a polluted one and abort their sockets.)
    await polluted(
      {
        folderId: "polluted-folder",
        data: "UE9MTFVURUQ=",
        itemId: "AAMkADpolluted=",
        onResult: () => {
          throw new Error("polluted onResult");
        },
        concurrency: 0,
        itemIds: ["AAMkADpolluted="],
        mailboxId: "MBX:polluted@b",
        parentFolderId: "polluted",
      },
      async () => {
        await rejectsWith(client.importItem(mailbox, {}), "invalidArgument", /folderId/);
        await rejectsWith(client.importItem(mailbox, { folderId: "f" }), "invalidArgument", /data/);
        // Imported as a create (the polluted mode is not read), by a run the polluted callback and signal
        // do not touch.
        const report = await client.importItems(mailbox, [{ folderId: "f", data: "QUJD" }]);
        assert.deepEqual([report.imported, report.failed], [1, 0]);
        await rejectsWith(client.copyItems({ mailboxId: "MBX:s@b" }, { mailboxId: mailbox, folderId: "f" }), "invalidArgument", /source\.itemIds/);
        await rejectsWith(client.copyItems({ itemIds: ["a"] }, { mailboxId: mailbox, folderId: "f" }), "invalidArgument", /source\.mailboxId/);
        await rejectsWith(client.copyItems({ mailboxId: "MBX:s@b", itemIds: ["a"] }, { mailboxId: mailbox }), "invalidArgument", /target\.folderId/);
        // An array with a hole does not take the polluted entry from Array.prototype either.
        Array.prototype[1] = "AAMkADinherited=";
        try {
          // eslint-disable-next-line no-sparse-arrays
          await rejectsWith(client.exportItems(mailbox, ["a", , "c"]), "invalidArgument", /itemIds/);
        } finally {
          delete Array.prototype[1];
        }
        const folders = await client.listFolders(mailbox, {});
        assert.deepEqual(folders, []);
      },
    );
    const stored = mock.state.itemsFor(mailbox);
    assert.deepEqual(stored.map((item) => [item.folderId, item.data]), [["f", "QUJD"]]);
    const listed = mock.state.requestsFor(mailbox).filter((r) => r.route === "folders" || r.route === "childFolders");
    assert.deepEqual(listed.map((r) => r.route), ["folders"], "no parentFolderId was read from the prototype");
    client.free();
  });
});

describe("runs that end early", { timeout: 60000 }, () => {
  const item = (i) => ({ folderId: "f", data: btoa(`item ${i}`) });

  test("a refused mailbox fails a huge run's items without starving the caller's timers, and the signal stops it", async () => {
    const client = new api.MailboxClient(options({ token: `forbidden-${Date.now()}` }));
    const mailbox = uniqueMailbox("refused");
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled += 1;
        yield item(pulled);
      }
    }
    const controller = new AbortController();
    const reason = new Error("the caller's timer");
    const started = Date.now();
    let firedAfter = null;
    setTimeout(() => {
      firedAfter = Date.now() - started;
      controller.abort(reason);
    }, 200);
    let failed = 0;
    const outcome = await settled(
      client.importItems(mailbox, endless(), {
        signal: controller.signal,
        keepResults: false,
        onResult: (r) => {
          if (r.status === "failed" && r.error.code === "forbidden") failed += 1;
        },
      }),
      10000,
    );
    assert.equal(outcome.status, "rejected", "an endless run ends only through its signal");
    assert.equal(outcome.error, reason, "rejects with signal.reason");
    assert.ok(firedAfter !== null && firedAfter < 400, `the caller's 200 ms timer fired after ${firedAfter} ms`);
    assert.ok(failed > 500, `items kept failing while the timer waited (${failed})`);
    assert.equal(mock.state.requestsFor(mailbox).length, 1, "one createImportSession, refused; no item posted");
    client.free();
  });

  test("an endless source of invalid entries is stopped by the signal", async () => {
    const client = new api.MailboxClient(options());
    function* invalid() {
      for (;;) yield { folderId: 42 };
    }
    const started = Date.now();
    const outcome = await settled(
      client.importItems(uniqueMailbox("invalid"), invalid(), { signal: AbortSignal.timeout(150), keepResults: false }),
      10000,
    );
    assert.equal(outcome.status, "rejected");
    assert.equal(outcome.error.name, "TimeoutError", String(outcome.error));
    assert.ok(Date.now() - started < 1000, `stopped after ${Date.now() - started} ms`);
    client.free();
  });

  test("onResult throwing while the source's next() waits still rejects the run with what it threw", async () => {
    const client = new api.MailboxClient(options());
    // A queue fed by onResult: the next item comes only once the previous one was reported.
    const waiting = [];
    async function* queue() {
      yield item(0);
      for (;;) yield await new Promise((resolve) => waiting.push(resolve));
    }
    const thrown = new Error("onResult failed");
    const outcome = await settled(
      client.importItems(uniqueMailbox("queue"), queue(), {
        onResult: () => {
          throw thrown;
        },
      }),
    );
    assert.equal(outcome.status, "rejected", "the run settled");
    assert.equal(outcome.error, thrown);
    client.free();
  });

  test("the caller's iterator is closed (its finally runs) when a run stops, fails or is aborted", async () => {
    const client = new api.MailboxClient(options());
    const mailbox = uniqueMailbox("closed");
    const track = () => {
      const state = { closed: false, pulled: 0 };
      state.sync = function* () {
        try {
          for (;;) {
            state.pulled += 1;
            yield item(state.pulled);
          }
        } finally {
          state.closed = true;
        }
      };
      state.async = async function* () {
        try {
          for (;;) {
            state.pulled += 1;
            yield item(state.pulled);
          }
        } finally {
          state.closed = true;
        }
      };
      return state;
    };
    for (const kind of ["sync", "async"]) {
      // onResult throws: the run fails.
      let state = track();
      let outcome = await settled(client.importItems(mailbox, state[kind](), { onResult: () => { throw new Error("stop"); } }));
      assert.equal(outcome.status, "rejected");
      assert.equal(state.closed, true, `${kind}: closed after onResult threw`);

      // Aborted through the signal after a few items.
      state = track();
      const controller = new AbortController();
      outcome = await settled(
        client.importItems(mailbox, state[kind](), {
          signal: controller.signal,
          onResult: (r) => {
            if (r.index === 5) controller.abort(new Error("enough"));
          },
        }),
      );
      assert.equal(outcome.status, "rejected");
      assert.equal(outcome.error.message, "enough");
      assert.equal(state.closed, true, `${kind}: closed after an abort`);

      // Aborted through the client's own signal.
      state = track();
      const clientController = new AbortController();
      const aborting = new api.MailboxClient(options({ signal: clientController.signal }));
      setTimeout(() => clientController.abort(new Error("client aborted")), 50);
      outcome = await settled(aborting.importItems(mailbox, state[kind]()));
      assert.equal(outcome.status, "rejected");
      assert.equal(state.closed, true, `${kind}: closed after the client's signal aborted`);
      aborting.free();
    }

    // An iterator without return(), and one whose return() throws: the run rejects with its own reason.
    const thrown = new Error("onResult");
    const bare = { [Symbol.iterator]: () => ({ next: () => ({ done: false, value: item(0) }) }) };
    let outcome = await settled(client.importItems(mailbox, bare, { onResult: () => { throw thrown; } }));
    assert.equal(outcome.error, thrown);
    const failingReturn = {
      [Symbol.iterator]: () => ({
        next: () => ({ done: false, value: item(0) }),
        return: () => {
          throw new Error("return() threw");
        },
      }),
    };
    outcome = await settled(client.importItems(mailbox, failingReturn, { onResult: () => { throw thrown; } }));
    assert.equal(outcome.error, thrown);
    const rejectingReturn = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: item(0) }),
        return: async () => {
          throw new Error("return() rejected");
        },
      }),
    };
    outcome = await settled(client.importItems(mailbox, rejectingReturn, { onResult: () => { throw thrown; } }));
    assert.equal(outcome.error, thrown);
    client.free();
  });
});

describe("the README's copy resume recipe", { timeout: 60000 }, () => {
  test("a copy stopped mid-way and resumed as the README says copies every item exactly once", async () => {
    mock.state.reset();
    const seed = demoSeed();
    mock.state.seed(seed);
    const { ids } = seed;
    const itemIds = [...ids.items.inbox, ...ids.items.projects];
    const target = { mailboxId: ids.targetMailbox, folderId: ids.targetFolders.restored };
    mock.state.setConfig({ importLatencyMs: 15 });
    const client = new api.MailboxClient(options({ token: "resume-token" }));
    try {
      // The recipe: keep what onResult reports; to resume, pass again every id not reported imported or
      // outcomeUnknown.
      const done = new Set();
      const record = (r) => {
        if (r.status === "imported" || r.status === "outcomeUnknown") done.add(r.sourceItemId);
      };
      const controller = new AbortController();
      let reported = 0;
      const aborted = [];
      const first = await settled(
        client.copyItems({ mailboxId: ids.sourceMailbox, itemIds }, target, {
          concurrency: 8,
          signal: controller.signal,
          onResult: (r) => {
            record(r);
            reported += 1;
            if (r.error?.code === "aborted") aborted.push(r.sourceItemId);
            if (reported === 30) controller.abort(new Error("stopped by the operator"));
          },
        }),
      );
      assert.equal(first.status, "rejected");
      assert.equal(first.error.message, "stopped by the operator");
      assert.ok(done.size >= 30 && done.size < itemIds.length, `${done.size} copied before the stop`);
      // Items reported failed with code `aborted` were taken but never sent: resuming with only the ids
      // onResult never reported would lose them.
      assert.ok(aborted.length > 0, "some items were reported aborted");

      const rest = itemIds.filter((id) => !done.has(id));
      const second = await client.copyItems({ mailboxId: ids.sourceMailbox, itemIds: rest }, target, { onResult: record });
      assert.deepEqual([second.imported, second.failed, second.outcomeUnknown], [rest.length, 0, 0]);

      const sourceHashes = new Map(mock.state.itemsFor(ids.sourceMailbox).map((i) => [i.itemId, i.dataHash]));
      const copies = mock.state.itemsFor(ids.targetMailbox).filter((i) => i.folderId === ids.targetFolders.restored);
      assert.deepEqual(
        copies.map((i) => i.dataHash).sort(),
        itemIds.map((id) => sourceHashes.get(id)).sort(),
        "every source item exists exactly once in the target",
      );
      assert.deepEqual(mock.state.duplicateData(ids.targetMailbox), []);
    } finally {
      client.free();
      mock.state.reset();
    }
  });
});
