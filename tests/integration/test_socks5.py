"""The SOCKS5 listener of `airlock proxy`, driven by curl, python requests
and a raw-socket client (DESIGN §4.4, §5; reference §9).

Host names resolve through the fake resolver (fakedns.c) (origin.airlock.test, blocked.airlock.test →
127.0.0.1), so nothing here uses real DNS or leaves loopback.
"""
import socket
import subprocess
import time

import pytest

from proxyutil import (closed_by_peer, free_tcp_port, nss_hosts,
                       origin_server, recv_exact, socks5_connect,
                       socks5_request, socks5_udp_unwrap, socks5_udp_wrap,
                       start_proxy, udp_echo, wait_for)

CONNECT, BIND, UDP = 1, 2, 3
REP_OK, REP_FAIL, REP_NOT_ALLOWED, REP_HOST_UNREACH = 0, 1, 2, 4
REP_REFUSED, REP_CMD = 5, 7
NAMES = {"origin.airlock.test": "127.0.0.1", "blocked.airlock.test": "127.0.0.1",
         "other.airlock.test": "127.0.0.1"}


def config(mode="full", allowed=('"127.0.0.1"', '"localhost"',
                                 '"origin.airlock.test"'),
           denied=(), local=True, udp=True, enabled=True, extra=""):
    return """
[permissions.network]
enabled = %s
mode = "%s"
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
socks_url = "http://127.0.0.1:0"
enable_socks5 = true
enable_socks5_udp = %s
allow_local_binding = %s
allowed_domains = [%s]
denied_domains = [%s]
%s
""" % (str(enabled).lower(), mode, str(udp).lower(), str(local).lower(),
       ", ".join(allowed), ", ".join(denied), extra)


@pytest.fixture
def proxy_factory(airlock_env):
    started = []

    def start(text):
        p = start_proxy(airlock_env, text, nss_hosts(airlock_env, NAMES))
        started.append(p)
        return p

    yield start
    for p in started:
        # A clean exit (0) also means no sanitizer report in ASan builds.
        assert p.stop() == 0, p.stderr()
        assert "Sanitizer" not in p.stderr()


def curl(flag, proxy, url):
    return subprocess.run(
        ["curl", "-sS", "--max-time", "10", flag,
         "%s:%d" % proxy.socks, url],
        capture_output=True, timeout=30)


def request_rep(proxy, host, port, cmd=CONNECT):
    s, method = socks5_connect(proxy.socks)
    with s:
        assert method == 0
        rep, _ = socks5_request(s, cmd, host, port)
        return rep


# --- CONNECT through real clients ---------------------------------------------

def test_curl_socks5_hostname_fetches_from_allowed_origin(proxy_factory):
    p = proxy_factory(config())
    with origin_server() as o:
        r = curl("--socks5-hostname", p, o.url("/x", "origin.airlock.test"))
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"hello from origin\n"
        assert o.count == 1


def test_curl_socks5_ip_literal_fetches_from_allowed_origin(proxy_factory):
    p = proxy_factory(config(local=False))
    with origin_server() as o:
        r = curl("--socks5", p, o.url("/"))
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"hello from origin\n"


def test_curl_denied_host_never_reaches_origin(proxy_factory):
    p = proxy_factory(config(allowed=('"**.airlock.test"',),
                             denied=('"blocked.airlock.test"',)))
    with origin_server() as o:
        r = curl("--socks5-hostname", p, o.url("/", "blocked.airlock.test"))
        assert r.returncode != 0
        assert o.count == 0


def test_requests_socks5h_fetches_from_allowed_origin(proxy_factory,
                                                       airlock_env):
    import requests
    p = proxy_factory(config())
    url = "socks5h://%s:%d" % p.socks
    with origin_server() as o:
        r = requests.get(o.url("/py", "origin.airlock.test"), timeout=10,
                         proxies={"http": url, "https": url})
        assert r.status_code == 200
        assert r.text == "hello from origin\n"
        assert o.requests[0][1] == "/py"


