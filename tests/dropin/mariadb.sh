#!/usr/bin/env bash
# MariaDB: mariadbd (system libssl; then once more under with-rapidtls) made by
# mariadb-install-db in the work folder, with ssl-cert/ssl-key/ssl-ca, on
# 127.0.0.1 and a free port, its socket in the work folder; the `mariadb`
# client under with-rapidtls with --ssl --ssl-ca --ssl-verify-server-cert (and
# a client certificate): Ssl_version and Ssl_cipher for TLS 1.3 and 1.2
# (server tls_version), data both ways checked by SHA-256; the error paths
# (untrusted, wrong host name, expired) print what they print on the system's
# libssl.
source "$(dirname "$0")/lib.sh"
need mariadbd mariadb-install-db mariadb openssl
make_pki
D=$WORK/mariadb
mkdir -p "$D"
mariadb-install-db --no-defaults --datadir="$D/data" --user=root --auth-root-authentication-method=socket \
  --skip-test-db --skip-name-resolve >"$WORK/install.log" 2>&1 || { show "$WORK/install.log"; fail "mariadb-install-db failed"; }

# The server's certificate: a copy, replaced for the error paths (FLUSH SSL).
server_cert() { cp "$PKI/$1.pem" "$D/server.pem" && cp "$PKI/$1.key" "$D/server.key"; }
server_cert leaf
MYPID=
# start_db rt|sys TLS_VERSIONS: mariadbd in the foreground (run as root: --user=root).
start_db() {
  local who=$1 versions=$2 runner=("${RT[@]}")
  [[ $who == sys ]] && runner=(env -u LD_LIBRARY_PATH -u LD_PRELOAD)
  PORT=$(free_port)
  : >"$WORK/mariadbd.log"
  "${runner[@]}" mariadbd --no-defaults --user=root --datadir="$D/data" --socket="$D/sock" --pid-file="$D/pid" \
    --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve --log-error="$WORK/mariadbd.log" \
    --innodb-buffer-pool-size=16M --skip-log-bin --tls-version="$versions" \
    --ssl-cert="$D/server.pem" --ssl-key="$D/server.key" --ssl-ca="$PKI/ca.pem" >"$WORK/mariadbd.out" 2>&1 &
  MYPID=$!
  PIDS+=("$MYPID")
  wait_port "$PORT" "$MYPID"
}
stop_db() {
  [[ -n $MYPID ]] || return 0
  kill "$MYPID" 2>/dev/null
  for _ in $(seq 1 400); do kill -0 "$MYPID" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$MYPID" 2>/dev/null
  wait "$MYPID" 2>/dev/null
  MYPID=
}

CLIENT=(mariadb --no-defaults --host=127.0.0.1 --connect-timeout=10 --ssl --ssl-ca="$PKI/ca.pem" --ssl-verify-server-cert -N -B)
# q LABEL ARGS...: the client under test; output in $OUT.
q() {
  local label=$1
  shift
  OUT=$(rt "${CLIENT[@]}" --port="$PORT" "$@" 2>"$WORK/client.err")
  local rc=$?
  if ((rc != 0)); then
    bad "$label: mariadb exit $rc"
    show "$WORK/client.err"
    return 1
  fi
}

# The database side: a user that must use TLS, and one that must show a certificate.
setup_users() {
  sys mariadb --no-defaults --socket="$D/sock" -u root -e "
    CREATE USER IF NOT EXISTS 'tls'@'127.0.0.1' IDENTIFIED BY 'pw' REQUIRE SSL;
    CREATE USER IF NOT EXISTS 'x509'@'127.0.0.1' IDENTIFIED BY 'pw' REQUIRE SUBJECT '/CN=rapidtls-client';
    GRANT SELECT ON *.* TO 'tls'@'127.0.0.1'; GRANT SELECT ON *.* TO 'x509'@'127.0.0.1';" 2>"$WORK/setup.err"
}

head -c 1000000 /dev/urandom >"$WORK/up.bin"
printf "SELECT SHA2(FROM_BASE64('%s'), 256);" "$(base64 -w0 "$WORK/up.bin")" >"$WORK/up.sql"
"$PY" -c 'import hashlib,sys; sys.stdout.write("".join(hashlib.md5(str(i).encode()).hexdigest() for i in range(1, 30001)) + "\n")' >"$WORK/down.want"

