#!/usr/bin/env bash
# The demo: builds the npm package and serves the demo page, a JWKS and
# snapshots of the demo users on http://127.0.0.1:${PORT:-8080}/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-pkg.sh
cargo build --release --features cli --bin permsnap
exec ./target/release/permsnap serve --port "${PORT:-8080}"
