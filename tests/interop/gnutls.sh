#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# rapidtls_driver against GnuTLS's gnutls-serv and gnutls-cli (TLS 1.3 only).
#
#   gnutls.sh DRIVER client SUITE GROUP   rapidtls client -> gnutls-serv --echo: the
#                                         echoed bytes must equal the bytes sent
#   gnutls.sh DRIVER server SUITE GROUP   gnutls-cli <-> rapidtls server, data both ways
#   gnutls.sh DRIVER keyupdate-client     the client sends KeyUpdate(update_requested) mid-stream
#   gnutls.sh DRIVER keyupdate-server     the server does
#   gnutls.sh DRIVER mtls-client          gnutls-serv --require-client-cert verifies our client
#   gnutls.sh DRIVER hrr-client           our only key share is P-256, gnutls-serv takes X25519
#
# gnutls-serv's echo mode treats input as C strings, so the client sends
# printable lines (--text); gnutls-cli takes binary data.
PRIVATE_NETNS=1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

scenario=${1:?scenario}
suite=${2:-0x1301}
group=${3:-x25519}
cert=${4:-ec}

{ command -v gnutls-serv && command -v gnutls-cli; } >/dev/null ||
  skip "gnutls-serv/gnutls-cli are not installed (Debian package gnutls-bin)"
make_pki
prio=$(gnutls_priority "$suite" "$group")
drv_common=(--suite "$suite" --group "$group" --timeout-ms 20000)
# RFC 8422 5.1 (and OpenSSL's rule, which rapidtls follows in both roles): in
# TLS 1.2 the client's supported_groups also names the curves of the ECDSA
# certificates it takes. The test certificate is P-256, so both ends list it
# after the group the key exchange is meant to use.
if is_tls12_suite "$suite" && [[ $cert == ec && $group != secp256r1 ]]; then
  prio+=":+GROUP-SECP256R1"
  drv_common=(--suite "$suite" --group "$group,secp256r1" --timeout-ms 20000)
fi

serv_extra=()
drv_extra=()
want_group=$group
case $scenario in
  keyupdate-client) scenario=client drv_extra=(--key-update) ;;
  keyupdate-server) scenario=server drv_extra=(--key-update) ;;
  mtls-client)
    scenario=client
    serv_extra=(--require-client-cert --verify-client-cert --x509cafile "$PKI/ca.pem")
    drv_extra=(--client-cert "$PKI/client.pem" --client-key "$PKI/client.key")
    ;;
  hrr-client)
    scenario=client
    prio=$(gnutls_priority "$suite" x25519)
    # shellcheck disable=SC2054 # the driver takes a comma-separated group list
    drv_common=(--suite "$suite" --group secp256r1,x25519 --timeout-ms 20000)
    want_group=x25519
    ;;
esac

case $scenario in
  client)
    size=${TO_PEER:-60000}
    want=$(driver_stream_sha256 "$size" --text)
    start_server gnutls-serv /dev/null timeout 60 gnutls-serv --echo --crlf -p PORT \
      --priority "$prio" --x509certfile "$PKI/$cert.pem" --x509keyfile "$PKI/$cert.key" "${serv_extra[@]}"
    timeout 60 "$DRIVER" client 127.0.0.1 "$SERVER_PORT" "${drv_common[@]}" \
      --cafile "$PKI/ca.pem" --host localhost --text --send-bytes "$size" --expect-bytes "$size" \
      "${drv_extra[@]}" >"$WORK/driver.out" 2>"$WORK/driver.err"
    rc=$?
    if [[ $rc != 0 ]] || ! expect_same "rapidtls -> gnutls -> rapidtls (echo)" "$want" \
      "$(driver_sha256 "$WORK/driver.out")"; then
      show "$WORK/driver.err" "$WORK/driver.out" "$WORK/gnutls-serv.err" "$WORK/gnutls-serv.out"
      fail "client $suite $group: echo check failed (driver exit status $rc)"
    fi
    ;;
  server)
    to_peer=${TO_PEER:-100003}
    from_peer=${FROM_PEER:-70001}
    random_file "$WORK/peer.in" "$from_peer"
    start_driver_server "${drv_common[@]}" --cert "$PKI/$cert.pem" --key "$PKI/$cert.key" \
      --send-bytes "$to_peer" --expect-bytes "$from_peer" "${drv_extra[@]}"
    open_feed
    timeout 60 gnutls-cli -p "$DRIVER_PORT" 127.0.0.1 --sni-hostname localhost \
      --verify-hostname localhost --x509cafile "$PKI/ca.pem" --priority "$prio" \
      --logfile "$WORK/gnutls-cli.log" <"$FEED" >"$WORK/gnutls-cli.out" 2>"$WORK/gnutls-cli.err" &
    cpid=$!
    PIDS+=("$cpid")
    if [[ ${drv_extra[*]} == *--key-update* ]]; then
      # gnutls-cli writes only after our KeyUpdate(update_requested) went out,
      # so its data comes under keys updated in answer (RFC 8446 4.6.3).
      for _ in $(seq 1 400); do
        grep -q "sent KeyUpdate" "$WORK/driver.err" && break
        sleep 0.05
      done
    fi
    feed_file "$WORK/peer.in"
    wait_for_pid "$DRIVER_PID" 60
    rc=$?
    wait_for_pid "$cpid" 10
    crc=$?
    close_feed
    ok=1
    [[ $rc == 0 ]] || { echo "  rapidtls_driver exited with status $rc"; ok=0; }
    expect_same "rapidtls -> gnutls" "$(driver_stream_sha256 "$to_peer")" \
      "$(sha256_of "$WORK/gnutls-cli.out")" || ok=0
    expect_same "gnutls -> rapidtls" "$(sha256_of "$WORK/peer.in")" \
      "$(driver_sha256 "$WORK/driver.out")" || ok=0
    if [[ $ok != 1 ]]; then
      show "$WORK/driver.err" "$WORK/driver.out" "$WORK/gnutls-cli.log" "$WORK/gnutls-cli.err"
      fail "server $suite $group: data check failed (gnutls-cli exit status $crc)"
    fi
    ;;
  *)
    fail "unknown scenario $scenario"
    ;;
esac
grep '^negotiated:' "$WORK/driver.err" | sed 's/^/  /'
line=$(grep '^negotiated:' "$WORK/driver.err")
[[ $line == *"group=$want_group "* ]] || fail "expected group $want_group: $line"
[[ $line == *"suite=$(openssl_suite "$suite") "* ]] || fail "expected suite $suite: $line"
if [[ ${1} == hrr-client ]]; then
  [[ $line == *"hrr=yes"* ]] || fail "no HelloRetryRequest happened: $line"
  echo "  HelloRetryRequest: client retried with x25519"
fi
if [[ ${drv_extra[*]} == *--key-update* ]]; then
  grep -q "sent KeyUpdate" "$WORK/driver.err" || fail "the driver sent no KeyUpdate"
  echo "  data intact across our KeyUpdate(update_requested) and gnutls's answer"
fi
if [[ ${1} == mtls-client ]]; then
  echo "  gnutls-serv required and accepted our client certificate"
fi
echo "PASS: gnutls ${1} $suite $group"
