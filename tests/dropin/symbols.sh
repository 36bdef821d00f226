#!/usr/bin/env bash
# The drop-in libssl.so.3 exports every libssl function that Debian's
# programs import, in OpenSSL's version node, and nothing else; it needs only
# libcrypto and libc; and each program loads with it (LD_BIND_NOW=1, so that a
# missing function fails at start rather than at first call).
source "$(dirname "$0")/lib.sh"
need objdump readelf
# The baseline runs the same checks on the system's libssl (validating the test).
[[ $BASELINE == 1 ]] && DROPIN_LIB=$SYSTEM_LIBSSL
[[ -e $DROPIN_LIB ]] || fail "$DROPIN_LIB is missing (build target rapidtls_libssl)"
[[ -e $SYSTEM_LIBSSL ]] || fail "$SYSTEM_LIBSSL is missing (package libssl3)"

# Functions a library defines in version node OPENSSL_3.0.0.
defined_in() {
  objdump -T "$1" | awk 'NF > 3 && !/\*UND\*/ && / DF / && $(NF-1) == "OPENSSL_3.0.0" {print $NF}' | sort -u
}
defined_in "$SYSTEM_LIBSSL" >"$WORK/system.txt"
defined_in "$DROPIN_LIB" >"$WORK/dropin.txt"
echo "system libssl defines $(wc -l <"$WORK/system.txt") functions, $DROPIN_LIB exports $(wc -l <"$WORK/dropin.txt")"

programs=(
  /usr/lib/x86_64-linux-gnu/libcurl.so.4
  /usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so
  /usr/lib/x86_64-linux-gnu/libpq.so.5
  /usr/lib/x86_64-linux-gnu/libmariadb.so.3
  /usr/bin/mariadb
  /usr/bin/socat
  /usr/lib/postgresql/15/bin/postgres
  # the servers
  /usr/sbin/nginx
  /usr/sbin/haproxy
  /usr/bin/stunnel4
  /usr/lib/apache2/modules/mod_ssl.so
  /usr/lib/lighttpd/mod_openssl.so
)
for p in "${programs[@]}"; do
  if [[ ! -e $p ]]; then
    bad "$p is not installed (scripts/setup.sh installs it)"
    continue
  fi
  # UND entries in OPENSSL_3.0.0 are libssl's or libcrypto's (both use that
  # node): only those the system's libssl defines are libssl's.
  objdump -T "$p" | awk 'NF > 3 && /\*UND\*/ && $(NF-1) == "(OPENSSL_3.0.0)" {print $NF}' | sort -u |
    comm -12 - "$WORK/system.txt" >"$WORK/imports.txt"
  n=$(wc -l <"$WORK/imports.txt")
  missing=$(comm -23 "$WORK/imports.txt" "$WORK/dropin.txt" | tr '\n' ' ')
  if [[ -z $missing ]]; then
    pass "$(basename "$p"): imports $n libssl functions, all exported"
  else
    bad "$(basename "$p"): imports $n libssl functions, $(wc -w <<<"$missing") missing: $missing"
  fi
done

# Nothing outside OpenSSL's version node, nothing OpenSSL's libssl lacks.
objdump -T "$DROPIN_LIB" | awk 'NF > 3 && !/\*UND\*/ && $(NF-1) != "OPENSSL_3.0.0" && / (DF|DO|iD) / {print $(NF-1), $NF}' >"$WORK/other.txt"
# The version node's own definition (ABS, "OPENSSL_3.0.0 OPENSSL_3.0.0") is not an export.
objdump -T "$DROPIN_LIB" | awk 'NF > 3 && !/\*UND\*/ && / g / && $(NF-1) != "OPENSSL_3.0.0" {print $(NF-1), $NF}' >>"$WORK/other.txt"
sort -u -o "$WORK/other.txt" "$WORK/other.txt"
if [[ -s $WORK/other.txt ]]; then
  bad "exports outside OPENSSL_3.0.0: $(head -20 "$WORK/other.txt" | tr '\n' ' ')"
else
  pass "every export is in version node OPENSSL_3.0.0"
fi
extra=$(comm -13 "$WORK/system.txt" "$WORK/dropin.txt" | tr '\n' ' ')
if [[ -n $extra ]]; then bad "exports that OpenSSL's libssl does not have: $extra"; else pass "every export is one of OpenSSL's libssl functions"; fi
# Objects (data symbols) exported in the node would not be functions.
objs=$(objdump -T "$DROPIN_LIB" | awk 'NF > 3 && !/\*UND\*/ && / DO / && !/\*ABS\*/ {print $NF}' | tr '\n' ' ')
[[ -z $objs ]] && pass "no data symbols exported" || bad "data symbols exported: $objs"

soname=$(readelf -d "$DROPIN_LIB" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == libssl.so.3 ]] && pass "SONAME libssl.so.3" || bad "SONAME is '$soname', expected libssl.so.3"
needed=$(readelf -d "$DROPIN_LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
# Also in sanitizer builds: the drop-in library is built without sanitizers
# there (src/CMakeLists.txt), since unmodified programs cannot preload them.
unexpected=$(tr ' ' '\n' <<<"$needed" | grep -v -E '^(libcrypto\.so\.3|libc\.so\.6|ld-linux-x86-64\.so\.2|)$' | tr '\n' ' ')
[[ -z $unexpected ]] && pass "NEEDED only libcrypto.so.3, libc.so.6, ld-linux ($needed)" ||
  bad "unexpected NEEDED entries: $unexpected"

# Each program loads with every symbol bound at start.
loads() { # label expected-output-regex command...
  local label=$1 re=$2
  shift 2
  if LD_BIND_NOW=1 rt "$@" >"$WORK/load.out" 2>&1 && grep -q -E "$re" "$WORK/load.out"; then
    pass "loads: $label"
  else
    bad "loads: $label (exit or output wrong)"
    show "$WORK/load.out"
  fi
}
loads "curl --version" '^curl [0-9]' curl --version
loads "python3 -c 'import ssl'" 'OpenSSL 3' "$PY" -c 'import ssl; print(ssl.OPENSSL_VERSION)'
loads "psql --version" 'psql \(PostgreSQL\)' psql --version
loads "socat -V" 'socat version' socat -V
loads "mariadb --version" 'mariadb .*Ver' mariadb --version
loads "postgres --version" 'postgres \(PostgreSQL\)' /usr/lib/postgresql/15/bin/postgres --version
loads "nginx -v" 'nginx version' nginx -v
loads "haproxy -v" 'HAProxy version' haproxy -v
loads "stunnel4 -version" 'stunnel [0-9]' stunnel4 -version
loads "lighttpd -V" 'lighttpd/1' lighttpd -V
# ldd confirms which libssl the programs get.
if [[ $BASELINE != 1 ]]; then
  # ldd's output is taken whole first: `ldd | grep -q` under pipefail fails
  # whenever grep exits before ldd has written everything (seen in CI).
  ldd_out=$(rt ldd /usr/bin/curl)
  if grep -q "libssl.so.3 => $DROPIN_LIB" <<<"$ldd_out"; then
    pass "with-rapidtls gives curl $DROPIN_LIB"
  else
    bad "with-rapidtls does not give curl the drop-in library: $(grep libssl <<<"$ldd_out")"
  fi
fi
finish
