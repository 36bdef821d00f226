"""Python's ssl module on the libssl it was loaded with: one comparable line per
check ("name: value"), run by python.sh with Debian's /usr/bin/python3 once with
the system's libssl and once under with-rapidtls, and the outputs compared.

Nothing in a line may depend on the run (ports, times, random bytes): data is
checked by SHA-256 and printed as "ok". A line for a check where rapidtls
deliberately differs ends with " [deliberate difference: WHY]" when the
script runs on rapidtls (python.sh reports those apart).

Usage: python_ssl.py PKI_DIR WWW13_PORT WWW12_PORT FILE_NAME FILE_SHA256
  PKI_DIR: lib.sh's make_pki folder; WWW13/WWW12: `openssl s_server -WWW`
  (system libssl, ECDSA leaf) limited to TLS 1.3 / 1.2, serving FILE_NAME.
"""
import asyncio
import hashlib
import http.client
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading
import traceback
import urllib.request

PKI, WWW13, WWW12, FILE, FILE_SHA = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
# `rapidtls serve` (TLS 1.3 and 1.2) serving the same file.
SERVE = int(sys.argv[6])
CA = os.path.join(PKI, "ca.pem")
TIMEOUT = 20


def pki(name):
    return os.path.join(PKI, name)


def loaded_libssl():
    with open("/proc/self/maps") as f:
        for line in f:
            if "libssl.so" in line:
                return line.split()[-1]
    return "?"


LIBSSL = loaded_libssl()
ON_RAPIDTLS = LIBSSL != "/usr/lib/x86_64-linux-gnu/libssl.so.3"
# Checks where rapidtls deliberately differs from OpenSSL, and why.
DELIBERATE = {
    "get_ciphers() names": "rapidtls implements only ECDHE (and TLS 1.3) AEAD suites: no CBC, CCM, DHE, RSA key exchange",
}

SYSTEM_ENV = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD")}


