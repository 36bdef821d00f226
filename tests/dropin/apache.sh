#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Debian's Apache 2.4 with mod_ssl (`apache2 -X`: one process in the
# foreground, mpm_prefork, User/Group www-data) with the libssl under test as
# the HTTPS server; its configuration, pid file, mutexes and logs are in the
# work folder. The clients are the system's curl and `openssl s_client`
# (system libssl), so only the server side is under test. Files (small and
# 5 MiB) checked by SHA-256 over TLS 1.3 and 1.2; SSLProtocol with one version
# (the other refused); ECDSA and RSA leaves; SSLVerifyClient require with
# SSLCACertificateFile (SSL_CLIENT_S_DN in a header); two name-based virtual
# hosts on one port chosen by SNI; session resumption (tickets, and the shmcb
# session cache with SSLSessionTickets off); the process's libssl mapping.
# RAPIDTLS_DEBUG in the environment is passed to apache2 (e.g. ctrl).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need apache2 curl openssl "$PY"
id www-data >/dev/null 2>&1 || skip "no www-data user for Apache's User/Group"
((EUID == 0)) || skip "Apache's User/Group switch needs root"
MODS=/usr/lib/apache2/modules
for m in mpm_prefork authz_core mime dir ssl socache_shmcb headers; do
  [[ -e $MODS/mod_$m.so ]] || fail "the test needs $MODS/mod_$m.so (scripts/setup.sh installs apache2)"
done
make_pki
make_files small:1000 f5m:5242880

WWW=$WORK/www
AP=$WORK/apache
mkdir -p "$AP/run" "$AP/other"
echo "other.example" >"$AP/other/index.html"
chmod -R a+rX "$WWW" "$AP"
ERRLOG=$AP/error.log

# unique_port: a free port not in $TAKEN (free_port may return the same port
# twice); the caller adds it to $TAKEN (the function runs in a $(...) subshell).
P_EC=$(unique_port); TAKEN+="$P_EC "      # ECDSA leaf (localhost) + other.example by SNI
P_13=$(unique_port); TAKEN+="$P_13 "      # SSLProtocol -all +TLSv1.3
P_12=$(unique_port); TAKEN+="$P_12 "      # RSA leaf, SSLProtocol -all +TLSv1.2
P_MTLS=$(unique_port); TAKEN+="$P_MTLS "  # SSLVerifyClient require
P_NOTKT=$(unique_port); TAKEN+="$P_NOTKT "  # SSLSessionTickets off: the shmcb session cache

# ---- Apache configuration: everything in $AP
cat >"$AP/httpd.conf" <<EOF
ServerRoot $AP
DefaultRuntimeDir $AP/run
PidFile $AP/httpd.pid
Mutex file:$AP/run default
ErrorLog $ERRLOG
LogLevel warn ssl:info
LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule dir_module $MODS/mod_dir.so
LoadModule headers_module $MODS/mod_headers.so
LoadModule socache_shmcb_module $MODS/mod_socache_shmcb.so
LoadModule ssl_module $MODS/mod_ssl.so
User www-data
Group www-data
ServerName localhost
TypesConfig /etc/mime.types
DirectoryIndex index.html
SSLSessionCache shmcb:$AP/run/ssl_scache(512000)
SSLProtocol -all +TLSv1.2 +TLSv1.3
Listen 127.0.0.1:$P_EC https
Listen 127.0.0.1:$P_13 https
Listen 127.0.0.1:$P_12 https
Listen 127.0.0.1:$P_MTLS https
Listen 127.0.0.1:$P_NOTKT https
<Directory />
  Require all denied
</Directory>
<Directory $WWW>
  Require all granted
</Directory>
<Directory $AP/other>
  Require all granted
</Directory>

<VirtualHost 127.0.0.1:$P_EC>
  ServerName localhost
  DocumentRoot $WWW
  SSLEngine on
  SSLCertificateFile $PKI/leaf.pem
  SSLCertificateKeyFile $PKI/leaf.key
