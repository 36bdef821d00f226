#!/usr/bin/env bash
# Debian's curl (the command and libcurl) with the libssl under test, against
# `openssl s_server` (system libssl), `rapidtls serve` and a Python HTTPS server
# (system libssl) for POST: downloads and uploads checked by SHA-256, TLS 1.3
# and 1.2, trust by --cacert and --capath, client certificates, ALPN, cipher
# choices, session reuse, -k, SSLKEYLOGFILE; and the error paths (untrusted,
# wrong host name, expired) give the same exit code and message as with the
# system's libssl.
source "$(dirname "$0")/lib.sh"
need curl openssl "$PY"
make_pki
make_files small:1000 f1m:1048576 f5m:5242880

WWW=$WORK/www
CURL=(curl -sS --max-time 30)

# get LABEL FILE URL-PATH-PORT CURL-ARGS...: downloads https://localhost:PORT/FILE
# with the libssl under test, checks its SHA-256; curl's stderr in $WORK/curl.err.
get() {
  local label=$1 file=$2 port=$3
  shift 3
  rm -f "$WORK/got"
  if rt "${CURL[@]}" -o "$WORK/got" "$@" "https://localhost:$port/$file" 2>"$WORK/curl.err"; then
    same_file "$label" "$WWW/$file" "$WORK/got"
  else
    bad "$label: curl exit $?"
    show "$WORK/curl.err"
    return 1
  fi
}
# verbose_has LABEL REGEX: curl -v's stderr ($WORK/curl.err) has a matching line.
verbose_has() {
  if grep -q -E "$2" "$WORK/curl.err"; then pass "$1"; else bad "$1: no line matching '$2' in curl -v"; show "$WORK/curl.err"; fi
}

# ---- servers (system libssl): TLS 1.3, TLS 1.2, RSA, client certificates, -www
start_s_server s13 "$WWW" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -tls1_3 -WWW
P13=$SPORT
start_s_server s12 "$WWW" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -tls1_2 -WWW
P12=$SPORT
start_s_server rsa "$WWW" -cert "$PKI/rsa.pem" -key "$PKI/rsa.key" -WWW
PRSA=$SPORT
start_s_server mtls "$WWW" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -Verify 1 -CAfile "$PKI/ca.pem" -WWW
PMTLS=$SPORT
start_s_server mtls12 "$WWW" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -Verify 1 -CAfile "$PKI/ca.pem" -tls1_2 -WWW
PMTLS12=$SPORT
start_s_server page "$WWW" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -www
PPAGE=$SPORT
start_serve serve "$WWW" -q
PSERVE=$SPORT

# ---- downloads, TLS 1.3 and 1.2
get "GET 1 MiB, TLS 1.3, --cacert" f1m "$P13" --cacert "$PKI/ca.pem"
get "GET 5 MiB, TLS 1.3, --cacert" f5m "$P13" --cacert "$PKI/ca.pem"
get "GET 1 MiB, TLS 1.2, --cacert" f1m "$P12" --cacert "$PKI/ca.pem"
get "GET 5 MiB, TLS 1.2" f5m "$P12" --cacert "$PKI/ca.pem"
get "GET 1 MiB, --tlsv1.2 --tls-max 1.2 against a 1.2/1.3 server" f1m "$PRSA" --cacert "$PKI/ca.pem" --tlsv1.2 --tls-max 1.2 -v &&
  verbose_has "  ... negotiated TLS 1.2" 'SSL connection using TLSv1\.2 / ECDHE-RSA-'
get "GET 1 MiB, RSA leaf, TLS 1.3" f1m "$PRSA" --cacert "$PKI/ca.pem" --tlsv1.3 -v &&
  verbose_has "  ... negotiated TLS 1.3" 'SSL connection using TLSv1\.3 / TLS_'
