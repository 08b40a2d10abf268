// The documentation the repository and the package carry: every relative link resolves inside the
// repository, nothing points at design notes outside it, and the install steps are ones that work (the
// package is installed from the tarball the build makes; pack.test.mjs runs those steps).

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";

import { ROOT } from "./support.mjs";

/** The Markdown files users read: the READMEs, docs/, and the examples'. */
function documents() {
  const found = ["README.md", "pkg/README.md"];
  for (const dir of ["docs", "examples"]) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      const path = join(entry.parentPath ?? entry.path, entry.name);
      if (entry.isFile() && entry.name.endsWith(".md") && !path.includes(`${sep}node_modules${sep}`)) {
        found.push(relative(ROOT, path));
      }
    }
  }
  return found.sort();
}

test("the reference documents exist and are linked from the README", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  for (const doc of ["docs/api.md", "docs/graph-api.md"]) {
    assert.ok(existsSync(join(ROOT, doc)), doc);
    assert.ok(readme.includes(`](${doc})`), `README links ${doc}`);
  }
  assert.ok(documents().includes("examples/cloudflare-worker/README.md"));
});

test("every relative link in the documentation resolves to a file in the repository", () => {
  const broken = [];
  for (const doc of documents()) {
    const text = readFileSync(join(ROOT, doc), "utf8");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
      const file = resolve(ROOT, dirname(doc), target.split("#")[0]);
      if (!file.startsWith(ROOT) || !existsSync(file)) broken.push(`${doc}: ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});

test("nothing points at design notes outside the repository, and nobody is told to install from a registry", () => {
  const outside = [];
  for (const doc of documents()) {
    const text = readFileSync(join(ROOT, doc), "utf8");
    if (/shared\/design|\.\.\/shared\//.test(text)) outside.push(`${doc}: names ../shared`);
    if (/npm install graph-mailbox-import(?![-\w.])/.test(text)) outside.push(`${doc}: npm install graph-mailbox-import`);
  }
  assert.deepEqual(outside, []);
});