def report(name, fn):
    try:
        value = fn()
    except Exception as e:  # the exception itself is the comparable result
        value = "EXCEPTION %s: %s" % (type(e).__name__, e)
        if os.environ.get("DROPIN_PY_TRACE"):
            traceback.print_exc()
    assert ": " not in name
    line = "%s: %s" % (name, value)
    if ON_RAPIDTLS and name in DELIBERATE:
        line += " [deliberate difference: %s]" % DELIBERATE[name]
    print(line, flush=True)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def client_ctx(version=None, ca=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca:
        ctx.load_verify_locations(CA)
    if version is not None:
        ctx.minimum_version = version
        ctx.maximum_version = version
    return ctx


def server_ctx(version=None, leaf="leaf"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki(leaf + ".pem"), pki(leaf + ".key"))
    if version is not None:
        ctx.minimum_version = version
        ctx.maximum_version = version
    return ctx


V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3


def recv_exact(s, n):
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(min(n - len(out), 1 << 16))
        if not chunk:
            raise EOFError("peer closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return bytes(out)


class Server:
    """Accepts `count` connections on 127.0.0.1 in a thread, wraps each with
    ctx (server_side=True) and runs handler(ssl_socket, index). Errors are
    kept and raised by join()."""

    def __init__(self, ctx, handler, count=1):
        self.ctx, self.handler, self.count = ctx, handler, count
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.errors = []
        self.results = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for i in range(self.count):
                raw, _ = self.listener.accept()
                raw.settimeout(TIMEOUT)
                try:
                    with self.ctx.wrap_socket(raw, server_side=True) as s:
                        self.results.append(self.handler(s, i))
                except Exception as e:
                    self.errors.append("%s: %s" % (type(e).__name__, e))
        except Exception as e:
            self.errors.append("%s: %s" % (type(e).__name__, e))
        finally:
            self.listener.close()

    def join(self):
        self.thread.join(TIMEOUT)
        if self.errors:
            raise RuntimeError("server: " + "; ".join(self.errors))
        return self.results


def connect(ctx, port, hostname="localhost", **kw):
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return ctx.wrap_socket(raw, server_hostname=hostname, **kw)


def http_get(s, path):
    s.sendall(("GET /%s HTTP/1.0\r\nHost: localhost\r\n\r\n" % path).encode())
    data = bytearray()
    while True:
        try:
            chunk = s.recv(1 << 16)
        except ssl.SSLZeroReturnError:
            break
        if not chunk:
            break
        data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    return head, body


# ---------------------------------------------------------------- checks
def check_urllib(port):
    def run():
        with urllib.request.urlopen("https://localhost:%d/%s" % (port, FILE), context=client_ctx(), timeout=TIMEOUT) as r:
            body = r.read()
        return "status %d, sha256 %s" % (r.status, "ok" if sha(body) == FILE_SHA else "WRONG")
    return run


def check_http_client(port, version=None):
    def run():
        conn = http.client.HTTPSConnection("localhost", port, context=client_ctx(version), timeout=TIMEOUT)
        conn.request("GET", "/" + FILE)
        used = conn.sock.version()
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return "status %d, sha256 %s, %s" % (r.status, "ok" if sha(body) == FILE_SHA else "WRONG", used)
    return run


def check_asyncio_client():
    async def main():
        reader, writer = await asyncio.open_connection("127.0.0.1", WWW13, ssl=client_ctx(), server_hostname="localhost")
        writer.write(("GET /%s HTTP/1.0\r\n\r\n" % FILE).encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), TIMEOUT)
        version = writer.get_extra_info("ssl_object").version()
        writer.close()
        try:
            await writer.wait_closed()
        except (ssl.SSLError, ConnectionError):
            pass
        body = data.partition(b"\r\n\r\n")[2]
        return "sha256 %s, %s" % ("ok" if sha(body) == FILE_SHA else "WRONG", version)
    return asyncio.run(main())


def check_asyncio_server(version):
    def run():
        payload = os.urandom(1 << 20)

        async def handle(reader, writer):
            n = struct.unpack("!I", await reader.readexactly(4))[0]
            data = await reader.readexactly(n)
            writer.write(hashlib.sha256(data).digest() + data[::-1])
            await writer.drain()
            writer.close()

        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx(version))
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_ctx(version),
                                                          server_hostname="localhost")
            writer.write(struct.pack("!I", len(payload)) + payload)
            await writer.drain()
            digest = await asyncio.wait_for(reader.readexactly(32), TIMEOUT)
            back = await asyncio.wait_for(reader.readexactly(len(payload)), TIMEOUT)
            v = writer.get_extra_info("ssl_object").version()
            writer.close()
            server.close()
            await server.wait_closed()
            return "up %s, down %s, %s" % ("ok" if digest == hashlib.sha256(payload).digest() else "WRONG",
                                           "ok" if back == payload[::-1] else "WRONG", v)
        return asyncio.run(main())
    return run


def echo_handler(s, _):
    n = struct.unpack("!I", recv_exact(s, 4))[0]
    data = recv_exact(s, n)
    mine = os.urandom(3 << 19)
    s.sendall(hashlib.sha256(data).digest() + struct.pack("!I", len(mine)) + mine + hashlib.sha256(mine).digest())
    return (s.version(), s.cipher()[0])


def check_wrap_socket(version):
    def run():
        srv = Server(server_ctx(version), echo_handler)
        payload = os.urandom(2 << 20)
        with connect(client_ctx(version), srv.port) as s:
            s.sendall(struct.pack("!I", len(payload)) + payload)
            up = recv_exact(s, 32) == hashlib.sha256(payload).digest()
            n = struct.unpack("!I", recv_exact(s, 4))[0]
            mine = recv_exact(s, n)
            down = recv_exact(s, 32) == hashlib.sha256(mine).digest()
            cv, cc = s.version(), s.cipher()
        sv, sc = srv.join()[0]
        return "up %s, down %s; client %s %s %d bits; server %s %s" % (
            "ok" if up else "WRONG", "ok" if down else "WRONG", cv, cc[0], cc[2], sv, sc)
    return run


