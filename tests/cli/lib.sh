# shellcheck shell=bash
# Shared helpers for the `rapidtls` tool tests (sourced, not run).
#
# Each script gets the tool's path as $1, works in a fresh temporary
# directory, starts `rapidtls serve` on 127.0.0.1 with a kernel-chosen port
# (--port 0) and stops whatever it started when it exits. Exit status:
# 0 pass, 1 fail, 77 skip (with the reason printed).
set -uo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

TOOL=${1:?usage: $0 PATH_TO_rapidtls}
shift
[[ -x $TOOL ]] || { echo "FAIL: $TOOL is not executable"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rapidtls-cli.XXXXXX")
PIDS=()
FAILURES=0

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [[ ${RAPIDTLS_CLI_KEEP:-0} == 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Records a failed check and goes on (the script fails at the end).
bad() {
  echo "FAIL: $*"
  FAILURES=$((FAILURES + 1))
}
ok() { echo "ok: $*"; }
finish() {
  if ((FAILURES > 0)); then
    echo "$FAILURES check(s) failed"
    exit 1
  fi
  echo "PASS"
  exit 0
}

# show (common.sh): the last 3000 bytes of each file.
# shellcheck disable=SC2034 # read by show
SHOW_FROM=tail SHOW_BYTES=3000 SHOW_INDENT=

# Starts `rapidtls serve DIR ARGS...` on a free port. Sets SERVER_PID, PORT,
# CA (the self-signed certificate's PEM when no --cert was given) and URL.
# Its stdout (banner and access log) goes to $WORK/serve.out, stderr to
# $WORK/serve.err.
start_serve() {
  local dir=$1
  shift
  # Emptied first: a previous server's banner must not be read as this one's.
  : >"$WORK/serve.out"
  : >"$WORK/serve.err"
  "$TOOL" serve "$dir" --port 0 "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  PORT=
  for _ in $(seq 1 200); do
    PORT=$(sed -n 's|^serving .* at https://[^:]*:\([0-9]*\)/.*|\1|p' "$WORK/serve.out")
    [[ -n $PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z $PORT ]]; then
    show "$WORK/serve.out" "$WORK/serve.err"
    fail "rapidtls serve did not start"
  fi
  CA=$(sed -n 's|^  certificate (PEM): *||p' "$WORK/serve.out")
  URL=https://127.0.0.1:$PORT
}

# Stops the server with a signal and checks that it exits 0 within 10 s.
stop_serve() {
  local sig=${1:-INT} rc
  kill "-$sig" "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -9 "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
    return 124
  fi
  wait "$SERVER_PID"
  rc=$?
  return $rc
}

# Files of the sizes the issue names (random bytes), in $WORK/www.
make_files() {
  mkdir -p "$WORK/www"
  local n
  for n in "$@"; do
    head -c "$n" /dev/urandom >"$WORK/www/f$n"
  done
}

# The body of an HTTP/1.x response saved whole (head and body) in $1,
# written to $2: everything after the first blank line.
strip_head() {
  python3 - "$1" "$2" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
i = data.find(b'\r\n\r\n')
open(sys.argv[2], 'wb').write(data[i + 4:] if i >= 0 else b'')
PY
}
