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
. "$(dirname "$0")/lib.sh"
missing=()
[ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ] || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v chromium >/dev/null || missing+=(chromium)
# The real mail servers of the mail-auth suite (internal/testenv/mailservers):
# the suite starts its own instances on loopback high ports.
mail_pkgs=(dovecot-imapd dovecot-pop3d dovecot-auth-lua postfix nginx libnginx-mod-mail curl)
mail_missing=()
for p in "${mail_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || mail_missing+=("$p")
done
missing+=("${mail_missing[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Postfix asks what kind of mail server this is: none, the tests
    # configure their own.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # The packages would start system-wide daemons on ports 25, 110, 143
    # and 80: a policy-rc.d that denies every start keeps them down while
    # installing (unless the machine has its own policy already).
    policy=/usr/sbin/policy-rc.d own_policy=
    if [ ${#mail_missing[@]} -gt 0 ] && [ ! -e "$policy" ]; then
      printf '#!/bin/sh\n# scripts/test.sh: no daemon starts while it installs packages\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      own_policy=1
    fi
    status=0
    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || status=$?
    [ -z "$own_policy" ] || rm -f "$policy"
    [ "$status" = 0 ] || exit "$status"
    # Should a daemon have started anyway, stop it.
    for svc in dovecot postfix nginx; do
      if [ ${#mail_missing[@]} -gt 0 ] && command -v service >/dev/null && service "$svc" status >/dev/null 2>&1; then
        log "stopping the system's $svc, which the install started"
        service "$svc" stop >/dev/null 2>&1 || true
      fi
    done
  else
    log "missing packages: ${missing[*]} (run as root to install them)"
  fi
fi

# --- throwaway servers ----------------------------------------------------------
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

# A test that starts varco on PostgreSQL without an audit directory writes
# keys into the package it runs in: never leave (or commit) such a thing.
stray=$(find . -mindepth 2 -path ./.git -prune -o -type d \( -name varco-audit -o -name '*.audit' \) -print)
if [ -n "$stray" ]; then
  echo "tests left audit directories (keys!) in the tree: $stray" >&2
  exit 1
fi
