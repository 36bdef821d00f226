#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Debian's stunnel 5.68 (`stunnel4 CFG` with foreground = yes) with the libssl
# under test, both ways:
# - TLS server services in front of a plain file server (the system's python3
#   http.server): the system's curl and `openssl s_client` connect with TLS;
#   small and 5 MiB bodies by SHA-256 over TLS 1.3 and 1.2 (sslVersionMin /
#   sslVersionMax, one version per service, the other refused), ECDSA and RSA
#   leaves, client certificates (verifyChain, CAfile, requireCert);
# - a TLS client service (client = yes, verifyChain, checkHost, sni) that the
#   system's curl reaches in plain HTTP, in front of `openssl s_server -WWW`
#   (system libssl) on TLS 1.3 and 1.2, and a server whose name does not match;
# - end to end, both ends on the libssl under test: a client service whose
#   server is the [any] / [only12] server service (TLS 1.3 and 1.2, client
#   certificates both ways), with session resumption between the two.
# RAPIDTLS_DEBUG in the environment is passed to stunnel (e.g. ctrl).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need stunnel4 curl openssl "$PY"
make_pki
make_files small:1000 f5m:5242880

WWW=$WORK/www
ST=$WORK/stunnel
mkdir -p "$ST"
LOG=$ST/stunnel.log

# unique_port: a free port not in $TAKEN (free_port may return the same port
# twice); the caller adds it to $TAKEN (the function runs in a $(...) subshell).
P_BACK=$(unique_port); TAKEN+="$P_BACK "  # python3 http.server (plain HTTP, system python)
P_ANY=$(unique_port); TAKEN+="$P_ANY "    # server service, ECDSA leaf, TLS 1.2 and 1.3
P_13=$(unique_port); TAKEN+="$P_13 "      # server service, sslVersionMin/Max TLSv1.3
P_12=$(unique_port); TAKEN+="$P_12 "      # server service, RSA leaf, sslVersionMin/Max TLSv1.2
P_MTLS=$(unique_port); TAKEN+="$P_MTLS "  # server service, verifyChain + CAfile + requireCert
P_C13=$(unique_port); TAKEN+="$P_C13 "    # client service -> s_server -WWW -tls1_3
P_C12=$(unique_port); TAKEN+="$P_C12 "    # client service -> s_server -WWW -tls1_2
P_CBAD=$(unique_port); TAKEN+="$P_CBAD "  # client service, checkHost other.example -> s_server
P_E13=$(unique_port); TAKEN+="$P_E13 "    # client service -> [any] (both ends under test)
P_E12=$(unique_port); TAKEN+="$P_E12 "    # client service -> [only12] (both ends under test)
P_EM=$(unique_port); TAKEN+="$P_EM "      # client service with a client certificate -> [mtls]

# ---- the plain backend: the system's python3
sys "$PY" -m http.server --bind 127.0.0.1 --directory "$WWW" "$P_BACK" \
  </dev/null >"$WORK/backend.out" 2>&1 &
BPID=$!
PIDS+=("$BPID")
if ! wait_port "$P_BACK" "$BPID"; then
  show "$WORK/backend.out"
  fail "the python3 http.server backend did not listen on 127.0.0.1:$P_BACK"
fi

# ---- TLS servers for the client services: openssl s_server -WWW (system libssl)
start_s_server srv13 "$WWW" -WWW -tls1_3 -cert "$PKI/leaf.pem" -key "$PKI/leaf.key"
S13=$SPORT
start_s_server srv12 "$WWW" -WWW -tls1_2 -cert "$PKI/rsa.pem" -key "$PKI/rsa.key"
S12=$SPORT

# log_tail: the end of stunnel's log and output (for a failure's context).
log_tail() { show "$ST/stdout" "$ST/stderr" "$LOG"; }

ENVV=()
[[ -n ${RAPIDTLS_DEBUG:-} ]] && ENVV=(RAPIDTLS_DEBUG="$RAPIDTLS_DEBUG")

