# Shared by run_echo.sh, run_resume.sh and run_bio_ssl.sh (sourced): a
# temporary folder and background processes cleaned up at exit, and PASS/FAIL
# bookkeeping; free ports and waiting for a listener come from common.sh
# (free_port, wait_port).
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT


failures=0
# check CMD...: runs it, prints PASS or FAIL with $label, counts failures.
check() { if "$@"; then echo "PASS: $label"; else echo "FAIL: $label"; failures=$((failures+1)); fi; }
