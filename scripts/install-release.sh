#!/bin/sh
# Installs git-lfs-s3 from a release archive (this script's folder: bin/, share/) for the current user. Needs
# only a POSIX shell, git and git-lfs 3 (no .NET). Idempotent; --uninstall undoes it.
#
#   usage: ./install.sh [--prefix DIR] [--uninstall]
#     --prefix DIR    the binary in DIR/lib/git-lfs-s3 with a link in DIR/bin, the manual page in
#                     DIR/share/man/man1, bash and zsh completion in DIR/share (default: ~/.local)
#     --uninstall     run `git lfs-s3 uninstall` and remove the installed files
#     --from DIR      install from this folder instead of the script's own (scripts/install.sh uses it)
set -eu
FROM=$(cd "$(dirname "$0")" && pwd)
PREFIX=${HOME:?HOME is not set}/.local
UNINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --from) FROM=${2:?--from needs a directory}; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
LIB=$PREFIX/lib/git-lfs-s3
LINK=$PREFIX/bin/git-lfs-s3
MAN=$PREFIX/share/man/man1/git-lfs-s3.1
DOC=$PREFIX/share/doc/git-lfs-s3
# where bash-completion (its per-user folder, by default ~/.local/share) and zsh (a site-functions folder) look
BASH_COMPLETION=$PREFIX/share/bash-completion/completions/git-lfs-s3
ZSH_COMPLETION=$PREFIX/share/zsh/site-functions/_git-lfs-s3

if [ "$UNINSTALL" = 1 ]; then
  if [ -x "$LIB/git-lfs-s3" ]; then "$LIB/git-lfs-s3" uninstall; fi
  rm -f "$LINK" "$MAN" "$BASH_COMPLETION" "$ZSH_COMPLETION"
  rm -rf "$LIB" "$DOC"
  echo "git-lfs-s3 removed from $PREFIX"
  exit 0
fi

command -v git >/dev/null 2>&1 || { echo "fatal: git is not installed (apt-get install git, brew install git)" >&2; exit 1; }
if ! lfs=$(git lfs version 2>/dev/null); then
  echo "fatal: git-lfs is not installed: apt-get install git-lfs, brew install git-lfs, or see https://git-lfs.com" >&2
  exit 1
fi
major=$(printf '%s\n' "$lfs" | sed -n 's|^git-lfs/\([0-9][0-9]*\)\..*|\1|p')
if [ -z "$major" ] || [ "$major" -lt 3 ]; then
  echo "fatal: $lfs is too old: git-lfs-s3 needs git-lfs 3.0 or later (standalone transfer agents)" >&2
  exit 1
fi
[ -x "$FROM/bin/git-lfs-s3" ] || { echo "fatal: $FROM/bin/git-lfs-s3 is missing: run this from an unpacked release archive" >&2; exit 1; }

mkdir -p "$LIB" "$PREFIX/bin"
# copy to a temp name and rename, so a running agent is never overwritten in place
for f in "$FROM"/bin/*; do
  name=$(basename "$f")
  cp "$f" "$LIB/.$name.new"
  mv -f "$LIB/.$name.new" "$LIB/$name"
done
ln -sfn "$LIB/git-lfs-s3" "$LINK"
# the manual page comes from the binary's own help texts, so it always matches the installed version
"$LIB/git-lfs-s3" man --out "$PREFIX/share/man/man1" --html "$DOC"
[ -f "$FROM/README.md" ] && cp "$FROM/README.md" "$DOC/README.md"
# shell completion, generated from the installed binary's own verbs and options
mkdir -p "$(dirname "$BASH_COMPLETION")" "$(dirname "$ZSH_COMPLETION")"
"$LIB/git-lfs-s3" completion bash > "$BASH_COMPLETION"
"$LIB/git-lfs-s3" completion zsh > "$ZSH_COMPLETION"
"$LIB/git-lfs-s3" install

case ":$PATH:" in
  *":$PREFIX/bin:"*) ;;
  *) echo "note: $PREFIX/bin is not on your PATH; add it (e.g. in ~/.profile: export PATH=\"$PREFIX/bin:\$PATH\") so \`git lfs-s3\` works" ;;
esac
case ":${MANPATH:-}:" in
  *":$PREFIX/share/man:"*) ;;
  *) [ -n "${MANPATH:-}" ] && echo "note: add $PREFIX/share/man to MANPATH so \`git lfs-s3 --help\` finds the manual page" ;;
esac
echo "done: $("$LIB/git-lfs-s3" version). Set up a repository with: git lfs-s3 init --bucket <bucket> [--prefix <prefix>]"
