#!/usr/bin/env bash
# Every test: formatting and lints, the Rust tests (unit, integration, doc),
# conformance over tests/vectors (server rules and snapshot parity), then the
# browser side (scripts/test-package.sh): the browser build and its lints,
# the npm package built from scratch, the wasm boundary tests in Node and in
# headless Chromium, the package's own tests and the demo end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --features cli,testgen -- -D warnings

step "Rust tests (unit, integration, doc, properties, limits, 100,000 random checks server vs snapshot)"
cargo test --features cli,testgen

step "conformance: server rules and snapshot parity over tests/vectors"
cargo run --quiet --features cli --bin permsnap -- conformance tests/vectors

./scripts/test-package.sh
