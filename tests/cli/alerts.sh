#!/usr/bin/env bash
# A client that breaks the protocol gets the fatal alert, and then a FIN, not
# a reset: the server ends its side of TCP and reads what the client still
# sends before it closes (a socket closed with unread bytes answers them with a
# reset, and a client that meets the reset on a write may never read the alert).
source "$(dirname "$0")/lib.sh"
need curl python3

mkdir -p "$WORK/www"
echo hello >"$WORK/www/hello.txt"
start_serve "$WORK/www" --tls1.3

cat >"$WORK/probe.py" <<'PY'
import socket, ssl, sys, time
port, case = int(sys.argv[1]), sys.argv[2]

def tls12_only_hello():
    """A ClientHello offering TLS 1.2 at most, made by Python's ssl module."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(i, o, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return o.read()

if case == "empty_client_hello":
    # A handshake record holding a ClientHello of length 0: malformed.
    first = bytes([22, 3, 1, 0, 4, 1, 0, 0, 0])
else:
    first = tls12_only_hello()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
# More bytes in flight behind the bad flight, as a client that does not wait
# for the answer sends them: the server never reads them as TLS.
s.sendall(first + bytes([23, 3, 3, 0, 32]) + b"x" * 32)
time.sleep(0.3)
s.sendall(b"y" * 100)  # a write after the server's answer: no reset either
got, end = b"", "?"
t0 = time.monotonic()
try:
    while True:
        d = s.recv(4096)
        if not d:
            end = "eof"
            break
        got += d
except ConnectionResetError:
    end = "reset"
except socket.timeout:
    end = "timeout"
print(got.hex(), end, round(time.monotonic() - t0, 2))
PY

# case, the alert record expected (fatal, then the description)
check() {
  local name=$1 want=$2 out rec end secs
  out=$(python3 "$WORK/probe.py" "$PORT" "$name" 2>&1) || { bad "$name: probe failed: $out"; return; }
  read -r rec end secs <<<"$out"
  if [[ $rec == "$want" ]]; then ok "$name: alert record $rec"; else bad "$name: got '$rec', want the alert record $want"; fi
  if [[ $end == eof ]]; then
    ok "$name: then a FIN ($secs s after the client's last write)"
  else
    bad "$name: the connection ended with '$end' after the alert, not a FIN"
  fi
}
# decode_error (50 = 0x32): the message is malformed.
check empty_client_hello 15030300020232
# protocol_version (70 = 0x46): --tls1.3 and a client offering at most TLS 1.2.
check tls12_only 15030300020246

grep -q "TLS handshake failed" "$WORK/serve.err" && ok "the server logged the failures" ||
  { bad "no failure in the server's log"; show "$WORK/serve.err"; }
got=$(curl -sS --cacert "$CA" --max-time 10 "$URL/hello.txt" 2>&1)
[[ $got == hello ]] && ok "a good client is served afterwards" || bad "after the bad clients: '$got'"
stop_serve INT || bad "rapidtls serve did not exit 0"
finish
