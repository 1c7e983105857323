#!/usr/bin/env bash
# How the server's costs grow with users, tenants and instances (issue:
# "many tenants, any size"): cargo bench --features server --bench growth
# against the release binary, at sizes the tests never run:
#   * SQLite, one tenant of 100 labels: 1,000, 10,000 and 100,000 users
#     (and 1,000,000 for the import);
#   * PostgreSQL (a throwaway cluster, scripts/pg.sh): 1,000,000 users over
#     10,000 tenants, two server instances.
# Each row: import time and peak memory, start-up time, server memory after
# the load, p50/p99 and rates of snapshots, checks and admin ops under
# concurrent load (random users; 5 s each; everything on 127.0.0.1).
#
#   ./scripts/bench-growth.sh           print the table
#   ./scripts/bench-growth.sh --write   also write bench/GROWTH.md and its section of BENCHMARKS.md
#   ./scripts/bench-growth.sh --quick   small sizes, 1 s runs (a smoke run, not for publishing)
#
# Not part of scripts/test.sh: timing never decides a pass or a fail. Takes
# about 10 minutes; close other heavy work first.
set -euo pipefail
cd "$(dirname "$0")/.."

write=0
for arg in "$@"; do
  case "$arg" in
    --write) write=1 ;;
    --quick) export PERMSNAP_BENCH_QUICK=1 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$write" = 1 ] && [ -n "${PERMSNAP_BENCH_QUICK:-}" ]; then
  echo "--write publishes the numbers: not with --quick" >&2
  exit 2
fi

./scripts/setup.sh >&2
cargo build --profile bench --features cli,server --bin permsnap >&2
export PERMSNAP_BIN="$PWD/target/release/permsnap"
export PERMSNAP_GROWTH_SQLITE=${PERMSNAP_GROWTH_SQLITE:-1000,10000,100000,1000000}
load_before=$(cut -d' ' -f1 /proc/loadavg)
table=$(cargo bench --features server --bench growth 2>/dev/null)
load_after=$(cut -d' ' -f1 /proc/loadavg)

section=$(
  echo "## 7. Growth with users, tenants and instances (\`./scripts/bench-growth.sh\`)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), permsnap $(git rev-parse --short HEAD), $(nproc) cores, load average before/after $load_before / $load_after."
  echo "SQLite: one tenant, 100 labels, imported with the \`permsnap\` binary (peak RSS sampled from /proc)."
  echo "PostgreSQL: 10,000 tenants of 100 users and 10 labels, imported in one process through the same streaming"
  echo "import (its peak RSS is that process's, not shown), served by two instances. Load: random users (most"
  echo "requests miss the 8,192-user cache at 100,000 users and more), 64 connections for snapshots and checks,"
  echo "16 for admin ops (\`edit_access\` by the tenant's admin), 5 s each; the load generator shares the 2 cores."
  echo
  echo "$table"
)
echo "$section"
if [ "$write" = 1 ]; then
  echo "$section" >bench/GROWTH.md
  python3 - <<'PY'
import re
text = open("BENCHMARKS.md").read()
section = "<!-- growth -->\n" + open("bench/GROWTH.md").read().rstrip() + "\n<!-- /growth -->"
if "<!-- growth -->" in text:
    text = re.sub(r"<!-- growth -->.*?<!-- /growth -->", lambda _: section, text, flags=re.S)
else:
    text = text.replace("\n## Reading the tables", "\n" + section + "\n\n## Reading the tables", 1)
open("BENCHMARKS.md", "w").write(text)
PY
  echo "wrote bench/GROWTH.md and its section of BENCHMARKS.md" >&2
fi
