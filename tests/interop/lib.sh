# shellcheck shell=bash
# Shared helpers for the interop test scripts (sourced, not run).
# shellcheck disable=SC2034 # PKI, SERVER_PORT, DRIVER_PORT... are set here for the scripts
#
# Each script gets the driver's path as $1, works in a fresh temporary
# directory, starts peers on 127.0.0.1 only, and kills whatever it started
# when it exits. Exit status: 0 pass, 1 fail, 77 skip (with the reason printed).

set -uo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# A script that sets PRIVATE_NETNS=1 before sourcing this file runs in a
# network namespace of its own (when unshare is permitted): its loopback
# interface carries only the test's traffic, and a peer that cannot be told
# to bind 127.0.0.1 (gnutls-serv binds every interface) is reachable from
# nowhere else.
if [[ ${PRIVATE_NETNS:-0} == 1 && -z ${RAPIDTLS_IN_NETNS:-} ]]; then
  if unshare -n true 2>/dev/null && command -v ip >/dev/null; then
    exec unshare -n env RAPIDTLS_IN_NETNS=1 bash -c 'ip link set lo up && exec bash "$@"' \
      bash "$0" "$@"
  fi
  echo "note: cannot make a private network namespace (unshare -n not permitted here);"
  echo "      running in the host's namespace"
fi

DRIVER=${1:?usage: $0 PATH_TO_rapidtls_driver [args]}
shift
[[ -x $DRIVER ]] || { echo "FAIL: driver $DRIVER is not executable"; exit 1; }

need timeout sha256sum mkfifo

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rapidtls-interop.XXXXXX")
PIDS=()
KEEP_WORK=${RAPIDTLS_INTEROP_KEEP:-0}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null
  done
  if [[ $KEEP_WORK == 1 ]]; then
    echo "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# show (common.sh): peers' logs on failure, from their start (4000 bytes).
# shellcheck disable=SC2034 # read by show
SHOW_FROM=head SHOW_BYTES=4000 SHOW_INDENT=

# The sha256 the driver printed on stdout ("sha256=<hex> bytes=<n>").
driver_sha256() {
  sed -n 's/^sha256=\([0-9a-f]*\) bytes=.*/\1/p' "$1" | head -n1
}

# Waits for the driver's --port-file; prints the port.
wait_port_file() {
  local file=$1 pid=$2
  for _ in $(seq 1 200); do
    if [[ -s $file ]]; then
      cat "$file"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Waits for PID up to SECONDS; kills it if it is still running. Returns its
# exit status (124 after a kill).
wait_for_pid() {
  local pid=$1 secs=$2 rc
  for _ in $(seq 1 $((secs * 20))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 124
  fi
  wait "$pid"
  rc=$?
  return $rc
}

# Random bytes of a given size in a file.
random_file() {
  head -c "$2" /dev/urandom >"$1"
}

# Test PKI, made fresh for each run under $WORK/pki: an ECDSA P-256 CA, an
# ECDSA P-256 server leaf and an RSA-2048 server leaf for localhost and
# 127.0.0.1, and an ECDSA client certificate.
make_pki() {
  local d=$WORK/pki
  mkdir -p "$d"
  (
    cd "$d" || exit 1
    set -e
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout ca.key -out ca.pem -days 2 -subj "/CN=rapidtls interop test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    cat >leaf.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
    cat >client.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EXT
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout ec.key -out ec.csr -subj "/CN=localhost"
    openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile leaf.ext -out ec.pem
    openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj "/CN=localhost"
    openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile leaf.ext -out rsa.pem
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout client.key -out client.csr -subj "/CN=rapidtls interop client"
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile client.ext -out client.pem
  ) >"$WORK/pki.log" 2>&1 || { show "$WORK/pki.log"; fail "could not make the test certificates"; }
  PKI=$d
}

# Suite and group names as each implementation spells them.
openssl_suite() {
  case $1 in
    0x1301) echo TLS_AES_128_GCM_SHA256 ;;
    0x1302) echo TLS_AES_256_GCM_SHA384 ;;
    0x1303) echo TLS_CHACHA20_POLY1305_SHA256 ;;
    0xc02b) echo ECDHE-ECDSA-AES128-GCM-SHA256 ;;
    0xc02c) echo ECDHE-ECDSA-AES256-GCM-SHA384 ;;
    0xc02f) echo ECDHE-RSA-AES128-GCM-SHA256 ;;
    0xc030) echo ECDHE-RSA-AES256-GCM-SHA384 ;;
    0xcca8) echo ECDHE-RSA-CHACHA20-POLY1305 ;;
    0xcca9) echo ECDHE-ECDSA-CHACHA20-POLY1305 ;;
    *) fail "unknown suite $1" ;;
  esac
}
# True for a TLS 1.2 suite.
is_tls12_suite() { [[ $1 != 0x13* ]]; }
openssl_group() {
  case $1 in
    x25519) echo X25519 ;;
    secp256r1) echo P-256 ;;
    secp384r1) echo P-384 ;;
    *) fail "unknown group $1" ;;
  esac
}
gnutls_priority() {
  local cipher group
  case $1 in
    0x1301) cipher=AES-128-GCM ;;
    0x1302) cipher=AES-256-GCM ;;
    0x1303 | 0xcca8 | 0xcca9) cipher=CHACHA20-POLY1305 ;;
    0xc02b | 0xc02f) cipher=AES-128-GCM ;;
    0xc02c | 0xc030) cipher=AES-256-GCM ;;
    *) fail "unknown suite $1" ;;
  esac
  case $2 in
    x25519) group=GROUP-X25519 ;;
    secp256r1) group=GROUP-SECP256R1 ;;
    secp384r1) group=GROUP-SECP384R1 ;;
    *) fail "unknown group $2" ;;
  esac
  local version=VERS-TLS1.3
  is_tls12_suite "$1" && version=VERS-TLS1.2
  echo "NORMAL:-VERS-ALL:+$version:-CIPHER-ALL:+$cipher:-GROUP-ALL:+$group"
}

