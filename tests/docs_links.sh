#!/usr/bin/env bash
# Every relative Markdown link in the repository's documents, `[text](path)` or
# `[text](path#anchor)`, names a file or folder that exists (relative to the
# document), and so does every document named in code style (`docs/ktls.md`,
# `../x/NOTES.md`: relative to the document or to the repository's root),
# inside the repository: a link out of it would depend on where it is checked out.
# Links with a scheme (https:, mailto:) and bare anchors are not checked. Prints each broken link and exits 1 if there is any; no network.
#
#   tests/docs_links.sh [REPO_ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
broken=0
checked=0
root_real=$(realpath "$root")
inside() {  # inside PATH: PATH exists and lies within the repository
  local p
  p=$(realpath -m "$1")
  [[ -e $p && ($p == "$root_real" || $p == "$root_real"/*) ]]
}
while IFS= read -r doc; do
  dir=$(dirname "$doc")
  while IFS=: read -r line target; do
    [[ -z $target ]] && continue
    target=${target%%#*}
    [[ -z $target || $target =~ ^[a-zA-Z][a-zA-Z0-9+.-]*: ]] && continue
    checked=$((checked + 1))
    if ! inside "$dir/$target"; then
      echo "FAIL: $doc:$line: link to $target, which does not exist inside the repository"
      broken=$((broken + 1))
    fi
  done < <(grep -noE '\]\([^) ]+\)' "$doc" | sed -E 's/^([0-9]+):\]\((.*)\)$/\1:\2/')
  # shellcheck disable=SC2016 # the backticks are Markdown's
  while IFS=: read -r line target; do
    checked=$((checked + 1))
    if ! inside "$dir/$target" && ! inside "$target"; then
      echo "FAIL: $doc:$line: names $target, which does not exist inside the repository"
      broken=$((broken + 1))
    fi
  done < <(grep -noE '`[A-Za-z0-9_./-]+\.md`' "$doc" | sed -E 's/^([0-9]+):`(.*)`$/\1:\2/')
done < <(find . -path ./build -prune -o -path ./.git -prune -o -path ./fuzz/corpus -prune -o \
  -name '*.md' -print | sort)
if ((broken > 0)); then
  echo "$broken broken link(s) of $checked"
  exit 1
fi
echo "OK: $checked relative links resolve"
