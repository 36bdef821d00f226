# Shared by run_echo.sh and run_resume.sh (sourced): a temporary folder and
# background processes cleaned up at exit, free ports, waiting for a listener,
# and PASS/FAIL bookkeeping.
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits until something listens on the port, without connecting (a probe
# connection would use up `s_server -naccept 1`).
wait_port() {
  local hex; hex=$(printf '%04X' "$1")
  for _ in $(seq 200); do grep -q ":$hex 00000000:0000 0A" /proc/net/tcp && return 0; sleep 0.05; done
  return 1
}

failures=0
# check CMD...: runs it, prints PASS or FAIL with $label, counts failures.
check() { if "$@"; then echo "PASS: $label"; else echo "FAIL: $label"; failures=$((failures+1)); fi; }
