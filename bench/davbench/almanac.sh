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
  if [ -n "${PRELOAD_DIR:-}" ]; then
    path=${PRELOAD_PATH:?PRELOAD_PATH must be set with PRELOAD_DIR}
    cfg="$DATA/preload.curl"
    # No process per file: a subshell per event made writing this list
    # take longer than the PUTs.
    for f in "$PRELOAD_DIR"/*; do
      printf 'url = "http://127.0.0.1:%s%s%s"\nupload-file = "%s"\n' "$PORT" "$path" "${f##*/}" "$f"
    done > "$cfg"
    # Eight at a time: the store commits concurrent PUTs together, so a
    # 100,000-event preload takes minutes rather than the better part of
    # an hour of one fsync per event.
    curl -sS -Z --parallel-max 8 -o /dev/null -u bench@example.com:benchbench -H 'Content-Type: text/calendar' -K "$cfg"
    echo "preloaded $(ls "$PRELOAD_DIR" | wc -l) files into $path"
  fi
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
