#!/usr/bin/env bash
# A client that stops reading mid-download does not slow another client's
# download. One event loop (--threads 1), so both share it: three clients
# request 100 MiB and stop reading; curl's 10 MiB download must then take
# about as long as it does alone, and the stalled clients stay connected.
# Then the bounds (issue 17): while they are stalled, and a fourth client
# reads its 100 MiB slowly (64 KiB every 0.25 s), the server's resident memory
# grows by less than RSS_BOUND_KB over what it was at start (printed); after --idle-timeout without progress the
# server closes the stalled connections, never the slow reader that is still
# reading; once the slow reader leaves, no connection is left on the server
# and its descriptors are back to where they were.
source "$(dirname "$0")/lib.sh"
need curl python3 timeout sha256sum ss
IDLE=8                                                # serve's --idle-timeout
# Under the 100 MiB file: a server that held a reader's file in memory fails it.
# Growth, not the total: an ASan build starts at about 55 MiB (measured: 12 MiB
# in all for a Debug build). ASan's quarantine of freed blocks (256 MiB by
# default) is held to 16 MiB here, so that it does not count as the server's.
RSS_BOUND_KB=${RAPIDTLS_SLOW_READER_RSS_KB:-65536}  # 64 MiB of growth
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

mkdir -p "$WORK/www"
head -c 104857600 /dev/urandom >"$WORK/www/f100m"
head -c 10485760 /dev/urandom >"$WORK/www/f10m"
want=$(sha256_of "$WORK/www/f10m")
start_serve "$WORK/www" --threads 1 --idle-timeout "$IDLE"
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
server_conns() { ss -Htn state established "sport = :$PORT" 2>/dev/null | wc -l; }
fds_before=$(fds)
rss_before=$(rss_kb)
echo "serve before: RSS $rss_before kB, $fds_before descriptors"

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
established=$(server_conns)
((established >= 3)) && ok "$established connections still open on the server side" || bad "only $established connections open"

# A slow reader of the 100 MiB file: it keeps reading, so it keeps its connection.
cat >"$WORK/slow.py" <<'PY'
import socket, ssl, sys, time
port, ca, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
raw = socket.socket()
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
raw.connect(("127.0.0.1", port))
s = ctx.wrap_socket(raw, server_hostname="localhost")
s.settimeout(10)
s.sendall(b"GET /f100m HTTP/1.1\r\nHost: localhost\r\n\r\n")
got, end = 0, time.time() + seconds
print("reading", flush=True)
while time.time() < end:
    d = s.recv(65536)
    if not d:
        print("closed by the server after", got, "bytes", flush=True)
        sys.exit(1)
    got += len(d)
    time.sleep(0.25)
print("still connected after", got, "bytes", flush=True)
PY
python3 "$WORK/slow.py" "$PORT" "$CA" $((IDLE + 6)) >"$WORK/slow.out" 2>&1 &
slow=$!
PIDS+=("$slow")

# Memory while 3 readers are stalled and one reads slowly; the stalled ones are
# closed after IDLE seconds without progress.
peak=0
closed_after=
start=$(date +%s)
for _ in $(seq 1 $(((IDLE + 5) * 4))); do
  r=$(rss_kb)
  ((r > peak)) && peak=$r
  n=$(server_conns)
  if [[ -z $closed_after ]] && ((n <= 1)); then closed_after=$(($(date +%s) - start)); fi
  sleep 0.25
done
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
((hwm > peak)) && peak=$hwm  # the kernel's high-water mark catches a peak between samples
growth=$((peak - rss_before))
echo "serve with 3 stalled and 1 slow 100 MiB reader: RSS peak ${peak} kB, ${growth} kB over the start, bound ${RSS_BOUND_KB} kB"
((growth <= RSS_BOUND_KB)) && ok "resident memory grew by ${growth} kB, within ${RSS_BOUND_KB} kB" ||
  bad "resident memory grew by ${growth} kB, over ${RSS_BOUND_KB} kB"
[[ -n $closed_after ]] && ok "the stalled connections were closed within ${closed_after}s of the slow reader's start (--idle-timeout $IDLE)" ||
  bad "the stalled connections were still open $((IDLE + 5))s later: $(server_conns) open"
wait "$slow"
slow_rc=$?
cat "$WORK/slow.out"
((slow_rc == 0)) && ok "the slow reader kept its connection for $((IDLE + 6))s, longer than --idle-timeout" ||
  bad "the slow reader lost its connection"

# Everyone gone: nothing left on the server.
for pid in "${PIDS[@]}"; do [[ $pid == "$SERVER_PID" ]] || kill "$pid" 2>/dev/null; done
left=
for _ in $(seq 1 $(((IDLE + 5) * 10))); do
  left=$(server_conns)
  ((left == 0)) && break
  sleep 0.1
done
((left == 0)) && ok "no connection left on the server" || bad "$left connections left on the server"
fds_after=$(fds)
for _ in $(seq 1 50); do
  ((fds_after <= fds_before)) && break
  sleep 0.1
  fds_after=$(fds)
done
((fds_after <= fds_before)) && ok "descriptors back to $fds_after (were $fds_before)" ||
  bad "descriptors $fds_after (were $fds_before)"
echo "serve after: RSS $(rss_kb) kB"
stop_serve INT || bad "rapidtls serve did not exit 0 with stalled clients (status $?)"
finish
