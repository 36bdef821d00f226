#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# rapidtls_driver against OpenSSL's s_server and s_client (TLS 1.3, and TLS 1.2
# for the 0xc0../0xcc.. suites).
#
#   openssl.sh DRIVER SCENARIO [SUITE GROUP [CERT]]
#
# Scenarios (rapidtls's role first):
#   client SUITE GROUP [ec|rsa]   rapidtls client <-> s_server, data both ways
#   server SUITE GROUP [ec|rsa]   s_client <-> rapidtls server, data both ways
#   mtls-client                   rapidtls client presents a certificate to s_server -Verify 1
#   mtls-server                   rapidtls server requires and verifies s_client's certificate
#   mtls-server-missing           ... and refuses s_client without one (certificate_required)
#   keyupdate-client              rapidtls client sends KeyUpdate(update_requested) mid-stream
#   keyupdate-server              rapidtls server does the same
#   keyupdate-peer                s_client sends KeyUpdate(update_requested) to a rapidtls server
#   hrr-client                    rapidtls client's key share is P-256, s_server wants X25519
#   hrr-server                    s_client's key share is P-256, rapidtls server wants X25519
#   client-wrong-host             rapidtls client refuses s_server's certificate for another name
#   client-untrusted              ... and a certificate from a CA it does not trust
#   records-client                s_server sends 512-byte fragments (handshake messages split
#                                 across records), padded records and 4 tickets
#   records-server                s_client does the same towards a rapidtls server
#   client-two-shares             rapidtls client sends shares for X25519 and P-256; s_server
#                                 takes P-256 from the second share, without HRR
#   server-no-sigalg              s_client accepts only ECDSA signatures from an RSA server:
#                                 handshake_failure on both sides
#   ticket-offer                  s_client keeps our ticket and offers it on a second connection:
#                                 the server resumes it (pre_shared_key in its ServerHello, no
#                                 Certificate)
#
# Every data check compares sha256 of the bytes sent with those received.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

scenario=${1:?scenario}
suite=${2:-0x1301}
group=${3:-x25519}
cert=${4:-ec}

command -v openssl >/dev/null || skip "the openssl command is not installed"
make_pki

# Sizes that are not multiples of a record, and differ by direction.
TO_PEER=${TO_PEER:-100003}
FROM_PEER=${FROM_PEER:-70001}
random_file "$WORK/peer.in" "$FROM_PEER"
want_to_peer=$(driver_stream_sha256 "$TO_PEER")
want_from_peer=$(sha256_of "$WORK/peer.in")

if is_tls12_suite "$suite"; then
  ossl_common=(-tls1_2 -cipher "$(openssl_suite "$suite")" -groups "$(openssl_group "$group")")
else
  ossl_common=(-tls1_3 -ciphersuites "$(openssl_suite "$suite")" -groups "$(openssl_group "$group")")
fi
drv_common=(--suite "$suite" --group "$group" --timeout-ms 20000)

# s_client's stdin is binary data: no command letters.
S_CLIENT_COMMANDS=(-nocommands)
# Gives the peer its data. With FEED_AFTER set, only once the driver has
# printed that text on stderr (so the peer writes after, say, our KeyUpdate).
feed_peer() {
  if [[ -n ${FEED_AFTER:-} ]]; then
    for _ in $(seq 1 400); do
      grep -q "$FEED_AFTER" "$WORK/driver.err" 2>/dev/null && break
      sleep 0.05
    done
    grep -q "$FEED_AFTER" "$WORK/driver.err" 2>/dev/null ||
      { show "$WORK/driver.err"; fail "the driver never printed '$FEED_AFTER'"; }
  fi
  feed_file "$WORK/peer.in"
}

