#!/usr/bin/env bash
# Debian's socat: an OPENSSL: client (verify=1, cafile=, client certificate) and
# an OPENSSL-LISTEN: server (cert=, key=, cafile=, verify=1), each with the
# libssl under test against the other with the system's libssl (and both under
# test), TLS 1.3 and 1.2, files sent both ways and checked by SHA-256; a client
# that does not trust the server, and a client without a certificate, fail.
# The client also against `openssl s_server` and `rapidtls serve` (an HTTP GET),
# and its error paths (untrusted, wrong host name, expired) print what they
# print on the system's libssl.
source "$(dirname "$0")/lib.sh"
need socat openssl
make_pki
make_files f3m:3145728 small:777

SRV_OPTS="bind=127.0.0.1,reuseaddr,cert=$PKI/leaf.pem,key=$PKI/leaf.key,cafile=$PKI/ca.pem,verify=1"
CLI_OPTS="cafile=$PKI/ca.pem,verify=1,cert=$PKI/client.pem,key=$PKI/client.key"

# run_with WHO CMD...: WHO is sys (system libssl) or rt (libssl under test).
# Background servers are started as `"${R[@]}" socat ... &` with R from
# runner_for, never through a function (its subshell's PID is not socat's).
run_with() {
  local who=$1
  shift
  if [[ $who == sys ]]; then sys "$@"; else rt "$@"; fi
}
runner_for() {
  if [[ $1 == sys ]]; then R=(env -u LD_LIBRARY_PATH -u LD_PRELOAD); else R=("${RT[@]}"); fi
}

# transfer LABEL SERVER_LIB CLIENT_LIB DIRECTION(up|down) FILE EXTRA_CLIENT_OPTS
transfer() {
  local label=$1 slib=$2 clib=$3 dir=$4 file=$5 extra=$6 port spid rc=0
  port=$(free_port)
  rm -f "$WORK/got"
  runner_for "$slib"
  if [[ $dir == up ]]; then
    "${R[@]}" socat -u "OPENSSL-LISTEN:$port,$SRV_OPTS" "CREATE:$WORK/got" 2>"$WORK/server.err" &
  else
    "${R[@]}" socat -u "OPEN:$WORK/www/$file" "OPENSSL-LISTEN:$port,$SRV_OPTS" 2>"$WORK/server.err" &
  fi
  spid=$!
  PIDS+=("$spid")
  if ! wait_port "$port" "$spid"; then
    bad "$label: the socat server did not listen"
    show "$WORK/server.err"
    stop "$spid"
    return
  fi
  if [[ $dir == up ]]; then
    run_with "$clib" timeout 60 socat -d -d -u "OPEN:$WORK/www/$file" "OPENSSL:127.0.0.1:$port,$CLI_OPTS$extra" 2>"$WORK/client.err" || rc=$?
  else
    run_with "$clib" timeout 60 socat -d -d -u "OPENSSL:127.0.0.1:$port,$CLI_OPTS$extra" "CREATE:$WORK/got" 2>"$WORK/client.err" || rc=$?
  fi
  # The server ends when the connection does (a failed client may leave it waiting).
  ((rc != 0)) && stop "$spid"
  for _ in $(seq 1 200); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$spid" 2>/dev/null; then
    bad "$label: the socat server did not end after the transfer"
    stop "$spid"
  else
    wait "$spid"
    local src=$?
    ((src == 0 || rc != 0)) || bad "$label: the socat server exited $src"
  fi
  if ((rc != 0)); then
    bad "$label: the socat client exited $rc"
    show "$WORK/client.err" "$WORK/server.err"
    return
  fi
  same_file "$label" "$WORK/www/$file" "$WORK/got" || show "$WORK/client.err" "$WORK/server.err"
  local want=TLSv1.3 used
  [[ $extra == *max-version=TLS1.2* ]] && want=TLSv1.2
  used=$(sed -n 's/.*N SSL proto version used: //p' "$WORK/client.err")
  [[ $used == "$want" ]] && pass "  ... client reports $used, $(sed -n 's/.*N SSL connection using //p' "$WORK/client.err")" ||
    bad "  ... client reports protocol '$used', expected $want"
}

if [[ $BASELINE == 1 ]]; then
  pairs=("sys sys")
else
  pairs=("sys rt" "rt sys" "rt rt")
fi
for pair in "${pairs[@]}"; do
  read -r slib clib <<<"$pair"
  who="server $slib, client $clib"
  for v in 1.3 1.2; do
    extra=""
    [[ $v == 1.2 ]] && extra=",max-version=TLS1.2"
    transfer "client -> server 3 MiB, TLS $v ($who)" "$slib" "$clib" up f3m "$extra"
    transfer "server -> client 3 MiB, TLS $v ($who)" "$slib" "$clib" down f3m "$extra"
    transfer "client -> server 777 B, TLS $v ($who)" "$slib" "$clib" up small "$extra"
  done
  transfer "TLS 1.2 cipher ECDHE-ECDSA-CHACHA20-POLY1305 ($who)" "$slib" "$clib" down f3m \
    ",max-version=TLS1.2,cipher=ECDHE-ECDSA-CHACHA20-POLY1305"
  transfer "min-version=TLS1.3, commonname=localhost ($who)" "$slib" "$clib" down small \
    ",min-version=TLS1.3,commonname=localhost"
done

