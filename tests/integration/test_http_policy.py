"""Policy decisions of the HTTP proxy listener (DESIGN §4.4, §5; reference
§7.2–7.4): allow, deny, deny-wins, allowlist misses with the byte-exact
block, limited mode, local-address protection, names through the fake resolver,
resolution once (no rebinding window), resolve and connect failures.

Names resolve through tests/integration/fakedns.c only; nothing leaves loopback.
"""
import contextlib
import json
import socket
import subprocess

import pytest

from httputil import (assert_clean_exit, connect, http_config, NAMES, origin,
                      raw_exchange, read_response, Reader, sanitizer_env)
from conftest import AIRLOCK
from proxyutil import nss_hosts, start_proxy


@pytest.fixture
def start(airlock_env):
    started = []

    def go(text, names=NAMES):
        e = dict(nss_hosts(airlock_env, names), **sanitizer_env())
        p = start_proxy(airlock_env, text, e)
        started.append(p)
        return p

    yield go
    for p in started:
        assert_clean_exit(p)


def get(p, url, method="GET", host=None, body=b""):
    hostpart = url.split("/")[2]
    req = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, url, host or hostpart)
    if body:
        req += "Content-Length: %d\r\n" % len(body)
    req += "\r\n"
    return raw_exchange(p.http, req.encode() + body,
                        head_request=(method == "HEAD"))


def blocked_json(r):
    assert r.status == 403
    assert r.header("content-type") == "application/json"
    return json.loads(r.body)


def test_allowed_ip_literal_reaches_origin(start):
    p = start(http_config())
    with origin() as o:
        r = get(p, o.url("/x"))
        assert r.status == 200
        assert r.body == b"hello from origin\n"
        assert o.count == 1


def test_denied_host_gets_denylist_block_and_origin_sees_nothing(start):
    p = start(http_config(allowed=('"origin.airlock.test"',), denied=('"origin.airlock.test"',),
                          local=True))
    with origin() as o:
        r = get(p, o.url("/", "origin.airlock.test"))
        assert r.header("x-proxy-error") == "blocked-by-denylist"
        b = blocked_json(r)
        assert b["reason"] == "denied"
        assert b["message"] == "Domain denied by the sandbox policy."
        assert o.connections == 0


def test_deny_wins_when_allow_and_deny_both_match(start):
    p = start(http_config(allowed=('"**.airlock.test"',), denied=('"*.airlock.test"',),
                          local=True))
    with origin() as o:
        r = get(p, o.url("/", "origin.airlock.test"))
        assert r.header("x-proxy-error") == "blocked-by-denylist"
        assert o.connections == 0


def test_allowlist_miss_block_is_byte_exact(start):
    p = start(http_config(allowed=('"origin.airlock.test"',)))
    r = raw_exchange(p.http, b"GET http://www.google.com/ HTTP/1.1\r\n"
                             b"Host: www.google.com\r\n\r\n")
    body = (b'{"status":"blocked","host":"www.google.com","reason":"not_allowed",'
            b'"decision":"deny","source":"baseline_policy","protocol":"http",'
            b'"port":80,"message":"Domain not in allowlist."}')
    assert r.raw_head == (b"HTTP/1.1 403 Forbidden\r\n"
                          b"content-type: application/json\r\n"
                          b"x-proxy-error: blocked-by-allowlist\r\n"
                          b"content-length: %d\r\n\r\n" % len(body))
    assert r.body == body


def test_limited_post_is_method_blocked_and_origin_counts_zero(start):
    p = start(http_config(mode="limited"))
    with origin() as o:
        r = get(p, o.url("/echo"), method="POST", body=b"payload")
        assert r.header("x-proxy-error") == "blocked-by-method-policy"
        b = blocked_json(r)
        assert (b["reason"], b["source"]) == ("method_not_allowed", "mode_guard")
        assert o.count == 0
        assert o.connections == 0


def test_limited_get_and_head_are_forwarded(start):
    p = start(http_config(mode="limited"))
    with origin() as o:
        assert get(p, o.url("/")).status == 200
        r = get(p, o.url("/"), method="HEAD")
        assert r.status == 200
        assert o.count == 2


