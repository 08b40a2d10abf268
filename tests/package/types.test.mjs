// The shipped TypeScript declarations (pkg/index.d.ts and pkg/init.d.ts, written by hand): consumers
// compile against the packed package under the module resolutions users have, in a Node project without
// the DOM library, and with `using`; and the declarations name exactly what the package exports at run time.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";

import ts from "typescript";

import { installPackedPackage, NODE_MODULES_BIN, ROOT, tempDir } from "./support.mjs";

const TYPES_DIR = fileURLToPath(new URL("./types/", import.meta.url));

// The types the package declares: its contract, beside the values checked against the run time below.
const PUBLIC_TYPES = [
  "BulkOptions", "ClientCredentialsOptions", "ClientOptions", "ExportedItem", "ImportItem", "ImportReport",
  "ImportedItem", "ItemResult", "MailboxError", "MailboxErrorCode", "MailboxFolder", "MailboxItem",
  "MailboxItemImportSession", "Progress", "TokenProvider", "UserMailboxes",
  // Folder trees and incremental copies.
  "CopiedItem", "CopyFoldersOptions", "CopyFoldersReport", "CopyItemStore", "CopyState", "FolderEvent", "FolderNode",
  "ItemChanges",
];

let packageDir;

before(() => {
  // consumer.ts imports "graph-mailbox-import": it resolves through types/node_modules (git-ignored), which
  // holds the unpacked tarball, so only declarations that ship are seen.
  ({ packageDir } = installPackedPackage(TYPES_DIR));
});

function tsc(project, ...flags) {
  const emit = flags.length ? flags : ["--noEmit"];
  const result = spawnSync(join(NODE_MODULES_BIN, "tsc"), [...emit, "--pretty", "false", "-p", project], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.error) throw result.error;
  return result;
}

test('the consumer compiles with moduleResolution "bundler", and every misuse is an error', { timeout: 60000 }, () => {
  const result = tsc("tests/package/types");
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('the consumer compiles with module "node16"', { timeout: 60000 }, () => {
  const result = tsc("tests/package/types/tsconfig.node16.json");
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('a Node project with "lib": ["es2022"] and @types/node, no DOM and no skipLibCheck, compiles', { timeout: 60000 }, () => {
  const result = tsc("tests/package/types/tsconfig.node-es2022.json");
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test("`using` compiles without DOM or @types/node, and frees the client at the end of the block", { timeout: 60000 }, async () => {
  // Emitted beside its own copy of the installed package, so the compiled module resolves it by name.
  const dir = tempDir("disposable");
  installPackedPackage(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, type: "module" }));
  const result = tsc("tests/package/types/tsconfig.disposable.json", "--outDir", dir);
  assert.equal(result.status, 0, result.stdout + result.stderr);

  const { callInsideAndAfterBlock } = await import(join(dir, "disposable.js"));
  const { inside, after } = await callInsideAndAfterBlock();
  assert.equal(inside, "network", "inside the block the client sends its request");
  // After the block the client's wasm memory is released: the same call no longer reaches the network.
  assert.ok(after !== "network" && after !== "resolved", `after the block the client is freed (got ${after})`);
});

/** The names a declaration file exports, split into values and types only. */
function declaredExports(program, file) {
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(file));
  const exports = checker.getExportsOfModule(symbol);
  const values = exports.filter((s) => s.flags & ts.SymbolFlags.Value).map((s) => s.getName()).sort();
  const types = exports.filter((s) => !(s.flags & ts.SymbolFlags.Value)).map((s) => s.getName()).sort();
  return { values, types, symbols: exports, checker };
}

test("the declarations name exactly what the package exports at run time", { timeout: 60000 }, async () => {
  const index = join(packageDir, "index.d.ts");
  const init = join(packageDir, "init.d.ts");
  const program = ts.createProgram([index, init], { noEmit: true, strict: true, lib: ["lib.es2022.d.ts"], types: [] });
  assert.deepEqual(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), []);

  // The Node entry, as `import "graph-mailbox-import"` in Node gets it, and the /init entry.
  const main = await import(join(packageDir, "node.js"));
  const loader = await import(join(packageDir, "init.js"));
  const declared = declaredExports(program, index);
  assert.deepEqual(declared.values, Object.keys(main).sort());
  assert.deepEqual(declared.types, [...PUBLIC_TYPES].sort());
  const declaredInit = declaredExports(program, init);
  assert.deepEqual(declaredInit.values, Object.keys(loader).sort());
  assert.deepEqual(declaredInit.types, [...PUBLIC_TYPES, "InitInput", "SyncInitInput"].sort());

  // MailboxClient's methods: the declared ones are those of the class, Symbol.dispose included (TypeScript
  // names a well-known symbol member "__@dispose@<id>").
  const client = declared.symbols.find((s) => s.getName() === "MailboxClient");
  const instance = declared.checker.getDeclaredTypeOfSymbol(client);
  const declaredMethods = declared.checker
    .getPropertiesOfType(instance)
    .map((p) => (p.getName().startsWith("__@dispose@") ? "[Symbol.dispose]" : p.getName()))
    .sort();
  const prototype = main.MailboxClient.prototype;
  const runtimeMethods = Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== "constructor" && !name.startsWith("__")) // wasm-bindgen's own helpers
    .concat(Object.getOwnPropertySymbols(prototype).map((symbol) => (symbol === Symbol.dispose ? "[Symbol.dispose]" : String(symbol))))
    .sort();
  assert.deepEqual(declaredMethods, runtimeMethods);
  assert.equal(prototype[Symbol.dispose], prototype.free, "disposing frees");
});
