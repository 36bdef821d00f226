#!/usr/bin/env python3
"""Writes handshake seeds for fuzz_server and fuzz_client, made by a real peer
(Python's ssl module, that is OpenSSL), so that the fuzzers start from whole
first flights rather than from nothing:

  python3 fuzz/make_handshake_seeds.py fuzz/corpus
  build/fuzz/fuzz/fuzz_server -max_total_time=60 fuzz/corpus/server
  build/fuzz/fuzz/fuzz_client -max_total_time=60 fuzz/corpus/client

server/: a ClientHello flight (TLS 1.3, TLS 1.2, both; with SNI and ALPN or
without), as it comes (fuzz_server cuts its input in two receive() calls at
data[0] % (size + 1), here inside the ClientHello). client/: a server's first flight (TLS 1.3: ServerHello to Finished; TLS 1.2:
ServerHello to ServerHelloDone) answering such a ClientHello. It answers
another client's key share, so fuzz_client gets through the ServerHello (and in
TLS 1.2 the certificate) before the keys disagree: the fuzzer goes on from there.
Needs the openssl command for a throw-away P-256 certificate."""
import os
import ssl
import subprocess
import sys
import tempfile


def make_certificate(folder):
    key = os.path.join(folder, "key.pem")
    cert = os.path.join(folder, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-days", "2",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def client_context(versions, alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version, ctx.maximum_version = versions
    if alpn:
        ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


def step(obj):
    """Runs a handshake step; True when the handshake is done."""
    try:
        obj.do_handshake()
        return True
    except ssl.SSLWantReadError:
        return False


def first_flights(versions, alpn, sni, cert, key):
    """The client's first flight, and the server's answer to it."""
    c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context(versions, alpn).wrap_bio(c_in, c_out,
                                                     server_hostname="localhost" if sni else None)
    step(client)
    hello = c_out.read()
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    sctx.minimum_version, sctx.maximum_version = versions
    s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = sctx.wrap_bio(s_in, s_out, server_side=True)
    s_in.write(hello)
    step(server)
    return hello, s_out.read()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for sub in ("server", "client"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    tls12, tls13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
    cases = {
        "tls13": (tls13, tls13),
        "tls12": (tls12, tls12),
        "tls12or13": (tls12, tls13),
    }
    written = 0
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = make_certificate(tmp)
        for name, versions in cases.items():
            for alpn, sni in ((False, True), (True, True), (False, False)):
                tag = f"{name}{'_alpn' if alpn else ''}{'' if sni else '_nosni'}"
                hello, answer = first_flights(versions, alpn, sni, cert, key)
                with open(os.path.join(out, "server", tag), "wb") as f:
                    f.write(hello)
                written += 1
                if alpn or not sni:
                    continue  # one answer per version is enough
                with open(os.path.join(out, "client", tag), "wb") as f:
                    f.write(answer)
                written += 1
    print(f"wrote {written} seeds under {out}")


if __name__ == "__main__":
    main()
