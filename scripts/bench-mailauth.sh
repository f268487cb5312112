#!/usr/bin/env bash
# Measures mail logins (POST /api/v1/mail/auth) of the real varco binary on
# SQLite and on a throwaway PostgreSQL, next to a ceiling from the same run:
#
#   valid app password, wrk -t2 -c64   vs a bare net/http handler answering
#                                        the same POST (wrk, same load)
#   p99 at half that rate                open loop (scripts/openloop.c,
#                                        one thread on epoll in C, built
#                                        here with gcc): latency from each
#                                        request's scheduled time, on
#                                        OPEN_CLIENTS (32) kept connections,
#                                        as a mail server's auth workers
#                                        keep a few dozen; how busy the
#                                        machine's CPUs were meanwhile, and
#                                        the client's own CPU per request
#                                        (it runs on the same cores: what
#                                        it spends is taken from varco)
#   wrong passwords at that rate         the same client, 256 client IPs:
#                                        answers by status; afterwards
#                                        `varco audit verify` and the
#                                        history's count of failures vs
#                                        the 401s the client saw
#
#   scripts/bench-mailauth.sh                     # both engines
#   ENGINES=sqlite DURATION=5s scripts/bench-mailauth.sh
#   PROFILE=1 scripts/bench-mailauth.sh           # also a CPU profile of varco
#                                                 # under the valid-login load
#   OPEN_CLIENT=go scripts/bench-mailauth.sh      # the open loop by varco-bench
#                                                 # mailauth (Go, same flags and
#                                                 # output) instead, to compare
#   OPEN_RATE=2000 scripts/bench-mailauth.sh      # the open loop at this rate
#                                                 # instead of half wrk's
#   OPEN_TICK=200us scripts/bench-mailauth.sh     # the C client sleeps whole
#                                                 # ticks: less of its CPU,
#                                                 # latencies up to a tick longer
#
# With the C client and no OPEN_TICK, the valid-password open loop runs
# twice: each request sent at its own time, then sent in bursts every
# TICKED (default 200us; TICKED= skips it). Each request's latency still
# counts from its own due time, so a burst's wait is in the figure; what
# changes is that the client wakes 5,000 times a second instead of for every
# request, and its wake-ups are CPU taken from varco on these shared cores.
#
# Everything listens on loopback; every load is bounded by DURATION (default
# 10s). Installs wrk and gcc (Debian packages) when they are missing and we
# are root.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '== %s\n' "$*" >&2; }
. scripts/lib.sh

D=${DURATION:-10s}
ENGINES=${ENGINES:-sqlite postgres}
SECRET=bench-mail-servers-secret-0123456789
USER_EMAIL=load@bench.test
USER_PW=Bench-Mark-2026

OPEN_CLIENT=${OPEN_CLIENT:-c}
TICKED=${TICKED-200us}
case $OPEN_CLIENT in
  c | go) ;;
  *) echo "OPEN_CLIENT is c (scripts/openloop.c) or go (varco-bench mailauth)" >&2; exit 1 ;;
esac
[ -z "${OPEN_TICK:-}" ] || [ "$OPEN_CLIENT" = c ] || { echo "OPEN_TICK is for the C client only" >&2; exit 1; }
need_wrk
build_bench
[ "$OPEN_CLIENT" = go ] || build_openloop

# wrk's requests/s of POST url with body, plus the status lines it saw.
wrk_post() {
  local url=$1 body=$2
  cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $SECRET"
EOF
  wrk -t2 -c64 -d"$D" -s "$work/post.lua" "$url" | tee -a "$work/wrk.txt" | awk '/^Requests\/sec:/ { print $2 }'
}
json_str() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
# open_loop FLAGS…: the open-loop client OPEN_CLIENT; both take varco-bench
# mailauth's flags and print its line, with client_cpu_us_per_req.
open_loop() {
  if [ "$OPEN_CLIENT" = go ]; then "$bench" mailauth "$@"; else "$openloop" -tick "${OPEN_TICK:-0}" "$@"; fi
}

log "ceiling: a bare net/http handler answering the same POST"
start_bare

