#!/usr/bin/env bash
# PostgreSQL 15 with the libssl under test on both sides: a cluster made by
# initdb in the work folder (as user postgres), `postgres` itself run under
# with-rapidtls in the foreground (ssl=on with the test certificate, on
# 127.0.0.1 and a free port, its socket in the work folder), and psql under
# with-rapidtls with sslmode=require, verify-full and a client certificate;
# pg_stat_ssl must say TLSv1.3, then TLSv1.2 (ssl_max_protocol_version on the
# server after a reload, and on the client). Data both ways checked by SHA-256.
# Error paths (untrusted, wrong host name, expired) print what psql prints on
# the system's libssl.
source "$(dirname "$0")/lib.sh"
PG=/usr/lib/postgresql/15/bin
need "$PG/initdb" "$PG/postgres" psql setpriv runuser openssl
id postgres >/dev/null 2>&1 || fail "no user postgres (package postgresql)"
make_pki
# libpq refuses a key file others can read.
install -m 600 "$PKI/client.key" "$WORK/client.key"

# The server's files belong to postgres; $WORK is world-traversable (lib.sh).
D=$WORK/pg
mkdir -p "$D"
chown postgres: "$D"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$PG/initdb" -D "$D/data" -U postgres --auth-local=trust --auth-host=reject -E UTF8 --no-sync \
  >"$WORK/initdb.log" 2>&1 || { show "$WORK/initdb.log"; fail "initdb failed"; }
install -o postgres -m 600 "$PKI/leaf-chain.pem" "$D/data/server.crt"
install -o postgres -m 600 "$PKI/leaf.key" "$D/data/server.key"
install -o postgres -m 644 "$PKI/ca.pem" "$D/data/ca.pem"
PORT=$(free_port)
cat >>"$D/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$D'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_ca_file = 'ca.pem'
fsync = off
logging_collector = off
log_connections = on
EOF
# TLS only on TCP; the client certificate user authenticates by certificate.
cat >"$D/data/pg_hba.conf" <<'EOF'
local   all  all                          trust
hostssl all  rapidtls-client 127.0.0.1/32 cert
hostssl all  postgres        127.0.0.1/32 trust
hostnossl all all            127.0.0.1/32 reject
EOF
chown postgres: "$D/data/pg_hba.conf"

# start_pg rt|sys: setpriv changes user and execs (no child), so the PID is
# postgres's own. Stopped by SIGINT (fast shutdown).
PGPID=
start_pg() {
  local who=$1 runner=("${RT[@]}")
  [[ $who == sys ]] && runner=(env -u LD_LIBRARY_PATH -u LD_PRELOAD)
  : >"$WORK/postgres.log"
  setpriv --reuid=postgres --regid=postgres --init-groups "${runner[@]}" "$PG/postgres" -D "$D/data" \
    >"$WORK/postgres.log" 2>&1 &
  PGPID=$!
  PIDS+=("$PGPID")
  wait_port "$PORT" "$PGPID"
}
trap 'kill -INT $PGPID 2>/dev/null; cleanup' EXIT
SERVER_UNDER_TEST=0
if start_pg rt; then
  SERVER_UNDER_TEST=1
  pass "postgres starts with the libssl under test (ssl=on, ssl_ca_file) and listens"
else
  bad "postgres did not start with the libssl under test"
  show "$WORK/postgres.log"
  stop "$PGPID"
  # The client side can still be tested.
  start_pg sys || { show "$WORK/postgres.log"; fail "postgres did not start with the system libssl either"; }
  note "the checks below run psql (libssl under test) against postgres on the system libssl"
fi
for _ in $(seq 1 100); do
  as_pg psql -h "$D" -p "$PORT" -U postgres -Atc 'select 1' >/dev/null 2>&1 && break
  sleep 0.1
done
as_pg psql -h "$D" -p "$PORT" -U postgres -q -c 'CREATE ROLE "rapidtls-client" LOGIN' >/dev/null 2>>"$WORK/postgres.log" ||
  { show "$WORK/postgres.log"; fail "postgres does not answer on its socket"; }

