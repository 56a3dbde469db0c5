#!/usr/bin/env bash
# Builds the release archive for one runtime: artifacts/git-lfs-s3-<version>-<rid>.tar.gz (.zip for win-*),
# holding the native binary and its SQLite library (bin/), the manual page (share/), the README, the LICENSE and an
# installer that needs only a POSIX shell, git and git-lfs. Native AOT builds for the machine it runs on, so
# each runtime id is built on its own kind of machine (see .github/workflows/release.yml).
#
#   usage: scripts/release.sh [--rid RID] [--from DIR] [--out DIR]
#     --rid RID    linux-x64 (default: this machine's), linux-arm64, osx-arm64, osx-x64, win-x64
#     --from DIR   package an already published binary from DIR instead of publishing
#     --out DIR    write the archive (and its staging folder) into DIR instead of artifacts/
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RID=
FROM=
OUT=$ROOT/artifacts
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) RID=${2:?--rid needs a runtime id}; shift 2 ;;
    --from) FROM=${2:?--from needs a directory}; shift 2 ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$RID" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) RID=linux-x64 ;; Linux-aarch64) RID=linux-arm64 ;; Darwin-arm64) RID=osx-arm64 ;; Darwin-x86_64) RID=osx-x64 ;;
    MINGW*|MSYS*|CYGWIN*) RID=win-x64 ;;
    *) echo "fatal: cannot tell this machine's runtime id; pass --rid" >&2; exit 1 ;;
  esac
fi
VERSION=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' "$ROOT/src/LfsS3Agent/LfsS3Agent.csproj")
NAME=git-lfs-s3-$VERSION-$RID
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$OUT/release/$NAME
rm -rf "$STAGE"
mkdir -p "$STAGE/bin"
if [ -z "$FROM" ]; then
  FROM=$OUT/release/publish-$RID
  dotnet publish "$ROOT/src/LfsS3Agent" -c Release -r "$RID" -o "$FROM" -nologo -v quiet >&2
fi
EXE=git-lfs-s3
case "$RID" in win-*) EXE=git-lfs-s3.exe ;; esac
for f in "$EXE" libe_sqlite3.so libe_sqlite3.dylib e_sqlite3.dll; do
  [ -f "$FROM/$f" ] && cp "$FROM/$f" "$STAGE/bin/"
done
[ -x "$STAGE/bin/$EXE" ] || { echo "fatal: no $EXE in $FROM" >&2; exit 1; }
# The manual page is written by the binary itself from its help texts (it runs on the machine that built it).
"$STAGE/bin/$EXE" man --out "$STAGE/share/man/man1" --html "$STAGE/share/doc/git-lfs-s3"
cp "$ROOT/README.md" "$STAGE/"
cp "$ROOT/LICENSE" "$STAGE/"
cp "$ROOT/scripts/install-release.sh" "$STAGE/install.sh"
[ -f "$ROOT/scripts/install.ps1" ] && cp "$ROOT/scripts/install.ps1" "$STAGE/install.ps1"
cd "$OUT/release"
case "$RID" in
  win-*) rm -f "$OUT/$NAME.zip"; (command -v zip >/dev/null && zip -qr "$OUT/$NAME.zip" "$NAME") || powershell -NoProfile -Command "Compress-Archive -Path '$NAME' -DestinationPath '$OUT/$NAME.zip' -Force"; echo "$OUT/$NAME.zip" ;;
  *) tar -czf "$OUT/$NAME.tar.gz" "$NAME"; echo "$OUT/$NAME.tar.gz" ;;
esac
