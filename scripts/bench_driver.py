#!/usr/bin/env python3
"""Runs rapidtls and OpenSSL's libssl on the same work, alternating, and reports
ratios of medians (issue 5). Called by scripts/bench.sh after the release build.

Each round runs every workload once with each library: round 0 is a warm-up
(discarded); in the rounds after it the order alternates (OpenSSL first, then
rapidtls first, ...), so slow drift of a shared machine falls on both alike.
A workload's result is the median over the rounds; the ratio is
median(rapidtls) / median(OpenSSL). Only the Python standard library is used.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---- workloads ------------------------------------------------------------------------------


class Row:
    """One line of the table: the same arguments run by baseline and candidate."""

    def __init__(self, key, label, short, args, unit, target=None, lower_is_better=False,
                 baseline="openssl", candidate="rapidtls", baseline_args=None, limit=None,
                 limit_share=None, ceiling=None, ceiling_share=None, note=""):
        self.key = key
        self.label = label
        self.short = short  # the chart's label
        self.args = args
        self.baseline_args = baseline_args if baseline_args is not None else args
        self.unit = unit
        self.target = target  # ratio candidate/baseline to meet, or None
        self.lower_is_better = lower_is_better
        self.baseline = baseline  # "openssl" or "rapidtls": which binary runs baseline_args
        self.candidate = candidate
        self.limit = limit  # key of the AEAD row that bounds this workload
        self.limit_share = limit_share  # the candidate's share of that limit to meet, or None
        # A measured ceiling of this machine the candidate is held to instead of
        # (or besides) a ratio: "plain_tcp" (bench/raw_tcp, the reference below)
        # or "transfer" (the AEAD limit with the workload's memory traffic).
        self.ceiling = ceiling
        self.ceiling_share = ceiling_share
        self.note = note
        self.values = {"A": [], "B": []}  # A: baseline, B: candidate
        # Two-thread rows: per run, the share of it the writer and the reader
        # spent on a CPU (which side bounded the rate).
        self.busy = {"A": [], "B": []}
        # Two-thread rows: per run, application bytes per TCP segment sent on
        # this host (data and ACKs, both ends of the loopback connection).
        self.seg_bytes = {"A": [], "B": []}
        self.failures = []


def make_rows(o):
    hs = ["--seconds", str(o.seconds)]
    bulk = ["--bytes", o.bulk_bytes]
    small = ["--seconds", str(o.seconds)]
    f = ["--file", o.file, "--repeat", str(o.repeat)]
    return [
        Row("handshake", "Full handshakes/s, BIO pair, no verification", "Handshakes/s",
            ["--workload", "handshake"] + hs, "hs/s", target=2.5),
        Row("handshake_verify", "Full handshakes/s, BIO pair, client verifies the chain",
            "Handshakes/s, verify on",
            ["--workload", "handshake", "--verify"] + hs, "hs/s", target=2.5),
        Row("handshake_resume",
            "Resumed handshakes/s, BIO pair (TLS 1.3 ticket, psk_dhe_ke), client verifies",
            "Resumed handshakes/s",
            ["--workload", "handshake", "--resume", "--verify"] + hs, "hs/s"),
        Row("bulk_mem_aes", "Bulk in memory (BIO pair), AES-128-GCM",
            "Bulk, BIO pair, AES-128-GCM",
            ["--workload", "bulk_mem", "--suite", "aes128gcm"] + bulk, "MiB/s", target=1.05,
            limit="aead_aes", limit_share=0.93),
        Row("bulk_mem_chacha", "Bulk in memory (BIO pair), ChaCha20-Poly1305",
            "Bulk, BIO pair, ChaCha20",
            ["--workload", "bulk_mem", "--suite", "chacha20"] + bulk, "MiB/s", target=1.05,
            limit="aead_chacha", ceiling="transfer", ceiling_share=0.95),
        Row("bulk_tcp_aes", "Bulk over loopback TCP, 2 threads, AES-128-GCM",
            "Bulk, TCP, AES-128-GCM",
            ["--workload", "bulk_tcp", "--suite", "aes128gcm"] + bulk, "MiB/s", target=1.15),
        Row("bulk_tcp_chacha", "Bulk over loopback TCP, 2 threads, ChaCha20-Poly1305",
            "Bulk, TCP, ChaCha20",
            ["--workload", "bulk_tcp", "--suite", "chacha20"] + bulk, "MiB/s", target=1.15),
        Row("small_64", "64-byte SSL_write calls/s, loopback TCP", "64 B SSL_write/s, TCP",
            ["--workload", "small_tcp", "--size", "64"] + small, "writes/s",
            ceiling="plain_tcp", ceiling_share=0.95),
        Row("small_1k", "1 KiB SSL_write calls/s, loopback TCP", "1 KiB SSL_write/s, TCP",
            ["--workload", "small_tcp", "--size", "1K"] + small, "writes/s",
            ceiling="plain_tcp", ceiling_share=0.95),
        Row("idle_heap", "Heap per idle connection (client + server), default modes",
            "Idle heap/conn (OpenSSL ÷ rapidtls)",
            ["--workload", "idle_heap", "--conns", str(o.conns)], "B/conn", target=0.25,
            lower_is_better=True),
        Row("idle_heap_release", "Heap per idle connection, SSL_MODE_RELEASE_BUFFERS set",
            "Idle heap, RELEASE_BUFFERS (÷)",
            ["--workload", "idle_heap", "--conns", str(o.conns), "--release-buffers"], "B/conn",
            lower_is_better=True,
            note="informative: OpenSSL frees its record buffers in this mode"),
        Row("sendfile_loop", "256 MiB file x3: read() + SSL_write_ex (64 KiB), loopback",
            "File: read+SSL_write_ex loop",
            ["--workload", "sendfile", "--mode", "loop"] + f, "MiB/s",
            note="informative: both libraries' read+write loop"),
        Row("sendfile", "256 MiB file x3: SSL_sendfile vs rapidtls's own read+write loop",
            "SSL_sendfile ÷ own loop (rapidtls)",
            ["--workload", "sendfile", "--mode", "sendfile"] + f, "MiB/s", target=1.0,
            baseline="rapidtls", baseline_args=["--workload", "sendfile", "--mode", "loop"] + f,
            note="baseline is rapidtls's read()+SSL_write_ex loop: OpenSSL 3.0 has no "
                 "SSL_sendfile without kernel TLS"),
    ]


AEAD = [("aead_aes", "AES-128-GCM", "aes128gcm"), ("aead_chacha", "ChaCha20-Poly1305", "chacha20")]

# ---- plain-TCP reference ---------------------------------------------------------------------
# The small-message rows next to plain TCP doing what both libraries do per
# record (a send; a recv of the header, then one of the body) with each side
# busy for libcrypto's time to seal or open such a record (bench/aead_record,
# the faster of its two paths) and no TLS code at all (bench/raw_tcp). It
# shows how far a library's own code keeps it from the system calls and the
# AEAD alone. It is a reference, not a bound: on a small VM who sleeps when
# decides these rates, and a TLS run can land above it (docs/benchmarks.md,
# "Ceilings of this machine"). The small-message rows are held to a share of it.
TLS13_OVERHEAD = 5 + 1 + 16  # header, content type, AES-GCM / ChaCha20-Poly1305 tag


class Reference:
    def __init__(self, row_key, plain, suite):
        self.row_key = row_key
        self.plain = plain  # plaintext bytes per record
        self.wire = plain + TLS13_OVERHEAD
        self.suite = suite
        self.values = []

    def args(self, o, aead_ns):
        seal, open_ = aead_ns[(self.suite, self.plain)]
        return ["--reader", "split", "--size", str(self.wire), "--seconds", str(o.seconds),
                "--writer-work", str(round(seal)), "--reader-work", str(round(open_))]


def make_references():
    return [Reference("small_64", 64, "aes128gcm"), Reference("small_1k", 1024, "aes128gcm")]


def aead_record_ns(o):
    """{(suite, size): (seal ns, open ns)}: the faster of the two AEAD paths."""
    try:
        p = subprocess.run([os.path.join(o.bin, "aead_record")], capture_output=True, text=True,
                           timeout=300)
    except subprocess.TimeoutExpired:
        return None
    got = {}
    pat = re.compile(r"suite=(\S+) size=(\d+) seal_ns provider=(\d+) evp=(\d+) .*"
                     r"open_ns provider=(\d+) evp=(\d+)")
    for line in p.stdout.splitlines():
        m = pat.search(line)
        if m:
            sp, se, op, oe = (float(m.group(i)) for i in range(3, 7))
            got[(m.group(1), int(m.group(2)))] = (min(sp, se), min(op, oe))
    return got if p.returncode == 0 and got else None

# ---- running --------------------------------------------------------------------------------


def parse_line(text):
    for line in text.splitlines():
        if "value=" in line:
            return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    return None


def run(cmd, timeout=120):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout", 124
    fields = parse_line(p.stdout)
    return fields, p.stderr.strip(), p.returncode


def binary(o, impl):
    return os.path.join(o.bin, "tls_bench_" + impl)


def tcp_out_segments():
    """TCP segments this host has sent (/proc/net/snmp OutSegs): over loopback
    both ends of a connection, data and ACKs alike. None where unreadable."""
    try:
        with open("/proc/net/snmp") as f:
            tcp = [line.split() for line in f if line.startswith("Tcp:")]
        return int(tcp[1][tcp[0].index("OutSegs")])
    except (OSError, ValueError, IndexError):
        return None


def app_bytes(fields):
    """The application bytes a two-thread run moved, from its output line."""
    try:
        if "bytes" in fields:
            return int(fields["bytes"])
        if "size" in fields and "count" in fields:
            return int(fields["size"]) * int(fields["count"])
    except ValueError:
        pass
    return None


def run_row_side(o, row, side):
    impl = row.baseline if side == "A" else row.candidate
    args = row.baseline_args if side == "A" else row.args
    segs0 = tcp_out_segments()
    fields, err, rc = run([binary(o, impl)] + args)
    segs1 = tcp_out_segments()
    if rc != 0 or fields is None:
        row.failures.append(f"{impl} {' '.join(args)}: exit {rc}: {err[-300:]}")
        return None
    if segs0 is not None and segs1 is not None and segs1 > segs0:
        fields["_segments"] = str(segs1 - segs0)
    return fields


def measure(o, rows, refs, aead_ns):
    aead = {key: {"value": [], "seal": [], "open": [], "transfer": []} for key, _, _ in AEAD}
    rounds = o.pairs + 1
    for r in range(rounds):
        tag = "warm-up" if r == 0 else f"pair {r}/{o.pairs}"
        for row in rows:
            order = ("A", "B") if r % 2 == 0 else ("B", "A")
            got = {}
            for side in order:
                fields = run_row_side(o, row, side)
                got[side] = float(fields["value"]) if fields else None
                if r > 0 and fields and "writer_busy" in fields:
                    row.busy[side].append([float(fields["writer_busy"]),
                                           float(fields["reader_busy"])])
                    # One entry per run, None where it could not be counted,
                    # so the list stays in step with the run's value.
                    moved = app_bytes(fields)
                    segs = int(fields.get("_segments", "0"))
                    row.seg_bytes[side].append(round(moved / segs, 1) if moved and segs else None)
            if r > 0:
                for side in ("A", "B"):
                    if got[side] is not None:
                        row.values[side].append(got[side])
            print(f"[{tag}] {row.key:18} {fmt(got['A'])} / {fmt(got['B'])} {row.unit}",
                  file=sys.stderr, flush=True)
        for key, _, suite in AEAD:
            fields, err, rc = run([os.path.join(o.bin, "aead_raw"), "--suite", suite,
                                   "--seconds", str(o.seconds)])
            if rc == 0 and fields and r > 0:
                for k in ("value", "seal", "open"):
                    aead[key][k].append(float(fields[k]))
            # The same AEAD calls with the bulk workload's memory traffic
            # (bench/aead_raw.cc, --layout transfer): what is the machine's.
            fields, err, rc = run([os.path.join(o.bin, "aead_raw"), "--suite", suite,
                                   "--seconds", str(o.seconds), "--layout", "transfer"])
            if rc == 0 and fields and r > 0:
                aead[key]["transfer"].append(float(fields["value"]))
        if r > 0 and aead_ns:
            for c in refs:
                fields, err, rc = run([os.path.join(o.bin, "raw_tcp")] + c.args(o, aead_ns))
                if rc == 0 and fields:
                    c.values.append(float(fields["value"]))
                else:
                    print(f"FAILED: raw_tcp {' '.join(c.args(o, aead_ns))}: exit {rc}: "
                          f"{err[-300:]}", file=sys.stderr)
    return aead


def openssl_sendfile_probe(o):
    fields, err, rc = run([binary(o, "openssl"), "--workload", "sendfile", "--mode", "sendfile",
                           "--file", o.file])
    if rc == 0 and fields:
        return f"{float(fields['value']):.0f} MiB/s"
    if rc == 77:
        reason = err.splitlines()[-1] if err else "unsupported"
        return "n/a (" + re.sub(r"^tls_bench \(openssl\): ", "", reason) + ", no kernel TLS)"
    return f"failed (exit {rc})"


# ---- results --------------------------------------------------------------------------------


def display_unit(unit):
    return "KiB/conn" if unit == "B/conn" else unit


def fmt(v, unit=""):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if unit == "B/conn":
        return f"{v / 1024:,.1f}"
    if abs(v) >= 10000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def median(xs):
    return statistics.median(xs) if xs else None


class Result:
    def __init__(self, row, aead, plain_tcp=None):
        """plain_tcp: {row key: median of the plain-TCP reference}."""
        self.row = row
        self.a = median(row.values["A"])
        self.b = median(row.values["B"])
        self.ratio = self.b / self.a if self.a and self.b is not None else None
        pairs = [b / a for a, b in zip(row.values["A"], row.values["B"]) if a]
        self.spread = (min(pairs), max(pairs)) if pairs else None
        self.limit = median(aead[row.limit]["value"]) if row.limit in aead else None
        self.ceiling = None
        if row.ceiling == "plain_tcp":
            self.ceiling = (plain_tcp or {}).get(row.key)
        elif row.ceiling == "transfer" and row.limit in aead:
            self.ceiling = median(aead[row.limit]["transfer"])
        # met: True or False when every part of the row's goal could be
        # judged, None when the row has no goal or a part was not measured.
        parts = []
        if row.target is not None:
            if self.ratio is None:
                parts.append(None)
            elif row.lower_is_better:
                parts.append(self.ratio <= row.target)
            else:
                parts.append(self.ratio >= row.target)
        if row.limit_share is not None:
            parts.append(self.b / self.limit >= row.limit_share if self.limit and self.b else None)
        if row.ceiling is not None:
            parts.append(self.b / self.ceiling >= row.ceiling_share
                         if self.ceiling and self.b else None)
        self.met = None if not parts or None in parts else all(parts)

    def has_goal(self):
        return self.row.target is not None or self.row.ceiling is not None

    def advantage(self):
        """How much better rapidtls is (>1: better), for the chart."""
        if self.ratio is None or self.ratio <= 0:
            return None
        return 1 / self.ratio if self.row.lower_is_better else self.ratio

    def target_advantage(self):
        """The ratio to OpenSSL that meets every part of the row's goal (the
        chart's mark), or None."""
        row = self.row
        marks = []
        if row.target is not None:
            marks.append(1 / row.target if row.lower_is_better else row.target)
        if row.limit_share is not None and self.limit and self.a:
            marks.append(row.limit_share * self.limit / self.a)
        if row.ceiling is not None and self.ceiling and self.a:
            marks.append(row.ceiling_share * self.ceiling / self.a)
        return max(marks) if marks else None


