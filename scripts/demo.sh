#!/usr/bin/env bash
# The demo, NOT for production (no login: the page acts as any user it picks).
# Builds the npm package and permsnap, and runs two products, each a
# `permsnap server --demo` on its own fresh SQLite store (a store holds one
# catalog), serving www/ and pkg/:
# * the CRM (smartico-crm) on http://127.0.0.1:${PORT:-8080}/, seeded with
#   src/server/demo/crm-directory.json (Eve's access ends two minutes after start)
#   and an SSO config that lets a mycompany.com Google login create users
#   (src/server/demo/crm-sso.json);
# * the affiliate platform (tap-affiliate) on the next port, seeded with
#   src/server/demo/tap-directory.json (Affiliate Managers see only their own
#   affiliates: scoped checks).
# The pages link to each other. Request logs go to target/demo/*.log.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-pkg.sh
cargo build --release --features cli,server --bin permsnap
bin=./target/release/permsnap
dir=target/demo
port=${PORT:-8080}
mkdir -p "$dir"
rm -f "$dir"/*.db "$dir"/*.db-*
eve=$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ)
sed "s/2030-01-01T00:00:00Z/$eve/" src/server/demo/crm-directory.json >"$dir/crm-directory.json"
"$bin" import --db "sqlite:$dir/crm.db" --catalog smartico-crm \
  --directory "$dir/crm-directory.json" --sso-config src/server/demo/crm-sso.json >/dev/null
"$bin" import --db "sqlite:$dir/tap.db" --catalog tap-affiliate \
  --directory src/server/demo/tap-directory.json >/dev/null
echo "request logs: $dir/crm.log, $dir/tap.log"
# Each server prints its page's URL (on stderr) once it listens.
serve() { # STORE PORT
  "$bin" server --db "sqlite:$dir/$1.db" --listen "127.0.0.1:$2" \
    --demo --www www --pkg pkg >"$dir/$1.log" &
}
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
trap 'exit 130' INT TERM
serve crm "$port"
serve tap $((port + 1))
# Stops when either server stops (the other is stopped by the EXIT trap).
wait -n
