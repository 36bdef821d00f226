#!/usr/bin/env bash
# Hostile peers against `rapidtls serve`, each with its bound (the peer limits of
# conn/connection.h, docs/ARCHITECTURE.md "Limits on the peer", and the server's timeouts):
# - 2,000 connections that each send half a ClientHello and stall: the server
#   keeps answering a normal curl quickly, its memory stays under a stated
#   bound (printed), and after --header-timeout it closes every one of them
#   (its open descriptors come back to where they were);
# - a flood of 500 connections sending random bytes instead of a handshake:
#   each is closed (an alert or EOF), never answered with data, and curl is
#   still served;
# - a flood of KeyUpdate requests on one connection: ended with
#   unexpected_message after 32 in a row, and curl is still served;
# then the server stops cleanly (exit 0: under the sanitizer builds, nothing
# leaked).
source "$(dirname "$0")/lib.sh"
need curl python3 openssl
STALLED=${RAPIDTLS_HOSTILE_STALLED:-2000}
RSS_BOUND_KB=${RAPIDTLS_HOSTILE_RSS_KB:-262144}  # 256 MiB, ASan builds included

# Room for the stalled connections: both ends of each are in this machine.
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) > STALLED + 200)) || skip "open-file limit $(ulimit -n) is below $((STALLED + 200))"

make_files 1000
start_serve "$WORK/www" --header-timeout 3 --idle-timeout 30 --max-connections 4096 -q
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
served_in() { # seconds curl needed for a small GET (fails the check if it failed)
  local t
  t=$(curl -sS -k --max-time 10 -o "$WORK/got" -w '%{time_total}' "$URL/f1000" 2>"$WORK/curl.err") || return 1
  cmp -s "$WORK/got" "$WORK/www/f1000" || return 1
  echo "$t"
}
fds_before=$(fds)
rss_before=$(rss_kb)

# ---- half a ClientHello each, then silence
cat >"$WORK/stall.py" <<'PY'
import os, socket, sys, time
port, count, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
# A ClientHello's record header and the first bytes of its message: the
# server waits for the rest.
half = bytes([22, 3, 1, 0x01, 0x00, 1, 0, 0, 0xfc, 3, 3]) + os.urandom(20)
socks = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(half)
    socks.append(s)
print("stalled", len(socks), flush=True)
# Then: how many the server closes within `hold` seconds (EOF or reset).
deadline = time.time() + hold
closed = set()
for s in socks:
    s.setblocking(False)
while time.time() < deadline and len(closed) < len(socks):
    for i, s in enumerate(socks):
        if i in closed:
            continue
        try:
            d = s.recv(4096)
            if not d:
                closed.add(i)
        except BlockingIOError:
            pass
        except OSError:
            closed.add(i)
    time.sleep(0.05)
print("closed by the server", len(closed), flush=True)
PY
python3 "$WORK/stall.py" "$PORT" "$STALLED" 12 >"$WORK/stall.out" 2>&1 &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 1 400); do grep -q '^stalled' "$WORK/stall.out" && break; sleep 0.05; done
if ! grep -q "^stalled $STALLED" "$WORK/stall.out"; then
  show "$WORK/stall.out" "$WORK/serve.err"
  fail "could not open $STALLED stalled connections"
fi
# The kernel completes the connections before the server accepts them: wait
# (2 s at most, within --header-timeout) until it holds them all.
fds_stalled=$(fds)
for _ in $(seq 1 40); do
  ((fds_stalled >= fds_before + STALLED)) && break
  sleep 0.05
  fds_stalled=$(fds)
done
rss_stalled=$(rss_kb)
if t=$(served_in); then
  awk -v t="$t" 'BEGIN { exit !(t < 2.0) }' && ok "beside $STALLED stalled half-handshakes a GET takes ${t}s (< 2 s)" ||
    bad "beside $STALLED stalled half-handshakes a GET takes ${t}s (bound 2 s)"
else
  bad "beside $STALLED stalled half-handshakes the GET failed"; show "$WORK/curl.err"
