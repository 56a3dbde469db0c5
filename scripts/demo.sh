#!/usr/bin/env bash
# The main job, end to end on this machine: starts a throw-away local S3 server (Ceph radosgw), makes a
# versioned bucket, creates a repository, pushes LFS files and a second version of one, clones it, checks
# out the old commit, and lists the readable bucket with its versions. Everything runs in a temporary HOME.
#
#   usage: scripts/demo.sh [--keep]     --keep leaves the work directory (and prints where)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1

need_packages git git-lfs curl awscli
start_s3_server
DEMO=$(mktemp -d /tmp/lfs-s3-demo.XXXXXX)
cleanup() {
  stop_s3_server
  if [ "$KEEP" = 1 ]; then echo "work directory kept: $DEMO"; else rm -rf "$DEMO"; fi
}
trap cleanup EXIT

step "building git-lfs-s3 (native AOT) and installing it into a temporary HOME"
export HOME=$DEMO/home GIT_CONFIG_NOSYSTEM=1 AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME"
git config --global user.name "Demo" && git config --global user.email demo@example.com
git config --global init.defaultBranch main && git config --global advice.detachedHead false
bash "$ROOT/scripts/install.sh" --prefix "$DEMO/prefix" | grep -v '^note:'
export PATH=$DEMO/prefix/bin:$PATH
s3() { aws --endpoint-url "$S3_ENDPOINT" "$@"; }

step "a versioned bucket"
s3 s3api create-bucket --bucket acme-assets >/dev/null
s3 s3api put-bucket-versioning --bucket acme-assets --versioning-configuration Status=Enabled

step "a repository set up with git lfs-s3 init"
git init -q --bare "$DEMO/origin.git"
git clone -q "$DEMO/origin.git" "$DEMO/my-repo" 2>/dev/null
cd "$DEMO/my-repo"
git lfs-s3 init --bucket acme-assets --prefix my-repo --endpoint "$S3_ENDPOINT"
git lfs track "*.pdf" "*.psd" "*.mp4" >/dev/null
mkdir -p documents/contracts "design/logo drafts" video
head -c 300000 /dev/urandom >documents/contracts/lease.pdf
head -c 120000 /dev/urandom >"design/logo drafts/logo v1.psd"
head -c 2000000 /dev/urandom >video/intro.mp4
git add . && git commit -qm "Contracts, logo and intro video"
git push -q origin main
echo "pushed 3 files"

step "edit lease.pdf and push again: a second version of the same key"
head -c 310000 /dev/urandom >documents/contracts/lease.pdf
git commit -qam "Lease, second draft"
git push -q origin main
echo "pushed the new lease.pdf"

step "the bucket, browsable under the files' own paths"
s3 s3 ls --recursive s3://acme-assets/
echo
s3 s3api list-object-versions --bucket acme-assets --prefix my-repo/documents/ \
  --query 'Versions[].[Key,VersionId,Size,IsLatest]' --output table

step "a fresh clone, then the old commit, byte for byte"
git clone -q "$DEMO/origin.git" "$DEMO/other"
cd "$DEMO/other"
cmp documents/contracts/lease.pdf "$DEMO/my-repo/documents/contracts/lease.pdf" && echo "clone: lease.pdf is the new version"
git checkout -q HEAD~1
git -C "$DEMO/my-repo" show HEAD~1:documents/contracts/lease.pdf | git -C "$DEMO/my-repo" lfs smudge >"$DEMO/old-lease.pdf"
cmp documents/contracts/lease.pdf "$DEMO/old-lease.pdf" && echo "checkout HEAD~1: lease.pdf is the old version, from its S3 version id"

step "the committed mapping (.lfs-s3/mapping.tsv)"
cat "$DEMO/my-repo/.lfs-s3/mapping.tsv"
echo
echo "demo finished: push, edit, push, clone and checkout of the old commit all went through S3"
