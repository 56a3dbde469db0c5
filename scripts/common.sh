# Shared by the scripts in this folder; sourced, not run.

step() { printf '\n== %s\n' "$*" >&2; }

# need_packages PKG...: installs the Debian packages whose command is missing (git-lfs -> git-lfs, awscli -> aws).
need_packages() {
  local missing=() pkg cmd
  for pkg in "$@"; do
    case "$pkg" in
      awscli) cmd=aws ;;
      man-db) cmd=man ;;
      *) cmd=$pkg ;;
    esac
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "fatal: missing ${missing[*]}: install them first (macOS: brew install ${missing[*]}; elsewhere your package manager)" >&2
    return 1
  fi
  step "installing ${missing[*]} with apt-get"
  local sudo=
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 &&
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_s3_server: a throw-away Ceph radosgw on a free local port; exports S3_ENDPOINT, AWS_* and S3_STATE_DIR
# (with S3_TLS=1 also HTTPS on the port after the monitor's: S3_TLS_ENDPOINT and S3_CA_FILE).
start_s3_server() {
  local port=${S3_PORT:-7480}
  while ! port_free "$port" || ! port_free $((port + 1)) || ! port_free $((port + 2)); do port=$((port + 10)); done
  S3_STATE_DIR=$(mktemp -d /tmp/lfs-s3-server.XXXXXX)
  step "starting the local S3 server (Ceph radosgw) on 127.0.0.1:$port"
  local lines
  if ! lines=$(TLS_PORT=${S3_TLS:+$((port + 2))} "$ROOT/scripts/s3-start.sh" "$S3_STATE_DIR" "$port"); then
    echo "could not start the local S3 server (logs in $S3_STATE_DIR/log)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  set -a
  eval "$lines"
  set +a
  STARTED_S3_DIR=$S3_STATE_DIR
}

# stop_s3_server: stops only the server this script started (never one named by an inherited S3_STATE_DIR).
stop_s3_server() {
  [ -n "${STARTED_S3_DIR:-}" ] && "$ROOT/scripts/s3-stop.sh" "$STARTED_S3_DIR" >/dev/null 2>&1 || true
}

# publish_binary: the native-AOT git-lfs-s3 (and the SQLite library it loads) into artifacts/bin.
publish_binary() {
  dotnet publish "$ROOT/src/LfsS3Agent" -c Release -o "$ROOT/artifacts/bin" -nologo -v quiet >&2
}

# run_benchmark STORE_BYTES SCRIPT.py [ARGS...]: a Python benchmark of this folder against a throw-away radosgw on
# bluestore (so GBs fit) and the freshly published binary; the server stops when the calling script exits.
run_benchmark() {
  local bytes=$1 script=$2
  shift 2
  need_packages git git-lfs curl awscli python3
  export OSD_BACKEND=bluestore STORE_BYTES=$bytes
  start_s3_server
  trap stop_s3_server EXIT
  step "publishing the native-AOT binary"
  publish_binary
  export LFS_S3_BIN=$ROOT/artifacts/bin/git-lfs-s3
  step "running $script"
  python3 "$ROOT/scripts/$script" "$@"
}
