#!/usr/bin/env bash
# The server's life: --tls1.2/--tls1.3 limits, the key log, slow-header and
# idle timeouts, the connection cap, and SIGINT/SIGTERM: stop accepting, send
# close_notify to open connections, exit 0.
source "$(dirname "$0")/lib.sh"
need curl python3 timeout

mkdir -p "$WORK/www"
echo hello >"$WORK/www/hello.txt"

# --tls1.2 / --tls1.3 limit the versions (curl checks both ways; the access
# log names the version used).
version_case() {  # serve-flag want-status curl-args...
  local flag=$1 want=$2 got
  shift 2
  start_serve "$WORK/www" "$flag"
  got=$(curl -sS --cacert "$CA" "$@" --max-time 10 -o /dev/null -w '%{http_code}' "$URL/hello.txt" 2>/dev/null)
  stop_serve INT || bad "$flag: exit status"
  if [[ $got == "$want" ]]; then ok "serve $flag, curl $*: $got"; else bad "serve $flag, curl $*: $got, want $want"; fi
}
version_case --tls1.2 200 --tls-max 1.2
grep -q '"GET /hello.txt HTTP/1.1" 200 6 TLSv1.2 ECDHE-' "$WORK/serve.out" && ok "access log: TLSv1.2 and its suite" ||
  { bad "access log does not say TLSv1.2"; show "$WORK/serve.out"; }
version_case --tls1.2 000 --tlsv1.3
version_case --tls1.3 000 --tls-max 1.2
version_case --tls1.3 200 --tlsv1.3

cat >"$WORK/client.py" <<'PY'
import socket, ssl, sys, time
mode, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)

def connect():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=15),
                           server_hostname="localhost")

def wait_close(s):
    """Seconds until the server ends the connection, and how: 'close_notify' or 'eof'."""
    t0 = time.monotonic()
    try:
        while True:
            if s.recv(4096) == b"":
                return time.monotonic() - t0, "close_notify"
    except (ssl.SSLEOFError, ConnectionResetError):
        return time.monotonic() - t0, "eof"

if mode == "slow-header":      # half a request head, then nothing
    s = connect()
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: loc")
    print("%.2f %s" % wait_close(s))
elif mode == "idle":           # one request on a keep-alive connection, then nothing
    s = connect()
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while not data.endswith(b"hello\n"):
        data += s.recv(4096)
    print("%.2f %s" % wait_close(s))
elif mode == "cap":            # hold N connections; one more must fail
    n = int(sys.argv[4])
    held = [connect() for _ in range(n)]
    try:
        extra = connect()
        extra.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = extra.recv(100)
        print("extra connection served:", got[:20])
    except (ssl.SSLError, OSError) as e:
        print("refused", type(e).__name__)
    held[0].close()
    time.sleep(0.5)
    s = connect()
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    print("after one closed:", s.recv(100).split(b"\r\n")[0].decode())
elif mode == "hold":           # an idle connection open until the server stops
    s = connect()
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while not data.endswith(b"hello\n"):
        data += s.recv(4096)
    print("ready", flush=True)
    print("%.2f %s" % wait_close(s), flush=True)
PY

# Timeouts (short ones for the test) and the key log.
start_serve "$WORK/www" --header-timeout 1 --idle-timeout 2 --max-connections 4 --keylog "$WORK/keys.log"
read -r secs how < <(timeout 20 python3 "$WORK/client.py" slow-header "$PORT" "$CA")
if [[ -n ${secs:-} ]] && python3 -c "import sys; sys.exit(0 if 0.5 <= float(sys.argv[1]) <= 4 else 1)" "$secs"; then
  ok "slow request head: closed after ${secs}s ($how)"
else
  bad "slow request head: '${secs:-} ${how:-}'"
fi
read -r secs how < <(timeout 20 python3 "$WORK/client.py" idle "$PORT" "$CA")
if [[ -n ${secs:-} ]] && python3 -c "import sys; sys.exit(0 if 1 <= float(sys.argv[1]) <= 5 else 1)" "$secs" &&
  [[ $how == close_notify ]]; then
  ok "idle keep-alive: closed after ${secs}s with close_notify"
else
  bad "idle keep-alive: '${secs:-} ${how:-}'"
fi
timeout 30 python3 "$WORK/client.py" cap "$PORT" "$CA" 4 >"$WORK/cap.out" 2>&1
grep -q "^refused" "$WORK/cap.out" && grep -q "after one closed: HTTP/1.1 200 OK" "$WORK/cap.out" &&
  ok "connection cap: the 5th of 4 refused, served again after one closed" ||
  { bad "connection cap"; show "$WORK/cap.out"; }
grep -q "^CLIENT_TRAFFIC_SECRET_0 " "$WORK/keys.log" && grep -q "^SERVER_HANDSHAKE_TRAFFIC_SECRET " "$WORK/keys.log" &&
  ok "--keylog writes NSS key log lines ($(wc -l <"$WORK/keys.log") lines)" || bad "--keylog"
stop_serve TERM || bad "SIGTERM: exit status $?"

# SIGINT with a client connected: it gets close_notify, the server exits 0
# and no longer accepts.
start_serve "$WORK/www"
timeout 30 python3 "$WORK/client.py" hold "$PORT" "$CA" >"$WORK/hold.out" 2>&1 &
hold=$!
PIDS+=("$hold")
for _ in $(seq 1 100); do grep -q ready "$WORK/hold.out" && break; sleep 0.05; done
stop_serve INT
rc=$?
wait "$hold"
[[ $rc -eq 0 ]] && ok "SIGINT: exit 0" || bad "SIGINT: exit $rc"
grep -q "close_notify" "$WORK/hold.out" && ok "SIGINT: the open connection got close_notify" ||
  { bad "SIGINT: no close_notify"; show "$WORK/hold.out"; }
grep -q "no longer accepting" "$WORK/serve.err" || bad "no stop message"
curl -s --max-time 5 -k -o /dev/null "$URL/" && bad "still accepting after SIGINT" || ok "not accepting after SIGINT"
finish
