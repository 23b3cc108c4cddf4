"""Robustness of the HTTP proxy listener: deadlines, the connection cap,
graceful shutdown, reloads and the audit log. Deadlines are configured
tiny; tests assert a generous upper bound on them, and a lower bound that
the clock cannot break: timed from before the connection was made, so the
server's timer cannot have started earlier.
"""
import json
import signal
import socket
import time

import pytest

from httputil import (assert_clean_exit, closed_without_answer, connect,
                      http_config, origin, read_response, Reader,
                      sanitizer_env)
from proxyutil import nss_hosts, start_proxy, wait_for

BOUND = 10.0  # generous upper bound for anything a tiny deadline triggers
TINY_MS = 300
# libuv times from its cached loop clock, which may lag real time by a
# few milliseconds; a close earlier than this means the deadline is wrong.
LOWER = TINY_MS / 1000 - 0.05


@pytest.fixture
def start(airlock_env):
    started = []

    def go(text):
        p = start_proxy(airlock_env, text, sanitizer_env())
        started.append(p)
        return p

    yield go
    for p in started:
        assert_clean_exit(p)


def get_on(s, rd, o, path="/"):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" %
              (o.url(path).encode(), o.port))
    return read_response(rd)


def test_slow_client_is_closed_after_header_timeout(start):
    p = start(http_config(extra=f"header_timeout_ms = {TINY_MS}"))
    with origin() as o:
        t0 = time.monotonic()
        with connect(p.http) as s:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: 127." % o.url("/").encode())
            assert closed_without_answer(s, BOUND)
            elapsed = time.monotonic() - t0
        assert LOWER <= elapsed < BOUND
        assert o.connections == 0


def test_fourth_connection_over_cap_gets_503_and_first_three_work(start):
    p = start(http_config(extra="max_connections = 3"))
    with origin() as o:
        socks = [connect(p.http) for _ in range(3)]
        try:
            readers = [Reader(s) for s in socks]
            for s, rd in zip(socks, readers):
                assert get_on(s, rd, o).status == 200
            with connect(p.http) as extra:
                r = read_response(Reader(extra))
                assert r.status == 503
                assert b"connection limit" in r.body
            for s, rd in zip(socks, readers):
                assert get_on(s, rd, o).status == 200
        finally:
            for s in socks:
                s.close()


def test_idle_tunnel_is_closed_after_idle_timeout(start):
    p = start(http_config(extra=f"idle_timeout_ms = {TINY_MS}"))
    with origin() as o, connect(p.http) as s:
        t0 = time.monotonic()  # before the tunnel exists
        s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % o.port)
        rd = Reader(s)
        assert rd.until(b"\r\n\r\n").startswith(b"HTTP/1.1 200")
        assert closed_without_answer(s, BOUND)
        assert LOWER <= time.monotonic() - t0 < BOUND


def test_sigterm_finishes_download_in_flight_then_exits_0(start):
    p = start(http_config())
    with origin() as o, connect(p.http) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" %
                  (o.url("/hold").encode(), o.port))
        assert wait_for(lambda: o.holding == 1, BOUND)
        p.proc.send_signal(signal.SIGTERM)

        def refused():
            try:
                socket.create_connection(p.http, timeout=1).close()
                return False
            except OSError:
                return True
        assert wait_for(refused, BOUND)
        o.release.set()
        r = read_response(Reader(s))
        assert r.status == 200
        assert len(r.body) == 200000
    assert p.proc.wait(timeout=BOUND) == 0


def test_reload_with_bad_file_keeps_old_policy(start, airlock_env):
    p = start(http_config())
    with origin() as o:
        (airlock_env.home / "config.toml").write_text("[permissions.network\n")
        p.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "reload failed" in p.stderr(), BOUND)
        assert "config.toml" in p.stderr()
        with connect(p.http) as s:
            assert get_on(s, Reader(s), o).status == 200


def test_reload_with_good_file_changes_decisions(start, airlock_env):
    p = start(http_config(allowed=('"example.com"',)))
    with origin() as o:
        with connect(p.http) as s:
            assert get_on(s, Reader(s), o).status == 403
        (airlock_env.home / "config.toml").write_text(http_config())
        p.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "config reloaded" in p.stderr(), BOUND)
        with connect(p.http) as s:
            assert get_on(s, Reader(s), o).status == 200
        assert o.count == 1


