#!/usr/bin/env bash
# The main job, end to end on this machine: creates a repository, pushes LFS files and a second version of
# one, clones it, checks out the old commit, and lists the readable store with its versions. By default the
# store is a local folder (file:///..., no S3 account needed); with --s3 it is a throw-away local S3 server
# (Ceph radosgw) with a versioned bucket. Everything runs in a temporary HOME.
#
#   usage: scripts/demo.sh [--s3] [--keep]
#     --s3     use the local S3 server instead of the folder store
#     --keep   leave the work directory (and print where)
#   LFS_S3_BIN=path/to/git-lfs-s3 skips the build.
# Needs bash, git, git-lfs 3 and the .NET SDK (or LFS_S3_BIN); on Debian/Ubuntu it installs git-lfs with apt-get,
# elsewhere (macOS: brew install git-lfs) it says what is missing. --s3 needs Linux (radosgw).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"
KEEP=0
S3=0
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    --s3) S3=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$S3" = 1 ]; then
  need_packages git git-lfs curl awscli
  start_s3_server
else
  need_packages git git-lfs
fi
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
bash "$ROOT/scripts/install.sh" --prefix "$DEMO/prefix" ${LFS_S3_BIN:+--binary "$LFS_S3_BIN"} | grep -v '^note:'
export PATH=$DEMO/prefix/bin:$PATH
s3() { aws --endpoint-url "$S3_ENDPOINT" "$@"; }
size_of() { wc -c <"$1" | tr -d ' '; } # GNU and BSD (macOS) alike

if [ "$S3" = 1 ]; then
  step "a versioned bucket"
  s3 s3api create-bucket --bucket acme-assets >/dev/null
  s3 s3api put-bucket-versioning --bucket acme-assets --versioning-configuration Status=Enabled
  STORE=(--bucket acme-assets --endpoint "$S3_ENDPOINT")
else
  step "a folder as the store (a shared drive works the same way)"
  mkdir -p "$DEMO/acme-assets"
  STORE=(--store "file://$DEMO/acme-assets")
fi

step "a repository set up with git lfs-s3 init"
git init -q --bare "$DEMO/origin.git"
git clone -q "$DEMO/origin.git" "$DEMO/my-repo" 2>/dev/null
cd "$DEMO/my-repo"
git lfs-s3 init "${STORE[@]}" --prefix my-repo
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

if [ "$S3" = 1 ]; then
  step "the bucket, browsable under the files' own paths"
  s3 s3 ls --recursive s3://acme-assets/
  echo
  s3 s3api list-object-versions --bucket acme-assets --prefix my-repo/documents/ \
    --query 'Versions[].[Key,VersionId,Size,IsLatest]' --output table
else
  step "the store folder, browsable under the files' own paths (latest versions)"
  (cd "$DEMO/acme-assets" && find my-repo -type f | sort | while read -r f; do printf '%10s  %s\n' "$(size_of "$f")" "$f"; done)
  step "its version history of lease.pdf"
  (cd "$DEMO/acme-assets/.lfs-s3-versions/my-repo/documents/contracts/lease.pdf" && for v in $(ls | grep -v '\.oid$' | sort -r); do
    printf '%s  %10s bytes  oid %s\n' "$v" "$(size_of "$v")" "$(cut -c1-12 "$v.oid")..."; done)
fi

step "a fresh clone, then the old commit, byte for byte"
git clone -q "$DEMO/origin.git" "$DEMO/other"
cd "$DEMO/other"
cmp documents/contracts/lease.pdf "$DEMO/my-repo/documents/contracts/lease.pdf" && echo "clone: lease.pdf is the new version"
git checkout -q HEAD~1
git -C "$DEMO/my-repo" show HEAD~1:documents/contracts/lease.pdf | git -C "$DEMO/my-repo" lfs smudge >"$DEMO/old-lease.pdf"
cmp documents/contracts/lease.pdf "$DEMO/old-lease.pdf" && echo "checkout HEAD~1: lease.pdf is the old version, read by its version id"

step "the mapping: branch lfs-s3 of the git remote (<first two hex digits of the OID>.tsv), written by each push; git status stays clean"
git -C "$DEMO/my-repo" status --short
for shard in $(git -C "$DEMO/origin.git" ls-tree --name-only lfs-s3 | grep '\.tsv$'); do
  echo "lfs-s3:$shard"; git -C "$DEMO/origin.git" show "lfs-s3:$shard" | grep -v '^#'
done
echo
echo "demo finished: push, edit, push, clone and checkout of the old commit all went through the $([ "$S3" = 1 ] && echo "S3 bucket" || echo "folder store")"
