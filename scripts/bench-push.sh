#!/usr/bin/env bash
# Measures push 2-step verification at scale with the real varco binary:
# STREAMS sign-ins (default 10,000) wait on the push page's event stream
# (GET /login/push/events) at once, then DECISIONS of them (default 200)
# are approved one at a time with signed decisions. Prints, per run, the
# extra resident memory of the varco process holding the streams (target
# < 200 MiB for 10,000) and the delay from a decision to the event on its
# waiting stream (target p99 < 100 ms; across two varco processes on one
# PostgreSQL, < 1 s), each with its ratio to the target.
#
#   scripts/bench-push.sh                       # SQLite; PostgreSQL too when
#                                               # VARCO_TEST_POSTGRES_URL is set
#   STREAMS=2000 DECISIONS=50 scripts/bench-push.sh
#   PROFILE=1 scripts/bench-push.sh             # also the Go runtime's memory
#                                               # statistics of the first varco
#
# Everything listens on loopback. The load side is cmd/varco-pushbench; it
# seeds a fresh database (SQLite file, or a new database on the PostgreSQL
# server, dropped at the end) and starts varco itself.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '== %s\n' "$*" >&2; }
. scripts/lib.sh

STREAMS=${STREAMS:-10000}
DECISIONS=${DECISIONS:-200}

# Each stream is a connection at both ends: both processes need the
# descriptors.
want=$(( STREAMS + 1024 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$want" ] ||
  { echo "open files limited to $(ulimit -n); $want needed: raise the hard limit (ulimit -Hn)" >&2; exit 1; }

log "building varco and varco-pushbench"
tags=()
[ -z "${PROFILE:-}" ] || tags=(-tags pprof)
go build "${tags[@]}" -o "$work/varco" ./cmd/varco
go build -o "$work/varco-pushbench" ./cmd/varco-pushbench
pprof=()
[ -z "${PROFILE:-}" ] || pprof=(-pprof "127.0.0.1:$(free_port)")

runs=("sqlite 1")
[ -z "${VARCO_TEST_POSTGRES_URL:-}" ] || runs+=("postgres 1" "postgres 2")
results=()
for r in "${runs[@]}"; do
  read -r engine procs <<<"$r"
  case $engine in
    sqlite) db="$work/push.db" ; rm -f "$db"* ;;
    postgres) db=$VARCO_TEST_POSTGRES_URL ;;
  esac
  log "$engine, $procs process(es): $STREAMS streams, $DECISIONS decisions"
  out=$("$work/varco-pushbench" -varco "$work/varco" -db "$db" -streams "$STREAMS" -decisions "$DECISIONS" \
    -processes "$procs" "${pprof[@]}" 2>"$work/pushbench.err") || { cat "$work/pushbench.err" >&2; exit 1; }
  grep -v '^seeded' "$work/pushbench.err" >&2 || true
  printf '%s\n' "$out" >&2
  field() { sed -n "s/.*$1=\\([0-9.]*\\).*/\\1/p" <<<"$2" | head -n 1; }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
  mem=$(grep '^streams=' <<<"$out")
  extra=$(field extra_rss_mib "$mem")
  # The memory target is for 10,000 streams: scale it to STREAMS.
  target=$(awk -v n="$STREAMS" 'BEGIN { printf "%.0f", 200 * n / 10000 }')
  if [ "$procs" = 1 ]; then
    results+=("$(printf '%-9s %-62s %10s %10s %6s' "$engine" "extra RSS with $STREAMS streams, MiB" "$extra" "$target" "$(ratio "$extra" "$target")")")
  fi
  while read -r line; do
    phase=$(sed -n 's/.*phase=\([a-z_]*\).*/\1/p' <<<"$line")
    p50=$(field p50_ms "$line") p99=$(field p99_ms "$line") max=$(field max_ms "$line")
    limit=100
    [ "$phase" = other_process ] && limit=1000
    results+=("$(printf '%-9s %-62s %10s %10s %6s' "$engine" "decision → its stream, p99 ms ($phase; p50 $p50, max $max)" "$p99" "$limit" "$(ratio "$p99" "$limit")")")
  done < <(grep '^phase=' <<<"$out")
done

echo
echo "$STREAMS waiting streams, $DECISIONS decisions one at a time; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %-62s %10s %10s %6s\n' engine measure value target ratio
printf '%s\n' "${results[@]}"