def test_audit_log_has_allow_deny_and_tunnel_close_lines(start, airlock_env):
    log = airlock_env.root / "audit.jsonl"
    p = start(http_config(extra='audit_log = "%s"' % log))
    with origin() as o:
        with connect(p.http) as s:
            rd = Reader(s)
            assert get_on(s, rd, o).status == 200
            s.sendall(b"GET http://blocked.example/ HTTP/1.1\r\n"
                      b"Host: blocked.example\r\n\r\n")
            assert read_response(rd).status == 403
        with connect(p.http) as s:
            s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" %
                      o.port)
            rd = Reader(s)
            rd.until(b"\r\n\r\n")
            assert get_on(s, rd, o, "/t").status == 200

    def lines():
        if not log.exists():
            return []
        return [json.loads(x) for x in log.read_text().splitlines()]
    assert wait_for(lambda: any(e["event"] == "tunnel_close"
                                for e in lines()), BOUND)
    ev = lines()
    decisions = [(e["decision"], e["host"], e["protocol"]) for e in ev
                 if e["event"] == "decision"]
    assert ("allow", "127.0.0.1", "http") in decisions
    assert ("deny", "blocked.example", "http") in decisions
    assert ("allow", "127.0.0.1", "https_connect") in decisions
    tc = [e for e in ev if e["event"] == "tunnel_close"][0]
    assert tc["port"] == o.port
    assert tc["bytes_up"] > 0 and tc["bytes_down"] > 0


def test_heads_of_16000_header_fields_get_431_and_others_are_served(start):
    """A 64 KiB head of 16,000 tiny header fields costs the proxy no more
    than its bytes: it is answered 431 at once (nothing reaches the
    origin), and while ten such heads arrive a plain request on another
    connection is still served. Before the header cap, hop-by-hop
    stripping compared every header with every other and held the loop
    for seconds per head."""
    p = start(http_config())
    with origin() as o:
        head = (b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" %
                (o.url("/").encode(), o.port))
        head += b"a:\r\n" * 16000 + b"\r\n"
        assert len(head) < 64 * 1024
        evil = [connect(p.http) for _ in range(10)]
        try:
            for s in evil:
                s.sendall(head)
            with connect(p.http, timeout=5) as s:
                assert get_on(s, Reader(s), o).status == 200
            for s in evil:
                r = read_response(Reader(s))
                assert r.status == 431
                assert b"too many header fields" in r.body
        finally:
            for s in evil:
                s.close()
        assert o.count == 1


@pytest.mark.parametrize("how", ["-v", "AIRLOCK_LOG=debug", "quiet"])
def test_debug_log_says_why_a_connection_closed(airlock_env, how):
    """`airlock -v` or AIRLOCK_LOG=debug makes the debug messages
    reachable, among them why each client connection closed; without
    either they stay quiet."""
    e = sanitizer_env()
    if how.startswith("AIRLOCK_LOG="):
        e["AIRLOCK_LOG"] = how.split("=", 1)[1]
    p = start_proxy(airlock_env, http_config(), e,
                    pre_args=("-v",) if how == "-v" else ())
    try:
        with origin() as o:
            with connect(p.http) as s:
                assert get_on(s, Reader(s), o).status == 200
            with connect(p.http) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\xff\r\n\r\n")
                assert read_response(Reader(s)).status == 400
        deadline = time.monotonic() + BOUND
        want = ("closed: client gone", "closed: closed after the answer")
        while (how != "quiet" and time.monotonic() < deadline and
               not all(w in p.stderr() for w in want)):
            time.sleep(0.05)
    finally:
        assert_clean_exit(p)
    for w in want:
        assert (w in p.stderr()) == (how != "quiet"), (w, p.stderr())


def test_client_leaving_while_its_request_is_decided_cancels_the_decision(
        airlock_env):
    """A request waits in DECIDING for as long as its decision takes (here
    a name whose lookup never answers; with approvals, a person). The
    connection keeps reading meanwhile, so a client that goes away ends it
    and cancels the decision: the lookup's own deadline (2 s) then finds no
    one to fail, and nothing is recorded as a failed lookup."""
    name = "never.hang.airlock.test"
    e = dict(nss_hosts(airlock_env, {name: "hang"}), **sanitizer_env())
    p = start_proxy(airlock_env, http_config(
        allowed=('"%s"' % name, '"127.0.0.1"')), e)
    try:
        s = connect(p.http)
        s.sendall(b"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n"
                  % (name.encode(), name.encode()))
        time.sleep(0.2)  # the request is being decided
        s.close()
        time.sleep(3)    # past the lookup's 2 s deadline
        with origin() as o, connect(p.http) as s2:
            assert get_on(s2, Reader(s2), o).status == 200
        assert metric(p, "airlock_upstream_errors_total") == 0
    finally:
        assert_clean_exit(p)


def metric(p, name):
    with connect(p.admin) as c:
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: a\r\n%s"
                  b"Connection: close\r\n\r\n" % p.admin_auth())
        body = read_response(Reader(c)).body.decode()
    for line in body.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError("no %s in %r" % (name, body))