def test_success_reply_carries_upstream_local_address(proxy_factory):
    p = proxy_factory(config())
    with origin_server() as o:
        s, _ = socks5_connect(p.socks)
        with s:
            rep, (host, port) = socks5_request(s, CONNECT, "127.0.0.1",
                                               o.port)
            assert rep == REP_OK
            assert host == "127.0.0.1" and port != 0
            s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
            assert recv_exact(s, 12)[9:] == b"200"


def test_bytes_sent_with_the_request_reach_the_target(proxy_factory):
    p = proxy_factory(config())
    with origin_server() as o:
        s = socket.create_connection(p.socks, timeout=5)
        with s:
            s.sendall(b"\x05\x01\x00" + b"\x05\x01\x00\x01\x7f\x00\x00\x01"
                      + o.port.to_bytes(2, "big")
                      + b"GET /early HTTP/1.0\r\n\r\n")
            assert recv_exact(s, 2) == b"\x05\x00"
            assert recv_exact(s, 4)[1] == REP_OK
            recv_exact(s, 6)
            assert recv_exact(s, 12)[9:] == b"200"
        assert o.requests[0][1] == "/early"


# --- refusals seen on the wire ---------------------------------------------------

def test_deny_list_wins_over_allow_list_with_rep_0x02(proxy_factory):
    p = proxy_factory(config(allowed=('"**.airlock.test"',),
                             denied=('"blocked.airlock.test"',)))
    with origin_server() as o:
        assert request_rep(p, "blocked.airlock.test", o.port) == REP_NOT_ALLOWED
        assert o.count == 0


def test_allowlist_miss_is_refused_with_rep_0x02(proxy_factory):
    p = proxy_factory(config())
    with origin_server() as o:
        assert request_rep(p, "other.airlock.test", o.port) == REP_NOT_ALLOWED
        assert o.count == 0


def test_private_address_without_allow_local_binding_is_refused(
        proxy_factory):
    # origin.airlock.test is allowlisted by name but resolves to loopback.
    p = proxy_factory(config(allowed=('"origin.airlock.test"',), local=False))
    with origin_server() as o:
        assert request_rep(p, "origin.airlock.test", o.port) == REP_NOT_ALLOWED
        assert request_rep(p, "127.0.0.1", o.port) == REP_NOT_ALLOWED
        assert o.count == 0


def test_disabled_proxy_refuses_with_rep_0x02(proxy_factory):
    p = proxy_factory(config(enabled=False))
    with origin_server() as o:
        assert request_rep(p, "127.0.0.1", o.port) == REP_NOT_ALLOWED
        assert o.count == 0


def test_unresolvable_host_is_host_unreachable(proxy_factory):
    p = proxy_factory(config(allowed=('"**.airlock.invalid"',)))
    assert request_rep(p, "nowhere.airlock.invalid", 80) == REP_HOST_UNREACH


def test_refused_dial_maps_to_connection_refused(proxy_factory):
    p = proxy_factory(config())
    assert request_rep(p, "127.0.0.1", free_tcp_port()) == REP_REFUSED


def test_bind_is_command_not_supported(proxy_factory):
    p = proxy_factory(config())
    assert request_rep(p, "127.0.0.1", 80, cmd=BIND) == REP_CMD


def test_unknown_command_is_command_not_supported(proxy_factory):
    p = proxy_factory(config())
    assert request_rep(p, "127.0.0.1", 80, cmd=9) == REP_CMD


def test_udp_associate_when_udp_disabled_is_not_supported(proxy_factory):
    p = proxy_factory(config(udp=False))
    assert request_rep(p, "0.0.0.0", 0, cmd=UDP) == REP_CMD


def test_client_without_noauth_gets_0xff_and_is_closed(proxy_factory):
    p = proxy_factory(config())
    s, method = socks5_connect(p.socks, methods=b"\x02")
    with s:
        assert method == 0xFF
        assert closed_by_peer(s)


def test_garbage_version_is_closed_without_reply(proxy_factory):
    p = proxy_factory(config())
    with socket.create_connection(p.socks, timeout=5) as s:
        s.sendall(b"\x04\x01\x00\x50\x7f\x00\x00\x01\x00")
        assert closed_by_peer(s)