CEILING_NAMES = {"plain_tcp": "plain TCP", "transfer": "the traffic limit"}


def target_text(res):
    row = res.row
    parts = []
    if row.target is not None:
        op = "≤" if row.lower_is_better else "≥"
        parts.append(f"{op} {row.target:g}x")
    if row.limit_share is not None:
        parts.append(f"≥ {100 * row.limit_share:.0f}% of limit")
    if row.ceiling is not None:
        parts.append(f"≥ {100 * row.ceiling_share:.0f}% of {CEILING_NAMES[row.ceiling]}")
    return ", ".join(parts) if parts else "—"


def met_text(res):
    if res.met is None:
        return "?" if res.has_goal() else "—"
    return "**met**" if res.met else "**missed**"


def markdown_table(results, aead, sendfile_probe):
    out = ["| workload | unit | OpenSSL 3.0 libssl | rapidtls | ratio rapidtls/OpenSSL "
           "| pair ratios (min–max) | % of AEAD limit (OpenSSL / rapidtls) | target | |",
           "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for res in results:
        row = res.row
        a = fmt(res.a, row.unit)
        if row.baseline != "openssl":
            a = f"{sendfile_probe}; rapidtls's loop: {fmt(res.a, row.unit)}"
        pct = "—"
        if res.limit and res.a and res.b:
            pct = f"{100 * res.a / res.limit:.0f}% / {100 * res.b / res.limit:.0f}%"
        ratio = f"{res.ratio:.2f}x" if res.ratio is not None else "—"
        spread = f"{res.spread[0]:.2f}–{res.spread[1]:.2f}" if res.spread else "—"
        out.append(f"| {row.label} | {display_unit(row.unit)} | {a} | {fmt(res.b, row.unit)} "
                   f"| {ratio} "
                   f"| {spread} | {pct} | {target_text(res)} | {met_text(res)} |")
    out.append("")
    out.append("| crypto limit (libcrypto alone, 16 KiB records) | seal MiB/s | open MiB/s "
               "| sealed and opened once, MiB/s | the same with the bulk workload's memory "
               "traffic, MiB/s (% of the limit) | rapidtls in memory ÷ that |")
    out.append("|---|---:|---:|---:|---:|---:|")
    by_limit = {res.row.limit: res for res in results if res.row.limit}
    for key, name, _ in AEAD:
        d = aead[key]
        limit, moved = median(d["value"]), median(d["transfer"])
        moved_text, share = "—", "—"
        if moved and limit:
            moved_text = f"{fmt(moved)} ({100 * moved / limit:.0f}%)"
            res = by_limit.get(key)
            if res is not None and res.b:
                share = f"{100 * res.b / moved:.0f}%"
        out.append(f"| {name} | {fmt(median(d['seal']))} | {fmt(median(d['open']))} "
                   f"| {fmt(limit)} | {moved_text} | {share} |")
    return "\n".join(out)


def text_table(results, aead, sendfile_probe):
    lines = []
    w = max(len(r.row.label) for r in results)
    lines.append(f"{'workload':{w}}  {'OpenSSL':>14}  {'rapidtls':>14}  {'ratio':>7}  "
                 f"{'target':>30}  result")
    for res in results:
        row = res.row
        a = fmt(res.a, row.unit) if row.baseline == "openssl" else "loop " + fmt(res.a, row.unit)
        ratio = f"{res.ratio:.2f}x" if res.ratio is not None else "—"
        tgt = target_text(res)
        met = {None: "?" if res.has_goal() else "", True: "met", False: "MISSED"}[res.met]
        if res.limit and res.b:
            met += f" ({100 * res.b / res.limit:.0f}% of AEAD limit)"
        if res.ceiling and res.b:
            met += f" ({100 * res.b / res.ceiling:.0f}% of {CEILING_NAMES[row.ceiling]})"
        lines.append(f"{row.label:{w}}  {a:>14}  {fmt(res.b, row.unit):>14}  {ratio:>7}  "
                     f"{tgt:>30}  {met}")
    lines.append(f"OpenSSL SSL_sendfile: {sendfile_probe}")
    for key, name, _ in AEAD:
        d = aead[key]
        lines.append(f"AEAD limit {name}: seal {fmt(median(d['seal']))} MiB/s, open "
                     f"{fmt(median(d['open']))} MiB/s, both {fmt(median(d['value']))} MiB/s; "
                     f"with the bulk workload's memory traffic {fmt(median(d['transfer']))} MiB/s")
    return "\n".join(lines)


def reference_rows(results, refs):
    by_key = {r.row.key: r for r in results}
    out = []
    for c in refs:
        res = by_key.get(c.row_key)
        model = median(c.values)
        if res is not None and model is not None:
            out.append((res, c, model))
    return out


def reference_markdown(results, refs, aead_ns):
    rows = reference_rows(results, refs)
    if not rows:
        return ""
    out = ["| plain TCP doing the same system calls, each side busy for the AEAD's time "
           "(bench/raw_tcp) | AEAD per record | plain TCP (median) | ÷ OpenSSL's median "
           "| rapidtls ÷ plain TCP |", "|---|---|---:|---:|---:|"]
    for res, c, model in rows:
        seal, open_ = aead_ns[(c.suite, c.plain)]
        over = f"{model / res.a:.2f}x" if res.a else "—"
        share = f"{100 * res.b / model:.0f}%" if res.b else "—"
        out.append(f"| {res.row.label} | seal {seal:.0f} ns, open {open_:.0f} ns "
                   f"| {fmt(model)} {res.row.unit} | {over} | {share} |")
    return "\n".join(out) + "\n"


def reference_text(results, refs):
    rows = reference_rows(results, refs)
    if not rows:
        return ""
    lines = ["Plain TCP, same system calls, each side busy for the AEAD's time (median, "
             "÷ OpenSSL's median, rapidtls ÷ it):"]
    for res, c, model in rows:
        over = f"{model / res.a:.2f}x" if res.a else "—"
        share = f"{100 * res.b / model:.0f}%" if res.b else "—"
        lines.append(f"  {res.row.key:10} {fmt(model):>12} {res.row.unit:9} {over:>6}  {share:>5}")
    return "\n".join(lines)


# ---- chart ----------------------------------------------------------------------------------


def svg_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chart_svg(results, title, subtitle):
    rows = [r for r in results if r.advantage() is not None]
    label_w, bar_w, row_h, top, right = 290, 480, 30, 74, 170
    height = top + row_h * len(rows) + 58
    width = label_w + bar_w + right
    values = [r.advantage() for r in rows] + [r.target_advantage() or 1 for r in rows]
    lo = 2 ** math.floor(math.log2(min(0.5, min(values))))
    hi = 2 ** math.ceil(math.log2(max(2.0, max(values) * 1.1)))

    def x(v):  # log scale
        v = min(max(v, lo), hi)
        return label_w + bar_w * (math.log2(v) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" '
           f'font-size="13">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="12" y="24" font-size="16" font-weight="bold">{svg_escape(title)}</text>',
           f'<text x="12" y="44" fill="#444">{svg_escape(subtitle)}</text>']
    # Grid: powers of two.
    v = lo
    while v <= hi + 1e-9:
        gx = x(v)
        out.append(f'<line x1="{gx:.1f}" y1="{top - 8}" x2="{gx:.1f}" '
                   f'y2="{top + row_h * len(rows)}" stroke="#ddd"/>')
        out.append(f'<text x="{gx:.1f}" y="{top + row_h * len(rows) + 16}" text-anchor="middle" '
                   f'fill="#444">{v:g}x</text>')
        v *= 2
    one = x(1.0)
    for i, r in enumerate(rows):
        y = top + i * row_h
        adv = r.advantage()
        color = {True: "#2e8b57", False: "#c0392b", None: "#8c8c8c"}[r.met]
        label = r.row.short
        out.append(f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end">'
                   f'{svg_escape(label)}</text>')
        x0, x1 = sorted((one, x(adv)))
        out.append(f'<rect x="{x0:.1f}" y="{y + 6}" width="{max(x1 - x0, 1):.1f}" height="18" '
                   f'fill="{color}"/>')
        # The figures in a column of their own, right of the plot.
        figure = f"{adv:.2f}x"
        if r.limit and r.b:
            figure += f", {100 * r.b / r.limit:.0f}% of AEAD"
        out.append(f'<text x="{label_w + bar_w + 14}" y="{y + 19}" '
                   f'font-weight="bold">{figure}</text>')
        t = r.target_advantage()
        if t is not None:
            out.append(f'<line x1="{x(t):.1f}" y1="{y + 2}" x2="{x(t):.1f}" y2="{y + 28}" '
                       f'stroke="black" stroke-width="3"/>')
    out.append(f'<line x1="{one:.1f}" y1="{top - 8}" x2="{one:.1f}" '
               f'y2="{top + row_h * len(rows)}" stroke="black" stroke-dasharray="4,3"/>')
    ly = top + row_h * len(rows) + 38
    out.append(f'<rect x="12" y="{ly - 11}" width="12" height="12" fill="#2e8b57"/>'
               f'<text x="30" y="{ly}">target met</text>'
               f'<rect x="122" y="{ly - 11}" width="12" height="12" fill="#c0392b"/>'
               f'<text x="140" y="{ly}">target missed</text>'
               f'<rect x="252" y="{ly - 11}" width="12" height="12" fill="#8c8c8c"/>'
               f'<text x="270" y="{ly}">no target</text>'
               f'<line x1="372" y1="{ly - 12}" x2="372" y2="{ly + 2}" stroke="black" '
               f'stroke-width="3"/><text x="380" y="{ly}">target</text>'
               f'<line x1="450" y1="{ly - 12}" x2="450" y2="{ly + 2}" stroke="black" '
               f'stroke-dasharray="4,3"/><text x="458" y="{ly}">1.0x: same as OpenSSL; '
               f'right of it, rapidtls is better (log scale)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---- docs -----------------------------------------------------------------------------------

BEGIN = "<!-- bench:begin (written by scripts/bench_driver.py; edit outside these markers) -->"
END = "<!-- bench:end -->"


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
        except OSError:
            return "?"
    model = sh("lscpu | sed -n 's/^Model name: *//p' | head -1")
    hyper = sh("lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -1")
    return {
        "cpu": model + (f" ({hyper} guest)" if hyper else ""),
        "cores": str(os.cpu_count()),
        "kernel": platform.release(),
        "openssl": sh("openssl version"),
        "compiler": sh("c++ --version | head -1"),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": sh("git rev-parse --short HEAD") + (
            " (with local changes)" if sh("git status --porcelain -- . ':!docs' ':!bench/results'") else ""),
    }


def busy_table(results):
    """Which side of each two-thread run was busy: medians of the share of the
    run the writer and the reader spent on a CPU. The busier side bounds the
    rate; a side well under 1.0 waited (a writer on a full socket, a reader on
    an empty one). Then the application bytes per TCP segment (all of the
    host's TCP segments during the run, ACKs included, so other traffic
    lowers it): at most the message size when each write left as a packet of
    its own, far more when writes queued behind a closed window."""
    rows = [r for r in results if r.row.busy["A"] or r.row.busy["B"]]
    if not rows:
        return ""

    def med(pairs, i):
        return f"{statistics.median(p[i] for p in pairs):.2f}" if pairs else "—"

    def seg(values):
        values = [v for v in values if v is not None]
        if not values:
            return "—"
        return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"

    out = ["| two threads: share of the run on a CPU (medians) | OpenSSL writer | OpenSSL reader "
           "| rapidtls writer | rapidtls reader | app bytes per TCP segment, OpenSSL (min–max) "
           "| the same, rapidtls |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        a, b = r.row.busy["A"], r.row.busy["B"]
        out.append(f"| {r.row.label} | {med(a, 0)} | {med(a, 1)} | {med(b, 0)} | {med(b, 1)} "
                   f"| {seg(r.row.seg_bytes['A'])} | {seg(r.row.seg_bytes['B'])} |")
    return "\n".join(out) + "\n"


def short_openssl(version):
    """'OpenSSL 3.0.19 27 Jan 2026 (Library: ...)' -> 'OpenSSL 3.0.19'."""
    return " ".join(version.split()[:2])


def machine_text(m):
    return (f"{m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, "
            f"{short_openssl(m['openssl'])}, {m['compiler']}")


def generated_section(o, results, aead, sendfile_probe, m, refs, aead_ns, pairs, command,
                      results_path):
    name = os.path.relpath(os.path.abspath(results_path), REPO)
    link = os.path.relpath(os.path.abspath(results_path),
                           os.path.dirname(os.path.abspath(o.doc)))
    lines = [
        BEGIN,
        "",
        f"rapidtls at `{m['commit']}` on {machine_text(m)}; release preset (-O2). "
        f"Medians of {pairs} alternating pairs after a warm-up round. "
        f"Command: `{command}`; every run: [{name}]({link}).",
        "",
        markdown_table(results, aead, sendfile_probe),
        "",
        busy_table(results),
        reference_markdown(results, refs, aead_ns) if aead_ns else "",
        "![rapidtls / OpenSSL per workload](benchmarks.svg)",
        "",
        END,
    ]
    return "\n".join(lines)


def chart_for(results, pairs, m):
    title = "rapidtls vs OpenSSL 3.0 libssl: ratio of medians per workload"
    sub = (f"{pairs} alternating pairs, {m['cpu']}, {m['cores']} cores, rapidtls {m['commit']}; "
           "longer bar = rapidtls better")
    return chart_svg(results, title, sub)


# ---- raw results (bench/results/*.json) -----------------------------------------------------
# One file per run, everything the tables above are computed from, so that the
# document's section and the chart can be written again from it (--render) and
# checked against it (--check) without running anything.


def results_json(o, rows, aead, sendfile_probe, m, refs, aead_ns):
    runs = {r.key: {"openssl" if r.baseline == "openssl" else "rapidtls-loop": r.values["A"],
                    "rapidtls": r.values["B"]} for r in rows}
    runs.update({k: aead[k] for k, _, _ in AEAD})
    busy = {r.key: {"openssl": r.busy["A"], "rapidtls": r.busy["B"]}
            for r in rows if r.busy["A"] or r.busy["B"]}
    if busy:
        runs["busy_writer_reader"] = busy
    segs = {r.key: {"openssl": r.seg_bytes["A"], "rapidtls": r.seg_bytes["B"]}
            for r in rows if any(v is not None for v in r.seg_bytes["A"] + r.seg_bytes["B"])}
    if segs:
        runs["app_bytes_per_tcp_segment"] = segs
    if any(c.values for c in refs):
        runs["plain_tcp_reference"] = {c.row_key: c.values for c in refs if c.values}
    ns = {}
    for (suite, size), (seal, open_) in sorted((aead_ns or {}).items()):
        ns.setdefault(suite, {})[str(size)] = [seal, open_]
    return {
        "benchmark": "tls_bench",
        "command": o.command,
        "date": m["date"],
        "machine": {k: v for k, v in m.items() if k != "date"},
        "pairs": o.pairs,
        "workloads": [r.key for r in rows],
        "openssl_sendfile": sendfile_probe,
        "aead_record_ns": ns,
        "runs": runs,
    }


def from_results(o, doc):
    """Rows, AEAD figures, references and the rest, as measure() left them."""
    runs = doc["runs"]
    rows = []
    for r in make_rows(o):
        if r.key not in runs:
            continue
        got = runs[r.key]
        r.values["A"] = got["openssl" if r.baseline == "openssl" else "rapidtls-loop"]
        r.values["B"] = got["rapidtls"]
        busy = runs.get("busy_writer_reader", {}).get(r.key)
        if busy:
            r.busy = {"A": busy["openssl"], "B": busy["rapidtls"]}
        segs = runs.get("app_bytes_per_tcp_segment", {}).get(r.key)
        if segs:
            r.seg_bytes = {"A": segs["openssl"], "B": segs["rapidtls"]}
        rows.append(r)
    aead = {k: runs[k] for k, _, _ in AEAD if k in runs}
    refs = []
    for c in make_references():
        if c.row_key in runs.get("plain_tcp_reference", {}):
            c.values = runs["plain_tcp_reference"][c.row_key]
            refs.append(c)
    aead_ns = {(suite, int(size)): tuple(v)
               for suite, sizes in doc.get("aead_record_ns", {}).items()
               for size, v in sizes.items()} or None
    return rows, aead, refs, aead_ns


def results_for(rows, aead, refs):
    plain = {c.row_key: median(c.values) for c in refs if c.values}
    return [Result(r, aead, plain) for r in rows]


def split_doc(text, begin=BEGIN, end=END):
    """(before, section, after) around a generated section, or None."""
    if begin not in text or end not in text:
        return None
    head, rest = text.split(begin, 1)
    section, tail = rest.split(end, 1)
    return head, begin + section + end, tail


def write_section(path, section, begin=BEGIN, end=END):
    """Replaces the section between begin and end in the document at path
    (appends it where there is none); the rest of the document stays."""
    if os.path.exists(path):
        text = open(path, encoding="utf-8").read()
    else:
        text = "# Benchmarks: rapidtls and OpenSSL 3.0 libssl\n"
    parts = split_doc(text, begin, end)
    if parts:
        text = parts[0] + section + parts[2]
    else:
        text += "\n" + section + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_docs(o, section):
    write_section(o.doc, section)


def render(o, results_path):
    """(section, svg) written from a results file."""
    with open(results_path, encoding="utf-8") as f:
        doc = json.load(f)
    rows, aead, refs, aead_ns = from_results(o, doc)
    results = results_for(rows, aead, refs)
    section = generated_section(o, results, aead, doc.get("openssl_sendfile", ""),
                                doc["machine"], refs, aead_ns, doc["pairs"], doc["command"],
                                results_path)
    return section, chart_for(results, doc["pairs"], doc["machine"])


def check(o, results_path):
    """0 when the document's section and the chart are what the results file
    gives; else prints the first difference and returns 1."""
    section, svg = render(o, results_path)
    parts = split_doc(open(o.doc, encoding="utf-8").read())
    problems = []
    if parts is None:
        problems.append(f"{o.doc} has no generated section ({BEGIN})")
    else:
        problems += first_difference(o.doc, parts[1], section)
    if os.path.exists(o.svg):
        problems += first_difference(o.svg, open(o.svg, encoding="utf-8").read(), svg)
    else:
        problems.append(f"{o.svg} is missing")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"rewrite them with: python3 scripts/bench_driver.py --render --results "
              f"{results_path}", file=sys.stderr)
        return 1
    print(f"OK: {o.doc}'s section and {o.svg} match {results_path}")
    return 0


def first_difference(name, have, want):
    if have == want:
        return []
    a, b = have.splitlines(), want.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return [f"{name}:{i + 1}: differs from the results file\n  has:  {x}\n  want: {y}"]
    return [f"{name}: differs from the results file in length ({len(a)} against {len(b)} lines)"]


def default_results(bench, only):
    """bench/results/BENCH.json for a full run; a run of some workloads is
    named by them (bench/results/tls_bench.handshake+handshake_verify.json)."""
    name = bench + ("." + "+".join(only.split(",")) if only else "") + ".json"
    return os.path.join("bench", "results", name)


def add_output_options(ap, bench, section):
    """--results, --no-docs and --doc, the same for every benchmark script."""
    ap.add_argument("--results", help=f"the run's raw results (default: bench/results/"
                    f"{bench}.json, or named by --only)")
    ap.add_argument("--no-docs", action="store_true",
                    help="print the table only (no results file, no document)")
    ap.add_argument("--doc", default="docs/benchmarks.md",
                    help=f"the document whose {section} section a full run rewrites")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build/release/bench", help="folder of tls_bench_* binaries")
    ap.add_argument("--file", default="/tmp/rapidtls-bench-256M.bin", help="sendfile input")
    ap.add_argument("--pairs", type=int, default=7, help="A/B pairs after the warm-up (>= 5)")
    ap.add_argument("--quick", action="store_true",
                    help="3 pairs, 0.3 s runs, 256 MiB bulk; prints only (writes nothing)")
    ap.add_argument("--only", help="comma-separated workload keys; the run's results go to "
                    "bench/results/tls_bench.KEY+KEY.json, the document is left alone")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip the plain-TCP reference of the small-message rows (bench/raw_tcp)")
    add_output_options(ap, "tls_bench", "bench")
    ap.add_argument("--render", action="store_true",
                    help="run nothing: write the document's section and the chart from --results")
    ap.add_argument("--check", action="store_true",
                    help="run nothing: exit 1 unless the document's section and the chart are "
                    "what --results gives")
    ap.add_argument("--svg", default="docs/benchmarks.svg")
    ap.add_argument("--command",
                    default="python3 scripts/bench_driver.py " + " ".join(sys.argv[1:]))
    o = ap.parse_args()
    o.seconds = 1.0
    o.bulk_bytes = "1G"
    o.conns = 1000
    o.repeat = 3  # the 256 MiB file three times per connection: runs of about a second
    results_path = o.results or default_results("tls_bench", o.only)
    if o.render or o.check:
        if o.only:
            ap.error("--render and --check take the whole run's results, not --only")
        if o.check:
            return check(o, results_path)
        section, svg = render(o, results_path)
        write_docs(o, section)
        with open(o.svg, "w", encoding="utf-8") as f:
            f.write(svg)
        print(f"wrote {o.doc}'s section and {o.svg} from {results_path}")
        return 0
    if o.quick:
        o.pairs = min(o.pairs, 3)
        o.seconds = 0.3
        o.bulk_bytes = "256M"
        o.repeat = 1
    rows = make_rows(o)
    if o.only:
        keys = set(o.only.split(","))
        unknown = keys - {r.key for r in rows}
        if unknown:
            ap.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
        rows = [r for r in rows if r.key in keys]
    write = not (o.quick or o.no_docs)
    if write and o.pairs < 5:
        ap.error("recorded results need at least 5 pairs (or --no-docs)")

    sendfile_probe = openssl_sendfile_probe(o) if any(r.key == "sendfile" for r in rows) else ""
    keys = {r.key for r in rows}
    refs = [c for c in make_references() if c.row_key in keys] if not o.no_reference else []
    aead_ns = aead_record_ns(o) if refs else None
    if refs and aead_ns is None:
        print("plain-TCP reference not measured: aead_record failed", file=sys.stderr)
    aead = measure(o, rows, refs, aead_ns)
    results = results_for(rows, aead, refs)
    print()
    print(text_table(results, aead, sendfile_probe))
    busy = busy_table(results)
    if busy:
        print()
        print(busy.rstrip())
    ref = reference_text(results, refs)
    if ref:
        print()
        print(ref)
    for r in rows:
        for f in r.failures[:3]:
            print(f"FAILED: {f}", file=sys.stderr)
    if write:
        m = machine()
        os.makedirs(os.path.dirname(results_path) or ".", exist_ok=True)
        with open(results_path, "w", encoding="utf-8") as f:
            json.dump(results_json(o, rows, aead, sendfile_probe, m, refs, aead_ns), f, indent=1)
            f.write("\n")
        print(f"\nwrote {results_path}")
        if not o.only:
            section, svg = render(o, results_path)
            write_docs(o, section)
            with open(o.svg, "w", encoding="utf-8") as f:
                f.write(svg)
            print(f"wrote {o.doc}'s section and {o.svg}")
    return 1 if any(r.failures for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
