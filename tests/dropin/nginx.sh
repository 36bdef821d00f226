#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Debian's nginx (master and two workers, in the foreground) with the libssl
# under test as the HTTPS server; the clients are the system's curl and
# `openssl s_client` (system libssl), so only the server side is under test.
# Downloads checked by SHA-256 (0 B, 1 B, 16 KiB, 16 KiB + 1, 1000 B, 5 MiB,
# 10 MiB; TLS 1.3 and 1.2, sendfile on and off, keep-alive, pipelining),
# ECDSA and RSA certificates, a certificate chain file, two ssl_certificate
# lines in one server (each client gets the one its signature algorithms or
# suites take), ssl_protocols with one version, ssl_ciphers for TLS 1.2, SNI
# (two server names, two certificates on one port), ssl_verify_client on and
# optional and optional_no_ca with the test CA (whose name the
# CertificateRequest carries) and a CRL (ssl_crl), ssl_ecdh_curve,
# ssl_early_data (accepted, no 0-RTT),
# session resumption (TLS 1.3 and 1.2 tickets, ssl_session_ticket_key, the
# shared session cache across both workers, stateful TLS 1.3 tickets with
# ssl_session_tickets off), OCSP stapling (ssl_stapling_file), HTTP/2 over
# ALPN h2, the stream module terminating TLS, nginx -s reload, and the
# workers' libssl mapping.
# RAPIDTLS_DEBUG in the environment is passed to nginx (e.g. ctrl).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need nginx curl openssl "$PY"
make_pki
make_crl
make_files small:1000 f5m:5242880 zero:0 one:1 k16:16384 k16p1:16385 f10m:10485760

WWW=$WORK/www
NGX=$WORK/nginx
mkdir -p "$NGX"
ERRLOG=$NGX/error.log

# unique_port: a free port not in $TAKEN (free_port may return the same port
# twice, and nginx would then take two listen lines on one port as name-based
# servers of one socket); the caller adds it to $TAKEN.
P_EC=$(unique_port); TAKEN+="$P_EC "  # ECDSA leaf (localhost) + SNI other.example, TLS 1.2/1.3
P_RSA=$(unique_port); TAKEN+="$P_RSA "  # RSA leaf, ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256
P_13=$(unique_port); TAKEN+="$P_13 "  # ssl_protocols TLSv1.3 only
P_12=$(unique_port); TAKEN+="$P_12 "  # ssl_protocols TLSv1.2 only
P_MTLS=$(unique_port); TAKEN+="$P_MTLS "  # ssl_verify_client on
P_CHAIN=$(unique_port); TAKEN+="$P_CHAIN "  # leaf-chain.pem (leaf followed by the CA)
P_SCACHE=$(unique_port); TAKEN+="$P_SCACHE "  # ssl_session_cache shared, ssl_session_tickets off
P_TKEY=$(unique_port); TAKEN+="$P_TKEY "  # ssl_session_ticket_key (a key file)
P_BOTH=$(unique_port); TAKEN+="$P_BOTH "  # two ssl_certificate lines: ECDSA leaf.pem and RSA rsa.pem
P_OCSP=$(unique_port); TAKEN+="$P_OCSP "  # ssl_stapling with ssl_stapling_file (an OCSP response the CA signed)
P_H2=$(unique_port); TAKEN+="$P_H2 "  # listen ... ssl http2 (ALPN h2)
P_OPT=$(unique_port); TAKEN+="$P_OPT "  # ssl_verify_client optional
P_PLAIN=$(unique_port); TAKEN+="$P_PLAIN "  # plain HTTP, the stream proxy's backend
P_STREAM=$(unique_port); TAKEN+="$P_STREAM "  # the stream module: TLS terminated, proxied to P_PLAIN
P_CRL=$(unique_port); TAKEN+="$P_CRL "  # ssl_verify_client optional with ssl_crl (the CA's CRL)
P_CURVE=$(unique_port); TAKEN+="$P_CURVE "  # ssl_ecdh_curve secp384r1
P_NOCA=$(unique_port); TAKEN+="$P_NOCA "  # ssl_verify_client optional_no_ca
STREAM_MOD=/usr/lib/nginx/modules/ngx_stream_module.so
[[ -e $STREAM_MOD ]] || fail "the test needs $STREAM_MOD (scripts/setup.sh installs libnginx-mod-stream)"

