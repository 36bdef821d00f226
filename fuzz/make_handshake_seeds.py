#!/usr/bin/env python3
"""Writes handshake seeds for fuzz_server, fuzz_server12, fuzz_client and
fuzz_client12, made by a real peer (Python's ssl module, that is OpenSSL), so
that the fuzzers start from whole first flights rather than from nothing:

  python3 fuzz/make_handshake_seeds.py fuzz/corpus

server/, server12/: a ClientHello flight (TLS 1.3, TLS 1.2, both; with SNI and
ALPN or without), as it comes (fuzz_server cuts its input in two receive()
calls at data[0] % (size + 1), here inside the ClientHello). client/,
client12/: a server's first flight (TLS 1.3: ServerHello to Finished; TLS 1.2:
ServerHello to ServerHelloDone) answering such a ClientHello. It answers
another client's key share, so fuzz_client gets through the ServerHello (and in
TLS 1.2 the certificate) before the keys disagree: the fuzzer goes on from there.

The seeds are deterministic: the server uses tests/data/ed25519.pem (fixed
certificate, fixed-size signatures), and every random field (randoms,
session ids, key shares, the ServerKeyExchange's key and signature, the
bodies of encrypted records) is replaced by fixed bytes afterwards, so a run
rewrites the committed files byte for byte (with the same OpenSSL 3.0)."""
import os
import ssl
import sys


def pattern(n, seed):
    """n deterministic bytes standing in for random ones."""
    return bytes((seed * 131 + i * 7 + 1) & 0xFF for i in range(n))


def split_records(data):
    out, pos = [], 0
    while pos + 5 <= len(data):
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        out.append((data[pos], data[pos + 1:pos + 3], data[pos + 5:pos + 5 + length]))
        pos += 5 + length
    return out


def frame(ctype, version, body):
    return bytes([ctype]) + version + len(body).to_bytes(2, "big") + body


def vec(data, pos, width):
    """The vector with a `width`-byte length at `pos`: (start, end)."""
    n = int.from_bytes(data[pos:pos + width], "big")
    return pos + width, pos + width + n


def fix_key_shares(body, start, end, server, seed):
    """Replaces every key_exchange in a key_share extension's data."""
    pos = start if server else start + 2
    while pos + 4 <= end:
        kx_start, kx_end = vec(body, pos + 2, 2)
        body[kx_start:kx_end] = pattern(kx_end - kx_start, seed)
        pos = kx_end
        seed += 1


def fix_hello(body, server, seed):
    """ClientHello or ServerHello body (bytearray): random, session id and
    key shares made deterministic."""
    body[2:34] = pattern(32, seed)
    sid_start, pos = vec(body, 34, 1)
    body[sid_start:pos] = pattern(pos - sid_start, seed + 1)
    if server:
        pos += 3  # cipher_suite, compression_method
    else:
        pos = vec(body, pos, 2)[1]  # cipher_suites
        pos = vec(body, pos, 1)[1]  # compression_methods
    if pos >= len(body):
        return
    pos, ext_end = vec(body, pos, 2)
    while pos + 4 <= ext_end:
        ext_type = int.from_bytes(body[pos:pos + 2], "big")
        data_start, data_end = vec(body, pos + 2, 2)
        if ext_type == 51:  # key_share
            fix_key_shares(body, data_start, data_end, server, seed + 2)
        pos = data_end


def fix_server_key_exchange(body, seed):
    """ECDHE ServerKeyExchange (RFC 8422 5.4): public key and signature."""
    pub_start, pub_end = vec(body, 3, 1)
    body[pub_start:pub_end] = pattern(pub_end - pub_start, seed)
    sig_start, sig_end = vec(body, pub_end + 2, 2)
    body[sig_start:sig_end] = pattern(sig_end - sig_start, seed + 1)


def normalise(flight, seed):
    """A first flight with every random field replaced by fixed bytes: the
    handshake messages of plaintext records are rewritten, the bodies of
    encrypted ones (TLS 1.3, after the ServerHello) become a pattern."""
    out = b""
    for ctype, version, body in split_records(flight):
        if ctype == 23:
            out += frame(ctype, version, pattern(len(body), seed + 100))
            continue
        if ctype != 22:
            out += frame(ctype, version, body)
            continue
        messages, pos = bytearray(), 0
        while pos + 4 <= len(body):
            msg_type = body[pos]
            length = int.from_bytes(body[pos + 1:pos + 4], "big")
            msg = bytearray(body[pos + 4:pos + 4 + length])
            if msg_type in (1, 2):
                fix_hello(msg, msg_type == 2, seed)
            elif msg_type == 12:
                fix_server_key_exchange(msg, seed + 10)
            messages += bytes([msg_type]) + length.to_bytes(3, "big") + msg
            pos += 4 + length
        out += frame(ctype, version, bytes(messages))
    return out


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


def first_message(flight):
    """The body of the first handshake message of a flight."""
    body = split_records(flight)[0][2]
    return body[4:4 + int.from_bytes(body[1:4], "big")]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for sub in ("server", "client", "server12", "client12", "messages"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    tls12, tls13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
    cases = {
        "tls13": (tls13, tls13),
        "tls12": (tls12, tls12),
        "tls12or13": (tls12, tls13),
    }
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
    # A fixed certificate, and Ed25519 signatures of fixed size: the flights'
    # lengths do not vary from run to run.
    cert, key = os.path.join(data, "ed25519.pem"), os.path.join(data, "ed25519.key")
    written = 0
    for seed, (name, versions) in enumerate(cases.items()):
        for alpn, sni in ((False, True), (True, True), (False, False)):
            tag = f"{name}{'_alpn' if alpn else ''}{'' if sni else '_nosni'}"
            hello, answer = first_flights(versions, alpn, sni, cert, key)
            # Both server targets take every ClientHello (fuzz_server12
            # answers a TLS 1.3 offer in TLS 1.2).
            for sub in ("server", "server12"):
                with open(os.path.join(out, sub, tag), "wb") as f:
                    f.write(normalise(hello, seed))
                written += 1
            # fuzz_messages: selector byte (0 ClientHello, 1 ServerHello), body.
            for selector, flight in ((0, hello), (1, answer)):
                body = first_message(normalise(flight, seed))
                with open(os.path.join(out, "messages", f"{tag}_{selector}"), "wb") as f:
                    f.write(bytes([selector]) + body)
                written += 1
            if alpn or not sni:
                continue  # one answer per version is enough
            for sub in ("client", "client12"):
                with open(os.path.join(out, sub, tag), "wb") as f:
                    f.write(normalise(answer, seed + 50))
                written += 1
    print(f"wrote {written} seeds under {out}")


if __name__ == "__main__":
    main()
