#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then builds a consumer
# twice: with pkg-config and with find_package(rapidtls). Both must run.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR EXTRA_FLAGS
set -euo pipefail
build=$1 src=$2 flags=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig"
# shellcheck disable=SC2046,SC2086
c++ $flags "$src/consumer.cc" -o "$tmp/with-pkgconfig" $(pkg-config --cflags --libs rapidtls) \
  -Wl,-rpath,"$tmp/prefix/lib"
"$tmp/with-pkgconfig"
mkdir "$tmp/cmake"
cp "$src/consumer.cc" "$tmp/cmake/"
cp "$src/CMakeLists.txt.in" "$tmp/cmake/CMakeLists.txt"
cmake -S "$tmp/cmake" -B "$tmp/cmake/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$tmp/cmake/build" >/dev/null
"$tmp/cmake/build/consumer"
echo "install check: pkg-config and find_package consumers both ran"

# A program written for OpenSSL's libssl, built against rapidtls instead:
# cc app.c $(pkg-config --cflags --libs rapidtls-ssl)
# shellcheck disable=SC2046,SC2086
cc $flags "$src/../programs/echo_client.c" -o "$tmp/echo_client" \
  $(pkg-config --cflags --libs rapidtls-ssl) -Wl,-rpath,"$tmp/prefix/lib"
# (ldd's output is taken whole first: `ldd | grep -q` under pipefail fails
# whenever grep exits before ldd has written everything.)
libs=$(ldd "$tmp/echo_client")
if grep -q 'libssl\.so' <<<"$libs"; then
  echo "install check: echo_client linked libssl, not rapidtls" >&2
  exit 1
fi
grep -q 'librapidtls-ssl\.so' <<<"$libs" || { echo "install check: librapidtls-ssl not linked" >&2; exit 1; }
echo "install check: an OpenSSL program built with pkg-config rapidtls-ssl links rapidtls, not libssl"
