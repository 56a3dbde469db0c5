#!/usr/bin/env bash
# Import benchmark (issue 24): adoption of a prefix of N files written outside git, against a clone of the same
# files; prints seconds, objects/s, peak RSS and the versions the following push wrote. Never fails on a number.
#
#   usage: scripts/bench-import.sh [--files N (20000)] [--folders F (200)] [--size BYTES (4096)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"

run_benchmark $((16 << 30)) bench_import.py "$@"
