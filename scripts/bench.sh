#!/usr/bin/env bash
# Benchmarks git-lfs-s3 against a throw-away local S3 server (Ceph radosgw on bluestore, so GBs fit), side by
# side with raw `aws s3 cp` at the same concurrency and git-lfs's own local clone, and prints a table of
# medians. Never fails on a number. About 10-15 minutes on a 2-core machine (--quick: about 2).
#
#   usage: scripts/bench.sh [--quick] [--runs N] [--only W1,W2,startup,discovery]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"

run_benchmark $((64 << 30)) bench.py "$@"
