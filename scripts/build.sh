#!/usr/bin/env bash
# Builds the npm package in pkg/: the release wasm, wasm-bindgen's `--target web` glue beside the hand-written
# entry points, then wasm-opt; prints what a user downloads. Assumes scripts/setup.sh has run.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if [ ! -x node_modules/.bin/wasm-opt ] || ! command -v wasm-bindgen >/dev/null; then
  echo "build: wasm-bindgen or node_modules/.bin/wasm-opt is missing: run scripts/setup.sh first" >&2
  exit 1
fi

name=graph_mailbox_import
wasm="pkg/${name}_bg.wasm"

cargo build --release --target wasm32-unknown-unknown

# `--target web`: plain ES modules with `init`/`initSync`, the one output that loads unchanged in browsers,
# bundlers, Node and workerd (`--target bundler` does not load in workerd). Old generated files go first so
# nothing stale (e.g. snippets of a removed inline_js) ships.
rm -rf pkg/${name}.js pkg/${name}.d.ts pkg/${name}_bg.wasm pkg/${name}_bg.wasm.d.ts pkg/snippets
# `--no-typescript`: the declarations that ship are the hand-written pkg/index.d.ts and pkg/init.d.ts.
wasm-bindgen --target web --no-typescript --out-dir pkg --out-name "$name" \
  "target/wasm32-unknown-unknown/release/${name}.wasm"

# The license texts ship in the package; their one copy is at the repository root (git ignores these in pkg/).
cp LICENSE-MIT LICENSE-APACHE pkg/

# npm's binaryen, never Debian's (its v108 emits modules that fail to load). The features are those Rust 1.95
# enables by default for wasm32-unknown-unknown (multivalue and reference types included: wasm-bindgen's
# externref table and multi-value returns use them); every engine this package targets has them all.
# `--flatten --rereloop -Oz -Oz`: the control flow flattened and rebuilt, then -Oz twice (the second pass finds
# more after the first): 525 B gzip under one -Oz alone.
# `--one-caller-inline-max-function-size=25`: a function called from one place is inlined there only when it is
# small. Inlining every one (the default) merges whole flows into a few huge functions, smaller raw but each with
# hundreds of locals and code found nowhere else, which gzip packs worse: 2.7 KB gzip less this way (20 to 30
# all measure within 40 B of each other; 0 and 1,000 are 0.5 KB and 2.7 KB worse).
# `--low-memory-unused`: loads and stores may fold a constant offset into the address, as the first kilobyte of
# memory is never an object's (Rust puts the stack first, growing down from 1 MB, so it reaches that kilobyte
# only on the overflow that traps anyway): 242 B gzip (781 B with talc as the allocator).
# `--reorder-functions-by-name` last: functions of one kind (drop glue, core's, a module's own) end up side by
# side, where gzip finds their likenesses: 75 B gzip.
node_modules/.bin/wasm-opt --flatten --rereloop -Oz -Oz --one-caller-inline-max-function-size=25 \
  --low-memory-unused --reorder-functions-by-name \
  --enable-bulk-memory --enable-bulk-memory-opt --enable-call-indirect-overlong \
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  --enable-reference-types --enable-multivalue \
  --strip-producers --strip-target-features \
  "$wasm" -o "$wasm"

# Import names down to a character or two (wasm-bindgen's carry a hash each) and the glue rewritten to
# match (scripts/minify-names.mjs refuses any name it cannot place): -2.9 KB gzip, wasm and glue together.
node scripts/minify-names.mjs "$wasm" "pkg/${name}.js"

# Sizes of what a browser downloads: the wasm, and the glue as a minifying bundler would ship it (the browser
# entry bundled with the generated glue; the wasm stays a separate file).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node_modules/.bin/esbuild pkg/browser.js --bundle --minify --format=esm --target=es2022 \
  --platform=browser --external:*.wasm --log-level=warning --outfile="$tmp/glue.min.js"
gz() { gzip -9 -c "$1" | wc -c; }
wasm_raw=$(wc -c <"$wasm")
wasm_gz=$(gz "$wasm")
glue_raw=$(wc -c <"$tmp/glue.min.js")
glue_gz=$(gz "$tmp/glue.min.js")
echo "size: wasm $wasm_raw B (gzip $wasm_gz B), glue min $glue_raw B (gzip $glue_gz B), total gzip $((wasm_gz + glue_gz)) B"
