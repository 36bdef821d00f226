#!/usr/bin/env bash
# The echo programs (OpenSSL API only) linked with rapidtls talk to each
# other, to the same programs linked with OpenSSL's libssl, and to
# `openssl s_server` / `openssl s_client`. Every byte is checked.
set -euo pipefail
bin=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# A CA and a leaf for localhost / 127.0.0.1, made now.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=echo-test-ca -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$tmp/ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 2 -extfile "$tmp/ext" -out "$tmp/leaf.pem" 2>/dev/null


echo_pair() {  # server-binary client-binary bytes
  local p; p=$(free_port)
  "$bin/$1" "$p" "$tmp/leaf.pem" "$tmp/leaf.key" 1 > "$tmp/server.out" 2> "$tmp/server.log" &
  local spid=$!
  pids+=("$spid")
  # Its listening socket, not a "ready" line in a file this call reuses: the
  # background redirection may truncate the file only after the check read the
  # previous server's line, and the client was then refused.
  wait_port "$p" "$spid" 10 || { cat "$tmp/server.log"; return 1; }
  timeout 60 "$bin/$2" "$p" "$tmp/ca.pem" "$3" > "$tmp/client.out" 2> "$tmp/client.log" || { cat "$tmp/client.log" "$tmp/server.log"; return 1; }
  wait "$spid" || { cat "$tmp/server.log"; return 1; }
  grep -q "mismatches=0" "$tmp/client.out" && grep -q "echoed=$3 " "$tmp/client.out"
}

for size in 0 1 16384 16385 10485760; do
  label="rapidtls client <-> rapidtls server, $size bytes"; check echo_pair echo_server_rapidtls echo_client_rapidtls $size
done
label="rapidtls client <-> libssl server, 10 MiB"; check echo_pair echo_server_openssl echo_client_rapidtls 10485760
label="libssl client <-> rapidtls server, 10 MiB"; check echo_pair echo_server_rapidtls echo_client_openssl 10485760

# rapidtls echo client -> openssl s_server (which writes what it receives to
# stdout; its stdin is kept open, since at stdin's EOF it closes the connection).
s_server_case() {
  local p; p=$(free_port)
  openssl s_server -accept "127.0.0.1:$p" -cert "$tmp/leaf.pem" -key "$tmp/leaf.key" -naccept 1 \
    -quiet > "$tmp/s_server.out" 2> "$tmp/s_server.log" < <(sleep 60) &
  local spid=$!
  pids+=("$spid")
  wait_port "$p" "" 10
  timeout 60 "$bin/echo_client_rapidtls" "$p" "$tmp/ca.pem" 3000000 --no-echo > "$tmp/client.out" || return 1
  for _ in $(seq 200); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
  local want; want=$(sed -n 's/^sha256=\([0-9a-f]*\).*/\1/p' "$tmp/client.out")
  [ "$(sha256sum < "$tmp/s_server.out" | cut -d' ' -f1)" = "$want" ]
}
label="rapidtls client -> openssl s_server, 3 MB"; check s_server_case

# openssl s_client -> rapidtls echo server: what comes back equals what went.
s_client_case() {
  local p; p=$(free_port)
  "$bin/echo_server_rapidtls" "$p" "$tmp/leaf.pem" "$tmp/leaf.key" 1 > "$tmp/server.out" 2> "$tmp/server.log" &
  local spid=$!
  pids+=("$spid")
  wait_port "$p" "$spid" 10 || { cat "$tmp/server.log"; return 1; }
  head -c 1000000 /dev/urandom > "$tmp/data"
  # s_client closes when its stdin ends: keep stdin open until the whole echo
  # is back (or 30 s have passed), however slow the build.
  rm -f "$tmp/in"
  mkfifo "$tmp/in"
  timeout 60 openssl s_client -connect "127.0.0.1:$p" -quiet -verify_return_error \
    -CAfile "$tmp/ca.pem" -servername localhost < "$tmp/in" > "$tmp/echoed" 2> "$tmp/s_client.log" &
  local cpid=$!
  exec 7> "$tmp/in"
  cat "$tmp/data" >&7
  for _ in $(seq 600); do
    [ "$(stat -c %s "$tmp/echoed" 2>/dev/null || echo 0)" -ge 1000000 ] && break
    sleep 0.05
  done
  exec 7>&-
  wait "$cpid" || true
  cmp -s "$tmp/data" "$tmp/echoed"
}
label="openssl s_client -> rapidtls echo server, 1 MB"; check s_client_case

[ "$failures" -eq 0 ]
