#!/usr/bin/env python3
"""`rapidtls serve` side by side with nginx (issue 18), in one run.

Three HTTPS servers on loopback, started once, each with the same ECDSA P-256
certificate and files: Debian's nginx 1.22 on the system's OpenSSL 3.0 libssl
(sendfile on, 2 workers, access log off, keepalive_requests 100000), `rapidtls
serve -q --threads 2`, and the same nginx on rapidtls's drop-in libssl.so.3
(LD_LIBRARY_PATH). wrk (2 threads, the system's OpenSSL) loads each in turn:

  small_keepalive   1 KiB GET, keep-alive, 64 connections            requests/s
  large_keepalive   1 MiB GET, keep-alive, 16 connections            requests/s
  small_close       1 KiB GET, Connection: close (a handshake each), 32 connections
  huge              100 MiB GET, 2 connections                       MiB/s
  pipelined         1 KiB GET, 16 requests pipelined per write, 32 connections

Rounds alternate the order (nginx first in odd rounds, rapidtls serve first in
even ones). A result is the median over the rounds; the ratio is
median(server) / median(nginx); "pairs" is the range of the per-round ratios.
A run with socket errors or non-2xx answers is reported and fails the script.

Every run goes to bench/results/serve_nginx.json (a run of some workloads, with
--only, to bench/results/serve_nginx.NAME+NAME.json), and a run of all of them
rewrites the table between docs/benchmarks.md's bench_serve markers; --render
writes that table again from a results file without running anything.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_driver  # noqa: E402  (results files, document sections, the machine)

WORKLOADS = [
    # name, path, connections, extra wrk args, unit
    ("small_keepalive", "/1k", 64, [], "req/s"),
    ("large_keepalive", "/1m", 16, [], "req/s"),
    ("small_close", "/1k", 32, ["-H", "Connection: close"], "req/s"),
    ("huge", "/100m", 2, [], "MiB/s"),
    ("pipelined", "/1k", 32, ["PIPELINE"], "req/s"),
]

PIPELINE_LUA = """
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/1k") end
  req = table.concat(r)
end
request = function() return req end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def nginx_conf(work, name, port, cert, key, www):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
master_process on;
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  keepalive_requests 100000;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    root {www};
    sendfile on;
  }}
}}
""")
    return d, conf


def parse_wrk(out):
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    tps = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", out)
    if not rps or not tps:
        return None
    scale = {"B": 1 / 1048576, "KB": 1 / 1024, "MB": 1, "GB": 1024}[tps.group(2)]
    errors = []
    m = re.search(r"Socket errors: (.*)", out)
    if m:
        errors.append("socket errors: " + m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors.append("non-2xx: " + m.group(1))
    return float(rps.group(1)), float(tps.group(1)) * scale, errors


def cpu_seconds(pids):
    """User and system CPU time of processes (all their threads), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user += int(fields[11])  # utime (field 14)
        system += int(fields[12])  # stime (field 15)
    return user / tick, system / tick


