#!/usr/bin/python3
"""Proxy benchmark: airlock beside tinyproxy, squid, microsocks and dante.

Usage: bench/proxy/run.py [--build build] [--quick] [--json FILE]

Builds bench/proxy/loadgen.c with cc -O2, starts an origin, a large-body
origin and a sink on loopback, then per proxy: wrk keep-alive request rate
(absolute-form), CONNECT and SOCKS5 bulk throughput and the proxy's CPU
time per GiB, a plain HTTP GET of a 1 GiB body with curl (absolute-form
through the HTTP proxy, and through SOCKS5), sequential set-up latency, and
RSS per idle tunnel (1,000 and 5,000 tunnels, fresh proxy each). Prints one
table with airlock/peer ratios and the goals of issues #3, #10 and #12.
Goals are reported, not
enforced: the exit status is 1 only when a measurement broke (a tool
failed, a number is missing) or airlock died. doc/bench.md explains it all.
"""
import argparse
import json
import os
import pathlib
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import curlget  # noqa: E402
import peers  # noqa: E402
import mitm  # noqa: E402
import report  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
TOOL_TIMEOUT = 240


class Broken(Exception):
    """A measurement that produced no number."""


def build_loadgen(outdir):
    out = outdir / "loadgen"
    subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall",
                    "-Wextra", "-o", str(out), str(HERE / "loadgen.c")],
                   check=True, timeout=120)
    return str(out)


