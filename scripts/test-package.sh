#!/usr/bin/env bash
# The browser side of scripts/test.sh: the browser build (only the browser
# core and src/wasm/mod.rs; code that reaches a native module fails to compile
# there) and its lints, the npm package built from scratch, the wasm
# boundary tests in Node and headless Chromium, and the package's own tests
# (Node, jose interop, TypeScript types, React server rendering, Vite,
# Chromium: fail-closed cases, parity over every vector file and 10,000
# random checks, Wycheproof and CCTV Ed25519 through WebCrypto; live
# updates with an injected EventSource) and the demo end to end (`permsnap
# server --demo` on a fresh SQLite store, several pages in Chromium). Needs
# the CLI with the server (`cargo build --features cli,server`): it issues
# the tests' tokens and runs the demo's server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

browser=(--target wasm32-unknown-unknown --no-default-features --features wasm)
# The boundary tests link std (their harness needs it): the same code, with
# std's panic handler instead of the browser build's trap.
boundary=(--target wasm32-unknown-unknown --no-default-features --features wasm,std)

step "the browser build and its lints (browser core + src/wasm/mod.rs only)"
cargo build --lib "${browser[@]}"
cargo clippy --lib "${browser[@]}" -- -D warnings

step "the CLI with the server (tokens, manifests and parity samples for the package's tests; permsnap server --demo for the demo's)"
cargo build --features cli,server

step "npm package"
./scripts/build-pkg.sh

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
step "wasm boundary tests in Node"
WASM_BINDGEN_TEST_ONLY_NODE=1 WASM_BINDGEN_USE_NODE_EXPERIMENTAL=1 cargo test "${boundary[@]}" --test wasm
step "wasm boundary tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 cargo test "${boundary[@]}" --test wasm

step "package tests (Node, jose, types, React, Vite, live updates, Chromium: fail closed, parity, Ed25519) and the demo end to end (permsnap server --demo, Chromium)"
PERMSNAP_BIN="$PWD/target/debug/permsnap" node --test pkg-config/test/*.test.mjs tests/e2e/*.test.mjs