# rapidtls client <-> s_server. Extra s_server words, then "--", then extra driver words.
run_client() {
  local -a sargs=() dargs=()
  while [[ $# -gt 0 && $1 != -- ]]; do sargs+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  dargs=("$@")
  open_feed
  start_server s_server "$FEED" timeout 60 openssl s_server -accept 127.0.0.1:PORT -naccept 1 \
    -quiet -msg -msgfile "$WORK/s_server.msg" "${ossl_common[@]}" \
    -cert "$PKI/$cert.pem" -key "$PKI/$cert.key" "${sargs[@]}"
  timeout 60 "$DRIVER" client 127.0.0.1 "$SERVER_PORT" "${drv_common[@]}" \
    --cafile "$PKI/ca.pem" --host localhost --send-bytes "$TO_PEER" --expect-bytes "$FROM_PEER" \
    "${dargs[@]}" >"$WORK/driver.out" 2>"$WORK/driver.err" &
  local dpid=$!
  PIDS+=("$dpid")
  feed_peer
  wait_for_pid "$dpid" 60
  DRIVER_RC=$?
  wait_for_pid "$SERVER_PID" 10
  PEER_RC=$?
  close_feed
  PEER_MSG=$WORK/s_server.msg
  PEER_OUT=$WORK/s_server.out
  PEER_LOGS=("$WORK/s_server.err")
}

# s_client <-> rapidtls server. Extra s_client words, "--", extra driver words.
# $CLIENT_INPUT (default: the random peer data) feeds s_client's stdin.
run_server() {
  local -a cargs=() dargs=()
  while [[ $# -gt 0 && $1 != -- ]]; do cargs+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  dargs=("$@")
  start_driver_server "${drv_common[@]}" --cert "$PKI/$cert.pem" --key "$PKI/$cert.key" \
    --send-bytes "$TO_PEER" --expect-bytes "$FROM_PEER" "${dargs[@]}"
  open_feed
  timeout 60 openssl s_client -connect "127.0.0.1:$DRIVER_PORT" -quiet "${S_CLIENT_COMMANDS[@]}" \
    -msg -msgfile "$WORK/s_client.msg" "${ossl_common[@]}" -CAfile "$PKI/ca.pem" \
    -verify_return_error -verify_hostname localhost "${cargs[@]}" \
    <"$FEED" >"$WORK/s_client.out" 2>"$WORK/s_client.err" &
  local cpid=$!
  PIDS+=("$cpid")
  if [[ -n ${CLIENT_FEED_FN:-} ]]; then
    "$CLIENT_FEED_FN"
  else
    feed_peer
  fi
  wait_for_pid "$DRIVER_PID" 60
  DRIVER_RC=$?
  wait_for_pid "$cpid" 10
  PEER_RC=$?
  close_feed
  PEER_MSG=$WORK/s_client.msg
  PEER_OUT=$WORK/s_client.out
  PEER_LOGS=("$WORK/s_client.err")
}

# Checks both directions; prints the logs and fails on any difference.
check_data() {
  local ok=1
  if [[ $DRIVER_RC != 0 ]]; then
    echo "  rapidtls_driver exited with status $DRIVER_RC"
    ok=0
  fi
  expect_same "rapidtls -> openssl" "$want_to_peer" "$(sha256_of "$PEER_OUT")" || ok=0
  expect_same "openssl -> rapidtls" "$want_from_peer" "$(driver_sha256 "$WORK/driver.out")" || ok=0
  if [[ $ok != 1 ]]; then
    show "$WORK/driver.err" "$WORK/driver.out" "${PEER_LOGS[@]}"
    fail "$scenario $suite $group: data check failed (openssl exit status $PEER_RC)"
  fi
  grep '^negotiated:' "$WORK/driver.err" | sed 's/^/  /'
}

# The driver must report the suite and group asked for.
check_negotiated() {
  local want_suite=$1 want_group=$2 line
  line=$(grep '^negotiated:' "$WORK/driver.err")
  [[ $line == *"suite=$want_suite "* ]] || fail "expected suite $want_suite: $line"
  [[ $line == *"group=$want_group "* ]] || fail "expected group $want_group: $line"
}

# The openssl -msg log must show a message in a direction (">>>" sent, "<<<" received).
check_msg() {
  local dir=$1 what=$2
  grep -q "^$dir .*$what" "$PEER_MSG" ||
    { show "$PEER_MSG"; fail "openssl's message log shows no '$dir $what'"; }
  echo "  openssl log: $dir $what"
}

group_name() {
  case $1 in
    x25519) echo x25519 ;;
    secp256r1) echo secp256r1 ;;
    secp384r1) echo secp384r1 ;;
  esac
}

case $scenario in
  client)
    run_client
    check_data
    check_negotiated "$(openssl_suite "$suite")" "$(group_name "$group")"
    ;;
  server)
    run_server
    check_data
    check_negotiated "$(openssl_suite "$suite")" "$(group_name "$group")"
    # Our NewSessionTicket reached s_client and parsed (TLS 1.3).
    is_tls12_suite "$suite" || check_msg "<<<" "NewSessionTicket"
    ;;
  mtls-client)
    run_client -Verify 1 -CAfile "$PKI/ca.pem" -verify_return_error -- \
      --client-cert "$PKI/client.pem" --client-key "$PKI/client.key"
    check_data
    check_msg "<<<" "Certificate$"
    check_msg "<<<" "CertificateVerify"
    ;;
  mtls-server)
    run_server -cert "$PKI/client.pem" -key "$PKI/client.key" -- \
      --cafile "$PKI/ca.pem" --require-client-cert
    check_data
    grep -q 'peer="CN=rapidtls interop client"' "$WORK/driver.err" ||
      { show "$WORK/driver.err"; fail "the server did not report the client's certificate"; }
    echo "  rapidtls server verified the client certificate"
    ;;
  mtls-server-missing)
    run_server -- --cafile "$PKI/ca.pem" --require-client-cert
    if [[ $DRIVER_RC == 0 ]]; then
      show "$WORK/driver.err"
      fail "the server accepted a client without a certificate"
    fi
    grep -q 'alert=certificate_required' "$WORK/driver.err" ||
      { show "$WORK/driver.err" "${PEER_LOGS[@]}"; fail "expected a certificate_required failure"; }
    grep -qi 'certificate required' "$WORK/s_client.err" ||
      { show "$WORK/s_client.err"; fail "s_client did not report the certificate_required alert"; }
    echo "  refused with certificate_required, and s_client saw the alert"
    ;;
  keyupdate-client)
    # The peer writes only after our KeyUpdate(update_requested), so it
    # must answer with its own KeyUpdate first (RFC 8446 4.6.3).
    FEED_AFTER="sent KeyUpdate"
    run_client -- --key-update
    check_data
    check_msg "<<<" "KeyUpdate"
    check_msg ">>>" "KeyUpdate"
    ;;
  keyupdate-server)
    FEED_AFTER="sent KeyUpdate"
    run_server -- --key-update
    check_data
    check_msg "<<<" "KeyUpdate"
    check_msg ">>>" "KeyUpdate"
    ;;
  keyupdate-peer)
    # s_client with its command letters on: a line "K" read on its own makes
    # it send KeyUpdate(update_requested). Its data is digits only, so no
    # other chunk can be taken for a command.
    seq 1 8000 >"$WORK/part1"
    seq 8001 16000 >"$WORK/part2"
    cat "$WORK/part1" "$WORK/part2" >"$WORK/peer.in"
    FROM_PEER=$(stat -c %s "$WORK/peer.in")
    want_from_peer=$(sha256_of "$WORK/peer.in")
    feed_with_key_update() {
      {
        cat "$WORK/part1"
        sleep 0.5
        printf 'K\n'
        sleep 0.5
        cat "$WORK/part2"
      } >&"$FEED_FD" &
      PIDS+=("$!")
    }
    CLIENT_FEED_FN=feed_with_key_update
    S_CLIENT_COMMANDS=()
    # The server answers only after all the client's data (so after the update).
    run_server -no_ign_eof -- --read-first
    check_data
    grep -q KEYUPDATE "$WORK/s_client.err" || { show "$WORK/s_client.err"; fail "s_client did not send its KeyUpdate"; }
    check_msg ">>>" "KeyUpdate"
    check_msg "<<<" "KeyUpdate"
    ;;
  hrr-client)
    # Our only key share is for P-256; s_server takes X25519 alone.
    ossl_common=(-tls1_3 -ciphersuites "$(openssl_suite "$suite")" -groups X25519)
    # shellcheck disable=SC2054 # the driver takes a comma-separated group list
    drv_common=(--suite "$suite" --group secp256r1,x25519 --timeout-ms 20000)
    run_client
    check_data
    check_negotiated "$(openssl_suite "$suite")" x25519
    grep -q 'hrr=yes' "$WORK/driver.err" || fail "no HelloRetryRequest happened"
    echo "  HelloRetryRequest: client retried with x25519"
    ;;
  hrr-server)
    # s_client sends a key share for its first group only (P-256).
    ossl_common=(-tls1_3 -ciphersuites "$(openssl_suite "$suite")" -groups P-256:X25519)
    drv_common=(--suite "$suite" --group x25519 --timeout-ms 20000)
    run_server
    check_data
    check_negotiated "$(openssl_suite "$suite")" x25519
    grep -q 'hrr=yes' "$WORK/driver.err" || fail "no HelloRetryRequest happened"
    echo "  HelloRetryRequest: server asked for x25519"
    ;;
  records-client)
    run_client -max_send_frag 512 -record_padding 700 -num_tickets 4 -no_middlebox
    check_data
    check_msg ">>>" "Certificate$"
    ;;
  records-server)
    run_server -max_send_frag 512 -record_padding 700 -no_middlebox -cert "$PKI/client.pem" \
      -key "$PKI/client.key" -- --cafile "$PKI/ca.pem" --require-client-cert
    check_data
    ;;
  client-two-shares)
    ossl_common=(-tls1_3 -ciphersuites "$(openssl_suite "$suite")" -groups P-256)
    # shellcheck disable=SC2054 # the driver takes a comma-separated group list
    drv_common=(--suite "$suite" --group x25519,secp256r1 --key-shares 2 --timeout-ms 20000)
    run_client
    check_data
    check_negotiated "$(openssl_suite "$suite")" secp256r1
    grep -q 'hrr=no' "$WORK/driver.err" || fail "an unneeded HelloRetryRequest happened"
    echo "  s_server used our second key share"
    ;;
  server-no-sigalg)
    cert=rsa
    run_server -sigalgs ECDSA+SHA256
    if [[ $DRIVER_RC == 0 ]]; then
      show "$WORK/driver.err"
      fail "the server completed a handshake it cannot sign for"
    fi
    grep -q "handshake failed: alert=handshake_failure reason=118 " "$WORK/driver.err" ||
      { show "$WORK/driver.err"; fail "expected handshake_failure, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM"; }
    grep -qi "alert handshake failure" "$WORK/s_client.err" ||
      { show "$WORK/s_client.err"; fail "s_client did not receive the handshake_failure alert"; }
    echo "  refused with handshake_failure (no suitable signature algorithm); s_client saw the alert"
    ;;
  client-wrong-host | client-untrusted)
    if [[ $scenario == client-wrong-host ]]; then
      want_alert=bad_certificate
      run_client -- --host other.example
    else
      want_alert=unknown_ca
      # A CA of its own that signed nothing the server has.
      openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$WORK/other-ca.key" -out "$WORK/other-ca.pem" -days 2 -subj "/CN=other CA" \
        >/dev/null 2>&1 || fail "could not make the second CA"
      run_client -- --cafile "$WORK/other-ca.pem"
    fi
    if [[ $DRIVER_RC == 0 ]]; then
      show "$WORK/driver.err"
      fail "the client accepted a certificate it must refuse"
    fi
    grep -q "handshake failed: alert=$want_alert reason=134 " "$WORK/driver.err" ||
      { show "$WORK/driver.err"; fail "expected alert $want_alert with SSL_R_CERTIFICATE_VERIFY_FAILED"; }
    want_text=${want_alert//_/ }
    grep -qi "alert $want_text" "$WORK/s_server.err" ||
      { show "$WORK/s_server.err"; fail "s_server did not receive the $want_alert alert"; }
    echo "  refused with $want_alert (certificate verify failed); s_server received the alert"
    ;;
  ticket-offer)
    start_driver_server "${drv_common[@]}" --cert "$PKI/$cert.pem" --key "$PKI/$cert.key" \
      --send-bytes "$TO_PEER" --expect-bytes "$FROM_PEER" --accept 2
    for round in 1 2; do
      if [[ $round == 1 ]]; then sess=(-sess_out "$WORK/sess.pem"); else sess=(-sess_in "$WORK/sess.pem"); fi
      open_feed
      timeout 60 openssl s_client -connect "127.0.0.1:$DRIVER_PORT" -quiet -nocommands \
        -trace -msgfile "$WORK/s_client.$round.msg" "${ossl_common[@]}" -CAfile "$PKI/ca.pem" \
        -verify_return_error "${sess[@]}" \
        <"$FEED" >"$WORK/s_client.$round.out" 2>"$WORK/s_client.$round.err" &
      cpid=$!
      PIDS+=("$cpid")
      feed_file "$WORK/peer.in"
      wait_for_pid "$cpid" 30 || { show "$WORK/s_client.$round.err" "$WORK/driver.err"; fail "s_client $round failed"; }
      close_feed
      expect_same "round $round rapidtls -> openssl" "$want_to_peer" "$(sha256_of "$WORK/s_client.$round.out")" ||
        { show "$WORK/driver.err"; fail "round $round data"; }
      if [[ $round == 1 ]]; then
        # (Output taken whole: `| grep -q` under pipefail fails when grep exits first.)
        sess_text=$(openssl sess_id -in "$WORK/sess.pem" -noout -text 2>/dev/null || true)
        grep -q "TLS session ticket:" <<<"$sess_text" ||
          fail "s_client kept no ticket from the first connection"
      fi
    done
    wait_for_pid "$DRIVER_PID" 30
    DRIVER_RC=$?
    [[ $DRIVER_RC == 0 ]] || { show "$WORK/driver.err"; fail "the driver failed ($DRIVER_RC)"; }
    [[ $(grep -c "^sha256=$want_from_peer " "$WORK/driver.out") == 2 ]] ||
      { show "$WORK/driver.out"; fail "openssl -> rapidtls data differ"; }
    echo "  openssl -> rapidtls: sha256 match on both connections"
    grep -q "extension_type=psk(41)" "$WORK/s_client.2.msg" ||
      { show "$WORK/s_client.2.msg"; fail "s_client did not offer the ticket"; }
    echo "  s_client offered the first connection's ticket (pre_shared_key)"
    # The server takes it: its ServerHello selects the PSK (psk also in the
    # ServerHello's extensions), and it sends no certificate.
    [[ $(grep -c "extension_type=psk(41)" "$WORK/s_client.2.msg") -ge 2 ]] ||
      { show "$WORK/s_client.2.msg"; fail "the server did not select the ticket's PSK"; }
    if grep -q "Certificate, Length=" "$WORK/s_client.2.msg"; then
      show "$WORK/s_client.2.msg"; fail "the resumed handshake carried a certificate"
    fi
    grep -q "Certificate, Length=" "$WORK/s_client.1.msg" ||
      fail "the first handshake carried no certificate (the check above would prove nothing)"
    echo "  the server resumed it: pre_shared_key selected, no Certificate"
    ;;
  *)
    fail "unknown scenario $scenario"
    ;;
esac
echo "PASS: openssl $scenario $suite $group $cert"
