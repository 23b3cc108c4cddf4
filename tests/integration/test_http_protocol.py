"""HTTP/1.1 handling of the proxy listener (reference §7.2, §7.5; DESIGN
§5): Host checks, strict framing (smuggling attempts never reach the
origin), header caps, hop-by-hop stripping, keep-alive, pipelining, HEAD
and 100-continue. Raw sockets so every byte is ours to choose.
"""
import json

import pytest

from httputil import (assert_clean_exit, closed_without_answer, connect,
                      http_config, origin, raw_exchange, read_response,
                      Reader, sanitizer_env)
from proxyutil import start_proxy


@pytest.fixture
def proxy(airlock_env):
    p = start_proxy(airlock_env, http_config(), sanitizer_env())
    yield p
    assert_clean_exit(p)


@pytest.fixture
def o():
    with origin() as srv:
        yield srv


def echo_headers(r):
    assert r.status == 200, r.body
    return json.loads(r.body)["headers"]


def names(headers):
    return [k.lower() for k, _ in headers]


def test_host_target_mismatch_is_400(proxy, o):
    r = raw_exchange(proxy.http, b"GET %s HTTP/1.1\r\nHost: api.github.com\r\n"
                                 b"\r\n" % o.url("/").encode())
    assert r.status == 400
    assert r.body == b"Host header does not match request target"
    assert o.connections == 0


def test_host_without_port_for_non_default_port_is_mismatch(proxy, o):
    r = raw_exchange(proxy.http, b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 b"\r\n" % o.url("/").encode())
    assert r.status == 400
    assert r.body == b"Host header does not match request target"


def test_origin_form_with_host_is_proxied(proxy, o):
    r = raw_exchange(proxy.http, b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:%d"
                                 b"\r\n\r\n" % o.port)
    assert r.status == 200
    assert json.loads(r.body)["path"] == "/echo"


def test_origin_form_without_host_is_400_missing_host(proxy, o):
    r = raw_exchange(proxy.http, b"GET /echo HTTP/1.1\r\n\r\n")
    assert r.status == 400
    assert r.body == b"missing host"


SMUGGLING = {
    "cl_and_te": b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"0\r\n\r\n",
    "two_different_cl": b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n"
                        b"helloo",
    "cl_list": b"Content-Length: 5, 5\r\n\r\nhello",
    "space_before_colon": b"Content-Length : 5\r\n\r\nhello",
    "obs_fold": b"X-A: a\r\n b\r\n\r\n",
    "bad_chunk_size": b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"
                      b"0\r\n\r\n",
    "chunk_size_overflow": b"Transfer-Encoding: chunked\r\n\r\n"
                           b"fffffffffffffffff1\r\nhello\r\n0\r\n\r\n",
    "te_not_chunked_last": b"Transfer-Encoding: chunked, identity\r\n\r\n"
                           b"0\r\n\r\n",
    "bare_lf": b"X-A: a\nX-B: b\r\n\r\n",
    "two_hosts": b"Host: 127.0.0.1\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(SMUGGLING))
def test_smuggling_attempt_is_400_and_origin_gets_nothing(proxy, o, case):
    head = b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (
        o.url("/echo").encode(), o.port)
    r = raw_exchange(proxy.http, head + SMUGGLING[case])
    assert r.status == 400, (case, r.body)
    assert o.connections == 0
    assert o.count == 0


def test_bad_chunk_after_forwarding_started_never_completes_a_request(proxy, o):
    # The head is fine, so the proxy has already connected upstream; the
    # broken chunk must cut the exchange rather than let a request through.
    with connect(proxy.http) as s:
        s.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n" %
                  (o.url("/echo").encode(), o.port))
        s.sendall(b"xyz\r\n")
        data = Reader(s).rest()
    assert o.count == 0
    assert b"200 OK" not in data


