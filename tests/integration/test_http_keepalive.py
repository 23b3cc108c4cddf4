"""Origin keep-alive in the HTTP proxy (doc/proxy.md, "Origin
keep-alive"): the origin connection of a clean exchange is parked for the
same client connection's next request, which still gets its whole decision
and reuses it only for the same host, port and scheme at a freshly vetted
address.

The origins here are raw sockets on 127.0.0.1 that count connections and
answer in a chosen style, so the framing cases are exact. The MITM case
uses test_mitm.py's TLS origin (which counts TLS connections). Loopback
only; every socket has a timeout and every wait is bounded.
"""
import contextlib
import json
import socket
import threading

import pytest

from httputil import (Reader, assert_clean_exit, http_config, origin,
                      read_response, sanitizer_env)
from proxyutil import nss_hosts, start_proxy
from test_mitm import NAME, Setup, tls_through_proxy

SOCK_TIMEOUT = 5.0
ALT = "alt.airlock.test"


class RawOrigin:
    """Answers every request of a connection in `style`:
    keep     200 with Content-Length, connection kept
    chunked  200 chunked, connection kept
    close    200 with Content-Length and Connection: close, then closes
    eof      200 with no framing (body until EOF), then closes
    once     200 with Content-Length, then closes the connection
    extra    200 with Content-Length followed by bytes nobody asked for
    """

    def __init__(self, style):
        self.style = style
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.closed = threading.Event()
        self.stop = threading.Event()
        self.threads = []

    def url(self, path="/", host="127.0.0.1"):
        return "http://%s:%d%s" % (host, self.port, path)

    def serve(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            with self.lock:
                self.connections += 1
            t = threading.Thread(target=self.conn, args=(c,), daemon=True)
            t.start()
            self.threads.append(t)

    def conn(self, c):
        c.settimeout(SOCK_TIMEOUT)
        rd = Reader(c)
        try:
            while not self.stop.is_set():
                head = rd.until(b"\r\n\r\n")
                with self.lock:
                    self.requests += 1
                if not self.answer(c, head.startswith(b"HEAD ")):
                    break
        except (EOFError, OSError):
            pass
        finally:
            c.close()
            self.closed.set()

    def answer(self, c, head):
        body = b"style %s\n" % self.style.encode()
        if self.style == "chunked":
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            return True
        if self.style == "eof":
            c.sendall(b"HTTP/1.1 200 OK\r\n\r\n" + body)
            return False
        if self.style == "extra":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                      b"HTTP/1.1 200 OK\r\n" % (len(body), body))
            return True
        extra = b"Connection: close\r\n" if self.style == "close" else b""
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s"
                  % (len(body), extra, b"" if head else body))
        return self.style in ("keep", "chunked")


@contextlib.contextmanager
def raw_origin(style="keep"):
    o = RawOrigin(style)
    t = threading.Thread(target=o.serve, daemon=True)
    t.start()
    try:
        yield o
    finally:
        o.stop.set()
        t.join(timeout=5)
        for x in o.threads:
            x.join(timeout=5)
        o.sock.close()


