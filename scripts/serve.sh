#!/usr/bin/env bash
# Starts the `rapidtls serve` HTTPS file server (issue 4). Installs what is
# missing and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
if [ ! -x build/release/tool/rapidtls ]; then
  echo "serve: the rapidtls CLI is not built yet (issue 4); the engine and its tests are." >&2
  exit 1
fi
exec build/release/tool/rapidtls serve "$@"
