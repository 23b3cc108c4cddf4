#!/usr/bin/python3
"""Renders the proxy benchmark's results as one table plus the goals.

render(out) takes the dict run.py writes (results.json); run directly,
`report.py results.json` prints the same table again.
"""
import json
import sys

HTTP_PEERS = ["tinyproxy", "squid"]
SOCKS_PEERS = ["microsocks", "dante"]
COLUMNS = ["direct", "airlock"] + HTTP_PEERS + SOCKS_PEERS
RSS_GOAL_KIB = 16.0
TUNNELS_GOAL = 5000
GET_GOAL_X_DIRECT = 0.6     # issue #10: plain GET through the HTTP proxy
CPU_GOAL_S_PER_GIB = 0.2    # issue #10: CONNECT and SOCKS5 bulk
TRANSPARENT_GOAL_X = 1.2    # issue #12: transparent set-up p50 / CONNECT's


def get(results, name, metric, field):
    v = results.get(name, {}).get(metric)
    if v is not None and field == "x_direct":
        # A download rate as a fraction of the same download without a
        # proxy (results["direct"]["get"]).
        d = get(results, "direct", "get", "mbps")
        a = v.get("mbps")
        return a / d if a is not None and d else None
    return None if v is None else v.get(field)


def idle_counts(results):
    counts = set()
    for metrics in results.values():
        for m in metrics:
            if m.startswith("idle_"):
                counts.add(int(m.rsplit("_", 1)[1]))
    return sorted(counts)


def rows(results):
    """(label, unit, metric, field, higher_is_better, peers, direct_metric)"""
    out = [
        ("keep-alive request rate", "req/s", "wrk", "rps", True,
         HTTP_PEERS, "wrk"),
        ("CONNECT bulk", "MB/s", "bulk_connect", "mbps", True,
         HTTP_PEERS, "bulk_connect"),
        ("SOCKS5 bulk", "MB/s", "bulk_socks", "mbps", True,
         SOCKS_PEERS, "bulk_socks"),
        ("plain GET, HTTP proxy", "MB/s", "get_http", "mbps", True,
         HTTP_PEERS, "get"),
        ("plain GET, HTTP proxy", "xdirect", "get_http", "x_direct", True,
         HTTP_PEERS, "get"),
        ("plain GET, SOCKS5", "MB/s", "get_socks", "mbps", True,
         SOCKS_PEERS, "get"),
        ("plain GET, SOCKS5", "xdirect", "get_socks", "x_direct", True,
         SOCKS_PEERS, "get"),
        ("proxy CPU, CONNECT bulk", "s/GiB", "bulk_connect", "cpu_s_per_gib",
         False, HTTP_PEERS, None),
        ("proxy CPU, SOCKS5 bulk", "s/GiB", "bulk_socks", "cpu_s_per_gib",
         False, SOCKS_PEERS, None),
        ("proxy CPU, GET HTTP proxy", "s/GiB", "get_http", "cpu_s_per_gib",
         False, HTTP_PEERS, None),
        ("proxy CPU, GET SOCKS5", "s/GiB", "get_socks", "cpu_s_per_gib",
         False, SOCKS_PEERS, None),
        ("CONNECT set-up p50", "us", "setup_connect", "p50_us", False,
         HTTP_PEERS, "setup"),
        ("CONNECT set-up p99", "us", "setup_connect", "p99_us", False,
         HTTP_PEERS, "setup"),
        ("SOCKS5 set-up p50", "us", "setup_socks", "p50_us", False,
         SOCKS_PEERS, "setup"),
        ("SOCKS5 set-up p99", "us", "setup_socks", "p99_us", False,
         SOCKS_PEERS, "setup"),
        # Inside `airlock run`: CONNECT through the embedded proxy and a
        # transparent connection, each with one round trip to the sink.
        ("CONNECT set-up+rt p50, sandboxed", "us", "setup_connect_sandbox",
         "p50_us", False, [], None),
        ("transparent set-up+rt p50", "us", "setup_transparent", "p50_us",
         False, [], None),
        ("transparent set-up+rt p99", "us", "setup_transparent", "p99_us",
         False, [], None),
    ]
    for n in idle_counts(results):
        out.append(("RSS/idle CONNECT tunnel @%d" % n, "KiB",
                    "idle_connect_%d" % n, "kib_per_tunnel", False,
                    HTTP_PEERS, None))
        out.append(("errors, %d CONNECT tunnels" % n, "count",
                    "idle_connect_%d" % n, "errors", False, HTTP_PEERS, None))
        out.append(("RSS/idle SOCKS5 tunnel @%d" % n, "KiB",
                    "idle_socks_%d" % n, "kib_per_tunnel", False,
                    SOCKS_PEERS, None))
        out.append(("errors, %d SOCKS5 tunnels" % n, "count",
                    "idle_socks_%d" % n, "errors", False, SOCKS_PEERS, None))
    return out


