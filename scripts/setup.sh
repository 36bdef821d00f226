#!/usr/bin/env bash
# Installs what the build and the tests need (Debian packages only), if missing.
# Runs as root on a fresh machine; safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build g++ clang clang-format ccache mold pkg-config
  libssl-dev openssl libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  gnutls-bin tshark curl python3 iproute2 libhttp-parser-dev wrk chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
