#!/usr/bin/env bash
# Runs the libFuzzer targets, each for a fixed time from its committed corpus:
#   scripts/fuzz.sh [seconds-per-target] [target...]
# (default 30 s; targets without the fuzz_ prefix, default all). Builds the
# fuzz preset first (clang, libFuzzer, ASan+UBSan). Each target starts from a
# copy of fuzz/corpus/<target>/ (the committed corpus is never modified) and
# prints its executions, coverage (cov: edges, ft: features, from the last
# stats line) and exit status. A crash, leak, timeout or failed invariant
# fails the script, with the input that did it kept and its path printed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(messages server server12 client client12 records ssl sessions http)
fi

cmake --preset fuzz >/dev/null
# Only the targets asked for (not the tool, the drop-in library or the shared ones).
cmake --build --preset fuzz --target "${targets[@]/#/fuzz_}"

work=$(mktemp -d /tmp/rapidtls-fuzz.XXXXXX)
# UBSan findings abort (the preset compiles UBSan recoverable).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
failed=0
printf '%-10s %10s %8s %8s %s\n' target execs cov ft status
for t in "${targets[@]}"; do
  bin=build/fuzz/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "no such target: $t" >&2; exit 2; }
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  if [ -d "fuzz/corpus/$t" ]; then cp fuzz/corpus/"$t"/* "$work/$t/corpus/"; fi
  status=0
  # One process, no forks: -timeout flags a single input that runs 10 s.
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$work/$t/log" 2>&1 || status=$?
  stats=$(grep -E '^#[0-9]+.*cov:' "$work/$t/log" | tail -1 || true)
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$work/$t/log" | grep -oE '[0-9]+$' ||
    echo '?')
  cov=$(grep -oE 'cov: [0-9]+' <<<"$stats" | grep -oE '[0-9]+' || echo '?')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$stats" | grep -oE '[0-9]+' || echo '?')
  if [ "$status" -eq 0 ]; then
    printf '%-10s %10s %8s %8s %s\n' "$t" "$execs" "$cov" "$ft" ok
  else
    failed=1
    printf '%-10s %10s %8s %8s %s\n' "$t" "$execs" "$cov" "$ft" "FAILED (exit $status)"
    grep -E 'ERROR|check failed|SUMMARY|Test unit written' "$work/$t/log" | head -8 | sed 's/^/    /'
    for a in "$work/$t"/artifacts/*; do
      [ -e "$a" ] && echo "    input: $a (replay: $bin $a)"
    done
    echo "    log: $work/$t/log"
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target failed; its input and log are kept under $work" >&2
  exit 1
fi
rm -rf "$work"
