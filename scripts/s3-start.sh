#!/usr/bin/env bash
# Start a throw-away single-node Ceph 16 (1 mon + 1 OSD, no mgr, no cephx) plus
# radosgw (RGW) as a real S3 endpoint on 127.0.0.1, for tests.
#
#   usage: s3-start.sh [STATE_DIR=/tmp/lfs-s3-rgw] [PORT=7480]
#          set -a; eval "$(s3-start.sh /tmp/lfs-s3-rgw 7480)"; set +a
#   stop:  s3-stop.sh STATE_DIR   (kills only the pids this script recorded)
#
# Only KEY=VALUE lines go to stdout; progress and errors go to stderr.
# Environment knobs (all optional):
#   MON_PORT        monitor port (msgr v2 only), default PORT+1
#   OSD_BACKEND     memstore (default: data in RAM, fastest start) |
#                   bluestore (data in a sparse file under STATE_DIR, bounded RAM)
#   STORE_BYTES     OSD capacity, default 8 GiB (memstore: RAM cap; bluestore: file size)
#   START_TIMEOUT   seconds to wait for each stage, default 120
#   S3_ACCESS_KEY / S3_SECRET_KEY / S3_REGION / S3_UID   the S3 user to create
#   NO_APT=1        never call apt-get (fail if binaries are missing)
#   RGW_CRYPT=0     leave out the SSE test config (then any SSE header -> 400 InvalidRequest)
#   RGW_EXTRA_CONF  extra lines appended to the [client.rgw.a] section
#   TLS_PORT        also serve HTTPS on this port with a self-signed certificate for 127.0.0.1 and localhost; prints
#                   S3_TLS_ENDPOINT and S3_CA_FILE (the certificate, to trust: SSL_CERT_FILE for git-lfs-s3,
#                   AWS_CA_BUNDLE for the AWS CLI)
set -euo pipefail

DIR=${1:-/tmp/lfs-s3-rgw}
PORT=${2:-7480}
MON_PORT=${MON_PORT:-$((PORT + 1))}
OSD_BACKEND=${OSD_BACKEND:-memstore}
STORE_BYTES=${STORE_BYTES:-$((8 * 1024 * 1024 * 1024))}
START_TIMEOUT=${START_TIMEOUT:-120}
ACCESS_KEY=${S3_ACCESS_KEY:-LFSTESTACCESSKEY0001}
SECRET_KEY=${S3_SECRET_KEY:-lfstestsecretkey0000000000000000000000001}
REGION=${S3_REGION:-us-east-1}
S3_UID=${S3_UID:-lfs-test}
MARKER=.start-s3-state
STARTED=0 # set once this run has launched a daemon