class Client:
    """One keep-alive client connection to the proxy."""

    def __init__(self, p):
        self.s = socket.create_connection(p.http, timeout=SOCK_TIMEOUT)
        self.rd = Reader(self.s)

    def get(self, url, host, method=b"GET"):
        self.s.sendall(b"%s %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                       % (method, url.encode(), host.encode()))
        return read_response(self.rd, head_request=method == b"HEAD")

    def close(self):
        self.s.close()


@pytest.fixture
def proxy(airlock_env):
    started = []

    def _start(allowed=('"127.0.0.1"', '"%s"' % ALT), denied=()):
        e = dict(nss_hosts(airlock_env, {ALT: "127.0.0.1"}), **sanitizer_env())
        p = start_proxy(airlock_env, http_config(allowed=allowed,
                                                 denied=denied, local=True), e)
        started.append(p)
        return p
    yield _start
    for p in started:
        assert_clean_exit(p)


def host_of(o, host="127.0.0.1"):
    return "%s:%d" % (host, o.port)


def admin(p, method, path, body=b""):
    with socket.create_connection(p.admin, timeout=SOCK_TIMEOUT) as c:
        c.sendall(b"%s %s HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n"
                  b"%sConnection: close\r\n\r\n%s"
                  % (method, path, len(body), p.admin_auth(), body))
        return read_response(Reader(c))


def reuses(p):
    body = admin(p, b"GET", b"/metrics").body.decode()
    for line in body.splitlines():
        if line.startswith("airlock_origin_reuses_total "):
            return int(line.split()[1])
    raise AssertionError("no airlock_origin_reuses_total in %r" % body)


# --- reuse --------------------------------------------------------------------

@pytest.mark.parametrize("style", ["keep", "chunked"])
def test_sequential_requests_on_one_client_share_one_origin_connection(
        proxy, style):
    p = proxy()
    with raw_origin(style) as o:
        c = Client(p)
        for _ in range(3):
            r = c.get(o.url(), host_of(o))
            assert r.status == 200
            assert r.body == b"style %s\n" % style.encode()
        c.close()
        assert (o.requests, o.connections) == (3, 1)
    assert reuses(p) == 2


def test_request_upstream_does_not_say_connection_close(proxy):
    p = proxy()
    with origin() as o:
        c = Client(p)
        r = c.get(o.url("/echo"), host_of(o))
        c.close()
    names = [k.lower() for k, _ in json.loads(r.body)["headers"]]
    assert "connection" not in names
    assert "proxy-connection" not in names


def test_head_answer_keeps_the_origin_connection(proxy):
    p = proxy()
    with raw_origin("keep") as o:
        c = Client(p)
        assert c.get(o.url(), host_of(o), b"HEAD").status == 200
        assert c.get(o.url(), host_of(o)).status == 200
        c.close()
        assert o.connections == 1


def test_separate_client_connections_do_not_share_origins(proxy):
    p = proxy()
    with raw_origin("keep") as o:
        a, b = Client(p), Client(p)
        assert a.get(o.url(), host_of(o)).status == 200
        assert b.get(o.url(), host_of(o)).status == 200
        a.close()
        b.close()
        assert o.connections == 2


def test_request_to_another_port_opens_a_new_connection(proxy):
    p = proxy()
    with raw_origin() as a, raw_origin() as b:
        c = Client(p)
        assert c.get(a.url(), host_of(a)).status == 200
        assert c.get(b.url(), host_of(b)).status == 200
        assert c.get(a.url(), host_of(a)).status == 200
        c.close()
        assert (a.connections, b.connections) == (2, 1)


def test_request_to_another_host_name_opens_a_new_connection(proxy):
    p = proxy()
    with raw_origin() as o:
        c = Client(p)
        assert c.get(o.url(), host_of(o)).status == 200
        # Same address, different name: a different origin to HTTP.
        assert c.get(o.url(host=ALT), host_of(o, ALT)).status == 200
        assert c.get(o.url(host=ALT), host_of(o, ALT)).status == 200
        c.close()
        assert o.connections == 2


def test_host_name_spelling_is_normalized_for_reuse(proxy):
    p = proxy()
    with raw_origin() as o:
        c = Client(p)
        assert c.get(o.url(host=ALT), host_of(o, ALT)).status == 200
        up = ALT.upper() + "."
        assert c.get(o.url(host=up), host_of(o, up)).status == 200
        c.close()
        assert o.connections == 1


# --- not reused -----------------------------------------------------------------

@pytest.mark.parametrize("style", ["close", "eof", "once", "extra"])
def test_origin_that_ends_the_connection_is_not_reused(proxy, style):
    p = proxy()
    with raw_origin(style) as o:
        c = Client(p)
        for _ in range(2):
            r = c.get(o.url(), host_of(o))
            assert r.status == 200
            assert r.body == b"style %s\n" % style.encode()
        c.close()
        assert (o.requests, o.connections) == (2, 2)
    assert reuses(p) == 0


def test_origin_closing_while_parked_leaves_the_next_request_working(proxy):
    p = proxy()
    with raw_origin("once") as o:
        c = Client(p)
        assert c.get(o.url(), host_of(o)).status == 200
        assert o.closed.wait(SOCK_TIMEOUT)
        r = c.get(o.url(), host_of(o))
        assert r.status == 200
        assert r.body == b"style once\n"
        c.close()
        assert o.connections == 2


# --- policy still decides --------------------------------------------------------

def test_denied_by_reload_is_blocked_despite_a_parked_connection(
        proxy, airlock_env):
    p = proxy()
    with raw_origin() as o:
        c = Client(p)
        assert c.get(o.url(), host_of(o)).status == 200
        (airlock_env.home / "config.toml").write_text(http_config(
            allowed=('"127.0.0.1"',), denied=('"127.0.0.1"',), local=True))
        assert admin(p, b"POST", b"/reload").status == 200
        r = c.get(o.url(), host_of(o))
        assert r.status == 403
        assert o.requests == 1
        c.close()


def test_method_policy_after_mode_change_blocks_despite_parking(proxy):
    p = proxy()
    with raw_origin() as o:
        c = Client(p)
        assert c.get(o.url(), host_of(o), b"DELETE").status == 200
        r = admin(p, b"POST", b"/mode", b'{"mode":"limited"}')
        assert r.status == 200
        assert c.get(o.url(), host_of(o), b"DELETE").status == 403
        assert c.get(o.url(), host_of(o)).status == 200
        c.close()
        assert o.requests == 2


# --- interception ------------------------------------------------------------------

@pytest.fixture
def s(airlock_env, tmp_path):
    st = Setup(airlock_env, tmp_path)
    yield st
    for p in st.proxies:
        assert_clean_exit(p)


def test_mitm_repeat_inner_requests_reuse_the_upstream_tls_connection(s):
    from test_mitm import https_origin
    cert, key = s.pki.leaf("good")
    with https_origin(s.ip, cert, key) as o:
        p = s.start()
        with tls_through_proxy(s, p) as t:
            rd = Reader(t)
            for i in range(3):
                t.sendall(b"GET /echo?%d HTTP/1.1\r\nHost: %s\r\n\r\n"
                          % (i, NAME.encode()))
                r = read_response(rd)
                assert r.status == 200
                assert json.loads(r.body)["path"] == "/echo?%d" % i
        assert o.count == 3
        assert o.connections == 1
    assert reuses(p) == 2


def test_mitm_tunnels_do_not_share_upstream_connections(s):
    from test_mitm import https_origin
    cert, key = s.pki.leaf("good")
    with https_origin(s.ip, cert, key) as o:
        p = s.start()
        for _ in range(2):
            with tls_through_proxy(s, p) as t:
                t.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n"
                          % NAME.encode())
                assert read_response(Reader(t)).status == 200
        assert o.connections == 2
