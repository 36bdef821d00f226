#!/usr/bin/env python3
"""Writes docs/compatibility.md: which libssl functions Debian's programs import
and how the drop-in libssl.so.3 provides each.

For every program installed (curl's libcurl, Python's _ssl, libpq, libmariadb
and the mariadb client, socat, postgres, mariadbd, nginx, haproxy, stunnel4,
Apache's mod_ssl, lighttpd's mod_openssl) it lists the libssl functions the
binary imports (objdump -T: undefined, version OPENSSL_3.0.0, one of OpenSSL
3.0's libssl functions in src/ssl/libssl.names) and classifies each:

  implemented         the drop-in library exports it (OPENSSL_3.0.0)
  documented failure  exported, and defined in src/ssl/unsupported.cc (fails as
                      OpenSSL documents for a build without the feature)
  missing             not exported: the program does not load (LD_BIND_NOW) or
                      stops at its first call

The section "Deliberate differences" is copied from docs/compatibility-notes.md
(hand-written).

Usage: scripts/compat_matrix.py [--lib BUILD/dropin/libssl.so.3] [--out docs/compatibility.md] [--check]
  --check: exit 1 if any installed program imports a missing function.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (column name, path): the tests' programs first, then the other servers.
PROGRAMS = [
    ("curl", "/usr/lib/x86_64-linux-gnu/libcurl.so.4"),
    ("python3.11 _ssl", "/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so"),
    ("libpq", "/usr/lib/x86_64-linux-gnu/libpq.so.5"),
    ("postgres", "/usr/lib/postgresql/15/bin/postgres"),
    ("libmariadb", "/usr/lib/x86_64-linux-gnu/libmariadb.so.3"),
    ("mariadb", "/usr/bin/mariadb"),
    ("mariadbd", "/usr/sbin/mariadbd"),
    ("socat", "/usr/bin/socat"),
    ("nginx", "/usr/sbin/nginx"),
    ("haproxy", "/usr/sbin/haproxy"),
    ("stunnel4", "/usr/bin/stunnel4"),
    ("apache2 mod_ssl", "/usr/lib/apache2/modules/mod_ssl.so"),
    ("lighttpd mod_openssl", "/usr/lib/lighttpd/mod_openssl.so"),
]

IMPLEMENTED, DOCUMENTED, MISSING = "implemented", "documented failure", "missing"
CELL = {IMPLEMENTED: "✓", DOCUMENTED: "doc", MISSING: "**✗**"}


def objdump(path):
    out = subprocess.run(["objdump", "-T", path], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 4 or not re.match(r"^[0-9a-f]{16}$", f[0]):
            continue
        rows.append((line, f[-2], f[-1]))
    return rows


def imports(path, names):
    return sorted({n for line, ver, n in objdump(path)
                   if "*UND*" in line and ver == "(OPENSSL_3.0.0)" and n in names})


def exports(path):
    return {n for line, ver, n in objdump(path)
            if "*UND*" not in line and ver == "OPENSSL_3.0.0" and " DF " in line}


def unsupported_functions(path, names):
    """Names of OpenSSL's functions defined (at column 0) in unsupported.cc."""
    found = set()
    if not os.path.exists(path):
        return found
    for line in open(path, encoding="utf-8"):
        if not line or line[0].isspace() or line.startswith(("//", "#", "}")):
            continue
        m = re.search(r"\b([A-Za-z_]\w*)\s*\(", line)
        if m and m.group(1) in names:
            found.add(m.group(1))
    return found


def deliberate_differences(path):
    if not os.path.exists(path):
        return "(docs/compatibility-notes.md is missing.)\n"
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^## Deliberate differences\s*\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    return (m.group(1) if m else text).strip() + "\n"


def notes_by_function(notes_text, names):
    """For each of OpenSSL's functions a deliberate difference names (in
    backticks), the numbers of those notes."""
    found = {}
    for m in re.finditer(r"^(\d+)\. (.*?)(?=^\d+\. |\Z)", notes_text, re.S | re.M):
        for fn in re.findall(r"`([A-Za-z_]\w*)", m.group(2)):
            if fn in names:
                found.setdefault(fn, set()).add(int(m.group(1)))
    return {fn: sorted(nums) for fn, nums in found.items()}


