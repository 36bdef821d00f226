#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Debian's lighttpd with mod_openssl (`lighttpd -D`: one process in the
# foreground) with the libssl under test as the HTTPS server; configuration,
# pid file and logs in the work folder. The clients are the system's curl and
# `openssl s_client` (system libssl), so only the server side is under test.
# Files (small and 5 MiB) checked by SHA-256 over TLS 1.3 and 1.2, keep-alive;
# MinProtocol/MaxProtocol through ssl.openssl.ssl-conf-cmd (SSL_CONF_cmd);
# ECDSA and RSA leaves; SNI (a $HTTP["host"] condition with its own
# certificate); ssl.verifyclient with the test CA; session resumption (TLS 1.3
# and 1.2, lighttpd's own ticket keys through the ticket key callback); the
# process's libssl mapping.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need lighttpd curl openssl
[[ -e /usr/lib/lighttpd/mod_openssl.so ]] ||
  fail "the test needs /usr/lib/lighttpd/mod_openssl.so (scripts/setup.sh installs lighttpd-mod-openssl)"
make_pki
make_files small:1000 f5m:5242880

WWW=$WORK/www
LT=$WORK/lighttpd
mkdir -p "$LT/other" "$LT/upload"
echo "other.example" >"$LT/other/index.html"
ERRLOG=$LT/error.log

P_EC=$(unique_port); TAKEN+="$P_EC "      # ECDSA leaf (localhost) + other.example by SNI
P_13=$(unique_port); TAKEN+="$P_13 "      # MinProtocol TLSv1.3
P_12=$(unique_port); TAKEN+="$P_12 "      # RSA leaf, MaxProtocol TLSv1.2
P_MTLS=$(unique_port); TAKEN+="$P_MTLS "  # ssl.verifyclient.activate + enforce

cat >"$LT/lighttpd.conf" <<EOF
server.modules = ( "mod_openssl" )
server.document-root = "$WWW"
server.bind = "127.0.0.1"
server.port = $P_EC
server.pid-file = "$LT/lighttpd.pid"
server.errorlog = "$ERRLOG"
server.upload-dirs = ( "$LT/upload" )
index-file.names = ( "index.html" )
mimetype.assign = ( "" => "application/octet-stream" )
ssl.engine = "enable"
ssl.pemfile = "$PKI/leaf.pem"
ssl.privkey = "$PKI/leaf.key"
\$HTTP["host"] == "other.example" {
  ssl.pemfile = "$PKI/other.pem"
  ssl.privkey = "$PKI/other.key"
  server.document-root = "$LT/other"
}
\$SERVER["socket"] == "127.0.0.1:$P_13" {
  ssl.engine = "enable"
  ssl.pemfile = "$PKI/leaf.pem"
  ssl.privkey = "$PKI/leaf.key"
  ssl.openssl.ssl-conf-cmd = ( "MinProtocol" => "TLSv1.3" )
}
\$SERVER["socket"] == "127.0.0.1:$P_12" {
  ssl.engine = "enable"
  ssl.pemfile = "$PKI/rsa.pem"
  ssl.privkey = "$PKI/rsa.key"
  ssl.openssl.ssl-conf-cmd = ( "MaxProtocol" => "TLSv1.2" )
}
\$SERVER["socket"] == "127.0.0.1:$P_MTLS" {
  ssl.engine = "enable"
  ssl.pemfile = "$PKI/leaf.pem"
  ssl.privkey = "$PKI/leaf.key"
  ssl.ca-file = "$PKI/ca.pem"
  ssl.verifyclient.activate = "enable"
  ssl.verifyclient.enforce = "enable"
  ssl.verifyclient.depth = 2
}
EOF

log_tail() { show "$LT/stdout" "$LT/stderr" "$ERRLOG"; }

if ! sys lighttpd -t -f "$LT/lighttpd.conf" >"$LT/test.out" 2>&1; then
  show "$LT/test.out"
  fail "lighttpd -t (system libssl) rejects the configuration (test broken)"
fi

# ---- start lighttpd with the libssl under test (with-rapidtls execs it: $! is lighttpd)
"${RT[@]}" lighttpd -D -f "$LT/lighttpd.conf" </dev/null >"$LT/stdout" 2>"$LT/stderr" &
LPID=$!
PIDS+=("$LPID")
for p in "$P_EC" "$P_13" "$P_12" "$P_MTLS"; do
  if ! wait_port "$p" "$LPID"; then
    log_tail
    fail "lighttpd did not listen on 127.0.0.1:$p"
  fi
done
pass "lighttpd -D $LPID listens on 4 ports"

if [[ $BASELINE == 1 ]]; then
  note "libssl mapping not checked (baseline: the system's libssl)"
else
  dropin_real=$(readlink -f "$DROPIN_LIB")
  maps=$(grep -E 'libssl\.so' "/proc/$LPID/maps" | awk '{print $6}' | sort -u | tr '\n' ' ')
  if grep -q -F -e "$DROPIN_LIB" -e "$dropin_real" "/proc/$LPID/maps" && ! grep -q -F "$SYSTEM_LIBSSL" "/proc/$LPID/maps"; then
    pass "lighttpd $LPID maps the drop-in libssl ($maps)"
  else
    bad "lighttpd $LPID: libssl mapped from '$maps', expected $DROPIN_LIB only"
  fi
