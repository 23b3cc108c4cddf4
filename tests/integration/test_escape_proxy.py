"""Attacks on the managed proxy's network policy and on its availability
(issue 9, items 10-15), each performed for real against `airlock proxy`.

Loopback only. Where an attack needs a "public" address or a NAT64
gateway, the proxy, the target and the client run together in a network
namespace this module makes with `unshare -Urn` (no root needed), where
the IPv6 addresses that embed IPv4 ones are put on its own `lo`: the old
proxy really reached them there. Every wait is bounded; no test depends on
timing beyond generous bounds (a deadline is checked from below and
proven to have been enforced within a budget ten times larger).

The tests run as root and, in CI, as uid 65534; the intercepted-HTTPS ones
use test_mitm's setup, whose TLS origin stands for port 443 through the
fake resolver's connect redirect, so they need no privilege either.
"""
import json
import os
import pathlib
import shlex
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

import pytest

from conftest import Env
from httputil import (Reader, assert_clean_exit, connect, origin,
                      raw_exchange, read_response, sanitizer_env)
from proxyutil import (closed_by_peer, nss_hosts, recv_exact, socks5_connect,
                       socks5_request, start_proxy, udp_echo, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
CONNECT, UDP = 1, 3
GOOD = "good.airlock.test"
EVIL = "evil.airlock.test"


def cfg(mode="full", allowed=(), denied=(), local=True, extra=""):
    q = lambda v: ", ".join('"%s"' % x for x in v)  # noqa: E731
    return """
[permissions.network]
enabled = true
mode = "%s"
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
socks_url = "http://127.0.0.1:0"
enable_socks5 = true
enable_socks5_udp = true
allow_local_binding = %s
allowed_domains = [%s]
denied_domains = [%s]
%s
""" % (mode, str(local).lower(), q(allowed), q(denied), extra)


@pytest.fixture
def proxies(airlock_env):
    """start(config, names={}) -> a running proxy; all checked at exit."""
    started = []

    def start(text, names=None):
        e = dict(nss_hosts(airlock_env, names or {}), **sanitizer_env())
        p = start_proxy(airlock_env, text, e)
        started.append(p)
        return p

    yield start
    for p in started:
        assert_clean_exit(p)


def admin_blocked(p):
    with connect(p.admin) as c:
        c.sendall(b"GET /blocked HTTP/1.1\r\nHost: a\r\n" + p.admin_auth() +
                  b"Connection: close\r\n\r\n")
        return json.loads(read_response(Reader(c)).body)["blocked"]


def audit(env):
    path = env.root / "audit.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()]


def audit_line(env):
    return 'audit_log = "%s"' % (env.root / "audit.jsonl")


def http_get(p, url, extra=b"", method=b"GET", head=False):
    host = url.split("/")[2].encode()
    return raw_exchange(p.http, b"%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n"
                        % (method, url.encode(), host, extra), head)


# --- item 10: a SOCKS5 domain carrying its own port ----------------------------


def socks_rep(p, host, port, domain_bytes=None):
    """REP for a CONNECT; domain_bytes sends a raw ATYP=3 name as is."""
    s, method = socks5_connect(p.socks)
    with s:
        assert method == 0
        if domain_bytes is None:
            rep, _ = socks5_request(s, CONNECT, host, port)
            return rep
        s.sendall(b"\x05\x01\x00\x03" + bytes([len(domain_bytes)]) +
                  domain_bytes + struct.pack("!H", port))
        head = s.recv(3)
        return head[1] if len(head) >= 2 else None


def test_socks5_domain_carrying_a_port_is_judged_on_the_port_dialled(
        proxies, airlock_env):
    with origin() as trap:
        # A port-scoped allow entry must not open every port ...
        p = proxies(cfg(allowed=[GOOD + ":443"]), {GOOD: "127.0.0.1"})
        rep = socks_rep(p, None, trap.port, b"%s:443" % GOOD.encode())
        assert rep not in (0, None)
        assert socks_rep(p, GOOD, trap.port) == 2
        # ... and a port-scoped deny entry must not be skipped; the audit
        # log records the port that was asked for.
        q = proxies(cfg(allowed=[GOOD], denied=["%s:%d" % (GOOD, trap.port)],
                        extra=audit_line(airlock_env)), {GOOD: "127.0.0.1"})
        rep = socks_rep(q, None, trap.port, b"%s:443" % GOOD.encode())
        assert rep not in (0, None)
        assert socks_rep(q, GOOD, trap.port) == 2
        assert trap.connections == 0
    q.stop()
    denied = [e for e in audit(airlock_env) if e.get("reason") == "denied"]
    assert denied and all(e["port"] == trap.port for e in denied)
    assert not any(e.get("port") == 443 for e in audit(airlock_env))


def test_socks5_udp_domain_carrying_a_port_is_dropped(proxies):
    p = proxies(cfg(allowed=[GOOD + ":443"]), {GOOD: "127.0.0.1"})
    with udp_echo() as e:
        ctl, method = socks5_connect(p.socks)
        with ctl, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            assert method == 0
            rep, relay = socks5_request(ctl, UDP, "0.0.0.0", 0)
            assert rep == 0
            name = b"%s:443" % GOOD.encode()
            u.bind(("127.0.0.1", 0))
            for _ in range(3):
                u.sendto(b"\x00\x00\x00\x03" + bytes([len(name)]) + name +
                         struct.pack("!H", e.port) + b"leak", relay)
            u.settimeout(1.0)
            with pytest.raises(socket.timeout):
                u.recvfrom(65535)
        assert e.count == 0


@pytest.mark.parametrize("request_bytes", [
    b"CONNECT %(g)s:443:%(p)d HTTP/1.1\r\nHost: %(g)s:443\r\n\r\n",
    b"CONNECT [%(g)s:443]:%(p)d HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET http://%(g)s:443:%(p)d/ HTTP/1.1\r\nHost: %(g)s:443:%(p)d\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: %(g)s:443:%(p)d\r\n\r\n",
    b"GET http://%(g)s:443/ HTTP/1.1\r\nHost: %(g)s:%(p)d\r\n\r\n",
])
def test_http_authority_cannot_carry_a_second_port(proxies, request_bytes):
    with origin() as trap:
        p = proxies(cfg(allowed=[GOOD + ":443"]), {GOOD: "127.0.0.1"})
        r = raw_exchange(p.http, request_bytes % {b"g": GOOD.encode(),
                                                  b"p": trap.port})
        assert r.status == 400
        assert trap.connections == 0


# --- item 11: IP deny entries vs IPv6 that embeds the IPv4 address --------------

NAT64_DENIED = [
    "64:ff9b::909:909",                       # NAT64 well-known prefix
    "64:ff9b:1::909:909",                     # NAT64 local-use prefix
    "2002:909:909::1",                        # 6to4
    "2001:0:4136:e378:8000:63bf:f6f6:f6f6",   # Teredo, client 9.9.9.9
]
NAT64_ALLOWED = "64:ff9b::101:101"            # 1.1.1.1: not denied


def userns_or_skip():
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("unshare (util-linux) is not installed")
    r = subprocess.run([unshare, "-Urn", "true"], capture_output=True,
                       timeout=30)
    if r.returncode != 0:
        pytest.skip("needs unprivileged user namespaces: %s"
                    % r.stderr.decode(errors="replace").strip())
    ip = shutil.which("ip", path=os.environ.get("PATH", "") +
                      ":/usr/sbin:/sbin")
    if ip is None:
        pytest.fail("ip (iproute2) is not installed")
    return unshare, ip


def in_netns(env, scenario, addrs):
    """Runs scenario(root) of this module in a new user+network namespace
    whose lo also holds addrs; returns what it printed (JSON)."""
    unshare, ip = userns_or_skip()
    code = ("import sys, json; sys.path.insert(0, %r); "
            "import test_escape_proxy as t; print(json.dumps(t.%s(%r)))"
            % (HERE, scenario, str(env.root / "ns")))
    setup = ["%s link set lo up" % ip] + [
        "%s -6 addr add %s/128 dev lo" % (ip, a) for a in addrs]
    script = " && ".join(setup) + " && exec %s -c %s" % (
        shlex.quote(sys.executable), shlex.quote(code))
    r = subprocess.run([unshare, "-Urn", "sh", "-c", script],
                       env=dict(os.environ), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return json.loads(r.stdout.decode().splitlines()[-1])


class Target:
    """A TCP server on (addr, port) that answers anything with a fixed HTTP
    response and counts connections: the host behind the gateway."""

    def __init__(self, addr, port):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.addr = addr
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self.stopping = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            with c:
                c.settimeout(2)
                try:
                    c.recv(4096)
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n"
                              b"Connection: close\r\n\r\nreached\n")
                except OSError:
                    pass

    def close(self):
        self.stopping = True
        self.t.join(timeout=5)
        self.sock.close()


def _attempts(p, host, bracket):
    """CONNECT, plain GET and SOCKS5 to host; what each got."""
    auth = "[%s]" % host if bracket else host
    out = {}
    with connect(p.http) as s:
        s.sendall(b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n"
                  % (auth.encode(), auth.encode()))
        rd = Reader(s)
        r = read_response(rd, head_request=True)
        out["connect"] = (r.status, r.header("x-proxy-error"))
        if r.status == 200:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            out["tunnel_body"] = read_response(rd).body.decode()
    r = http_get(p, "http://%s/" % auth)
    out["http"] = (r.status, r.header("x-proxy-error"))
    s, _ = socks5_connect(p.socks)
    with s:
        out["socks"] = socks5_request(s, CONNECT, host, 443)[0]
    return out


def _sanitizer_reports(p):
    err = p.stderr()
    return [b for b in ("AddressSanitizer", "LeakSanitizer", "runtime error:")
            if b in err]


def _nat64_proxy(root, allowed, denied, names=None):
    env = Env(pathlib.Path(root))
    e = dict(nss_hosts(env, names or {}), **sanitizer_env())
    return start_proxy(env, cfg(allowed=allowed, denied=denied,
                                extra=audit_line(env)), e), env


def ns_nat64_literals(root):
    """In the namespace: every IPv6 spelling of denied 9.9.9.9 is on lo
    with a target on ports 80 and 443."""
    targets = [Target(a, port) for a in NAT64_DENIED + [NAT64_ALLOWED]
               for port in (80, 443)]
    p, env = _nat64_proxy(root, ["*"], ["9.9.9.9"])
    try:
        got = {a: _attempts(p, a, True) for a in NAT64_DENIED + [NAT64_ALLOWED]}
    finally:
        p.stop()
        for t in targets:
            t.close()
    got["reached"] = {a: sum(t.connections for t in targets
                             if t.addr == a)
                      for a in NAT64_DENIED + [NAT64_ALLOWED]}
    got["audit"] = audit(env)
    got["sanitizer"] = _sanitizer_reports(p)
    return got


def test_ipv6_literal_embedding_a_denied_ipv4_is_denied(airlock_env):
    got = in_netns(airlock_env, "ns_nat64_literals",
                   NAT64_DENIED + [NAT64_ALLOWED])
    # The namespace really routes these: the allowed spelling is reached.
    assert got[NAT64_ALLOWED]["connect"] == [200, None]
    assert got[NAT64_ALLOWED]["tunnel_body"] == "reached\n"
    assert got[NAT64_ALLOWED]["http"] == [200, None]
    assert got[NAT64_ALLOWED]["socks"] == 0
    for a in NAT64_DENIED:
        assert got[a]["connect"] == [403, "blocked-by-denylist"], a
        assert got[a]["http"] == [403, "blocked-by-denylist"], a
        assert got[a]["socks"] == 2, a
        assert got["reached"][a] == 0, a
    denied = [e for e in got["audit"] if e.get("reason") == "denied"]
    assert len(denied) == 3 * len(NAT64_DENIED)
    assert all(e["matched"] == "9.9.9.9" for e in denied)
    assert got["sanitizer"] == []


def ns_dns64_names(root):
    """In the namespace: names whose only address is a DNS64-synthesised
    AAAA for a denied IPv4 (9.9.9.0/24), and one for an allowed IPv4."""
    targets = [Target(a, port) for a in ("64:ff9b::909:909", NAT64_ALLOWED)
               for port in (80, 443)]
    names = {"dns64.airlock.test": "64:ff9b::909:909",
             "ok64.airlock.test": NAT64_ALLOWED}
    p, env = _nat64_proxy(root, ["**.airlock.test"], ["9.9.9.0/24"], names)
    try:
        got = {n: _attempts(p, n, False) for n in names}
    finally:
        p.stop()
        for t in targets:
            t.close()
    got["reached"] = sum(t.connections for t in targets
                         if t.addr == "64:ff9b::909:909")
    got["sanitizer"] = _sanitizer_reports(p)
    return got


def test_name_resolving_to_nat64_of_a_denied_ipv4_is_denied(airlock_env):
    got = in_netns(airlock_env, "ns_dns64_names",
                   ["64:ff9b::909:909", NAT64_ALLOWED])
    assert got["ok64.airlock.test"]["connect"] == [200, None]
    assert got["ok64.airlock.test"]["http"] == [200, None]
    bad = got["dns64.airlock.test"]
    assert bad["connect"] == [403, "blocked-by-denylist"]
    assert bad["http"] == [403, "blocked-by-denylist"]
    assert bad["socks"] == 2
    assert got["reached"] == 0
    assert got["sanitizer"] == []


# --- item 12: limited mode forwards request bodies -----------------------------

BODY = bytes(range(256)) * 400  # 100 KB


def body_requests(prefix, host):
    """Requests with a body on methods limited mode allows; prefix is
    the scheme and authority of an absolute-form target ("" for
    origin-form inside interception)."""
    t, h = prefix.encode() + b"/echo", host.encode()
    return {
        "get_100k": b"GET %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d"
                    b"\r\n\r\n" % (t, h, len(BODY)) + BODY,
        "options_chunked": b"OPTIONS %s HTTP/1.1\r\nHost: %s\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n"
                           b"5\r\nhello\r\n0\r\n\r\n" % (t, h),
        "head_with_body": b"HEAD %s HTTP/1.1\r\nHost: %s\r\n"
                          b"Content-Length: 5\r\n\r\nhello" % (t, h),
    }


@pytest.mark.parametrize("case", ["get_100k", "options_chunked",
                                  "head_with_body"])
def test_limited_mode_refuses_any_request_with_a_body(proxies, case):
    p = proxies(cfg(mode="limited", allowed=["127.0.0.1"]))
    with origin() as o:
        auth = "127.0.0.1:%d" % o.port
        data = body_requests("http://" + auth, auth)[case]
        r = raw_exchange(p.http, data, head_request=case == "head_with_body")
        assert r.status == 403
        assert r.header("x-proxy-error") == "blocked-by-method-policy"
        assert o.count == 0 and o.connections == 0
        # The same methods without a body still pass.
        r = http_get(p, o.url("/echo"))
        assert r.status == 200


def test_limited_mode_refuses_a_pipelined_request_with_a_body(proxies):
    p = proxies(cfg(mode="limited", allowed=["127.0.0.1"]))
    with origin() as o, connect(p.http) as s:
        url, h = o.url("/echo").encode(), b"127.0.0.1:%d" % o.port
        s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (url, h) +
                  b"GET %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 6\r\n"
                  b"\r\nsecret" % (url, h))
        rd = Reader(s)
        first, second = read_response(rd), read_response(rd)
        assert first.status == 200
        assert second.status == 403
        assert second.header("x-proxy-error") == "blocked-by-method-policy"
        assert o.count == 1
        assert all(req[3] == b"" for req in o.requests)


