#!/usr/bin/env bash
# Latency benchmark (issue 22): git-lfs-s3 beside `aws s3 cp --recursive` as seen from 0, 20 and 50 ms away from
# the bucket (a delay proxy in front of a throw-away radosgw on bluestore); prints a table of seconds, ratios,
# S3 requests per object and the agents' memory, every download compared byte for byte. Never fails on a number.
# About 10 minutes on a 2-core machine (--quick: about 1). --huge: one 6 GiB file pushed and cloned, with the
# agent's peak memory (needs about 30 GB of free disk).
#
#   usage: scripts/bench-latency.sh [--quick] [--rtt 0,20,50] [--runs N] [--only W1,BIG] [--transfers N] [--huge]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"

bytes=$((16 << 30))
case " $* " in *" --huge "*) bytes=$((40 << 30)) ;; esac
run_benchmark "$bytes" bench_latency.py "$@"