CONN="host=127.0.0.1 port=$PORT user=postgres dbname=postgres connect_timeout=10"
# q LABEL CONNINFO SQL: psql (libssl under test) prints the result in $OUT.
# PSQL: how psql runs (the libssl under test; `sys` for the server-side checks).
PSQL=(rt)
q() {
  local label=$1 conn=$2 sql=$3
  OUT=$("${PSQL[@]}" psql "$conn" -Atc "$sql" 2>"$WORK/psql.err")
  local rc=$?
  if ((rc != 0)); then
    bad "$label: psql exit $rc"
    show "$WORK/psql.err"
    grep -E 'FATAL|LOG:  could not|error' "$WORK/postgres.log" | tail -5 | sed 's/^/    server: /'
    return 1
  fi
}
SSLQ="SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
expect_ssl() { # label conninfo version
  if q "$1" "$2" "$SSLQ"; then
    [[ $OUT == "t|$3" ]] && pass "$1: pg_stat_ssl says '$OUT'" || bad "$1: pg_stat_ssl says '$OUT', expected 't|$3'"
  fi
}
expect_ssl "sslmode=require" "$CONN sslmode=require" TLSv1.3
expect_ssl "sslmode=verify-full, host localhost" \
  "host=localhost hostaddr=127.0.0.1 port=$PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$PKI/ca.pem" TLSv1.3
expect_ssl "sslmode=verify-full, host 127.0.0.1 (IP SAN)" "$CONN sslmode=verify-full sslrootcert=$PKI/ca.pem" TLSv1.3
expect_ssl "client certificate (hba cert), verify-full" \
  "host=localhost hostaddr=127.0.0.1 port=$PORT user=rapidtls-client dbname=postgres sslmode=verify-full sslrootcert=$PKI/ca.pem sslcert=$PKI/client.pem sslkey=$WORK/client.key" TLSv1.3
if q "client certificate: server's view" \
  "host=localhost hostaddr=127.0.0.1 port=$PORT user=rapidtls-client dbname=postgres sslmode=verify-full sslrootcert=$PKI/ca.pem sslcert=$PKI/client.pem sslkey=$WORK/client.key" \
  "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"; then
  [[ $OUT == "/CN=rapidtls-client" ]] && pass "client certificate: server saw $OUT" || bad "client certificate: server saw '$OUT'"
fi
expect_ssl "client ssl_max_protocol_version=TLSv1.2" "$CONN sslmode=require ssl_max_protocol_version=TLSv1.2" TLSv1.2

# Data both ways: 1.5 MiB up (base64 in the statement), 1.6 MB down.
head -c 1500000 /dev/urandom >"$WORK/up.bin"
printf "SELECT encode(sha256(decode('%s', 'base64')), 'hex')" "$(base64 -w0 "$WORK/up.bin")" >"$WORK/up.sql"
"$PY" -c 'import hashlib; print("".join(hashlib.md5(str(i).encode()).hexdigest() for i in range(1, 50001)))' >"$WORK/down.want"
for v in TLSv1.3 TLSv1.2; do
  c="$CONN sslmode=verify-full sslrootcert=$PKI/ca.pem ssl_max_protocol_version=$v"
  if OUT=$(rt psql "$c" -At -f "$WORK/up.sql" 2>"$WORK/psql.err"); then
    [[ $OUT == "$(sha256_of "$WORK/up.bin")" ]] && pass "1.5 MB up, $v: server's SHA-256 matches" ||
      bad "1.5 MB up, $v: server's SHA-256 '$OUT'"
  else
    bad "1.5 MB up, $v: psql failed"; show "$WORK/psql.err"
  fi
  if rt psql "$c" -At -c "SELECT string_agg(md5(i::text), '' ORDER BY i) FROM generate_series(1, 50000) i" \
    >"$WORK/down.txt" 2>"$WORK/psql.err"; then
    same_file "1.6 MB down, $v" "$WORK/down.want" "$WORK/down.txt"
  else
    bad "1.6 MB down, $v: psql failed"; show "$WORK/psql.err"
  fi
done

