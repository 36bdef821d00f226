#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Debian's HAProxy 2.6 (`haproxy -f CFG -db`, in the foreground) with the
# libssl under test terminating TLS (`bind ... ssl crt`) in mode http in front
# of a plain backend (the system's python3 http.server serving $WORK/www); the
# clients are the system's curl and `openssl s_client` (system libssl), so only
# the server side is under test. Bodies (small and 5 MiB) checked by SHA-256
# over TLS 1.3 and 1.2; ssl-min-ver / ssl-max-ver; ALPN (alpn http/1.1);
# `verify required ca-file` client certificates (ssl_c_s_dn); SNI with two
# `crt`s on one bind and with a crt-list; TLS 1.3 and 1.2 session resumption
# with s_client -sess_out / -sess_in, by ticket and (no-tls-tickets) through
# HAProxy's own session cache; an ECDSA+RSA bundle; alpn h2,http/1.1 (curl
# --http2); re-encryption to a TLS backend (openssl s_server: HAProxy's client
# side verifies it and sends a client certificate); the libssl mapping. The
# client side's send buffer is small (tune.sndbuf.client), so large responses
# fill the socket.
# RAPIDTLS_DEBUG in the environment is passed to haproxy (e.g. ctrl).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need haproxy curl openssl "$PY"
make_pki
make_files small:1000 f5m:5242880

WWW=$WORK/www
HA=$WORK/haproxy
mkdir -p "$HA"
LOG=$HA/stderr

# HAProxy wants the certificate and its key in one file.
for n in leaf rsa other; do cat "$PKI/$n.pem" "$PKI/$n.key" >"$HA/$n.pem"; done
# A multi-certificate bundle: `crt both.pem` loads both.pem.ecdsa and both.pem.rsa.
cp "$HA/leaf.pem" "$HA/both.pem.ecdsa"
cp "$HA/rsa.pem" "$HA/both.pem.rsa"
cat >"$HA/crt-list" <<EOF
$HA/leaf.pem [alpn http/1.1] localhost
$HA/other.pem [alpn http/1.1] other.example
EOF
echo "$HA/leaf.pem [ssl-min-ver TLSv1.3] localhost" >"$HA/crt-list-13"

# unique_port: a free port not in $TAKEN (free_port may return the same port
# twice, and HAProxy would then share it between two binds with SO_REUSEPORT);
# the caller adds it to $TAKEN (the function runs in a $(...) subshell).
P_BACK=$(unique_port); TAKEN+="$P_BACK "  # python3 http.server (plain HTTP/1.1, system python)
P_MAIN=$(unique_port); TAKEN+="$P_MAIN "  # ECDSA leaf + other.example (two crt), alpn http/1.1, TLS 1.2-1.3
P_13=$(unique_port); TAKEN+="$P_13 "      # ssl-min-ver TLSv1.3
P_12=$(unique_port); TAKEN+="$P_12 "      # RSA leaf, ssl-max-ver TLSv1.2
P_MTLS=$(unique_port); TAKEN+="$P_MTLS "  # verify required ca-file ca.pem
P_LIST=$(unique_port); TAKEN+="$P_LIST "  # crt-list (localhost, other.example)
P_L13=$(unique_port); TAKEN+="$P_L13 "    # crt-list line [ssl-min-ver TLSv1.3]
P_NOTKT=$(unique_port); TAKEN+="$P_NOTKT "  # no-tls-tickets: HAProxy's session cache
P_BOTH=$(unique_port); TAKEN+="$P_BOTH "  # crt both.pem: the ECDSA and RSA bundle
P_H2=$(unique_port); TAKEN+="$P_H2 "      # alpn h2,http/1.1 (HTTP/2 to the client)
P_REENC=$(unique_port); TAKEN+="$P_REENC "  # TLS again to a TLS backend (HAProxy as client)

# ---- the TLS backend of the re-encrypting frontend: openssl s_server -WWW
# (system libssl) asking for a client certificate, so that HAProxy's client
# side (on the libssl under test) verifies the server and sends its own
start_s_server tlsback "$WWW" -WWW -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -verify 1 -CAfile "$PKI/ca.pem"
P_TLSBACK=$SPORT
cat "$PKI/client.pem" "$PKI/client.key" >"$HA/client.pem"

