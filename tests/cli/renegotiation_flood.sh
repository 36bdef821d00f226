#!/usr/bin/env bash
# A renegotiation flood against `rapidtls serve` (issue 17): one TLS 1.2
# connection sends 100 renegotiating ClientHellos (reneg_flood.c), each
# waiting for the answer. serve declines client-initiated renegotiation: each
# gets a no_renegotiation warning (RFC 5246 7.2.2) until 32 in a row with no
# data between them, and the 33rd ends the connection; never a new handshake.
# A GET on another connection beside the flood takes about its usual time.
source "$(dirname "$0")/lib.sh"
CLIENT=${1:?usage: $0 TOOL RENEG_FLOOD}
[[ -x $CLIENT ]] || fail "$CLIENT is not executable"
need curl python3
ROUNDS=100

make_files 1000
start_serve "$WORK/www" -q --threads 1
served_in() { # seconds curl needed for a small GET (fails the check if it failed)
  local t
  t=$(curl -sS -k --max-time 10 -o "$WORK/got" -w '%{time_total}' "$URL/f1000" 2>"$WORK/curl.err") || return 1
  cmp -s "$WORK/got" "$WORK/www/f1000" || return 1
  echo "$t"
}
alone=$(served_in) || fail "a GET failed before the flood"
echo "a GET alone: ${alone}s"

# Three floods one after the other, with GETs beside them.
timeout 60 bash -c "for i in 1 2 3; do '$CLIENT' '$PORT' '$ROUNDS' /f1000 || exit \$?; done" \
  >"$WORK/flood.out" 2>"$WORK/flood.err" &
flood=$!
PIDS+=("$flood")
beside=()
for _ in 1 2 3 4 5; do
  t=$(served_in) || { bad "a GET beside the flood failed"; show "$WORK/curl.err"; break; }
  beside+=("$t")
done
wait "$flood" || { show "$WORK/flood.out" "$WORK/flood.err"; fail "the flooding client failed (status $?)"; }
cat "$WORK/flood.out"
echo "GETs beside the flood: ${beside[*]}s"

lines=$(grep -c '^rounds ' "$WORK/flood.out")
((lines == 3)) || fail "expected 3 result lines from the flooding client"
while read -r _ rounds _ refused _ ended _ alert _ accepted _ get; do
  ((accepted == 0)) || bad "serve answered a client's renegotiation with a ServerHello"
  # The engine declines kMaxDeclinedRenegotiations (32) in a row without
  # application data between them, then ends the connection with
  # unexpected_message (10) at the next (src/conn/connection.h).
  if ((ended == 33 && refused == 32 && alert == 10)); then
    ok "serve ended the connection at request $ended (alert $alert) after declining $refused"
  else
    bad "expected 32 requests declined, then the connection ended with alert 10 at the 33rd; got $refused declined, ended at $ended, alert $alert"
  fi
done < <(grep '^rounds ' "$WORK/flood.out")

# Generous bound for a shared 2-core machine: each GET beside the flood within
# 0.5 s plus 4 times the lone one.
for t in "${beside[@]}"; do
  python3 -c "import sys; a,w=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if w <= 4*a + 0.5 else 1)" "$alone" "$t" ||
    bad "a GET beside the flood took ${t}s (alone ${alone}s)"
done
((${#beside[@]} == 5)) && ok "5 GETs beside the flood answered (${beside[*]}s; alone ${alone}s)"
stop_serve INT
rc=$?
((rc == 0)) && ok "serve stopped by SIGINT (exit 0)" || { bad "serve exit $rc after SIGINT"; show "$WORK/serve.err"; }
finish