def server_pids(pid):
    """A server's process and its children (nginx's workers)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid] + [int(x) for x in out.split()]


def run_wrk(port, workload, duration, lua, pids=()):
    """One wrk run: (value, errors, CPU per request in microseconds as
    {"server": the server's processes, "client": wrk's}, or None)."""
    name, path, conns, extra, unit = workload
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--timeout", "10s"]
    if extra == ["PIPELINE"]:
        cmd += ["-s", lua]
    else:
        cmd += extra
    cmd.append(f"https://127.0.0.1:{port}{path}")
    server_before = cpu_seconds(pids)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_before = (ru.ru_utime, ru.ru_stime)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_user = ru.ru_utime - client_before[0]
    client_system = ru.ru_stime - client_before[1]
    server_after = cpu_seconds(pids)
    parsed = parse_wrk(out)
    if parsed is None:
        return None, ["wrk printed no result: " + out.strip()[-300:]], None
    rps, mibs, errors = parsed
    m = re.search(r"(\d+) requests in", out)
    cpu = None
    if m and int(m.group(1)) > 0 and pids:
        n = int(m.group(1))
        user = server_after[0] - server_before[0]
        system = server_after[1] - server_before[1]
        cpu = {"server": (user + system) / n * 1e6, "server_user": user / n * 1e6,
               "server_system": system / n * 1e6,
               "client": (client_user + client_system) / n * 1e6,
               "client_user": client_user / n * 1e6, "client_system": client_system / n * 1e6}
    return (mibs if unit == "MiB/s" else rps), errors, cpu


def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- bench_serve:begin (written by scripts/bench_serve.py; edit outside these markers) -->"
END = "<!-- bench_serve:end -->"


def serve_table(doc):
    """The Markdown table of a results file: medians, ratios, pair ranges."""
    runs = doc["runs"]
    servers = doc["servers"]
    head = "| workload | unit | nginx | rapidtls serve | serve / nginx | pairs |"
    sep = "|---|---|---:|---:|---:|---|"
    if "nginx_rapidtls" in servers:
        head += " nginx on rapidtls | / nginx |"
        sep += "---:|---:|"
    lines = [head, sep]
    for w in doc["workloads"]:
        res = runs[w["name"]]
        if not all(res[s] for s in servers):
            lines.append(f"| {w['name']} | {w['unit']} | (no result) |")
            continue
        med = {s: statistics.median(res[s]) for s in servers}
        pairs = [x / y for x, y in zip(res["serve"], res["nginx"])]
        row = (f"| {w['name']} | {w['unit']} | {fmt(med['nginx'])} | {fmt(med['serve'])} | "
               f"**{med['serve'] / med['nginx']:.2f}x** | "
               f"{min(pairs):.2f}-{max(pairs):.2f} |")
        if "nginx_rapidtls" in servers:
            row += (f" {fmt(med['nginx_rapidtls'])} | "
                    f"{med['nginx_rapidtls'] / med['nginx']:.2f}x |")
        lines.append(row)
    cpu = doc.get("cpu")
    if cpu:
        # Where the time goes: each side's CPU per request, medians over the
        # rounds (the server's processes and wrk's, from /proc and getrusage).
        lines += ["", "CPU per request, microseconds (medians; the server's processes, "
                  "and wrk's, which uses the system's OpenSSL, on the same 2 cores):", "",
                  "| workload | nginx (user + system) | rapidtls serve (user + system) "
                  "| nginx / serve | wrk against nginx (user + system) | wrk against serve (user + system) |",
                  "|---|---:|---:|---:|---:|---:|"]
        keys = ("server", "server_user", "server_system", "client", "client_user",
                "client_system")
        others = [s for s in ("nginx_rapidtls",) if s in doc["servers"]]
        if others:
            lines[-2] += " nginx on rapidtls (user + system) | nginx / nginx on rapidtls |"
            lines[-1] += "---:|---:|"
        for w in doc["workloads"]:
            c = cpu.get(w["name"], {})
            if not c.get("nginx") or not c.get("serve"):
                continue
            med = {s: {k: statistics.median(x.get(k, 0) for x in c[s]) for k in keys}
                   for s in ["nginx", "serve"] + [o for o in others if c.get(o)]}

            def split(m, who):
                return (f"{fmt(m[who])} ({fmt(m[who + '_user'])} + "
                        f"{fmt(m[who + '_system'])})")
            lines.append(f"| {w['name']} | {split(med['nginx'], 'server')} | "
                         f"{split(med['serve'], 'server')} | "
                         f"{med['nginx']['server'] / med['serve']['server']:.2f}x | "
                         f"{split(med['nginx'], 'client')} | {split(med['serve'], 'client')} |"
                         + "".join(f" {split(med[o], 'server')} | "
                                   f"{med['nginx']['server'] / med[o]['server']:.2f}x |"
                                   for o in others if o in med))
    return "\n".join(lines)


def doc_section(doc, results_path, doc_path):
    name = os.path.relpath(os.path.abspath(results_path), REPO)
    link = os.path.relpath(os.path.abspath(results_path), os.path.dirname(os.path.abspath(doc_path)))
    return "\n".join([
        BEGIN, "",
        f"`{doc['command']}`: {doc['rounds']} rounds of {doc['duration']} s per run, medians; "
        f"rapidtls at `{doc['machine']['commit']}`; every run: [{name}]({link}).", "",
        serve_table(doc), "", END])


def write_doc_section(doc_path, section):
    bench_driver.write_section(doc_path, section, BEGIN, END)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rapidtls", help="the rapidtls program (serve); needed unless --render")
    ap.add_argument("--dropin", help="folder holding rapidtls's libssl.so.3 (nginx on rapidtls)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--only", help="comma-separated workloads")
    ap.add_argument("--markdown", help="also write the table to this file")
    bench_driver.add_output_options(ap, "serve_nginx", "bench_serve")
    ap.add_argument("--render", action="store_true",
                    help="run nothing: write the document's section from --results")
    ap.add_argument("--command", default="bash scripts/bench_serve.sh",
                    help="the command named in the table's caption")
    a = ap.parse_args()
    results_path = a.results or bench_driver.default_results("serve_nginx", a.only)
    if a.render:
        with open(results_path, encoding="utf-8") as f:
            write_doc_section(a.doc, doc_section(json.load(f), results_path, a.doc))
        print(f"wrote {a.doc}'s bench_serve section from {results_path}")
        return 0
    if not a.rapidtls:
        ap.error("--rapidtls is needed to run the servers")
    unknown = set(a.only.split(",")) - {w[0] for w in WORKLOADS} if a.only else set()
    if unknown:
        ap.error(f"unknown workload(s): {', '.join(sorted(unknown))}")

    for tool in ("nginx", "wrk", "openssl"):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            sys.exit(f"bench_serve: {tool} is missing (scripts/setup.sh installs it)")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    workloads = [w for w in WORKLOADS if not a.only or w[0] in a.only.split(",")]

    work = tempfile.mkdtemp(prefix="rapidtls-bench-serve.")
    procs = []
    try:
        os.chmod(work, 0o755)  # nginx's workers run as another user when started as root
        www = os.path.join(work, "www")
        os.makedirs(www)
        for name, size in (("1k", 1024), ("1m", 1 << 20), ("100m", 100 << 20)):
            with open(os.path.join(www, name), "wb") as f:
                f.write(os.urandom(size))
            os.chmod(os.path.join(www, name), 0o644)
        cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
        lua = os.path.join(work, "pipeline.lua")
        with open(lua, "w") as f:
            f.write(PIPELINE_LUA)

        servers = {}
        for name, env_lib in (("nginx", None), ("nginx_rapidtls", a.dropin)):
            if name == "nginx_rapidtls" and not a.dropin:
                continue
            port = free_port()
            d, conf = nginx_conf(work, name, port, cert, key, www)
            env = dict(os.environ)
            if env_lib:
                env["LD_LIBRARY_PATH"] = env_lib
            p = subprocess.Popen([nginx, "-p", d, "-e", f"{d}/error.log", "-c", conf],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=open(f"{d}/stderr", "w"), env=env)
            procs.append(p)
            if not wait_port(port, p):
                sys.exit(f"bench_serve: {name} did not start (see {d}/stderr)")
            servers[name] = port
        port = free_port()
        p = subprocess.Popen([a.rapidtls, "serve", "-q", "--threads", "2", "--cert", cert,
                              "--key", key, "-p", str(port), www],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        procs.append(p)
        if not wait_port(port, p):
            sys.exit("bench_serve: rapidtls serve did not start")
        servers["serve"] = port
        if a.dropin:  # the drop-in library must really be the one nginx runs on
            pid = procs[1].pid
            maps = subprocess.run(["sh", "-c", f"cat /proc/$(pgrep -P {pid} | head -1)/maps"],
                                  capture_output=True, text=True).stdout
            if os.path.realpath(a.dropin) not in maps and a.dropin not in maps:
                sys.exit("bench_serve: nginx_rapidtls's worker did not load the drop-in libssl")

        order = ["nginx", "serve"] + (["nginx_rapidtls"] if "nginx_rapidtls" in servers else [])
        results = {w[0]: {s: [] for s in order} for w in workloads}
        failures = []
        pids = {s: server_pids(procs[i].pid) for i, s in enumerate(
            ["nginx"] + (["nginx_rapidtls"] if "nginx_rapidtls" in servers else []) + ["serve"])}
        cpu = {w[0]: {s: [] for s in order} for w in workloads}
        # A warm-up run per server and workload, not counted.
        for w in workloads:
            for s in order:
                run_wrk(servers[s], w, 1, lua)
        for r in range(a.rounds):
            round_order = order if r % 2 == 0 else [order[1], order[0]] + order[2:]
            for w in workloads:
                for s in round_order:
                    v, errors, c = run_wrk(servers[s], w, a.duration, lua, pids[s])
                    if errors:
                        failures.append(f"round {r + 1} {w[0]} {s}: {'; '.join(errors)}")
                    if v is not None:
                        results[w[0]][s].append(v)
                    if c is not None:
                        cpu[w[0]][s].append(c)
                    print(f"round {r + 1} {w[0]:16} {s:15} {fmt(v) if v else '-':>10} {w[4]}",
                          file=sys.stderr, flush=True)

        doc = {
            "benchmark": "serve_nginx",
            "command": a.command,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": {k: v for k, v in bench_driver.machine().items() if k != "date"},
            "nginx": subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip(),
            "rounds": a.rounds,
            "duration": a.duration,
            "servers": order,
            "workloads": [{"name": w[0], "path": w[1], "connections": w[2], "unit": w[4]}
                          for w in workloads],
            "runs": results,
            "cpu": cpu,
            "failures": failures,
        }
        table = serve_table(doc)
        caption = (f"`{a.command}`: {a.rounds} rounds of {a.duration} s per run, "
                   f"{doc['date']}")
        print(caption)
        print(table)
        if a.markdown:
            with open(a.markdown, "w") as f:
                f.write(caption + "\n\n" + table + "\n")
        if not a.no_docs:
            os.makedirs(os.path.dirname(results_path) or ".", exist_ok=True)
            with open(results_path, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
            print(f"wrote {results_path}")
            if not a.only and not failures:
                write_doc_section(a.doc, doc_section(doc, results_path, a.doc))
                print(f"wrote {a.doc}'s bench_serve section")
        if failures:
            print("\nruns with errors:\n  " + "\n  ".join(failures))
            return 1
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