def fmt(v):
    if v is None:
        return "ERR"
    if isinstance(v, int) or v >= 1000 or float(v).is_integer():
        return "%d" % round(v)
    return "%.1f" % v if v >= 10 else "%.2f" % v if v >= 0.1 else "%.3f" % v


def cell_ratio(a, p):
    if a is None or p is None:
        return ""
    if p == 0:
        return " (-)" if a else " (=)"
    return " (%.2fx)" % (a / p)


def table(results):
    head = ["workload", "unit"] + COLUMNS
    lines = []
    for label, unit, metric, field, _hib, peer_list, dmetric in rows(results):
        if metric is None:
            lines.append([label, unit, "-", "TODO"] +
                         ["-"] * (len(COLUMNS) - 2))
            continue
        a = get(results, "airlock", metric, field)
        cells = [label, unit]
        d = get(results, "direct", dmetric, field) if dmetric else None
        if field == "x_direct":
            cells.append("1")
        else:
            cells.append(fmt(d) if dmetric else "-")
        cells.append(fmt(a))
        for peer in HTTP_PEERS + SOCKS_PEERS:
            if peer not in peer_list or peer not in results:
                cells.append("-")
                continue
            v = get(results, peer, metric, field)
            # x-direct rows repeat the MB/s row's ratios: none shown.
            cells.append(fmt(v) + ("" if field in ("errors", "x_direct")
                                   else cell_ratio(a, v)))
        lines.append(cells)
    widths = [max(len(r[i]) for r in [head] + lines) for i in range(len(head))]
    text = []
    for r in [head] + lines:
        text.append("  ".join(c.ljust(widths[i]) if i < 2 else
                              c.rjust(widths[i]) for i, c in enumerate(r)))
    text.insert(1, "-" * len(text[0]))
    return "\n".join(text)


def beats(results, metric, field, peer_list, higher):
    a = get(results, "airlock", metric, field)
    worst = None
    for peer in peer_list:
        v = get(results, peer, metric, field)
        if v is None:
            continue
        r = a / v if (a is not None and v) else None
        if r is not None and (worst is None or
                              (r < worst if higher else r > worst)):
            worst = r
        if a is None or (a <= v if higher else a >= v):
            return False, worst
    if worst is None:
        return None, None  # no peer measured
    return a is not None, worst


def goals(results):
    out = []

    def vs_direct(label, metric):
        a = get(results, "airlock", metric, "mbps")
        d = get(results, "direct", metric, "mbps")
        r = a / d if a is not None and d else None
        out.append((label, r is not None and r >= 0.8,
                    "airlock/direct = %s" % ("%.2f" % r if r else "ERR")))

    def vs_peers(label, metric, field, peer_list, higher):
        ok, worst = beats(results, metric, field, peer_list, higher)
        out.append((label, ok, "worst airlock/peer = %s" %
                    ("%.2f" % worst if worst is not None else "n/a")))

    vs_direct("CONNECT throughput >= 0.8x direct", "bulk_connect")
    vs_peers("CONNECT throughput above every peer", "bulk_connect", "mbps",
             HTTP_PEERS, True)
    vs_direct("SOCKS5 throughput >= 0.8x direct", "bulk_socks")
    vs_peers("SOCKS5 throughput above every peer", "bulk_socks", "mbps",
             SOCKS_PEERS, True)
    vs_peers("request rate above every peer", "wrk", "rps", HTTP_PEERS, True)
    for via, plist in (("connect", HTTP_PEERS), ("socks", SOCKS_PEERS)):
        for q in ("p50_us", "p99_us"):
            vs_peers("%s set-up %s below every peer" %
                     ("CONNECT" if via == "connect" else "SOCKS5", q[:3]),
                     "setup_" + via, q, plist, False)
    counts = idle_counts(results)
    worst = None
    for n in counts:
        for via in ("connect", "socks"):
            v = get(results, "airlock", "idle_%s_%d" % (via, n),
                    "kib_per_tunnel")
            worst = v if worst is None or v is None else max(worst, v)
    out.append(("under %d KiB RSS per idle tunnel" % RSS_GOAL_KIB,
                worst is not None and worst < RSS_GOAL_KIB,
                "worst = %s KiB" % fmt(worst)))
    big = max(counts) if counts else 0
    errs = [get(results, "airlock", "idle_%s_%d" % (via, big), "errors")
            for via in ("connect", "socks")]
    ok = big >= TUNNELS_GOAL and all(e == 0 for e in errs)
    out.append(("%d concurrent tunnels without an error" % TUNNELS_GOAL, ok,
                "held %d per protocol, errors CONNECT %s, SOCKS5 %s" %
                (big, errs[0], errs[1])))
    return out