# client_checks SERVER-DESCRIPTION EXPECTED-VERSION
client_checks() {
  local who=$1 v=$2
  if q "Ssl_version ($who)" -u tls -ppw -e "SHOW STATUS LIKE 'Ssl_version'"; then
    [[ $OUT == "Ssl_version	$v" ]] && pass "Ssl_version ($who): $v" || bad "Ssl_version ($who): '$OUT', expected $v"
  fi
  if q "Ssl_cipher ($who)" -u tls -ppw -e "SHOW STATUS LIKE 'Ssl_cipher'"; then
    local c=${OUT#Ssl_cipher	}
    if [[ ($v == TLSv1.3 && $c == TLS_*) || ($v == TLSv1.2 && $c == ECDHE-ECDSA-*) ]]; then pass "Ssl_cipher ($who): $c"; else
      bad "Ssl_cipher ($who): '$c'"; fi
  fi
  if q "client certificate ($who)" -u x509 -ppw --ssl-cert="$PKI/client.pem" --ssl-key="$PKI/client.key" \
    -e "SELECT CURRENT_USER(); SHOW STATUS LIKE 'Ssl_version'"; then
    [[ $OUT == "x509@127.0.0.1"*"Ssl_version	$v" ]] && pass "client certificate, REQUIRE SUBJECT ($who)" ||
      bad "client certificate ($who): '$OUT'"
  fi
  if OUT=$(rt "${CLIENT[@]}" --port="$PORT" -u tls -ppw <"$WORK/up.sql" 2>"$WORK/client.err"); then
    [[ $OUT == "$(sha256_of "$WORK/up.bin")" ]] && pass "1 MB up ($who): server's SHA-256 matches" || bad "1 MB up ($who): server's SHA-256 '$OUT'"
  else
    bad "1 MB up ($who): mariadb failed"; show "$WORK/client.err"
  fi
  if rt "${CLIENT[@]}" --port="$PORT" -u tls -ppw --max-allowed-packet=64M \
    -e "SELECT GROUP_CONCAT(MD5(seq) ORDER BY seq SEPARATOR '') FROM mysql.seq_1_to_30000" >"$WORK/down.txt" 2>"$WORK/client.err" ||
    { bad "960 KB down ($who): mariadb failed"; show "$WORK/client.err"; false; }; then
    same_file "960 KB down ($who)" "$WORK/down.want" "$WORK/down.txt"
  fi
  # A client trusting another CA must refuse the server.
  if rt "${CLIENT[@]}" --port="$PORT" --ssl-ca="$PKI/other.pem" -u tls -ppw -e 'select 1' >/dev/null 2>"$WORK/client.err"; then
    bad "a client trusting another CA connected ($who)"
  elif grep -q -E '^ERROR 2026 .*TLS/SSL error' "$WORK/client.err"; then
    pass "a client trusting another CA fails ($who): $(head -1 "$WORK/client.err")"
  else
    bad "a client trusting another CA fails, but not in TLS ($who)"; show "$WORK/client.err"
  fi
}

# Error paths: the client on the libssl under test fails with the same exit
# status and message as on the system's libssl for an untrusted certificate (a
# client trusting another CA), a wrong host name (the server reloaded with
# other.example's certificate by FLUSH SSL) and an expired certificate.
compare_client() { # label extra-client-args...
  local label=$1 rs rr ms mr
  shift
  sys "${CLIENT[@]}" --port="$PORT" -u tls -ppw "$@" -e 'select 1' >/dev/null 2>"$WORK/sys.err"
  rs=$?
  rt "${CLIENT[@]}" --port="$PORT" -u tls -ppw "$@" -e 'select 1' >/dev/null 2>"$WORK/rt.err"
  rr=$?
  ms=$(head -1 "$WORK/sys.err")
  mr=$(head -1 "$WORK/rt.err")
  same_failure "$label" "$rs" "$rr" "$ms" "$mr"
}
flush_ssl() {
  server_cert "$1"
  sys mariadb --no-defaults --socket="$D/sock" -u root -e 'FLUSH SSL' 2>"$WORK/flush.err" ||
    { bad "FLUSH SSL with $1.pem failed"; show "$WORK/flush.err"; }
}
error_paths() {
  compare_client "error path: untrusted certificate" --ssl-ca="$PKI/other.pem"
  flush_ssl other
  compare_client "error path: wrong host name (other.example's certificate)"
  flush_ssl expired
  compare_client "error path: expired certificate"
  flush_ssl leaf
  if q "after FLUSH SSL back to the good certificate" -u tls -ppw -e 'select 1'; then
    if [[ $OUT == 1 ]]; then pass "after FLUSH SSL back to the good certificate: connects"; else bad "after FLUSH SSL: '$OUT'"; fi
  fi
}

for v in TLSv1.3 TLSv1.2; do
  start_db sys "$v" || { show "$WORK/mariadbd.log" "$WORK/mariadbd.out"; fail "mariadbd (system libssl, $v) did not start"; }
  setup_users || { show "$WORK/setup.err" "$WORK/mariadbd.log"; fail "could not create the users"; }
  client_checks "mariadbd on the system libssl, tls_version=$v" "$v"
  [[ $v == TLSv1.3 ]] && error_paths
  stop_db
done
if [[ $BASELINE != 1 ]]; then
  # mariadbd itself on the libssl under test: an extra (a failure to start is a NOTE).
  if start_db rt "TLSv1.2,TLSv1.3"; then
    if grep -q -E 'SSL error|Failed to setup SSL' "$WORK/mariadbd.log"; then
      bad "mariadbd under test started without TLS: $(grep -E 'SSL' "$WORK/mariadbd.log" | head -2)"
    else
      pass "mariadbd starts with the libssl under test"
      client_checks "mariadbd under test" TLSv1.3
    fi
    stop_db
  else
    # Not required (the client is what this test is about): reported, not counted.
    note "mariadbd did not start with the libssl under test: $(tail -c 400 "$WORK/mariadbd.out" "$WORK/mariadbd.log" 2>/dev/null | grep -v '^==>' | tr '\n' ' ')"
    stop_db
  fi
fi
finish