def test_limited_mode_refuses_socks_except_443(proxy_factory):
    # Port 443 is intercepted in limited mode (test_mitm.py).
    p = proxy_factory(config(mode="limited"))
    with origin_server() as o:
        assert request_rep(p, "127.0.0.1", 80) == REP_NOT_ALLOWED
        assert request_rep(p, "127.0.0.1", o.port) == REP_NOT_ALLOWED
        assert o.count == 0


# --- UDP ASSOCIATE ------------------------------------------------------------------

class Assoc:
    """A UDP association: the control connection and a client socket."""

    def __init__(self, proxy):
        self.ctl, method = socks5_connect(proxy.socks)
        assert method == 0
        rep, self.relay = socks5_request(self.ctl, UDP, "0.0.0.0", 0)
        assert rep == REP_OK
        assert self.relay[0] == "127.0.0.1" and self.relay[1] != 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)

    def send(self, host, port, payload, frag=0, sock=None):
        (sock or self.sock).sendto(
            socks5_udp_wrap(host, port, payload, frag), self.relay)

    def recv(self):
        """The unwrapped next datagram, or None after the timeout."""
        try:
            data, src = self.sock.recvfrom(70000)
        except socket.timeout:
            return None
        assert src == self.relay
        return socks5_udp_unwrap(data)

    def close(self):
        self.sock.close()
        self.ctl.close()


@pytest.fixture
def assoc_factory():
    made = []

    def make(proxy):
        a = Assoc(proxy)
        made.append(a)
        return a

    yield make
    for a in made:
        a.close()


def test_udp_associate_echoes_through_the_relay(proxy_factory,
                                                 assoc_factory):
    p = proxy_factory(config())
    with udp_echo() as e:
        a = assoc_factory(p)
        a.send("127.0.0.1", e.port, b"ping")
        assert a.recv() == ("127.0.0.1", e.port, b"ping")
        a.send("origin.airlock.test", e.port, b"by name")
        assert a.recv() == ("127.0.0.1", e.port, b"by name")


def test_denied_datagram_is_dropped_and_association_lives_on(
        proxy_factory, assoc_factory):
    p = proxy_factory(config(allowed=('"127.0.0.1"', '"**.airlock.test"'),
                             denied=('"blocked.airlock.test"',)))
    with udp_echo() as e:
        a = assoc_factory(p)
        a.send("blocked.airlock.test", e.port, b"denied")
        a.send("127.0.0.2", e.port, b"not listed")
        assert a.recv() is None
        a.send("127.0.0.1", e.port, b"allowed")
        assert a.recv() == ("127.0.0.1", e.port, b"allowed")
        assert [d for d, _ in e.received] == [b"allowed"]


def test_fragmented_datagram_is_dropped(proxy_factory, assoc_factory):
    p = proxy_factory(config())
    with udp_echo() as e:
        a = assoc_factory(p)
        a.send("127.0.0.1", e.port, b"frag", frag=1)
        assert a.recv() is None
        a.send("127.0.0.1", e.port, b"whole")
        assert a.recv() == ("127.0.0.1", e.port, b"whole")
        assert [d for d, _ in e.received] == [b"whole"]


def test_datagrams_from_another_source_port_are_ignored(proxy_factory,
                                                         assoc_factory):
    p = proxy_factory(config())
    with udp_echo() as e:
        a = assoc_factory(p)
        a.send("127.0.0.1", e.port, b"first")
        assert a.recv() == ("127.0.0.1", e.port, b"first")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
            other.bind(("127.0.0.1", 0))
            other.settimeout(0.5)
            a.send("127.0.0.1", e.port, b"stranger", sock=other)
            with pytest.raises(socket.timeout):
                other.recvfrom(70000)
        assert a.recv() is None
        assert [d for d, _ in e.received] == [b"first"]