# ---- the backend: the system's python3, plain HTTP
sys "$PY" -m http.server --bind 127.0.0.1 --directory "$WWW" --protocol HTTP/1.1 "$P_BACK" \
  </dev/null >"$WORK/backend.out" 2>&1 &
BPID=$!
PIDS+=("$BPID")
if ! wait_port "$P_BACK" "$BPID"; then
  show "$WORK/backend.out"
  fail "the python3 http.server backend did not listen on 127.0.0.1:$P_BACK"
fi

# ---- haproxy configuration: everything in $HA
cat >"$HA/haproxy.cfg" <<EOF
global
  log stderr format raw local0 info
  nbthread 2
  # A small send buffer on the client side: every large response fills the
  # socket, so SSL_write meets a full socket through HAProxy's own BIO (which
  # keeps stale retry flags) in every run, not only on a loaded machine.
  tune.sndbuf.client 16384
  tune.ssl.default-dh-param 2048
  ssl-default-bind-options ssl-min-ver TLSv1.2

defaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 30s
  timeout server 30s

backend web
  server py 127.0.0.1:$P_BACK

frontend main
  bind 127.0.0.1:$P_MAIN ssl crt $HA/leaf.pem crt $HA/other.pem alpn http/1.1
  http-request return status 200 content-type text/plain lf-string "other.example %[ssl_fc_sni]\n" if { ssl_fc_sni other.example }
  http-request return status 200 content-type text/plain lf-string "alpn %[ssl_fc_alpn] %[ssl_fc_protocol]\n" if { path /alpn }
  default_backend web

frontend only13
  bind 127.0.0.1:$P_13 ssl crt $HA/leaf.pem ssl-min-ver TLSv1.3
  default_backend web

frontend only12
  bind 127.0.0.1:$P_12 ssl crt $HA/rsa.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2
  default_backend web

frontend mtls
  bind 127.0.0.1:$P_MTLS ssl crt $HA/leaf.pem verify required ca-file $PKI/ca.pem
  http-request return status 200 content-type text/plain lf-string "%[ssl_c_s_dn] %[ssl_c_verify]"

frontend list
  bind 127.0.0.1:$P_LIST ssl crt-list $HA/crt-list
  http-request return status 200 content-type text/plain lf-string "other.example %[ssl_fc_sni]\n" if { ssl_fc_sni other.example }
  default_backend web

frontend list13
  bind 127.0.0.1:$P_L13 ssl crt-list $HA/crt-list-13
  default_backend web

frontend notickets
  bind 127.0.0.1:$P_NOTKT ssl crt $HA/leaf.pem no-tls-tickets
  default_backend web

frontend both
  bind 127.0.0.1:$P_BOTH ssl crt $HA/both.pem
  default_backend web

frontend h2
  bind 127.0.0.1:$P_H2 ssl crt $HA/leaf.pem alpn h2,http/1.1
  default_backend web

backend tlsweb
  server s 127.0.0.1:$P_TLSBACK ssl verify required ca-file $PKI/ca.pem verifyhost localhost sni str(localhost) crt $HA/client.pem

frontend reencrypt
  bind 127.0.0.1:$P_REENC ssl crt $HA/leaf.pem
  default_backend tlsweb
EOF

# log_tail: the end of haproxy's output (its log goes to stderr).
log_tail() { show "$HA/stdout" "$LOG"; }

if ! sys haproxy -c -f "$HA/haproxy.cfg" >"$HA/check.out" 2>&1; then
  show "$HA/check.out"
  fail "haproxy -c (system libssl) rejects the configuration (test broken)"
fi

# ---- start haproxy with the libssl under test (with-rapidtls execs haproxy: $! is haproxy)
ENVV=()
[[ -n ${RAPIDTLS_DEBUG:-} ]] && ENVV=(RAPIDTLS_DEBUG="$RAPIDTLS_DEBUG")
env "${ENVV[@]}" "${RT[@]}" haproxy -f "$HA/haproxy.cfg" -db </dev/null >"$HA/stdout" 2>"$LOG" &
HPID=$!
PIDS+=("$HPID")
for p in "$P_MAIN" "$P_13" "$P_12" "$P_MTLS" "$P_LIST" "$P_L13" "$P_NOTKT" "$P_BOTH" "$P_H2" "$P_REENC"; do
  if ! wait_port "$p" "$HPID"; then
    log_tail
    fail "haproxy did not listen on 127.0.0.1:$p"
  fi
