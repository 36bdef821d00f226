# shellcheck shell=bash
# Shared helpers for the drop-in tests (sourced, not run): unmodified Debian
# programs run with rapidtls as their libssl.so.3 (`with-rapidtls PROGRAM`).
#
# Each script is called as `SCRIPT WITH_RAPIDTLS TOOL`: the build folder's
# with-rapidtls and the `rapidtls` tool. It works in a fresh temporary folder,
# makes its certificates there with `openssl req`/`x509`, listens on 127.0.0.1
# only (ports picked by the kernel), and stops every process it started by PID.
# Exit status: 0 pass, 1 fail, 77 skip (with the reason printed).
#
# DROPIN_BASELINE=1 runs the very same checks with the system's libssl (`rt`
# runs the program as it is): it validates the test itself.
# DROPIN_KEEP=1 keeps the work folder.
set -uo pipefail
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

WITH=${1:?usage: $0 PATH_TO_with-rapidtls PATH_TO_rapidtls}
TOOL=${2:?usage: $0 PATH_TO_with-rapidtls PATH_TO_rapidtls}
shift 2
BUILD=$(cd "$(dirname "$WITH")" && pwd)
DROPIN_LIB=$BUILD/dropin/libssl.so.3
# shellcheck disable=SC2034 # used by the scripts that source this file
SYSTEM_LIBSSL=/usr/lib/x86_64-linux-gnu/libssl.so.3
# Debian's python3 (linked with the system's libssl), never a pyenv one on PATH;
# free_port (common.sh) uses it too.
# shellcheck disable=SC2034 # also read by the scripts and common.sh
PY=/usr/bin/python3
BASELINE=${DROPIN_BASELINE:-0}

[[ -x $TOOL ]] || { echo "FAIL: $TOOL is not executable"; exit 1; }
if [[ $BASELINE == 1 ]]; then
  RT=()
  MODE="system libssl (DROPIN_BASELINE=1)"
else
  [[ -x $WITH ]] || { echo "FAIL: $WITH is not executable"; exit 1; }
  [[ -e $DROPIN_LIB ]] || { echo "FAIL: $DROPIN_LIB is missing (build target rapidtls_libssl)"; exit 1; }
  RT=("$WITH")
  MODE="rapidtls ($DROPIN_LIB)"
fi
echo "libssl under test: $MODE"