# ---- runs against a peer that is a server -------------------------------------------------

# Starts a server command (the words after the first two arguments, with
# PORT replaced by the port) on a free port (free_port, common.sh), retrying a
# few times if the port was taken meanwhile. $1 names the log prefix, $2 the
# stdin file. Sets SERVER_PID and SERVER_PORT. The server's stdout and stderr go to
# $WORK/$1.out and $WORK/$1.err.
start_server() {
  local name=$1 input=$2
  shift 2
  local attempt port
  local -a cmd
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    cmd=("${@//PORT/$port}")
    "${cmd[@]}" <"$input" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    if wait_port "$port" "$SERVER_PID" 10; then
      SERVER_PORT=$port
      return 0
    fi
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    if ! grep -qi "in use" "$WORK/$name.err"; then
      show "$WORK/$name.err"
      fail "$1 did not start (attempt $attempt): ${cmd[*]}"
    fi
  done
  fail "no free port for $name after 5 attempts"
}

# A FIFO to feed a peer's stdin: opened read-write by this shell so that the
# peer never sees EOF until close_feed; the data is written in the background.
# Sets FEED (the path) and FEED_FD.
open_feed() {
  FEED=$WORK/feed.$RANDOM
  mkfifo "$FEED" || fail "mkfifo"
  exec {FEED_FD}<>"$FEED"
}
feed_file() {
  cat "$1" >&"$FEED_FD" &
  PIDS+=("$!")
}
close_feed() {
  exec {FEED_FD}>&-
}

# Starts the driver as a server on a kernel-chosen port; sets DRIVER_PID and
# DRIVER_PORT. Its stdout and stderr go to $WORK/driver.out and .err.
start_driver_server() {
  "$DRIVER" server 0 --port-file "$WORK/driver.port" "$@" \
    >"$WORK/driver.out" 2>"$WORK/driver.err" &
  DRIVER_PID=$!
  PIDS+=("$DRIVER_PID")
  DRIVER_PORT=$(wait_port_file "$WORK/driver.port" "$DRIVER_PID") || {
    show "$WORK/driver.err"
    fail "the driver did not start listening"
  }
}

# Compares the checksums of a transfer: what SENDER sent (a file) against
# what the receiver printed or wrote.
expect_same() {
  local what=$1 want=$2 got=$3
  if [[ -z $got || $want != "$got" ]]; then
    echo "  $what: sent sha256=$want"
    echo "  $what: received sha256=${got:-<nothing>}"
    return 1
  fi
  echo "  $what: sha256 match ($want)"
}

# The sha256 of the bytes `rapidtls_driver --send-bytes N [--text]` sends.
driver_stream_sha256() {
  "$DRIVER" gen "$@" | sha256sum | cut -d' ' -f1
}
