#!/usr/bin/env bash
# Measures the activity history's append throughput on PostgreSQL (and
# SQLite) with 1, 4, 16 and 64 concurrent writers, one varco process and
# two, per-account chains side by side with the single history-wide chain
# varco had before, all in one run on one throwaway PostgreSQL; then the
# time and memory of verifying VARCO_BENCH_EVENTS events (default 1,000,000).
#
#   scripts/bench-audit.sh                 # everything
#   BENCHTIME=5s scripts/bench-audit.sh    # longer runs
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '== %s\n' "$*" >&2; }
. scripts/lib.sh
start_postgres
export VARCO_REQUIRE_INTEGRATION=1

out="$work/append.txt"
log "appends: go test -bench Append -benchtime ${BENCHTIME:-3s}"
go test -run '^$' -bench 'Append' -benchtime "${BENCHTIME:-3s}" -timeout 60m ./internal/audit/ | tee "$out" >&2

echo
echo "Appends/s, one event per transaction; per-account as a ratio to the single chain in the same run"
printf '%-9s %-6s %-8s %14s %14s %7s\n' engine procs writers single-chain per-account ratio
awk '
  /^BenchmarkAppend\// {
    split($1, p, "/"); engine = p[2]; procs = p[3]; design = p[4]; w = p[5]
    sub(/-[0-9]+$/, "", w); sub(/^writers=/, "", w); sub(/^procs=/, "", procs)
    for (i = 2; i <= NF; i++) if ($(i+1) == "appends/s") v = $i
    key = engine " " procs " " w; rate[key, design] = v
    if (!(key in seen)) { seen[key] = 1; order[n++] = key }
  }
  END {
    for (i = 0; i < n; i++) {
      k = order[i]; split(k, f, " ")
      s = rate[k, "single-chain"]; a = rate[k, "per-account"]
      printf "%-9s %-6s %-8s %14.0f %14.0f %6.2fx\n", f[1], f[2], f[3], s, a, (s > 0 ? a / s : 0)
    }
  }' "$out"

events=${VARCO_BENCH_EVENTS:-1000000}
log "verify: $events events"
VARCO_BENCH_EVENTS=$events go test -run '^$' -bench 'Verify' -benchtime 1x -timeout 60m ./internal/audit/ | tee "$work/verify.txt" >&2
echo
echo "Verifying $events events in 1,000 account chains against a checkpoint"
awk '/^BenchmarkVerify\// {
  split($1, p, "/"); t = $3 / 1e9
  for (i = 2; i <= NF; i++) { if ($(i+1) == "MiB-heap-peak") m = $i; if ($(i+1) == "events/s") r = $i }
  printf "%-9s %8.1f s %10.0f events/s %8.1f MiB peak heap\n", p[2], t, r, m }' "$work/verify.txt"