fi
echo "memory: ${rss_before} kB before, ${rss_stalled} kB with $STALLED stalled connections ($(((rss_stalled - rss_before) / STALLED)) kB each); descriptors $fds_before -> $fds_stalled"
[[ -n $rss_stalled ]] && ((rss_stalled < RSS_BOUND_KB)) && ok "RSS ${rss_stalled} kB under the bound (${RSS_BOUND_KB} kB)" ||
  bad "RSS ${rss_stalled} kB over the bound (${RSS_BOUND_KB} kB)"
((fds_stalled >= fds_before + STALLED)) && ok "the server holds the $STALLED connections ($fds_stalled descriptors)" ||
  bad "the server holds $((fds_stalled - fds_before)) connections, expected $STALLED"
wait "$SPID"
closed=$(sed -n 's/^closed by the server //p' "$WORK/stall.out")
[[ $closed == "$STALLED" ]] && ok "--header-timeout 3: the server closed all $STALLED within 12 s" ||
  bad "the server closed ${closed:-?} of $STALLED stalled connections within 12 s"
fds_after=$(fds)
((fds_after <= fds_before + 2)) && ok "descriptors back to $fds_after (were $fds_before)" ||
  bad "descriptors $fds_after after the stalled connections left (were $fds_before)"

# ---- random bytes instead of a handshake
cat >"$WORK/flood.py" <<'PY'
import os, socket, sys, time
port, count, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    junk = os.urandom(1024)
    if i % 2:
        junk = bytes([22, 3, 3, 0x40, 0x00]) + junk  # a handshake header, then garbage
    try:
        s.sendall(junk)
    except OSError:
        pass
    s.setblocking(False)
    socks.append(s)
got = [b""] * count
closed = set()
deadline = time.time() + hold
while time.time() < deadline and len(closed) < count:
    for i, s in enumerate(socks):
        if i in closed:
            continue
        try:
            d = s.recv(4096)
            if d:
                got[i] += d
            else:
                closed.add(i)
        except BlockingIOError:
            pass
        except OSError:
            closed.add(i)
    time.sleep(0.05)
# At most an alert record (content type 21) comes back.
answered = sum(1 for g in got if g and g[0] != 21)
print("closed", len(closed), "answered with something else than an alert", answered, flush=True)
PY
timeout 120 python3 "$WORK/flood.py" "$PORT" 500 15 >"$WORK/flood.out" 2>&1
if grep -q '^closed 500 answered with something else than an alert 0$' "$WORK/flood.out"; then
  ok "500 connections of random bytes: each closed within 15 s, at most an alert sent"
else
  bad "random-byte flood: $(cat "$WORK/flood.out")"
fi
if t=$(served_in); then ok "after the flood a GET takes ${t}s"; else bad "after the flood the GET failed"; show "$WORK/curl.err"; fi

# ---- a KeyUpdate flood (TLS 1.3): 100 requests for a KeyUpdate in return
# (openssl s_client's K command), no data between them. Past 32 in a row the
# server ends the connection with unexpected_message (conn::kMaxKeyUpdates),
# and it still serves others.
(for _ in $(seq 1 100); do echo K; sleep 0.01; done) |
  timeout 60 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 >"$WORK/ku.out" 2>"$WORK/ku.err"
if grep -q 'SSL alert number 10' "$WORK/ku.err"; then
  ok "a flood of KeyUpdate requests: the server ends it with unexpected_message"
else
  bad "a flood of KeyUpdate requests was not ended by the server"
  show "$WORK/ku.err"
fi
if t=$(served_in); then ok "after the KeyUpdate flood a GET takes ${t}s"; else bad "after the KeyUpdate flood the GET failed"; show "$WORK/curl.err"; fi

stop_serve INT
rc=$?
((rc == 0)) && ok "serve stopped by SIGINT (exit 0)" || { bad "serve exit $rc after SIGINT"; show "$WORK/serve.err"; }
finish
