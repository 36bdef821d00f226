#!/usr/bin/env bash
# Debian's Python 3.11 ssl module (urllib, http.client, asyncio, wrap_socket
# client and server, SSLObject with MemoryBIOs, ALPN, SNI callback, sessions,
# post-handshake auth, key log, certificates, verification errors, the default
# verify paths from SSL_CERT_FILE/SSL_CERT_DIR; clients also against `rapidtls
# serve`): the script python_ssl.py prints one line per check; it runs with the
# system's libssl and with the libssl under test, and the outputs must be the
# same, except for the lines the script marks as deliberate differences of
# rapidtls.
source "$(dirname "$0")/lib.sh"
need openssl "$PY"
SCRIPT=$(dirname "$0")/python_ssl.py
make_pki
make_files f1m:1048576
start_s_server w13 "$WORK/www" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -tls1_3 -WWW
P13=$SPORT
start_s_server w12 "$WORK/www" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -tls1_2 -WWW
P12=$SPORT
start_serve serve "$WORK/www" -q
PSERVE=$SPORT
export DROPIN_WORK=$WORK
args=("$SCRIPT" "$PKI" "$P13" "$P12" f1m "$(sha256_of "$WORK/www/f1m")" "$PSERVE")

sys timeout 120 "$PY" "${args[@]}" >"$WORK/system.txt" 2>"$WORK/system.err"
rc=$?
((rc == 0)) || { show "$WORK/system.txt" "$WORK/system.err"; fail "python_ssl.py with the system libssl: exit $rc"; }
grep -q '^# libssl: /usr/lib/x86_64-linux-gnu/libssl.so.3$' "$WORK/system.txt" ||
  fail "the reference run did not load the system libssl: $(head -1 "$WORK/system.txt")"
rt timeout 120 "$PY" "${args[@]}" >"$WORK/test.txt" 2>"$WORK/test.err"
rc=$?
if ((rc != 0)); then
  bad "python_ssl.py with the libssl under test: exit $rc"
  show "$WORK/test.txt" "$WORK/test.err"
  finish
fi
echo "reference: $(head -1 "$WORK/system.txt" | cut -c3-); under test: $(head -1 "$WORK/test.txt" | cut -c3-)"
if [[ $BASELINE != 1 ]] && ! grep -q "^# libssl: $DROPIN_LIB\$" "$WORK/test.txt"; then
  bad "the run under test did not load $DROPIN_LIB: $(head -1 "$WORK/test.txt")"
fi

# Line by line: the checks come in the same order in both runs.
declare -A want
while IFS= read -r line; do
  [[ $line == \#* ]] && continue
  want[${line%%: *}]=${line#*: }
done <"$WORK/system.txt"
seen=0
while IFS= read -r line; do
  [[ $line == \#* ]] && continue
  name=${line%%: *}
  value=${line#*: }
  seen=$((seen + 1))
  if [[ -z ${want[$name]+x} ]]; then
    bad "$name: not in the reference run ('$value')"
    continue
  fi
  ref=${want[$name]}
  unset "want[$name]"
  if [[ $value == *" [deliberate difference: "* ]]; then
    why=${value##* \[deliberate difference: }
    why=${why%]}
    value=${value% \[deliberate difference: *}
    if [[ $value == "$ref" ]]; then
      note "$name: same as OpenSSL ('$value'), though marked as a deliberate difference ($why)"
    else
      note "$name: differs deliberately ($why): OpenSSL '$ref', rapidtls '$value'"
    fi
    continue
  fi
  # A check whose reference run raised is broken, even when both runs raise alike.
  if [[ $ref == EXCEPTION* ]]; then
    bad "$name: the reference run itself failed ('$ref'; under test '$value')"
  elif [[ $value == "$ref" ]]; then
    pass "$name: $value"
  else
    bad "$name: expected '$ref', got '$value'"
  fi
done <"$WORK/test.txt"
for name in "${!want[@]}"; do bad "$name: missing from the run under test (reference '${want[$name]}')"; done
((seen > 0)) || bad "no check ran under test"
if [[ -s $WORK/test.err ]]; then echo "stderr of the run under test:"; show "$WORK/test.err"; fi
finish