def goals_proxy_core(results):
    """Issue #10 (proxy core restructure)."""
    out = []
    r = get(results, "airlock", "get_http", "x_direct")
    out.append(("plain GET via HTTP proxy >= %.1fx direct" % GET_GOAL_X_DIRECT,
                r is not None and r >= GET_GOAL_X_DIRECT,
                "airlock/direct = %s" % ("%.2f" % r if r else "ERR")))
    for label, metric in (("CONNECT", "bulk_connect"),
                          ("SOCKS5", "bulk_socks")):
        v = get(results, "airlock", metric, "cpu_s_per_gib")
        out.append(("proxy CPU <= %.1f s/GiB, %s bulk"
                    % (CPU_GOAL_S_PER_GIB, label),
                    v is not None and v <= CPU_GOAL_S_PER_GIB,
                    "airlock = %s s/GiB" % fmt(v)))
    out.append(("intercepted HTTPS bulk, before/after", "info",
                "reported in the TLS interception part below"))
    out.append(("every other figure at least where it was", "info",
                "compare with the baseline table in doc/bench.md"))
    return out


def goals_transparent(results):
    """Issue #12 (transparent connections): set-up p50 of a transparent
    connection against a CONNECT's, both from inside the same sandbox. The
    start-up goal is printed by bench/bench_run.sh."""
    c = get(results, "airlock", "setup_connect_sandbox", "p50_us")
    t = get(results, "airlock", "setup_transparent", "p50_us")
    ok = None if c is None or t is None else t <= TRANSPARENT_GOAL_X * c
    ratio = "%.2fx" % (t / c) if ok is not None and c else "n/a"
    return [("transparent set-up p50 <= %.1fx CONNECT's" % TRANSPARENT_GOAL_X,
             ok, "transparent %s us, CONNECT %s us (%s)"
             % (fmt(t), fmt(c), ratio)),
            ("`airlock run --network -- true` < 6 ms median", "info",
             "printed by the sandbox start-up part (bench/bench_run.sh)")]


def status(ok):
    if isinstance(ok, str):
        return ok
    return "n/a" if ok is None else "PASS" if ok else "MISS"


def render(out):
    results = out["results"]
    text = [table(results), "",
            "ratios in brackets are airlock/peer: above 1 is better for "
            "rates, below 1 for latency and memory",
            "direct set-up = plain TCP connect to the sink; "
            "direct bulk = one loopback stream, no proxy",
            "plain GET = curl -o /dev/null of a %d MiB body (xdirect: "
            "MB/s over the direct curl's); proxy CPU = user+sys of the "
            "proxy's process tree per GiB moved"
            % (out.get("get_bytes", 0) >> 20), ""]
    if out.get("quick"):
        text.append("QUICK RUN: sizes reduced, figures not comparable")
    for title, lines in (("issue #3", goals(results)),
                         ("issue #10", goals_proxy_core(results)),
                         ("issue #12", goals_transparent(results))):
        text.append("goals (%s; reported, not enforced)" % title)
        for label, ok, detail in lines:
            text.append("  %-4s %-46s %s" % (status(ok), label, detail))
    return "\n".join(text)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(render(json.load(f)))