def simple_handler(s, _):
    s.sendall(b"hello\n")
    return s.version()


def check_cadata(kind):
    def run():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        pem = open(CA).read()
        ctx.load_verify_locations(cadata=pem if kind == "pem" else ssl.PEM_cert_to_DER_cert(pem))
        srv = Server(server_ctx(), simple_handler)
        with connect(ctx, srv.port) as s:
            line = recv_exact(s, 6)
        srv.join()
        return "handshake ok, read %r" % line
    return run


def check_ca_certs():
    ctx = client_ctx()
    return repr(ctx.get_ca_certs())


def check_store_stats():
    ctx = client_ctx()
    before = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).cert_store_stats()
    return "empty %r, after cafile %r" % (before, ctx.cert_store_stats())


def alpn_handler(s, _):
    s.sendall(b"x")
    return s.selected_alpn_protocol()


def check_alpn(offer, version=None):
    def run():
        sctx = server_ctx(version)
        sctx.set_alpn_protocols(["h2", "http/1.1"])
        cctx = client_ctx(version)
        cctx.set_alpn_protocols(offer)
        srv = Server(sctx, alpn_handler)
        with connect(cctx, srv.port) as s:
            recv_exact(s, 1)
            client = s.selected_alpn_protocol()
        return "client %r, server %r" % (client, srv.join()[0])
    return run


def check_sni(version=None):
    def run():
        seen = []
        rsa = server_ctx(version, "rsa")

        def cb(sslobj, name, ctx):
            seen.append(name)
            if name == "rsa.test":
                sslobj.context = rsa
            return None

        sctx = server_ctx(version)
        sctx.set_servername_callback(cb)
        srv = Server(sctx, simple_handler, count=3)
        subjects = []
        for host, check in (("localhost", True), ("rsa.test", False), ("127.0.0.1", True)):
            cctx = client_ctx(version)
            cctx.check_hostname = check
            with connect(cctx, srv.port, hostname=host) as s:
                recv_exact(s, 6)
                subjects.append(dict(x[0] for x in s.getpeercert()["subject"])["commonName"])
        srv.join()
        return "callback saw %r; client saw certificates %r" % (seen, subjects)
    return run


def check_memory_bio(version):
    def run():
        cctx, sctx = client_ctx(version), server_ctx(version)
        c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
        client = cctx.wrap_bio(c_in, c_out, server_hostname="localhost")
        server = sctx.wrap_bio(s_in, s_out, server_side=True)

        def pump():
            moved = False
            data = c_out.read()
            if data:
                s_in.write(data)
                moved = True
            data = s_out.read()
            if data:
                c_in.write(data)
                moved = True
            return moved

        done = {"c": False, "s": False}
        for _ in range(100):
            for name, obj in (("c", client), ("s", server)):
                if not done[name]:
                    try:
                        obj.do_handshake()
                        done[name] = True
                    except ssl.SSLWantReadError:
                        pass
            if not pump() and all(done.values()):
                break
        payload = os.urandom(300000)
        client.write(payload)
        got = bytearray()
        while len(got) < len(payload):
            pump()
            try:
                got += server.read(1 << 16)
            except ssl.SSLWantReadError:
                if not pump():
                    break
        back = os.urandom(200000)
        server.write(back)
        got2 = bytearray()
        while len(got2) < len(back):
            pump()
            try:
                got2 += client.read(1 << 16)
            except ssl.SSLWantReadError:
                if not pump():
                    break
        # close_notify both ways
        try:
            client.unwrap()
        except ssl.SSLWantReadError:
            pass
        pump()
        try:
            server.unwrap()
        except ssl.SSLWantReadError:
            pass
        pump()
        return "handshake %s, up %s, down %s, %s %s, peer %s" % (
            "ok" if all(done.values()) else "INCOMPLETE", "ok" if bytes(got) == payload else "WRONG",
            "ok" if bytes(got2) == back else "WRONG", client.version(), server.version(),
            dict(x[0] for x in client.getpeercert()["subject"])["commonName"])
    return run