done
pass "haproxy $HPID listens on 10 TLS frontends"

# ---- the process really uses the libssl under test
if [[ $BASELINE == 1 ]]; then
  note "libssl mapping not checked (baseline: the system's libssl)"
else
  dropin_real=$(readlink -f "$DROPIN_LIB")
  maps=$(grep -E 'libssl\.so' "/proc/$HPID/maps" | awk '{print $6}' | sort -u | tr '\n' ' ')
  if grep -q -F -e "$DROPIN_LIB" -e "$dropin_real" "/proc/$HPID/maps" && ! grep -q -F "$SYSTEM_LIBSSL" "/proc/$HPID/maps"; then
    pass "haproxy $HPID maps the drop-in libssl ($maps)"
  else
    bad "haproxy $HPID: libssl mapped from '$maps', expected $DROPIN_LIB only"
  fi
fi

# sclient OUT ARGS...: the system's openssl s_client to 127.0.0.1 (stdin empty).
sclient() {
  local out=$1
  shift
  sys timeout 30 openssl s_client -CAfile "$PKI/ca.pem" -verify_return_error "$@" </dev/null >"$out" 2>&1
}

# ---- downloads through the proxy: small and 5 MiB, TLS 1.3 and 1.2
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  for f in small f5m; do
    get "GET $f via haproxy, TLS $v" "$f" "$P_MAIN" "$f" "${flags[@]}" -v &&
      verbose_has "  ... negotiated TLS $v" "SSL connection using TLSv${v/./\\.} / "
  done
done
# keep-alive: 3 URLs on one connection (haproxy keeps the client side open)
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  rm -f "$WORK"/k[1-3]
  if "${CURL[@]}" -v --cacert "$PKI/ca.pem" "${flags[@]}" -o "$WORK/k1" "https://localhost:$P_MAIN/f5m" \
    -o "$WORK/k2" "https://localhost:$P_MAIN/small" -o "$WORK/k3" "https://localhost:$P_MAIN/f5m" 2>"$WORK/curl.err"; then
    same_file "keep-alive, TLS $v: 1st of 3 URLs (5 MiB)" "$WWW/f5m" "$WORK/k1"
    same_file "keep-alive, TLS $v: 2nd of 3 URLs (small)" "$WWW/small" "$WORK/k2"
    same_file "keep-alive, TLS $v: 3rd of 3 URLs (5 MiB)" "$WWW/f5m" "$WORK/k3"
    n=$(grep -c 'Re-using existing connection' "$WORK/curl.err")
    if ((n == 2)); then pass "keep-alive, TLS $v: connection re-used 2 times"; else
      bad "keep-alive, TLS $v: connection re-used $n times, expected 2"; show "$WORK/curl.err"; log_tail; fi
  else
    bad "keep-alive, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
done

# ---- ssl-min-ver TLSv1.3 / ssl-max-ver TLSv1.2 (RSA leaf)
get "ssl-min-ver TLSv1.3: TLS 1.3 client, 5 MiB" f5m "$P_13" f5m --tlsv1.3 -v &&
  verbose_has "  ... negotiated TLS 1.3" 'SSL connection using TLSv1\.3 / '
get "ssl-max-ver TLSv1.2: TLS 1.2 client, 5 MiB, RSA leaf" f5m "$P_12" f5m --tlsv1.2 -v &&
  verbose_has "  ... negotiated TLS 1.2 (client offers 1.2 and 1.3)" 'SSL connection using TLSv1\.2 / ECDHE-RSA-' &&
  verbose_has "  ... subject CN=rsa-leaf" 'subject: CN=rsa-leaf'
more_clients "ssl-min-ver TLSv1.3: 5 MiB" "$P_13" f5m 1.3
more_clients "ssl-max-ver TLSv1.2: 5 MiB" "$P_12" f5m 1.2
# (bind ssl-min-ver/ssl-max-ver: on the SSL_CTX the SSL is made from; the
# crt-list line's: SSL_set_min/max_proto_version after the SNI context switch)
get "crt-list [ssl-min-ver TLSv1.3]: TLS 1.3 client, 5 MiB" f5m "$P_L13" f5m --tlsv1.3 -v &&
  verbose_has "  ... negotiated TLS 1.3" 'SSL connection using TLSv1\.3 / '
