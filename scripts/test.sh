#!/usr/bin/env bash
# Every test: formatting and lints, the Rust tests (unit, the native
# integration binary with the server's tests: tests/native/server/ starts its
# own throwaway PostgreSQL cluster through scripts/pg.sh, or uses
# PERMSNAP_TEST_PG when set), conformance over tests/vectors (server rules and
# snapshot parity), the PyJWT interop, then the browser side
# (scripts/test-package.sh): the browser build and its lints, the npm package
# built from scratch, the wasm boundary tests in Node and in headless
# Chromium, the package's own tests and the demo end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "format, lints, and no import circle or upward import between the files of src/"
cargo fmt --all -- --check
python3 scripts/circles.py src
cargo clippy --all-targets --features cli,test-util,server -- -D warnings
cargo clippy --lib --no-default-features -- -D warnings

step "Rust tests (unit, the native integration binary, doc; properties, limits, 100,000 random checks server vs snapshot; the server on SQLite and PostgreSQL)"
cargo test --features cli,test-util,server

step "conformance: server rules and snapshot parity over tests/vectors"
cargo run --quiet --features cli --bin permsnap -- conformance tests/vectors

step "token interop with PyJWT (Python), both directions"
PERMSNAP_BIN="$PWD/target/debug/permsnap" .venv/bin/python tests/interop/pyjwt_test.py

./scripts/test-package.sh
