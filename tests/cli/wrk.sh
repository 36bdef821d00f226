#!/usr/bin/env bash
# Load from a second process: wrk, 2 threads, 200 connections, 10 s, against
# a 1 MiB file. No socket or TLS errors, no non-2xx answers, and every
# response wrk counted was sent whole (the access log agrees). Prints
# requests/s and transfer/s.
source "$(dirname "$0")/lib.sh"
need wrk timeout
duration=${RAPIDTLS_WRK_DURATION:-10s}

mkdir -p "$WORK/www"
head -c 1048576 /dev/urandom >"$WORK/www/file1m"
start_serve "$WORK/www"
timeout 60 wrk -t2 -c200 -d"$duration" --timeout 10s "$URL/file1m" >"$WORK/wrk.out" 2>&1
rc=$?
cat "$WORK/wrk.out"
[[ $rc -eq 0 ]] || fail "wrk exited with $rc"

requests=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$WORK/wrk.out")
rps=$(sed -n 's/^Requests\/sec: *//p' "$WORK/wrk.out")
tps=$(sed -n 's/^Transfer\/sec: *//p' "$WORK/wrk.out")
[[ -n $requests && $requests -gt 0 ]] || fail "wrk completed no requests"
if grep -q "Socket errors" "$WORK/wrk.out"; then
  bad "socket errors: $(grep 'Socket errors' "$WORK/wrk.out")"
else
  ok "no socket or TLS errors"
fi
if grep -q "Non-2xx or 3xx responses" "$WORK/wrk.out"; then
  bad "$(grep 'Non-2xx' "$WORK/wrk.out")"
else
  ok "every response 200"
fi
stop_serve INT || bad "rapidtls serve did not exit 0 after the load (status $?)"
# Every response wrk read was whole: the server logged at least as many
# complete 1 MiB bodies (the extra ones were cut when wrk stopped).
whole=$(grep -c '"GET /file1m HTTP/1.1" 200 1048576 TLSv1.3' "$WORK/serve.out")
cut=$(grep '"GET /file1m HTTP/1.1" 200 ' "$WORK/serve.out" | grep -vc ' 200 1048576 ')
((whole >= requests)) && ok "$whole whole 1 MiB bodies sent for $requests responses read ($cut cut short at the end)" ||
  bad "only $whole whole bodies for $requests responses"
grep -q "TLS handshake failed" "$WORK/serve.err" && { bad "handshake failures"; show "$WORK/serve.err"; }
echo "wrk -t2 -c200 -d$duration: $rps requests/s, $tps transfer/s"
finish
