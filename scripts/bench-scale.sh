#!/usr/bin/env bash
# Scale benchmark (issue 11): N small LFS files, a mapping of M lines; prints seconds, agent peak RSS and S3
# requests per step. Never fails on a number. About 15 minutes at the defaults on a 2-core machine.
#
#   usage: scripts/bench-scale.sh [--files N (20000)] [--folders F (200)] [--mapping M (1000000)]
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
step "running the scale benchmark"
python3 "$ROOT/scripts/bench_scale.py" "$@"
