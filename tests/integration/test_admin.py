"""The admin API of `airlock proxy` (reference §12, DESIGN §5 [ours]).

Each test starts the real proxy with its own AIRLOCK_HOME/AIRLOCK_SYSTEM_DIR,
every listener on an ephemeral loopback port, and talks to the admin
listener with requests (and http.client or raw sockets where framing
matters). Nothing leaves loopback; every wait is bounded.
"""
import http.client
import json
import re
import signal
import socket
import subprocess
import time

import pytest
import requests

from proxyutil import start_proxy

BASE_CONFIG = """\
[permissions.network]
enabled = true
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
socks_url = "http://127.0.0.1:0"
mode = "limited"
allowed_domains = ["pypi.org", "*.npmjs.org"]
denied_domains = ["evil.example"]
"""

CONFIG_KEYS = [
    "enabled", "proxy_url", "admin_url", "enable_socks5", "socks_url",
    "enable_socks5_udp", "allow_upstream_proxy",
    "dangerously_allow_non_loopback_proxy",
    "dangerously_allow_non_loopback_admin",
    "dangerously_allow_all_unix_sockets", "mode", "allowed_domains",
    "denied_domains", "allow_unix_sockets", "allow_local_binding", "mitm",
]

TOKEN = "s3cret-admin-token-0123456789"


class Proxy:
    """A running `airlock proxy` (proxyutil.start_proxy) seen as its admin
    API: get/post on the admin listener, the stderr log. Without a
    configured token file the proxy generates a token; get/post send it
    unless given headers of their own, and .auth is that header."""

    def __init__(self, running):
        self.running = running
        self.proc = running.proc
        self.http = "%s:%d" % running.http
        self.admin = "%s:%d" % running.admin
        self.url = f"http://{self.admin}"
        self.token = running.admin_token
        self.auth = {"Authorization": "Bearer " + self.token} if self.token else {}

    def log(self):
        return self.running.stderr()

    def get(self, path, **kw):
        kw.setdefault("headers", dict(self.auth))
        return requests.get(self.url + path, timeout=10, **kw)

    def post(self, path, **kw):
        kw.setdefault("headers", dict(self.auth))
        return requests.post(self.url + path, timeout=10, **kw)

    def stop(self):
        self.running.stop()


@pytest.fixture
def start(airlock_env):
    started = []

    def _start(config=BASE_CONFIG, requirements=None, token=None):
        cfg = config
        if token is not None:
            tf = airlock_env.root / "admin.token"
            tf.write_text(token + "\n")
            cfg += f'admin_token_file = "{tf}"\n'
        if requirements is not None:
            (airlock_env.system / "requirements.toml").write_text(requirements)
        p = Proxy(start_proxy(airlock_env, cfg))
        started.append(p)
        return p

    yield _start
    for p in started:
        p.stop()


def authed(p, data):
    """data with p's generated token added after every `Host: a` line."""
    return data.replace(b"Host: a\r\n", b"Host: a\r\n" + p.running.admin_auth())


def raw_exchange(addr, data, limit=1 << 20):
    """Sends data, reads until the peer closes (bounded), returns bytes."""
    host, port = addr.rsplit(":", 1)
    out = b""
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        while len(out) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    return out


def proxy_get(p, url, host):
    """One plain-HTTP request through the proxy's HTTP listener; returns
    (status, body). Reads exactly one response: the proxy may keep the
    connection open."""
    h, port = p.http.rsplit(":", 1)
    c = http.client.HTTPConnection(h, int(port), timeout=10)
    try:
        c.request("GET", url, headers={"Host": host})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def block_one(p):
    """Sends a request the config denies; checks that it was blocked."""
    status, _ = proxy_get(p, "http://evil.example/", "evil.example")
    assert status == 403


def poll(fn, tries=100):
    """Calls fn until it returns truthy (bounded); returns the last value."""
    v = None
    for _ in range(tries):
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    return v


# --- endpoints --------------------------------------------------------------


def test_health_answers_ok(start):
    r = start().get("/health")
    assert r.status_code == 200
    assert r.text == "ok"


def test_health_ignores_the_query_string(start):
    r = start().get("/health?probe=1")
    assert r.status_code == 200
    assert r.text == "ok"


def test_config_has_the_reference_keys_in_order(start):
    r = start().get("/config")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    net = r.json()["network"]
    assert list(net) == CONFIG_KEYS
    assert net["enabled"] is True
    assert net["mode"] == "limited"
    assert net["allowed_domains"] == ["pypi.org", "*.npmjs.org"]
    assert net["denied_domains"] == ["evil.example"]
    assert net["allow_unix_sockets"] == []
    assert net["mitm"] is True  # limited mode intercepts HTTPS
    assert net["proxy_url"] == "http://127.0.0.1:0"


