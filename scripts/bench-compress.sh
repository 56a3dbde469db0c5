#!/usr/bin/env bash
# Compression benchmark (issue 13): text-like files pushed and cloned with lfs-s3.compress off, by pattern and auto;
# prints seconds, stored bytes and agent peak RSS. Never fails on a number. A few minutes at the defaults.
#
#   usage: scripts/bench-compress.sh [--files N (4)] [--mib M (64)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"

run_benchmark $((16 << 30)) bench_compress.py "$@"