</VirtualHost>
<VirtualHost 127.0.0.1:$P_EC>
  ServerName other.example
  DocumentRoot $AP/other
  SSLEngine on
  SSLCertificateFile $PKI/other.pem
  SSLCertificateKeyFile $PKI/other.key
</VirtualHost>
<VirtualHost 127.0.0.1:$P_13>
  ServerName localhost
  DocumentRoot $WWW
  SSLEngine on
  SSLProtocol -all +TLSv1.3
  SSLCertificateFile $PKI/leaf.pem
  SSLCertificateKeyFile $PKI/leaf.key
</VirtualHost>
<VirtualHost 127.0.0.1:$P_12>
  ServerName localhost
  DocumentRoot $WWW
  SSLEngine on
  SSLProtocol -all +TLSv1.2
  SSLCertificateFile $PKI/rsa.pem
  SSLCertificateKeyFile $PKI/rsa.key
</VirtualHost>
<VirtualHost 127.0.0.1:$P_NOTKT>
  ServerName localhost
  DocumentRoot $WWW
  SSLEngine on
  SSLSessionTickets off
  SSLCertificateFile $PKI/leaf.pem
  SSLCertificateKeyFile $PKI/leaf.key
</VirtualHost>
<VirtualHost 127.0.0.1:$P_MTLS>
  ServerName localhost
  DocumentRoot $WWW
  SSLEngine on
  SSLCertificateFile $PKI/leaf.pem
  SSLCertificateKeyFile $PKI/leaf.key
  SSLVerifyClient require
  SSLVerifyDepth 2
  SSLCACertificateFile $PKI/ca.pem
  Header always set X-Client-DN "%{SSL_CLIENT_S_DN}s"
  Header always set X-Client-Verify "%{SSL_CLIENT_VERIFY}s"
</VirtualHost>
EOF

# log_tail: the end of Apache's error log and output (for a failure's context).
log_tail() { show "$AP/stdout" "$AP/stderr" "$ERRLOG"; }

if ! sys apache2 -t -f "$AP/httpd.conf" -d "$AP" >"$AP/test.out" 2>&1; then
  show "$AP/test.out"
  fail "apache2 -t (system libssl) rejects the configuration (test broken)"
fi

# ---- start Apache with the libssl under test (with-rapidtls execs apache2: $! is apache2)
ENVV=()
[[ -n ${RAPIDTLS_DEBUG:-} ]] && ENVV=(RAPIDTLS_DEBUG="$RAPIDTLS_DEBUG")
env "${ENVV[@]}" "${RT[@]}" apache2 -X -f "$AP/httpd.conf" -d "$AP" </dev/null >"$AP/stdout" 2>"$AP/stderr" &
APID=$!
PIDS+=("$APID")
for p in "$P_EC" "$P_13" "$P_12" "$P_MTLS" "$P_NOTKT"; do
  if ! wait_port "$p" "$APID"; then
    log_tail
    fail "apache2 did not listen on 127.0.0.1:$p"
  fi
done
pass "apache2 -X $APID listens on 5 ports"
user=$(ps -o user= -p "$APID" | tr -d ' ')
if [[ $user == www-data ]]; then pass "apache2 $APID runs as www-data (User/Group)"; else
  bad "apache2 $APID runs as '$user', expected www-data"; fi

# ---- the process really uses the libssl under test
if [[ $BASELINE == 1 ]]; then
  note "libssl mapping not checked (baseline: the system's libssl)"
else
  dropin_real=$(readlink -f "$DROPIN_LIB")
  maps=$(grep -E 'libssl\.so' "/proc/$APID/maps" | awk '{print $6}' | sort -u | tr '\n' ' ')
  if grep -q -F -e "$DROPIN_LIB" -e "$dropin_real" "/proc/$APID/maps" && ! grep -q -F "$SYSTEM_LIBSSL" "/proc/$APID/maps"; then
    pass "apache2 $APID maps the drop-in libssl ($maps)"
  else
    bad "apache2 $APID: libssl mapped from '$maps', expected $DROPIN_LIB only"
  fi
