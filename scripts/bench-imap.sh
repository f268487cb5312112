#!/usr/bin/env bash
# Measures IMAP logins per second through real Dovecot with varco's Lua
# passdb (contrib/dovecot/varco-auth.lua asking varco about an app
# password), next to the same Dovecot checking a local passwd-file
# ({PLAIN}, Dovecot's own cost and so the ceiling, and {SHA512-CRYPT}), auth
# cache off, on SQLite and on a throwaway PostgreSQL. A tiny Go IMAP client
# (cmd/varco/mailload_test.go) keeps CLIENTS connections logging in, out
# and in again for DURATION each.
#
#   scripts/bench-imap.sh                           # both engines
#   ENGINES=sqlite DURATION=5s CLIENTS=32 scripts/bench-imap.sh
#
# Needs root and the mail servers (scripts/test.sh installs them);
# everything listens on loopback high ports and stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '== %s\n' "$*" >&2; }
. scripts/lib.sh

ENGINES=${ENGINES:-sqlite postgres}
export VARCO_BENCH_DURATION=${DURATION:-10s} VARCO_BENCH_CLIENTS=${CLIENTS:-16}
export VARCO_REQUIRE_INTEGRATION=1 # a missing server is an error here, not a skip

for engine in $ENGINES; do
  if [ "$engine" = postgres ] && [ -z "${VARCO_TEST_POSTGRES_URL:-}" ]; then
    start_postgres
    [ -n "${VARCO_TEST_POSTGRES_URL:-}" ] || { log "no PostgreSQL: skipping it"; continue; }
  fi
  log "$engine: $VARCO_BENCH_CLIENTS clients, $VARCO_BENCH_DURATION per figure"
  VARCO_BENCH_ENGINE=$engine go test -tags testclock -count=1 -run '^$' -bench '^BenchmarkMailLoginRate$' -benchtime 1x -v ./cmd/varco/ >"$work/$engine.txt" 2>&1 ||
    { cat "$work/$engine.txt" >&2; exit 1; }
  sed -n 's/.*RESULT //p' "$work/$engine.txt"
done
log "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
