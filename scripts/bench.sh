#!/usr/bin/env bash
# Benchmarks against the peers, side by side in one run, on this machine:
#   * native (cargo bench --bench native, std only): server check, snapshot
#     compile, compile + sign, verify, and how they grow with the catalog and
#     the directory;
#   * JS (node bench/js.mjs): permsnap's can() against @casl/ability in one
#     process, download sizes against CASL + jose (esbuild) and the wasm of
#     @cedar-policy/cedar-wasm, oso and @biscuit-auth/biscuit-wasm, verify +
#     load against jose, and cold starts in fresh processes; and
#     (node bench/first-decision.mjs) the time to the first verified
#     decision in Chromium under a strict CSP, before and after the
#     README's one-round-trip recipe;
#   * the server (cargo bench --features server --bench server): snapshots/s,
#     checks/s and admin writes/s over HTTP on loopback with p50/p99, on
#     SQLite and on PostgreSQL with one and two instances (a throwaway
#     cluster from scripts/pg.sh).
# Prints the tables (markdown) on stdout; builds and installs go to stderr.
#
#   ./scripts/bench.sh           print the tables
#   ./scripts/bench.sh --write   also rewrite BENCHMARKS.md (machine, versions, tables, notes)
#   ./scripts/bench.sh --quick   a short smoke run (few, short batches; not for publishing)
#   ./scripts/bench.sh --js-only the JS sections only (the native and server sections say they were not run)
#
# Not part of scripts/test.sh: timing never decides a pass or a fail. The
# peers are bench-only: installed into bench/peers/node_modules (git-ignored)
# with --no-save, never into package.json. Close other heavy work first: a
# build running at the same time shows up in the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

write=0
quick=0
native=1
for arg in "$@"; do
  case "$arg" in
    --write) write=1 ;;
    --quick) quick=1 ;;
    --js-only) native=0 ;;
    -h | --help)
      sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown argument: $arg (see --help)" >&2
      exit 2
      ;;
  esac
done
if [ "$write" = 1 ] && [ "$quick" = 1 ]; then
  echo "--write publishes the numbers: not with --quick" >&2
  exit 2
fi

# The peers, pinned so that a rerun compares the same versions.
PEERS=(@cedar-policy/cedar-wasm@4.13.0 oso@0.27.3 @biscuit-auth/biscuit-wasm@0.6.0)

step() { printf '\n== %s\n' "$*" >&2; }

step "setup, the npm package, the CLI (issues the benchmark's tokens)"
./scripts/setup.sh >&2
./scripts/build-pkg.sh >&2
cargo build --features cli >&2

step "peers (bench/peers, not in package.json)"
missing=0
for spec in "${PEERS[@]}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  have=$(node -p "try { require('./bench/peers/node_modules/$name/package.json').version } catch { '' }")
  [ "$have" = "$version" ] || missing=1
done
if [ "$missing" = 1 ]; then
  (cd bench/peers && npm install --no-save --no-package-lock --no-audit --no-fund "${PEERS[@]}") >&2
else
  echo "already installed: ${PEERS[*]}" >&2
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ "$quick" = 1 ]; then
  export PERMSNAP_BENCH_QUICK=1 BENCH_QUICK=1
fi

# Disturbance: CPU time that processes other than this run's used while it
# timed (all CPUs' busy time from /proc/stat minus this shell's reaped
# children), in clock ticks.
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
own_ticks() { awk '{print $16+$17}' "/proc/$$/stat"; }
hz=$(getconf CLK_TCK)

step "native: cargo bench --bench native"
t_start=$(date +%s.%N)
busy0=$(busy_ticks)
own0=$(own_ticks)
if [ "$native" = 1 ]; then
  cargo bench --bench native --features test-util >"$out/native.md"
  step "server: cargo bench --features server --bench server"
  cargo bench --features server --bench server >"$out/server.md"
