// The shipped TypeScript declarations: a consumer (types/consumer.ts) compiles against the packed package
// under the two module resolutions users have, and the public declarations are exactly the ones the Rust
// crate generates (src/wasm/api.rs), minus wasm-bindgen's loader.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";

import ts from "typescript";

import { installPackedPackage, NODE_MODULES_BIN, ROOT } from "./support.mjs";

const TYPES_DIR = fileURLToPath(new URL("./types/", import.meta.url));

// What the generated declarations hold for loading the module; the main entry loads itself.
const LOADER = new Set(["default", "initSync", "InitInput", "InitOutput", "SyncInitInput"]);

let packageDir;

before(() => {
  // consumer.ts imports "graph-mailbox-import": it resolves through types/node_modules (git-ignored), which
  // holds the unpacked tarball, so only declarations that ship are seen.
  ({ packageDir } = installPackedPackage(TYPES_DIR));
});

function tsc(project) {
  const result = spawnSync(join(NODE_MODULES_BIN, "tsc"), ["--noEmit", "--pretty", "false", "-p", project], {
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

/** The names a declaration file exports, types and values alike. */
function exportedNames(program, file) {
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(file));
  return checker.getExportsOfModule(symbol).map((s) => s.getName()).sort();
}

test("index.d.ts declares exactly the generated public API", () => {
  const index = join(packageDir, "index.d.ts");
  const generated = join(packageDir, "graph_mailbox_import.d.ts");
  const program = ts.createProgram([index, generated], {
    noEmit: true,
    strict: true,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
  });
  const publicApi = exportedNames(program, generated).filter((name) => !LOADER.has(name));
  assert.deepEqual(exportedNames(program, index), publicApi);
  assert.ok(publicApi.includes("createImportSession") && publicApi.includes("MailboxError"), publicApi.join(", "));
});