def test_replies_from_unknown_sources_are_not_forwarded(proxy_factory,
                                                        assoc_factory):
    p = proxy_factory(config())
    with udp_echo() as e:
        a = assoc_factory(p)
        a.send("127.0.0.1", e.port, b"hi")
        assert a.recv() == ("127.0.0.1", e.port, b"hi")
        # The proxy's outbound socket is the echo's only peer.
        out = e.received[0][1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rogue:
            rogue.bind(("127.0.0.1", 0))
            rogue.sendto(b"spoof", out)
        assert a.recv() is None


def test_limited_mode_drops_every_datagram(proxy_factory, assoc_factory):
    p = proxy_factory(config(mode="limited"))
    with udp_echo() as e:
        a = assoc_factory(p)
        a.send("127.0.0.1", e.port, b"x")
        assert a.recv() is None
        assert e.count == 0


def test_closing_control_connection_ends_the_association(proxy_factory,
                                                          assoc_factory):
    p = proxy_factory(config())
    with udp_echo() as e:
        a = assoc_factory(p)
        a.send("127.0.0.1", e.port, b"one")
        assert a.recv() is not None
        a.ctl.close()

        def relay_gone():
            try:
                a.send("127.0.0.1", e.port, b"late")
            except ConnectionRefusedError:
                return True
            return a.recv() is None and e.count == 1

        assert wait_for(relay_gone)


# --- deadlines, the connection cap and shutdown ----------------------------------

# A deadline of 300 ms must not close earlier (timed from before the
# connection exists; libuv's cached clock may lag by a few ms).
LOWER_S = 0.25


def test_silent_client_is_closed_after_the_header_timeout(proxy_factory):
    p = proxy_factory(config(extra="header_timeout_ms = 300"))
    t0 = time.monotonic()
    with socket.create_connection(p.socks, timeout=5) as s:
        s.sendall(b"\x05\x01")  # half a greeting, then nothing
        assert closed_by_peer(s)
        assert time.monotonic() - t0 >= LOWER_S


def test_over_the_cap_the_request_gets_general_failure(proxy_factory):
    p = proxy_factory(config(extra="max_connections = 1"))
    with origin_server() as o:
        first, _ = socks5_connect(p.socks)
        with first:
            second, method = socks5_connect(p.socks)
            with second:
                assert method == 0
                rep, _ = socks5_request(second, CONNECT, "127.0.0.1", o.port)
                assert rep == REP_FAIL
                assert closed_by_peer(second)
        assert o.count == 0


def test_idle_tunnel_is_closed(proxy_factory):
    p = proxy_factory(config(extra="idle_timeout_ms = 300"))
    with origin_server() as o:
        s, _ = socks5_connect(p.socks)
        with s:
            t0 = time.monotonic()  # before the tunnel exists
            rep, _ = socks5_request(s, CONNECT, "127.0.0.1", o.port)
            assert rep == REP_OK
            assert closed_by_peer(s)
            assert time.monotonic() - t0 >= LOWER_S


def test_idle_udp_association_is_closed(proxy_factory, assoc_factory):
    p = proxy_factory(config(extra="idle_timeout_ms = 300"))
    a = assoc_factory(p)
    assert closed_by_peer(a.ctl)


def test_shutdown_closes_connections_still_greeting(proxy_factory):
    p = proxy_factory(config())
    s, method = socks5_connect(p.socks)  # accepted, waiting for a request
    with s:
        assert method == 0
        p.proc.terminate()
        assert closed_by_peer(s)
        assert p.proc.wait(timeout=10) == 0


# --- IPv6 ------------------------------------------------------------------------------

def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_v6 = pytest.mark.skipif(not have_ipv6_loopback(),
                              reason="no IPv6 loopback")


@needs_v6
def test_connect_by_ipv6_address(proxy_factory):
    p = proxy_factory(config(allowed=('"::1"',)))
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as ls:
        ls.bind(("::1", 0))
        ls.listen(1)
        ls.settimeout(5)
        s, _ = socks5_connect(p.socks)
        with s:
            rep, (host, _) = socks5_request(s, CONNECT, "::1",
                                            ls.getsockname()[1])
            assert rep == REP_OK and host == "::1"
            peer, _ = ls.accept()
            with peer:
                peer.settimeout(5)
                s.sendall(b"up")
                assert recv_exact(peer, 2) == b"up"
                peer.sendall(b"down")
                assert recv_exact(s, 4) == b"down"


@needs_v6
def test_udp_relay_binds_ipv6_loopback_for_an_ipv6_listener(
        proxy_factory, airlock_env):
    p = proxy_factory(config().replace(
        'socks_url = "http://127.0.0.1:0"', 'socks_url = "http://[::1]:0"'))
    assert p.socks[0] == "::1"
    with udp_echo() as e:
        ctl, _ = socks5_connect(p.socks)
        with ctl, socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as u:
            rep, relay = socks5_request(ctl, UDP, "::", 0)
            assert rep == REP_OK and relay[0] == "::1"
            u.bind(("::1", 0))
            u.settimeout(2)
            u.sendto(socks5_udp_wrap("127.0.0.1", e.port, b"v6"), relay)
            data, _ = u.recvfrom(70000)
            assert socks5_udp_unwrap(data) == ("127.0.0.1", e.port, b"v6")


def test_associate_naming_a_source_port_accepts_only_that_port(
        proxy_factory):
    p = proxy_factory(config())
    with udp_echo() as e, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mine, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        mine.bind(("127.0.0.1", 0))
        other.bind(("127.0.0.1", 0))
        mine.settimeout(2)
        other.settimeout(0.5)
        ctl, _ = socks5_connect(p.socks)
        with ctl:
            rep, relay = socks5_request(ctl, UDP, "127.0.0.1",
                                        mine.getsockname()[1])
            assert rep == REP_OK
            other.sendto(socks5_udp_wrap("127.0.0.1", e.port, b"x"), relay)
            with pytest.raises(socket.timeout):
                other.recvfrom(70000)
            mine.sendto(socks5_udp_wrap("127.0.0.1", e.port, b"y"), relay)
            data, _ = mine.recvfrom(70000)
            assert socks5_udp_unwrap(data)[2] == b"y"
        assert [d for d, _ in e.received] == [b"y"]


def audit_lines(path, protocol):
    import json
    if not path.exists():
        return []
    rows = [json.loads(l) for l in path.read_text().splitlines() if l]
    return [r for r in rows
            if r.get("event") == "decision" and r.get("protocol") == protocol]


def test_udp_allow_is_decided_once_and_each_denial_recorded(
        proxy_factory, assoc_factory, airlock_env):
    log = airlock_env.root / "audit.jsonl"
    p = proxy_factory(config(extra='audit_log = "%s"' % log))
    with udp_echo() as e:
        a = assoc_factory(p)
        for i in range(3):
            a.send("127.0.0.1", e.port, b"n%d" % i)
            assert a.recv() == ("127.0.0.1", e.port, b"n%d" % i)
        a.send("127.0.0.9", e.port, b"no")
        a.send("127.0.0.9", e.port, b"no")
        assert a.recv() is None

        def decided():
            rows = audit_lines(log, "socks5_udp")
            return [(r["decision"], r["host"]) for r in rows]

        assert wait_for(lambda: len(decided()) >= 3)
        assert decided() == [("allow", "127.0.0.1"), ("deny", "127.0.0.9"),
                             ("deny", "127.0.0.9")]


def test_connect_decisions_and_tunnels_are_audited(proxy_factory,
                                                    airlock_env):
    import json
    log = airlock_env.root / "audit.jsonl"
    p = proxy_factory(config(extra='audit_log = "%s"' % log))
    with origin_server() as o:
        r = curl("--socks5-hostname", p, o.url("/", "origin.airlock.test"))
        assert r.returncode == 0
    assert request_rep(p, "other.airlock.test", 80) == REP_NOT_ALLOWED

    def rows():
        return [json.loads(l) for l in log.read_text().splitlines() if l]

    assert wait_for(lambda: len(rows()) >= 3)
    got = [(r["event"], r.get("decision"), r["host"]) for r in rows()]
    assert ("decision", "allow", "origin.airlock.test") in got
    assert ("decision", "deny", "other.airlock.test") in got
    assert any(r["event"] != "decision" and r["host"] == "origin.airlock.test"
               and r["protocol"] == "socks5_tcp" for r in rows())
