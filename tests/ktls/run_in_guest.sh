#!/usr/bin/env bash
# The kernel-TLS tests that need a kernel with kernel TLS, in one guest boot
# (scripts/ktls_vm.sh runs this inside Debian's kernel; docs/ktls.md):
#   1. ktls_probe --require: the kernel seals TLS 1.3 records for send and sendfile;
#   2. rapidtls_ktls_tests: rapidtls's kernel TLS through the C interface;
#   3. the conformance suite's W3 test (SSL_sendfile zero-copy) for rapidtls and for
#      OpenSSL's libssl (Debian's 3.0 has kernel TLS): it must run, not skip;
#   4. `rapidtls serve` with kernel TLS: curl downloads a 100 MiB file, SHA-256 checked,
#      and /proc/net/tls_stat shows the kernel sealed a socket's records;
#   5. `rapidtls get -v` from `rapidtls serve --tls1.2`: kernel TLS both ways, said by -v.
# Usage: run_in_guest.sh PROBE KTLS_TESTS CONFORMANCE_RAPIDTLS CONFORMANCE_OPENSSL RAPIDTLS
# Exit status: 0 when every step passed.
set -uo pipefail

probe=$1 ktls_tests=$2 conf_rapidtls=$3 conf_openssl=$4 rapidtls=$5
failed=()
step() {
  local name=$1
  shift
  echo "=== ktls guest: $name"
  if "$@"; then
    echo "=== ktls guest: $name: passed"
  else
    echo "=== ktls guest: $name: FAILED (exit $?)"
    failed+=("$name")
  fi
}

step probe "$probe" --require
step rapidtls_ktls_tests "$ktls_tests"
# The differential test, both ways: Debian's libssl 3.0 has kernel TLS too (the
# oracle), and the test skips (failing here) unless BIO_get_ktls_send says 1.
w3_runs() {
  local out
  out=$("$1" --gtest_filter='*W3_SendfileZeroCopyWithKernelTls*' 2>&1)
  local rc=$?
  echo "$out" | grep -E '^\[ |Skipped|kernel'
  [ $rc = 0 ] && ! grep -q '\[  SKIPPED \]' <<<"$out"
}
step "conformance rapidtls W3" w3_runs "$conf_rapidtls"
step "conformance openssl W3" w3_runs "$conf_openssl"

# Starts `rapidtls serve ARGS... DIR` in the background, its output in $1: sets
# serve_pid and serve_port (empty when it did not start within 10 s).
start_serve() {
  local out=$1
  shift
  "$rapidtls" serve -p 0 "$@" >"$out" 2>&1 &
  serve_pid=$!
  serve_port=
  for _ in $(seq 1 100); do
    serve_port=$(sed -n 's|^serving .* at https://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
    [ -n "$serve_port" ] && return
    sleep 0.1
  done
}

serve_download() {
  local dir port pid out sum want before after
  dir=$(mktemp -d /tmp/ktls-serve.XXXXXX)
  head -c $((100 * 1024 * 1024)) /dev/urandom >"$dir/big"
  want=$(sha256sum <"$dir/big" | cut -d' ' -f1)
  out=$(mktemp /tmp/ktls-serve-out.XXXXXX)
  before=$(awk '$1 == "TlsTxSw" { print $2 }' /proc/net/tls_stat)
  start_serve "$out" -v --threads 1 "$dir"
  pid=$serve_pid port=$serve_port
  local ok=0
  if [ -z "$port" ]; then
    echo "serve did not start:"
    cat "$out"
    ok=1
  else
    sum=$(curl -sSk --max-time 300 "https://127.0.0.1:$port/big" | sha256sum | cut -d' ' -f1)
    after=$(awk '$1 == "TlsTxSw" { print $2 }' /proc/net/tls_stat)
    grep -E '^kernel TLS|^tls:' "$out"
    if [ "$sum" != "$want" ]; then
      echo "curl got $sum, the file is $want"
      ok=1
    fi
    if ! grep -q '^kernel TLS: on' "$out"; then
      echo "serve did not turn kernel TLS on"
      ok=1
    fi
    if ! grep -q 'kernel TLS send on' "$out"; then
      echo "serve -v did not report kernel TLS send on the connection"
      ok=1
    fi
    if [ "${after:-0}" -le "${before:-0}" ]; then
      echo "TlsTxSw did not grow ($before -> $after)"
      ok=1
    fi
    [ $ok = 0 ] && echo "100 MiB through rapidtls serve with kernel TLS: SHA-256 $sum matches; TlsTxSw $before -> $after"
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -rf "$dir" "$out"
  return $ok
}
step "rapidtls serve + curl, 100 MiB" serve_download

# `rapidtls get -v` over TLS 1.2 from `rapidtls serve --tls1.2`: both ends in the kernel
# (TLS 1.3 receiving stays in user space on a kernel that cannot change receiving keys).
get_download() {
  local dir port pid out got err want ok=0
  dir=$(mktemp -d /tmp/ktls-get.XXXXXX)
  head -c $((10 * 1024 * 1024 + 7)) /dev/urandom >"$dir/file"
  want=$(sha256sum <"$dir/file" | cut -d' ' -f1)
  out=$(mktemp /tmp/ktls-get-serve.XXXXXX)
  got=$(mktemp /tmp/ktls-get-out.XXXXXX)
  err=$(mktemp /tmp/ktls-get-err.XXXXXX)
  start_serve "$out" -q --tls1.2 --threads 1 "$dir"
  pid=$serve_pid port=$serve_port
  if [ -z "$port" ] || ! "$rapidtls" get -k -v -s -o "$got" "https://127.0.0.1:$port/file" 2>"$err"; then
    echo "get failed:"
    cat "$out" "$err"
    ok=1
  else
    grep '^\* kernel TLS' "$err"
    grep -q '^\* kernel TLS: send on, receive on' "$err" || { echo "get -v: kernel TLS not on both ways"; ok=1; }
    [ "$(sha256sum <"$got" | cut -d' ' -f1)" = "$want" ] || { echo "get: SHA-256 differs"; ok=1; }
    [ $ok = 0 ] && echo "10 MiB with rapidtls get over TLS 1.2, received through the kernel: SHA-256 matches"
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -rf "$dir" "$out" "$got" "$err"
  return $ok
}
step "rapidtls get -v, TLS 1.2" get_download

if [ ${#failed[@]} -gt 0 ]; then
  echo "ktls guest: failed: ${failed[*]}"
  exit 1
fi
echo "ktls guest: all steps passed"