def test_patterns_lists_allowed_and_denied(start):
    r = start().get("/patterns")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"allowed": ["pypi.org", "*.npmjs.org"],
                        "denied": ["evil.example"]}


def test_patterns_include_managed_requirement_entries(start):
    req = ('[permissions.network]\n'
           'allowed_domains = ["**.npmjs.org", "corp.example"]\n'
           'denied_domains = ["blocked.example"]\n')
    body = start(requirements=req).get("/patterns").json()
    # managed entries first; pypi.org is not covered by the managed list
    assert body["allowed"] == ["**.npmjs.org", "corp.example", "*.npmjs.org"]
    assert body["denied"] == ["blocked.example", "evil.example"]


def test_blocked_starts_empty(start):
    r = start().get("/blocked")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json()["blocked"] == []


def test_blocked_shows_a_denied_proxy_request(start):
    p = start()
    block_one(p)
    blocked = p.get("/blocked").json()["blocked"]
    assert len(blocked) == 1
    assert blocked[0]["host"] == "evil.example"
    assert blocked[0]["reason"] == "denied"
    assert blocked[0]["method"] == "GET"


def test_blocked_is_a_snapshot_not_a_drain(start):
    p = start()
    block_one(p)
    assert len(p.get("/blocked").json()["blocked"]) == 1
    assert len(p.get("/blocked").json()["blocked"]) == 1


def test_unknown_path_is_404_not_found(start):
    r = start().get("/nope")
    assert r.status_code == 404
    assert r.text == "not found"
    assert r.headers["content-type"] == "text/plain"


@pytest.mark.parametrize("method,path", [
    ("GET", "/mode"), ("GET", "/reload"), ("POST", "/health"),
    ("POST", "/config"), ("PUT", "/mode"), ("DELETE", "/blocked"),
    ("HEAD", "/health"),
])
def test_wrong_method_is_404(start, method, path):
    p = start()
    r = requests.request(method, p.url + path, headers=p.auth, timeout=10)
    assert r.status_code == 404
    if method != "HEAD":
        assert r.text == "not found"


# --- POST /mode ---------------------------------------------------------------


def test_mode_full_is_shown_by_config(start):
    p = start()
    r = p.post("/mode", json={"mode": "full"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"status": "ok", "mode": "full"}
    net = p.get("/config").json()["network"]
    assert (net["mode"], net["mitm"]) == ("full", False)


def test_mode_limited_after_full(start):
    p = start()
    p.post("/mode", json={"mode": "full"})
    r = p.post("/mode", json={"mode": "limited"})
    assert r.json() == {"status": "ok", "mode": "limited"}
    assert p.get("/config").json()["network"]["mode"] == "limited"


def test_mode_without_body_is_400_missing_body(start):
    r = start().post("/mode")
    assert r.status_code == 400
    assert r.text == "missing body"


@pytest.mark.parametrize("body", [
    b"not json", b'{"mode":"turbo"}', b'{"mode":1}', b'["full"]',
    b'{"other":"full"}', b'{"mode":"full","mode":"full"}', b"   ",
])
def test_mode_bad_body_is_400_invalid_json(start, body):
    r = start().post("/mode", data=body)
    assert r.status_code == 400
    assert r.text == "invalid json"


def test_mode_body_over_8k_is_413(start):
    r = start().post("/mode", data=b'{"mode":"full","pad":"' + b"x" * 9000
                     + b'"}')
    assert r.status_code == 413
    assert r.text == "body too large"


def test_mode_chunked_body_over_8k_is_413(start):
    def chunks():
        for _ in range(10):
            yield b"x" * 1024

    r = start().post("/mode", data=chunks())
    assert r.status_code == 413
    assert r.text == "body too large"


def test_mode_full_refused_by_requirement_is_500(start):
    p = start(requirements='[permissions.network]\nmode = "limited"\n')
    r = p.post("/mode", json={"mode": "full"})
    assert r.status_code == 500
    assert r.text == "mode update failed"
    assert p.get("/config").json()["network"]["mode"] == "limited"
    assert "mode" in p.log() and "mode update" in p.log()


def test_mode_limited_allowed_under_requirement(start):
    p = start(requirements='[permissions.network]\nmode = "limited"\n')
    r = p.post("/mode", json={"mode": "limited"})
    assert r.status_code == 200


# --- POST /reload and SIGHUP -------------------------------------------------------


def test_reload_picks_up_a_new_denied_domain(start, airlock_env):
    p = start()
    (airlock_env.home / "config.toml").write_text(
        BASE_CONFIG.replace('["evil.example"]',
                            '["evil.example", "worse.example"]'))
    r = p.post("/reload")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"status": "reloaded"}
    assert p.get("/patterns").json()["denied"] == ["evil.example",
                                                   "worse.example"]


