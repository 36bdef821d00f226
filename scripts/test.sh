#!/usr/bin/env bash
# Installs missing packages, builds rapidtls (debug with ASan+UBSan) and runs
# every test through CTest. Interop tests start their peers themselves on
# loopback and stop them when done.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

preset=${RAPIDTLS_TEST_PRESET:-dev}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j2 --timeout 300
