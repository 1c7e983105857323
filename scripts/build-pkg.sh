#!/usr/bin/env bash
# Assembles the npm package in pkg/ from the wasm build and pkg-config/.
# Needs: the wasm32 target, wasm-bindgen of the version pinned in Cargo.toml,
# and node_modules (npm binaryen for wasm-opt). scripts/setup.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --lib --target wasm32-unknown-unknown --features wasm
rm -rf pkg && mkdir -p pkg
wasm-bindgen --target web --out-dir pkg --out-name permsnap_wasm --no-typescript \
  target/wasm32-unknown-unknown/release/permsnap.wasm
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
  pkg/permsnap_wasm_bg.wasm -o pkg/permsnap_wasm_bg.wasm
cp pkg-config/package.json pkg-config/README.md pkg-config/index.d.ts pkg/
# The JS is shipped minified (the readable source is pkg-config/): it is
# part of the browser download users compare.
esbuild=node_modules/.bin/esbuild
"$esbuild" pkg/permsnap_wasm.js --minify --format=esm --log-level=warning --outfile=pkg/permsnap_wasm.js --allow-overwrite
for f in core.js index.js node.js; do
  "$esbuild" "pkg-config/$f" --minify --format=esm --log-level=warning --outfile="pkg/$f"
done
raw=$(stat -c %s pkg/permsnap_wasm_bg.wasm)
gz=$(cat pkg/permsnap_wasm_bg.wasm pkg/permsnap_wasm.js pkg/core.js pkg/index.js | gzip -9 | wc -c)
echo "pkg/: wasm ${raw} bytes; wasm + JS, gzip -9: ${gz} bytes"
