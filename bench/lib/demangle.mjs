// Rust symbol demangling (legacy `_ZN...E` and v0 `_R...`) through the npm package gecko-profiler-demangle
// (rustc-demangle compiled to wasm, wasm-bindgen's bundler output, loaded here by hand for plain Node).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

let demangleAny;

export async function loadDemangler() {
  if (demangleAny) return demangleAny;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("gecko-profiler-demangle/package.json"));
  const glue = await import(join(dir, "index_bg.js"));
  const module = new WebAssembly.Module(readFileSync(join(dir, "index_bg.wasm")));
  const instance = new WebAssembly.Instance(module, { "./index_bg.js": glue });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start?.();
  demangleAny = (name) => (/^(_ZN|_R)/.test(name) ? glue.demangle_any(name) : name);
  return demangleAny;
}
