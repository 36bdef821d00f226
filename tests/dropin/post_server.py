"""An HTTPS server for the drop-in tests' POST checks, run with Debian's
python3 and the SYSTEM libssl (never under with-rapidtls): it answers every
POST with the SHA-256 (hex) of the body it received, and GET /ping with pong.
Usage: post_server.py CERT KEY [max-version: 1.2|1.3]; prints "port N" once
it listens on 127.0.0.1 (a port the kernel picks)."""
import hashlib
import http.server
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        while n > 0:
            chunk = self.rfile.read(min(n, 1 << 16))
            if not chunk:
                break
            h.update(chunk)
            n -= len(chunk)
        self._answer((h.hexdigest() + "\n").encode())

    def do_GET(self):
        self._answer(b"pong\n")

    def log_message(self, *args):
        pass


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    if len(sys.argv) > 3 and sys.argv[3] == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("port", server.server_address[1], flush=True)
    server.serve_forever()


main()
