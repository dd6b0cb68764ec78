#!/usr/bin/env bash
# concord-rss.sh PORT DATADIR [extra serve options]: `concord serve placement` as perfload's
# --server-cmd, appending the server's resident memory to $RSS_LOG when perfload stops it:
# "VmRSS <kB at the end> VmHWM <peak kB>". For the scale runs of bench/placement/scale.sh.
set -euo pipefail
PORT=$1; DATADIR=$2; shift 2
"$(dirname "$0")/../../bin/concord.js" serve placement --port "$PORT" \
  --data-dir "$DATADIR" --auth-strategy noauth2 "$@" &
pid=$!
report() {
  if [ -n "${RSS_LOG:-}" ] && [ -r "/proc/$pid/status" ]; then
    awk '/^VmRSS|^VmHWM/ {printf "%s %s ", $1, $2} END {print ""}' "/proc/$pid/status" >> "$RSS_LOG"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  exit 0
}
trap report TERM INT
wait "$pid"