@pytest.fixture
def mitm(airlock_env, tmp_path):
    from test_mitm import Setup, https_origin
    st = Setup(airlock_env, tmp_path)
    cert, key = st.pki.leaf("good")
    with https_origin(st.ip, cert, key) as o:
        st.origin = o
        yield st
        for p in st.proxies:
            assert_clean_exit(p)


def test_limited_mode_refuses_bodies_inside_interception(mitm):
    from test_mitm import NAME, tls_through_proxy
    p = mitm.start()
    for case, data in body_requests("", NAME).items():
        # The head is enough for the refusal, which closes the tunnel:
        # the rest of a 100 KB body may then meet a closed connection.
        head, body = data.split(b"\r\n\r\n", 1)
        with tls_through_proxy(mitm, p) as t:
            t.sendall(head + b"\r\n\r\n" + body[:1000])
            r = read_response(Reader(t), head_request=case == "head_with_body")
            assert r.status == 403, case
            assert r.header("x-proxy-error") == "blocked-by-method-policy"
            try:
                t.sendall(body[1000:])
            except (OSError, ssl.SSLError):
                pass
    with tls_through_proxy(mitm, p) as t:
        t.sendall(b"GET /echo HTTP/1.1\r\nHost: %s\r\n\r\n"
                  b"GET /echo HTTP/1.1\r\nHost: %s\r\nContent-Length: 6\r\n"
                  b"\r\nsecret" % (NAME.encode(), NAME.encode()))
        rd = Reader(t)
        assert read_response(rd).status == 200
        assert read_response(rd).status == 403
    assert mitm.origin.count == 1
    assert all(req[3] == b"" for req in mitm.origin.requests)


