// Section 1: size. The package as shipped (wasm after wasm-opt, the glue as build.sh minifies it), the
// one-call consumer bundled by esbuild for ours and each alternative, and where the wasm's bytes go.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

import { build } from "esbuild";

import { loadDemangler } from "../lib/demangle.mjs";
import { gzipCli, minifiedGlue } from "../lib/shipped.mjs";
import { BENCH, PKG, ROOT, ROOT_BIN, TARGET_WASM, WASM, brotliSize, bytes, check, gzipSize, log, pct } from "../lib/util.mjs";
import { cleanName, dataStrings, groupOf, readWasm } from "../lib/wasm-names.mjs";

export const CONSUMERS = [
  { id: "fetch", label: "plain fetch" },
  { id: "fetch-retry", label: "fetch + retry loop" },
  { id: "ours", label: "graph-mailbox-import (ours)" },
  { id: "graph-client", label: "@microsoft/microsoft-graph-client 3.0.7" },
  { id: "kiota-runtime", label: "Kiota runtime, hand-built request" },
  { id: "kiota-beta", label: "Kiota beta SDK (@microsoft/msgraph-beta-sdk), lower bound" },
];

const sizes = (buf) => ({ raw: buf.length, gzip: gzipSize(buf), brotli: brotliSize(buf) });

/** The package's name of an esbuild input path ("(app)" for the consumer itself). */
function packageOf(input) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (m) return m[1];
  if (input.includes("/pkg/") || input.startsWith("../pkg/") || input.startsWith("pkg/")) return "graph-mailbox-import";
  return "(consumer code)";
}

async function bundleConsumer(consumer, tmp) {
  const entry = join(tmp, `entry-${consumer.id}.mjs`);
  writeFileSync(
    entry,
    `import { createSession } from ${JSON.stringify(join(BENCH, "consumers", `${consumer.id}.mjs`))};\n` +
      `createSession("MBX:e0643f21@a7809c93", { token: globalThis.GRAPH_TOKEN }).then((s) => console.log(s.expirationDateTime));\n`,
  );
  const outfile = join(tmp, `bundle-${consumer.id}.js`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    external: ["*.wasm"],
    outfile,
    metafile: true,
    logLevel: "silent",
  });
  const js = readFileSync(outfile);
  const byPackage = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].inputs)) {
    const p = packageOf(input);
    byPackage.set(p, (byPackage.get(p) ?? 0) + bytesInOutput);
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, n]) => ({ name, minified: n }));
  const out = { ...consumer, js: sizes(js), top };
  if (consumer.id === "ours") {
    out.wasm = sizes(readFileSync(WASM));
    out.total = { raw: out.js.raw + out.wasm.raw, gzip: out.js.gzip + out.wasm.gzip, brotli: out.js.brotli + out.wasm.brotli };
  } else {
    out.total = out.js;
  }
  return out;
}

