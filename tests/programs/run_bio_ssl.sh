#!/usr/bin/env bash
# The SSL BIO programs (OpenSSL's manual pages only: BIO_new_ssl_connect,
# BIO_new_ssl over BIO_new_accept, configured with SSL_CONF_cmd_argv) in all
# four combinations of the rapidtls and libssl builds: TLS 1.3 and TLS 1.2
# (forced by SSL_CONF arguments), a client trusting the wrong CA (must fail
# the same way in both builds). Every transfer is checked by SHA-256, and the
# two builds of each program must print the same lines.
set -euo pipefail
bin=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

mkca() {  # name
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$1" -keyout "$tmp/$1.key" -out "$tmp/$1.pem" 2>/dev/null
}
mkca bio-test-ca
mkca wrong-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$tmp/ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/bio-test-ca.pem" -CAkey "$tmp/bio-test-ca.key" \
  -CAcreateserial -days 2 -extfile "$tmp/ext" -out "$tmp/leaf.pem" 2>/dev/null

sizes=(0 1 16385 1048576)
# The client cases: a name and the client's SSL_CONF arguments.
cases=(
  "tls13|-verifyCAfile $tmp/bio-test-ca.pem -min_protocol TLSv1.3 -ciphersuites TLS_AES_256_GCM_SHA384"
  "tls12|-verifyCAfile $tmp/bio-test-ca.pem -max_protocol TLSv1.2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256"
  "wrongca|-verifyCAfile $tmp/wrong-ca.pem"
)
per_server=$(( ${#sizes[@]} * 2 + 1 ))  # two good cases per size, one wrong-CA connection

# run SERVER_IMPL CLIENT_IMPL: one server for every connection of the cases;
# the outputs land in $tmp/SERVER-CLIENT.{server,client}.
run() {
  local s=$1 c=$2 p; p=$(free_port)
  local out="$tmp/$s-$c"
  "$bin/bio_ssl_server_$s" "$p" "$per_server" -cert "$tmp/leaf.pem" -key "$tmp/leaf.key" \
    -min_protocol TLSv1.2 > "$out.server" 2> "$out.server.log" &
  local spid=$!
  pids+=("$spid")
  for _ in $(seq 200); do grep -q ready "$out.server.log" 2>/dev/null && break; sleep 0.05; done
  : > "$out.client"
  local entry name args size rc
  for entry in "${cases[@]}"; do
    name=${entry%%|*}; args=${entry#*|}
    local list=("${sizes[@]}"); [ "$name" = wrongca ] && list=(1)
    for size in "${list[@]}"; do
      echo "== $name $size" >> "$out.client"
      rc=0
      # shellcheck disable=SC2086
      timeout 60 "$bin/bio_ssl_client_$c" "127.0.0.1:$p" "$size" $args >> "$out.client" \
        2>> "$out.client.log" || rc=$?
      echo "exit=$rc" >> "$out.client"
    done
  done
  wait "$spid" || { cat "$out.server.log"; return 1; }
}

want_sha() {  # the SHA-256 of BYTES of the clients' pattern
  python3 -c 'import hashlib,sys; n=int(sys.argv[1]); print(hashlib.sha256(bytes(((i*2654435761)>>13)&0xff for i in range(n))).hexdigest())' "$1"
}

# Every good transfer came back whole, with the expected digest and version;
# the wrong-CA connection failed verification.
check_client() {  # file
  local f=$1 size sha
  for size in "${sizes[@]}"; do
    sha=$(want_sha "$size")
    for name in tls13 tls12; do
      local block; block=$(sed -n "/^== $name $size\$/,/^exit=/p" "$f")
      grep -q "sent=$size echoed=$size sha256=$sha echo_sha256=$sha match" <<< "$block" || return 1
      grep -q '^exit=0$' <<< "$block" || return 1
    done
    grep -A1 "^== tls13 $size\$" "$f" | grep -q 'handshake: TLSv1.3 TLS_AES_256_GCM_SHA384' || return 1
    grep -A1 "^== tls12 $size\$" "$f" | grep -q 'handshake: TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256' || return 1
  done
  local bad; bad=$(sed -n '/^== wrongca/,/^exit=/p' "$f")
  grep -q 'handshake failed: certificate verify failed; verify: unable to get local issuer certificate' <<< "$bad" &&
    grep -q '^exit=3$' <<< "$bad"
}

for s in rapidtls openssl; do
  for c in rapidtls openssl; do
    label="$c client -> $s server: run"; check run "$s" "$c"
    label="$c client -> $s server: transfers and the wrong-CA failure"; check check_client "$tmp/$s-$c.client"
    label="$c client -> $s server: server saw every connection"
    check test "$(grep -c 'echoed=' "$tmp/$s-$c.server")" -eq $(( ${#sizes[@]} * 2 ))
  done
done
for s in rapidtls openssl; do
  label="clients print the same against the $s server"
  check cmp "$tmp/$s-rapidtls.client" "$tmp/$s-openssl.client"
done
for c in rapidtls openssl; do
  label="servers print the same for the $c client"
  check cmp "$tmp/rapidtls-$c.server" "$tmp/openssl-$c.server"
done
if [ "$failures" -ne 0 ]; then
  for f in "$tmp"/*.client "$tmp"/*.server; do echo "--- $f"; cat "$f"; done
  for f in "$tmp"/*.log; do echo "--- $f"; head -20 "$f"; done
fi
[ "$failures" -eq 0 ]