def test_reload_says_which_keys_need_a_restart(start, airlock_env):
    """Listener addresses, the audit log path and max_connections are read
    once, at start. A reload that changes them says so (in its answer and
    in the log), applies everything else, and GET /config keeps showing
    the values in force, not the file's."""
    p = start()
    (airlock_env.home / "config.toml").write_text(
        BASE_CONFIG.replace('proxy_url = "http://127.0.0.1:0"',
                            'proxy_url = "http://127.0.0.1:1"')
        .replace('["evil.example"]', '["worse.example"]')
        + 'max_connections = 7\naudit_log = "%s"\n'
        % (airlock_env.root / "audit.jsonl"))
    r = p.post("/reload")
    assert r.status_code == 200
    assert r.json() == {"status": "reloaded", "needs_restart": [
        "permissions.network.proxy_url", "permissions.network.audit_log",
        "permissions.network.max_connections"]}
    assert "permissions.network.proxy_url changed: needs restart" in p.log()
    assert p.get("/patterns").json()["denied"] == ["worse.example"]
    net = p.get("/config").json()["network"]
    assert net["proxy_url"] == "http://127.0.0.1:0"
    # Still served where it listened.
    host, port = p.http.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET http://worse.example/ HTTP/1.1\r\n"
                  b"Host: worse.example\r\n\r\n")
        assert s.recv(12) == b"HTTP/1.1 403"


def test_reload_with_broken_config_is_500_and_keeps_old(start, airlock_env):
    p = start()
    (airlock_env.home / "config.toml").write_text(
        BASE_CONFIG + "no_such_key = 1\n")
    r = p.post("/reload")
    assert r.status_code == 500
    assert r.text.startswith("reload failed: ")
    assert "no_such_key" in r.text
    assert "reload failed" in p.log()
    assert p.get("/patterns").json()["denied"] == ["evil.example"]
    assert p.get("/health").text == "ok"


def test_reload_resets_the_mode_to_the_config(start):
    p = start()
    p.post("/mode", json={"mode": "full"})
    assert p.post("/reload").status_code == 200
    assert p.get("/config").json()["network"]["mode"] == "limited"


def test_reload_keeps_the_blocked_ring(start):
    p = start()
    block_one(p)
    p.post("/reload")
    assert len(p.get("/blocked").json()["blocked"]) == 1


def test_sighup_reloads_the_config(start, airlock_env):
    p = start()
    (airlock_env.home / "config.toml").write_text(
        BASE_CONFIG.replace('["evil.example"]', '["hup.example"]'))
    p.proc.send_signal(signal.SIGHUP)
    denied = poll(lambda: p.get("/patterns").json()["denied"]
                  == ["hup.example"])
    assert denied


# --- GET /metrics ----------------------------------------------------------------------

SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"'
    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9.eE+]+$')


def parse_metrics(text):
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples, typed


def test_metrics_is_prometheus_text(start):
    r = start().get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4"
    samples, typed = parse_metrics(r.text)
    for name in ["airlock_connections_accepted_total",
                 "airlock_connections_refused_total",
                 "airlock_connections_open", "airlock_blocked_total",
                 "airlock_bytes_up_total", "airlock_bytes_down_total",
                 "airlock_upstream_errors_total"]:
        assert name in samples, name
        assert name in typed, name
    assert "airlock_decisions_total" in typed
    assert samples["airlock_connections_accepted_total"] >= 1


def test_metrics_count_decisions_and_blocks(start):
    p = start()
    block_one(p)
    samples, _ = parse_metrics(p.get("/metrics").text)
    assert samples['airlock_decisions_total{reason="denied"}'] == 1
    assert samples["airlock_blocked_total"] == 1


def test_metrics_include_audit_log_when_on(start, airlock_env):
    log = airlock_env.root / "audit.jsonl"
    p = start(BASE_CONFIG + f'audit_log = "{log}"\n')
    block_one(p)
    samples, typed = parse_metrics(p.get("/metrics").text)
    assert samples["airlock_audit_log_lines_total"] >= 1
    assert samples["airlock_audit_log_write_failures_total"] == 0
    assert "airlock_audit_log_write_failures_total" in typed


