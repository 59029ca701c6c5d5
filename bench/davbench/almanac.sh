#!/usr/bin/env bash
# davbench server script for almanac: start|stop|status, the contract of
# ../../../shared/bench/davbench/servers/common.sh. Builds the binary from
# this checkout, wipes /tmp/perf-almanac-$PORT, creates the account
# bench@example.com (password "bench", handle "bench") and serves on
# 127.0.0.1:$PORT. With PRELOAD_DIR/PRELOAD_PATH (compare.sh -m) it PUTs the
# exported events with curl, eight at a time, before reporting ready; that
# part is untimed, like the other servers' file imports.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
shared=${DAVBENCH_DIR:-$(cd "$repo/../shared/bench/davbench" 2>/dev/null && pwd || true)}
. "$shared/servers/common.sh"
. "$here/preload.sh"

PORT=${PORT:-8101}
DATA=${DATA:-/tmp/perf-almanac-$PORT}
BIN=${ALMANAC_BIN:-/tmp/perf-almanac-bin/almanac}
pidfile="$DATA.pid"

case "${1:-}" in
start)
  stop_pidfile "$pidfile" almanac
  wipe_data "$DATA"
  mkdir -p "$DATA" "$(dirname "$BIN")"
  (cd "$repo" && go build -o "$BIN" ./cmd/almanac)
  echo bench-password | "$BIN" user add -data "$DATA" -handle bench bench@example.com >/dev/null
  # davbench sends "bench"/"bench": keep the CLI's length floor and set it directly.
  printf 'benchbench\n' | "$BIN" user passwd -data "$DATA" bench@example.com >/dev/null
  ALMANAC_LOG_LEVEL=warn nohup "$BIN" serve -listen "127.0.0.1:$PORT" -data "$DATA" \
    > "$DATA/server.log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$pidfile"
  if ! wait_http "http://127.0.0.1:$PORT/healthz"; then
    tail -20 "$DATA/server.log" >&2
    stop_pidfile "$pidfile" almanac
    exit 1
  fi
  preload
  echo "almanac on http://127.0.0.1:$PORT/ (data $DATA)"
  echo "PID=$pid"
  echo "DATA=$DATA"
  ;;
stop)
  stop_pidfile "$pidfile" almanac
  ;;
status)
  if [ -f "$pidfile" ] && pid_is "$(cat "$pidfile")" almanac; then echo "running PID=$(cat "$pidfile")"; else echo stopped; exit 1; fi
  ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
