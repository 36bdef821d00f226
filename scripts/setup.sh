#!/usr/bin/env bash
# Installs what the build and the tests need (Debian packages only), if missing.
# Runs as root on a fresh machine; safe to run again. With package names as
# arguments it installs only those (scripts/ktls_vm.sh asks for its own).
set -euo pipefail

packages=(
  build-essential cmake ninja-build g++ clang clang-format ccache mold pkg-config
  libssl-dev openssl libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  gnutls-bin tshark curl python3 iproute2 libhttp-parser-dev wrk chromium
  # the unmodified programs of the drop-in tests (ctest -L dropin)
  binutils socat postgresql mariadb-server mariadb-client libmariadb3
  haproxy stunnel4 apache2 nginx libnginx-mod-stream lighttpd lighttpd-mod-openssl
  # the kernel-TLS guest (scripts/ktls_vm.sh, ctest -L ktls)
  qemu-system-x86 busybox-static cpio kmod
)
if [ $# -gt 0 ]; then
  packages=("$@")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Daemons (PostgreSQL, MariaDB) must not start as services: the tests start
  # their own, on loopback, in the foreground. policy-rc.d forbids it during
  # the install, unless the machine already has its own.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