# --- auth ----------------------------------------------------------------------------------


def test_token_missing_is_401(start):
    r = start(token=TOKEN).get("/health")
    assert r.status_code == 401
    assert r.text == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"


def test_token_wrong_is_401(start):
    p = start(token=TOKEN)
    for bad in ["Bearer nope", "Bearer " + TOKEN + "x", "Bearer " + TOKEN[:-1],
                "Basic " + TOKEN, TOKEN, "Bearer"]:
        r = p.get("/config", headers={"Authorization": bad})
        assert r.status_code == 401, bad
        assert r.text == "unauthorized"


def test_token_right_is_accepted(start):
    p = start(token=TOKEN)
    h = {"Authorization": "Bearer " + TOKEN}
    assert p.get("/health", headers=h).text == "ok"
    assert p.get("/config", headers=h).status_code == 200
    r = p.post("/mode", json={"mode": "full"}, headers=h)
    assert r.json() == {"status": "ok", "mode": "full"}


def test_token_required_on_unknown_paths_too(start):
    r = start(token=TOKEN).get("/nope")
    assert r.status_code == 401


def test_token_missing_on_post_with_body_is_401(start):
    p = start(token=TOKEN)
    r = p.post("/mode", json={"mode": "full"})
    assert r.status_code == 401
    assert r.text == "unauthorized"
    h = {"Authorization": "Bearer " + TOKEN}
    assert p.get("/config", headers=h).json()["network"]["mode"] == "limited"


def test_reload_rotates_the_token(start, airlock_env):
    p = start(token=TOKEN)
    old = {"Authorization": "Bearer " + TOKEN}
    new = {"Authorization": "Bearer rotated-token-9876543210"}
    (airlock_env.root / "admin.token").write_text("rotated-token-9876543210\n")
    assert p.post("/reload", headers=old).status_code == 200
    assert p.get("/health", headers=old).status_code == 401
    assert p.get("/health", headers=new).text == "ok"


def test_reload_with_an_empty_token_file_keeps_the_old_token(start, airlock_env):
    p = start(token=TOKEN)
    h = {"Authorization": "Bearer " + TOKEN}
    (airlock_env.root / "admin.token").write_text("\n")
    r = p.post("/reload", headers=h)
    assert r.status_code == 500
    assert "empty token" in r.text
    assert p.get("/health", headers=h).text == "ok"


def test_without_a_token_file_a_token_is_generated(start, airlock_env):
    p = start()
    tf = airlock_env.home / "admin.token"
    assert tf.stat().st_mode & 0o777 == 0o600
    assert p.token == tf.read_text().strip() and len(p.token) >= 43
    r = p.get("/config", headers={})
    assert (r.status_code, r.text) == (401, "unauthorized")
    assert p.post("/mode", json={"mode": "full"}, headers={}).status_code == 401
    assert p.get("/config").status_code == 200
    assert str(tf) in p.log() and p.token not in p.log()


def test_generated_token_survives_a_reload(start):
    p = start()
    assert p.post("/reload").status_code == 200
    assert p.get("/health", headers={}).status_code == 401
    assert p.get("/health").text == "ok"


def test_every_start_generates_a_fresh_token(start):
    first = start()
    old = first.token
    first.stop()
    second = start()
    assert second.token != old
    assert second.get("/health", headers={"Authorization": "Bearer " + old}
                      ).status_code == 401


def test_token_is_never_logged(start):
    p = start(token=TOKEN)
    p.get("/health", headers={"Authorization": "Bearer wrong"})
    p.post("/reload", headers={"Authorization": "Bearer " + TOKEN})
    assert TOKEN not in p.log()


# --- framing -----------------------------------------------------------------------------------


def test_keep_alive_serves_several_requests(start):
    p = start()
    host, port = p.admin.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for path in ["/health", "/config", "/patterns", "/nope", "/health"]:
            c.request("GET", path, headers=p.auth)
            r = c.getresponse()
            r.read()
            assert r.status in (200, 404)
            assert r.getheader("connection") is None
    finally:
        c.close()


