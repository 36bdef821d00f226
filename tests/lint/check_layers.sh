#!/usr/bin/env bash
# The engine's layers (docs/ARCHITECTURE.md) are compiled each against an
# include root that holds only its own folder and those of the layers below it
# (src/CMakeLists.txt). This checks that mechanism: for every pair of layers, a
# file including a header of the other layer compiles with the layer's root
# when that layer is below (or the same), and fails with "No such file" when
# it is above; and every header of a layer compiles on its own with the
# layer's root (a header that includes upwards does not).
# Usage: check_layers.sh CXX BUILD_LAYERS_DIR SRC_DIR
set -u
cxx=$1 roots=$2 src=$3
layers=(common codec crypto record handshake conn io)
# Which layers each one sees (its own first), as src/CMakeLists.txt sets them.
declare -A sees=(
  [common]="common"
  [codec]="codec common"
  [crypto]="crypto common"
  [record]="record common crypto"
  [handshake]="handshake common codec crypto"
  [conn]="conn common codec crypto record handshake"
  [io]="io common codec crypto record handshake conn"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checked=0
for layer in "${layers[@]}"; do
  root=$roots/$layer
  if [[ ! -d $root ]]; then
    echo "FAIL: no include root $root"
    exit 1
  fi
  for other in "${layers[@]}"; do
    header=$(cd "$src/$other" && ls ./*.h | head -1)
    header=${header#./}
    printf '#include "%s/%s"\nint main() { return 0; }\n' "$other" "$header" >"$tmp/probe.cc"
    out=$("$cxx" -std=c++20 -fsyntax-only -I"$root" "$tmp/probe.cc" 2>&1)
    rc=$?
    checked=$((checked + 1))
    if [[ " ${sees[$layer]} " == *" $other "* ]]; then
      if [[ $rc -ne 0 ]]; then
        echo "FAIL: $layer should see $other/$header:"
        echo "$out" | head -5
        failures=$((failures + 1))
      fi
    else
      if [[ $rc -eq 0 ]]; then
        echo "FAIL: $layer includes $other/$header, a layer above it, and it builds"
        failures=$((failures + 1))
      elif ! grep -q "No such file" <<<"$out"; then
        echo "FAIL: $layer including $other/$header failed, but not for the missing file:"
        echo "$out" | head -5
        failures=$((failures + 1))
      fi
    fi
  done
done
for layer in "${layers[@]}"; do
  for path in "$src/$layer"/*.h; do
    printf '#include "%s/%s"\n' "$layer" "$(basename "$path")" >"$tmp/own.cc"
    checked=$((checked + 1))
    if ! out=$("$cxx" -std=c++20 -fsyntax-only -I"$roots/$layer" "$tmp/own.cc" 2>&1); then
      echo "FAIL: $layer/$(basename "$path") does not compile with only its layer and those below:"
      echo "$out" | head -5
      failures=$((failures + 1))
    fi
  done
done
echo "$checked compilations checked, $failures wrong"
[[ $failures -eq 0 ]]
