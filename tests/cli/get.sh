#!/usr/bin/env bash
# `rapidtls get` against independent servers (`openssl s_server -WWW`,
# `gnutls-serv --http`) and against `rapidtls serve`: the body's sha256,
# verification of the certificate and host name, --insecure, -v.
PRIVATE_NETNS=1  # gnutls-serv listens on every interface: keep it private
if [[ -z ${RAPIDTLS_IN_NETNS:-} ]] && unshare -n true 2>/dev/null && command -v ip >/dev/null; then
  exec unshare -n env RAPIDTLS_IN_NETNS=1 bash -c 'ip link set lo up && exec bash "$@"' bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
need openssl gnutls-serv ss timeout sha256sum

# A CA, a leaf for localhost/127.0.0.1, and a leaf for another name.
pki=$WORK/pki
mkdir -p "$pki"
(
  cd "$pki" || exit 1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=get test CA" \
    -keyout ca.key -out ca.pem
  for leaf in localhost other.example; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$leaf" -keyout "$leaf.key" -out "$leaf.csr"
    if [[ $leaf == localhost ]]; then san="DNS:localhost,IP:127.0.0.1"; else san="DNS:other.example"; fi
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >"$leaf.ext"
    openssl x509 -req -in "$leaf.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$leaf.ext" -out "$leaf.pem"
  done
) >"$WORK/pki.log" 2>&1 || { show "$WORK/pki.log"; fail "could not make certificates"; }

mkdir -p "$WORK/www"
head -c 10485760 /dev/urandom >"$WORK/www/f10m"
head -c 16385 /dev/urandom >"$WORK/www/f16385"
want10=$(sha256_of "$WORK/www/f10m")

# openssl s_server -WWW serves files from its working folder (HTTP/1.0, body to the close).
p=$(free_port)
(cd "$WORK/www" && exec openssl s_server -accept "127.0.0.1:$p" -cert "$pki/localhost.pem" \
  -key "$pki/localhost.key" -WWW -quiet) >"$WORK/s_server.log" 2>&1 &
PIDS+=("$!")
wait_port "$p" "" 10 || { show "$WORK/s_server.log"; fail "s_server did not start"; }
for f in f10m f16385; do
  if timeout 60 "$TOOL" get -s --cafile "$pki/ca.pem" -o "$WORK/get.$f" "https://localhost:$p/$f" 2>"$WORK/get.err" &&
    [[ $(sha256_of "$WORK/get.$f") == "$(sha256_of "$WORK/www/$f")" ]]; then
    ok "get from openssl s_server -WWW: $f sha256 match"
  else
    show "$WORK/get.err" "$WORK/s_server.log"; bad "get $f from openssl s_server"
  fi
done
timeout 30 "$TOOL" get -v --cafile "$pki/ca.pem" -o "$WORK/get.v" "https://127.0.0.1:$p/f16385" 2>"$WORK/get.v.err"
for pat in "TLSv1.3, suite TLS_" "group " "certificate subject: CN = localhost" "< HTTP/1.0 200"; do
  grep -q "$pat" "$WORK/get.v.err" || bad "get -v does not print '$pat'"
done
ok "get -v: $(grep -m1 'suite' "$WORK/get.v.err")"

# Refusals: another CA (the system store), a certificate for another name.
p2=$(free_port)
(cd "$WORK/www" && exec openssl s_server -accept "127.0.0.1:$p2" -cert "$pki/other.example.pem" \
  -key "$pki/other.example.key" -WWW -quiet) >"$WORK/s_server2.log" 2>&1 &
PIDS+=("$!")
wait_port "$p2" "" 10 || fail "second s_server did not start"
if timeout 30 "$TOOL" get -s "https://localhost:$p/f16385" -o "$WORK/x" 2>"$WORK/err1"; then
  bad "get trusted a certificate outside the system store"
else
  grep -q "not trusted" "$WORK/err1" && ok "untrusted issuer refused: $(head -n1 "$WORK/err1")" || { show "$WORK/err1"; bad "untrusted: message"; }
fi
if timeout 30 "$TOOL" get -s --cafile "$pki/ca.pem" "https://localhost:$p2/f16385" -o "$WORK/x" 2>"$WORK/err2"; then
  bad "get accepted a certificate for another host name"
else
  grep -qi "hostname mismatch" "$WORK/err2" && ok "wrong host name refused: $(head -n1 "$WORK/err2")" || { show "$WORK/err2"; bad "mismatch: message"; }
fi
timeout 30 "$TOOL" get -s --insecure -o "$WORK/get.k" "https://localhost:$p2/f16385" 2>"$WORK/err3" &&
  [[ $(sha256_of "$WORK/get.k") == "$(sha256_of "$WORK/www/f16385")" ]] && ok "--insecure skips the checks" ||
  { show "$WORK/err3"; bad "--insecure"; }

# gnutls-serv --http answers every request with its own page.
p3=$(free_port)
gnutls-serv --http -p "$p3" --x509certfile "$pki/localhost.pem" --x509keyfile "$pki/localhost.key" \
  >"$WORK/gnutls-serv.log" 2>&1 &
PIDS+=("$!")
wait_port "$p3" "" 10 || { show "$WORK/gnutls-serv.log"; fail "gnutls-serv did not start"; }
if timeout 30 "$TOOL" get -v --cafile "$pki/ca.pem" -o "$WORK/gnutls.html" "https://localhost:$p3/" 2>"$WORK/get3.err" &&
  grep -q "GnuTLS" "$WORK/gnutls.html" && grep -q "< HTTP/1.0 200" "$WORK/get3.err"; then
  ok "get from gnutls-serv --http: 200, its page ($(wc -c <"$WORK/gnutls.html") bytes)"
else
  show "$WORK/get3.err" "$WORK/gnutls-serv.log"; bad "get from gnutls-serv"
fi

# And from rapidtls serve itself: 10 MiB, ALPN, 404 is a failure.
start_serve "$WORK/www"
timeout 60 "$TOOL" get -v --cafile "$CA" -o "$WORK/self.out" "https://localhost:$PORT/f10m" 2>"$WORK/self.err" &&
  [[ $(sha256_of "$WORK/self.out") == "$want10" ]] && grep -q "ALPN http/1.1" "$WORK/self.err" &&
  ok "get from rapidtls serve: 10 MiB sha256 match, ALPN http/1.1" || { show "$WORK/self.err"; bad "get from rapidtls serve"; }
# The progress bar, on a terminal (script(1) gives the tool one).
if command -v script >/dev/null; then
  timeout 60 script -qec "'$TOOL' get --cafile '$CA' -o '$WORK/tty.out' '$URL/f10m'" /dev/null >"$WORK/tty.log" 2>&1
  if [[ $(sha256_of "$WORK/tty.out") == "$want10" ]] && grep -q "10.0 MiB / 10.0 MiB *100%.*/s .*left" "$WORK/tty.log"; then
    ok "progress bar on a terminal: $(tr '\r' '\n' <"$WORK/tty.log" | grep -a '100%' | tail -n1 | tr -s ' ')"
  else
    bad "no progress bar on a terminal"; show "$WORK/tty.log"
  fi
else
  echo "note: script(1) missing; the progress bar is not checked"
fi
if timeout 30 "$TOOL" get -s --cafile "$CA" -o "$WORK/x" "$URL/missing" 2>"$WORK/err4"; then
  bad "get exited 0 on a 404"
else
  grep -q "HTTP 404" "$WORK/err4" && ok "404: exit 1, $(cat "$WORK/err4")" || bad "404 message"
fi
stop_serve INT || bad "rapidtls serve did not exit 0"
finish