# ---- first, one server service with stunnel's defaults (its default `curves`
# is X25519:P-256:X448:P-521:P-384, set with SSL_CTX_set1_groups_list)
P_DEF=$(unique_port); TAKEN+="$P_DEF "
cat >"$ST/default.conf" <<EOF
foreground = yes
pid = $ST/default.pid
output = $ST/default.log
syslog = no
[default]
accept = 127.0.0.1:$P_DEF
connect = 127.0.0.1:$P_BACK
cert = $PKI/leaf.pem
key = $PKI/leaf.key
EOF
env "${ENVV[@]}" "${RT[@]}" stunnel4 "$ST/default.conf" </dev/null >"$ST/default.stdout" 2>"$ST/default.stderr" &
DPID=$!
PIDS+=("$DPID")
if wait_port "$P_DEF" "$DPID"; then
  get_ok=0
  sys curl -sS --max-time 30 --cacert "$PKI/ca.pem" -o "$WORK/got" "https://localhost:$P_DEF/f5m" 2>"$WORK/curl.err" && get_ok=1
  if ((get_ok)); then same_file "stunnel's default settings (curves X25519:P-256:X448:P-521:P-384): starts, GET f5m" "$WWW/f5m" "$WORK/got"; else
    bad "stunnel's default settings: started, GET f5m failed"; show "$WORK/curl.err" "$ST/default.log"; fi
else
  bad "stunnel's default settings (curves X25519:P-256:X448:P-521:P-384): does not start"
  grep -a -E '^\[!\]' "$ST/default.stderr" | sed 's/^/    /'
fi
stop "$DPID"
# The other services name the curves rapidtls implements (X448 left out), so
# that the rest is tested even where the default list is refused.

# ---- stunnel configuration: everything in $ST
cat >"$ST/stunnel.conf" <<EOF
foreground = yes
pid = $ST/stunnel.pid
output = $LOG
debug = info
syslog = no
curves = X25519:P-256:P-521:P-384

[any]
accept = 127.0.0.1:$P_ANY
connect = 127.0.0.1:$P_BACK
cert = $PKI/leaf.pem
key = $PKI/leaf.key

[only13]
accept = 127.0.0.1:$P_13
connect = 127.0.0.1:$P_BACK
cert = $PKI/leaf.pem
key = $PKI/leaf.key
sslVersionMin = TLSv1.3
sslVersionMax = TLSv1.3

[only12]
accept = 127.0.0.1:$P_12
connect = 127.0.0.1:$P_BACK
cert = $PKI/rsa.pem
key = $PKI/rsa.key
sslVersionMin = TLSv1.2
sslVersionMax = TLSv1.2

[mtls]
accept = 127.0.0.1:$P_MTLS
connect = 127.0.0.1:$P_BACK
cert = $PKI/leaf.pem
key = $PKI/leaf.key
CAfile = $PKI/ca.pem
verifyChain = yes
requireCert = yes

[client13]
client = yes
accept = 127.0.0.1:$P_C13
connect = 127.0.0.1:$S13
CAfile = $PKI/ca.pem
verifyChain = yes
checkHost = localhost
sni = localhost

[client12]
client = yes
accept = 127.0.0.1:$P_C12
connect = 127.0.0.1:$S12
CAfile = $PKI/ca.pem
verifyChain = yes
checkHost = localhost
sni = localhost

[clientbad]
client = yes
accept = 127.0.0.1:$P_CBAD
connect = 127.0.0.1:$S13
CAfile = $PKI/ca.pem
verifyChain = yes
checkHost = other.example
sni = other.example

[e2e13]
client = yes
accept = 127.0.0.1:$P_E13
connect = 127.0.0.1:$P_ANY
CAfile = $PKI/ca.pem
verifyChain = yes
checkHost = localhost
sni = localhost

[e2e12]
client = yes
accept = 127.0.0.1:$P_E12
connect = 127.0.0.1:$P_12
CAfile = $PKI/ca.pem
verifyChain = yes
checkHost = localhost
sni = localhost

[e2emtls]
client = yes
accept = 127.0.0.1:$P_EM
connect = 127.0.0.1:$P_MTLS
CAfile = $PKI/ca.pem
verifyChain = yes
checkHost = localhost
cert = $PKI/client.pem
key = $PKI/client.key
EOF

# ---- start stunnel with the libssl under test (with-rapidtls execs stunnel4: $! is stunnel)
env "${ENVV[@]}" "${RT[@]}" stunnel4 "$ST/stunnel.conf" </dev/null >"$ST/stdout" 2>"$ST/stderr" &
TPID=$!
PIDS+=("$TPID")
for p in "$P_ANY" "$P_13" "$P_12" "$P_MTLS" "$P_C13" "$P_C12" "$P_CBAD" "$P_E13" "$P_E12" "$P_EM"; do
  if ! wait_port "$p" "$TPID"; then
    log_tail
    fail "stunnel did not listen on 127.0.0.1:$p"
  fi
