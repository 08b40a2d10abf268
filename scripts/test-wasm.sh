#!/usr/bin/env bash
# The wasm-bindgen-test ring: the core's tests on wasm32 in Node, and tests/wasm.rs in Node, in a headless
# Chromium page and in a Chromium dedicated worker, all against one mock tenant started here. The mock's address reaches the tests at compile time.
set -euo pipefail
cd "$(dirname "$0")/.."

ports_file=$(mktemp)
node tests/mock/server.mjs --ports-file "$ports_file" > /dev/null &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true; rm -f "$ports_file"' EXIT
for _ in $(seq 100); do [ -s "$ports_file" ] && break; sleep 0.05; done
[ -s "$ports_file" ] || { echo "mock tenant did not start" >&2; exit 1; }

MOCK_GRAPH_URL=$(node -p "JSON.parse(require('fs').readFileSync('$ports_file','utf8')).graphUrl")
MOCK_IMPORT_HOST="127.0.0.1:$(node -p "JSON.parse(require('fs').readFileSync('$ports_file','utf8')).importPort")"
export MOCK_GRAPH_URL MOCK_IMPORT_HOST
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

run() {
  local label=$1; shift
  echo "== wasm-bindgen-test in $label"
  env "$@" cargo test --target wasm32-unknown-unknown --test wasm --test url_matches_platform
}
run "Node"
# The core's own tests (unit tests and the simulated-clock flows) compiled for wasm32 and run in Node: 32-bit
# usize, the shipped allocator, the shipped code paths.
echo "== the core's tests on wasm32 (Node)"
cargo test --target wasm32-unknown-unknown --lib \
  --test create_import_session --test import_items --test reading --test copy_items --test app_tokens \
  --test copy_folders
run "Chromium (page)" WASM_BINDGEN_USE_BROWSER=1
run "Chromium (dedicated worker)" WASM_BINDGEN_USE_DEDICATED_WORKER=1