log() { printf '[start-s3 %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
  log "ERROR: $*"
  [ "$STARTED" = 1 ] || exit 1 # nothing of ours is running yet: touch nothing
  local f p
  for f in "$DIR"/log/*.log "$DIR"/log/*.out; do
    [ -s "$f" ] || continue
    printf '\n===== tail of %s =====\n' "$f" >&2
    tail -n 25 "$f" >&2 || true
  done
  # do not leave half a cluster running: kill what THIS run started
  for f in "$DIR"/pids/rgw.a.pid "$DIR"/pids/osd.0.pid "$DIR"/pids/mon.a.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    kill -KILL "$p" 2>/dev/null || true
    rm -f "$f"
  done
  log "logs left in $DIR/log (remove the dir with s3-stop.sh $DIR)"
  exit 1
}

T0=$(date +%s.%N)

# ---------------------------------------------------------------- sanity
[[ "$PORT" =~ ^[0-9]+$ && "$MON_PORT" =~ ^[0-9]+$ ]] || die "ports must be numbers"
case "$DIR" in "" | / | /tmp | /tmp/ | "$HOME" | "$HOME"/) die "refusing to use '$DIR' as state dir" ;; esac
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ] && [ ! -e "$DIR/$MARKER" ]; then
  die "$DIR exists, is not empty and was not made by s3-start.sh; refusing to wipe it"
fi
for f in "$DIR"/pids/*.pid; do # a live daemon of an earlier run? (stale pid files are fine)
  [ -f "$f" ] || continue
  p=$(cat "$f")
  if [[ "$p" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$DIR/ceph.conf"; then
    die "$DIR already holds a running cluster (pid $p from $f); run s3-stop.sh $DIR first"
  fi
done
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_busy "$PORT" && die "port $PORT on 127.0.0.1 is already in use"
port_busy "$MON_PORT" && die "monitor port $MON_PORT on 127.0.0.1 is already in use (set MON_PORT)"

rm -rf "$DIR"
mkdir -p "$DIR"/{mon/ceph-a,osd/ceph-0,run,pids,log,rgw,crash}
touch "$DIR/$MARKER"
DIR=$(cd "$DIR" && pwd)
CONF=$DIR/ceph.conf

# ---------------------------------------------------------------- packages
need=()
command -v ceph-mon >/dev/null 2>&1 || need+=(ceph-mon)
command -v ceph-osd >/dev/null 2>&1 || need+=(ceph-osd)
command -v radosgw >/dev/null 2>&1 || need+=(radosgw)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v uuidgen >/dev/null 2>&1 || need+=(uuid-runtime)
[ -z "${TLS_PORT:-}" ] || command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  [ "${NO_APT:-0}" = 1 ] && die "missing packages: ${need[*]} (NO_APT=1)"
  SUDO=
  [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  log "installing with apt-get: ${need[*]} (log: $DIR/log/apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  # DPkg::Lock::Timeout: wait (not fail) if another apt/dpkg is running
  if ! { $SUDO apt-get -o DPkg::Lock::Timeout=600 update &&
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}"; } \
    >"$DIR/log/apt.log" 2>&1 </dev/null; then
    tail -n 30 "$DIR/log/apt.log" >&2
    die "apt-get install ${need[*]} failed"
  fi
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool uuidgen curl; do
    command -v "$b" >/dev/null 2>&1 || die "$b still missing after apt-get install"
  done
fi

# ---------------------------------------------------------------- config
FSID=$(uuidgen)
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false

# no cephx at all
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
# radosgw's built-in default is ms_mon_client_mode=secure, which cannot work
# without cephx (monclient fails with -13 and retries for 300 s)
ms mon client mode = crc

# everything lives under the state dir
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/cluster.log
crash dir = $DIR/crash
keyring = $DIR/keyring
log to stderr = false
err to stderr = false
log to syslog = false

# one OSD, one copy, few PGs
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon osd down out interval = 0
# the mon shuts itself down below mon_data_avail_crit (default 5 %) free disk
mon data avail warn = 2
mon data avail crit = 1
osd crush update on start = true
# faster map commits: each pool radosgw creates is one osdmap proposal, and
# with the default 1 s propose interval radosgw needed ~9 s to come up
paxos propose interval = 0.05
paxos min wait = 0.01

[mon]
mon data = $DIR/mon/\$cluster-\$id

[osd]
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = $OSD_BACKEND
memstore device bytes = $STORE_BYTES
bluestore block path = $DIR/osd/\$cluster-\$id/block.file
bluestore block size = $STORE_BYTES
bluestore block create = true
bluestore fsck on mount = false
osd memory target = 1073741824

[client.rgw.a]
rgw data = $DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$PORT${TLS_PORT:+ ssl_endpoint=127.0.0.1:$TLS_PORT ssl_certificate=$DIR/tls/cert.pem ssl_private_key=$DIR/tls/key.pem} tcp_nodelay=1
rgw dns name = localhost
EOF
if [ -n "${TLS_PORT:-}" ]; then
  mkdir -p "$DIR/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" \
    >"$DIR/log/openssl.out" 2>&1 || die "openssl could not make the test certificate"
fi
if [ "${RGW_CRYPT:-1}" = 1 ]; then
  cat >>"$CONF" <<EOF
# accept SSE headers over plain http (TEST ONLY; these are public test keys):
# AES256 is then accepted but NOT applied; aws:kms with key id testkey-1/2 encrypts
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=YmluCmJvb3N0CmJvb3N0LWJ1aWxkCmNlcGguY29uZgo= testkey-2=aWIKTWFrZWZpbGUKbWFuCm91dApzcmMKVGVzdGluZwo=
EOF
fi
if [ -n "${RGW_EXTRA_CONF:-}" ]; then printf '%s\n' "$RGW_EXTRA_CONF" >>"$CONF"; fi
export CEPH_CONF=$CONF

# Daemons run in the foreground (-f) in their own session, detached from our
# stdin/stdout/stderr (so "$(s3-start.sh)" returns), and we record their pids
# ourselves in $DIR/pids/NAME.pid; s3-stop.sh kills exactly those.
start_daemon() { # name cmd...
  local name=$1
  shift
  STARTED=1
  setsid "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/pids/$name.pid"
}
alive() { kill -0 "$(cat "$DIR/pids/$1.pid")" 2>/dev/null; }
wait_for() { # desc timeout daemon-name cmd...
  local desc=$1 t=$2 d=$3
  shift 3
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    alive "$d" || die "$d exited while waiting for $desc (see $DIR/log/$d.log, $d.out)"
    [ $SECONDS -lt $end ] || die "timed out after ${t}s waiting for $desc"
    sleep 0.2
  done
}

# ---------------------------------------------------------------- monitor
log "creating monitor (fsid $FSID, 127.0.0.1:$MON_PORT)"
monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" \
  "$DIR/monmap" >>"$DIR/log/mkfs.log" 2>&1 || die "monmaptool failed"
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >>"$DIR/log/mkfs.log" 2>&1 ||
  die "ceph-mon --mkfs failed: $(tail -n 5 "$DIR/log/mkfs.log")"
start_daemon mon.a ceph-mon -f -c "$CONF" -i a
wait_for "monitor quorum" "$START_TIMEOUT" mon.a timeout 10 ceph -c "$CONF" --connect-timeout 5 mon stat

# ---------------------------------------------------------------- OSD
log "creating OSD ($OSD_BACKEND, $STORE_BYTES bytes)"
OSD_UUID=$(uuidgen)
OSD_ID=$(timeout 30 ceph -c "$CONF" osd new "$OSD_UUID" 2>>"$DIR/log/mkfs.log") || die "ceph osd new failed"
[ "$OSD_ID" = 0 ] || die "unexpected osd id '$OSD_ID'"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >>"$DIR/log/mkfs.log" 2>&1 ||
  die "ceph-osd --mkfs failed: $(tail -n 5 "$DIR/log/mkfs.log")"
start_daemon osd.0 ceph-osd -f -c "$CONF" -i 0
osd_up() { timeout 10 ceph -c "$CONF" --connect-timeout 5 osd dump 2>/dev/null | grep -q '^osd\.0 up *in'; }
wait_for "osd.0 up" "$START_TIMEOUT" osd.0 osd_up

# ---------------------------------------------------------------- RGW
log "starting radosgw on 127.0.0.1:$PORT"
start_daemon rgw.a radosgw -f -c "$CONF" -n client.rgw.a
wait_for "S3 endpoint http://127.0.0.1:$PORT" "$START_TIMEOUT" rgw.a \
  curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/"

log "creating S3 user $S3_UID"
if ! timeout 60 radosgw-admin -c "$CONF" -n client.admin user info --uid="$S3_UID" >/dev/null 2>&1; then
  timeout 60 radosgw-admin -c "$CONF" -n client.admin user create --uid="$S3_UID" \
    --display-name="LFS test user" --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" \
    >>"$DIR/log/radosgw-admin.out" 2>&1 || die "radosgw-admin user create failed"
fi
# an authenticated request must work before we say "ready"
# (curl 7.88 --aws-sigv4 needs x-amz-content-sha256 given explicitly for RGW)
auth_ok() { curl -fsS -o /dev/null --max-time 5 --aws-sigv4 "aws:amz:$REGION:s3" \
  --user "$ACCESS_KEY:$SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$PORT/"; }
wait_for "an authenticated ListBuckets" 30 rgw.a auth_ok

log "ready in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s (state: $DIR)"
cat <<EOF
S3_ENDPOINT=http://127.0.0.1:$PORT
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
AWS_REGION=$REGION
AWS_DEFAULT_REGION=$REGION
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$PORT
S3_STATE_DIR=$DIR
EOF
if [ -n "${TLS_PORT:-}" ]; then
  printf 'S3_TLS_ENDPOINT=https://127.0.0.1:%s\nS3_CA_FILE=%s\n' "$TLS_PORT" "$DIR/tls/cert.pem"
fi
