#!/usr/bin/env bash
# Peer benchmark (issue 22): W2 (2 files of 1 GiB) pushed through git-lfs-s3 beside `git annex copy --to` an S3
# special remote (one PUT per file) and `aws s3 cp --recursive`, over plain HTTP and over HTTPS (radosgw with a
# self-signed certificate), against a throw-away radosgw on bluestore. Medians; never fails on a number. About 10
# minutes on a 2-core machine (--quick: 2 files of 128 MiB, one run).
#
#   usage: scripts/bench-peer.sh [--quick] [--runs N]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"

need_packages git-annex openssl
export S3_TLS=1
run_benchmark $((40 << 30)) bench_peer.py "$@"