get "GET 1 MiB, --capath (openssl rehash folder)" f1m "$P13" --capath "$PKI/hashed"
get "GET 1 MiB, --capath, TLS 1.2" f1m "$P12" --capath "$PKI/hashed"
rm -f "$WORK/got"
if rt "${CURL[@]}" --cacert "$PKI/ca.pem" -o "$WORK/got" "https://127.0.0.1:$P13/f1m" 2>"$WORK/curl.err"; then
  same_file "GET by IP address https://127.0.0.1 (SAN IP)" "$WWW/f1m" "$WORK/got"
else
  bad "GET by IP address https://127.0.0.1: curl exit $?"; show "$WORK/curl.err"
fi

# ---- cipher choices
get "--ciphers ECDHE-ECDSA-AES128-GCM-SHA256 (TLS 1.2)" f1m "$P12" --cacert "$PKI/ca.pem" \
  --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 -v &&
  verbose_has "  ... suite ECDHE-ECDSA-AES128-GCM-SHA256" 'SSL connection using TLSv1\.2 / ECDHE-ECDSA-AES128-GCM-SHA256'
get "--ciphers ECDHE-ECDSA-CHACHA20-POLY1305 (TLS 1.2)" f1m "$P12" --cacert "$PKI/ca.pem" \
  --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 -v &&
  verbose_has "  ... suite ECDHE-ECDSA-CHACHA20-POLY1305" 'SSL connection using TLSv1\.2 / ECDHE-ECDSA-CHACHA20-POLY1305'
get "--tls13-ciphers TLS_CHACHA20_POLY1305_SHA256" f1m "$P13" --cacert "$PKI/ca.pem" \
  --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 -v &&
  verbose_has "  ... suite TLS_CHACHA20_POLY1305_SHA256" 'SSL connection using TLSv1\.3 / TLS_CHACHA20_POLY1305_SHA256'
get "--tls13-ciphers TLS_AES_128_GCM_SHA256" f1m "$P13" --cacert "$PKI/ca.pem" \
  --tls13-ciphers TLS_AES_128_GCM_SHA256 -v &&
  verbose_has "  ... suite TLS_AES_128_GCM_SHA256" 'SSL connection using TLSv1\.3 / TLS_AES_128_GCM_SHA256'
get "--curves X25519 (TLS 1.3)" f1m "$P13" --cacert "$PKI/ca.pem" --curves X25519
get "--curves P-256 (TLS 1.2)" f1m "$P12" --cacert "$PKI/ca.pem" --curves P-256

# ---- client certificates (s_server -Verify 1)
get "--cert/--key client certificate, TLS 1.3" f1m "$PMTLS" --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key"
get "--cert/--key client certificate, TLS 1.2" f1m "$PMTLS12" --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key"
if grep -q "rapidtls-client" "$WORK/mtls.out"; then pass "s_server saw the client certificate (CN rapidtls-client)"; else
  bad "s_server did not report the client certificate"; show "$WORK/mtls.out"; fi
for v in 1.3 1.2; do
  port=$PMTLS; [[ $v == 1.2 ]] && port=$PMTLS12
  rt "${CURL[@]}" --cacert "$PKI/ca.pem" -o /dev/null "https://localhost:$port/f1m" 2>"$WORK/curl.err"
  rc=$?
  # 35 (handshake) or 56 (TLS 1.3: the server's alert comes at the first read)
  if ((rc == 35 || rc == 56)); then pass "no client certificate against -Verify 1 fails (TLS $v, curl exit $rc: $(head -1 "$WORK/curl.err"))"; else
    bad "no client certificate against -Verify 1: curl exit $rc, expected 35 or 56"; show "$WORK/curl.err"; fi
done

# ---- ALPN against rapidtls serve (http/1.1 when offered)
get "ALPN --http1.1 against rapidtls serve" f1m "$PSERVE" --cacert "$PKI/ca.pem" --http1.1 -v &&
  verbose_has "  ... offered and accepted http/1.1" 'ALPN: server accepted http/1\.1'
