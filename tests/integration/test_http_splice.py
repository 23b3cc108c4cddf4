"""Plain-HTTP bodies moved by splice(2) (doc/proxy.md, "Bodies"): once a
head is forwarded and a Content-Length body passes through unchanged
between two TCP sockets, the proxy moves it in the kernel. Every test
checks the bytes whole (sha256) and, through /metrics, that they were
spliced; the edges are the ones splicing must not break: keep-alive and
pipelining after a spliced body, an origin that answers before it has read
the request body, and a client that leaves in the middle.

Loopback only, real sockets; every wait bounded.
"""
import contextlib
import hashlib
import socket
import threading

import pytest

from httputil import (BIG_SIZE, Reader, assert_clean_exit, big, http_config,
                      origin, read_response, sanitizer_env, SOCK_TIMEOUT)
from proxyutil import start_proxy


@pytest.fixture
def proxy(airlock_env):
    started = []

    def _start():
        p = start_proxy(airlock_env, http_config(), sanitizer_env())
        started.append(p)
        return p
    yield _start
    for p in started:
        assert_clean_exit(p)


def metric(p, name):
    with socket.create_connection(p.admin, timeout=SOCK_TIMEOUT) as c:
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: a\r\n%s"
                  b"Connection: close\r\n\r\n" % p.admin_auth())
        body = read_response(Reader(c)).body.decode()
    for line in body.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError("no %s in %r" % (name, body))


def spliced(p):
    return metric(p, "airlock_spliced_body_bytes_total")


def get(s, rd, o, path):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
              % (o.url(path).encode(), o.port))
    return read_response(rd)


def test_large_download_is_spliced_whole_and_the_origin_kept(proxy):
    p = proxy()
    with origin() as o, socket.create_connection(p.http,
                                                 timeout=SOCK_TIMEOUT) as s:
        rd = Reader(s)
        r = get(s, rd, o, "/big")
        assert r.status == 200
        assert hashlib.sha256(r.body).digest() == \
            hashlib.sha256(big()).digest()
        assert spliced(p) >= BIG_SIZE - 64 * 1024
        # The connection goes on, on the same origin connection.
        assert get(s, rd, o, "/hello").body == b"hello from origin\n"
        assert o.connections == 1
        assert metric(p, "airlock_origin_reuses_total") == 1


def test_pipelined_request_after_a_spliced_body_is_answered_in_order(proxy):
    p = proxy()
    with origin() as o, socket.create_connection(p.http,
                                                 timeout=SOCK_TIMEOUT) as s:
        s.sendall(b"".join(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                           % (o.url(path).encode(), o.port)
                           for path in ("/big", "/hello", "/big")))
        rd = Reader(s)
        first, second, third = (read_response(rd) for _ in range(3))
        assert first.body == big() and third.body == big()
        assert second.body == b"hello from origin\n"
        assert spliced(p) >= 2 * (BIG_SIZE - 64 * 1024)


def test_large_upload_is_spliced_whole(proxy):
    p = proxy()
    with origin() as o, socket.create_connection(p.http,
                                                 timeout=SOCK_TIMEOUT) as s:
        s.sendall(b"PUT %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  b"Content-Length: %d\r\n\r\n" % (o.url("/echo").encode(),
                                                   o.port, BIG_SIZE))
        s.sendall(big())
        rd = Reader(s)
        r = read_response(rd)
        assert r.status == 200
        assert b'"body_sha256": "%s"' % hashlib.sha256(
            big()).hexdigest().encode() in r.body
        # What came with the head and the input buffer (128 KiB at most)
        # goes through the parser; the rest is spliced.
        assert spliced(p) >= BIG_SIZE - 256 * 1024
        # The request ended where its body did: the next one is fine.
        assert get(s, rd, o, "/hello").status == 200


@contextlib.contextmanager
def early_answer_origin():
    """An origin that answers 413 as soon as a request head is in, then
    reads and drops the body until the client goes."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(SOCK_TIMEOUT)
    got = {"body": 0}

    def serve():
        try:
            c, _ = srv.accept()
        except OSError:
            return
        with c:
            c.settimeout(SOCK_TIMEOUT)
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += c.recv(65536)
            got["body"] += len(buf.split(b"\r\n\r\n", 1)[1])
            c.sendall(b"HTTP/1.1 413 Payload Too Large\r\n"
                      b"Content-Length: 9\r\nConnection: close\r\n\r\n"
                      b"too large")
            try:
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    got["body"] += len(d)
            except OSError:
                pass
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1], got
    finally:
        srv.close()
        t.join(timeout=SOCK_TIMEOUT)


def test_origin_answering_before_reading_the_body_is_heard(proxy):
    """While the request body is spliced to the origin, the origin speaks
    first: the splice stops, and its answer reaches the client (then the
    connection closes, the rest of the body unread)."""
    p = proxy()
    with early_answer_origin() as (port, got), \
            socket.create_connection(p.http, timeout=SOCK_TIMEOUT) as s:
        s.sendall(b"PUT http://127.0.0.1:%d/up HTTP/1.1\r\n"
                  b"Host: 127.0.0.1:%d\r\nContent-Length: %d\r\n\r\n"
                  % (port, port, BIG_SIZE))

        def push():
            try:
                s.sendall(big())
            except OSError:
                pass
        t = threading.Thread(target=push, daemon=True)
        t.start()
        r = read_response(Reader(s))
        assert r.status == 413
        assert r.body == b"too large"
        t.join(timeout=SOCK_TIMEOUT)


def test_client_leaving_mid_download_leaves_the_proxy_serving(proxy):
    p = proxy()
    with origin() as o:
        with socket.create_connection(p.http, timeout=SOCK_TIMEOUT) as s:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                      % (o.url("/big").encode(), o.port))
            Reader(s).exact(1 << 20)
        with socket.create_connection(p.http, timeout=SOCK_TIMEOUT) as s:
            r = get(s, Reader(s), o, "/big")
            assert r.body == big()
