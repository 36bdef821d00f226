#!/usr/bin/env python3
"""Writes the seeds of fuzz_ssl, fuzz_sessions and fuzz_http (their input
formats are described at the top of each target's source) under the
directory given, one sub-folder per target:

  python3 fuzz/make_script_seeds.py fuzz/corpus

Everything here is written out byte by byte, so a run rewrites the committed
files exactly. The session and TLS 1.2 ticket seeds carry
tests/data/ed25519.pem as the peer's certificate."""
import base64
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def certificate_der(name):
    with open(os.path.join(HERE, "..", "tests", "data", name)) as f:
        pem = f.read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def vec(width, data):
    return len(data).to_bytes(width, "big") + data


# --- fuzz_ssl ---------------------------------------------------------------
# Setup bits: 0 TLS 1.2, 1 no handshake first, 2-3 pair size, 4 partial
# writes, 5 release buffers, 6 read-ahead, 7 no tickets.
WRITE, WRITE_EX, READ, PUMP, PUMP_ALL, SHUTDOWN, KEY_UPDATE, SENDFILE = range(8)
HANDSHAKE, INJECT, FLIP, PENDING, RELEASE, READ_ALL = 8, 9, 10, 11, 12, 13
SERVER = 0x80
EDGE_16384 = 0x80 | 8  # length(): kEdges[8]


def n(v):
    """length() encoding of v < 1024."""
    return [v] if v < 64 else [0x40 | v >> 8, v & 0xFF]


def ops(*parts):
    out = []
    for p in parts:
        out += p
    return bytes(out)


to_server = [WRITE] + n(100) + [PUMP_ALL, SERVER | READ_ALL]
to_client = [SERVER | WRITE] + n(50) + [PUMP_ALL, READ_ALL]
ssl_seeds = {
    "exchange": ops([0x00], to_server, to_client),
    "exchange_12": ops([0x01], to_server, to_client),
    "write_ex_read_ex": ops([0x00, WRITE_EX], n(700), [PUMP_ALL, SERVER | READ], n(300), [1],
                            [SERVER | READ], n(400), [1]),
    "peek": ops([0x20, WRITE], n(300), [PUMP_ALL, SERVER | READ], n(100), [2], [SERVER | PENDING],
                [SERVER | READ_ALL]),
    "key_update": ops([0x00, KEY_UPDATE, 1, PUMP_ALL, SERVER | READ_ALL], to_client, to_server),
    "key_update_12": ops([0x01, KEY_UPDATE, 1, PUMP_ALL, SERVER | READ_ALL], to_client),
    "shutdown": ops([0x00, WRITE, 10, SHUTDOWN, PUMP_ALL, SERVER | READ_ALL, SERVER | SHUTDOWN,
                     PUMP_ALL, READ_ALL, SHUTDOWN]),
    "sendfile": ops([0x00, SENDFILE], n(100), [0x80 | 9, PUMP_ALL, SERVER | READ_ALL]),
    "sendfile_12": ops([0x05, SENDFILE, 7, 0x80 | 10, PUMP_ALL, SERVER | READ_ALL]),
    "small_pair_partial": ops([0x14, WRITE, EDGE_16384, PUMP_ALL, SERVER | READ_ALL, WRITE,
                               EDGE_16384, PUMP_ALL, SERVER | READ_ALL, PUMP_ALL]),
    "small_pair_retry": ops([0x04, WRITE, EDGE_16384, PUMP_ALL, SERVER | READ_ALL, WRITE,
                             EDGE_16384, PUMP_ALL, SERVER | READ_ALL]),
    "no_handshake": ops([0x02, WRITE, 10, PUMP_ALL, SERVER | HANDSHAKE, PUMP_ALL, WRITE, 10,
                         PUMP_ALL, SERVER | READ_ALL, PUMP_ALL, WRITE, 10, PUMP_ALL,
                         SERVER | READ_ALL]),
    "no_handshake_12": ops([0x03, SERVER | READ_ALL, HANDSHAKE, PUMP_ALL, SERVER | READ_ALL,
                            PUMP_ALL, READ_ALL, PUMP_ALL, SERVER | READ_ALL], to_client),
    "inject": ops([0x00, SERVER | INJECT, 12], list(b"\x17\x03\x03\x00\x07garbag"),
                  [SERVER | READ_ALL], to_server),
    "flip": ops([0x00, FLIP, 0, 9], to_server, [WRITE, 5, PUMP_ALL, SERVER | READ_ALL]),
    "read_ahead_release": ops([0xE0], to_server, to_client, [RELEASE], to_server),
    # Found by fuzz_ssl, wrong in the harness (not the library): SSL_shutdown
    # during the handshake fails (SSL_ERROR_SSL) without ending the
    # connection; a write refused after close_notify had sealed a record
    # that SSL_shutdown still sends.
    "shutdown_in_handshake": base64.b64decode("BgFrZXhsZW4EjYApBAYAQGQEjA=="),
    "refused_retry_delivered": base64.b64decode("APIAAAD/DABAZASNuAUEAI0AAAI="),
    "pump_pieces": ops([0x00, WRITE], n(1000), [PUMP, 7, SERVER | READ_ALL, PUMP, 100,
                                                 SERVER | READ_ALL, PUMP_ALL, SERVER | READ_ALL]),
}