get "ALPN h2,http/1.1 (--http2) against rapidtls serve" f1m "$PSERVE" --cacert "$PKI/ca.pem" --http2 -v &&
  verbose_has "  ... offered h2,http/1.1" 'ALPN: offers h2,http/1\.1' &&
  verbose_has "  ... server accepted http/1.1" 'ALPN: server accepted http/1\.1'
get "--no-alpn against rapidtls serve" f1m "$PSERVE" --cacert "$PKI/ca.pem" --no-alpn -v
get "rapidtls serve, TLS 1.2" f5m "$PSERVE" --cacert "$PKI/ca.pem" --tls-max 1.2 -v &&
  verbose_has "  ... negotiated TLS 1.2" 'SSL connection using TLSv1\.2 / ECDHE-ECDSA-'

# ---- several URLs in one invocation
# keep-alive on rapidtls serve: one connection, three files
rm -f "$WORK/k1" "$WORK/k2" "$WORK/k3"
if rt "${CURL[@]}" -v --cacert "$PKI/ca.pem" -o "$WORK/k1" "https://localhost:$PSERVE/small" \
  -o "$WORK/k2" "https://localhost:$PSERVE/f1m" -o "$WORK/k3" "https://localhost:$PSERVE/f5m" 2>"$WORK/curl.err"; then
  same_file "keep-alive: 1st of 3 URLs" "$WWW/small" "$WORK/k1"
  same_file "keep-alive: 2nd of 3 URLs" "$WWW/f1m" "$WORK/k2"
  same_file "keep-alive: 3rd of 3 URLs" "$WWW/f5m" "$WORK/k3"
  verbose_has "keep-alive: connection re-used" 'Re-using existing connection'
else
  bad "three URLs on one connection: curl exit $?"; show "$WORK/curl.err"
fi
# session reuse against s_server -www (each response closes the connection;
# its page says New or Reused): TLS 1.3 and 1.2
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  if rt "${CURL[@]}" -v --cacert "$PKI/ca.pem" "${flags[@]}" "https://localhost:$PPAGE/" "https://localhost:$PPAGE/" \
    "https://localhost:$PPAGE/" >"$WORK/pages" 2>"$WORK/curl.err"; then
    got=$(grep -o -E '^(New|Reused), TLSv1\.[23]' "$WORK/pages" | tr '\n' ' ')
    want="New, TLSv$v Reused, TLSv$v Reused, TLSv$v "
    if [[ $got == "$want" ]]; then pass "session reuse over 3 URLs, TLS $v (server: $got)"; else
      bad "session reuse over 3 URLs, TLS $v: server saw '$got', expected '$want'"
    fi
    verbose_has "  ... curl -v says SSL re-using session ID (TLS $v)" 'SSL re-using session ID'
  else
    bad "session reuse, TLS $v: curl exit $?"; show "$WORK/curl.err"
  fi
done

# ---- -k, SSLKEYLOGFILE
start_s_server other "$WWW" -cert "$PKI/other.pem" -key "$PKI/other.key" -WWW
POTHER=$SPORT
get "-k against an untrusted certificate for another host" f1m "$POTHER" -k
for v in 1.3 1.2; do
  flags=(--tlsv1.3); want=CLIENT_TRAFFIC_SECRET_0; port=$P13
  [[ $v == 1.2 ]] && flags=(--tls-max 1.2) && want=CLIENT_RANDOM && port=$P12
  rm -f "$WORK/keylog$v"
  SSLKEYLOGFILE=$WORK/keylog$v get "SSLKEYLOGFILE, TLS $v: transfer" f1m "$port" --cacert "$PKI/ca.pem" "${flags[@]}"
  if grep -q -E "^$want [0-9a-f]{64} [0-9a-f]{64,96}$" "$WORK/keylog$v" 2>/dev/null; then
    pass "SSLKEYLOGFILE, TLS $v: $want line ($(wc -l <"$WORK/keylog$v") lines)"
  else
    bad "SSLKEYLOGFILE, TLS $v: no $want line"; show "$WORK/keylog$v"
  fi
done

