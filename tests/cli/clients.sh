#!/usr/bin/env bash
# Real clients download files from `rapidtls serve` and the checksums match:
# curl, Python's urllib/ssl, `openssl s_client`, `gnutls-cli`, each verifying
# the self-signed certificate the server made (its PEM as the trust anchor).
# Sizes around the 16 KiB record limit, 10 MiB and 100 MiB.
source "$(dirname "$0")/lib.sh"
need curl python3 openssl gnutls-cli sha256sum timeout

small=(0 1 16383 16384 16385)
big=(10485760 104857600)
make_files "${small[@]}" "${big[@]}"
start_serve "$WORK/www"

check_sum() {  # client size received-file
  local want got
  want=$(sha256_of "$WORK/www/f$2")
  got=$(sha256_of "$3")
  if [[ $want == "$got" ]]; then ok "$1 f$2 sha256 match"; else bad "$1 f$2: sha256 $got, want $want"; fi
}

for n in "${small[@]}" "${big[@]}"; do
  timeout 120 curl -sS --fail --cacert "$CA" -o "$WORK/curl.$n" "$URL/f$n" 2>"$WORK/curl.err" ||
    { show "$WORK/curl.err"; bad "curl f$n failed"; continue; }
  check_sum curl "$n" "$WORK/curl.$n"
  rm -f "$WORK/curl.$n"
done

for n in "${small[@]}" "${big[@]}"; do
  timeout 120 python3 - "https://localhost:$PORT/f$n" "$CA" "$WORK/py.$n" 2>"$WORK/py.err" <<'PY' ||
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])  # verifies chain and host name
with urllib.request.urlopen(sys.argv[1], context=ctx, timeout=60) as r:
    assert r.status == 200, r.status
    with open(sys.argv[3], 'wb') as f:
        while chunk := r.read(1 << 20):
            f.write(chunk)
PY
    { show "$WORK/py.err"; bad "python f$n failed"; continue; }
  check_sum python "$n" "$WORK/py.$n"
  rm -f "$WORK/py.$n"
done

request() { printf 'GET /f%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$1"; }

for n in "${small[@]}" 10485760; do
  request "$n" | timeout 60 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
    -CAfile "$CA" -verify_return_error -verify_hostname localhost -alpn http/1.1 -quiet \
    >"$WORK/s_client.raw" 2>"$WORK/s_client.err" ||
    { show "$WORK/s_client.err"; bad "openssl s_client f$n failed"; continue; }
  head -n1 "$WORK/s_client.raw" | grep -q "^HTTP/1.1 200 " || bad "s_client f$n: $(head -n1 "$WORK/s_client.raw")"
  strip_head "$WORK/s_client.raw" "$WORK/s_client.body"
  check_sum "openssl s_client" "$n" "$WORK/s_client.body"
done

for n in "${small[@]}" 10485760; do
  request "$n" | timeout 60 gnutls-cli --x509cafile="$CA" --alpn=http/1.1 -p "$PORT" localhost \
    --logfile="$WORK/gnutls.log" >"$WORK/gnutls.raw" 2>"$WORK/gnutls.err" ||
    { show "$WORK/gnutls.err" "$WORK/gnutls.log"; bad "gnutls-cli f$n failed"; continue; }
  head -n1 "$WORK/gnutls.raw" | grep -q "^HTTP/1.1 200 " || bad "gnutls-cli f$n: $(head -n1 "$WORK/gnutls.raw")"
  strip_head "$WORK/gnutls.raw" "$WORK/gnutls.body"
  check_sum gnutls-cli "$n" "$WORK/gnutls.body"
done

# One access-log line per request, with the TLS version and suite.
lines=$(grep -c '"GET /f[0-9]* HTTP/1.1" 200 [0-9]* TLSv1.3 TLS_' "$WORK/serve.out")
want=$(( (${#small[@]} + ${#big[@]}) * 2 + (${#small[@]} + 1) * 2 ))
if [[ $lines -eq $want ]]; then ok "$lines access-log lines"; else bad "access log: $lines lines of 200, want $want"; show "$WORK/serve.out"; fi
grep -q '"GET /f104857600 HTTP/1.1" 200 104857600 TLSv1.3' "$WORK/serve.out" ||
  bad "the access log does not show the 100 MiB body bytes"

stop_serve INT || bad "rapidtls serve did not exit 0 on SIGINT (status $?)"
finish
