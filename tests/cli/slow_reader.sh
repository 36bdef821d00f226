#!/usr/bin/env bash
# A client that stops reading mid-download does not slow another client's
# download. One event loop (--threads 1), so both share it: three clients
# request 100 MiB and stop reading; curl's 10 MiB download must then take
# about as long as it does alone, and the stalled clients stay connected.
source "$(dirname "$0")/lib.sh"
need curl python3 timeout sha256sum ss

mkdir -p "$WORK/www"
head -c 104857600 /dev/urandom >"$WORK/www/f100m"
head -c 10485760 /dev/urandom >"$WORK/www/f10m"
want=$(sha256_of "$WORK/www/f10m")
start_serve "$WORK/www" --threads 1

timed_download() {  # prints seconds; fails on a wrong sha256
  local t
  t=$(timeout 60 curl -sS --fail --cacert "$CA" -o "$WORK/dl" -w '%{time_total}' "$URL/f10m") || return 1
  [[ $(sha256_of "$WORK/dl") == "$want" ]] || return 1
  echo "$t"
}

alone=$(timed_download) || fail "the download alone failed"
echo "10 MiB alone: ${alone}s"

cat >"$WORK/stall.py" <<'PY'
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
raw = socket.socket()
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # fills quickly
raw.connect(("127.0.0.1", port))
s = ctx.wrap_socket(raw, server_hostname="localhost")
s.sendall(b"GET /f100m HTTP/1.1\r\nHost: localhost\r\n\r\n")
head = s.recv(200)
assert head.startswith(b"HTTP/1.1 200"), head
print("stalled", flush=True)
time.sleep(60)  # never reads again
PY
for i in 1 2 3; do
  python3 "$WORK/stall.py" "$PORT" "$CA" >"$WORK/stall.$i" 2>&1 &
  PIDS+=("$!")
done
for i in 1 2 3; do
  for _ in $(seq 1 100); do grep -q stalled "$WORK/stall.$i" && break; sleep 0.05; done
  grep -q stalled "$WORK/stall.$i" || { show "$WORK/stall.$i"; fail "stalled client $i did not start"; }
done
sleep 1  # the stalled responses fill their socket buffers

with=$(timed_download) || { show "$WORK/serve.err"; fail "the download beside stalled readers failed or was corrupt"; }
echo "10 MiB beside 3 stalled readers: ${with}s"
# Generous bound for a shared 2-core machine: at most 4x the lone time plus 2 s.
if python3 -c "import sys; a,w=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if w <= 4*a + 2 else 1)" "$alone" "$with"; then
  ok "a stalled reader does not slow the other download (${alone}s alone, ${with}s beside them)"
else
  bad "download slowed from ${alone}s to ${with}s by stalled readers"
fi
# The stalled clients are still connected (the loop did not give up on them early either).
for i in 1 2 3; do
  kill -0 "${PIDS[$i]}" 2>/dev/null || bad "stalled client $i ended"
done
established=$(ss -Htn state established "sport = :$PORT" 2>/dev/null | wc -l)
((established >= 3)) && ok "$established connections still open on the server side" || bad "only $established connections open"
stop_serve INT || bad "rapidtls serve did not exit 0 with stalled clients (status $?)"
finish
