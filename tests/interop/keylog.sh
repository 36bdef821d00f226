#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The key log (SSLKEYLOGFILE format) lets Wireshark decrypt a session.
#
#   keylog.sh DRIVER client|server
#
# Captures a loopback session between rapidtls (writing --keylog) and OpenSSL
# with tshark, checks that the known plaintext sent each way is not visible in
# the capture, then decrypts the capture with tshark and our key log alone and
# checks that both plaintexts appear.
PRIVATE_NETNS=1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

role=${1:?client or server}
command -v tshark >/dev/null || skip "tshark is not installed (Debian package tshark)"
command -v openssl >/dev/null || skip "the openssl command is not installed"
make_pki

# Known plaintexts: a marker line from the peer, and the first line of the
# driver's --text stream.
marker="RAPIDTLS-KEYLOG-MARKER-$RANDOM$RANDOM-from-openssl"
{
  echo "$marker"
  head -c 20000 /dev/urandom | base64 -w 64
} >"$WORK/peer.in"
from_peer=$(stat -c %s "$WORK/peer.in")
to_peer=30000
our_line=$("$DRIVER" gen 64 --text)
keylog=$WORK/keys.log

# Starts tshark on the loopback interface and returns once it demonstrably
# captures: UDP probes to a port that nobody serves are sent until one shows
# up in tshark's live packet list ("Capturing on" comes before the filter is
# in place).
start_capture() {
  local port=$1 probe
  probe=$(free_port)
  tshark -i lo -f "tcp port $port or udp port $probe" -w "$WORK/cap.pcapng" -P -l \
    >"$WORK/tshark.out" 2>"$WORK/tshark.err" &
  TSHARK_PID=$!
  PIDS+=("$TSHARK_PID")
  for _ in $(seq 1 150); do
    if ! kill -0 "$TSHARK_PID" 2>/dev/null; then
      show "$WORK/tshark.err"
      skip "tshark cannot capture on the loopback interface here (see its message above)"
    fi
    if grep -q "Capturing on" "$WORK/tshark.err"; then
      echo "rapidtls-keylog-probe" >"/dev/udp/127.0.0.1/$probe" 2>/dev/null
      grep -q "UDP" "$WORK/tshark.out" && return 0
    fi
    sleep 0.1
  done
  show "$WORK/tshark.err" "$WORK/tshark.out"
  fail "tshark did not capture a probe packet within 15 s"
}

stop_capture() {
  # Let the last packets reach the capture file, then stop tshark cleanly.
  sleep 0.5
  kill -INT "$TSHARK_PID" 2>/dev/null
  wait_for_pid "$TSHARK_PID" 10 || true
  [[ -s $WORK/cap.pcapng ]] || { show "$WORK/tshark.err"; fail "tshark wrote no capture"; }
}

drv_opts=(--keylog "$keylog" --text --send-bytes "$to_peer" --expect-bytes "$from_peer"
  --timeout-ms 20000)
case $role in
  client)
    open_feed
    start_server s_server "$FEED" timeout 60 openssl s_server -accept 127.0.0.1:PORT -naccept 1 \
      -quiet -tls1_3 -cert "$PKI/ec.pem" -key "$PKI/ec.key"
    start_capture "$SERVER_PORT"
    feed_file "$WORK/peer.in"
    timeout 60 "$DRIVER" client 127.0.0.1 "$SERVER_PORT" --cafile "$PKI/ca.pem" --host localhost \
      "${drv_opts[@]}" >"$WORK/driver.out" 2>"$WORK/driver.err"
    rc=$?
    wait_for_pid "$SERVER_PID" 10
    close_feed
    ;;
  server)
    start_driver_server --cert "$PKI/ec.pem" --key "$PKI/ec.key" "${drv_opts[@]}"
    start_capture "$DRIVER_PORT"
    timeout 60 openssl s_client -connect "127.0.0.1:$DRIVER_PORT" -quiet -nocommands \
      -CAfile "$PKI/ca.pem" <"$WORK/peer.in" >"$WORK/s_client.out" 2>"$WORK/s_client.err" &
    cpid=$!
    PIDS+=("$cpid")
    wait_for_pid "$DRIVER_PID" 60
    rc=$?
    wait_for_pid "$cpid" 10
    ;;
  *) fail "unknown role $role" ;;
esac
stop_capture

if [[ $rc != 0 ]]; then
  show "$WORK/driver.err"
  fail "the TLS session failed (driver exit status $rc)"
fi
[[ $(driver_sha256 "$WORK/driver.out") == "$(sha256_of "$WORK/peer.in")" ]] ||
  fail "the data from openssl arrived damaged"
for label in CLIENT_HANDSHAKE_TRAFFIC_SECRET SERVER_HANDSHAKE_TRAFFIC_SECRET \
  CLIENT_TRAFFIC_SECRET_0 SERVER_TRAFFIC_SECRET_0; do
  grep -Eq "^$label [0-9a-f]{64} [0-9a-f]{64}\$" "$keylog" ||
    { show "$keylog"; fail "the key log has no well-formed $label line"; }
done
echo "  key log: $(wc -l <"$keylog") lines"

# The capture itself must not show the plaintext.
if grep -aqF -e "$marker" -e "$our_line" "$WORK/cap.pcapng"; then
  fail "the capture holds the plaintext unencrypted"
fi
packets=$(tshark -r "$WORK/cap.pcapng" -Y tcp 2>/dev/null | wc -l)
[[ $packets -gt 0 ]] || { show "$WORK/tshark.err"; fail "the capture holds no TCP packet"; }
echo "  captured $packets TCP packets; plaintext not visible without keys"

# Decrypt with the key log: both directions' plaintext must appear.
tshark -r "$WORK/cap.pcapng" -o "tls.keylog_file:$keylog" -q -z follow,tls,ascii,0 \
  >"$WORK/decrypted.txt" 2>"$WORK/decrypt.err"
ok=1
grep -qF -- "$marker" "$WORK/decrypted.txt" || { echo "  openssl's marker not decrypted"; ok=0; }
grep -qF -- "$our_line" "$WORK/decrypted.txt" || { echo "  rapidtls's first line not decrypted"; ok=0; }
if [[ $ok != 1 ]]; then
  show "$WORK/decrypt.err"
  head -n 30 "$WORK/decrypted.txt"
  fail "tshark could not decrypt the session with rapidtls's key log"
fi
echo "  tshark decrypted both directions with the key log"
echo "PASS: keylog $role"
