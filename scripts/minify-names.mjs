// Shortens the wasm module's import names to one or two characters, and its one import module to "a", and
// rewrites wasm-bindgen's glue to match. The generated names carry a 16-digit hash each
// (`__wbg_set_name_822e3903f3184979`) and are written twice, in the wasm and as keys of the glue's import
// object: 2.9 KB gzip that compression could not remove. Exports keep their names (`init()` returns them).
// Usage: node scripts/minify-names.mjs <module.wasm> <glue.js>
// Fails, leaving both files untouched, unless every name is found exactly where it is expected.
import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, gluePath] = process.argv.slice(2);
const wasm = readFileSync(wasmPath);
let glue = readFileSync(gluePath, "utf8");

const fail = (message) => {
  console.error(`minify-names: ${message}`);
  process.exit(1);
};

let pos = 0;
const u32 = () => {
  let result = 0;
  for (let shift = 0; ; shift += 7) {
    const b = wasm[pos++];
    result += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return result;
  }
};
const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
};
const name = () => {
  const len = u32();
  const s = wasm.subarray(pos, pos + len).toString("utf8");
  pos += len;
  return s;
};
const encoded = (s) => Buffer.concat([leb(Buffer.byteLength(s)), Buffer.from(s)]);
const limits = () => {
  const flags = u32();
  u32();
  if (flags & 1) u32();
};

// a..z, A..Z, then two characters: valid identifiers, though the glue quotes them anyway.
const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const shortName = (i) => (i < letters.length ? letters[i] : letters[Math.floor(i / letters.length) - 1] + letters[i % letters.length]);

pos = 8;
const parts = [wasm.subarray(0, 8)];
const renamed = [];
while (pos < wasm.length) {
  const start = pos;
  const id = wasm[pos++];
  const len = u32();
  const end = pos + len;
  if (id !== 2) {
    parts.push(wasm.subarray(start, end));
    pos = end;
    continue;
  }
  const count = u32();
  const body = [leb(count)];
  for (let i = 0; i < count; i += 1) {
    const module = name();
    const field = name();
    const descStart = pos;
    const kind = wasm[pos++];
    if (kind === 0) u32();
    else if (kind === 1) (pos++, limits());
    else if (kind === 2) limits();
    else if (kind === 3) pos += 2;
    else if (kind === 4) (pos++, u32());
    else fail(`import kind ${kind} is not understood`);
    renamed.push([module, field, shortName(i)]);
    body.push(encoded("a"), encoded(shortName(i)), wasm.subarray(descStart, pos));
  }
  if (pos !== end) fail("the import section was not read to its end");
  const content = Buffer.concat(body);
  parts.push(Buffer.from([2]), leb(content.length), content);
}

// One import module (wasm-bindgen's `./<name>_bg.js`), written once in the glue as a key.
const modules = [...new Set(renamed.map(([m]) => m))];
if (modules.length !== 1) fail(`expected one import module, got ${modules}`);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const occurrences = (re) => (glue.match(re) ?? []).length;
const moduleKey = new RegExp(`"${escape(modules[0])}": import0`, "g");
if (occurrences(moduleKey) !== 1) fail(`the glue does not name the import module ${modules[0]} once`);
glue = glue.replace(moduleKey, `"a": import0`);

// Each import is one key of the glue's import object: `        __wbg_x_0123456789abcdef: function(`.
for (const [, oldName, newName] of renamed) {
  const key = new RegExp(`^(\\s+)${escape(oldName)}:(?= function)`, "gm");
  if (occurrences(key) !== 1) fail(`the glue does not define the import ${oldName} once`);
  glue = glue.replace(key, (_, indent) => `${indent}"${newName}":`);
}

const out = Buffer.concat(parts);
new WebAssembly.Module(out); // still a valid module
writeFileSync(wasmPath, out);
writeFileSync(gluePath, glue);