def test_pipelined_requests_are_answered_in_order(start):
    p = start()
    out = raw_exchange(
        p.admin, authed(p,
        b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
    statuses = re.findall(rb"HTTP/1\.1 (\d+) ", out)
    assert statuses == [b"200", b"404", b"200"]


def test_http10_request_gets_closed(start):
    p = start()
    out = raw_exchange(p.admin, b"GET /health HTTP/1.0\r\n%s\r\n"
                       % p.running.admin_auth())
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"connection: close\r\n" in out
    assert out.endswith(b"\r\n\r\nok")


def test_head_over_16k_is_431(start):
    out = raw_exchange(start().admin,
                       b"GET /health HTTP/1.1\r\nHost: a\r\nX-Big: "
                       + b"a" * 20000 + b"\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 431 ")


def test_malformed_request_is_400_and_closed(start):
    out = raw_exchange(start().admin,
                       b"GET /health HTTP/1.1\r\nHost : a\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close\r\n" in out


def test_content_length_over_8k_is_413_before_the_body(start):
    p = start()
    host, port = p.admin.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(authed(p, b"POST /mode HTTP/1.1\r\nHost: a\r\n"
                  b"Content-Length: 100000\r\n\r\n"))
        out = b""
        while b"body too large" not in out:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    assert out.startswith(b"HTTP/1.1 413 ")
    assert out.endswith(b"body too large")


def read_response(s):
    """Reads one response with a content-length body from socket s."""
    out = b""
    while b"\r\n\r\n" not in out:
        chunk = s.recv(4096)
        if not chunk:
            return out
        out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    n = int(re.search(rb"content-length: (\d+)", head).group(1))
    while len(body) < n:
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def recv_until_closed(s, limit=1 << 16):
    out = b""
    while len(out) < limit:
        chunk = s.recv(4096)
        if not chunk:
            break
        out += chunk
    return out


def connect(addr):
    host, port = addr.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)


def test_unfinished_request_is_closed_at_the_header_deadline(start):
    p = start(BASE_CONFIG + "header_timeout_ms = 200\n")
    with connect(p.admin) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\n")
        assert recv_until_closed(s) == b""
    assert p.get("/health").text == "ok"


def test_idle_keep_alive_connection_is_closed(start):
    p = start(BASE_CONFIG + "keepalive_timeout_ms = 200\n")
    with connect(p.admin) as s:
        s.sendall(authed(p, b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n"))
        assert read_response(s).endswith(b"\r\n\r\nok")
        assert recv_until_closed(s) == b""


def test_connection_over_the_cap_is_503(start):
    p = start(BASE_CONFIG + "max_connections = 1\n")
    with connect(p.admin) as first:
        first.sendall(authed(p, b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n"))
        assert read_response(first).endswith(b"ok")
        with connect(p.admin) as second:
            out = recv_until_closed(second)
        assert out.startswith(b"HTTP/1.1 503 ")
        assert out.endswith(b"too many connections")
    r = poll(lambda: (lambda r: r if r.status_code == 200 else None)(
        p.get("/metrics")))
    samples, _ = parse_metrics(r.text)
    assert samples["airlock_connections_refused_total"] >= 1


def test_sigterm_closes_idle_admin_connections(start):
    p = start()
    with connect(p.admin) as s:
        s.sendall(authed(p, b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n"))
        assert read_response(s).endswith(b"ok")
        p.proc.send_signal(signal.SIGTERM)
        assert recv_until_closed(s) == b""
        assert p.proc.wait(timeout=10) == 0


def test_connect_is_404_and_closes(start):
    p = start()
    out = raw_exchange(p.admin,
                       b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443"
                       b"\r\n%s\r\nGET /health HTTP/1.1\r\nHost: a\r\n\r\n"
                       % p.running.admin_auth())
    assert out.startswith(b"HTTP/1.1 404 ")
    assert b"connection: close\r\n" in out
    assert out.endswith(b"not found")


def test_head_answer_has_no_body(start):
    p = start()
    with connect(p.admin) as s:
        s.sendall(authed(p, b"HEAD /health HTTP/1.1\r\nHost: a\r\n\r\n"
                  b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close"
                  b"\r\n\r\n"))
        out = recv_until_closed(s)
    assert out.startswith(b"HTTP/1.1 404 ")
    assert b"\r\n\r\nHTTP/1.1 200 OK\r\n" in out
    assert out.endswith(b"\r\n\r\nok")


def test_expect_100_continue_is_honoured(start):
    p = start()
    body = b'{"mode":"full"}'
    with connect(p.admin) as s:
        s.sendall(authed(p, b"POST /mode HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body)))
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = s.recv(1)
            assert chunk
            interim += chunk
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(body)
        out = read_response(s)
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    assert out.endswith(b'{"status":"ok","mode":"full"}')


def test_curl_posts_mode(start):
    p = start()
    r = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-X", "POST",
         "-H", "Authorization: Bearer " + p.token,
         "-d", '{"mode":"full"}', p.url + "/mode"],
        capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"status": "ok", "mode": "full"}
