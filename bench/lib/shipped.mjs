// The shipped size exactly as scripts/build.sh measures it: `gzip -9 -c FILE | wc -c` of the wasm and of the
// glue, the glue being pkg/browser.js bundled and minified by the root's esbuild with build.sh's flags.
// Only the root's tooling: bench/budget.mjs uses this without bench/'s dependencies.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { PKG, ROOT_BIN, check } from "./util.mjs";

export async function gzipCli(path) {
  return Number((await check("bash", ["-c", 'gzip -9 -c "$1" | wc -c', "gzip", path])).trim());
}

export async function minifiedGlue(outfile) {
  await check(join(ROOT_BIN, "esbuild"), [
    join(PKG, "browser.js"), "--bundle", "--minify", "--format=esm", "--target=es2022", "--platform=browser",
    "--external:*.wasm", "--log-level=warning", `--outfile=${outfile}`,
  ]);
  return readFileSync(outfile);
}
