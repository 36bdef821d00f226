#!/usr/bin/env bash
# Fails listing every tracked C/C++ file that clang-format (the repo's
# .clang-format) would change. `clang-format -i FILE` fixes one.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.c')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check_format: not clang-formatted (${#bad[@]}): ${bad[*]}" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
