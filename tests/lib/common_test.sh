#!/usr/bin/env bash
# Checks tests/lib/common.sh, the helpers the script suites share: each
# function's output and exit status, a listener found by wait_port, and
# wait_port giving up when the process it waits for has gone. Loopback only;
# stops everything it starts.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/common.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/rapidtls-common-test.XXXXXX")
listener=
cleanup() {
  [[ -n $listener ]] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
expect() {  # expect LABEL WANT GOT
  if [[ $2 == "$3" ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: got '$3', expected '$2'"
    failures=$((failures + 1))
  fi
}
# in_lib CODE: runs CODE in a fresh shell that sourced common.sh; prints its
# output (if any), then "rc=N".
in_lib() {
  local out rc
  out=$(bash -c "source '$lib'; $1" 2>&1)
  rc=$?
  printf '%src=%d' "${out:+$out$'\n'}" "$rc"
}

expect "fail prints FAIL and exits 1" $'FAIL: no peer\nrc=1' "$(in_lib 'fail no peer; echo after')"
expect "skip prints SKIP and exits 77" $'SKIP: no tshark\nrc=77' "$(in_lib 'skip no tshark; echo after')"

printf 'abc' >"$work/abc"
expect "sha256_of (FIPS 180-2 example: \"abc\")" \
  ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad "$(in_lib "sha256_of '$work/abc'" | head -1)"

printf 'first line\n0123456789\nlast line\n' >"$work/log.txt"
: >"$work/empty.txt"
expect "show: the end by default, indented, under the file's name" \
  $'--- log.txt ---\n    ne\nrc=0' "$(in_lib "SHOW_BYTES=3 show '$work/log.txt'")"
expect "show: the start with SHOW_FROM=head; an empty or missing file says nothing" \
  $'  --- log.txt ---\n    first\nrc=0' \
  "$(in_lib "SHOW_FROM=head SHOW_BYTES=5 SHOW_INDENT='  ' show '$work/empty.txt' '$work/none' '$work/log.txt'")"

expect "need: a command on PATH and an executable path" "rc=0" "$(in_lib "need bash /bin/sh")"
expect "need: a missing command fails, naming it" \
  "FAIL: the test needs 'no-such-tool-x' (scripts/setup.sh installs it)" "$(in_lib 'need bash no-such-tool-x' | head -1)"

port=$(in_lib free_port | head -1)
if [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)); then echo "ok: free_port gave $port"; else
  echo "FAIL: free_port gave '$port'"
  failures=$((failures + 1))
fi
expect "wait_port: nothing listens and the process it waits for has gone: 1" "rc=1" \
  "$(in_lib "sleep 0 & p=\$!; wait \$p; wait_port $port \$p 5")"
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$port" &
listener=$!
expect "wait_port: finds the listener" "rc=0" "$(in_lib "wait_port $port $listener 10")"
kill "$listener"
wait "$listener" 2>/dev/null
listener=

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo PASS
