#!/usr/bin/env bash
# Runs every test from a fresh clone on a fresh Debian machine: installs what is missing (git-lfs, the
# Ceph radosgw S3 server), starts a throw-away local S3 server, publishes the native-AOT binary, runs the
# unit and integration tests, and ends with one line "N passed, N failed".
#
#   usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Name~Push]
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/common.sh
. scripts/common.sh

need_packages git git-lfs curl man-db
RESULTS=$ROOT/artifacts/test-results
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

start_s3_server
trap stop_s3_server EXIT

step "publishing the native-AOT binary"
if ! publish_binary; then
  echo "0 passed, 1 failed"
  exit 1
fi
export LFS_S3_BIN=$ROOT/artifacts/bin/git-lfs-s3
export AWS_EC2_METADATA_DISABLED=true

passed=0
failed=0
for project in tests/LfsS3Agent.Tests tests/LfsS3Agent.IntegrationTests; do
  name=$(basename "$project")
  step "dotnet test $name"
  dotnet test "$project" -c Release --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$RESULTS" "$@" | grep -vE '^\s*$' | grep -vE '^\s+Passed ' || true
  trx=$RESULTS/$name.trx
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
    f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
    t=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")
    # a test that neither passed nor failed (aborted run) counts as failed
    passed=$((passed + p))
    failed=$((failed + f + t - p - f))
  else
    echo "no results from $name: it did not build or crashed" >&2
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
