#!/usr/bin/env bash
# TLS 1.3 resumption across implementations: resume_client (OpenSSL API
# only), linked with rapidtls and with libssl, resumes with `openssl s_server
# -www` (whose page says "Reused" when the server took the ticket) and with
# `rapidtls serve`; and `openssl s_client -sess_out / -sess_in` resumes with
# `rapidtls serve` (-ign_eof: it reads until the server closes, so the ticket
# and the answer are in before it ends); so do GnuTLS's gnutls-cli and
# gnutls-serv. SHA-384 and SHA-256 suites (the binder's hash).
set -euo pipefail
bin=$1
tool=$2
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  2>/dev/null
mkdir -p "$tmp/www"
echo hello >"$tmp/www/hello.txt"


# resume_client against a server on port $1; $2: also require the server's
# page to say Reused (openssl s_server -www). Output is matched from
# here-strings: `echo "$out" | grep -q` under pipefail fails now and then,
# when grep has matched and exited before echo's last write (SIGPIPE).
# That failed this test about one run in eight under load.
resumes() {
  local out; out=$(timeout 60 "$bin/$client" "$1" "$tmp/cert.pem") || { echo "$out"; return 1; }
  echo "$out" | sed 's/^/    /'
  grep -q '^connection=1 reused=0' <<<"$out" &&
    grep -q '^connection=1 resumable=1' <<<"$out" &&
    grep -q '^connection=2 reused=1' <<<"$out" || return 1
  if [[ $2 == page ]]; then
    grep -q '^connection=1 reused=0 server_says="New, TLSv1.3' <<<"$out" &&
      grep -q '^connection=2 reused=1 server_says="Reused, TLSv1.3' <<<"$out"
  fi
}

for suite in TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
  p=$(free_port)
  openssl s_server -accept "127.0.0.1:$p" -cert "$tmp/cert.pem" -key "$tmp/key.pem" -www -tls1_3 \
    -ciphersuites "$suite" >"$tmp/s_server.log" 2>&1 &
  pids+=("$!")
  wait_port "$p" "" 10
  for client in resume_client_rapidtls resume_client_openssl; do
    label="$client resumes with openssl s_server ($suite)"; check resumes "$p" page
  done
done

p=$(free_port)
"$tool" serve -p "$p" -q --cert "$tmp/cert.pem" --key "$tmp/key.pem" "$tmp/www" >"$tmp/serve.log" 2>&1 &
pids+=("$!")
wait_port "$p" "" 10
for client in resume_client_rapidtls resume_client_openssl; do
  label="$client resumes with rapidtls serve"; check resumes "$p" -
done
s_client_resumes() {
  local req=$'GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' out
  # Standard error apart: s_client's stdout is block-buffered into the pipe, so
  # a message on stderr could land inside a line of it (the body's, say).
  out=$(timeout 20 openssl s_client -connect "127.0.0.1:$p" -tls1_3 -sess_out "$tmp/sess.pem" -ign_eof \
    -CAfile "$tmp/cert.pem" -verify_return_error <<<"$req" 2>"$tmp/s_client.err") ||
    { echo "$out" | tail -5; sed 's/^/    stderr: /' "$tmp/s_client.err"; return 1; }
  grep -q '^New, TLSv1.3' <<<"$out" && grep -q '^hello$' <<<"$out" ||
    { echo "$out" | tail -15; sed 's/^/    stderr: /' "$tmp/s_client.err"; return 1; }
  out=$(timeout 20 openssl s_client -connect "127.0.0.1:$p" -tls1_3 -sess_in "$tmp/sess.pem" -ign_eof \
    -CAfile "$tmp/cert.pem" <<<"$req" 2>"$tmp/s_client.err") ||
    { echo "$out" | tail -5; sed 's/^/    stderr: /' "$tmp/s_client.err"; return 1; }
  echo "$out" | grep -E '^(New|Reused), ' | sed 's/^/    /'
  grep -q '^Reused, TLSv1.3' <<<"$out" && grep -q '^hello$' <<<"$out" ||
    { echo "$out" | tail -15; sed 's/^/    stderr: /' "$tmp/s_client.err"; return 1; }
}
label="openssl s_client -sess_out/-sess_in resumes with rapidtls serve"; check s_client_resumes

# GnuTLS, a third implementation: gnutls-cli --resume with rapidtls serve, and
# resume_client with gnutls-serv --http.
if command -v gnutls-cli >/dev/null && command -v gnutls-serv >/dev/null; then
  gnutls_cli_resumes() {
    local out
    out=$(printf 'GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n' |
      timeout 20 gnutls-cli --resume -p "$p" --x509cafile "$tmp/cert.pem" localhost 2>&1) || true
    echo "$out" | grep -E 'resumed session|^hello$' | sed 's/^/    /'
    grep -q '^\*\*\* This is a resumed session' <<<"$out" && grep -q '^hello$' <<<"$out"
  }
  label="gnutls-cli --resume resumes with rapidtls serve"; check gnutls_cli_resumes
  gp=$(free_port)
  gnutls-serv --http -p "$gp" --x509certfile "$tmp/cert.pem" --x509keyfile "$tmp/key.pem" \
    --priority NORMAL:-VERS-ALL:+VERS-TLS1.3 >"$tmp/gnutls-serv.log" 2>&1 &
  pids+=("$!")
  wait_port "$gp" "" 10
  for client in resume_client_rapidtls resume_client_openssl; do
    label="$client resumes with gnutls-serv"; check resumes "$gp" -
  done
else
  echo "SKIP: the GnuTLS cases: gnutls-cli/gnutls-serv are not installed (Debian package gnutls-bin)"
fi

echo "failures=$failures"
[[ $failures -eq 0 ]]
