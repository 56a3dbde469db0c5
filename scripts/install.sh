#!/usr/bin/env bash
# Installs git-lfs-s3 from source for the current user: builds the native binary with the .NET SDK (or takes a
# prebuilt one) and installs it with the release archive's installer (scripts/install-release.sh): binary on
# PATH, manual page, `git lfs-s3 install`. Idempotent. Without the .NET SDK, use a release archive instead.
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
if [ "$UNINSTALL" = 1 ]; then
  exec sh "$ROOT/scripts/install-release.sh" --prefix "$PREFIX" --uninstall
fi

if [ -z "$BINARY" ]; then
  command -v dotnet >/dev/null 2>&1 || { echo "fatal: the .NET SDK is needed to build from source (https://dot.net), or pass --binary PATH, or install a release archive" >&2; exit 1; }
  echo "building the native binary (dotnet publish, native AOT)..." >&2
  dotnet publish "$ROOT/src/LfsS3Agent" -c Release -o "$ROOT/artifacts/bin" -nologo -v quiet >&2
  BINARY=$ROOT/artifacts/bin/git-lfs-s3
fi
[ -x "$BINARY" ] || { echo "fatal: $BINARY is not an executable" >&2; exit 1; }
SRC=$(cd "$(dirname "$BINARY")" && pwd)

# The same layout as a release archive, installed by the same installer.
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/bin"
for f in git-lfs-s3 libe_sqlite3.so libe_sqlite3.dylib; do
  [ -f "$SRC/$f" ] && cp "$SRC/$f" "$STAGE/bin/$f"
done
cp "$ROOT/README.md" "$STAGE/README.md"
cp "$ROOT/LICENSE" "$STAGE/LICENSE"
sh "$ROOT/scripts/install-release.sh" --prefix "$PREFIX" --from "$STAGE"
