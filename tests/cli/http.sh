#!/usr/bin/env bash
# HTTP behaviour of `rapidtls serve`, checked with curl: HEAD, 404/403/405/416,
# a single Range (206) and resumed downloads, content types, keep-alive and
# pipelining, the folder listing, and requests that try to leave the folder.
source "$(dirname "$0")/lib.sh"
need curl python3 sha256sum timeout

make_files 0 12288 12289 100000 1048576
mkdir -p "$WORK/www/sub dir" "$WORK/outside"
echo "secret" >"$WORK/outside/secret.txt"
echo "<p>hi</p>" >"$WORK/www/page.html"
echo "inside" >"$WORK/www/sub dir/note.txt"
ln -s ../outside/secret.txt "$WORK/www/link-out"
ln -s ../outside "$WORK/www/dir-out"
ln -s "sub dir/note.txt" "$WORK/www/link-in"
start_serve "$WORK/www"

C=(curl -sS --cacert "$CA" --max-time 30)
code() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
expect_code() {  # want description curl-args...
  local want=$1 what=$2 got
  shift 2
  got=$(code "$@")
  if [[ $got == "$want" ]]; then ok "$what: $got"; else bad "$what: status $got, want $want"; fi
}

# HEAD: the headers of a GET, no body.
"${C[@]}" -I "$URL/f100000" >"$WORK/head.txt"
grep -q '^HTTP/1.1 200' "$WORK/head.txt" && grep -qi '^content-length: 100000' "$WORK/head.txt" &&
  grep -qi '^accept-ranges: bytes' "$WORK/head.txt" && ok "HEAD: 200, Content-Length 100000" ||
  { bad "HEAD"; cat "$WORK/head.txt"; }
# What follows the head on the wire, up to the server's close: nothing.
printf 'HEAD /f100000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
  timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -quiet -CAfile "$CA" 2>/dev/null >"$WORK/head.raw"
strip_head "$WORK/head.raw" "$WORK/head.body"
n=$(wc -c <"$WORK/head.body")
grep -q '^HTTP/1.1 200' "$WORK/head.raw" && [[ $n == 0 ]] && ok "HEAD sends no body" || bad "HEAD sent $n body bytes"