# The server limited to TLS 1.2 (reloaded with SIGHUP).
echo "ssl_max_protocol_version = 'TLSv1.2'" >>"$D/data/postgresql.conf"
kill -HUP "$PGPID"
sleep 1
expect_ssl "server ssl_max_protocol_version=TLSv1.2 (after reload), require" "$CONN sslmode=require" TLSv1.2
expect_ssl "server ssl_max_protocol_version=TLSv1.2, verify-full" "$CONN sslmode=verify-full sslrootcert=$PKI/ca.pem" TLSv1.2
expect_ssl "server TLS 1.2, client certificate" \
  "host=localhost hostaddr=127.0.0.1 port=$PORT user=rapidtls-client dbname=postgres sslmode=verify-full sslrootcert=$PKI/ca.pem sslcert=$PKI/client.pem sslkey=$WORK/client.key" TLSv1.2

# Failures: a client trusting another CA, and one asking for 1.3 only.
if rt psql "$CONN sslmode=verify-full sslrootcert=$PKI/other.pem" -Atc 'select 1' >/dev/null 2>"$WORK/psql.err"; then
  bad "verify-full with another CA succeeded"
elif grep -q 'SSL error: certificate verify failed' "$WORK/psql.err"; then
  pass "verify-full with another CA fails: $(head -1 "$WORK/psql.err")"
else
  bad "verify-full with another CA fails, but not with 'SSL error: certificate verify failed'"; show "$WORK/psql.err"
fi
if rt psql "$CONN sslmode=require ssl_min_protocol_version=TLSv1.3" -Atc 'select 1' >/dev/null 2>"$WORK/psql.err"; then
  bad "a TLS 1.3-only client connected to a TLS 1.2-only server"
elif grep -q -E 'SSL error: .*(protocol|version)' "$WORK/psql.err"; then
  pass "TLS 1.3-only client against the TLS 1.2 server fails: $(head -1 "$WORK/psql.err")"
else
  bad "TLS 1.3-only client against the TLS 1.2 server fails, but not with a protocol version error"; show "$WORK/psql.err"
fi
# The server side alone: the system's psql against postgres under test.
if [[ $BASELINE != 1 && $SERVER_UNDER_TEST == 1 ]]; then
  PSQL=(sys)
  expect_ssl "server side, system psql, verify-full, server TLS 1.2" "$CONN sslmode=verify-full sslrootcert=$PKI/ca.pem" TLSv1.2
  expect_ssl "server side, system psql, client certificate, server TLS 1.2" \
    "host=localhost hostaddr=127.0.0.1 port=$PORT user=rapidtls-client dbname=postgres sslmode=verify-full sslrootcert=$PKI/ca.pem sslcert=$PKI/client.pem sslkey=$WORK/client.key" TLSv1.2
  sed -i '/^ssl_max_protocol_version/d' "$D/data/postgresql.conf"
  kill -HUP "$PGPID"
  sleep 1
  expect_ssl "server side, system psql, verify-full, TLS 1.3 (after reload)" "$CONN sslmode=verify-full sslrootcert=$PKI/ca.pem" TLSv1.3
  expect_ssl "server side, system psql, client certificate, TLS 1.3" \
    "host=localhost hostaddr=127.0.0.1 port=$PORT user=rapidtls-client dbname=postgres sslmode=verify-full sslrootcert=$PKI/ca.pem sslcert=$PKI/client.pem sslkey=$WORK/client.key" TLSv1.3
  if q "server side, system psql, client certificate: server's view" \
    "host=localhost hostaddr=127.0.0.1 port=$PORT user=rapidtls-client dbname=postgres sslmode=verify-full sslrootcert=$PKI/ca.pem sslcert=$PKI/client.pem sslkey=$WORK/client.key" \
    "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"; then
    [[ $OUT == "/CN=rapidtls-client" ]] && pass "server side: the server saw $OUT" || bad "server side: the server saw '$OUT'"
  fi
  if OUT=$(sys psql "$CONN sslmode=require" -At -f "$WORK/up.sql" 2>"$WORK/psql.err"); then
    [[ $OUT == "$(sha256_of "$WORK/up.bin")" ]] && pass "server side: 1.5 MB up, server's SHA-256 matches" ||
      bad "server side: 1.5 MB up: server's SHA-256 '$OUT'"
  else
    bad "server side: 1.5 MB up: psql failed"; show "$WORK/psql.err"
  fi
  if sys psql "$CONN sslmode=require" -At -c "SELECT string_agg(md5(i::text), '' ORDER BY i) FROM generate_series(1, 50000) i" \
    >"$WORK/down.txt" 2>"$WORK/psql.err"; then
    same_file "server side: 1.6 MB down" "$WORK/down.want" "$WORK/down.txt"
  else
    bad "server side: 1.6 MB down: psql failed"; show "$WORK/psql.err"
  fi
  PSQL=(rt)
