#!/usr/bin/env python3
"""Writes seed scripts for fuzz_records (see fuzz/fuzz_records.cc for the
operations) into the directory given, one file per seed:
  python3 fuzz/make_records_seeds.py fuzz/corpus/records"""
import os
import sys

# Setup byte: bit 0 server opens on read, bit 1 client opens on read, bit 2
# TLS 1.2, bits 3-4 suite, bits 5-6 record_size_limit, bit 7 no ticket.
# Operations (low nibble of the op byte; flags in the high nibble):
FORGE, SEND, CLIENT_CTL, RECEIVE, RECV_BUF, LENT, ALLOW, READ = 0, 2, 3, 4, 5, 6, 7, 8
PEEK, READ0, SERVER_SEND, SERVER_CTL, CORRUPT, BURST = 10, 11, 12, 13, 14, 15
ALL = 0xC0 | 23  # length(): the edge 65536


def n(v):
    """length() encoding of v < 1024."""
    return [v] if v < 64 else [0x40 | v >> 8, v & 0xFF]


def script(*ops):
    out = []
    for op in ops:
        out += op
    return bytes(out)


drain = [RECEIVE | 0x10, ALL, READ | 0x10, ALL, SERVER_CTL, 0]
exchange = [SEND] + n(100) + [FORGE, 0x10, 5] + list(b"hello") + drain
key_updates = ([CLIENT_CTL | 0x20, FORGE, 0x04, FORGE, 0x84, SEND] + n(300) +
               [SERVER_CTL | 0x10 | 0x80, SERVER_SEND] + n(50) + drain)
padded = [FORGE, 0x20, 10, 0x20] + [FORGE, 0x30, 3, 1, 2, 3, 0xC0 | 14] + drain
small_reads = ([SEND] + n(1000) + [RECEIVE] + n(700) + [PEEK, 10, 20, READ, 5, READ0] +
               [RECEIVE] + n(400) + [READ] + n(333) + [READ] + n(1000))
lent = [SEND] + n(200) + [SEND] + n(50) + [LENT, 0x40 | 1, 0, 0x40 | 2, 0] + drain
allowance = ([SEND] + n(500) + [SEND] + n(20) + [SEND] + n(900) +
             [ALLOW, 0, 0x40 | 1, 0, ALLOW, 0, 0, ALLOW, 8, 10, ALLOW, 7] + drain)
buffers = [SEND] + n(3000) + [RECV_BUF, ALL, 0, ALL, READ, 0x40 | 3, 0xFF] + drain
alerts = [SEND] + n(10) + [FORGE, 0x06, BURST, 0x80 | 5, CLIENT_CTL | 0x10, SEND, 5] + drain
overflow = [FORGE, 0x00, 0xC0 | 16] + drain
empties = [BURST, 33] + drain
corrupt = [SEND, 30, CORRUPT, 0x10, 0, 7, SEND, 30] + drain

seeds = {
    "exchange": [0x00] + exchange, "exchange_on_read": [0x01] + exchange,
    "exchange_12": [0x04] + exchange, "exchange_12_on_read": [0x07] + exchange,
    "chacha_limit": [0x33] + exchange, "key_updates": [0x00] + key_updates,
    "key_updates_on_read": [0x03] + key_updates, "padded": [0x01] + padded,
    "small_reads": [0x00] + small_reads, "small_reads_on_read": [0x01] + small_reads,
    "small_reads_12": [0x05] + small_reads, "lent": [0x01] + lent, "lent_12": [0x05] + lent,
    "allowance": [0x01] + allowance, "allowance_off": [0x80] + allowance,
    "allowance_12": [0x0D] + allowance, "buffers": [0x01] + buffers, "alerts": [0x01] + alerts,
    "alerts_12": [0x05] + alerts, "overflow": [0x01] + overflow, "empties": [0x01] + empties,
    "corrupt": [0x01] + corrupt,
}

if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, ops in seeds.items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(script(ops))