def start_server(loadgen, kind, stack, *args):
    proc = subprocess.Popen([loadgen, kind] + list(args),
                            stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    stack.append(proc)
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    line = proc.stdout.readline() if ready else ""
    if not line.strip().isdigit():
        raise Broken("%s did not start" % kind)
    return proc, int(line)


def run_json(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Broken("timed out: %s" % " ".join(cmd))
    try:
        return json.loads(r.stdout.splitlines()[-1])
    except (IndexError, ValueError):
        raise Broken("%s: rc=%d %s" % (" ".join(cmd), r.returncode,
                                      r.stderr.strip()))


def wrk_rate(url, origin_port, seconds, tmp):
    """Requests/s and error count of wrk -t1 -c32 against url."""
    cmd = ["wrk", "-t1", "-c32", "-d%ds" % seconds, "--timeout", "5s"]
    if origin_port is not None:
        script = pathlib.Path(tmp) / "absolute.lua"
        target = "127.0.0.1:%d" % origin_port
        script.write_text(
            'local req = "GET http://%s/ HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n"\n'
            "request = function() return req end\n" % (target, target))
        cmd += ["-s", str(script)]
    try:
        r = subprocess.run(cmd + [url], capture_output=True, text=True,
                           timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise Broken("wrk timed out")
    m = re.search(r"Requests/sec:\s*([\d.]+)", r.stdout)
    if r.returncode != 0 or m is None:
        raise Broken("wrk: rc=%d %s %s" % (r.returncode, r.stdout, r.stderr))
    errors = 0
    m2 = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                   r"timeout (\d+)", r.stdout)
    if m2:
        errors += sum(int(x) for x in m2.groups())
    m3 = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    if m3:
        errors += int(m3.group(1))
    return {"rps": float(m.group(1)), "errors": errors}


def idle_rss(loadgen, proxy, via, sink, count):
    """Opens count idle tunnels through a freshly started proxy."""
    port = proxy.http_port if via == "connect" else proxy.socks_port
    time.sleep(0.2)
    before = peers.rss_kib(proxy.pids())
    cli = subprocess.Popen([loadgen, "idle", via, "127.0.0.1:%d" % port,
                            "127.0.0.1:%d" % sink, str(count)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([cli.stdout], [], [], TOOL_TIMEOUT)
        line = cli.stdout.readline() if ready else ""
        if not line:
            raise Broken("idle client gave no result: %s" % cli.stderr.read())
        opened = json.loads(line)
        time.sleep(0.5)
        after = peers.rss_kib(proxy.pids())
        cli.stdin.write("go\n")
        cli.stdin.flush()
        ready, _, _ = select.select([cli.stdout], [], [], 60)
        line = cli.stdout.readline() if ready else ""
        alive = json.loads(line)["alive"] if line else 0
    finally:
        if cli.poll() is None:
            cli.kill()
        cli.wait(timeout=30)
    n = opened["opened"]
    errors = opened["errors"] + (n - alive)
    return {"count": count, "opened": n, "alive": alive, "errors": errors,
            "rss_before_kib": before, "rss_after_kib": after,
            "kib_per_tunnel": (after - before) / n if n else None,
            "open_seconds": opened["seconds"]}


# Each rate and latency is measured REPEATS times and the best figure kept:
# the machine is shared, and interference only ever makes figures worse.
REPEATS = 3
HIGHER_IS_BETTER = {"rps", "mbps"}
SUMMED = {"errors"}


def best_of(samples):
    """One dict from repeated samples: best value per field, errors summed,
    every sample kept under "samples"."""
    if len(samples) == 1:
        return samples[0]
    out = {}
    for k in samples[0]:
        vals = [s[k] for s in samples]
        if k in SUMMED:
            out[k] = sum(vals)
        elif k in HIGHER_IS_BETTER:
            out[k] = max(vals)
        else:
            out[k] = min(vals)
    out["samples"] = samples
    return out


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.results = {}   # name -> metric -> value
        self.broken = []    # "name metric: why"
        self.quick = args.quick
        self.bulk_bytes = (256 if self.quick else 2048) << 20
        self.get_bytes = (256 if self.quick else 1024) << 20
        self.setup_count = 300 if self.quick else 2000
        self.wrk_seconds = 2 if self.quick else 5
        self.idle_counts = [200, 1000] if self.quick else [1000, 5000]
        self.repeats = 1 if self.quick else REPEATS

    def measure(self, name, metric, fn, repeat=False):
        try:
            n = self.repeats if repeat else 1
            self.results.setdefault(name, {})[metric] = best_of(
                [fn() for _ in range(n)])
        except (Broken, OSError, ValueError, subprocess.SubprocessError) as e:
            self.broken.append("%s %s: %s" % (name, metric, e))
            self.results.setdefault(name, {})[metric] = None
        r = self.results[name][metric]
        if (name == "airlock" and r is not None and r.get("errors")
                and not metric.startswith("idle_")):
            self.broken.append("airlock %s: %d failed requests or "
                               "handshakes" % (metric, r["errors"]))
        shown = {k: v for k, v in (r or {}).items() if k != "samples"}
        print("  %-10s %-17s %s" % (name, metric, shown or "ERR"), flush=True)

    def target(self, port):
        return "127.0.0.1:%d" % port

    def client(self, mode, via, proxy_port, n):
        return run_json([self.loadgen, mode, via,
                         self.target(proxy_port) if proxy_port else "-",
                         self.target(self.sink), str(n)])

    def get(self, proxy_url=None):
        """curl GET of the large body, directly or through proxy_url."""
        extra = ["-x", proxy_url] if proxy_url else []
        try:
            return curlget.get("http://127.0.0.1:%d/" % self.body, extra,
                               self.get_bytes)
        except curlget.Failed as e:
            raise Broken(str(e))

    @staticmethod
    def with_cpu(p, fn):
        """fn()'s result plus the proxy's user+system CPU seconds (its
        whole process tree) per GiB moved during fn."""
        before = peers.cpu_seconds(p.pids())
        r = fn()
        after = peers.cpu_seconds(p.pids())
        r["cpu_s_per_gib"] = (after - before) / (r["bytes"] / float(1 << 30))
        return r

    def direct(self):
        self.measure("direct", "wrk", lambda: wrk_rate(
            "http://127.0.0.1:%d/" % self.origin, None, self.wrk_seconds,
            self.tmp), True)
        for via in ("connect", "socks"):  # same path; measured twice
            self.measure("direct", "bulk_" + via, lambda: self.client(
                "bulk", "direct", None, self.bulk_bytes), True)
        self.measure("direct", "setup", lambda: self.client(
            "setup", "direct", None, self.setup_count), True)
        self.measure("direct", "get", self.get, True)

    def workloads(self, p):
        if p.http:
            self.measure(p.name, "wrk", lambda: wrk_rate(
                "http://127.0.0.1:%d/" % p.http_port, self.origin,
                self.wrk_seconds, self.tmp), True)
        for via, port in (("connect", p.http_port), ("socks", p.socks_port)):
            if port is None:
                continue
            self.measure(p.name, "bulk_" + via, lambda: self.with_cpu(
                p, lambda: self.client("bulk", via, port, self.bulk_bytes)),
                True)
            # The plain GET: absolute-form through the HTTP port.
            scheme, metric = (("http", "get_http") if via == "connect"
                              else ("socks5", "get_socks"))
            url = "%s://127.0.0.1:%d" % (scheme, port)
            self.measure(p.name, metric, lambda: self.with_cpu(
                p, lambda: self.get(url)), True)
            self.measure(p.name, "setup_" + via, lambda: self.client(
                "setup", via, port, self.setup_count), True)

    def sandboxed(self):
        """Issue #12: connection set-up from inside `airlock run --network
        --mode full`, through the embedded proxy's CONNECT and as a
        transparent connection (a plain connect() the sandbox's rules route
        to the proxy), in the same sandbox, each followed by one round trip
        to the sink so that both include the proxy's decision and dial."""
        n = self.setup_count
        sink = self.target(self.sink)
        script = ('lg="$1"; sink="$2"; n="$3"; '
                  '"$lg" setuprt connect "${HTTP_PROXY#http://}" "$sink" "$n"'
                  ' && "$lg" setuprt direct - "$sink" "$n"')
        cmd = [os.path.join(self.args.build, "airlock"), "run", "--network",
               "--mode", "full", "--allow", sink, "--", "sh", "-c", script,
               "sh", self.loadgen, sink, str(n)]
        env = dict(os.environ, AIRLOCK_HOME=os.path.join(self.tmp, "ahome"))
        try:
            r = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=TOOL_TIMEOUT, env=env)
            lines = [json.loads(ln) for ln in r.stdout.splitlines()]
        except (subprocess.TimeoutExpired, ValueError) as e:
            raise Broken("sandboxed set-up: %s" % e)
        if r.returncode != 0 or len(lines) != 2:
            raise Broken("sandboxed set-up: rc=%d %s" % (r.returncode,
                                                        r.stderr.strip()))
        return lines

    def sandboxed_measure(self):
        print("== airlock run (sandboxed clients)", flush=True)
        got = []
        for _ in range(self.repeats):
            try:
                got.append(self.sandboxed())
            except Broken as e:
                self.broken.append(str(e))
                return
        for i, metric in enumerate(("setup_connect_sandbox",
                                    "setup_transparent")):
            r = best_of([g[i] for g in got])
            self.results.setdefault("airlock", {})[metric] = r
            shown = {k: v for k, v in r.items() if k != "samples"}
            print("  %-10s %-22s %s" % ("airlock", metric, shown), flush=True)

    def idle(self, cls):
        for via in ("connect", "socks"):
            if not getattr(cls, "http" if via == "connect" else "socks"):
                continue
            for count in self.idle_counts:
                p = cls(self.tmp, self.args.build)
                try:
                    p.start()
                    self.measure(cls.name, "idle_%s_%d" % (via, count),
                                 lambda: idle_rss(self.loadgen, p, via,
                                                  self.sink, count))
                    self.check_alive(p)
                finally:
                    p.stop()

    def check_alive(self, p):
        if not p.alive():
            msg = "%s died: %s" % (p.name, p.stderr_tail())
            if p.name == "airlock":
                self.broken.append(msg)
            else:
                print("  note: " + msg, flush=True)

    def run_proxy(self, cls):
        print("== %s" % cls.name, flush=True)
        p = cls(self.tmp, self.args.build)
        try:
            try:
                p.start()
            except RuntimeError as e:
                self.broken.append("%s start: %s %s" % (cls.name, e,
                                                        p.stderr_tail()))
                return
            self.workloads(p)
            self.check_alive(p)
        finally:
            p.stop()
        self.idle(cls)

    def run(self, servers):
        outdir = pathlib.Path(self.args.build) / "bench-proxy"
        outdir.mkdir(parents=True, exist_ok=True)
        self.loadgen = build_loadgen(outdir)
        _, self.origin = start_server(self.loadgen, "origin", servers)
        _, self.sink = start_server(self.loadgen, "sink", servers)
        _, self.body = start_server(self.loadgen, "body", servers,
                                    str(self.get_bytes))
        print("== direct (origin :%d, sink :%d, body origin :%d)"
              % (self.origin, self.sink, self.body), flush=True)
        self.direct()
        for cls in peers.ALL:
            if self.args.only and cls.name not in self.args.only:
                continue
            self.run_proxy(cls)
        if not self.args.only or "airlock" in self.args.only:
            self.sandboxed_measure()


def run_mitm(args, bench):
    """The interception workload (doc/mitm.md); `--only mitm` selects it."""
    if args.only and "mitm" not in args.only:
        return None
    print("== mitm", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="airlock-bench-mitm-") as t:
            return mitm.bench(args.build, t, args.quick)
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        bench.broken.append("mitm: %s" % e)
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes, for trying the script out")
    ap.add_argument("--only", action="append",
                    help="run only this proxy (repeatable)")
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args()
    args.build = str(pathlib.Path(args.build).resolve())

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(20000, hard), hard))
    # SIGTERM/SIGINT unwind through the finally blocks below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))

    servers = []
    with tempfile.TemporaryDirectory(prefix="airlock-bench-") as tmp:
        bench = Bench(args, tmp)
        t0 = time.monotonic()
        load = [os.getloadavg()[0]]
        try:
            bench.run(servers)
        except Broken as e:
            bench.broken.append(str(e))
        finally:
            for s in servers:
                s.kill()
                s.wait(timeout=10)
        elapsed = time.monotonic() - t0
        load.append(os.getloadavg()[0])
    mitm_res = run_mitm(args, bench)
    out = {"results": bench.results, "broken": bench.broken,
           "mitm": mitm_res,
           "quick": args.quick, "bulk_bytes": bench.bulk_bytes,
           "get_bytes": bench.get_bytes,
           "setup_count": bench.setup_count, "seconds": elapsed,
           "loadavg_1m": load}
    path = args.json or os.path.join(args.build, "bench-proxy",
                                     "results.json")
    pathlib.Path(path).write_text(json.dumps(out, indent=1))
    print()
    print(report.render(out))
    if mitm_res is not None:
        print()
        print("TLS interception (bench/proxy/mitm.py):")
        print(mitm.render(mitm_res))
    print("(raw results: %s; %.0f s; 1-min load average %.2f before, "
          "%.2f after: other load on the machine skews every figure)"
          % (path, elapsed, load[0], load[1]))
    if bench.broken:
        print("BROKEN MEASUREMENTS:")
        for b in bench.broken:
            print("  " + b)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
