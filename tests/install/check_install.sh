#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then builds a consumer
# twice: with pkg-config and with find_package(rapidtls). Both must run.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR EXTRA_FLAGS
set -euo pipefail
build=$1 src=$2 flags=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
# Only the public headers and what they include: no internals, no sources.
inc=$tmp/prefix/include/rapidtls
for public in conn/connection.h handshake/config.h io/transport.h common/result.h; do
  [[ -f $inc/$public ]] || { echo "install check: $public not installed" >&2; exit 1; }
done
internal=$(cd "$inc" && find . -name '*_internal.h' -o -name '*.cc' -o -path './ssl/*' \
  -o -name 'extensions.h' -o -name 'certificate_choice.h')
if [[ -n $internal ]]; then
  echo "install check: internal files installed: $internal" >&2
  exit 1
fi
echo "install check: $(find "$inc" -name '*.h' | wc -l) public headers installed, no internal one"
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

# The drop-in libssl.so.3 in its own folder, and with-rapidtls finding it
# beside its own bin/ (the installed copy, not the build tree's).
[ -f "$tmp/prefix/lib/rapidtls/libssl.so.3" ] ||
  { echo "install check: lib/rapidtls/libssl.so.3 not installed" >&2; exit 1; }
[ ! -e "$tmp/prefix/lib/libssl.so.3" ] ||
  { echo "install check: libssl.so.3 installed outside lib/rapidtls" >&2; exit 1; }
loaded=$("$tmp/prefix/bin/with-rapidtls" ldd /usr/bin/curl)
grep -q "=> $tmp/prefix/lib/rapidtls/libssl.so.3" <<<"$loaded" ||
  { echo "install check: with-rapidtls does not load lib/rapidtls/libssl.so.3: $loaded" >&2; exit 1; }
LD_BIND_NOW=1 "$tmp/prefix/bin/with-rapidtls" curl --version >/dev/null ||
  { echo "install check: curl does not load under the installed with-rapidtls" >&2; exit 1; }
echo "install check: with-rapidtls runs curl on lib/rapidtls/libssl.so.3"

# The Debian package holds the same files under /usr.
(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" >/dev/null)
deb=$(ls "$tmp"/rapidtls_*_amd64.deb)
contents=$(dpkg-deb -c "$deb")
for f in ./usr/lib/rapidtls/libssl.so.3 ./usr/bin/with-rapidtls; do
  grep -q " $f\$" <<<"$contents" || { echo "install check: $f not in $(basename "$deb")" >&2; exit 1; }
done
[ "$(dpkg-deb -f "$deb" Package)" = rapidtls ] || { echo "install check: package name" >&2; exit 1; }
echo "install check: $(basename "$deb") installs /usr/lib/rapidtls/libssl.so.3 and /usr/bin/with-rapidtls"