fi

# ---- downloads: small and 5 MiB, TLS 1.3 and 1.2; keep-alive
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  for f in small f5m; do
    get "GET $f, TLS $v" "$f" "$P_EC" "$f" "${flags[@]}" -v &&
      verbose_has "  ... negotiated TLS $v" "SSL connection using TLSv${v/./\\.} / " &&
      verbose_has "  ... subject CN=localhost" 'subject: CN=localhost'
  done
  rm -f "$WORK"/k[123]
  if "${CURL[@]}" -v --cacert "$PKI/ca.pem" "${flags[@]}" -o "$WORK/k1" "https://localhost:$P_EC/f5m" \
    -o "$WORK/k2" "https://localhost:$P_EC/small" -o "$WORK/k3" "https://localhost:$P_EC/f5m" 2>"$WORK/curl.err"; then
    same_file "keep-alive, TLS $v: 1st of 3 URLs (5 MiB)" "$WWW/f5m" "$WORK/k1"
    same_file "keep-alive, TLS $v: 2nd of 3 URLs (small)" "$WWW/small" "$WORK/k2"
    same_file "keep-alive, TLS $v: 3rd of 3 URLs (5 MiB)" "$WWW/f5m" "$WORK/k3"
    n=$(grep -c 'Re-using existing connection' "$WORK/curl.err")
    if ((n == 2)); then pass "keep-alive, TLS $v: connection re-used twice"; else
      bad "keep-alive, TLS $v: connection re-used $n times, expected 2"; show "$WORK/curl.err"; log_tail; fi
  else
    bad "keep-alive, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
done

# ---- one version per socket (SSL_CONF_cmd MinProtocol / MaxProtocol); the RSA leaf
get "MinProtocol TLSv1.3: GET f5m, TLS 1.3" f5m "$P_13" f5m --tlsv1.3 -v &&
  verbose_has "  ... negotiated TLS 1.3" 'SSL connection using TLSv1\.3 / '
get "MaxProtocol TLSv1.2: GET f5m (client offers 1.2 and 1.3), RSA leaf" f5m "$P_12" f5m --tlsv1.2 -v &&
  verbose_has "  ... negotiated TLS 1.2, ECDHE-RSA" 'SSL connection using TLSv1\.2 / ECDHE-RSA-' &&
  verbose_has "  ... subject CN=rsa-leaf" 'subject: CN=rsa-leaf'
one_version_only "" "$P_13" "$P_12"
more_clients "MinProtocol TLSv1.3: GET f5m" "$P_13" f5m 1.3
more_clients "MaxProtocol TLSv1.2: GET f5m" "$P_12" f5m 1.2

# ---- SNI: other.example's condition has its own certificate and document root
sni_checks "$P_EC" "document root"

# ---- ssl.verifyclient (enforce) with the test CA
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  get "client certificate, TLS $v: GET f5m" f5m "$P_MTLS" f5m "${flags[@]}" \
    --cert "$PKI/client.pem" --key "$PKI/client.key"
  for who in none other; do
    cert=(); [[ $who == other ]] && cert=(--cert "$PKI/other.pem" --key "$PKI/other.key")
    what="no client certificate"; [[ $who == other ]] && what="client certificate without clientAuth (other.pem)"
    rm -f "$WORK/got"
    "${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" "${cert[@]}" -o "$WORK/got" -w '%{http_code}' \
      "https://localhost:$P_MTLS/small" >"$WORK/code" 2>"$WORK/curl.err"
    rc=$?
    # refused in the handshake (35; TLS 1.3: 55 or 56 after it), or with a 403
    code=$(cat "$WORK/code")
    if { ((rc == 35 || rc == 55 || rc == 56)) && [[ ! -s $WORK/got ]]; } || [[ $code == 403 ]]; then
      pass "$what, TLS $v: refused (curl exit $rc, HTTP '$code')"
    else
      bad "$what, TLS $v: curl exit $rc, HTTP '$code', expected a refusal"; show "$WORK/curl.err"; log_tail
    fi
  done
done

# ---- session resumption (lighttpd's ticket keys, through the ticket key callback)
for v in 1.3 1.2; do resumes "TLS $v" "$P_EC" "$v" 3; done

# ---- nothing alarming in the error log
if grep -q -i -E '\((emerg|alert|crit)\)|segfault|assert' "$ERRLOG"; then
  bad "lighttpd error log has alarming lines"; tail -20 "$ERRLOG" | sed 's/^/    /'
else
  pass "lighttpd error log: nothing alarming"
fi

# ---- stop: SIGTERM to lighttpd, then wait for it
kill -TERM "$LPID"
stopped=0
for _ in $(seq 1 200); do kill -0 "$LPID" 2>/dev/null || { stopped=1; break; }; sleep 0.05; done
if ((stopped)); then
  wait "$LPID"
  rc=$?
  if ((rc == 0)); then pass "lighttpd stopped by SIGTERM (exit 0)"; else bad "lighttpd exit $rc after SIGTERM"; log_tail; fi
else
  bad "lighttpd did not stop within 10 s of SIGTERM"; log_tail
fi
finish