# --- item 13: domain fronting in full mode -------------------------------------


def client_hello(sni, record_size=None):
    """The first flight of a real TLS client, optionally re-cut into
    handshake records of record_size bytes (legal, and an old trick
    against SNI filters)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    if record_size is None:
        return hello
    body, cut = hello[5:], b""
    for i in range(0, len(body), record_size):
        part = body[i:i + record_size]
        cut += hello[:3] + struct.pack("!H", len(part)) + part
    return cut


class Recorder:
    """A TCP target that records every byte it receives (optionally
    greeting first, like SMTP or SSH)."""

    def __init__(self, banner=b""):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.banner = banner
        self.data = b""
        self.lock = threading.Lock()
        self.stopping = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        with c:
            c.settimeout(5)
            try:
                if self.banner:
                    c.sendall(self.banner)
                while True:
                    d = c.recv(65536)
                    if not d:
                        return
                    with self.lock:
                        self.data += d
                    if self.banner:
                        c.sendall(b"echo:" + d)
            except OSError:
                return

    def got(self):
        with self.lock:
            return self.data

    def close(self):
        self.stopping = True
        self.t.join(timeout=5)
        self.sock.close()


@pytest.fixture
def recorder():
    made = []

    def make(banner=b""):
        r = Recorder(banner)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def tunnel(p, host, port):
    s = connect(p.http)
    s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n"
              % (host.encode(), port, host.encode(), port))
    ok = b"HTTP/1.1 200 OK\r\n\r\n"
    assert recv_exact(s, len(ok)) == ok  # not a byte of the tunnel more
    return s


def socks_tunnel(p, host, port):
    s, method = socks5_connect(p.socks)
    assert method == 0
    rep, _ = socks5_request(s, CONNECT, host, port)
    assert rep == 0
    return s


FRONTING = cfg(allowed=[GOOD, "127.0.0.1"])
FRONT_NAMES = {GOOD: "127.0.0.1", EVIL: "127.0.0.1"}


@pytest.mark.parametrize("via", ["connect", "socks5"])
@pytest.mark.parametrize("record_size", [None, 7])
def test_tunnel_with_another_sni_is_closed_and_recorded(proxies, recorder,
                                                        via, record_size):
    p = proxies(FRONTING, FRONT_NAMES)
    t = recorder()
    s = (tunnel if via == "connect" else socks_tunnel)(p, GOOD, t.port)
    with s:
        s.sendall(client_hello(EVIL, record_size))
        assert closed_by_peer(s)
    assert t.got() == b""
    entry = admin_blocked(p)[-1]
    assert (entry["reason"], entry["host"], entry["port"]) == (
        "sni_mismatch", EVIL, t.port)
    assert entry["protocol"] == ("https_connect" if via == "connect"
                                 else "socks5_tcp")


def test_tunnel_with_its_own_sni_or_none_or_no_tls_goes_through(proxies,
                                                               recorder):
    p = proxies(FRONTING, FRONT_NAMES)
    t = recorder()
    for first in (client_hello(GOOD.upper() + "."), client_hello(None),
                  b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"):
        with tunnel(p, GOOD, t.port) as s:
            s.sendall(first)
            assert wait_for(lambda: t.got().endswith(first))
    assert admin_blocked(p) == []


def test_tunnel_where_the_server_speaks_first_is_not_held(proxies, recorder):
    p = proxies(FRONTING, FRONT_NAMES)
    t = recorder(banner=b"220 hello\r\n")
    with tunnel(p, GOOD, t.port) as s:
        rd = Reader(s)
        assert rd.until(b"\r\n") == b"220 hello\r\n"
        s.sendall(b"EHLO x\r\n")
        assert rd.until(b"EHLO x\r\n").endswith(b"echo:EHLO x\r\n")


def test_ip_literal_tunnel_with_a_name_in_sni_is_closed(proxies, recorder):
    p = proxies(FRONTING, FRONT_NAMES)
    t = recorder()
    with tunnel(p, "127.0.0.1", t.port) as s:
        s.sendall(client_hello(EVIL))
        assert closed_by_peer(s)
    assert t.got() == b""


def test_sni_check_can_be_turned_off(proxies, recorder):
    p = proxies(cfg(allowed=[GOOD], extra="require_sni_match = false"),
                FRONT_NAMES)
    t = recorder()
    hello = client_hello(EVIL)
    with tunnel(p, GOOD, t.port) as s:
        s.sendall(hello)
        assert wait_for(lambda: t.got() == hello)


# --- item 14: a client trickling its head ---------------------------------------


def trickle(sock, data, every, budget):
    """Sends data a byte at a time, one byte per `every` seconds, until
    the peer closes or budget seconds passed; returns seconds until the
    close (None if it never came)."""
    t0 = time.monotonic()
    sock.settimeout(every)
    for i in range(len(data)):
        if time.monotonic() - t0 > budget:
            return None
        try:
            sock.sendall(data[i:i + 1])
            if sock.recv(1) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            return time.monotonic() - t0  # closed (a TLS close may be ragged)
    return None


HEADER_MS = 1500


def test_trickled_request_head_is_cut_off_at_the_header_deadline(proxies):
    p = proxies(cfg(allowed=["127.0.0.1"],
                    extra="header_timeout_ms = %d" % HEADER_MS))
    head = b"GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\n" + \
        b"X-Pad: " + b"a" * 200
    with connect(p.http) as s:
        took = trickle(s, head, 0.5, HEADER_MS * 10 / 1000)
    assert took is not None, "still open after 10 header deadlines"
    assert took >= HEADER_MS / 1000 - 0.1


def test_trickled_request_head_after_a_keepalive_exchange_is_cut_off(
        proxies):
    p = proxies(cfg(allowed=["127.0.0.1"],
                    extra="header_timeout_ms = %d" % HEADER_MS))
    with origin() as o, connect(p.http) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                  % (o.url().encode(), o.port))
        assert read_response(Reader(s)).status == 200
        head = b"GET %s HTTP/1.1\r\nX-Pad: %s" % (o.url().encode(), b"a" * 200)
        took = trickle(s, head, 0.5, HEADER_MS * 10 / 1000)
    assert took is not None, "still open after 10 header deadlines"
    assert took >= HEADER_MS / 1000 - 0.1


def test_trickled_request_inside_interception_is_cut_off(mitm):
    from test_mitm import NAME, tls_through_proxy
    p = mitm.start(extra="header_timeout_ms = %d" % HEADER_MS)
    with tls_through_proxy(mitm, p) as t:
        head = b"GET / HTTP/1.1\r\nHost: %s\r\nX-Pad: %s" % (
            NAME.encode(), b"a" * 200)
        took = trickle(t, head, 0.5, HEADER_MS * 10 / 1000)
    assert took is not None, "still open after 10 header deadlines"
    assert took >= HEADER_MS / 1000 - 0.1
    assert mitm.origin.count == 0


def test_trickled_socks5_request_is_cut_off_at_the_header_deadline(proxies):
    p = proxies(cfg(allowed=["127.0.0.1"],
                    extra="header_timeout_ms = %d" % HEADER_MS))
    name = b"x" * 200
    req = b"\x05\x01\x00\x05\x01\x00\x03" + bytes([len(name)]) + name
    with socket.create_connection(p.socks, timeout=5) as s:
        took = trickle(s, req, 0.5, HEADER_MS * 10 / 1000)
    assert took is not None
    assert took >= HEADER_MS / 1000 - 0.1


# --- item 15: lookups that never answer -------------------------------------------


def hang_names(n):
    return {"h%d.hang.airlock.test" % i: "hang" for i in range(n)}


def test_hanging_lookups_do_not_starve_other_names(proxies):
    names = dict(hang_names(8), **{"ok.airlock.test": "127.0.0.1"})
    p = proxies(cfg(allowed=["*.hang.airlock.test", "ok.airlock.test"]),
                names)
    with origin() as o:
        stuck = []
        for n in hang_names(8):
            s = connect(p.http)
            s.sendall(b"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n"
                      % (n.encode(), n.encode()))
            stuck.append(s)
        healthy = "http://ok.airlock.test:%d/" % o.port
        assert http_get(p, healthy).status == 200
        for s in stuck:
            with s:
                r = read_response(Reader(s))
                assert r.status == 502
                assert b"timed out" in r.body
        # The eight lookups still hang in the resolver: a name that
        # answers still gets through.
        assert http_get(p, healthy).status == 200
        assert o.count == 2


def test_lookups_past_the_per_client_cap_fail_at_once(proxies):
    p = proxies(cfg(allowed=["*.hang.airlock.test"]), hang_names(20))
    socks = []
    for n in hang_names(20):
        s = connect(p.http)
        s.sendall(b"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n"
                  % (n.encode(), n.encode()))
        socks.append(s)
    bodies = []
    for s in socks:
        with s:
            r = read_response(Reader(s))
            assert r.status == 502
            bodies.append(r.body)
    capped = [b for b in bodies if b"too many lookups in flight" in b]
    assert len(capped) == 20 - 16
    assert len([b for b in bodies if b"timed out" in b]) == 16