# ---- POST to a Python HTTPS server (system libssl) answering the body's SHA-256
for v in 1.3 1.2; do
  : >"$WORK/post$v.out"
  env -u LD_LIBRARY_PATH -u LD_PRELOAD "$PY" "$(dirname "$0")/post_server.py" "$PKI/leaf-chain.pem" "$PKI/leaf.key" "$v" \
    >"$WORK/post$v.out" 2>"$WORK/post$v.err" &
  PIDS+=($!)
  ppid=$!
  pport=
  for _ in $(seq 1 200); do
    pport=$(sed -n 's/^port //p' "$WORK/post$v.out"); [[ -n $pport ]] && break
    kill -0 "$ppid" 2>/dev/null || break; sleep 0.05
  done
  [[ -n $pport ]] || { show "$WORK/post$v.err"; fail "the POST server did not start"; }
  for f in small f1m f5m; do
    if out=$(rt "${CURL[@]}" --cacert "$PKI/ca.pem" --data-binary "@$WWW/$f" -H 'Content-Type: application/octet-stream' \
      "https://localhost:$pport/upload" 2>"$WORK/curl.err"); then
      [[ $out == "$(sha256_of "$WWW/$f")" ]] && pass "POST $f, TLS $v: server's SHA-256 matches" ||
        bad "POST $f, TLS $v: server got SHA-256 '$out', sent $(sha256_of "$WWW/$f")"
    else
      bad "POST $f, TLS $v: curl exit $?"; show "$WORK/curl.err"
    fi
  done
  stop "$ppid"
done

# ---- error paths: same exit code and message as with the system's libssl
start_s_server expired "$WWW" -cert "$PKI/expired.pem" -key "$PKI/expired.key" -WWW
PEXP=$SPORT
# compare LABEL PORT CURL-ARGS...: curl with the system libssl, then with the
# libssl under test; exit code and curl's error line must be the same.
compare() {
  local label=$1 port=$2 rs rr ms mr
  shift 2
  sys "${CURL[@]}" -o /dev/null "$@" "https://localhost:$port/f1m" 2>"$WORK/sys.err"
  rs=$?
  rt "${CURL[@]}" -o /dev/null "$@" "https://localhost:$port/f1m" 2>"$WORK/rt.err"
  rr=$?
  ms=$(grep '^curl: ' "$WORK/sys.err" | head -1 | sed "s/$port/PORT/g")
  mr=$(grep '^curl: ' "$WORK/rt.err" | head -1 | sed "s/$port/PORT/g")
  same_failure "$label" "$rs" "$rr" "$ms" "$mr"
}
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tls-max 1.2)
  compare "untrusted certificate (system CA bundle), TLS $v" "$PRSA" "${flags[@]}"
  compare "wrong host name (leaf for other.example), TLS $v" "$POTHER" --cacert "$PKI/ca.pem" "${flags[@]}"
  compare "expired certificate, TLS $v" "$PEXP" --cacert "$PKI/ca.pem" "${flags[@]}"
  compare "--cacert of another CA (an unrelated leaf), TLS $v" "$PRSA" --cacert "$PKI/other.pem" "${flags[@]}"
  # s_server -www sends no OCSP response: curl --cert-status fails the same way
  compare "--cert-status, no response stapled, TLS $v" "$PEXP" --cacert "$PKI/ca.pem" -k --cert-status "${flags[@]}"
done

# ---- OCSP stapling: curl --cert-status asks for the status
# (SSL_set_tlsext_status_type), reads the stapled response after the
# handshake (SSL_get_tlsext_status_ocsp_resp) and verifies it against the
# chain (the CA follows the leaf) and its trust store.
make_ocsp "$WORK/ocsp.der"
start_s_server ocsp "$WWW" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -cert_chain "$PKI/ca.pem" \
  -status_file "$WORK/ocsp.der" -WWW
POCSP=$SPORT
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  get "GET 1 MiB, --cert-status (the stapled response verifies), TLS $v" f1m "$POCSP" --cacert "$PKI/ca.pem" \
    --cert-status "${flags[@]}"
done
finish
