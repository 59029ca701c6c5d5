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
# With SERVERS=2 (almanac-pg2.sh) two almanac servers run on the database,
# on PORT+1000 and PORT+1001, sharing one link key, behind rrproxy on PORT,
# which sends each request to the other server than the one before; PID
# is then the first server's (davbench's CPU and RSS figures are its).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
shared=${DAVBENCH_DIR:-$(cd "$repo/../shared/bench/davbench" 2>/dev/null && pwd || true)}
. "$shared/servers/common.sh"
. "$here/preload.sh"

PORT=${PORT:-8102}
DATA=${DATA:-/tmp/perf-almanac-pg-$PORT}
BIN=${ALMANAC_BIN:-/tmp/perf-almanac-bin/almanac}
SERVERS=${SERVERS:-1}
pidfile="$DATA.pid"
pgpidfile="$DATA.pg.pid"
proxypidfile="$DATA.proxy.pid"
# stop_servers stops the almanac servers and the proxy.
stop_servers() {
  stop_pidfile "$proxypidfile" rrproxy
  for f in "$DATA".s*.pid; do [ -f "$f" ] && stop_pidfile "$f" almanac; done
  stop_pidfile "$pidfile" almanac
}

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
  stop_servers
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
  if [ "$SERVERS" = 1 ]; then
    ALMANAC_LOG_LEVEL=warn ALMANAC_DB="$db" nohup "$BIN" serve -listen "127.0.0.1:$PORT" -data "$DATA" \
      > "$DATA/server.log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$pidfile"
  else
    backends=()
    for i in $(seq 0 $((SERVERS - 1))); do
      sport=$((PORT + 1000 + i))
      mkdir -p "$DATA/s$i"
      cp "$DATA/link.key" "$DATA/s$i/link.key"
      ALMANAC_LOG_LEVEL=warn ALMANAC_DB="$db" nohup "$BIN" serve -listen "127.0.0.1:$sport" -data "$DATA/s$i" \
        > "$DATA/server$i.log" 2>&1 < /dev/null &
      echo $! > "$DATA.s$i.pid"
      [ "$i" = 0 ] && pid=$! && echo "$pid" > "$pidfile"
      wait_http "http://127.0.0.1:$sport/healthz" || { tail -20 "$DATA/server$i.log" >&2; stop_servers; stop_pidfile "$pgpidfile" postgres; exit 1; }
      backends+=("http://127.0.0.1:$sport")
    done
    (cd "$repo" && go build -o "$(dirname "$BIN")/rrproxy" ./bench/davbench/rrproxy)
    nohup "$(dirname "$BIN")/rrproxy" -listen "127.0.0.1:$PORT" "${backends[@]}" > "$DATA/proxy.log" 2>&1 < /dev/null &
    echo $! > "$proxypidfile"
  fi
  if ! wait_http "http://127.0.0.1:$PORT/healthz"; then
    tail -20 "$DATA"/server*.log "$DATA/postgres.log" >&2
    stop_servers
    stop_pidfile "$pgpidfile" postgres
    exit 1
  fi
  preload
  echo "almanac on PostgreSQL on http://127.0.0.1:$PORT/ (data $DATA)"
  echo "PID=$pid"
  echo "DATA=$DATA"
  ;;
stop)
  stop_servers
  # SIGTERM is PostgreSQL's smart shutdown; almanac is gone, so it ends.
  stop_pidfile "$pgpidfile" postgres
  ;;
status)
  if [ -f "$pidfile" ] && pid_is "$(cat "$pidfile")" almanac; then echo "running PID=$(cat "$pidfile")"; else echo stopped; exit 1; fi
  ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