def test_limited_connect_needs_mitm(start):
    # Port 443 is intercepted (test_mitm.py); other ports cannot be.
    p = start(http_config(mode="limited"))
    r = raw_exchange(p.http, b"CONNECT 127.0.0.1:8443 HTTP/1.1\r\n"
                             b"Host: 127.0.0.1:8443\r\n\r\n")
    assert r.status == 403
    assert r.header("x-proxy-error") == "blocked-by-mitm-required"
    assert r.header("content-type") == "text/plain"
    assert r.body == b"MITM required for limited HTTPS."


def test_star_allowlist_still_blocks_loopback_as_not_allowed_local(start):
    p = start(http_config(allowed=('"*"',)))
    with origin() as o:
        r = get(p, o.url("/"))
        assert r.header("x-proxy-error") == "blocked-by-allowlist"
        b = blocked_json(r)
        assert b["reason"] == "not_allowed_local"
        assert b["message"] == ("Sandbox policy blocks local/private "
                                "network addresses.")
        assert o.connections == 0


def test_loopback_not_allowlisted_is_not_allowed(start):
    p = start(http_config(allowed=('"origin.airlock.test"',)))
    with origin() as o:
        r = get(p, o.url("/"))
        assert blocked_json(r)["reason"] == "not_allowed"
        assert o.connections == 0


def test_name_via_hosts_file_with_local_binding_reaches_origin(start):
    p = start(http_config(allowed=('"origin.airlock.test"',), local=True))
    with origin() as o:
        r = get(p, o.url("/echo", "origin.airlock.test"))
        assert r.status == 200
        seen = dict((k.lower(), v) for k, v in json.loads(r.body)["headers"])
        assert seen["host"] == "origin.airlock.test:%d" % o.port


def test_name_resolving_to_loopback_without_local_binding_is_refused(start):
    p = start(http_config(allowed=('"origin.airlock.test"',), local=False))
    with origin() as o:
        r = get(p, o.url("/", "origin.airlock.test"))
        assert blocked_json(r)["reason"] == "not_allowed_local"
        assert o.connections == 0


def test_local_refusal_names_the_address_in_body_and_audit_record(
        start, airlock_env):
    log = airlock_env.root / "audit.jsonl"
    p = start(http_config(allowed=('"rebind.airlock.test"',), local=False,
                          extra='audit_log = "%s"' % log))
    with origin("127.0.0.2") as o:
        r = get(p, o.url("/", "rebind.airlock.test"))
        b = blocked_json(r)
        assert o.connections == 0
    detail = ("rebind.airlock.test resolved to 127.0.0.2, a loopback "
              "address: allow it with --allow 127.0.0.2")
    assert list(b)[-2:] == ["message", "detail"]
    assert b["detail"] == detail
    recs = [json.loads(ln) for ln in log.read_text().splitlines()]
    rec = [x for x in recs if x.get("reason") == "not_allowed_local"][-1]
    assert rec["addresses"] == ["127.0.0.2"]
    assert rec["detail"] == detail


def test_allowed_name_records_the_addresses_it_resolved_to(start, airlock_env):
    log = airlock_env.root / "audit.jsonl"
    p = start(http_config(allowed=('"origin.airlock.test"',), local=True,
                          extra='audit_log = "%s"' % log))
    with origin() as o:
        r = get(p, o.url("/", "origin.airlock.test"))
        assert r.status == 200
    recs = [json.loads(ln) for ln in log.read_text().splitlines()]
    rec = [x for x in recs if x.get("event") == "decision"][-1]
    assert (rec["decision"], rec["addresses"]) == ("allow", ["127.0.0.1"])
    assert "detail" not in rec