fi

# ---- a first handshake (10 s at most): if none completes, every later check
# would only wait for curl's timeout; the test fails here.
sys timeout 10 openssl s_client -connect "127.0.0.1:$P_EC" -servername localhost -CAfile "$PKI/ca.pem" \
  -verify_return_error </dev/null >"$WORK/first.out" 2>&1
rc=$?
if grep -q '^New, TLSv1\.3' "$WORK/first.out"; then pass "first handshake (s_client): New, TLSv1.3"; else
  bad "first handshake (s_client, timeout 10 s): exit $rc, $(grep -E '^(New|CONNECTED)' "$WORK/first.out" | tr '\n' ' ')"
  show "$WORK/first.out"; log_tail
  echo "    (the remaining checks are not run: each would wait for curl's timeout)"
  stop "$APID"
  finish
fi


# ---- downloads: small and 5 MiB, TLS 1.3 and 1.2
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  for f in small f5m; do
    get "GET $f, TLS $v" "$f" "$P_EC" "$f" "${flags[@]}" -v &&
      verbose_has "  ... negotiated TLS $v" "SSL connection using TLSv${v/./\\.} / " &&
      verbose_has "  ... subject CN=localhost" 'subject: CN=localhost'
  done
  rm -f "$WORK"/k[12]
  if "${CURL[@]}" -v --cacert "$PKI/ca.pem" "${flags[@]}" -o "$WORK/k1" "https://localhost:$P_EC/f5m" \
    -o "$WORK/k2" "https://localhost:$P_EC/small" 2>"$WORK/curl.err"; then
    same_file "keep-alive, TLS $v: 1st of 2 URLs (5 MiB)" "$WWW/f5m" "$WORK/k1"
    same_file "keep-alive, TLS $v: 2nd of 2 URLs (small)" "$WWW/small" "$WORK/k2"
    n=$(grep -c 'Re-using existing connection' "$WORK/curl.err")
    if ((n == 1)); then pass "keep-alive, TLS $v: connection re-used"; else
      bad "keep-alive, TLS $v: connection re-used $n times, expected 1"; show "$WORK/curl.err"; log_tail; fi
  else
    bad "keep-alive, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
done

# ---- SSLProtocol with one version; the RSA leaf
get "SSLProtocol -all +TLSv1.3: GET f5m, TLS 1.3" f5m "$P_13" f5m --tlsv1.3 -v &&
  verbose_has "  ... negotiated TLS 1.3" 'SSL connection using TLSv1\.3 / '
get "SSLProtocol -all +TLSv1.2: GET f5m (client offers 1.2 and 1.3), RSA leaf" f5m "$P_12" f5m --tlsv1.2 -v &&
  verbose_has "  ... negotiated TLS 1.2, ECDHE-RSA" 'SSL connection using TLSv1\.2 / ECDHE-RSA-' &&
  verbose_has "  ... subject CN=rsa-leaf" 'subject: CN=rsa-leaf'
one_version_only "SSLProtocol -all +" "$P_13" "$P_12"
more_clients "SSLProtocol -all +TLSv1.3: GET f5m" "$P_13" f5m 1.3
more_clients "SSLProtocol -all +TLSv1.2: GET f5m" "$P_12" f5m 1.2

# ---- SNI: two name-based virtual hosts on one port
sni_checks "$P_EC" "virtual host"

