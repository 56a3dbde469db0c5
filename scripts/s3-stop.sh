#!/usr/bin/env bash
# Stop the cluster started by s3-start.sh and remove its state dir.
#   usage: s3-stop.sh [STATE_DIR=/tmp/lfs-s3-rgw]
# Kills only the pids recorded in STATE_DIR/pids/*.pid, and only if that pid
# still runs a command line that names STATE_DIR/ceph.conf (guards against pid
# reuse). Never kills by process name.  KEEP_STATE=1 keeps the directory.
set -euo pipefail

DIR=${1:-/tmp/lfs-s3-rgw}
log() { printf '[stop-s3 %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [ ! -d "$DIR" ]; then
  log "$DIR does not exist; nothing to stop"
  exit 0
fi
DIR=$(cd "$DIR" && pwd)
CONF=$DIR/ceph.conf

ours() { # pid -> true if it is alive and was started with our ceph.conf
  local pid=$1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CONF"
}

stop_one() { # name grace_seconds
  local name=$1 grace=$2 f pid i
  f=$DIR/pids/$name.pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [[ "$pid" =~ ^[0-9]+$ ]] && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      ours "$pid" || break
      # a zombie (already exited, not yet reaped) counts as stopped
      [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
      sleep 0.1
    done
    if ours "$pid" && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
      log "$name (pid $pid) still running after ${grace}s, sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    log "stopped $name (pid $pid)"
  else
    log "$name: pid $pid is not running (or not ours); skipping"
  fi
  rm -f "$f"
}

# order matters: rgw first, then the OSD (it tells the mon it is going down,
# which takes up to 5 s if the mon is already gone), then the mon
stop_one rgw.a 10
stop_one osd.0 10
stop_one mon.a 10

if [ "${KEEP_STATE:-0}" = 1 ]; then
  log "keeping $DIR"
elif [ ! -e "$DIR/.start-s3-state" ]; then
  log "$DIR has no .start-s3-state marker (not made by s3-start.sh); not removing it"
else
  rm -rf "$DIR"
  log "removed $DIR"
fi
