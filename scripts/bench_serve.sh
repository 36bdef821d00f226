#!/usr/bin/env bash
# `rapidtls serve` side by side with nginx (issue 18): builds the release preset
# (the rapidtls program and the drop-in libssl.so.3), installs nginx and wrk
# through scripts/setup.sh, then runs scripts/bench_serve.py: nginx on the
# system's libssl, rapidtls serve and nginx on rapidtls's libssl.so.3, loaded by
# wrk in alternating rounds; prints the table of medians and ratios, writes
# every run to bench/results/serve_nginx.json and rewrites the bench_serve
# section of docs/benchmarks.md.
#
#   bash scripts/bench_serve.sh                      # 3 rounds of 5 s runs (about 5 minutes)
#   bash scripts/bench_serve.sh --rounds 5 --duration 10
#   bash scripts/bench_serve.sh --only small_keepalive,small_close   # results only, no docs
#   bash scripts/bench_serve.sh --markdown /tmp/table.md   # also write the table there
#   bash scripts/bench_serve.sh --no-docs                  # print only
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
  if [[ $arg == -h || $arg == --help ]]; then
    exec python3 scripts/bench_serve.py --rapidtls /dev/null --help
  fi
done

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target rapidtls_tool rapidtls_libssl

exec python3 scripts/bench_serve.py --rapidtls build/release/tool/rapidtls \
  --dropin "$PWD/build/release/dropin" --command "bash scripts/bench_serve.sh${*:+ $*}" "$@"
