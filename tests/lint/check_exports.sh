#!/usr/bin/env bash
# A shared C-interface library exports OpenSSL's libssl names and nothing else:
# every defined dynamic symbol of LIB is in NAMES (src/ssl/libssl.names), and
# there are some. rapidtls's C++ internals must stay inside.
# Usage: check_exports.sh LIB NAMES
set -u
lib=$1 names=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWDBVR]$/ {print $3}' | sed 's/@.*//' | sort -u)
count=$(wc -l <<<"$exported")
extra=$(comm -23 <(echo "$exported") <(sort -u "$names"))
if [[ -z $exported || $count -lt 100 ]]; then
  echo "FAIL: $lib exports only $count names"
  exit 1
fi
if [[ -n $extra ]]; then
  echo "FAIL: $lib exports $(wc -l <<<"$extra") names that are not OpenSSL's, e.g.:"
  head -10 <<<"$extra"
  exit 1
fi
echo "$lib: $count names, all OpenSSL's"