/** The wasm-opt flags of scripts/build.sh, read from it so the named build stays the shipped one. */
function buildShFlags() {
  const text = readFileSync(join(ROOT, "scripts", "build.sh"), "utf8");
  const block = text.match(/node_modules\/\.bin\/wasm-opt ([^"]*)"\$wasm" -o "\$wasm"/)[1];
  return block.replace(/\\\n/g, " ").split(/\s+/).filter(Boolean);
}

/**
 * The shipped wasm with its names: the release module that build.sh left in target/, through the same
 * wasm-bindgen and wasm-opt steps plus `-g` (keep the name section). Returns null when the module or the
 * wasm-bindgen CLI is missing.
 */
async function namedBuild(tmp) {
  const input = TARGET_WASM;
  const env = { ...process.env, PATH: `${join(homedir(), ".cargo", "bin")}:${process.env.PATH}` };
  if (!existsSync(input)) return { error: "target/wasm32-unknown-unknown/release/graph_mailbox_import.wasm is missing" };
  try {
    // The same out-name as build.sh: it is the module name of every import, so it counts in the size.
    await check("wasm-bindgen", ["--target", "web", "--out-dir", tmp, "--out-name", "graph_mailbox_import", input], { env });
  } catch (e) {
    return { error: `wasm-bindgen failed: ${String(e.message).split("\n")[0]}` };
  }
  const out = join(tmp, "named.wasm");
  await check(join(ROOT_BIN, "wasm-opt"), [...buildShFlags(), "-g", join(tmp, "graph_mailbox_import_bg.wasm"), "-o", out]);
  return { buffer: readFileSync(out) };
}

async function breakdown(tmp) {
  const shippedBuf = readFileSync(WASM);
  const shipped = readWasm(shippedBuf);
  const strings = dataStrings(shippedBuf, shipped.dataRange);
  const named = await namedBuild(tmp);
  if (named.error) return { error: named.error, shipped };
  const demangle = await loadDemangler();
  const w = readWasm(named.buffer);
  const codeOf = (m) => m.sections.find((s) => s.name === "code")?.size ?? 0;
  const sameAsShipped = named.buffer.length - w.nameSectionSize === readFileSync(WASM).length && codeOf(w) === codeOf(shipped);
  const functions = w.functions.map((f) => ({ ...f, name: cleanName(demangle(f.name)) }));
  const groups = new Map();
  for (const f of functions) {
    const g = groupOf(f.name);
    const entry = groups.get(g) ?? { group: g, size: 0, count: 0 };
    entry.size += f.size;
    entry.count += 1;
    groups.set(g, entry);
  }
  const total = shipped.sections.reduce((s, x) => s + x.size, 0) + 8;
  return {
    method: "own reader (bench/lib/wasm-names.mjs) of the name section of a named build (wasm-bindgen + wasm-opt with build.sh's flags and -g), names demangled with rustc-demangle (npm gecko-profiler-demangle)",
    sameAsShipped,
    namedSize: named.buffer.length,
    nameSectionSize: w.nameSectionSize,
    total,
    sections: shipped.sections,
    dataSegments: shipped.dataSegments,
    strings,
    importedFunctions: w.importedFunctions,
    functionCount: functions.length,
    groups: [...groups.values()].sort((a, b) => b.size - a.size),
    top: [...functions].sort((a, b) => b.size - a.size).slice(0, 15),
  };
}

export async function measureSize(tmp) {
  mkdirSync(tmp, { recursive: true });
  const wasmBuf = readFileSync(WASM);
  const glueBuf = await minifiedGlue(join(tmp, "glue.min.js"));
  const shipped = {
    wasm: { ...sizes(wasmBuf), gzipCli: await gzipCli(WASM) },
    glue: { ...sizes(glueBuf), gzipCli: await gzipCli(join(tmp, "glue.min.js")), unminified: readFileSync(join(PKG, "graph_mailbox_import.js")).length },
  };
  shipped.total = {
    raw: shipped.wasm.raw + shipped.glue.raw,
    gzip: shipped.wasm.gzip + shipped.glue.gzip,
    brotli: shipped.wasm.brotli + shipped.glue.brotli,
    gzipCli: shipped.wasm.gzipCli + shipped.glue.gzipCli,
  };
  const pack = JSON.parse(await check("npm", ["pack", "--dry-run", "--json", "--silent"], { cwd: PKG }))[0];
  shipped.tarball = { size: pack.size, unpackedSize: pack.unpackedSize, files: pack.entryCount };

  log("", "== 1. Size", `shipped: wasm ${bytes(shipped.wasm.raw)} (gzip ${bytes(shipped.wasm.gzip)}, brotli ${bytes(shipped.wasm.brotli)}); ` +
    `glue min ${bytes(shipped.glue.raw)} (gzip ${bytes(shipped.glue.gzip)}, brotli ${bytes(shipped.glue.brotli)}); ` +
    `total gzip ${bytes(shipped.total.gzip)} (build.sh's gzip CLI: ${bytes(shipped.total.gzipCli)}), brotli ${bytes(shipped.total.brotli)}; ` +
    `npm tarball ${bytes(pack.size)}, unpacked ${bytes(pack.unpackedSize)}`);

  const bundles = [];
  for (const consumer of CONSUMERS) {
    const b = await bundleConsumer(consumer, tmp);
    bundles.push(b);
    log(`bundle ${b.label}: js ${bytes(b.js.raw)} min, gzip ${bytes(b.js.gzip)}, brotli ${bytes(b.js.brotli)}` +
      (b.wasm ? `; + wasm gzip ${bytes(b.wasm.gzip)} = total gzip ${bytes(b.total.gzip)}, brotli ${bytes(b.total.brotli)}` : "") +
      `; largest: ${b.top.map((t) => `${t.name} ${bytes(t.minified)}`).join(", ")}`);
  }

  const where = await breakdown(join(tmp, "named"));
  if (where.error) {
    log(`breakdown: not available (${where.error})`);
  } else {
    log(`breakdown (${where.sameAsShipped ? "named build = shipped build" : "named build DIFFERS from pkg/: target/ is newer or older than pkg/"}):`);
    for (const s of where.sections) log(`  section ${s.name}: ${bytes(s.size)} (${pct(s.size / where.total)})`);
    for (const g of where.groups.slice(0, 20)) log(`  ${g.group}: ${bytes(g.size)} in ${g.count} functions`);
    for (const f of where.top) log(`  fn ${f.name}: ${bytes(f.size)}`);
    log(`  data: ${bytes(where.strings.textBytes)} of text in ${where.strings.runs} runs; panic-location source paths ${bytes(where.strings.pathBytes)} (${where.strings.paths.length} files)`);
  }
  return { shipped, bundles, breakdown: where };
}