results=()
for engine in $ENGINES; do
  engine_db "$engine" || continue
  log "$engine: varco serve"
  port=$(free_port)
  export VARCO_DATABASE_URL=$db VARCO_LISTEN=127.0.0.1:$port VARCO_AUDIT_DIR="$work/audit-$engine" \
    VARCO_BASE_URL=http://127.0.0.1:$port VARCO_SMTP_URL=smtp://127.0.0.1:1 VARCO_MAIL_FROM=varco@bench.test \
    VARCO_MAIL_AUTH_SECRET=$SECRET
  base=http://$VARCO_LISTEN
  "$work/varco" org create --name bench --plan pro >/dev/null
  echo "$USER_PW" | "$work/varco" user create --email "$USER_EMAIL" --org bench --password-stdin >/dev/null
  [ -z "${PROFILE:-}" ] || export VARCO_PPROF_LISTEN=127.0.0.1:$(free_port)
  "$work/varco" serve >/dev/null 2>"$work/varco-$engine.log" &
  vpid=$!
  pids_to_stop+=("$vpid")
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; done

  # 2-step verification on (the command-line authenticator), a session by
  # push approval, then an app password.
  key="$work/device-$engine.key"
  VARCO_PASSWORD=$USER_PW VARCO_AUTHENTICATOR_PIN=bench-pin-4821 \
    "$work/varco" authenticator enroll --server "$base" --email "$USER_EMAIL" --key-file "$key" >/dev/null
  login=$(curl -s "$base/api/v1/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$USER_EMAIL\",\"password\":\"$USER_PW\"}")
  flow=$(json_str flow <<<"$login") number=$(json_str number <<<"$login")
  [ -n "$flow" ] || { echo "$engine: login did not ask for push: $login" >&2; exit 1; }
  VARCO_AUTHENTICATOR_PIN=bench-pin-4821 "$work/varco" authenticator approve --key-file "$key" --number "$number" >/dev/null
  token=$(curl -s "$base/api/v1/login/$flow" | json_str session_token)
  [ -n "$token" ] || { echo "$engine: no session token" >&2; exit 1; }
  apppw=$(curl -s "$base/api/v1/me/app-passwords" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"label":"bench"}' | json_str password)
  [ -n "$apppw" ] || { echo "$engine: no app password" >&2; exit 1; }
  good="{\"username\":\"$USER_EMAIL\",\"password\":\"$apppw\",\"protocol\":\"imap\",\"client_ip\":\"198.51.100.7\"}"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/mail/auth" -H "Authorization: Bearer $SECRET" \
    -H 'Content-Type: application/json' -d "$good")" = 200 ] || { echo "$engine: the app password is refused" >&2; exit 1; }

  log "$engine: bare handler, then POST /api/v1/mail/auth with the app password (wrk -t2 -c64)"
  bare_rate=$(wrk_post "http://$(cat "$work/bare.addr")/" "$good")
  if [ -n "${PROFILE:-}" ]; then
    secs=$(( ${D%s} > 2 ? ${D%s} - 2 : 1 ))
    curl -s -o "$work/mail-$engine.prof" "http://$VARCO_PPROF_LISTEN/debug/pprof/profile?seconds=$secs" &
    prof_pid=$!
  fi
  mail_rate=$(wrk_post "$base/api/v1/mail/auth" "$good")
  if [ -n "${PROFILE:-}" ]; then
    wait "$prof_pid"
    cp "$work/mail-$engine.prof" "${PROFILE_DIR:-/tmp}/varco-mailauth-$engine.prof"
    log "$engine: CPU profile of varco under valid mail logins (also in ${PROFILE_DIR:-/tmp}/varco-mailauth-$engine.prof)"
    go tool pprof -top -cum "$work/varco" "$work/mail-$engine.prof" 2>/dev/null | sed -n '1,45p' >&2
  fi
  grep -q "Non-2xx" "$work/wrk.txt" && log "$engine: wrk saw non-2xx answers (see above)"

  log "$engine: latency at low concurrency (wrk -t1 -c4 --latency), valid app password"
  wrk -t1 -c4 -d"$D" --latency -s "$work/post.lua" "$base/api/v1/mail/auth" >"$work/c4-$engine.txt"
  c4_rate=$(awk '/^Requests\/sec:/ { print $2 }' "$work/c4-$engine.txt")
  c4_p50=$(awk '$1 == "50%" { print $2 }' "$work/c4-$engine.txt") c4_p99=$(awk '$1 == "99%" { print $2 }' "$work/c4-$engine.txt")

  half=${OPEN_RATE:-$(awk -v r="$mail_rate" 'BEGIN { printf "%d", r / 2 }')}
  log "$engine: open loop ($OPEN_CLIENT) at $half/s${OPEN_RATE:+ (OPEN_RATE)}, valid app password"
  busy_start
  valid=$(open_loop -url "$base" -secret "$SECRET" -user "$USER_EMAIL" -password "$apppw" -rate "$half" -d "$D" -c "${OPEN_CLIENTS:-32}")
  busy=$(busy_pct)
  ticked=
  if [ "$OPEN_CLIENT" = c ] && [ -z "${OPEN_TICK:-}" ] && [ -n "$TICKED" ]; then
    log "$engine: the same, sent in $TICKED ticks"
    busy_start
    ticked=$("$openloop" -tick "$TICKED" -url "$base" -secret "$SECRET" -user "$USER_EMAIL" -password "$apppw" -rate "$half" -d "$D" -c "${OPEN_CLIENTS:-32}")
    ticked_busy=$(busy_pct)
    printf '%s\n' "$ticked" >&2
  fi
  log "$engine: open loop, wrong passwords at the same rate from 256 client IPs"
  wrong=$(open_loop -url "$base" -secret "$SECRET" -user "$USER_EMAIL" -password "wrongwrongwrongx" -rate "$half" -d "$D" -ips 256)
  printf '%s\n%s\n' "$valid" "$wrong" >&2

  # Stop (a clean shutdown writes every queued record and open window),
  # verify the history, then read the account's failures back.
  kill "$vpid"; wait "$vpid" || true
  verify=ok
  "$work/varco" audit verify >"$work/verify-$engine.txt" 2>&1 || verify=FAILED
  "$work/varco" serve >/dev/null 2>>"$work/varco-$engine.log" &
  vpid=$!
  pids_to_stop+=("$vpid")
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; done
  curl -s "$base/api/v1/me/activity?type=mail_login_failed&format=json" -H "Authorization: Bearer $token" >"$work/failed-$engine.json"
  recorded=$(grep -o '"count":[0-9]*' "$work/failed-$engine.json" | awk -F: '{ n += $2 } END { print n + 0 }' || true)
  events=$(grep -o '"count":[0-9]*' "$work/failed-$engine.json" | wc -l || true)
  [ -n "$recorded" ] && [ "$events" -gt 0 ] || log "$engine: the history export: $(head -c 300 "$work/failed-$engine.json")"
  kill "$vpid"; wait "$vpid" || true

  p99=$(field p99_ms "$valid") p50=$(field p50_ms "$valid")
  w401=$(field status_401 "$wrong") w429=$(field status_429 "$wrong") w5xx=$({ grep -o 'status_5[0-9][0-9]=[0-9]*' <<<"$wrong" || true; } | awk -F= '{ n += $2 } END { print n + 0 }')
  results+=("$(printf '%-9s %-52s %10s %10s %6s\n' "$engine" "mail auth req/s (valid) vs bare handler" "$mail_rate" "$bare_rate" "$(ratio "$mail_rate" "$bare_rate")")")
  results+=("$(printf '%-9s %-52s %10s\n' "$engine" "open loop at $half/s: p50 / p99 ms (valid)" "$p50 / $p99")")
  results+=("$(printf '%-9s %-52s %10s\n' "$engine" "open loop: the machine's CPUs busy (all processes)" "$busy %")")
  [ -z "$ticked" ] || results+=("$(printf '%-9s %-52s %10s\n' "$engine" "same in $TICKED ticks: p50 / p99 ms, busy, client us/req" \
    "$(field p50_ms "$ticked") / $(field p99_ms "$ticked"), $ticked_busy %, $(field client_cpu_us_per_req "$ticked")")")
  results+=("$(printf '%-9s %-52s %10s\n' "$engine" "open loop: client's CPU us/request, valid / wrong" "$(field client_cpu_us_per_req "$valid") / $(field client_cpu_us_per_req "$wrong")")")
  results+=("$(printf '%-9s %-52s %10s\n' "$engine" "4 connections, closed loop: req/s, p50 / p99" "$c4_rate, $c4_p50 / $c4_p99")")
  results+=("$(printf '%-9s %-52s %10s\n' "$engine" "wrong passwords at $half/s: 401 / 429 / 5xx" "${w401:-0} / ${w429:-0} / $w5xx")")
  results+=("$(printf '%-9s %-52s %10s\n' "$engine" "history: failures recorded (events) vs 401s seen" "$recorded ($events) vs ${w401:-0}")")
  results+=("$(printf '%-9s %-52s %10s\n' "$engine" "varco audit verify" "$verify")")
done

echo
echo "Load: wrk -t2 -c64 -d$D; open loop $([ "$OPEN_CLIENT" = go ] && echo "varco-bench mailauth" || echo "scripts/openloop.c${OPEN_TICK:+ -tick $OPEN_TICK}"); one run, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %-52s %10s %10s %6s\n' engine measure value ceiling ratio
printf '%s\n' "${results[@]}"