for only in 1.3 1.2 list1.3; do
  port=$P_13 flags=(--tlsv1.2 --tls-max 1.2) other=1.2 what="ssl-min-ver TLSv1.3"
  [[ $only == 1.2 ]] && port=$P_12 flags=(--tlsv1.3) other=1.3 what="ssl-max-ver TLSv1.2"
  [[ $only == list1.3 ]] && port=$P_L13 what="crt-list [ssl-min-ver TLSv1.3]"
  "${CURL[@]}" -v -o /dev/null --cacert "$PKI/ca.pem" "${flags[@]}" "https://localhost:$port/small" 2>"$WORK/curl.err"
  rc=$?
  if ((rc == 35)); then pass "$what: TLS $other client refused (curl exit 35: $(grep '^curl: ' "$WORK/curl.err"))"; else
    bad "$what: TLS $other client: curl exit $rc, expected 35 ($(grep -o 'SSL connection using .*' "$WORK/curl.err"))"
    log_tail
  fi
done

# ---- ALPN: alpn http/1.1
for v in 1.3 1.2; do
  vflag=-tls1_3; [[ $v == 1.2 ]] && vflag=-tls1_2
  sclient "$WORK/alpn.out" -connect "127.0.0.1:$P_MAIN" -servername localhost "$vflag" -alpn h2,http/1.1
  if grep -q '^ALPN protocol: http/1.1$' "$WORK/alpn.out"; then pass "ALPN, TLS $v: client offers h2,http/1.1, server selects http/1.1"; else
    bad "ALPN, TLS $v: $(grep -E 'ALPN' "$WORK/alpn.out" | tr '\n' ' '), expected 'ALPN protocol: http/1.1'"; show "$WORK/alpn.out"; log_tail; fi
  sclient "$WORK/alpn.out" -connect "127.0.0.1:$P_MAIN" -servername localhost "$vflag" -alpn h2
  if grep -q '^No ALPN negotiated$' "$WORK/alpn.out" || grep -q -i 'no application protocol' "$WORK/alpn.out"; then
    pass "ALPN, TLS $v: client offering only h2: none selected ($(grep -o -i -E 'No ALPN negotiated|no application protocol' "$WORK/alpn.out" | head -1))"
  else
    bad "ALPN, TLS $v: client offering only h2: $(grep -E 'ALPN' "$WORK/alpn.out" | tr '\n' ' ')"; show "$WORK/alpn.out"; log_tail; fi
done
if out=$("${CURL[@]}" -v --cacert "$PKI/ca.pem" "https://localhost:$P_MAIN/alpn" 2>"$WORK/curl.err"); then
  if [[ $out == "alpn http/1.1 TLSv1.3" ]]; then pass "curl: haproxy's ssl_fc_alpn is http/1.1, ssl_fc_protocol TLSv1.3"; else
    bad "curl /alpn: '$out', expected 'alpn http/1.1 TLSv1.3'"; log_tail; fi
  verbose_has "curl: ALPN server accepted http/1.1" 'ALPN: server accepted http/1\.1'
else
  bad "curl /alpn: exit $?"; show "$WORK/curl.err"; log_tail
fi

# ---- an ECDSA and RSA bundle (crt both.pem: both.pem.ecdsa, both.pem.rsa): the
# client's signature algorithms (TLS 1.3) or suites (TLS 1.2) pick the certificate.
# HAProxy picks the bundle's context itself (its client hello callback): RSA
# only when a listed scheme's low byte says rsa (rsa_pkcs1_*), so a client
# offering only rsa_pss_rsae_sha256 fails with the system libssl as well.
for v in 1.3 1.2; do
  for want in RSA ECDSA; do
    args=(-tls1_3 -sigalgs ecdsa_secp256r1_sha256) cn=localhost
    [[ $want == RSA ]] && args=(-tls1_3 -sigalgs rsa_pss_rsae_sha256:rsa_pkcs1_sha256) cn=rsa-leaf
    if [[ $v == 1.2 ]]; then
      args=(-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)
      [[ $want == RSA ]] && args=(-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)
    fi
    sclient "$WORK/both.out" -connect "127.0.0.1:$P_BOTH" -servername localhost "${args[@]}"
    if grep -q -E "^subject=CN ?= ?$cn\$" "$WORK/both.out" && grep -q 'Verification: OK' "$WORK/both.out"; then
      pass "ECDSA+RSA bundle, TLS $v, s_client ${args[*]:1}: the $want one (CN=$cn)"
    else
      bad "ECDSA+RSA bundle, TLS $v, s_client ${args[*]:1}: $(grep -E '^(subject|Verification|Verify return code)' "$WORK/both.out" | tr '\n' ' '), expected CN=$cn"
      show "$WORK/both.out"; log_tail
    fi
  done