# DNS rebinding. An attacker's name answers "public" to the check and
# "private" to the connect. A proxy is immune only if it resolves once and
# dials the address it judged. We cannot flip DNS mid-request
# deterministically, so we prove the two halves separately:
#  (a) the verdict is taken on the resolved address: rebind.airlock.test resolves
#      to 127.0.0.2 and, without local binding, is refused with
#      not_allowed_local while an origin on that address counts zero
#      connections (the check happened before any contact);
#  (b) the dial goes to exactly that address: with local binding on, an
#      origin on 127.0.0.2:P gets the request, while a trap listening on
#      127.0.0.1:P (what `localhost`, a second lookup through the normal
#      resolver, or a wrong fallback would reach) sees no connection at all.
# Together: the address that was vetted is the address that was dialled.
def test_rebinding_name_to_private_address_refused_without_contact(start):
    p = start(http_config(allowed=('"rebind.airlock.test"',), local=False))
    with origin("127.0.0.2") as o:
        r = get(p, o.url("/", "rebind.airlock.test"))
        assert blocked_json(r)["reason"] == "not_allowed_local"
        assert o.connections == 0


@contextlib.contextmanager
def origin_on(host, port):
    """An origin on host:port; a busy port fails the test by name."""
    try:
        cm = origin(host, port)
        srv = cm.__enter__()
    except OSError as e:
        pytest.fail("cannot bind %s:%d: %s" % (host, port, e))
    try:
        yield srv
    finally:
        cm.__exit__(None, None, None)


def test_dial_goes_to_exactly_the_vetted_address(start):
    p = start(http_config(allowed=('"rebind.airlock.test"',), local=True))
    with origin("127.0.0.1") as trap, origin_on("127.0.0.2", trap.port) as o:
        r = get(p, o.url("/echo", "rebind.airlock.test"))
        assert r.status == 200
        assert json.loads(r.body)["path"] == "/echo"
        assert o.count == 1
        assert trap.connections == 0


# Belt and braces for the one test about a name that does not resolve: the
# proxy and its client run in a private network namespace holding only
# `lo`, so even the system resolver fails on the spot and no packet can
# leave the machine.
NETNS_SCRIPT = r"""
ip link set lo up || exit 90
"$AIRLOCK" proxy --ready-file "$ROOT/ready.json" 2>"$ROOT/proxy.stderr" &
pid=$!
i=0
while [ ! -s "$ROOT/ready.json" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
addr=$(sed 's/.*"http":"\([^"]*\)".*/\1/' "$ROOT/ready.json")
curl -sS --max-time 10 -o "$ROOT/body" -w '%{http_code}' \
	-x "http://$addr" http://nowhere.airlock.test/ >"$ROOT/code"
kill -TERM $pid
wait $pid
"""


def test_resolution_failure_is_502_could_not_resolve(airlock_env):
    env = airlock_env
    (env.home / "config.toml").write_text(
        http_config(allowed=('"nowhere.airlock.test"',), local=True))
    e = dict(env.env, AIRLOCK=str(AIRLOCK), ROOT=str(env.root),
             **sanitizer_env())
    r = subprocess.run(["unshare", "-rn", "sh", "-c", NETNS_SCRIPT],
                       env=e, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (env.root / "code").read_text() == "502"
    body = (env.root / "body").read_bytes()
    assert body.startswith(b"could not resolve host nowhere.airlock.test")


def test_connect_refused_is_502_with_clear_body(start):
    p = start(http_config())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # held, never listening: refused
        port = s.getsockname()[1]
        r = get(p, "http://127.0.0.1:%d/" % port)
    assert r.status == 502
    assert b"127.0.0.1:%d" % port in r.body
    assert b"refused" in r.body


def test_connect_to_allowed_origin_tunnels(start):
    p = start(http_config())
    with origin() as o, connect(p.http) as s:
        s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % o.port)
        rd = Reader(s)
        assert rd.until(b"\r\n\r\n") == b"HTTP/1.1 200 OK\r\n\r\n"
        s.sendall(b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        r = read_response(rd)
        assert r.body == b"hello from origin\n"


def test_connect_to_denied_host_is_text_block(start):
    p = start(http_config(allowed=('"**.openai.com"',),
                          denied=('"api.openai.com"',)))
    r = raw_exchange(p.http, b"CONNECT api.openai.com:443 HTTP/1.1\r\n"
                             b"Host: api.openai.com:443\r\n\r\n")
    assert r.status == 403
    assert r.header("x-proxy-error") == "blocked-by-denylist"
    assert r.body == b"Domain denied by the sandbox policy."
