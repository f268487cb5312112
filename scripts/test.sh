#!/usr/bin/env bash
# Runs every varco test. On a fresh Debian machine (as root) it installs the
# packages the integration suites need, starts throwaway servers on loopback
# high ports in a temporary directory, runs the suites, and stops them.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -short     # extra flags go to every `go test`
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

# --- packages ---------------------------------------------------------------
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ] || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "missing packages: ${missing[*]} (run as root to install them)"
  fi
fi

# --- throwaway servers ----------------------------------------------------------
work=$(mktemp -d -t varco-test.XXXXXX)
pids_to_stop=()
cleanup() {
  set +e
  if [ -n "${PGDATA_DIR:-}" ]; then
    as_pg "$(pg_bindir)/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1
  fi
  for p in "${pids_to_stop[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( (RANDOM % 20000) + 30000 ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin port
  bin=$(pg_bindir)
  [ -n "$bin" ] || { log "PostgreSQL not installed: its suites will skip (or fail under VARCO_REQUIRE_INTEGRATION=1)"; return; }
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$work"
  fi
  PGDATA_DIR="$work/pgdata"
  port=$(free_port)
  as_pg "$bin/initdb" -D "$PGDATA_DIR" -U postgres -A trust --no-sync >"$work/initdb.log" 2>&1 ||
    { cat "$work/initdb.log" >&2; exit 1; }
  as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -w -l "$work/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$work/postgres.log" >&2; exit 1; }
  export VARCO_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  log "PostgreSQL on 127.0.0.1:$port"
}

start_postgres

# --- the suites -------------------------------------------------------------
# The web pages' full-page screenshots (TestScreenshots) land here; CI keeps
# the folder.
export VARCO_SCREENSHOT_DIR="${VARCO_SCREENSHOT_DIR:-$PWD/screenshots}"
log "go vet"
go vet ./...
go vet -tags testclock ./...
log "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -tags testclock ./...

# Packages with shared state run under the race detector; the rest without,
# to keep the whole run short on two cores.
race_pkgs=$(go list ./... | grep -E '/internal/(store|auth|api|notify|web|app|jobs)($|/)|/cmd/' || true)
other_pkgs=$(go list ./... | grep -v -x -F "$race_pkgs" || true)

log "go test (race) on: $(echo $race_pkgs | wc -w) packages"
go test -race -count=1 "$@" $race_pkgs
log "go test on: $(echo $other_pkgs | wc -w) packages"
go test -count=1 "$@" $other_pkgs
log "go test -tags testclock (black-box contract)"
go test -tags testclock -count=1 "$@" ./cmd/varco/...
