#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Load on nginx under the libssl under test, as cli.wrk loads `rapidtls
# serve`: wrk (system libssl), 2 threads, 200 connections, 10 s
# (RAPIDTLS_WRK_DURATION), a 1 MiB file with sendfile on, TLS 1.3. No socket
# or TLS errors, every answer 200, and nginx's access log has a whole body
# for every response wrk counted. Prints requests/s and transfer/s (a check
# of correctness under load, not a benchmark: bench/ compares speeds).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need nginx wrk timeout
duration=${RAPIDTLS_WRK_DURATION:-10s}
make_pki
make_files file1m:1048576

WWW=$WORK/www
NGX=$WORK/nginx
mkdir -p "$NGX"
ERRLOG=$NGX/error.log
PORT=$(free_port)
cat >"$NGX/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
pid $NGX/nginx.pid;
error_log $ERRLOG warn;
events { worker_connections 1024; }
http {
  log_format sent '\$status \$body_bytes_sent \$ssl_protocol';
  access_log $NGX/access.log sent;
  default_type application/octet-stream;
  client_body_temp_path $NGX/body;
  proxy_temp_path $NGX/proxy;
  fastcgi_temp_path $NGX/fastcgi;
  uwsgi_temp_path $NGX/uwsgi;
  scgi_temp_path $NGX/scgi;
  keepalive_requests 100000;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {
    listen 127.0.0.1:$PORT ssl;
    server_name localhost;
    ssl_certificate $PKI/leaf.pem;
    ssl_certificate_key $PKI/leaf.key;
    root $WWW;
    sendfile on;
  }
}
EOF
log_tail() { show "$NGX/stderr" "$ERRLOG"; }

"${RT[@]}" nginx -p "$NGX" -e "$ERRLOG" -c "$NGX/nginx.conf" </dev/null >"$NGX/stdout" 2>"$NGX/stderr" &
NPID=$!
PIDS+=("$NPID")
wait_port "$PORT" "$NPID" || { log_tail; fail "nginx did not listen on 127.0.0.1:$PORT"; }

sys timeout 60 wrk -t2 -c200 -d"$duration" --timeout 10s "https://localhost:$PORT/file1m" >"$WORK/wrk.out" 2>&1
rc=$?
sed 's/^/    /' "$WORK/wrk.out"
((rc == 0)) || bad "wrk exited with $rc"
requests=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$WORK/wrk.out")
rps=$(sed -n 's/^Requests\/sec: *//p' "$WORK/wrk.out")
tps=$(sed -n 's/^Transfer\/sec: *//p' "$WORK/wrk.out")
if [[ -n $requests && $requests -gt 0 ]]; then pass "wrk: $requests responses"; else bad "wrk completed no requests"; fi
if grep -q "Socket errors" "$WORK/wrk.out"; then bad "$(grep 'Socket errors' "$WORK/wrk.out")"; else
  pass "no socket or TLS errors"; fi
if grep -q "Non-2xx or 3xx responses" "$WORK/wrk.out"; then bad "$(grep 'Non-2xx' "$WORK/wrk.out")"; else
  pass "every response 200"; fi

kill -QUIT "$NPID"
for _ in $(seq 1 200); do kill -0 "$NPID" 2>/dev/null || break; sleep 0.05; done
wait "$NPID" 2>/dev/null
rc=$?
((rc == 0)) && pass "nginx stopped by SIGQUIT (exit 0)" || { bad "nginx exit $rc after SIGQUIT"; log_tail; }
# Every response wrk read was whole: nginx logged at least as many complete
# bodies (the others were cut when wrk stopped), all over TLS 1.3.
whole=$(grep -c '^200 1048576 TLSv1.3$' "$NGX/access.log")
cut=$(grep -vc '^200 1048576 TLSv1.3$' "$NGX/access.log")
if [[ -n $requests ]] && ((whole >= requests)); then
  pass "$whole whole 1 MiB bodies sent for $requests responses read ($cut cut short at the end)"
else
  bad "only $whole whole bodies for ${requests:-?} responses"
fi
if grep -q -E '\[(emerg|alert|crit)\]' "$ERRLOG"; then bad "error_log has emerg/alert/crit lines"; log_tail; else
  pass "error_log: no emerg, alert or crit line"; fi
echo "nginx on $MODE, wrk -t2 -c200 -d$duration: $rps requests/s, $tps transfer/s"
finish
