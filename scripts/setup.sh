#!/usr/bin/env bash
# Installs what building and testing the npm package needs, on a fresh Debian 12 machine (as root) or an
# already prepared one. Every step checks first, so a second run takes about a second.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# The wasm target for the Rust toolchain.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock: the generated
# glue and the module's custom sections are only understood by their own version.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ -z "$want" ]; then
  echo "setup: no wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
if [ "$have" != "$want" ]; then
  # No --locked: one of the CLI's pinned dependencies is missing from the registry copy reached here.
  cargo install wasm-bindgen-cli --version "$want" --no-default-features
fi

# Root dev tooling (wasm-opt from npm's binaryen, esbuild, Miniflare, playwright-core, TypeScript).
# Reinstalled when node_modules is missing or older than the lock file.
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund
    touch node_modules
  fi
elif [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
  npm install --no-audit --no-fund
  touch node_modules
fi

# Chromium and its driver for the browser tests. Debian's build is used: browser downloads fail here.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi

echo "setup: ok (wasm-bindgen $want, $(node --version), $(node_modules/.bin/wasm-opt --version))"
