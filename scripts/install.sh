#!/usr/bin/env bash
# Installs git-lfs-s3 for the current user: builds the native binary from source with the .NET SDK (or takes
# a prebuilt one), puts it on PATH, and runs `git lfs-s3 install` so git-lfs uses it. Idempotent.
#
#   usage: scripts/install.sh [--prefix DIR] [--binary PATH] [--uninstall]
#     --prefix DIR    install into DIR/lib/git-lfs-s3 with a link in DIR/bin (default: ~/.local)
#     --binary PATH   use this prebuilt git-lfs-s3 (its folder must hold libe_sqlite3.so too)
#     --uninstall     run `git lfs-s3 uninstall` and remove the installed files
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=$HOME/.local
BINARY=
UNINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
    --binary=*) BINARY=${1#*=}; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
LIB=$PREFIX/lib/git-lfs-s3
LINK=$PREFIX/bin/git-lfs-s3

if [ "$UNINSTALL" = 1 ]; then
  if [ -x "$LIB/git-lfs-s3" ]; then "$LIB/git-lfs-s3" uninstall; fi
  rm -f "$LINK"
  rm -rf "$LIB"
  echo "git-lfs-s3 removed from $PREFIX"
  exit 0
fi

command -v git >/dev/null 2>&1 || { echo "fatal: git is not installed (apt-get install git, brew install git)" >&2; exit 1; }
if ! lfs=$(git lfs version 2>/dev/null); then
  echo "fatal: git-lfs is not installed: apt-get install git-lfs, brew install git-lfs, or see https://git-lfs.com" >&2
  exit 1
fi
major=$(sed -nE 's|^git-lfs/([0-9]+)\..*|\1|p' <<<"$lfs")
if [ -z "$major" ] || [ "$major" -lt 3 ]; then
  echo "fatal: $lfs is too old: git-lfs-s3 needs git-lfs 3.0 or later (standalone transfer agents)" >&2
  exit 1
fi

if [ -z "$BINARY" ]; then
  command -v dotnet >/dev/null 2>&1 || { echo "fatal: the .NET SDK is needed to build from source (https://dot.net), or pass --binary PATH" >&2; exit 1; }
  echo "building the native binary (dotnet publish, native AOT)..." >&2
  dotnet publish "$ROOT/src/LfsS3Agent" -c Release -o "$ROOT/artifacts/bin" -nologo -v quiet >&2
  BINARY=$ROOT/artifacts/bin/git-lfs-s3
fi
[ -x "$BINARY" ] || { echo "fatal: $BINARY is not an executable" >&2; exit 1; }
SRC=$(cd "$(dirname "$BINARY")" && pwd)

mkdir -p "$LIB" "$PREFIX/bin"
# copy to a temp name and rename, so a running agent is never overwritten in place
for f in git-lfs-s3 libe_sqlite3.so libe_sqlite3.dylib; do
  [ -f "$SRC/$f" ] || continue
  cp "$SRC/$f" "$LIB/.$f.new"
  mv -f "$LIB/.$f.new" "$LIB/$f"
done
ln -sfn "$LIB/git-lfs-s3" "$LINK"
"$LIB/git-lfs-s3" install

case ":$PATH:" in
  *":$PREFIX/bin:"*) ;;
  *) echo "note: $PREFIX/bin is not on your PATH; add it (e.g. in ~/.profile: export PATH=\"$PREFIX/bin:\$PATH\") so \`git lfs-s3\` works" ;;
esac
echo "done: $("$LIB/git-lfs-s3" version). Set up a repository with: git lfs-s3 init --bucket <bucket> [--prefix <prefix>]"