# ---- nginx configuration: everything in $NGX, $WWW served
cat >"$NGX/nginx.conf" <<EOF
load_module $STREAM_MOD;
daemon off;
master_process on;
worker_processes 2;
pid $NGX/nginx.pid;
error_log $ERRLOG info;
env RAPIDTLS_DEBUG;
events { worker_connections 64; }
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path $NGX/body;
  proxy_temp_path $NGX/proxy;
  fastcgi_temp_path $NGX/fastcgi;
  uwsgi_temp_path $NGX/uwsgi;
  scgi_temp_path $NGX/scgi;
  keepalive_requests 100;
  ssl_protocols TLSv1.2 TLSv1.3;

  server {
    listen 127.0.0.1:$P_EC ssl default_server;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    root $WWW;
    sendfile on;
    location /nosf/ { alias $WWW/; sendfile off; }
  }
  server {
    listen 127.0.0.1:$P_EC ssl;
    server_name other.example;
    ssl_certificate $PKI/other.pem;
    ssl_certificate_key $PKI/other.key;
    location / { return 200 "other.example\n"; }
  }
  server {
    listen 127.0.0.1:$P_RSA ssl;
    server_name localhost;
    ssl_certificate $PKI/rsa.pem;
    ssl_certificate_key $PKI/rsa.key;
    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;
    root $WWW;
    sendfile on;
    location /nosf/ { alias $WWW/; sendfile off; }
  }
  server {
    listen 127.0.0.1:$P_13 ssl;
    server_name localhost;
    ssl_protocols TLSv1.3;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_12 ssl;
    server_name localhost;
    ssl_protocols TLSv1.2;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_MTLS ssl;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_verify_client on;
    ssl_client_certificate $PKI/ca.pem;
    location / { return 200 "\$ssl_client_s_dn"; }
  }
  server {
    listen 127.0.0.1:$P_CHAIN ssl;
    server_name localhost;
    ssl_certificate $PKI/leaf-chain.pem;
    ssl_certificate_key $PKI/leaf.key;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_SCACHE ssl reuseport;
    server_name localhost;
    add_header X-Worker \$pid always;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_session_cache shared:SSL:1m;
    ssl_session_tickets off;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_TKEY ssl reuseport;
    server_name localhost;
    add_header X-Worker \$pid always;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_session_ticket_key $NGX/ticket.key;
    # accepted; rapidtls takes no 0-RTT data (compatibility note 3): clients
    # fall back to a 1-RTT handshake, which the resumption checks here use
    ssl_early_data on;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_BOTH ssl;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_certificate $PKI/rsa.pem;
    ssl_certificate_key $PKI/rsa.key;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_OCSP ssl;
    server_name localhost;
    # with the CA after the leaf: curl finds the issuer for the OCSP id there
    ssl_certificate $PKI/leaf-chain.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_trusted_certificate $PKI/ca.pem;
    ssl_stapling on;
    ssl_stapling_file $NGX/ocsp.der;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_H2 ssl http2;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_OPT ssl;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_verify_client optional;
    ssl_client_certificate $PKI/ca.pem;
    location / { return 200 "\$ssl_client_verify \$ssl_client_s_dn"; }
  }
  server {
    listen 127.0.0.1:$P_PLAIN;
    root $WWW;
  }
  server {
    listen 127.0.0.1:$P_CRL ssl;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_verify_client optional;
    ssl_client_certificate $PKI/ca.pem;
    ssl_crl $PKI/crl.pem;
    location / { return 200 "\$ssl_client_verify"; }
  }
  server {
    listen 127.0.0.1:$P_NOCA ssl;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_verify_client optional_no_ca;
    ssl_client_certificate $PKI/ca.pem;
    location / { return 200 "\$ssl_client_verify|\$ssl_client_s_dn"; }
  }
  server {
    listen 127.0.0.1:$P_CURVE ssl;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_ecdh_curve secp384r1;
    root $WWW;
  }
}
stream {
  server {
    listen 127.0.0.1:$P_STREAM ssl;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    proxy_pass 127.0.0.1:$P_PLAIN;
  }
}
EOF
make_ocsp "$NGX/ocsp.der"  # the OCSP response nginx staples
# nginx's ticket key file: 80 bytes (name, AES-256 key, HMAC key)
head -c 80 /dev/urandom >"$NGX/ticket.key"

# log_tail: the end of nginx's error_log (for a failure's context).
log_tail() { show "$ERRLOG"; }

if ! sys nginx -t -q -p "$NGX" -e "$ERRLOG" -c "$NGX/nginx.conf" >"$NGX/test.out" 2>&1; then
  show "$NGX/test.out" "$ERRLOG"
  fail "nginx -t (system libssl) rejects the configuration (test broken)"
fi

