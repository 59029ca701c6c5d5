#!/usr/bin/env bash
# davbench server script for almanac on PostgreSQL: start|stop|status, the
# contract of almanac.sh (../../../shared/bench/davbench/servers/common.sh).
# start wipes /tmp/perf-almanac-pg-$PORT, starts a throw-away PostgreSQL
# cluster in it (initdb, then postgres listening only on a Unix socket in
# that directory, as internal/pgtest does; as root both run as the
# unprivileged "postgres" account), creates the account bench@example.com
# (password "benchbench", handle "bench") with -db, and serves on
# 127.0.0.1:$PORT. The cluster keeps PostgreSQL's durable defaults (fsync,
# synchronous_commit), as bbolt fsyncs each commit. PRELOAD_DIR/PRELOAD_PATH
# work as in almanac.sh. stop stops almanac, then the cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
shared=${DAVBENCH_DIR:-$(cd "$repo/../shared/bench/davbench" 2>/dev/null && pwd || true)}
. "$shared/servers/common.sh"

PORT=${PORT:-8102}
DATA=${DATA:-/tmp/perf-almanac-pg-$PORT}
BIN=${ALMANAC_BIN:-/tmp/perf-almanac-bin/almanac}
pidfile="$DATA.pid"
pgpidfile="$DATA.pg.pid"

# pgbin: initdb and postgres, from Debian's versioned directory (newest
# major first) or PATH.
pgbin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn); do
    if [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  dirname "$(command -v initdb)"
}

# as_pg CMD...: runs CMD as the owner of the cluster (root may not).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    local user=postgres
    id postgres >/dev/null 2>&1 || user=nobody
    setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
start)
  stop_pidfile "$pidfile" almanac
  stop_pidfile "$pgpidfile" postgres
  wipe_data "$DATA"
  mkdir -p "$DATA/pg" "$(dirname "$BIN")"
  (cd "$repo" && go build -o "$BIN" ./cmd/almanac)
  bin=$(pgbin)
  if [ "$(id -u)" = 0 ]; then chown "$(id -u postgres 2>/dev/null || id -u nobody)" "$DATA/pg"; fi
  as_pg "$bin/initdb" -D "$DATA/pg/data" -U almanac --auth=trust -E UTF8 --locale=C > "$DATA/initdb.log" 2>&1
  as_pg nohup "$bin/postgres" -D "$DATA/pg/data" -c listen_addresses= -c unix_socket_directories="$DATA/pg" \
    -c max_connections=100 > "$DATA/postgres.log" 2>&1 < /dev/null &
  db="postgres://almanac@/postgres?host=$DATA/pg&sslmode=disable"
  for i in $(seq 1 150); do
    [ -S "$DATA/pg/.s.PGSQL.5432" ] && break
    sleep 0.1
  done
  # The postmaster's own PID (the one backgrounded above is the
  # subshell running setpriv).
  head -1 "$DATA/pg/data/postmaster.pid" > "$pgpidfile"
  echo bench-password | "$BIN" user add -db "$db" -data "$DATA" -handle bench bench@example.com >/dev/null
  printf 'benchbench\n' | "$BIN" user passwd -db "$db" -data "$DATA" bench@example.com >/dev/null
  # On PostgreSQL serve makes no key file (every server must share it).
  head -c 32 /dev/urandom > "$DATA/link.key"
  chmod 600 "$DATA/link.key"
  ALMANAC_LOG_LEVEL=warn ALMANAC_DB="$db" nohup "$BIN" serve -listen "127.0.0.1:$PORT" -data "$DATA" \
    > "$DATA/server.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$pidfile"
  if ! wait_http "http://127.0.0.1:$PORT/healthz"; then
    tail -20 "$DATA/server.log" "$DATA/postgres.log" >&2
    stop_pidfile "$pidfile" almanac
    stop_pidfile "$pgpidfile" postgres
    exit 1
  fi
  if [ -n "${PRELOAD_DIR:-}" ]; then
    path=${PRELOAD_PATH:?PRELOAD_PATH must be set with PRELOAD_DIR}
    cfg="$DATA/preload.curl"
    for f in "$PRELOAD_DIR"/*; do
      printf 'url = "http://127.0.0.1:%s%s%s"\nupload-file = "%s"\n' "$PORT" "$path" "${f##*/}" "$f"
    done > "$cfg"
    curl -sS -Z --parallel-max 8 -o /dev/null -u bench@example.com:benchbench -H 'Content-Type: text/calendar' -K "$cfg"
    echo "preloaded $(ls "$PRELOAD_DIR" | wc -l) files into $path"
  fi
  echo "almanac on PostgreSQL on http://127.0.0.1:$PORT/ (data $DATA)"
  echo "PID=$pid"
  echo "DATA=$DATA"
  ;;
stop)
  stop_pidfile "$pidfile" almanac
  # SIGTERM is PostgreSQL's smart shutdown; almanac is gone, so it ends.
  stop_pidfile "$pgpidfile" postgres
  ;;
status)
  if [ -f "$pidfile" ] && pid_is "$(cat "$pidfile")" almanac; then echo "running PID=$(cat "$pidfile")"; else echo stopped; exit 1; fi
  ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
