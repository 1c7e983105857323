#!/usr/bin/env bash
# Every test: formatting and lints, the Rust tests (unit, integration, doc,
# and the server's: tests/native/server/ starts its own throwaway PostgreSQL
# cluster through scripts/pg.sh, or uses PERMSNAP_TEST_PG when set),
# conformance over tests/vectors (server rules and snapshot parity), the npm
# package built from scratch, the wasm tests in Node and in headless
# Chromium, and the package's own tests (Node, jose interop, types, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --features cli,test-util,server -- -D warnings
cargo clippy --lib --no-default-features -- -D warnings

step "the browser build: only the browser core (a browser build that reaches native code fails here)"
cargo build --lib --target wasm32-unknown-unknown --no-default-features --features wasm
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features wasm -- -D warnings

step "Rust tests (unit, the native integration binary, doc; properties, limits, 100,000 random checks server vs snapshot; the server on SQLite and PostgreSQL)"
cargo test --features cli,test-util,server

step "conformance: server rules and snapshot parity over tests/vectors"
cargo run --quiet --features cli --bin permsnap -- conformance tests/vectors

step "token interop with PyJWT (Python), both directions"
PERMSNAP_BIN="$PWD/target/debug/permsnap" .venv/bin/python tests/interop/pyjwt_test.py

step "npm package"
./scripts/build-pkg.sh

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
step "wasm tests in Node (vectors, and 10,000 random checks server vs wasm snapshot)"
WASM_BINDGEN_TEST_ONLY_NODE=1 cargo test --target wasm32-unknown-unknown --features wasm,testgen \
  --test wasm --test wasm_differential
step "wasm tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_USE_BROWSER=1 \
  cargo test --target wasm32-unknown-unknown --features wasm,testgen --test wasm --test wasm_differential

step "package tests (Node, jose interop, TypeScript types, Chromium) and the demo end to end"
PERMSNAP_BIN="$PWD/target/debug/permsnap" node --test pkg-config/test/*.test.mjs tests/e2e/*.test.mjs