else
  echo "Not run in this run (\`scripts/bench.sh --js-only\`); see the previous BENCHMARKS.md or run \`scripts/bench.sh\`." >"$out/native.md"
  echo "Not run in this run (\`scripts/bench.sh --js-only\`)." >"$out/server.md"
fi

step "JS: node bench/js.mjs"
BENCH_TARGETS_FILE="$out/targets.md" node bench/js.mjs >"$out/js.md"
step "JS: node bench/first-decision.mjs (Chromium)"
if [ "$quick" = 1 ]; then
  RUNS=3 node bench/first-decision.mjs 0 100 >"$out/first.md"
else
  node bench/first-decision.mjs 0 50 100 >"$out/first.md"
fi
busy1=$(busy_ticks)
own1=$(own_ticks)
t_end=$(date +%s.%N)
disturbance=$(awk -v b="$((busy1 - busy0))" -v o="$((own1 - own0))" -v hz="$hz" -v t0="$t_start" -v t1="$t_end" \
  'BEGIN { x = (b - o) / hz; if (x < 0) x = 0; w = t1 - t0; printf "%.1f s of CPU over the %.0f s of the run (%.0f %% of one core)", x, w, 100 * x / w }')
pct=$(awk -v b="$((busy1 - busy0))" -v o="$((own1 - own0))" -v hz="$hz" -v t0="$t_start" -v t1="$t_end" \
  'BEGIN { x = (b - o) / hz; printf "%d", 100 * x / (t1 - t0) }')
if [ "$pct" -gt 10 ]; then
  echo "warning: other processes used $disturbance: the numbers may be disturbed; rerun when the machine is quiet" >&2
fi

cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- src Cargo.toml pkg-config 2>/dev/null)" ]; then
  commit="$commit + uncommitted changes"
fi
{
  echo "## The machine"
  echo
  echo "| | |"
  echo "| --- | --- |"
  echo "| date | $(date -u +%Y-%m-%dT%H:%MZ) |"
  echo "| CPU | ${cpu:-unknown} (\`lscpu\` model name), $(nproc) cores (\`nproc\`) |"
  echo "| OS | $(uname -sr) |"
  echo "| other processes while timing | $disturbance; above ~10 % the numbers are disturbed: rerun |"
  echo "| Node | $(node --version) |"
  echo "| Rust | $(rustc --version) |"
  echo "| permsnap | $commit |"
  echo
  echo "## The package issue's targets"
  echo
  cat "$out/targets.md"
  echo
  echo "## 1–4. In JS (Node, \`node bench/js.mjs\`)"
  echo
  cat "$out/js.md"
  echo
  echo "### 7. Time to the first verified decision in Chromium (\`node bench/first-decision.mjs\`)"
  echo
  cat "$out/first.md"
  echo
  echo "## 5. Native (Rust, \`cargo bench --bench native\`)"
  echo
  cat "$out/native.md"
  echo
  echo "## 6. The server over HTTP (\`cargo bench --features server --bench server\`)"
  echo
  cat "$out/server.md"
  if [ -f bench/GROWTH.md ]; then
    echo
    echo "<!-- growth -->"
    cat bench/GROWTH.md # from the last ./scripts/bench-growth.sh --write (about 10 minutes on its own)
    echo "<!-- /growth -->"
  fi
} >"$out/tables.md"

cat "$out/tables.md"

if [ "$write" = 1 ]; then
  {
    echo "# Benchmarks"
    echo
    echo "Every peer on the same machine in one run, produced by \`./scripts/bench.sh --write\`"
    echo "(do not edit the tables by hand: rerun it). Reproduce with \`./scripts/bench.sh\` on"
    echo "any machine; it installs what it needs. Sections 1 to 4 run in one Node process"
    echo "(cold starts in fresh ones), section 5 natively. What the missed targets would take"
    echo "is at the end."
    echo
    cat "$out/tables.md"
    echo
    cat bench/NOTES.md
  } >BENCHMARKS.md
  echo "wrote BENCHMARKS.md" >&2
fi