# ---- start nginx with the libssl under test (with-rapidtls execs nginx: $! is the master)
ENVV=()
[[ -n ${RAPIDTLS_DEBUG:-} ]] && ENVV=(RAPIDTLS_DEBUG="$RAPIDTLS_DEBUG")
env "${ENVV[@]}" "${RT[@]}" nginx -p "$NGX" -e "$ERRLOG" -c "$NGX/nginx.conf" \
  </dev/null >"$NGX/stdout" 2>"$NGX/stderr" &
NPID=$!
PIDS+=("$NPID")
for p in "$P_EC" "$P_RSA" "$P_13" "$P_12" "$P_MTLS" "$P_CHAIN" "$P_SCACHE" "$P_TKEY" "$P_BOTH" "$P_OCSP" "$P_H2" "$P_OPT" "$P_PLAIN" "$P_STREAM" "$P_CRL" "$P_CURVE" "$P_NOCA"; do
  if ! wait_port "$p" "$NPID"; then
    show "$NGX/stdout" "$NGX/stderr" "$ERRLOG"
    fail "nginx did not listen on 127.0.0.1:$p"
  fi
done
WORKERS=()
for _ in $(seq 1 100); do
  mapfile -t WORKERS < <(ps -o pid= --ppid "$NPID" | tr -d ' ')
  ((${#WORKERS[@]} >= 2)) && break
  sleep 0.05
done
if ((${#WORKERS[@]} == 2)); then pass "nginx master $NPID runs 2 workers (${WORKERS[*]})"; else
  bad "nginx master $NPID: workers '${WORKERS[*]}', expected 2"; log_tail; fi

# ---- the workers really use the libssl under test
if [[ $BASELINE == 1 ]]; then
  note "libssl mapping not checked (baseline: the system's libssl)"
else
  dropin_real=$(readlink -f "$DROPIN_LIB")
  for w in "${WORKERS[@]}"; do
    maps=$(grep -E 'libssl\.so' "/proc/$w/maps" | awk '{print $6}' | sort -u | tr '\n' ' ')
    if grep -q -F -e "$DROPIN_LIB" -e "$dropin_real" "/proc/$w/maps" && ! grep -q -F "$SYSTEM_LIBSSL" "/proc/$w/maps"; then
      pass "worker $w maps the drop-in libssl ($maps)"
    else
      bad "worker $w: libssl mapped from '$maps', expected $DROPIN_LIB only"
    fi
  done
fi


# ---- downloads: small and 5 MiB, TLS 1.3 and 1.2, sendfile on and off, ECDSA and RSA
for key in ECDSA RSA; do
  port=$P_EC; [[ $key == RSA ]] && port=$P_RSA
  for v in 1.3 1.2; do
    flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
    for sf in on off; do
      prefix=; [[ $sf == off ]] && prefix=nosf/
      for f in small f5m; do
        get "GET $f, $key, TLS $v, sendfile $sf" "$f" "$port" "$prefix$f" "${flags[@]}" -v &&
          verbose_has "  ... negotiated TLS $v" "SSL connection using TLSv${v/./\\.} / "
      done
    done
  done
done
get "GET small, RSA, TLS 1.2: ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256" small "$P_RSA" small --tlsv1.2 --tls-max 1.2 -v &&
  verbose_has "  ... suite ECDHE-RSA-AES128-GCM-SHA256" 'SSL connection using TLSv1\.2 / ECDHE-RSA-AES128-GCM-SHA256'
"${CURL[@]}" -o /dev/null --cacert "$PKI/ca.pem" --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384 \
  "https://localhost:$P_RSA/small" 2>"$WORK/curl.err"
rc=$?
if ((rc == 35)); then pass "TLS 1.2 client offering only ECDHE-RSA-AES256-GCM-SHA384 refused (ssl_ciphers; curl exit 35)"; else
  bad "TLS 1.2 client offering only ECDHE-RSA-AES256-GCM-SHA384: curl exit $rc, expected 35"; show "$WORK/curl.err"; log_tail; fi
get "GET small, ECDSA leaf, subject CN=localhost" small "$P_EC" small -v &&
  verbose_has "  ... subject CN=localhost" 'subject: CN=localhost'
get "GET small, RSA leaf, subject CN=rsa-leaf" small "$P_RSA" small -v &&
  verbose_has "  ... subject CN=rsa-leaf" 'subject: CN=rsa-leaf'

# ---- keep-alive: several URLs in one curl invocation, one connection
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  rm -f "$WORK"/k[1-4]
  if "${CURL[@]}" -v --cacert "$PKI/ca.pem" "${flags[@]}" \
    -o "$WORK/k1" "https://localhost:$P_EC/small" -o "$WORK/k2" "https://localhost:$P_EC/f5m" \
    -o "$WORK/k3" "https://localhost:$P_EC/nosf/f5m" -o "$WORK/k4" "https://localhost:$P_EC/nosf/small" 2>"$WORK/curl.err"; then
    same_file "keep-alive, TLS $v: 1st of 4 URLs (small)" "$WWW/small" "$WORK/k1"
    same_file "keep-alive, TLS $v: 2nd of 4 URLs (5 MiB, sendfile on)" "$WWW/f5m" "$WORK/k2"
    same_file "keep-alive, TLS $v: 3rd of 4 URLs (5 MiB, sendfile off)" "$WWW/f5m" "$WORK/k3"
    same_file "keep-alive, TLS $v: 4th of 4 URLs (small, sendfile off)" "$WWW/small" "$WORK/k4"
    n=$(grep -c 'Re-using existing connection' "$WORK/curl.err")
    if ((n == 3)); then pass "keep-alive, TLS $v: connection re-used 3 times"; else
      bad "keep-alive, TLS $v: connection re-used $n times, expected 3"; show "$WORK/curl.err"; log_tail; fi
  else
    bad "keep-alive, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
done

# ---- HTTP/1.1 pipelining: two requests written at once on one connection
printf 'GET /small HTTP/1.1\r\nHost: localhost\r\n\r\nGET /small HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
  sys timeout 30 openssl s_client -connect "127.0.0.1:$P_EC" -servername localhost -CAfile "$PKI/ca.pem" \
    -verify_return_error -quiet -ign_eof >"$WORK/pipe.out" 2>"$WORK/pipe.err"
# (the bodies are binary: the second status line follows the first body on its line)
n=$(grep -o -a 'HTTP/1.1 200 OK' "$WORK/pipe.out" | wc -l)
if ((n == 2)); then pass "HTTP/1.1 pipelining: 2 responses on one connection"; else
  bad "HTTP/1.1 pipelining: $n '200 OK' responses, expected 2"; show "$WORK/pipe.err"; log_tail; fi

# ---- certificate chain file (leaf-chain.pem: leaf followed by the CA; lib.sh makes no intermediate)
get "GET 5 MiB, ssl_certificate leaf-chain.pem" f5m "$P_CHAIN" f5m
sys timeout 30 openssl s_client -connect "127.0.0.1:$P_CHAIN" -servername localhost -CAfile "$PKI/ca.pem" \
  -verify_return_error -showcerts </dev/null >"$WORK/chain.out" 2>&1
n=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$WORK/chain.out")
if ((n == 2)) && grep -q 'Verification: OK' "$WORK/chain.out"; then
  pass "chain file: the server sends 2 certificates (leaf, CA), verified"
else
  bad "chain file: $n certificate(s) sent, expected 2 (leaf and CA)"; show "$WORK/chain.out"; log_tail
fi

# ---- ssl_protocols with one version (nginx sets SSL_OP_NO_TLSv1_2 / SSL_OP_NO_TLSv1_3
# with SSL_CTX_set_options; its min/max proto versions stay 0 / TLS1_3_VERSION)
get "ssl_protocols TLSv1.3: TLS 1.3 client" f5m "$P_13" f5m --tlsv1.3 -v &&
  verbose_has "  ... negotiated TLS 1.3" 'SSL connection using TLSv1\.3 / '
get "ssl_protocols TLSv1.2: TLS 1.2 client" f5m "$P_12" f5m --tlsv1.2 --tls-max 1.2 -v &&
  verbose_has "  ... negotiated TLS 1.2" 'SSL connection using TLSv1\.2 / '
one_version_only "ssl_protocols " "$P_13" "$P_12"
more_clients "ssl_protocols TLSv1.3: GET 5 MiB" "$P_13" f5m 1.3
more_clients "ssl_protocols TLSv1.2: GET 5 MiB" "$P_12" f5m 1.2

# ---- SNI: two server names, two certificates on one port
sni_checks "$P_EC" "server block"

# ---- two ssl_certificate lines (ECDSA and RSA) in one server: the client's
# signature algorithms (TLS 1.3) or suites (TLS 1.2) pick the certificate
for v in 1.3 1.2; do
  for want in RSA ECDSA; do
    args=(-tls1_3) cn=localhost
    [[ $want == RSA ]] && cn=rsa-leaf
    if [[ $want == RSA ]]; then args+=(-sigalgs rsa_pss_rsae_sha256); else args+=(-sigalgs ecdsa_secp256r1_sha256); fi
    if [[ $v == 1.2 ]]; then
      args=(-tls1_2)
      if [[ $want == RSA ]]; then args+=(-cipher ECDHE-RSA-AES128-GCM-SHA256); else args+=(-cipher ECDHE-ECDSA-AES128-GCM-SHA256); fi
    fi
    sys timeout 30 openssl s_client -connect "127.0.0.1:$P_BOTH" -servername localhost "${args[@]}" -CAfile "$PKI/ca.pem" \
      -verify_return_error </dev/null >"$WORK/both.out" 2>&1
    if grep -q -E "^subject=CN ?= ?$cn\$" "$WORK/both.out" && grep -q 'Verification: OK' "$WORK/both.out"; then
      pass "two certificates, TLS $v, s_client ${args[*]:1}: the $want one (CN=$cn)"
    else
      bad "two certificates, TLS $v, s_client ${args[*]:1}: $(grep -E '^(subject|Verification|Verify return code)' "$WORK/both.out" | tr '\n' ' '), expected CN=$cn"
      show "$WORK/both.out"; log_tail
    fi
  done
  # Both offered: TLS 1.3 follows the client's first scheme (OpenSSL's list
  # starts with ECDSA); TLS 1.2 nginx's suite order (ECDHE-ECDSA first).
  vflag=-tls1_3; [[ $v == 1.2 ]] && vflag=-tls1_2
  sys timeout 30 openssl s_client -connect "127.0.0.1:$P_BOTH" -servername localhost "$vflag" -CAfile "$PKI/ca.pem" \
    -verify_return_error </dev/null >"$WORK/both.out" 2>&1
  if grep -q -E "^subject=CN ?= ?localhost\$" "$WORK/both.out"; then
    pass "two certificates, TLS $v, s_client defaults: the ECDSA one"
  else
    bad "two certificates, TLS $v, s_client defaults: $(grep -E '^subject' "$WORK/both.out"), expected CN=localhost"; log_tail
  fi
done
get "GET 5 MiB, two certificates, TLS 1.2 ECDHE-RSA" f5m "$P_BOTH" f5m --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 -v &&
  verbose_has "  ... subject CN=rsa-leaf" 'subject: CN=rsa-leaf'

# ---- ssl_verify_client on, ssl_client_certificate the test CA
for v in 1.3 1.2; do
  vflag=-tls1_3; [[ $v == 1.2 ]] && vflag=-tls1_2
  sys timeout 30 openssl s_client -connect "127.0.0.1:$P_MTLS" -servername localhost "$vflag" -CAfile "$PKI/ca.pem" \
    </dev/null >"$WORK/cas.out" 2>&1
  if grep -A1 '^Acceptable client certificate CA names' "$WORK/cas.out" | grep -q -E 'CN ?= ?rapidtls dropin test CA'; then
    pass "ssl_client_certificate, TLS $v: the CertificateRequest names the test CA"
  else
    bad "ssl_client_certificate, TLS $v: $(grep -A2 -E '^(Acceptable client certificate CA names|No client certificate CA names sent)' "$WORK/cas.out" | tr '\n' ' ')"
    show "$WORK/cas.out"
  fi
done
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  if out=$("${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" --cert "$PKI/client.pem" --key "$PKI/client.key" \
    -w '\n%{http_code}' "https://localhost:$P_MTLS/" 2>"$WORK/curl.err"); then
    if [[ $out == $'CN=rapidtls-client\n200' ]]; then pass "client certificate, TLS $v: 200, \$ssl_client_s_dn CN=rapidtls-client"; else
      bad "client certificate, TLS $v: got '${out//$'\n'/ | }', expected 'CN=rapidtls-client | 200'"; log_tail; fi
  else
    bad "client certificate, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
  if code=$("${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" -o "$WORK/got" -w '%{http_code}' \
    "https://localhost:$P_MTLS/" 2>"$WORK/curl.err"); then
    if [[ $code == 400 ]]; then pass "no client certificate, TLS $v: 400 ($(grep -o -a -m1 'No required SSL certificate was sent' "$WORK/got" | head -1))"; else
      bad "no client certificate, TLS $v: HTTP $code, expected 400"; log_tail; fi
  else
    bad "no client certificate, TLS $v: curl exit $?, expected HTTP 400"; show "$WORK/curl.err"; log_tail
  fi
  rm -f "$WORK/got"
  "${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" --cert "$PKI/other.pem" --key "$PKI/other.key" -o "$WORK/got" -w '%{http_code}' \
    "https://localhost:$P_MTLS/" >"$WORK/code" 2>"$WORK/curl.err"
  rc=$?
  code=$(cat "$WORK/code")
  if ((rc == 0)) && [[ $code == 400 ]]; then
    pass "client certificate without clientAuth (other.pem), TLS $v: 400 ($(grep -o -a -m1 'The SSL certificate error' "$WORK/got" | head -1))"
  else
    bad "client certificate without clientAuth (other.pem), TLS $v: curl exit $rc, HTTP '$code', expected 400"; show "$WORK/curl.err"; log_tail
  fi
done

# ---- session resumption (resumes, lib.sh): a first connection saves its
# session, four more offer it and must be Reused, whichever of the two
# workers takes them: the ticket keys are made by the master before
# the workers fork (or read from ssl_session_ticket_key), and the shared
# session cache lives in shared memory (sessions cross the workers as
# i2d_SSL_SESSION bytes through nginx's new/get-session callbacks).
resumes "TLS 1.3 tickets" "$P_EC" 1.3
resumes "TLS 1.2 tickets (RFC 5077)" "$P_EC" 1.2
resumes "TLS 1.2 session id, ssl_session_cache shared:SSL:1m" "$P_SCACHE" 1.2
# ssl_session_tickets off sets SSL_OP_NO_TICKET: TLS 1.3 tickets then name
# a session in the shared cache (stateful tickets)
resumes "TLS 1.3 stateful tickets, ssl_session_cache shared:SSL:1m" "$P_SCACHE" 1.3
resumes "TLS 1.3 tickets, ssl_session_ticket_key" "$P_TKEY" 1.3
resumes "TLS 1.2 tickets, ssl_session_ticket_key" "$P_TKEY" 1.2
# curl keeps sessions through SSL_CTX_sess_set_new_cb: its second URL (a new
# connection: the first asked Connection: close) resumes.
for v in 1.2 1.3; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  if "${CURL[@]}" -v --cacert "$PKI/ca.pem" "${flags[@]}" -H 'Connection: close' \
    -o /dev/null "https://localhost:$P_SCACHE/small" -o /dev/null "https://localhost:$P_SCACHE/small" 2>"$WORK/curl.err"; then
    verbose_has "curl, TLS $v, ssl_session_cache: the second connection re-uses the session" 'SSL re-using session ID'
  else
    bad "curl, TLS $v, two connections to the session-cache server: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
done

# ---- OCSP stapling (ssl_stapling_file): s_client -status sees the response,
# curl --cert-status verifies it (signature by the CA, leaf "good")
for v in 1.3 1.2; do
  vflag=-tls1_3; [[ $v == 1.2 ]] && vflag=-tls1_2
  sys timeout 30 openssl s_client -connect "127.0.0.1:$P_OCSP" -servername localhost "$vflag" -status \
    -CAfile "$PKI/ca.pem" -verify_return_error </dev/null >"$WORK/ocsp.out" 2>&1
  if grep -q 'OCSP Response Status: successful' "$WORK/ocsp.out" && grep -q 'Cert Status: good' "$WORK/ocsp.out"; then
    pass "ssl_stapling, TLS $v: s_client -status gets the response (successful, Cert Status: good)"
  else
    bad "ssl_stapling, TLS $v: $(grep -E '^OCSP response|OCSP Response Status|Cert Status' "$WORK/ocsp.out" | tr '\n' ' ')"
    show "$WORK/ocsp.out"; log_tail
  fi
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  get "ssl_stapling, TLS $v: curl --cert-status (verifies the stapled response)" small "$P_OCSP" small \
    "${flags[@]}" --cert-status
done
# Without stapling configured, curl --cert-status fails (no response came).
"${CURL[@]}" -o /dev/null --cacert "$PKI/ca.pem" --cert-status "https://localhost:$P_EC/small" 2>"$WORK/curl.err"
rc=$?
if ((rc == 91)); then pass "no ssl_stapling: curl --cert-status fails (exit 91: $(grep '^curl: ' "$WORK/curl.err"))"; else
  bad "no ssl_stapling: curl --cert-status exit $rc, expected 91"; show "$WORK/curl.err"; fi

# ---- bodies at the record and buffer edges with sendfile on: 0 B, 1 B,
# 16 KiB (one full record), 16 KiB + 1, 10 MiB
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  for f in zero one k16 k16p1 f10m; do
    get "GET $f ($(stat -c %s "$WWW/$f") B), TLS $v, sendfile on" "$f" "$P_EC" "$f" "${flags[@]}"
  done
done

# ---- HTTP/2 over ALPN h2 (curl --http2), several streams on one connection
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  rm -f "$WORK"/h[12]
  if "${CURL[@]}" -v --http2 --cacert "$PKI/ca.pem" "${flags[@]}" -o "$WORK/h1" "https://localhost:$P_H2/f5m" \
    -o "$WORK/h2" "https://localhost:$P_H2/small" 2>"$WORK/curl.err"; then
    verbose_has "HTTP/2, TLS $v: ALPN h2 accepted" 'ALPN: server accepted h2|ALPN, server accepted to use h2'
    verbose_has "  ... HTTP/2 responses" '< HTTP/2 200'
    same_file "HTTP/2, TLS $v: 5 MiB" "$WWW/f5m" "$WORK/h1"
    same_file "HTTP/2, TLS $v: small, same connection" "$WWW/small" "$WORK/h2"
  else
    bad "HTTP/2, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
done

# ---- the stream module: TLS terminated by nginx, the bytes proxied to a
# plain HTTP server block
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  get "stream { ssl } proxy, TLS $v: GET 10 MiB" f10m "$P_STREAM" f10m "${flags[@]}"
done

# ---- ssl_verify_client optional: answered with or without a certificate
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  out=$("${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" "https://localhost:$P_OPT/" 2>"$WORK/curl.err")
  if [[ $out == "NONE " ]]; then pass "ssl_verify_client optional, TLS $v, no certificate: \$ssl_client_verify NONE"; else
    bad "ssl_verify_client optional, TLS $v, no certificate: got '$out', expected 'NONE '"; show "$WORK/curl.err"; log_tail; fi
  out=$("${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" --cert "$PKI/client.pem" --key "$PKI/client.key" \
    "https://localhost:$P_OPT/" 2>"$WORK/curl.err")
  if [[ $out == "SUCCESS CN=rapidtls-client" ]]; then pass "ssl_verify_client optional, TLS $v, certificate: SUCCESS CN=rapidtls-client"; else
    bad "ssl_verify_client optional, TLS $v, certificate: got '$out'"; show "$WORK/curl.err"; log_tail; fi
done

# ---- ssl_crl: a client certificate the CA revoked fails verification
# (X509_V_ERR_CERT_REVOKED through the X509_STORE's CRL checks), another passes
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  for who in client revoked; do
    # optional: a certificate that fails verification is still a 400 ("The
    # SSL certificate error"); the error log names the reason
    want=SUCCESS; [[ $who == revoked ]] && want="The SSL certificate error"
    out=$("${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" --cert "$PKI/$who.pem" --key "$PKI/$who.key" \
      "https://localhost:$P_CRL/" 2>"$WORK/curl.err")
    if [[ $out == "$want" || ($who == revoked && $out == *"$want"*) ]]; then
      pass "ssl_crl, TLS $v, $who.pem: $([[ $who == revoked ]] && echo "400, $want" || echo "\$ssl_client_verify $out")"
    else
      bad "ssl_crl, TLS $v, $who.pem: got '$(head -c 200 <<<"$out")', expected '$want'"; show "$WORK/curl.err"; log_tail
    fi
  done
done

if grep -q 'certificate revoked' "$ERRLOG"; then pass "ssl_crl: the error log says 'certificate revoked'"; else
  bad "ssl_crl: no 'certificate revoked' in the error log"; log_tail; fi

# ---- ssl_verify_client optional_no_ca: a client certificate of an unknown
# issuer (a self-signed one) is taken, its failure reported in
# $ssl_client_verify, and the request served
sys openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/stranger.key" \
  -out "$WORK/stranger.pem" -days 2 -subj "/CN=stranger" >/dev/null 2>&1 || fail "openssl req (test broken)"
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  out=$("${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" --cert "$WORK/stranger.pem" --key "$WORK/stranger.key" \
    "https://localhost:$P_NOCA/" 2>"$WORK/curl.err")
  if [[ $out == FAILED:*"|CN=stranger" ]]; then pass "ssl_verify_client optional_no_ca, TLS $v, unknown issuer: served, '$out'"; else
    bad "ssl_verify_client optional_no_ca, TLS $v, unknown issuer: got '$(head -c 200 <<<"$out")'"; show "$WORK/curl.err"; log_tail; fi
  out=$("${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" --cert "$PKI/client.pem" --key "$PKI/client.key" \
    "https://localhost:$P_NOCA/" 2>"$WORK/curl.err")
  if [[ $out == "SUCCESS|CN=rapidtls-client" ]]; then pass "ssl_verify_client optional_no_ca, TLS $v, the CA's client: SUCCESS"; else
    bad "ssl_verify_client optional_no_ca, TLS $v, the CA's client: got '$out'"; show "$WORK/curl.err"; log_tail; fi
done

# ---- ssl_ecdh_curve secp384r1: P-384 is used, a client with P-256 only is refused
for v in 1.3 1.2; do
  vflag=-tls1_3; [[ $v == 1.2 ]] && vflag=-tls1_2
  sys timeout 30 openssl s_client -connect "127.0.0.1:$P_CURVE" -servername localhost "$vflag" -CAfile "$PKI/ca.pem" \
    </dev/null >"$WORK/curve.out" 2>&1
  if grep -q -E 'Server Temp Key: ECDH, (secp384r1|P-384)' "$WORK/curve.out"; then
    pass "ssl_ecdh_curve secp384r1, TLS $v: $(grep -o 'Server Temp Key: [^,]*, [^,]*' "$WORK/curve.out")"
  else
    bad "ssl_ecdh_curve secp384r1, TLS $v: $(grep -E 'Temp Key|New,' "$WORK/curve.out" | tr '\n' ' ')"; log_tail
  fi
  sys timeout 30 openssl s_client -connect "127.0.0.1:$P_CURVE" -servername localhost "$vflag" -groups P-256 \
    -CAfile "$PKI/ca.pem" </dev/null >"$WORK/curve.out" 2>&1
  if grep -q -E '^New, \(NONE\)|alert handshake failure|no suitable|handshake failure' "$WORK/curve.out"; then
    pass "ssl_ecdh_curve secp384r1, TLS $v: a client offering only P-256 is refused"
  else
    bad "ssl_ecdh_curve secp384r1, TLS $v, client P-256 only: $(grep -E 'New,|alert' "$WORK/curve.out" | tr '\n' ' ')"
  fi
done

# ---- nginx -s reload (SIGHUP to the master): new workers, still on the
# drop-in library, serving
old_workers=" ${WORKERS[*]} "
sys nginx -p "$NGX" -e "$ERRLOG" -c "$NGX/nginx.conf" -s reload >"$WORK/reload.out" 2>&1 ||
  { bad "nginx -s reload: exit $?"; show "$WORK/reload.out"; }
NEW=()
for _ in $(seq 1 200); do
  mapfile -t NEW < <(ps -o pid= --ppid "$NPID" | tr -d ' ')
  fresh=0
  for w in "${NEW[@]}"; do [[ $old_workers == *" $w "* ]] || fresh=$((fresh + 1)); done
  ((fresh >= 2 && ${#NEW[@]} == 2)) && break
  sleep 0.05
done
if ((fresh >= 2 && ${#NEW[@]} == 2)); then pass "nginx -s reload: 2 new workers (${NEW[*]})"; else
  bad "nginx -s reload: workers '${NEW[*]}' (before: ${WORKERS[*]})"; log_tail; fi
if [[ $BASELINE != 1 ]]; then
  for w in "${NEW[@]}"; do
    if grep -q -F -e "$DROPIN_LIB" -e "$(readlink -f "$DROPIN_LIB")" "/proc/$w/maps" 2>/dev/null; then
      pass "reloaded worker $w maps the drop-in libssl"
    else
      bad "reloaded worker $w does not map $DROPIN_LIB"
    fi
  done
fi
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  get "after reload, TLS $v: GET 5 MiB" f5m "$P_EC" f5m "${flags[@]}"
done
resumes "after reload: TLS 1.2 tickets, ssl_session_ticket_key" "$P_TKEY" 1.2

# ---- nothing alarming in the error_log so far
if grep -q -E '\[(emerg|alert|crit)\]' "$ERRLOG"; then
  bad "nginx error_log has emerg/alert/crit lines"; grep -E '\[(emerg|alert|crit)\]' "$ERRLOG" | tail -20 | sed 's/^/    /'
else
  pass "nginx error_log: no emerg, alert or crit line"
fi

# ---- stop: SIGQUIT to the master (graceful), then wait for it
kill -QUIT "$NPID"
stopped=0
for _ in $(seq 1 200); do kill -0 "$NPID" 2>/dev/null || { stopped=1; break; }; sleep 0.05; done
if ((stopped)); then
  wait "$NPID"
  rc=$?
  if ((rc == 0)); then pass "nginx stopped by SIGQUIT (exit 0)"; else bad "nginx exit $rc after SIGQUIT"; log_tail; fi
else
  bad "nginx did not stop within 10 s of SIGQUIT"; log_tail
fi
if [[ -n ${RAPIDTLS_DEBUG:-} ]]; then
  echo "RAPIDTLS_DEBUG=$RAPIDTLS_DEBUG: unhandled control commands (nginx's stderr, then error_log):"
  if grep -q -a 'rapidtls: ' "$NGX/stderr" "$ERRLOG"; then
    cat "$NGX/stderr" "$ERRLOG" | grep -a 'rapidtls: ' | sort | uniq -c | sed 's/^/    /'
  else
    echo "    (none)"
  fi
fi
finish
