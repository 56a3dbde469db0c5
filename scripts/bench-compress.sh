#!/usr/bin/env bash
# Compression benchmark (issue 13): text-like files pushed and cloned with lfs-s3.compress off, by pattern and auto;
# prints seconds, stored bytes and agent peak RSS. Never fails on a number. A few minutes at the defaults.
#
#   usage: scripts/bench-compress.sh [--files N (4)] [--mib M (64)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"

need_packages git git-lfs curl awscli python3
export OSD_BACKEND=bluestore STORE_BYTES=$((16 << 30))
start_s3_server
trap stop_s3_server EXIT
step "publishing the native-AOT binary"
publish_binary
export LFS_S3_BIN=$ROOT/artifacts/bin/git-lfs-s3
step "running the compression benchmark"
python3 "$ROOT/scripts/bench_compress.py" "$@"
