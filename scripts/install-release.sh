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

# `git help -w lfs-s3` (and `git lfs-s3 --help` with help.format=web) opens <dir>/git-lfs-s3.html, where <dir> is
# help.htmlPath or else `git --html-path`, and only if <dir>/git.html exists. The page is copied there when that
# folder is writable; when git's own HTML pages are not installed at all (so `git help -w` works for no page) and
# help.htmlPath is unset, help.htmlPath is pointed at $DOC, which gets a git.html index. Otherwise (git's pages in
# a folder only root can write) nothing of git's is changed and the installer says where the page is.
html_help_undo() {
  if [ -f "$DOC/.html-copy" ]; then rm -f "$(cat "$DOC/.html-copy")"; fi
  if [ "$(git config --global help.htmlpath 2>/dev/null || true)" = "$DOC" ]; then
    git config --global --unset help.htmlpath
    [ -n "$(git config --global --get-regexp '^help\.' 2>/dev/null || true)" ] || git config --global --remove-section help 2>/dev/null || true
  fi
  rm -f "$DOC/.html-copy" "$DOC/git.html"
}
html_help_install() {
  html_help_undo
  dir=$(git config help.htmlpath 2>/dev/null || git --html-path)
  if [ -f "$dir/git.html" ] && [ -w "$dir" ]; then
    cp "$DOC/git-lfs-s3.html" "$dir/git-lfs-s3.html" && printf '%s\n' "$dir/git-lfs-s3.html" > "$DOC/.html-copy"
  elif [ ! -f "$dir/git.html" ] && [ -z "$(git config help.htmlpath 2>/dev/null || true)" ]; then
    cat > "$DOC/git.html" <<HTML
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>git</title></head><body>
<p>git's own HTML pages are not installed on this machine (see <a href="https://git-scm.com/docs">git-scm.com/docs</a>).
git-lfs-s3's installer set help.htmlPath to this folder so that <code>git help -w lfs-s3</code> finds
<a href="git-lfs-s3.html">git-lfs-s3.html</a>; <code>install.sh --uninstall</code> (or installing it again after git's
HTML pages arrive) unsets it.</p>
</body></html>
HTML
    git config --global help.htmlpath "$DOC"
  else
    echo "note: \`git help -w lfs-s3\` looks in $dir, which only root can write: the manual's HTML page is $DOC/git-lfs-s3.html (sudo cp it there to make \`git help -w\` find it)"
  fi
}

if [ "$UNINSTALL" = 1 ]; then
  if [ -x "$LIB/git-lfs-s3" ]; then "$LIB/git-lfs-s3" uninstall; fi
  html_help_undo
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
[ -f "$FROM/LICENSE" ] && cp "$FROM/LICENSE" "$DOC/LICENSE"
html_help_install
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
command -v man >/dev/null 2>&1 || echo "note: there is no \`man\` here, so \`git lfs-s3 --help\` cannot show the manual page: open $DOC/git-lfs-s3.html, or run \`git help -w lfs-s3\`"
echo "done: $("$LIB/git-lfs-s3" version). Set up a repository with: git lfs-s3 init --bucket <bucket> [--prefix <prefix>]"