done
for _ in $(seq 1 100); do [[ -s $ST/stunnel.pid ]] && break; sleep 0.05; done
if [[ $(tr -d ' \n' <"$ST/stunnel.pid" 2>/dev/null) == "$TPID" ]]; then pass "stunnel $TPID listens on 7 services, pid file $ST/stunnel.pid"; else
  bad "stunnel pid file says '$(cat "$ST/stunnel.pid" 2>/dev/null)', expected $TPID"; log_tail; fi

# ---- the process really uses the libssl under test
if [[ $BASELINE == 1 ]]; then
  note "libssl mapping not checked (baseline: the system's libssl)"
else
  dropin_real=$(readlink -f "$DROPIN_LIB")
  maps=$(grep -E 'libssl\.so' "/proc/$TPID/maps" | awk '{print $6}' | sort -u | tr '\n' ' ')
  if grep -q -F -e "$DROPIN_LIB" -e "$dropin_real" "/proc/$TPID/maps" && ! grep -q -F "$SYSTEM_LIBSSL" "/proc/$TPID/maps"; then
    pass "stunnel $TPID maps the drop-in libssl ($maps)"
  else
    bad "stunnel $TPID: libssl mapped from '$maps', expected $DROPIN_LIB only"
  fi
fi

TLS=(--cacert "$PKI/ca.pem")

# ---- server services: downloads through stunnel, TLS 1.3 and 1.2
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  for f in small f5m; do
    get_url "server service: GET $f, TLS $v" "$f" "https://localhost:$P_ANY/$f" "${TLS[@]}" "${flags[@]}" -v &&
      verbose_has "  ... negotiated TLS $v" "SSL connection using TLSv${v/./\\.} / " &&
      verbose_has "  ... subject CN=localhost" 'subject: CN=localhost'
  done
done
get_url "sslVersionMin/Max TLSv1.3: GET f5m, TLS 1.3" f5m "https://localhost:$P_13/f5m" "${TLS[@]}" -v &&
  verbose_has "  ... negotiated TLS 1.3" 'SSL connection using TLSv1\.3 / '
get_url "sslVersionMin/Max TLSv1.2: GET f5m (client offers 1.2 and 1.3), RSA leaf" f5m "https://localhost:$P_12/f5m" "${TLS[@]}" --tlsv1.2 -v &&
  verbose_has "  ... negotiated TLS 1.2, ECDHE-RSA" 'SSL connection using TLSv1\.2 / ECDHE-RSA-' &&
  verbose_has "  ... subject CN=rsa-leaf" 'subject: CN=rsa-leaf'
more_clients "sslVersionMin/Max TLSv1.3: GET f5m" "$P_13" f5m 1.3
more_clients "sslVersionMin/Max TLSv1.2: GET f5m" "$P_12" f5m 1.2
for only in 1.3 1.2; do
  port=$P_13 flags=(--tlsv1.2 --tls-max 1.2) other=1.2
  [[ $only == 1.2 ]] && port=$P_12 flags=(--tlsv1.3) other=1.3
  "${CURL[@]}" -v -o /dev/null "${TLS[@]}" "${flags[@]}" "https://localhost:$port/small" 2>"$WORK/curl.err"
  rc=$?
  if ((rc == 35)); then pass "sslVersionMin/Max TLSv$only: TLS $other client refused (curl exit 35: $(grep '^curl: ' "$WORK/curl.err"))"; else
    bad "sslVersionMin/Max TLSv$only: TLS $other client: curl exit $rc, expected 35 ($(grep -o 'SSL connection using .*' "$WORK/curl.err"))"
    log_tail
  fi
done
# openssl s_client: the server's certificate chain verifies, the protocol is the one asked for
for v in 1.3 1.2; do
  vflag=-tls1_3; [[ $v == 1.2 ]] && vflag=-tls1_2
  sys timeout 30 openssl s_client -connect "127.0.0.1:$P_ANY" -servername localhost "$vflag" -CAfile "$PKI/ca.pem" \
    -verify_return_error </dev/null >"$WORK/sc.out" 2>&1
  if grep -q "^New, TLSv$v" "$WORK/sc.out" && grep -q 'Verification: OK' "$WORK/sc.out"; then
    pass "s_client, TLS $v: New, TLSv$v, verification OK"
  else
    bad "s_client, TLS $v: $(grep -E '^(New|Verification|Verify return code)' "$WORK/sc.out" | tr '\n' ' ')"; show "$WORK/sc.out"; log_tail
  fi
done

