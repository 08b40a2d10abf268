#!/usr/bin/env bash
# Installs what building and testing the npm package needs, on a fresh Debian 12 machine (as root) or an
# already prepared one. Every step checks first, so a second run takes about a second.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# The pinned toolchain (rust-toolchain.toml: version, wasm target, rustfmt, clippy), and the crate's declared
# minimum Rust (Cargo.toml rust-version) with the wasm target, for the MSRV check in make test. rustup may be
# set never to install a toolchain by itself (RUSTUP_AUTO_INSTALL=0), so both are installed here.
pinned=$(awk -F'"' '/^channel/ { print $2 }' rust-toolchain.toml)
msrv=$(awk -F'"' '/^rust-version/ { print $2 }' Cargo.toml)
for toolchain in "$pinned" "$msrv"; do
  if ! rustup run "$toolchain" rustc --print target-list >/dev/null 2>&1 \
    || ! rustup target list --installed --toolchain "$toolchain" | grep -qx wasm32-unknown-unknown; then
    rustup toolchain install "$toolchain" --profile minimal --target wasm32-unknown-unknown
  fi
done
if ! rustup component list --installed --toolchain "$pinned" | grep -q '^clippy' \
  || ! rustup component list --installed --toolchain "$pinned" | grep -q '^rustfmt'; then
  rustup component add clippy rustfmt --toolchain "$pinned"
fi

# cargo-deny checks licenses, bans and sources of every dependency (deny.toml).
if ! cargo deny --version >/dev/null 2>&1; then
  cargo install cargo-deny --version 0.20.2 --locked
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

echo "setup: ok (rust $pinned and $msrv, wasm-bindgen $want, $(cargo deny --version), $(node --version), $(node_modules/.bin/wasm-opt --version))"
