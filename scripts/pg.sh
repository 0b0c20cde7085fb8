#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: installs Debian's PostgreSQL when it is
# missing, initdb's a cluster in a temp dir, starts it on a free loopback port, runs the
# command with MINSHENG_TEST_DATABASE_URL pointing at it, then stops it and removes the
# directory (also when the command fails or is interrupted). Nothing depends on a system
# service: the package's own cluster, if any, is left alone.
#
# Usage: bash scripts/pg.sh run CMD [ARGS...]
#   e.g. bash scripts/pg.sh run cargo test -p minsheng-store-postgres
#
# The cluster trades durability for speed (fsync off): it holds test data only.
# MINSHENG_PG_OPTIONS adds server settings for one run, e.g. "-c shared_preload_libraries=pg_stat_statements"
# (scripts/province-load.sh uses it for per-statement statistics).
set -euo pipefail

say() { printf '[pg] %s\n' "$*" >&2; }
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

install_pg() {
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] && return 0
  say "installing PostgreSQL from Debian's packages (no cluster is created or started)"
  # postgresql-common would create and start a "main" cluster on port 5432; the tests
  # never use it, so it is not created.
  "${SUDO[@]}" mkdir -p /etc/postgresql-common
  if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
    echo "create_main_cluster = false" | "${SUDO[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confold postgresql >/dev/null
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

run() {
  install_pg
  # Globals, not locals: the EXIT trap runs after this function has returned.
  PG_AS=()
  bin="$(pg_bin)"
  dir="$(mktemp -d /tmp/minsheng-pg.XXXXXX)"
  chmod 755 "$dir"
  # initdb and postgres refuse to run as root: run them as the package's postgres user.
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    PG_AS=(runuser -u postgres --)
  fi
  port="$(free_port)"
  stop() {
    "${PG_AS[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  }
  trap stop EXIT INT TERM
  "${PG_AS[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  "${PG_AS[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${MINSHENG_PG_OPTIONS:-}" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  export MINSHENG_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"
  local rc=0
  "$@" || rc=$?
  return "$rc"
}

case "${1:-}" in
  run) shift; run "$@" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
