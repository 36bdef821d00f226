#!/usr/bin/env bash
# Starts the `rapidtls serve` HTTPS file server. Installs what is missing and
# builds first. Arguments go to `rapidtls serve` (default: the current folder
# at https://127.0.0.1:8443/ with a self-signed certificate; see --help).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
(cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target rapidtls_tool)
exec "$root/build/release/tool/rapidtls" serve "$@"