def find_lib():
    for cand in [os.path.join(ROOT, "build/dropin/dropin/libssl.so.3")] + sorted(
            glob.glob(os.path.join(ROOT, "build/*/dropin/libssl.so.3")), key=os.path.getmtime, reverse=True):
        if os.path.exists(cand):
            return cand
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=None, help="the drop-in libssl.so.3 (default: the newest build's)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/compatibility.md"))
    ap.add_argument("--notes", default=os.path.join(ROOT, "docs/compatibility-notes.md"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    lib = args.lib or find_lib()
    if not lib or not os.path.exists(lib):
        sys.exit("compat_matrix: no drop-in libssl.so.3 (build target rapidtls_libssl, or pass --lib)")
    names = set(open(os.path.join(ROOT, "src/ssl/libssl.names")).read().split())
    exported = exports(lib)
    documented = unsupported_functions(os.path.join(ROOT, "src/ssl/unsupported.cc"), names)

    def status(fn):
        if fn not in exported:
            return MISSING
        return DOCUMENTED if fn in documented else IMPLEMENTED

    programs = [(col, path, imports(path, names)) for col, path in PROGRAMS if os.path.exists(path)]
    absent = [(col, path) for col, path in PROGRAMS if not os.path.exists(path)]
    used = sorted({fn for _, _, imp in programs for fn in imp})

    out = []
    out.append("# Compatibility: Debian's programs on the drop-in libssl.so.3\n")
    out.append("Generated by `scripts/compat_matrix.py` (do not edit by hand): the libssl functions each "
               "installed program imports (`objdump -T`: undefined, version `OPENSSL_3.0.0`, one of OpenSSL "
               "3.0's %d libssl functions) against what the drop-in library exports. The tests that run these "
               "programs: `ctest -L dropin` (`tests/dropin/`).\n" % len(names))
    out.append("- **implemented**: exported in `OPENSSL_3.0.0`;")
    out.append("- **documented failure**: exported, defined in `src/ssl/unsupported.cc`: it fails as OpenSSL "
               "documents for a build without the feature (DTLS, TLS 1.0/1.1, SRP, compression, ...);")
    out.append("- **missing**: not exported: the program does not load with `LD_BIND_NOW=1`, and stops at "
               "its first call otherwise.\n")
    out.append("The library exports %d of OpenSSL's %d libssl functions (%d of them documented failures).\n"
               % (len(exported & names), len(names), len(documented & exported)))
    out.append("## Summary\n")
    out.append("| program | binary | imports | implemented | documented failure | missing |")
    out.append("|---|---|---:|---:|---:|---|")
    any_missing = False
    for col, path, imp in programs:
        st = [status(fn) for fn in imp]
        miss = [fn for fn in imp if status(fn) == MISSING]
        any_missing |= bool(miss)
        out.append("| %s | `%s` | %d | %d | %d | %s |" % (
            col, path, len(imp), st.count(IMPLEMENTED), st.count(DOCUMENTED),
            "%d: %s" % (len(miss), ", ".join("`%s`" % m for m in miss)) if miss else "0"))
    for col, path in absent:
        out.append("| %s | `%s` | not installed | | | |" % (col, path))
    out.append("")
    out.append("## Function x program\n")
    out.append("✓ implemented, doc: documented failure, **✗** missing, blank: not imported. notes: the "
               "[deliberate differences](#deliberate-differences) that name the function.\n")
    differences = deliberate_differences(args.notes)
    remarks = notes_by_function(differences, names)
    out.append("| function | status | notes | " + " | ".join(col for col, _, _ in programs) + " |")
    out.append("|---|---|---|" + "---|" * len(programs))
    for fn in used:
        s = status(fn)
        cells = [CELL[s] if fn in imp else "" for _, _, imp in programs]
        out.append("| `%s` | %s | %s | %s |" % (fn, s, ", ".join(str(n) for n in remarks.get(fn, [])),
                                             " | ".join(cells)))
    out.append("")
    out.append("## Deliberate differences\n")
    out.append(differences)
    text = "\n".join(out).rstrip() + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print("compat_matrix: wrote %s (%d programs, %d functions; library %s)" % (
        os.path.relpath(args.out, ROOT), len(programs), len(used), lib))
    for col, path, imp in programs:
        miss = [fn for fn in imp if status(fn) == MISSING]
        if miss:
            print("  %s: %d missing: %s" % (col, len(miss), " ".join(miss)))
    if args.check and any_missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