# rt PROGRAM ARGS...: runs the program with the libssl under test.
rt() { "${RT[@]}" "$@"; }
# sys PROGRAM ARGS...: runs the program with the system's libssl, always.
sys() { env -u LD_LIBRARY_PATH -u LD_PRELOAD "$@"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rapidtls-dropin.XXXXXX")
chmod 755 "$WORK"
PIDS=()
FAILURES=0
CHECKS=0

cleanup() {
  local pid
  # A PID may be a subshell running a function (`sys CMD &`): its children
  # (the program itself) go first, or they would be left running.
  for pid in "${PIDS[@]}"; do pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [[ ${DROPIN_KEEP:-0} == 1 ]]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() {
  CHECKS=$((CHECKS + 1))
  echo "PASS: $*"
}
# Records a failed check and goes on (the script fails at the end).
bad() {
  CHECKS=$((CHECKS + 1))
  FAILURES=$((FAILURES + 1))
  echo "FAIL: $*"
}
note() { echo "NOTE: $*"; }
# same_failure LABEL RS RR MS MR: a command that must fail, run on the system
# libssl (exit status RS, first error line MS) and under test (RR, MR; its
# standard error in $WORK/rt.err): the same status and line, and a failure.
same_failure() {
  local label=$1 rs=$2 rr=$3 ms=$4 mr=$5
  if ((rs == 0)); then
    bad "$label: it succeeded on the system libssl (test broken)"
  elif [[ $rs == "$rr" && $ms == "$mr" ]]; then
    pass "$label: same as the system libssl: exit $rr, '$mr'"
  else
    bad "$label: system libssl: exit $rs '$ms'; under test: exit $rr '$mr'"
    show "$WORK/rt.err"
  fi
}
# check LABEL CMD...: runs CMD, PASS or FAIL with LABEL.
check() {
  local label=$1
  shift
  if "$@"; then pass "$label"; else bad "$label"; fi
}
finish() {
  echo "$CHECKS check(s), $FAILURES failed ($MODE)"
  ((FAILURES > 0)) && exit 1
  exit 0
}

# show (common.sh): the end of each file (2500 bytes), under an indented name.
# shellcheck disable=SC2034 # read by show
SHOW_FROM=tail SHOW_BYTES=2500 SHOW_INDENT="    "

# same_file LABEL EXPECTED GOT: PASS when both files have the same SHA-256.
same_file() {
  local label=$1 want got
  want=$(sha256_of "$2")
  got=$( [[ -e $3 ]] && sha256_of "$3" || echo none)
  if [[ $want == "$got" ]]; then
    pass "$label (sha256 ${want:0:16}...)"
  else
    bad "$label: sha256 $got, expected $want"
    return 1
  fi
}

# Random files in $WORK/www: make_files NAME:SIZE...
make_files() {
  mkdir -p "$WORK/www"
  local spec
  for spec in "$@"; do
    head -c "${spec#*:}" /dev/urandom >"$WORK/www/${spec%%:*}"
  done
}

# ---------------------------------------------------------------- certificates
# make_pki: in $PKI ($WORK/pki):
#   ca.pem/ca.key            the test CA (ECDSA P-256)
#   leaf.pem/leaf.key        ECDSA P-256 leaf for localhost and 127.0.0.1 (CN localhost)
#   rsa.pem/rsa.key          RSA 2048 leaf for localhost and 127.0.0.1 (CN rsa-leaf)
#   expired.pem/expired.key  ECDSA leaf for localhost and 127.0.0.1, expired
#   other.pem/other.key      ECDSA leaf for other.example only
#   client.pem/client.key    client certificate (CN rapidtls-client, clientAuth)
#   leaf-chain.pem           leaf.pem followed by ca.pem
#   hashed/                  ca.pem in an `openssl rehash` folder
PKI=$WORK/pki
_ossl() { sys openssl "$@" >>"$PKI/openssl.log" 2>&1 || fail "openssl $1 failed: $(tail -3 "$PKI/openssl.log")"; }
_leaf() { # name keytype subject days extensions
  local name=$1 keyopt=$2 subj=$3 days=$4 ext=$5
  # shellcheck disable=SC2086
  _ossl req -new -newkey $keyopt -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" -subj "$subj"
  printf '%b\n' "$ext" >"$PKI/$name.ext"
  _ossl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
    -days "$days" -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.pem"
}
make_pki() {
  mkdir -p "$PKI"
  local ec="ec -pkeyopt ec_paramgen_curve:P-256"
  local server="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth"
  local here="subjectAltName=DNS:localhost,IP:127.0.0.1"
  # shellcheck disable=SC2086
  _ossl req -x509 -newkey $ec -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.pem" -days 30 \
    -subj "/O=rapidtls tests/CN=rapidtls dropin test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  _leaf leaf "$ec" "/CN=localhost" 30 "$server\n$here"
  _leaf rsa "rsa:2048" "/CN=rsa-leaf" 30 "$server\n$here"
  _leaf expired "$ec" "/CN=localhost" -1 "$server\n$here"
  _leaf other "$ec" "/CN=other.example" 30 "$server\nsubjectAltName=DNS:other.example"
  _leaf client "$ec" "/CN=rapidtls-client" 30 \
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  cat "$PKI/leaf.pem" "$PKI/ca.pem" >"$PKI/leaf-chain.pem"
  mkdir -p "$PKI/hashed"
  cp "$PKI/ca.pem" "$PKI/hashed/ca.pem"
  _ossl rehash "$PKI/hashed"
  chmod -R a+rX "$PKI"
}

# make_crl: in $PKI, revoked.pem/revoked.key (a client certificate like
# client.pem, CN rapidtls-revoked) and crl.pem, the test CA's CRL revoking it
# (openssl ca with a throwaway database).
make_crl() {
  _leaf revoked "ec -pkeyopt ec_paramgen_curve:P-256" "/CN=rapidtls-revoked" 30 \
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  mkdir -p "$PKI/ca-db"
  : >"$PKI/ca-db/index.txt"
  echo 01 >"$PKI/ca-db/crlnumber"
  printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\ndefault_crl_days = 30\n' \
    "$PKI/ca-db/index.txt" "$PKI/ca-db/crlnumber" >"$PKI/ca-db/ca.cnf"
  _ossl ca -config "$PKI/ca-db/ca.cnf" -revoke "$PKI/revoked.pem" -keyfile "$PKI/ca.key" -cert "$PKI/ca.pem"
  _ossl ca -config "$PKI/ca-db/ca.cnf" -gencrl -keyfile "$PKI/ca.key" -cert "$PKI/ca.pem" -out "$PKI/crl.pem"
  chmod -R a+rX "$PKI"
}

# make_ocsp OUT: a DER OCSP response saying leaf.pem is "good", signed by the
# test CA (openssl ocsp as the responder, from an index file), valid 2 days.
make_ocsp() {
  local out=$1 serial
  serial=$(sys openssl x509 -in "$PKI/leaf.pem" -noout -serial | cut -d= -f2)
  printf 'V\t301231235959Z\t\t%s\tunknown\t/CN=localhost\n' "$serial" >"$out.index"
  sys openssl ocsp -issuer "$PKI/ca.pem" -cert "$PKI/leaf.pem" -no_nonce -reqout "$out.req" >/dev/null 2>&1 &&
    sys openssl ocsp -index "$out.index" -rsigner "$PKI/ca.pem" -rkey "$PKI/ca.key" -CA "$PKI/ca.pem" \
      -reqin "$out.req" -respout "$out" -ndays 2 >/dev/null 2>&1 ||
    fail "openssl ocsp could not make the OCSP response (test broken)"
}

# one_version_only PREFIX PORT13 PORT12: PORT13 takes TLS 1.3 only and PORT12
# TLS 1.2 only; a client of the other version is refused (curl exit 35).
one_version_only() {
  local prefix=$1 only port flags other rc
  for only in 1.3 1.2; do
    port=$2 flags=(--tlsv1.2 --tls-max 1.2) other=1.2
    [[ $only == 1.2 ]] && port=$3 flags=(--tlsv1.3) other=1.3
    "${CURL[@]}" -v -o /dev/null --cacert "$PKI/ca.pem" "${flags[@]}" "https://localhost:$port/small" 2>"$WORK/curl.err"
    rc=$?
    if ((rc == 35)); then pass "${prefix}TLSv$only only: TLS $other client refused (curl exit 35: $(grep '^curl: ' "$WORK/curl.err"))"; else
      bad "${prefix}TLSv$only only: TLS $other client: curl exit $rc, expected 35 ($(grep -o 'SSL connection using .*' "$WORK/curl.err"))"
      log_tail
    fi
  done
}

# sni_checks PORT WHAT: two names on one port, each with its certificate
# (leaf.pem for localhost, other.pem for other.example); localhost serves
# $WWW/small, other.example answers "other.example" at / (WHAT names the
# server's unit for it: "server block", "virtual host", ...). By curl
# --resolve, and by s_client -servername over TLS 1.3 and 1.2.
sni_checks() {
  local port=$1 what=$2 name v vflag
  for name in localhost other.example; do
    rm -f "$WORK/got"
    if "${CURL[@]}" -v --cacert "$PKI/ca.pem" --resolve "$name:$port:127.0.0.1" -o "$WORK/got" \
      "https://$name:$port/$([[ $name == localhost ]] && echo small)" 2>"$WORK/curl.err"; then
      verbose_has "SNI $name (curl --resolve): certificate subject CN=$name" "subject: CN=${name//./\\.}"
      if [[ $name == other.example ]]; then
        if [[ $(cat "$WORK/got") == other.example ]]; then pass "SNI other.example: its $what answered"; else
          bad "SNI other.example: body '$(head -c 100 "$WORK/got")', expected 'other.example'"; log_tail; fi
      else
        same_file "SNI localhost: body" "$WWW/small" "$WORK/got"
      fi
    else
      bad "SNI $name (curl --resolve): curl exit $?"; show "$WORK/curl.err"; log_tail
    fi
    for v in 1.3 1.2; do
      vflag=-tls1_3; [[ $v == 1.2 ]] && vflag=-tls1_2
      sys timeout 30 openssl s_client -connect "127.0.0.1:$port" -servername "$name" "$vflag" -CAfile "$PKI/ca.pem" \
        -verify_return_error </dev/null >"$WORK/sni.out" 2>&1
      if grep -q -E "^subject=CN ?= ?${name//./\\.}\$" "$WORK/sni.out" && grep -q 'Verification: OK' "$WORK/sni.out"; then
        pass "SNI $name (s_client -servername, TLS $v): subject CN=$name"
      else
        bad "SNI $name (s_client -servername, TLS $v): $(grep -E '^(subject|Verification|Verify return code)' "$WORK/sni.out" | tr '\n' ' ')"
        show "$WORK/sni.out"; log_tail
      fi
    done
  done
}

# resumes LABEL PORT VERSION [COUNT]: a first connection (s_client, system
# libssl) to 127.0.0.1:PORT saves its session (-sess_out), COUNT more (4 by
# default) offer it (-sess_in); each must say Reused and get an HTTP 200 for
# GET /small. A server that names itself in an X-Worker header is reported.
resumes() {
  local label=$1 port=$2 v=$3 count=${4:-4} vflag=-tls1_3 reused=0 i workers=
  local req='GET /small HTTP/1.0\r\nHost: localhost\r\n\r\n'
  [[ $v == 1.2 ]] && vflag=-tls1_2
  rm -f "$WORK/sess.pem"
  # shellcheck disable=SC2059 # req is the format
  printf "$req" | sys timeout 30 openssl s_client -connect "127.0.0.1:$port" -servername localhost "$vflag" \
    -CAfile "$PKI/ca.pem" -verify_return_error -ign_eof -sess_out "$WORK/sess.pem" >"$WORK/s1.out" 2>&1
  if ! grep -q "^New, TLSv$v" "$WORK/s1.out" || [[ ! -s $WORK/sess.pem ]]; then
    bad "$label: first connection: no New TLS $v session saved"; show "$WORK/s1.out"; log_tail
    return 1
  fi
  for ((i = 1; i <= count; i++)); do
    # shellcheck disable=SC2059
    printf "$req" | sys timeout 30 openssl s_client -connect "127.0.0.1:$port" -servername localhost "$vflag" \
      -CAfile "$PKI/ca.pem" -verify_return_error -ign_eof -sess_in "$WORK/sess.pem" >"$WORK/s2.out" 2>&1
    if grep -q "^Reused, TLSv$v" "$WORK/s2.out" && grep -q -a -E '^HTTP/1\.[01] 200' "$WORK/s2.out"; then
      reused=$((reused + 1))
      workers+=" $(grep -a -o -m1 '^X-Worker: [0-9]*' "$WORK/s2.out" | cut -d' ' -f2)"
    else
      echo "    connection $i: $(grep -a -E '^(New|Reused),' "$WORK/s2.out")"
    fi
  done
  workers=$(tr ' ' '\n' <<<"$workers" | sed '/^$/d' | sort -u | tr '\n' ' ')
  if ((reused == count)); then
    pass "$label: -sess_in Reused on $count of $count connections${workers:+ (workers: $workers)}"
  else
    bad "$label: -sess_in Reused on $reused of $count connections"; show "$WORK/s2.out"; log_tail
  fi
}

# ---------------------------------------------------------------- peers
# start_s_server NAME DIR ARGS...: `openssl s_server` (system libssl) on
# 127.0.0.1 with a kernel-chosen port, run in DIR (what -WWW serves). Sets
# SPORT and SPID; output in $WORK/NAME.out.
start_s_server() {
  local name=$1 dir=$2
  shift 2
  : >"$WORK/$name.out"
  (cd "$dir" && exec env -u LD_LIBRARY_PATH -u LD_PRELOAD openssl s_server -accept 127.0.0.1:0 "$@") \
    </dev/null >"$WORK/$name.out" 2>&1 &
  SPID=$!
  PIDS+=("$SPID")
  SPORT=
  for _ in $(seq 1 200); do
    SPORT=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$WORK/$name.out" | head -1)
    [[ -n $SPORT ]] && break
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z $SPORT ]]; then
    show "$WORK/$name.out"
    fail "openssl s_server ($name) did not start"
  fi
}