done

# ---- SNI: two certificates, on one bind with two crt and with a crt-list
for kind in crt crt-list; do
  port=$P_MAIN; [[ $kind == crt-list ]] && port=$P_LIST
  for name in localhost other.example; do
    rm -f "$WORK/got"
    if "${CURL[@]}" -v --cacert "$PKI/ca.pem" --resolve "$name:$port:127.0.0.1" -o "$WORK/got" \
      "https://$name:$port/small" 2>"$WORK/curl.err"; then
      verbose_has "SNI $name ($kind, curl): certificate subject CN=$name" "subject: CN=${name//./\\.}"
      if [[ $name == other.example ]]; then
        if [[ $(cat "$WORK/got") == "other.example other.example" ]]; then pass "SNI other.example ($kind): ssl_fc_sni other.example"; else
          bad "SNI other.example ($kind): body '$(head -c 100 "$WORK/got")', expected 'other.example other.example'"; fi
      else
        same_file "SNI localhost ($kind): body" "$WWW/small" "$WORK/got"
      fi
    else
      bad "SNI $name ($kind, curl --resolve): curl exit $?"; show "$WORK/curl.err"; log_tail
    fi
    for v in 1.3 1.2; do
      vflag=-tls1_3; [[ $v == 1.2 ]] && vflag=-tls1_2
      sclient "$WORK/sni.out" -connect "127.0.0.1:$port" -servername "$name" "$vflag"
      if grep -q -E "^subject=CN ?= ?${name//./\\.}\$" "$WORK/sni.out" && grep -q 'Verification: OK' "$WORK/sni.out"; then
        pass "SNI $name ($kind, s_client, TLS $v): subject CN=$name"
      else
        bad "SNI $name ($kind, s_client, TLS $v): $(grep -E '^(subject|Verification|Verify return code)' "$WORK/sni.out" | tr '\n' ' ')"
        show "$WORK/sni.out"; log_tail
      fi
    done
  done
  # an unknown name gets the first certificate
  sys timeout 30 openssl s_client -connect "127.0.0.1:$port" -servername unknown.example </dev/null >"$WORK/sni.out" 2>&1
  if grep -q -E '^subject=CN ?= ?localhost$' "$WORK/sni.out"; then pass "SNI unknown.example ($kind): the default certificate (CN=localhost)"; else
    bad "SNI unknown.example ($kind): $(grep -E '^subject' "$WORK/sni.out"), expected CN=localhost"; show "$WORK/sni.out"; log_tail; fi
done

# ---- verify required ca-file: client certificates
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  if out=$("${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" --cert "$PKI/client.pem" --key "$PKI/client.key" \
    -w ' %{http_code}' "https://localhost:$P_MTLS/" 2>"$WORK/curl.err"); then
    if [[ $out == "/CN=rapidtls-client 0 200" ]]; then pass "client certificate, TLS $v: 200, ssl_c_s_dn /CN=rapidtls-client, ssl_c_verify 0"; else
      bad "client certificate, TLS $v: got '$out', expected '/CN=rapidtls-client 0 200'"; log_tail; fi
  else
    bad "client certificate, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
  for who in none other; do
    cert=(); [[ $who == other ]] && cert=(--cert "$PKI/other.pem" --key "$PKI/other.key")
    what="no client certificate"; [[ $who == other ]] && what="client certificate without clientAuth (other.pem)"
    rm -f "$WORK/got"
    "${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" "${cert[@]}" -o "$WORK/got" -w '%{http_code}' \
      "https://localhost:$P_MTLS/" >"$WORK/code" 2>"$WORK/curl.err"
    rc=$?
    # a TLS error (35 in the handshake; TLS 1.3: 55 or 56 after it), not a timeout
    if ((rc == 35 || rc == 55 || rc == 56)) && [[ ! -s $WORK/got ]]; then
      pass "$what, TLS $v: refused (curl exit $rc: $(grep '^curl: ' "$WORK/curl.err" | head -1))"
    else
      bad "$what, TLS $v: curl exit $rc, HTTP '$(cat "$WORK/code")', body '$(head -c 100 "$WORK/got" 2>/dev/null)', expected a refused handshake"
      log_tail
    fi
  done
