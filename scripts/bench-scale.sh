#!/usr/bin/env bash
# Scale benchmark (issue 11): N small LFS files, a mapping of M lines; prints seconds, agent peak RSS and S3
# requests per step. Never fails on a number. About 15 minutes at the defaults on a 2-core machine.
#
#   usage: scripts/bench-scale.sh [--files N (20000)] [--folders F (200)] [--mapping M (1000000)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"

run_benchmark $((16 << 30)) bench_scale.py "$@"