# ---- client certificates: verifyChain, CAfile, requireCert
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  get_url "client certificate, TLS $v: GET f5m" f5m "https://localhost:$P_MTLS/f5m" "${TLS[@]}" "${flags[@]}" \
    --cert "$PKI/client.pem" --key "$PKI/client.key"
  rm -f "$WORK/got"
  "${CURL[@]}" "${TLS[@]}" "${flags[@]}" -o "$WORK/got" "https://localhost:$P_MTLS/small" 2>"$WORK/curl.err"
  rc=$?
  if ((rc == 35 || rc == 55 || rc == 56)) && [[ ! -s $WORK/got ]]; then
    pass "no client certificate, TLS $v: refused (curl exit $rc: $(grep '^curl: ' "$WORK/curl.err" | head -1))"
  else
    bad "no client certificate, TLS $v: curl exit $rc, $(stat -c %s "$WORK/got" 2>/dev/null || echo 0) bytes received, expected a refused handshake"
    log_tail
  fi
done
if grep -q -a 'CN=rapidtls-client' "$LOG"; then pass "stunnel's log names the client certificate (CN=rapidtls-client)"; else
  bad "stunnel's log has no CN=rapidtls-client line"; log_tail; fi

# ---- client services: plain HTTP in, TLS out to openssl s_server -WWW
for v in 1.3 1.2; do
  port=$P_C13 out=srv13; [[ $v == 1.2 ]] && port=$P_C12 out=srv12
  for f in small f5m; do
    get_url "client service, TLS $v to s_server -WWW: GET $f" "$f" "http://127.0.0.1:$port/$f" ||
      show "$WORK/$out.out"
  done
done
if grep -q -a -E 'Certificate accepted at depth=0: CN ?= ?localhost' "$LOG"; then
  pass "client service: stunnel accepted the server's certificate (CN=localhost at depth 0)"
else
  bad "client service: no 'Certificate accepted at depth=0: CN=localhost' in stunnel's log"; log_tail
fi
rm -f "$WORK/got"
"${CURL[@]}" -o "$WORK/got" "http://127.0.0.1:$P_CBAD/small" 2>"$WORK/curl.err"
rc=$?
if ((rc != 0 && rc != 28)) && [[ ! -s $WORK/got ]]; then
  pass "client service, checkHost other.example against CN=localhost: no body (curl exit $rc: $(grep '^curl: ' "$WORK/curl.err" | head -1))"
else
  bad "client service, checkHost other.example against CN=localhost: curl exit $rc, $(stat -c %s "$WORK/got" 2>/dev/null || echo 0) bytes, expected nothing"
  log_tail
fi

# ---- end to end: curl (plain) -> client service -> TLS, both ends on the
# libssl under test -> server service -> python3 (plain)
for port in "$P_E13" "$P_E12" "$P_EM"; do
  what="TLS 1.3 to [any]"
  [[ $port == "$P_E12" ]] && what="TLS 1.2 to [only12] (RSA leaf)"
  [[ $port == "$P_EM" ]] && what="client certificate to [mtls]"
  for f in small f5m; do
    get_url "end to end, $what: GET $f" "$f" "http://127.0.0.1:$port/$f"
  done
done
# stunnel's client keeps its session per service: the second connection of
# a service resumes it, and only the end-to-end services have both ends here
# ("TLS accepted: previous session reused": a server service resumed).
n=$(grep -a -c 'TLS accepted: previous session reused' "$LOG")
if ((n >= 3)); then pass "end to end: the server services resumed $n sessions of the client services"; else
  bad "end to end: $n resumed sessions on the server side, expected 3 (one per service's second GET)"
  grep -a -i 'session' "$LOG" | tail -10 | sed 's/^/    /'; fi

# ---- stop: SIGTERM, then wait for it
kill -TERM "$TPID"
stopped=0
for _ in $(seq 1 200); do kill -0 "$TPID" 2>/dev/null || { stopped=1; break; }; sleep 0.05; done
if ((stopped)); then
  wait "$TPID"
  rc=$?
  if ((rc == 0)); then pass "stunnel stopped by SIGTERM (exit 0)"; else bad "stunnel exit $rc after SIGTERM"; log_tail; fi
else
  bad "stunnel did not stop within 10 s of SIGTERM"; log_tail
fi
if [[ -n ${RAPIDTLS_DEBUG:-} ]]; then
  echo "RAPIDTLS_DEBUG=$RAPIDTLS_DEBUG: unhandled control commands (stunnel's output and log):"
  if grep -q -a 'rapidtls: ' "$ST/stdout" "$ST/stderr" "$LOG"; then
    cat "$ST/stdout" "$ST/stderr" "$LOG" | grep -a 'rapidtls: ' | sort | uniq -c | sed 's/^/    /'
  else
    echo "    (none)"
  fi
fi
finish
