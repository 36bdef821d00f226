#!/usr/bin/env bash
# Every write-path requirement id (W1, W2, ...) cited in tests/ or src/ is
# defined in docs/write-semantics.md, every test named for an id is listed
# under that id there, and every test listed there exists.
#
#   tests/docs_ids.sh [REPO_ROOT]
#
# Prints each problem and exits 1 if there is any; no network, no build.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
doc=$root/docs/write-semantics.md
[[ -f $doc ]] || { echo "FAIL: $doc is missing"; exit 1; }
cd "$root"

problems=0
problem() {
  echo "FAIL: $*"
  problems=$((problems + 1))
}

# Ids the document defines: the rows of its table, "| W12 | ...".
mapfile -t defined < <(grep -oE '^\| W[0-9]+ \|' "$doc" | grep -oE 'W[0-9]+' | sort -u)
((${#defined[@]} > 0)) || problem "no requirement rows ('| Wn | ...') in $doc"
is_defined() {
  local id
  for id in "${defined[@]}"; do [[ $id == "$1" ]] && return 0; done
  return 1
}

# Ids cited anywhere in the tests and the sources: a W and digits, not inside
# a longer word or number ("W13_Moving..." and "W12/W13" count, "EW1" does not).
cited=$(grep -rnoE '(^|[^A-Za-z0-9])W[0-9]+' tests src | sed -E 's/:[^:]*(W[0-9]+)$/: \1/')
while IFS= read -r line; do
  [[ -z $line ]] && continue
  id=${line##* }
  is_defined "$id" || problem "${line% *} cites $id, which $doc does not define"
done <<<"$cited"

# The document's list for one id: the lines after "### Wn" up to the next heading.
section() { awk -v h="### $1" '$0 == h {on = 1; next} /^#/ {on = 0} on' "$doc"; }

# Tests named for ids: TEST(Suite, W4_W8_Name) is listed under W4 and under W8.
all_tests=$(grep -rhoE --include='*.cc' --include='*.h' --include='*.c' \
  'TEST(_F|_P)?\([A-Za-z0-9_]+, *[A-Za-z0-9_]+\)' tests |
  sed -E 's/TEST(_F|_P)?\(([A-Za-z0-9_]+), *([A-Za-z0-9_]+)\)/\2.\3/' | sort -u)
while IFS= read -r t; do
  [[ -z $t ]] && continue
  name=${t#*.}
  for id in $(grep -oE '(^|_)W[0-9]+' <<<"$name" | tr -d _); do
    section "$id" | grep -qF "\`$t\`" || problem "test $t is named for $id but not listed under '### $id' in $doc"
  done
done < <(grep -E '\.(.*_)?W[0-9]+' <<<"$all_tests")

# Tests the document lists exist.
# shellcheck disable=SC2016 # the backticks are Markdown's
while IFS= read -r t; do
  grep -qxF "$t" <<<"$all_tests" || problem "$doc lists $t, which no test under tests/ defines"
done < <(awk '/^### W[0-9]+$/ {on = 1; next} /^#/ {on = 0} on' "$doc" |
  grep -oE '`[A-Za-z0-9_]+\.[A-Za-z0-9_]+`' | tr -d '`' | grep -vE '\.(cc|h|c|sh|md|txt)$' | sort -u)

if ((problems > 0)); then
  echo "$problems problem(s)"
  exit 1
fi
echo "OK: ${#defined[@]} ids defined; every id cited in tests/ and src/ and every test named for one resolves in docs/write-semantics.md"
