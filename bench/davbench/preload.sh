# preload: sourced by the almanac server scripts. With PRELOAD_DIR and
# PRELOAD_PATH (compare.sh -m), PUTs the exported events into the server
# on 127.0.0.1:$PORT as bench@example.com, untimed, like the other
# servers' file imports; $DATA holds the list curl reads.
preload() {
  [ -n "${PRELOAD_DIR:-}" ] || return 0
  local path=${PRELOAD_PATH:?PRELOAD_PATH must be set with PRELOAD_DIR}
  local cfg="$DATA/preload.curl" f
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
}
