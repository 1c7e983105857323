#!/usr/bin/env bash
# Assembles the npm package in pkg/ from the browser build (only the
# browser core and src/wasm/mod.rs: --no-default-features --features wasm) and
# pkg-config/. Needs the wasm32 target, wasm-bindgen of the version pinned
# in Cargo.toml, and node_modules (npm binaryen for wasm-opt, esbuild);
# scripts/setup.sh installs them.
#
# What ships: the wasm (wasm-opt -Oz); `index.js`, the browser entry:
# pkg-config/index.js and the modules it imports (one concept per file),
# bundled into one ES module so that a page loads three files (index.js,
# the wasm, permsnap.css); `node.js`, the Node entry, with the wasm's bytes
# in it; `live.js`, `react.js` and `codegen.js`, subpaths a page loads only
# if it imports them. wasm-bindgen's JS glue is not shipped: only numbers
# cross, and pkg-config/wasm.js loads the module itself (the build stops
# here when the module's imports or the glue's one import function change,
# so that loader never drifts from wasm-bindgen). The JS is minified
# (errors set their own `name`, `PermsnapError`) and ships with source maps
# that hold the sources (a page loads a map only when its developer tools
# are open).
# `process.env.NODE_ENV` is left as written (esbuild would fold it to
# "production" when minifying): the app's bundler decides whether the
# development warnings stay.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --lib --target wasm32-unknown-unknown --no-default-features --features wasm
rm -rf pkg && mkdir -p pkg/bin
out=target/pkg-glue
rm -rf "$out"
wasm-bindgen --target web --out-dir "$out" --out-name permsnap_wasm --no-typescript \
  target/wasm32-unknown-unknown/release/permsnap.wasm
node_modules/.bin/wasm-opt -Oz --converge --strip-debug --strip-producers \
  "$out/permsnap_wasm_bg.wasm" -o pkg/permsnap_wasm_bg.wasm
node scripts/check-wasm-imports.mjs pkg/permsnap_wasm_bg.wasm "$out/permsnap_wasm.js" pkg-config/wasm.js
cp pkg-config/package.json pkg-config/README.md pkg-config/*.d.ts pkg-config/permsnap.css pkg/
cp pkg-config/bin/permsnap-types.js pkg/bin/
chmod +x pkg/bin/permsnap-types.js

esbuild=node_modules/.bin/esbuild
js() { # ENTRY OUTPUT [esbuild options...]
  local entry=$1 output=$2
  shift 2
  "$esbuild" "$entry" --minify --format=esm --target=es2022 --log-level=warning \
    --sourcemap --sources-content=true --outfile="$output" \
    --define:process.env.NODE_ENV=process.env.NODE_ENV "$@"
}
js pkg-config/index.js pkg/index.js --bundle
js pkg-config/live.js pkg/live.js
js pkg-config/react.js pkg/react.js --bundle --external:react
js pkg-config/codegen.js pkg/codegen.js
# The Node entry, with the module's bytes written into it (no file read at import).
node -e 'const fs = require("fs");
  const wasm = fs.readFileSync("pkg/permsnap_wasm_bg.wasm").toString("base64");
  fs.writeFileSync("pkg/node.js", fs.readFileSync("pkg-config/node.js", "utf8").replace("__PERMSNAP_WASM_BASE64__", wasm));'

# The default download: every file a page loads (index.js, the wasm, the stylesheet).
default=(index.js permsnap_wasm_bg.wasm permsnap.css)
raw=0
gz=0
for f in "${default[@]}"; do
  raw=$((raw + $(stat -c %s "pkg/$f")))
  gz=$((gz + $(gzip -9c "pkg/$f" | wc -c)))
done
echo "pkg/: wasm $(stat -c %s pkg/permsnap_wasm_bg.wasm) bytes; default download (${default[*]}) ${raw} bytes, gzip -9 (each file alone) ${gz} bytes"
