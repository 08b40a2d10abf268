#!/usr/bin/env bash
# Every test, ring by ring: lints, native unit and property tests, the mock tenant's own tests, the wasm
# API in Node / Chromium page / Chromium worker, the built package as users load it (Node, Chromium page
# and esbuild bundle, workerd, TypeScript), the size and cold-start budgets, and the demo page in Chromium.
# Installs what it needs first.
# Ends with one line "N passed, N failed" over every ring.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

./scripts/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0
failed=0

# Sums the numbers in the lines of the last step's output that match the pattern (0 when none do).
count() {
  { grep -hoE "$1" "$log" || true; } | { grep -oE '[0-9]+' || true; } | awk '{ s += $1 } END { print s + 0 }'
}

# Runs a step, shows its output, and adds the counts that cargo test or node --test printed.
ring() {
  local label=$1; shift
  printf '\n==== %s\n' "$label"
  "$@" 2>&1 | tee "$log"
  local p f
  p=$(count '(test result: [a-zA-Z]+\. [0-9]+ passed|^# pass [0-9]+)')
  f=$(count '([0-9]+ failed;|^# fail [0-9]+)')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

msrv=$(awk -F'"' '/^rust-version/ { print $2 }' Cargo.toml)
export msrv
ring "format and lints, MSRV, cargo deny" bash -c '
  set -euo pipefail
  cargo fmt --check
  cargo clippy -q --all-targets -- -D warnings
  cargo clippy -q --all-targets --target wasm32-unknown-unknown -- -D warnings
  cargo clippy -q --lib --release --target wasm32-unknown-unknown -- -D warnings
  RUSTDOCFLAGS=-Dwarnings cargo doc -q --no-deps
  RUSTDOCFLAGS=-Dwarnings cargo doc -q --no-deps --target wasm32-unknown-unknown
  echo "MSRV: the crate at its declared rust-version ($msrv), host and wasm32"
  CARGO_TARGET_DIR=target/msrv cargo "+$msrv" check -q --lib
  CARGO_TARGET_DIR=target/msrv cargo "+$msrv" check -q --lib --target wasm32-unknown-unknown
  cargo deny check licenses bans sources 2>&1 | tail -n 1'
ring "native: unit, loop and property tests" cargo test
ring "mock tenant" node --test tests/mock/
ring "wasm-bindgen-test: Node, Chromium page, Chromium worker" ./scripts/test-wasm.sh
ring "package build" ./scripts/build.sh
# Budgets (bench/budget.json): shipped gzip at most the 95,000 B ceiling, and a Node cold start under
# 2x the Graph JS client's. Each prints its figures and fails the run with a message saying what to do.
ring "budgets: size and cold start" bash -c '
  set -e
  node bench/budget.mjs && echo "# pass 1"
  node bench/budget.mjs --cold-start && echo "# pass 1"'
ring "package as users load it: Node, Chromium, esbuild bundle, workerd, TypeScript" node --test tests/package/
ring "Cloudflare Worker example: wrangler's bundle in workerd, both token modes" bash -c '
  npm --prefix examples/cloudflare-worker ci --no-audit --no-fund --loglevel=error
  node --test tests/worker/'
ring "demo page" bash -c 'node scripts/demo.mjs --check --port 0 && node --test www/'

printf '\n%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
