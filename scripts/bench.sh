#!/usr/bin/env bash
# Benchmarks rapidtls side by side with the system's OpenSSL 3.0 libssl
# (issue 5): builds the release preset, makes the 256 MiB sendfile input once,
# then runs scripts/bench_driver.py, which alternates the two builds of
# bench/tls_bench.cc (warm-up, then A B / B A pairs), prints the table of
# medians and ratios, writes every run to bench/results/tls_bench.json and
# rewrites the generated section of docs/benchmarks.md and docs/benchmarks.svg.
#
#   bash scripts/bench.sh            # the real run (7 pairs, a few minutes)
#   bash scripts/bench.sh --quick    # a short look (3 pairs, smaller runs); writes nothing
#   bash scripts/bench.sh --only handshake,handshake_resume   # to bench/results/tls_bench.handshake+handshake_resume.json
#   bash scripts/bench.sh --help     # the driver's options
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
  if [[ $arg == -h || $arg == --help ]]; then
    exec python3 scripts/bench_driver.py --help
  fi
  if [[ $arg == --render || $arg == --check ]]; then  # from bench/results: nothing to build
    exec python3 scripts/bench_driver.py "$@"
  fi
done

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release

file=/tmp/rapidtls-bench-256M.bin
size=$((256 * 1024 * 1024))
if [[ ! -f $file || $(stat -c %s "$file") -ne $size ]]; then
  echo "bench.sh: creating $file (256 MiB of random bytes)" >&2
  head -c "$size" /dev/urandom >"$file.tmp"
  mv "$file.tmp" "$file"
fi

exec python3 scripts/bench_driver.py --bin build/release/bench --file "$file" \
  --command "bash scripts/bench.sh${*:+ $*}" "$@"