fi
# Error paths: psql on the libssl under test fails with the same exit status
# and message as on the system's libssl for an untrusted certificate (a client
# trusting another CA), a wrong host name (verify-full for another name) and an
# expired certificate (the server reloaded with one).
compare_psql() { # label conninfo
  local label=$1 conn=$2 rs rr ms mr
  sys psql "$conn" -Atc 'select 1' >/dev/null 2>"$WORK/sys.err"
  rs=$?
  rt psql "$conn" -Atc 'select 1' >/dev/null 2>"$WORK/rt.err"
  rr=$?
  ms=$(head -1 "$WORK/sys.err")
  mr=$(head -1 "$WORK/rt.err")
  same_failure "$label" "$rs" "$rr" "$ms" "$mr"
}
compare_psql "error path: untrusted certificate" "$CONN sslmode=verify-full sslrootcert=$PKI/other.pem"
compare_psql "error path: wrong host name" \
  "host=wrong.example hostaddr=127.0.0.1 port=$PORT user=postgres dbname=postgres connect_timeout=10 sslmode=verify-full sslrootcert=$PKI/ca.pem"
install -o postgres -m 600 "$PKI/expired.pem" "$D/data/server.crt"
install -o postgres -m 600 "$PKI/expired.key" "$D/data/server.key"
kill -HUP "$PGPID"
sleep 1
# The server now sends the expired certificate (s_client, system libssl, says so).
sys timeout 30 openssl s_client -starttls postgres -connect "127.0.0.1:$PORT" -CAfile "$PKI/ca.pem" </dev/null \
  >"$WORK/pg_s_client.out" 2>&1
if grep -q 'Verify return code: 10 (certificate has expired)' "$WORK/pg_s_client.out"; then
  pass "after the reload the server sends the expired certificate (s_client -starttls postgres)"
else
  bad "after the reload the server does not send the expired certificate"; show "$WORK/pg_s_client.out"
fi
compare_psql "error path: expired certificate (server reloaded with it)" "$CONN sslmode=verify-full sslrootcert=$PKI/ca.pem"
install -o postgres -m 600 "$PKI/leaf-chain.pem" "$D/data/server.crt"
install -o postgres -m 600 "$PKI/leaf.key" "$D/data/server.key"
kill -HUP "$PGPID"
sleep 1
# (the baseline run leaves the server at TLS 1.2: the server-side block is skipped)
want=TLSv1.3
grep -q '^ssl_max_protocol_version' "$D/data/postgresql.conf" && want=TLSv1.2
expect_ssl "after the reload back to the good certificate, verify-full" "$CONN sslmode=verify-full sslrootcert=$PKI/ca.pem" "$want"

if grep -q -E 'could not load|FATAL: .*SSL|PANIC' "$WORK/postgres.log"; then
  bad "the server logged SSL errors"; grep -E 'could not load|FATAL|PANIC' "$WORK/postgres.log" | head -5
fi

kill -INT "$PGPID"
for _ in $(seq 1 200); do kill -0 "$PGPID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$PGPID" 2>/dev/null; then bad "postgres did not stop on SIGINT"; else
  wait "$PGPID"; rc=$?
  ((rc == 0)) && pass "postgres stopped cleanly" || { bad "postgres exited $rc"; show "$WORK/postgres.log"; }
fi
finish