def check_getpeercert_dict(port):
    def run():
        if port:
            s = connect(client_ctx(), port)
            cert = s.getpeercert()
            s.close()
        else:
            srv = Server(server_ctx(), simple_handler)
            with connect(client_ctx(), srv.port) as s:
                recv_exact(s, 6)
                cert = s.getpeercert()
            srv.join()
        return repr(sorted(cert.items()))
    return run


def check_getpeercert_der():
    srv = Server(server_ctx(), simple_handler)
    with connect(client_ctx(), srv.port) as s:
        recv_exact(s, 6)
        der = s.getpeercert(binary_form=True)
    srv.join()
    want = ssl.PEM_cert_to_DER_cert(open(pki("leaf.pem")).read())
    return "matches leaf.pem" if der == want else "DIFFERENT (%d bytes)" % len(der)


def check_client_cert(version):
    def run():
        sctx = server_ctx(version)
        sctx.verify_mode = ssl.CERT_REQUIRED
        sctx.load_verify_locations(CA)

        def handler(s, _):
            s.sendall(b"hello\n")
            c = s.getpeercert()
            return dict(x[0] for x in c["subject"])["commonName"] if c else None

        cctx = client_ctx(version)
        cctx.load_cert_chain(pki("client.pem"), pki("client.key"))
        srv = Server(sctx, handler)
        with connect(cctx, srv.port) as s:
            recv_exact(s, 6)
        return "server saw client %r" % srv.join()[0]
    return run


def check_session_inproc(version):
    def run():
        sctx = server_ctx(version)
        srv = Server(sctx, simple_handler, count=2)
        cctx = client_ctx(version)
        with connect(cctx, srv.port) as s:
            recv_exact(s, 6)
            first = s.session_reused
            sess = s.session
        with connect(cctx, srv.port, session=sess) as s:
            recv_exact(s, 6)
            second = s.session_reused
        srv.join()
        return "first %s, second %s, session has_ticket %s" % (first, second, sess.has_ticket if sess else None)
    return run


def check_session_s_server(version):
    def run():
        port = WWW13 if version == V13 else WWW12
        cctx = client_ctx(version)
        s = connect(cctx, port)
        head, body = http_get(s, FILE)
        sess = s.session
        s.close()
        s = connect(cctx, port, session=sess)
        head2, body2 = http_get(s, FILE)
        reused = s.session_reused
        s.close()
        return "bodies %s, second session_reused %s" % (
            "ok" if sha(body) == FILE_SHA and sha(body2) == FILE_SHA else "WRONG", reused)
    return run


def check_pha():
    sctx = server_ctx(V13)
    sctx.verify_mode = ssl.CERT_REQUIRED
    sctx.load_verify_locations(CA)
    sctx.post_handshake_auth = True

    def handler(s, _):
        before = s.getpeercert()
        assert recv_exact(s, 4) == b"PHA?"
        s.verify_client_post_handshake()
        s.sendall(b"OK\n")
        assert recv_exact(s, 4) == b"HAS?"  # reading processes the client's certificate
        after = s.getpeercert()
        s.sendall(b"done\n")
        return "before %r, after %r" % (before or None,
                                        dict(x[0] for x in after["subject"])["commonName"] if after else None)

    cctx = client_ctx(V13)
    cctx.load_cert_chain(pki("client.pem"), pki("client.key"))
    cctx.post_handshake_auth = True
    srv = Server(sctx, handler)
    client_error = None
    with connect(cctx, srv.port) as s:
        try:
            s.sendall(b"PHA?")
            recv_exact(s, 3)
            s.sendall(b"HAS?")
            recv_exact(s, 5)
        except Exception as e:
            client_error = "%s: %s" % (type(e).__name__, e)
    srv.thread.join(TIMEOUT)
    if srv.errors:  # the server's error says more than the client's EOF
        return "server error %s; client %s" % ("; ".join(srv.errors), client_error)
    return "server: " + srv.results[0] + ("; client error " + client_error if client_error else "")


