# Shared by the test and benchmark scripts: a temporary directory cleaned
# up on exit, and a throwaway PostgreSQL on a free loopback port in it
# (start_postgres exports VARCO_TEST_POSTGRES_URL). Source it; it sets the
# EXIT trap. Extra server settings can be passed to start_postgres.

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

work=$(mktemp -d -t varco-test.XXXXXX)
pids_to_stop=()
pg_dbs_to_drop=()
cleanup() {
  set +e
  for d in "${pg_dbs_to_drop[@]}"; do
    psql "$VARCO_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
  done
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
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 $*" \
    start >/dev/null || { cat "$work/postgres.log" >&2; exit 1; }
  export VARCO_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  log "PostgreSQL on 127.0.0.1:$port"
}


# --- load measurements (bench-http.sh, bench-mailauth.sh) ------------------
# need_cmd CMD installs Debian's package of that name when CMD is missing,
# as root.
need_cmd() {
  command -v "$1" >/dev/null && return
  [ "$(id -u)" = 0 ] || { echo "$1 is missing: apt-get install $1" >&2; exit 1; }
  log "installing $1"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
need_wrk() { need_cmd wrk; }

# build_openloop compiles scripts/openloop.c, the open-loop client of
# bench-mailauth.sh, into $work (installing gcc when it is missing);
# openloop is its path.
build_openloop() {
  need_cmd gcc
  gcc -O2 -Wall -Wextra -Werror -o "$work/openloop" scripts/openloop.c
  openloop="$work/openloop"
}

# build_bench builds varco (with the profiler when PROFILE is set) and
# varco-bench into $work; bench is varco-bench's path.
build_bench() {
  log "building varco and varco-bench"
  local tags=()
  [ -z "${PROFILE:-}" ] || tags=(-tags pprof) # the profiler exists only in such a build
  go build "${tags[@]}" -o "$work/varco" ./cmd/varco
  go build -o "$work/varco-bench" ./cmd/varco-bench
  bench="$work/varco-bench"
}

# start_bare starts the ceiling, varco-bench's bare net/http handler, and
# returns once its address is in $work/bare.addr.
start_bare() {
  "$bench" bare -listen 127.0.0.1:0 >"$work/bare.addr" &
  pids_to_stop+=($!)
  until [ -s "$work/bare.addr" ]; do sleep 0.1; done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# field NAME LINE: the number after NAME= in LINE.
field() { sed -n "s/.*$1=\\([0-9.]*\\).*/\\1/p" <<<"$2"; }

# proc_cpu_ms PID: the CPU time (user + system) PID has used so far, ms.
proc_cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }
# proc_sys_ms PID: the system part of it.
proc_sys_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", $15 * 1000 / hz }' "/proc/$1/stat"; }
# postgres_cpu_ms: the same summed over every running postgres process (a
# backend that exits in between takes its time with it).
postgres_cpu_ms() {
  local p t=0
  for p in $(pgrep -x postgres || true); do t=$((t + $(proc_cpu_ms "$p" 2>/dev/null || echo 0))); done
  echo "$t"
}

# busy_start / busy_pct: how busy the whole machine's CPUs were (per cent,
# all processes) between the two calls, from /proc/stat.
busy_start() { read -r _ u n s i w q sq st _ </proc/stat; busy_t0=$((u + n + s + i + w + q + sq + st)) busy_i0=$((i + w)); }
busy_pct() {
  local u n s i w q sq st t
  read -r _ u n s i w q sq st _ </proc/stat
  t=$((u + n + s + i + w + q + sq + st))
  echo $(( 100 - 100 * (i + w - busy_i0) / (t - busy_t0) ))
}

# fresh_pg_db sets db to the URL of a new, empty database on the server of
# VARCO_TEST_POSTGRES_URL, dropped on exit: a server named from outside
# may hold an earlier run's tables, sealed with audit keys that are gone.
fresh_pg_db() {
  local name="varco_bench_$$_$RANDOM"
  db=$VARCO_TEST_POSTGRES_URL
  command -v psql >/dev/null || { log "no psql: benchmarking in the database VARCO_TEST_POSTGRES_URL names"; return; }
  psql "$VARCO_TEST_POSTGRES_URL" -qc "CREATE DATABASE $name" >/dev/null
  pg_dbs_to_drop+=("$name")
  db=$(sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\1/$name#" <<<"$VARCO_TEST_POSTGRES_URL")
}

# engine_db ENGINE sets db to the database URL a benchmark of ENGINE uses:
# a file in $work for sqlite; for postgres a fresh database (fresh_pg_db)
# on the server of VARCO_TEST_POSTGRES_URL, which is started here when
# unset (in this shell, so that the EXIT trap stops it). It returns 1 when
# PostgreSQL is not installed (the caller skips that engine) and exits on
# an unknown engine.
engine_db() {
  case $1 in
    sqlite) db="$work/bench.db" ;;
    postgres)
      [ -n "${VARCO_TEST_POSTGRES_URL:-}" ] || start_postgres
      [ -n "${VARCO_TEST_POSTGRES_URL:-}" ] || { log "no PostgreSQL: skipping it"; return 1; }
      fresh_pg_db ;;
    *) echo "unknown engine $1" >&2; exit 1 ;;
  esac
}