# --- fuzz_sessions -----------------------------------------------------------
TLS13, TLS12 = 0x0304, 0x0303
NOW_MS = 1700000000000


def session(version, suite, ticket=None):
    """rapidtls's i2d_SSL_SESSION layout (src/ssl/session.cc)."""
    f = b"RTLSSESS" + bytes([2])
    f += struct.pack(">HHQQ", version, suite, 1700000000, 7200)
    f += vec(2, b"localhost") + vec(1, bytes(range(32))) + vec(1, b"ctx")
    if ticket is None:
        f += b"\x00"
    else:
        f += b"\x01" + ticket
    inner = b"\x04" + der_length(len(f)) + f
    return b"\x30" + der_length(len(inner)) + inner


def der_length(n):
    return bytes([n]) if n < 0x80 else b"\x83" + n.to_bytes(3, "big")


def stored_ticket(version, suite, session_id, ticket, chain):
    t = struct.pack(">H", version) + vec(1, session_id) + b"\x01" + vec(1, b"ctx")
    t += struct.pack(">H", suite) + vec(2, ticket) + vec(1, bytes(range(48)))
    t += struct.pack(">IIQIQ", 7200, 0x01020304, NOW_MS, 0, 0) + b"\x00"
    t += vec(2, b"localhost") + vec(2, b"localhost") + bytes([len(chain)])
    for der in chain:
        t += vec(3, der)
    return t


def plain_ticket13(suite, issued_ms):
    return b"\x01" + struct.pack(">HQI", suite, issued_ms, 0x01020304) + vec(1, bytes(32))


def plain_ticket12(suite, leaf):
    t = b"\x02" + struct.pack(">HQ", suite, NOW_MS - 1000) + b"\x01" + vec(1, bytes(range(48)))
    return t + vec(1, b"ctx") + vec(2, b"localhost") + struct.pack(">Q", 0) + vec(3, leaf)


leaf = certificate_der("ed25519.pem")
sessions_seeds = {
    "d2i_plain": b"\x00" + session(TLS13, 0x1301),
    "d2i_tls13_ticket": b"\x00" + session(TLS13, 0x1301,
                                          stored_ticket(TLS13, 0x1301, b"", b"T" * 64, [leaf])),
    "d2i_tls12_id": b"\x00" + session(TLS12, 0xC02B,
                                      stored_ticket(TLS12, 0xC02B, bytes(32), b"", [])),
    "d2i_tls12_ticket": b"\x00" + session(TLS12, 0xC02F,
                                          stored_ticket(TLS12, 0xC02F, b"", b"T" * 200,
                                                        [leaf, leaf])),
    "open13": b"\x01" + plain_ticket13(0x1301, NOW_MS - 5000),
    "open13_expired": b"\x01" + plain_ticket13(0x1302, NOW_MS - 700000 * 1000),
    "open12": b"\x01" + plain_ticket12(0xC02B, leaf),
    "open12_no_leaf": b"\x01" + plain_ticket12(0xCCA8, b""),
    "keyed_unaltered": b"\x02\xff\xff" + bytes(range(32)),
    "keyed_flipped": b"\x02\x00\x0d" + bytes(range(48)),
}

# --- fuzz_http -----------------------------------------------------------------


def http(piece, file_size, text):
    return bytes([piece]) + file_size.to_bytes(2, "big") + text.encode("latin-1")


http_seeds = {
    "get": http(0, 1000, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    "pipelined_ranges": http(0, 1000, "GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99\r\n\r\n"
                             "GET /b.html HTTP/1.1\r\nHost: x\r\nRange: bytes=-10\r\n\r\n"
                             "HEAD /c HTTP/1.1\r\nHost: x\r\nRange: bytes=5-\r\n"
                             "If-Range: \"abc\"\r\n\r\n"),
    "bytewise": http(1, 50, "GET /x%20y/?q=1 HTTP/1.1\r\nHost: x\r\nRange: bytes=60-70\r\n"
                     "Connection: close\r\n\r\n"),
    "pieces_of_7": http(7, 0, "GET http://localhost/dir/%41%2Fb HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
    "http10": http(0, 300, "GET /index.html HTTP/1.0\r\nRange: bytes=1-2,4-5\r\n\r\n"),
    "body": http(3, 10, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                 "GET /%00 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n0\r\n\r\n"),
    "bad": http(0, 10, "GARBAGE\r\n\r\n"),
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    written = 0
    for target, seeds in (("ssl", ssl_seeds), ("sessions", sessions_seeds), ("http", http_seeds)):
        folder = os.path.join(sys.argv[1], target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            written += 1
    print(f"wrote {written} seeds under {sys.argv[1]}")


if __name__ == "__main__":
    main()
