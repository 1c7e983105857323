#!/usr/bin/env bash
# The demo, NOT for production (no login: the page acts as any user it picks).
# Builds the npm package and permsnap, makes a fresh SQLite store seeded with
# the CRM demo directory (src/demo/crm-directory.json; Eve's access ends two
# minutes after start) and an SSO config that lets a mycompany.com Google
# login create users (src/demo/crm-sso.json), and runs `permsnap server
# --demo` on it, serving www/ and pkg/ on http://127.0.0.1:${PORT:-8080}/.
# The request log goes to target/demo/server.log. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-pkg.sh
cargo build --release --features cli,server --bin permsnap
bin=./target/release/permsnap
dir=target/demo
mkdir -p "$dir"
rm -f "$dir"/store.db "$dir"/store.db-*
eve=$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ)
sed "s/2030-01-01T00:00:00Z/$eve/" src/demo/crm-directory.json >"$dir/crm-directory.json"
"$bin" import --db "sqlite:$dir/store.db" --catalog smartico-crm \
  --directory "$dir/crm-directory.json" --sso-config src/demo/crm-sso.json >/dev/null
echo "request log: $dir/server.log"
# The server prints the page's URL (on stderr) once it listens.
exec "$bin" server --db "sqlite:$dir/store.db" --listen "127.0.0.1:${PORT:-8080}" \
  --demo --www www --pkg pkg >"$dir/server.log"
