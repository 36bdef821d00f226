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
