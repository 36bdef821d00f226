#!/usr/bin/env bash
# Every SSL_R_* reason the sources raise has its string in src/ssl/errors.cc,
# so that ERR_error_string never prints "reason(N)" for one of rapidtls's
# errors. Run by CTest (lint.error_strings).
set -euo pipefail
cd "$(dirname "$0")/.."
used=$(grep -rhoE 'SSL_R_[A-Z0-9_]+' src --include='*.cc' --include='*.h' | sort -u)
have=$(grep -oE 'SSL_R_[A-Z0-9_]+' src/ssl/errors.cc | sort -u)
missing=$(comm -23 <(echo "$used") <(echo "$have"))
if [[ -n $missing ]]; then
  echo "check_error_strings: reasons without a string in src/ssl/errors.cc:" $missing
  exit 1
fi
echo "check_error_strings: $(wc -l <<<"$used") reasons, each with its string"