# ---- SSLVerifyClient require, SSLCACertificateFile the test CA
for v in 1.3 1.2; do
  flags=(--tlsv1.3); [[ $v == 1.2 ]] && flags=(--tlsv1.2 --tls-max 1.2)
  rm -f "$WORK/got" "$WORK/hdr"
  if "${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" --cert "$PKI/client.pem" --key "$PKI/client.key" \
    -D "$WORK/hdr" -o "$WORK/got" "https://localhost:$P_MTLS/f5m" 2>"$WORK/curl.err"; then
    same_file "client certificate, TLS $v: GET f5m" "$WWW/f5m" "$WORK/got"
    dn=$(sed -n 's/^X-Client-DN: \(.*\)\r$/\1/p' "$WORK/hdr")
    ver=$(sed -n 's/^X-Client-Verify: \(.*\)\r$/\1/p' "$WORK/hdr")
    if [[ $dn == CN=rapidtls-client && $ver == SUCCESS ]]; then pass "client certificate, TLS $v: SSL_CLIENT_S_DN CN=rapidtls-client, SSL_CLIENT_VERIFY SUCCESS"; else
      bad "client certificate, TLS $v: SSL_CLIENT_S_DN '$dn', SSL_CLIENT_VERIFY '$ver'"; show "$WORK/hdr"; log_tail; fi
  else
    bad "client certificate, TLS $v: curl exit $?"; show "$WORK/curl.err"; log_tail
  fi
  for who in none other; do
    cert=(); [[ $who == other ]] && cert=(--cert "$PKI/other.pem" --key "$PKI/other.key")
    what="no client certificate"; [[ $who == other ]] && what="client certificate without clientAuth (other.pem)"
    rm -f "$WORK/got"
    "${CURL[@]}" --cacert "$PKI/ca.pem" "${flags[@]}" "${cert[@]}" -o "$WORK/got" -w '%{http_code}' \
      "https://localhost:$P_MTLS/small" >"$WORK/code" 2>"$WORK/curl.err"
    rc=$?
    # a TLS error (35 in the handshake; TLS 1.3: 55 or 56 after it), not a timeout
    if ((rc == 35 || rc == 55 || rc == 56)) && [[ ! -s $WORK/got ]]; then
      pass "$what, TLS $v: refused (curl exit $rc: $(grep '^curl: ' "$WORK/curl.err" | head -1))"
    else
      bad "$what, TLS $v: curl exit $rc, HTTP '$(cat "$WORK/code")', $(stat -c %s "$WORK/got" 2>/dev/null || echo 0) bytes, expected a refused handshake"
      log_tail
    fi
  done
done

# ---- nothing alarming in the error log
if grep -q -E '\[[a-z_]*:(emerg|alert|crit)\]' "$ERRLOG"; then
  bad "Apache's error log has emerg/alert/crit lines"; grep -E '\[[a-z_]*:(emerg|alert|crit)\]' "$ERRLOG" | tail -20 | sed 's/^/    /'
else
  pass "Apache's error log: no emerg, alert or crit line"
fi

# ---- session resumption (s_client -sess_out / -sess_in): TLS 1.3 and 1.2
# tickets, and TLS 1.2 session ids through mod_ssl's shmcb session cache
# (its new/get/remove callbacks) on the SSLSessionTickets off host
for port in "$P_EC" "$P_NOTKT"; do
  how=tickets; [[ $port == "$P_NOTKT" ]] && how="SSLSessionTickets off (shmcb session cache)"
  for v in 1.3 1.2; do resumes "TLS $v, $how" "$port" "$v" 3; done
done

# ---- stop: SIGTERM, then wait for it
kill -TERM "$APID"
stopped=0
for _ in $(seq 1 200); do kill -0 "$APID" 2>/dev/null || { stopped=1; break; }; sleep 0.05; done
if ((stopped)); then
  wait "$APID"
  rc=$?
  if ((rc == 0)); then pass "apache2 stopped by SIGTERM (exit 0)"; else bad "apache2 exit $rc after SIGTERM"; log_tail; fi
else
  bad "apache2 did not stop within 10 s of SIGTERM"; log_tail
fi
if [[ -n ${RAPIDTLS_DEBUG:-} ]]; then
  echo "RAPIDTLS_DEBUG=$RAPIDTLS_DEBUG: unhandled control commands (apache2's output and error log):"
  if grep -q -a 'rapidtls: ' "$AP/stdout" "$AP/stderr" "$ERRLOG"; then
    cat "$AP/stdout" "$AP/stderr" "$ERRLOG" | grep -a 'rapidtls: ' | sort | uniq -c | sed 's/^/    /'
  else
    echo "    (none)"
  fi
fi
finish