def check_keylog(version):
    def run():
        path_c = os.path.join(os.environ.get("DROPIN_WORK", "/tmp"), "py-keylog-client-%s" % version.name)
        path_s = os.path.join(os.environ.get("DROPIN_WORK", "/tmp"), "py-keylog-server-%s" % version.name)
        for p in (path_c, path_s):
            if os.path.exists(p):
                os.unlink(p)
        sctx = server_ctx(version)
        sctx.keylog_filename = path_s
        cctx = client_ctx(version)
        cctx.keylog_filename = path_c
        srv = Server(sctx, simple_handler)
        with connect(cctx, srv.port) as s:
            recv_exact(s, 6)
        srv.join()

        def labels(p):
            out = set()
            for line in open(p):
                if line.strip() and not line.startswith("#"):
                    out.add(line.split()[0])
            return sorted(out)
        lc, ls = labels(path_c), labels(path_s)
        return "client labels %s; server labels %s; same lines %s" % (
            lc, ls, sorted(l for l in open(path_c) if not l.startswith("#")) ==
            sorted(l for l in open(path_s) if not l.startswith("#")))
    return run


def check_verify_error(leaf, hostname="localhost", default_ca=False):
    def run():
        srv = Server(server_ctx(None, leaf), simple_handler)
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if default_ca:
            cctx.load_default_certs()
        else:
            cctx.load_verify_locations(CA)
        try:
            with connect(cctx, srv.port, hostname=hostname) as s:
                recv_exact(s, 6)
            return "NO ERROR"
        except ssl.SSLCertVerificationError as e:
            return "verify_code %s, verify_message %r, str %r" % (e.verify_code, e.verify_message, str(e))
        finally:
            try:
                srv.join()
            except RuntimeError:
                pass  # the server sees the client's alert
    return run


def check_env_paths(var, value_of):
    """ssl.create_default_context() loads the default verify paths
    (SSL_CTX_set_default_verify_paths), which honour SSL_CERT_FILE and
    SSL_CERT_DIR; the other one points at nothing."""
    def run():
        other = {"SSL_CERT_FILE": "SSL_CERT_DIR", "SSL_CERT_DIR": "SSL_CERT_FILE"}[var]
        saved = {k: os.environ.get(k) for k in (var, other)}
        os.environ[var] = value_of()
        os.environ[other] = os.path.join(PKI, "no-such-path")
        try:
            cctx = ssl.create_default_context()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        srv = Server(server_ctx(), simple_handler)
        with connect(cctx, srv.port) as s:
            recv_exact(s, 6)
            got = s.version()
        srv.join()
        return "verified, %s" % got
    return run


def check_s_client(version):
    """The Python server against `openssl s_client` (system libssl)."""
    def run():
        payload = os.urandom(100000).hex().encode()[:100000] + b"\n"

        def handler(s, _):
            data = recv_exact(s, len(payload))
            s.sendall(("sha256 %s\n" % sha(data)).encode())
            v = s.version()
            s.unwrap()  # close_notify both ways: s_client ends cleanly
            return v

        srv = Server(server_ctx(version), handler)
        args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port, "-servername", "localhost",
                "-CAfile", CA, "-verify_return_error", "-verify_hostname", "localhost", "-quiet", "-ign_eof",
                "-tls1_3" if version == V13 else "-tls1_2"]
        p = subprocess.run(args, input=payload, capture_output=True, env=SYSTEM_ENV, timeout=TIMEOUT)
        v = srv.join()[0]
        ok = ("sha256 %s" % sha(payload)).encode() in p.stdout
        return "s_client exit %d, server got the data %s, server %s" % (p.returncode, "ok" if ok else "WRONG", v)
    return run


def check_ctx_details():
    ctx = client_ctx()
    s = ctx.wrap_socket(socket.socket(), server_hostname="localhost")
    try:
        return "verify_mode %s, check_hostname %s, min %s, max %s, options has NO_COMPRESSION %s, security_level %s" % (
            ctx.verify_mode, ctx.check_hostname, ctx.minimum_version, ctx.maximum_version,
            bool(ctx.options & ssl.OP_NO_COMPRESSION), ctx.security_level)
    finally:
        s.close()