# start_serve NAME DIR ARGS...: `rapidtls serve DIR` on 127.0.0.1 with a
# kernel-chosen port and the ECDSA leaf (ARGS may add --tls1.2 etc.). Sets
# SPORT and SPID.
start_serve() {
  local name=$1 dir=$2
  shift 2
  : >"$WORK/$name.out"
  "$TOOL" serve "$dir" --port 0 --cert "$PKI/leaf-chain.pem" --key "$PKI/leaf.key" "$@" \
    </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
  SPID=$!
  PIDS+=("$SPID")
  SPORT=
  for _ in $(seq 1 200); do
    SPORT=$(sed -n 's|^serving .* at https://[^:]*:\([0-9]*\)/.*|\1|p' "$WORK/$name.out" | head -1)
    [[ -n $SPORT ]] && break
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -z $SPORT ]]; then
    show "$WORK/$name.out" "$WORK/$name.err"
    fail "rapidtls serve ($name) did not start"
  fi
}

# stop PID: stops one process this script started (TERM, then KILL after 5 s).
stop() {
  local pid=$1
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# ---- shared by the daemon tests (nginx, haproxy, stunnel, apache) --------------------------
# Each defines log_tail (its daemon's logs, shown after a failure) and takes
# ports with unique_port.
log_tail() { :; }
TAKEN=" "
# unique_port: a free port not handed out before in this run (add it to TAKEN).
unique_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(free_port)
    [[ $TAKEN == *" $p "* ]] || { echo "$p"; return; }
  done
  fail "no free port"
}
CURL=(sys curl -sS --max-time 30)
# get_url LABEL FILE URL CURL-ARGS...: downloads URL with the system's curl and
# checks the body against $WWW/FILE; curl's stderr in $WORK/curl.err.
get_url() {
  local label=$1 file=$2 url=$3
  shift 3
  rm -f "$WORK/got"
  if "${CURL[@]}" -o "$WORK/got" "$@" "$url" 2>"$WORK/curl.err"; then
    same_file "$label" "$WWW/$file" "$WORK/got" || log_tail
  else
    bad "$label: curl exit $?"
    show "$WORK/curl.err"
    log_tail
    return 1
  fi
}
# get LABEL FILE PORT URL-PATH CURL-ARGS...: https://localhost:PORT/URL-PATH,
# verified against the test CA.
get() {
  local label=$1 file=$2 port=$3 path=$4
  shift 4
  get_url "$label" "$file" "https://localhost:$port/$path" --cacert "$PKI/ca.pem" "$@"
}
# verbose_has LABEL REGEX: curl -v's stderr ($WORK/curl.err) has a matching line.
verbose_has() {
  if grep -q -E "$2" "$WORK/curl.err"; then pass "$1"; else
    bad "$1: no line matching '$2' in curl -v"; show "$WORK/curl.err"; log_tail; return 1; fi
}
# more_clients LABEL PORT FILE VERSION: the issue's other clients of a server
# under test: Python's urllib (system libssl) and `rapidtls get` download
# https://localhost:PORT/FILE, checked by SHA-256 against $WWW/FILE; Python
# must have negotiated TLS VERSION (1.3 or 1.2).
more_clients() {
  local label=$1 port=$2 file=$3 v=$4 used
  rm -f "$WORK/got"
  # shellcheck disable=SC2016 # Python source
  if used=$(sys timeout 60 "$PY" -c '
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
with urllib.request.urlopen(sys.argv[1], context=ctx, timeout=30) as r:
    used = r.fp.raw._sock.version()  # before read(), which drops r.fp
    open(sys.argv[3], "wb").write(r.read())
    print(used)' "https://localhost:$port/$file" "$PKI/ca.pem" "$WORK/got" 2>"$WORK/py.err"); then
    same_file "$label: Python urllib (system libssl), $used" "$WWW/$file" "$WORK/got" || log_tail
    [[ $used == "TLSv$v" ]] || bad "$label: Python urllib negotiated '$used', expected TLSv$v"
  else
    bad "$label: Python urllib failed"; show "$WORK/py.err"; log_tail
  fi
  rm -f "$WORK/got"
  if timeout 60 "$TOOL" get -s --cafile "$PKI/ca.pem" -o "$WORK/got" "https://localhost:$port/$file" \
    >"$WORK/get.out" 2>&1; then
    same_file "$label: rapidtls get" "$WWW/$file" "$WORK/got" || log_tail
  else
    bad "$label: rapidtls get: exit $?"; show "$WORK/get.out"; log_tail
  fi
}
