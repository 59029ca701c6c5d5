#!/usr/bin/env bash
# davbench server script: two almanac servers on one PostgreSQL database
# behind a round-robin proxy (almanac-pg.sh with SERVERS=2), on PORT 8103.
SERVERS=2 PORT=${PORT:-8103} exec "$(dirname "$0")/almanac-pg.sh" "$@"