def test_oversized_header_block_is_431(proxy, o):
    big = b"X-Big: " + b"a" * 70000 + b"\r\n"
    with connect(proxy.http) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" %
                  (o.url("/").encode(), o.port))
        try:
            s.sendall(big + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = read_response(Reader(s))
    assert r.status == 431
    assert o.connections == 0


def test_hop_by_hop_headers_are_stripped(proxy, o):
    r = raw_exchange(proxy.http,
                     b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     b"Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
                     b"Keep-Alive: timeout=5\r\nProxy-Authorization: Basic eA==\r\n"
                     b"Proxy-Connection: keep-alive\r\nTE: trailers\r\n"
                     b"Trailer: X-T\r\nUpgrade: websocket\r\n"
                     b"X-Forwarded-For: 10.1.2.3\r\nX-Keep: yes\r\n\r\n" %
                     (o.url("/echo").encode(), o.port))
    seen = names(echo_headers(r))
    for gone in ("keep-alive", "x-hop", "proxy-authorization",
                 "proxy-connection", "te", "trailer", "upgrade"):
        assert gone not in seen, gone
    # Connection may be sent by the proxy itself, but never the client's.
    assert ("connection", "keep-alive, X-Hop") not in echo_headers(r)
    assert "x-forwarded-for" in seen and "x-keep" in seen and "host" in seen
    assert "via" not in seen and "forwarded" not in seen


def test_keep_alive_serves_two_requests_on_one_connection(proxy, o):
    with connect(proxy.http) as s:
        rd = Reader(s)
        for i in range(2):
            s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" %
                      (o.url("/echo?%d" % i).encode(), o.port))
            r = read_response(rd)
            assert json.loads(r.body)["path"] == "/echo?%d" % i
    assert o.count == 2


def test_pipelined_requests_answered_in_order(proxy, o):
    reqs = b"".join(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" %
                    (o.url("/echo?n=%d" % i).encode(), o.port)
                    for i in range(3))
    with connect(proxy.http) as s:
        s.sendall(reqs)
        rd = Reader(s)
        paths = [json.loads(read_response(rd).body)["path"] for _ in range(3)]
    assert paths == ["/echo?n=0", "/echo?n=1", "/echo?n=2"]


def test_head_keeps_content_length_and_has_no_body(proxy, o):
    with connect(proxy.http) as s:
        rd = Reader(s)
        s.sendall(b"HEAD %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" %
                  (o.url("/").encode(), o.port))
        r = read_response(rd, head_request=True)
        assert r.status == 200
        assert r.header("content-length") == str(len(b"hello from origin\n"))
        # The next response follows at once: the HEAD answer had no body.
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" %
                  (o.url("/").encode(), o.port))
        assert read_response(rd).body == b"hello from origin\n"


def test_expect_100_continue_relays_interim_then_final(proxy, o):
    with connect(proxy.http) as s:
        rd = Reader(s)
        s.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n" %
                  (o.url("/echo").encode(), o.port))
        r = read_response(rd)
        assert r.status == 100
        s.sendall(b"hello")
        r = read_response(rd)
        assert r.status == 200
        assert json.loads(r.body)["body_len"] == 5


def test_chunked_response_reaches_client_intact(proxy, o):
    r = raw_exchange(proxy.http, b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d"
                                 b"\r\n\r\n" % (o.url("/chunked").encode(),
                                                o.port))
    assert r.body == b"hello chunked world\n"


def test_http10_client_gets_close_delimited_body(proxy, o):
    with connect(proxy.http) as s:
        s.sendall(b"GET %s HTTP/1.0\r\n\r\n" % o.url("/chunked").encode())
        data = Reader(s).rest()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"chunked" not in head.lower()
    assert body == b"hello chunked world\n"


def test_slowloris_half_head_then_close_is_not_forwarded(proxy, o):
    with connect(proxy.http) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0" % o.url("/").encode())
        s.shutdown(1)
        assert closed_without_answer(s)
    assert o.connections == 0
