# shellcheck shell=bash
# Helpers shared by the script suites (tests/cli, tests/interop, tests/programs,
# tests/dropin), sourced by each suite's lib.sh, never run. Each suite keeps in
# its lib.sh what is its own: arguments, work folder, clean-up, bookkeeping of
# checks, and its peers.
#
# Exit status of a test script: 0 pass, 1 fail, 77 skip (CTest's
# SKIP_RETURN_CODE), with the reason printed.

# fail MESSAGE: prints it and ends the script as failed.
fail() {
  echo "FAIL: $*"
  exit 1
}
# skip REASON: prints why and ends the script as skipped.
skip() {
  echo "SKIP: $*"
  exit 77
}

# show FILE...: each non-empty file's name, then part of it, indented (a
# failure's context: a peer's log, an error output). A suite sets SHOW_FROM
# (tail: the end, the default; head: the start), SHOW_BYTES (how much, 3000 by
# default) and SHOW_INDENT (before the name line, "" by default).
show() {
  local f
  for f in "$@"; do
    if [[ -s $f ]]; then
      echo "${SHOW_INDENT:-}--- $(basename "$f") ---"
      "${SHOW_FROM:-tail}" -c "${SHOW_BYTES:-3000}" "$f" | sed 's/^/    /'
    fi
  done
}

# sha256_of FILE: its SHA-256 in hex.
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# need TOOL...: fails unless each is a command on PATH or an executable path.
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || [[ -x $t ]] || fail "the test needs '$t' (scripts/setup.sh installs it)"
  done
}

# free_port: a TCP port on 127.0.0.1 that the kernel gives a fresh socket (free
# now; for peers that cannot be given port 0). Debian's python3 unless the
# suite set PY.
free_port() {
  "${PY:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT [PID] [SECONDS]: waits until something listens on PORT (IPv4
# or IPv6, any address), without connecting (a probe connection would use up a
# server that accepts once, such as `openssl s_server -naccept 1`). Returns 1
# when PID (if given) exits first or after SECONDS (30 by default).
wait_port() {
  local hex pid=${2:-} secs=${3:-30}
  hex=$(printf '%04X' "$1")
  for _ in $(seq 1 $((secs * 20))); do
    # /proc/net/tcp{,6}: local address:port, remote address:port, state (0A: LISTEN).
    grep -q -E ":$hex 0+:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null && return 0
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
  return 1
}