# Failures: the client does not trust the server; the client has no certificate;
# the server's certificate has expired. What counts is that no data arrives and
# that a TLS error is logged: in TLS 1.3 a client that only writes may end
# before the server's alert about its certificate comes (its exit code is shown).
# expect_fail LABEL SERVER_OPTS CLIENT_OPTS SIDE: SIDE (client, server or none) runs with the libssl under test.
expect_fail() {
  local label=$1 sopts=$2 copts=$3 side=$4 port spid slib=sys clib=sys rc=0
  [[ $side == server ]] && slib=rt
  [[ $side == client ]] && clib=rt
  port=$(free_port)
  rm -f "$WORK/got"
  runner_for "$slib"
  "${R[@]}" socat -u "OPENSSL-LISTEN:$port,$sopts" "CREATE:$WORK/got" 2>"$WORK/server.err" &
  spid=$!
  PIDS+=("$spid")
  wait_port "$port" "$spid" || { bad "$label: no server"; show "$WORK/server.err"; return; }
  run_with "$clib" timeout 30 socat -u "OPEN:$WORK/www/small" "OPENSSL:127.0.0.1:$port,$copts" 2>"$WORK/client.err" || rc=$?
  for _ in $(seq 1 40); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
  stop "$spid"
  local msg
  msg=$(grep -h -o -E 'E SSL_connect\(\): .*|E SSL_accept\(\): .*' "$WORK/client.err" "$WORK/server.err" | head -2 | tr '\n' ' ')
  if [[ -s $WORK/got ]]; then
    bad "$label: the server received the data (client exit $rc)"
  elif [[ -z $msg ]]; then
    bad "$label: no TLS error logged (client exit $rc)"
    show "$WORK/client.err" "$WORK/server.err"
  else
    pass "$label fails (client exit $rc: $msg)"
  fi
}
# The client's error paths against `openssl s_server` (system libssl): an
# untrusted certificate, a wrong host name (other.example's certificate) and
# an expired one give the same exit status and error lines (socat's "E ..."
# lines, without time and PID) as on the system's libssl.
start_s_server good "$WORK/www" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -WWW
P_GOOD=$SPORT
start_s_server other "$WORK/www" -cert "$PKI/other.pem" -key "$PKI/other.key" -WWW
P_OTHER=$SPORT
start_s_server expired "$WORK/www" -cert "$PKI/expired.pem" -key "$PKI/expired.key" -WWW
P_EXPIRED=$SPORT
socat_errors() { sed -n 's/^.* socat\[[0-9]*\] \(E .*\)$/\1/p' "$1"; }
compare_client() { # label port client-opts
  local label=$1 port=$2 opts=$3 rs rr ms mr
  sys timeout 30 socat -u "OPENSSL:localhost:$port,$opts" - </dev/null >/dev/null 2>"$WORK/sys.err"
  rs=$?
  rt timeout 30 socat -u "OPENSSL:localhost:$port,$opts" - </dev/null >/dev/null 2>"$WORK/rt.err"
  rr=$?
  ms=$(socat_errors "$WORK/sys.err")
  mr=$(socat_errors "$WORK/rt.err")
  if ((rs == 0)) || [[ -z $ms ]]; then
    bad "$label: socat on the system libssl did not fail with an error line (exit $rs; test broken)"
  elif [[ $rs == "$rr" && $ms == "$mr" ]]; then
    pass "$label: same as the system libssl: exit $rr, '$(tr '\n' ' ' <<<"$mr")'"
  else
    bad "$label: system libssl: exit $rs '$ms'; under test: exit $rr '$mr'"
    show "$WORK/rt.err"
  fi
}
compare_client "error path against s_server: untrusted certificate" "$P_GOOD" "cafile=$PKI/other.pem,verify=1"
compare_client "error path against s_server: wrong host name" "$P_OTHER" "cafile=$PKI/ca.pem,verify=1"
compare_client "error path against s_server: expired certificate" "$P_EXPIRED" "cafile=$PKI/ca.pem,verify=1"

# socat's OPENSSL: client (libssl under test) fetching a file over HTTP/1.0
# from `openssl s_server -WWW` and from `rapidtls serve`, TLS 1.3 and 1.2.
start_serve serve "$WORK/www" -q
P_SERVE=$SPORT
body_of() { "$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d.partition(b"\r\n\r\n")[2])' "$1"; }
for target in "s_server $P_GOOD" "rapidtls-serve $P_SERVE"; do
  read -r name port <<<"$target"
  for v in 1.3 1.2; do
    extra=""
    [[ $v == 1.2 ]] && extra=",max-version=TLS1.2"
    printf 'GET /f3m HTTP/1.0\r\nHost: localhost\r\n\r\n' |
      rt timeout 60 socat -t 30 - "OPENSSL:localhost:$port,cafile=$PKI/ca.pem,verify=1$extra" >"$WORK/resp" 2>"$WORK/client.err"
    rc=$?
    body_of "$WORK/resp" >"$WORK/got"
    if ((rc == 0)) && head -1 "$WORK/resp" | grep -q -E '^HTTP/1\.[01] 200'; then
      same_file "GET 3 MiB from $name, TLS $v (socat client)" "$WORK/www/f3m" "$WORK/got"
    else
      bad "GET 3 MiB from $name, TLS $v (socat client): exit $rc, '$(head -c 100 "$WORK/resp" | head -1)'"
      show "$WORK/client.err"
    fi
  done
done

sides=(client server)
[[ $BASELINE == 1 ]] && sides=(none)
for side in "${sides[@]}"; do
  expect_fail "client trusting another CA (under test: $side)" "$SRV_OPTS" \
    "cafile=$PKI/other.pem,verify=1,cert=$PKI/client.pem,key=$PKI/client.key" "$side"
  expect_fail "client without a certificate, server verify=1 (under test: $side)" "$SRV_OPTS" \
    "cafile=$PKI/ca.pem,verify=1" "$side"
  expect_fail "server with an expired certificate (under test: $side)" \
    "bind=127.0.0.1,reuseaddr,cert=$PKI/expired.pem,key=$PKI/expired.key,verify=0" "cafile=$PKI/ca.pem,verify=1" "$side"
done
finish