def check_get_ciphers():
    return " ".join(c["name"] for c in client_ctx().get_ciphers())


def check_cipher_fields():
    c = [c for c in client_ctx().get_ciphers() if c["name"] == "ECDHE-ECDSA-AES128-GCM-SHA256"]
    return repr(sorted(c[0].items())) if c else "not listed"


def main():
    print("# libssl: %s" % LIBSSL)
    report("import ssl, OPENSSL_VERSION", lambda: ssl.OPENSSL_VERSION.split()[0])
    report("urllib GET tls1.3 (s_server)", check_urllib(WWW13))
    report("urllib GET tls1.2 (s_server)", check_urllib(WWW12))
    report("http.client GET tls1.3 (s_server)", check_http_client(WWW13))
    report("http.client GET tls1.2 (s_server)", check_http_client(WWW12))
    report("urllib GET (rapidtls serve)", check_urllib(SERVE))
    report("http.client GET tls1.3 (rapidtls serve)", check_http_client(SERVE, V13))
    report("http.client GET tls1.2 (rapidtls serve)", check_http_client(SERVE, V12))
    report("asyncio client (s_server)", check_asyncio_client)
    report("asyncio server+client tls1.3", check_asyncio_server(V13))
    report("asyncio server+client tls1.2", check_asyncio_server(V12))
    report("wrap_socket client+server tls1.3", check_wrap_socket(V13))
    report("wrap_socket client+server tls1.2", check_wrap_socket(V12))
    report("python server with s_client tls1.3", check_s_client(V13))
    report("python server with s_client tls1.2", check_s_client(V12))
    report("load_verify_locations(cadata=PEM)", check_cadata("pem"))
    report("load_verify_locations(cadata=DER)", check_cadata("der"))
    report("get_ca_certs()", check_ca_certs)
    report("cert_store_stats()", check_store_stats)
    report("context defaults", check_ctx_details)
    report("get_ciphers() names", check_get_ciphers)
    report("get_ciphers() ECDHE-ECDSA-AES128-GCM-SHA256", check_cipher_fields)
    report("alpn http/1.1 tls1.3", check_alpn(["http/1.1"], V13))
    report("alpn h2 preferred tls1.2", check_alpn(["h2", "http/1.1"], V12))
    report("alpn no overlap", check_alpn(["spdy/1"]))
    report("servername callback tls1.3", check_sni(V13))
    report("servername callback tls1.2", check_sni(V12))
    report("SSLObject+MemoryBIO tls1.3", check_memory_bio(V13))
    report("SSLObject+MemoryBIO tls1.2", check_memory_bio(V12))
    report("getpeercert() dict (s_server)", check_getpeercert_dict(WWW13))
    report("getpeercert() dict (in-process server)", check_getpeercert_dict(None))
    report("getpeercert(True) DER", check_getpeercert_der)
    report("client certificate tls1.3", check_client_cert(V13))
    report("client certificate tls1.2", check_client_cert(V12))
    report("tls1.3 session reuse (in-process server)", check_session_inproc(V13))
    report("tls1.2 session reuse (in-process server)", check_session_inproc(V12))
    report("tls1.3 session reuse (s_server)", check_session_s_server(V13))
    report("tls1.2 session reuse (s_server)", check_session_s_server(V12))
    report("post_handshake_auth", check_pha)
    report("keylog_filename tls1.3", check_keylog(V13))
    report("keylog_filename tls1.2", check_keylog(V12))
    report("verify error (untrusted)", check_verify_error("leaf", default_ca=True))
    report("verify error (wrong host)", check_verify_error("other"))
    report("verify error (expired)", check_verify_error("expired"))
    report("verify error (IP not in SAN)", check_verify_error("other", hostname="127.0.0.1"))
    report("default verify paths from SSL_CERT_FILE", check_env_paths("SSL_CERT_FILE", lambda: CA))
    report("default verify paths from SSL_CERT_DIR", check_env_paths("SSL_CERT_DIR", lambda: pki("hashed")))


main()