# Status codes with small bodies.
expect_code 404 "missing file" "$URL/nothing-here"
expect_code 405 "POST" -X POST -d x "$URL/f0"
expect_code 405 "DELETE" -X DELETE "$URL/f0"
expect_code 301 "folder without /" "$URL/sub%20dir"
expect_code 200 "folder listing" "$URL/sub%20dir/"
expect_code 200 "encoded space" "$URL/sub%20dir/note.txt"
body=$("${C[@]}" "$URL/nothing-here")
[[ $body == *"404 Not Found"* && ${#body} -lt 512 ]] && ok "404 has a small body" || bad "404 body: $body"
ctype=$("${C[@]}" -o /dev/null -w '%{content_type}' "$URL/page.html")
[[ $ctype == text/html* ]] && ok "content type of .html: $ctype" || bad "content type of .html: $ctype"
ctype=$("${C[@]}" -o /dev/null -w '%{content_type}' "$URL/f0")
[[ $ctype == application/octet-stream ]] && ok "content type without extension: $ctype" || bad "content type: $ctype"

# Ranges: a-b, a-, -n against Python's slicing of the file.
range_check() {  # spec python-slice
  local got want
  "${C[@]}" -r "$1" -o "$WORK/range.out" -D "$WORK/range.head" "$URL/f1048576" || { bad "range $1"; return; }
  got=$(sha256_of "$WORK/range.out")
  want=$(python3 -c "import hashlib,sys; d=open(sys.argv[1],'rb').read(); print(hashlib.sha256(d[$2]).hexdigest())" "$WORK/www/f1048576")
  if grep -q '^HTTP/1.1 206' "$WORK/range.head" && [[ $got == "$want" ]]; then
    ok "Range bytes=$1: 206, $(grep -i '^content-range' "$WORK/range.head" | tr -d '\r')"
  else
    bad "Range bytes=$1"; cat "$WORK/range.head"
  fi
}
# Bodies up to 12 KiB go out with the head in one write; one byte more takes
# the SSL_sendfile path: both arrive whole.
for n in 12288 12289; do
  "${C[@]}" -o "$WORK/small.out" "$URL/f$n" &&
    [[ $(sha256_of "$WORK/small.out") == "$(sha256_of "$WORK/www/f$n")" ]] &&
    ok "GET of a $n-byte file: every byte" || bad "GET of a $n-byte file"
done
range_check 0-0 0:1
range_check 100-16483 100:16484
range_check 1000000- 1000000:
range_check -5000 -5000:
range_check 1048000-2000000 1048000:
expect_code 416 "range past the end" -r 1048576- "$URL/f1048576"
expect_code 416 "range of an empty file" -r 0- "$URL/f0"
# (Headers taken whole: `| grep -q` under pipefail fails when grep exits first.)
headers=$("${C[@]}" -r 2000000- -D - -o /dev/null "$URL/f1048576" || true)
grep -qi '^content-range: bytes \*/1048576' <<<"$headers" &&
  ok "416 carries Content-Range: bytes */size" || bad "416 without Content-Range"
expect_code 200 "two ranges: the whole file" -r 0-1,5-6 "$URL/f1048576"
expect_code 200 "If-Range that does not match: the whole file" -r 10- -H 'If-Range: "other"' "$URL/f1048576"

# Resume: a download cut at 300000 bytes continues with curl -C - and with rapidtls get -C.
head -c 300000 "$WORK/www/f1048576" >"$WORK/partial.curl"
"${C[@]}" -C - -o "$WORK/partial.curl" "$URL/f1048576"
[[ $(sha256_of "$WORK/partial.curl") == "$(sha256_of "$WORK/www/f1048576")" ]] &&
  ok "curl -C - resumes to the right sha256" || bad "curl resume"
head -c 123457 "$WORK/www/f1048576" >"$WORK/partial.get"
timeout 60 "$TOOL" get -s --cafile "$CA" -C -o "$WORK/partial.get" "$URL/f1048576" 2>"$WORK/get.err" ||
  { show "$WORK/get.err"; bad "rapidtls get -C failed"; }
[[ $(sha256_of "$WORK/partial.get") == "$(sha256_of "$WORK/www/f1048576")" ]] &&
  ok "rapidtls get -C resumes to the right sha256" || bad "rapidtls get resume"
grep -q '"GET /f1048576 HTTP/1.1" 206 925119 ' "$WORK/serve.out" && ok "the resume was a 206 of the rest" ||
  bad "no 206 of 925119 bytes in the access log"
timeout 60 "$TOOL" get -s --cafile "$CA" -C -o "$WORK/partial.get" "$URL/f1048576" 2>"$WORK/get.err" &&
  grep -q "already complete" "$WORK/get.err" && ok "rapidtls get -C on a complete file: nothing to do" ||
  { show "$WORK/get.err"; bad "rapidtls get -C on a complete file"; }

# Validators: Last-Modified is the file's mtime as an IMF-fixdate (RFC 9110
# 5.6.7, as Python's email.utils formats it), Date has the same form, and the
# ETag is "size-seconds-nanoseconds" in hex; both follow the file when it
# changes, also for a file asked for again after another one (the server keeps
# the last date it formatted).
validators() {  # file -> "Last-Modified|ETag" as the server sent them
  "${C[@]}" -D - -o /dev/null "$URL/$1" | tr -d '\r' |
    awk -F': ' 'tolower($1)=="last-modified"{lm=$2} tolower($1)=="etag"{et=$2} END{print lm "|" et}'
}
expected_validators() {  # file -> "Last-Modified|ETag" from the file's stat
  python3 -c 'import email.utils, os, sys
st = os.stat(sys.argv[1])
print(email.utils.formatdate(st.st_mtime_ns // 10**9, usegmt=True) + "|" +
      "\"%x-%x-%x\"" % (st.st_size, st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9))' "$WORK/www/$1"
}
date_line=$("${C[@]}" -D - -o /dev/null "$URL/f0" | tr -d '\r' | grep -i '^date: ' || true)
[[ $date_line =~ ^[Dd]ate:\ (Mon|Tue|Wed|Thu|Fri|Sat|Sun),\ [0-3][0-9]\ (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\ [0-9]{4}\ [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\ GMT$ ]] &&
  ok "Date is an IMF-fixdate: $date_line" || bad "Date: '$date_line'"
touch -d '1999-12-31 23:59:59.5 UTC' "$WORK/www/f12288"
got=$(validators f12288)
[[ $got == "$(expected_validators f12288)" && $got == "Fri, 31 Dec 1999 23:59:59 GMT|"* ]] &&
  ok "validators of a file: $got" || bad "validators: '$got', want '$(expected_validators f12288)'"
got=$(validators page.html)
[[ $got == "$(expected_validators page.html)" ]] && ok "validators of another file: $got" ||
  bad "validators of page.html: '$got', want '$(expected_validators page.html)'"
head -c 100 /dev/zero >>"$WORK/www/f12288"
touch -d '2038-01-19 03:14:08 UTC' "$WORK/www/f12288"
got=$(validators f12288)
[[ $got == "$(expected_validators f12288)" && $got == "Tue, 19 Jan 2038 03:14:08 GMT|\"3064-"* ]] &&
  ok "validators after the file changed: $got" ||
  bad "validators after a change: '$got', want '$(expected_validators f12288)'"

# Keep-alive: two requests on one connection (one client port in the log).
"${C[@]}" -o /dev/null -o /dev/null "$URL/f0?a=1" "$URL/f0?a=2"
ports=$(grep -E '"GET /f0\?a=[12] ' "$WORK/serve.out" | awk '{print $2}' | sort -u | wc -l)
[[ $ports == 1 ]] && ok "keep-alive: two requests, one connection" || bad "keep-alive: $ports connections"

# Pipelining: three requests in one write, three answers in order.
printf 'GET /page.html HTTP/1.1\r\nHost: x\r\n\r\nHEAD /f0 HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
  timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -quiet -CAfile "$CA" 2>/dev/null >"$WORK/pipe.out"
statuses=$(grep -a '^HTTP/1.1' "$WORK/pipe.out" | cut -d' ' -f2 | tr '\n' ' ')
[[ $statuses == "200 200 404 " ]] && ok "pipelined requests: $statuses" || bad "pipelined: '$statuses'"

# Pipelining in separate TLS records: three requests written as three records
# before any answer is read; the server reads ahead, so the later ones may sit
# in its TLS layer, not the socket, when the first answer has gone: all three
# must be answered without waiting for more bytes from the client.
statuses=$(python3 - "$PORT" "$CA" <<'PY'
import re, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        for path in ("/page.html", "/f0", "/nothing"):
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        got = b""
        try:
            while got.count(b"HTTP/1.1 ") < 3 or not got.endswith(b"</html>\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        # (A body need not end a line: a status line may follow it directly.)
        print(" ".join(m.decode() for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", got)))
PY
)
[[ $statuses == "200 200 404" ]] && ok "pipelined requests in separate records: $statuses" ||
  bad "pipelined in separate records: '$statuses'"
# The same where the first request (a GET with a body, which is read and
# dropped) fills one whole 16 KiB record: the server's 16 KiB read ends at
# that record's end, so the second request's record stays in the TLS layer
# (read ahead from the socket with the first) when the first answer has gone,
# and no socket event will announce it (SSL_has_pending). The client seals
# both records into memory first and sends them in one send(), so that they
# reach the server together.
statuses=$(python3 - "$PORT" "$CA" <<'PY'
import re, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(inc, out, server_hostname="localhost")

    def pump():  # what s wrote goes out; what the socket has comes in
        if out.pending:
            raw.sendall(out.read())
        data = raw.recv(65536)
        if not data:
            raise EOFError
        inc.write(data)

    while True:
        try:
            s.do_handshake()
            break
        except ssl.SSLWantReadError:
            pump()
    if out.pending:
        raw.sendall(out.read())
    head = b"GET /f0 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
    n = 16384 - len(head % 10000)
    first = head % n + b"b" * n
    assert len(first) == 16384, len(first)
    s.write(first)
    s.write(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
    raw.sendall(out.read())  # both records in one send
    got = b""
    try:
        while len(re.findall(rb"HTTP/1\.1 \d{3} ", got)) < 2 or not got.endswith(b"</html>\n"):
            try:
                got += s.read(65536)
            except ssl.SSLWantReadError:
                pump()
    except (socket.timeout, EOFError):
        pass
    print(" ".join(m.decode() for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", got)))
PY
)
[[ $statuses == "200 404" ]] && ok "a request ending a full record, the next one read ahead: $statuses" ||
  bad "a request ending a full record, the next one read ahead: '$statuses'"

# Answers to pipelined requests already read leave together (one write of
# up to 16 KiB): 40 GETs of three small files in one write get 40 answers, in
# order, each body whole; and every request is in the access log.
got=$(python3 - "$PORT" "$CA" "$WORK/www" <<'PY'
import hashlib, re, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
names = ["page.html", "f12288", "nothing"] * 13 + ["page.html"]
want = []
for n in names:
    try:
        want.append(hashlib.sha256(open(f"{sys.argv[3]}/{n}", "rb").read()).hexdigest())
    except FileNotFoundError:
        want.append("404")
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"".join(f"GET /{n}?p={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                           for i, n in enumerate(names)))
        f = s.makefile("rb")
        seen = []
        for n in names:
            status = f.readline().split()[1].decode()
            length = 0
            while (line := f.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = f.read(length)
            seen.append(hashlib.sha256(body).hexdigest() if status == "200" else status)
print("ok" if seen == want else f"mismatch at {[i for i, (a, b) in enumerate(zip(seen, want)) if a != b][:5]}")
PY
)
logged=$(grep -cE '"GET /(page.html|f12288|nothing)\?p=[0-9]+ ' "$WORK/serve.out")
[[ $got == ok && $logged == 40 ]] && ok "40 pipelined requests in one write: 40 answers in order, bodies whole, 40 logged" ||
  bad "40 pipelined requests: $got, $logged logged"

# ... and in few records: 17 pipelined GETs of 1 KiB, answered in at most 8
# records from the server (its encrypted handshake flight, its tickets, and
# 21 KiB of answers in about three records), where one record per answer
# makes 20. Counted from openssl s_client -msg's record headers.
head -c 1024 /dev/zero | tr '\0' k >"$WORK/www/k1"
{
  for _ in $(seq 16); do printf 'GET /k1 HTTP/1.1\r\nHost: x\r\n\r\n'; done
  printf 'GET /k1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
} | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" -msg -msgfile "$WORK/pipe.msg" \
  -ign_eof 2>/dev/null >"$WORK/pipe.out"
answers=$(grep -ao 'HTTP/1.1 200 ' "$WORK/pipe.out" | wc -l)
records=$(grep -a -A1 '^<<< .*RecordHeader' "$WORK/pipe.msg" | grep -ac '^ *17 03 03')
[[ $answers == 17 && $records -le 8 ]] && ok "17 pipelined answers in $records application-data records" ||
  bad "17 pipelined requests: $answers answers in $records records"

# Answers held back for the next pipelined request leave when that request
# turns out incomplete (its head is read, its body is not): a client that
# reads before it sends the rest gets the answers first (it would wait
# forever otherwise). One complete request, or three, then a GET whose
# 10-byte body is cut after 2 bytes.
for first in 1 3; do
  got=$(python3 - "$PORT" "$CA" "$first" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
n = int(sys.argv[3])
req = b"GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n"
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(req * n + b"GET /page.html HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        got = b""
        try:
            while got.count(b"<p>hi</p>\n") < n:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            print("timeout")
            sys.exit()
        s.sendall(b"cdefghij" + b"GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while chunk := s.recv(65536):
            got += chunk
        print(got.count(b"HTTP/1.1 200 "))
PY
  )
  [[ $got == $((first + 2)) ]] && ok "$first answer(s) held back leave before the rest of an incomplete request: $got answers" ||
    bad "$first answer(s) held back for an incomplete request: '$got'"
done

# The listing names every entry, escaped, with links that work.
"${C[@]}" "$URL/" >"$WORK/listing.html"
for name in f0 f100000 f1048576 page.html "sub dir/" link-in; do
  grep -qF ">$name<" "$WORK/listing.html" || bad "listing lacks $name"
done
grep -qF 'href="sub%20dir/"' "$WORK/listing.html" && ok "listing: names and encoded links" || bad "listing link"

# Leaving the folder: .., encoded .., encoded slashes, symbolic links out.
for path in "/../outside/secret.txt" "/%2e%2e/outside/secret.txt" "/sub%20dir/../../outside/secret.txt" \
  "/..%2foutside%2fsecret.txt" "/sub%20dir%2f..%2f..%2foutside%2fsecret.txt" "/link-out" "/dir-out/secret.txt" \
  "/%2e%2e%2f%2e%2e%2fetc%2fpasswd" "/....//outside/secret.txt" "/f0%00.txt"; do
  got=$("${C[@]}" --path-as-is -o "$WORK/trav.out" -w '%{http_code}' "$URL$path")
  if [[ $got =~ ^(400|403|404)$ ]] && ! grep -q secret "$WORK/trav.out"; then
    ok "refused $path: $got"
  else
    bad "$path: status $got"
  fi
done
expect_code 200 "a symbolic link that stays inside" "$URL/link-in"

# Limits: an over-long request head gets 431.
long=$(head -c 20000 /dev/zero | tr '\0' a)
expect_code 431 "20 KB header" -H "X-Long: $long" "$URL/f0"

stop_serve TERM || bad "rapidtls serve did not exit 0 on SIGTERM (status $?)"
finish
