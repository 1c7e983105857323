#!/usr/bin/env bash
# The demo, NOT for production (no login: the page acts as any user it picks).
# Builds the npm package and permsnap, and runs both products as two tenants
# of one `permsnap server --demo` on one fresh SQLite store, serving www/ and
# pkg/ on http://127.0.0.1:${PORT:-8080}/:
# * the CRM (smartico-crm), tenant `default`, at /, seeded with
#   src/server/demo/crm-directory.json (Eve's access ends two minutes after
#   start) and an SSO config that lets a mycompany.com Google login create
#   users (src/server/demo/crm-sso.json);
# * the affiliate platform (tap-affiliate), tenant `affiliates`, at
#   /?tenant=affiliates, seeded with src/server/demo/tap-directory.json
#   (Affiliate Managers see only their own affiliates: scoped checks).
# The pages link to each other. The request log goes to target/demo/server.log.
# Ctrl-C stops it.
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
db="sqlite:$dir/demo.db"
eve=$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ)
sed "s/2030-01-01T00:00:00Z/$eve/" src/server/demo/crm-directory.json >"$dir/crm-directory.json"
"$bin" import --db "$db" --catalog smartico-crm \
  --directory "$dir/crm-directory.json" --sso-config src/server/demo/crm-sso.json >/dev/null
"$bin" import --db "$db" --tenant affiliates --catalog tap-affiliate \
  --directory src/server/demo/tap-directory.json >/dev/null
echo "request log: $dir/server.log"
echo "the CRM: http://127.0.0.1:$port/   the affiliate platform: http://127.0.0.1:$port/?tenant=affiliates"
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
trap 'exit 130' INT TERM
# The server prints its page's URL (on stderr) once it listens.
"$bin" server --db "$db" --listen "127.0.0.1:$port" --demo --www www --pkg pkg >"$dir/server.log" &
wait -n
