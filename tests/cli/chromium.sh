#!/usr/bin/env bash
# A real browser: headless Chromium loads the folder listing over HTTPS (TLS
# 1.3, ALPN http/1.1) and the rendered DOM lists every file.
source "$(dirname "$0")/lib.sh"
need timeout
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n $browser ]] || skip "Chromium is not installed (Debian package 'chromium'; scripts/setup.sh installs it)"

mkdir -p "$WORK/www/folder one" "$WORK/profile"
names=("alpha.txt" "beta & gamma.bin" "übung.md" "page.html")
for n in "${names[@]}"; do echo "content of $n" >"$WORK/www/$n"; done
start_serve "$WORK/www"

timeout 90 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --ignore-certificate-errors --user-data-dir="$WORK/profile" --dump-dom "$URL/" \
  >"$WORK/dom.html" 2>"$WORK/chromium.err"
rc=$?
if [[ $rc -ne 0 || ! -s $WORK/dom.html ]]; then
  show "$WORK/chromium.err" "$WORK/serve.err"
  grep -q "GET / HTTP" "$WORK/serve.out" || skip "Chromium did not run here (exit $rc; see above)"
  fail "Chromium reached the server but produced no DOM (exit $rc)"
fi
grep -q "<title>Index of /</title>" "$WORK/dom.html" || bad "no listing title in the DOM"
for n in "${names[@]}" "folder one/"; do
  esc=${n//&/&amp;}
  grep -qF ">$esc</a>" "$WORK/dom.html" && ok "the DOM lists '$n'" || bad "the DOM lacks '$n'"
done
grep -q '"GET / HTTP/1.1" 200 .* TLSv1.3 TLS_' "$WORK/serve.out" && ok "Chromium used HTTP/1.1 over TLS 1.3: $(grep -m1 '"GET / ' "$WORK/serve.out")" ||
  { bad "no TLS 1.3 HTTP/1.1 GET / in the access log"; show "$WORK/serve.out"; }
stop_serve INT || bad "rapidtls serve did not exit 0"
finish
