// The tarball `npm pack ./pkg` makes, as the README tells users to build and install it: exactly the files
// a user needs (entries, glue, wasm, declarations, README, license texts; no test or source file), the
// package.json fields a package carries, and `npm install` of the tarball giving a package that loads.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";

import { installPackedPackage, packPackage, PKG_DIR, ROOT, run, tempDir } from "./support.mjs";

let packed;
let manifest;

before(() => {
  packed = installPackedPackage(tempDir("pack-contents"));
  manifest = JSON.parse(readFileSync(join(packed.packageDir, "package.json"), "utf8"));
});

/** A `key = "value"` of Cargo.toml's [package] table. */
function cargoField(key) {
  const cargo = readFileSync(join(ROOT, "Cargo.toml"), "utf8");
  const match = new RegExp(`^${key} = "([^"]*)"$`, "m").exec(cargo);
  assert.ok(match, `Cargo.toml has ${key}`);
  return match[1];
}

test("the tarball holds the entries, glue, wasm, declarations, README and license texts, nothing else", () => {
  assert.deepEqual(packed.files, [
    "LICENSE-APACHE",
    "LICENSE-MIT",
    "README.md",
    "api.js",
    "browser.js",
    "graph_mailbox_import.js",
    "graph_mailbox_import_bg.wasm",
    "index.d.ts",
    "init.d.ts",
    "init.js",
    "node.js",
    "package.json",
    "workerd.js",
  ]);
});

test("the license texts are the repository's, for the crate's MIT OR Apache-2.0", () => {
  for (const name of ["LICENSE-MIT", "LICENSE-APACHE"]) {
    assert.equal(readFileSync(join(packed.packageDir, name), "utf8"), readFileSync(join(ROOT, name), "utf8"), name);
  }
  const mit = readFileSync(join(ROOT, "LICENSE-MIT"), "utf8");
  assert.match(mit, /^MIT License\n\nCopyright \(c\) \d{4} the graph-mailbox-import authors\n/);
  assert.match(mit, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
  const apache = readFileSync(join(ROOT, "LICENSE-APACHE"), "utf8");
  assert.match(apache, /^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
  assert.match(apache, /END OF TERMS AND CONDITIONS/);
  assert.equal(manifest.license, cargoField("license"));
  assert.equal(manifest.license, "MIT OR Apache-2.0");
});

test("package.json carries the crate's name, version and repository, keywords, engines and types", () => {
  assert.equal(manifest.name, cargoField("name"));
  assert.equal(manifest.version, cargoField("version"));
  assert.equal(manifest.description, cargoField("description"));
  assert.deepEqual(manifest.repository, { type: "git", url: cargoField("repository") });
  assert.ok(Array.isArray(manifest.keywords) && manifest.keywords.includes("microsoft-graph"), manifest.keywords);
  assert.equal(manifest.engines.node, ">=18");
  assert.equal(manifest.types, "./index.d.ts");
  assert.equal(manifest.exports["."].types, "./index.d.ts");
  assert.equal(manifest.exports["./init"].types, "./init.d.ts");
});

test("the README that ships says what the package is, how to install the tarball, and holds an example", () => {
  const readme = readFileSync(join(packed.packageDir, "README.md"), "utf8");
  assert.equal(readme, readFileSync(join(PKG_DIR, "README.md"), "utf8"));
  assert.match(readme, /^# graph-mailbox-import\n/);
  assert.match(readme, /npm pack \.\/pkg/);
  assert.match(readme, /npm install \.\/graph-mailbox-import-0\.1\.0\.tgz/);
  assert.match(readme, /import \{[^}]*MailboxClient[^}]*\} from "graph-mailbox-import"/);
  // Nothing it names lies outside the package: no links at all, the declarations named by file.
  assert.doesNotMatch(readme, /\]\(/, "no links");
  assert.ok(packed.files.includes("index.d.ts"));
});

test("npm install of the tarball, as the README says, gives a package that loads and answers", { timeout: 60000 }, () => {
  const { tarball } = packPackage();
  const project = tempDir("install");
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run("npm", ["install", tarball, "--offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project });
  const installed = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
  assert.match(installed.dependencies["graph-mailbox-import"], /^file:.*graph-mailbox-import-0\.1\.0\.tgz$/);
  // A call refused before any request: the wasm loaded and the package answers with its documented error.
  const out = run(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { createImportSession, isMailboxError } from "graph-mailbox-import";
       const e = await createImportSession("", { token: "t" }).catch((e) => e);
       console.log(JSON.stringify({ mailboxError: isMailboxError(e), code: e.code }));`,
    ],
    { cwd: project },
  );
  assert.deepEqual(JSON.parse(out), { mailboxError: true, code: "invalidArgument" });
});