done

# ---- session resumption with s_client -sess_out / -sess_in: tickets, and
# with no-tls-tickets HAProxy's own session cache (its new/get-session
# callbacks, sessions kept as i2d_SSL_SESSION bytes; TLS 1.3 then has
# stateful tickets naming cache entries)
for port in "$P_MAIN" "$P_NOTKT"; do
  how=tickets; [[ $port == "$P_NOTKT" ]] && how="no-tls-tickets (session cache)"
  for v in 1.3 1.2; do resumes "TLS $v, $how" "$port" "$v" 3; done
done

# ---- alpn h2,http/1.1: curl --http2 gets HTTP/2 (HAProxy's h2 mux over the
# TLS connection), curl --http1.1 HTTP/1.1
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  rm -f "$WORK"/h[12]
  if "${CURL[@]}" -v --http2 --cacert "$PKI/ca.pem" "${flags[@]}" -o "$WORK/h1" "https://localhost:$P_H2/f5m" \
    -o "$WORK/h2" "https://localhost:$P_H2/small" 2>"$WORK/curl.err"; then
    verbose_has "alpn h2,http/1.1, TLS $v: curl --http2 gets h2" 'ALPN: server accepted h2|ALPN, server accepted to use h2'
    same_file "HTTP/2, TLS $v: 5 MiB" "$WWW/f5m" "$WORK/h1"
    same_file "HTTP/2, TLS $v: small on the same connection" "$WWW/small" "$WORK/h2"
  else
    bad "HTTP/2, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
  get "alpn h2,http/1.1, TLS $v: curl --http1.1" small "$P_H2" small "${flags[@]}" --http1.1 -v &&
    verbose_has "  ... http/1.1 chosen" 'ALPN: server accepted http/1.1|ALPN, server accepted to use http/1.1'
done

# ---- re-encryption: TLS in from curl, TLS out to s_server (HAProxy's client
# side on the libssl under test: verify required, verifyhost, SNI, its own
# client certificate)
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  get "re-encryption to a TLS backend, client TLS $v: GET 5 MiB" f5m "$P_REENC" f5m "${flags[@]}"
done
if grep -a -q -E 'depth=0 CN ?= ?rapidtls-client' "$WORK/tlsback.out"; then
  pass "re-encryption: the backend got HAProxy's client certificate (CN=rapidtls-client)"
else
  bad "re-encryption: the backend saw no client certificate"; show "$WORK/tlsback.out"
fi

# ---- stop: SIGUSR1 (soft stop), then wait for it
kill -USR1 "$HPID"
stopped=0
for _ in $(seq 1 200); do kill -0 "$HPID" 2>/dev/null || { stopped=1; break; }; sleep 0.05; done
if ((stopped)); then
  wait "$HPID"
  rc=$?
  if ((rc == 0)); then pass "haproxy stopped by SIGUSR1 (exit 0)"; else bad "haproxy exit $rc after SIGUSR1"; log_tail; fi
else
  bad "haproxy did not stop within 10 s of SIGUSR1"; log_tail
fi
if grep -q -a -i -E 'ALERT|emerg' "$LOG"; then
  bad "haproxy's output has ALERT lines"; grep -a -i -E 'ALERT|emerg' "$LOG" | tail -20 | sed 's/^/    /'
else
  pass "haproxy's output: no ALERT line"
fi
if [[ -n ${RAPIDTLS_DEBUG:-} ]]; then
  echo "RAPIDTLS_DEBUG=$RAPIDTLS_DEBUG: unhandled control commands (haproxy's output):"
  if grep -q -a 'rapidtls: ' "$HA/stdout" "$LOG"; then
    cat "$HA/stdout" "$LOG" | grep -a 'rapidtls: ' | sort | uniq -c | sed 's/^/    /'
  else
    echo "    (none)"
  fi
fi
finish
