#!/usr/bin/env bash
# Installs missing packages, builds rapidtls (debug with ASan+UBSan) and runs
# every test through CTest. Interop tests start their peers themselves on
# loopback and stop them when done.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# In CI: the tree is clang-formatted, the plain build a user runs first (no
# preset, warnings reported but not errors) still builds, and so does the
# clang preset.
if [ "${CI:-}" = true ]; then
  bash scripts/check_format.sh
  cmake -S . -B build/plain-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/plain-release -j2
  # clang 14 with warnings as errors (the clang preset): its warnings differ from g++'s.
  cmake --preset clang >/dev/null
  cmake --build --preset clang
fi

preset=${RAPIDTLS_TEST_PRESET:-dev}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j2 --timeout 300 --output-on-failure

# In CI, after the tests: every libFuzzer target for a short time from its
# committed corpus (fuzz/corpus/), 20 s each (about 3 minutes, plus the fuzz
# build); a crash fails CI.
if [ "${CI:-}" = true ]; then
  bash scripts/fuzz.sh "${RAPIDTLS_FUZZ_SECONDS:-20}"
fi
