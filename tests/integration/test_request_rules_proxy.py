"""Request rules in the proxy (doc/secrets.md): a host with rules is always
intercepted, a request to it must match a rule, and a matching request
gets its headers stripped, then the secret injected, in limited and full
mode, over CONNECT and SOCKS5, through `airlock proxy` and inside
`airlock run`.

The origin is test_mitm's: a python `ssl` server on a 127.77.x.y address
of its own with a certificate from a test CA the proxy trusts through
extra_ca_certificates, standing for port 443 through the fake resolver's
connect redirect, so everything runs unprivileged and on loopback only.
It records each request's headers; clients trust airlock's interception
CA ($AIRLOCK_HOME/proxy/ca-bundle.pem), in full mode too."""
import json
import os
import pathlib
import signal
import socket
import subprocess

import pytest

from httputil import read_response, Reader, sanitizer_env
from proxyutil import (nss_hosts, socks5_connect, socks5_request,
                       socks5_udp_wrap, wait_for)
from test_mitm import NAME, Setup, https_origin

SECRET = "rr-Pr0xy-S3cret-4e2a9c71"
SECRET2 = "rr-Pr0xy-Rel0aded-88b1d3"

RULES = """
[permissions.network.request_rules.api]
host = "{name}"
methods = ["GET", "POST"]
path_prefixes = ["/api/"]
actions = ["token"]

[permissions.network.request_actions.token]
strip_request_headers = ["cookie", "x-strip"]
inject_request_headers = [{{ name = "authorization", prefix = "Bearer ", secret_file = "{secret}" }}]
"""

URL = "https://%s/api/items?x=1" % NAME
OTHER = "https://%s/other" % NAME


def write_secret(env, text=SECRET + "\n", mode=0o600):
    p = env.root / "secrets" / "api"
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.exists():
        p.chmod(0o600)
    p.write_text(text)
    p.chmod(mode)
    return p


class Rules(Setup):
    """test_mitm's setup with a rule for NAME, SOCKS5 and an audit log."""

    def __init__(self, env, tmp_path):
        super().__init__(env, tmp_path)
        self.secret = write_secret(env)
        self.audit = env.root / "audit.jsonl"

    def start(self, mode="limited", extra=""):
        conf = ('audit_log = "%s"\nenable_socks5 = true\n'
                'enable_socks5_udp = true\n'
                'socks_url = "http://127.0.0.1:0"\n%s\n' % (self.audit, extra)
                + RULES.format(name=NAME, secret=self.secret))
        return super().start(mode=mode, extra=conf)

    def events(self):
        if not self.audit.exists():
            return []
        return [json.loads(l) for l in self.audit.read_text().splitlines()]


@pytest.fixture
def s(airlock_env, tmp_path):
    st = Rules(airlock_env, tmp_path)
    yield st
    for p in st.proxies:
        p.stop()
        err = p.stderr()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            assert bad not in err, err
        assert SECRET not in err and SECRET2 not in err


@pytest.fixture
def good(s):
    cert, key = s.pki.leaf("good")
    with https_origin(s.ip, cert, key) as o:
        yield o


def seen(o, i=-1):
    """(method, path, headers as lower-cased (name, value) pairs) of the
    origin's i-th request."""
    method, path, headers, body = o.requests[i]
    return method, path, [(k.lower(), v) for k, v in headers], body


def auth(headers):
    return [v for k, v in headers if k == "authorization"]


def admin_get(p, path):
    with socket.create_connection(p.admin, timeout=5) as c:
        c.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\n%sConnection: close"
                  b"\r\n\r\n" % (path.encode(), p.admin_auth()))
        return read_response(Reader(c))


# --- through `airlock proxy` ---------------------------------------------------

@pytest.mark.parametrize("mode", ["limited", "full"])
def test_matching_request_gets_the_secret_injected(s, good, mode):
    p = s.start(mode)
    code, body, r = s.curl(p, URL)
    assert (code, body) == (200, b"hello from origin\n"), r.stderr
    method, path, headers, _ = seen(good)
    assert (method, path) == ("GET", "/api/items?x=1")
    assert auth(headers) == ["Bearer " + SECRET]
    line = [e for e in s.events() if e.get("protocol") == "https"][-1]
    assert (line["decision"], line["request_rule"], line["request_actions"],
            line["request_headers_stripped"],
            line["request_headers_injected"]) == (
        "allow", "api", ["token"], ["cookie", "x-strip"],
        {"authorization": "[injected]"})


def test_strip_runs_before_inject_and_the_client_value_never_passes(s, good):
    p = s.start()
    code, _, r = s.curl(p, "-H", "Authorization: Bearer client-own",
                        "-H", "Cookie: session=1", "-H", "X-Strip: a",
                        "-H", "X-Keep: b", "-H", "Connection: authorization",
                        URL)
    assert code == 200, r.stderr
    _, _, headers, _ = seen(good)
    names = [k for k, _ in headers]
    assert auth(headers) == ["Bearer " + SECRET]
    assert "cookie" not in names and "x-strip" not in names
    assert ("x-keep", "b") in headers
    # injected last, after every header the client sent
    assert names[-1] == "authorization"


@pytest.mark.parametrize("mode", ["limited", "full"])
def test_request_no_rule_matches_is_refused_and_recorded(s, good, mode):
    p = s.start(mode)
    code, body, r = s.curl(p, "-D", "-", OTHER)
    assert code == 403
    assert b"x-proxy-error: blocked-by-request-rule" in r.stdout
    assert good.count == 0
    entry = json.loads(admin_get(p, "/blocked").body)["blocked"][-1]
    assert (entry["reason"], entry["source"], entry["protocol"],
            entry["host"]) == ("request_rule_not_matched", "request_rule",
                               "https", NAME)
    line = [e for e in s.events() if e.get("protocol") == "https"][-1]
    assert (line["decision"], line["reason"], line["request_rule"],
            line["request_headers_injected"]) == (
        "deny", "request_rule_not_matched", None, {})


def test_matching_post_passes_in_limited_mode_unmatched_ones_do_not(s, good):
    p = s.start("limited")
    code, _, r = s.curl(p, "-X", "POST", "-d", "a=1", URL)
    assert code == 200, r.stderr
    method, _, headers, body = seen(good)
    assert (method, body) == ("POST", b"a=1")
    assert auth(headers) == ["Bearer " + SECRET]
    for args in (("-X", "POST", "-d", "a=1", OTHER),      # path
                 ("-X", "DELETE", URL),                    # method
                 ("-X", "PUT", "-d", "a=1", URL)):
        code, _, r = s.curl(p, "-D", "-", *args)
        assert code == 403, args
        assert b"x-proxy-error: blocked-by-request-rule" in r.stdout
    assert good.count == 1


def test_plain_http_to_a_host_with_rules_is_refused(s, good):
    p = s.start("full")
    code, body, _ = s.curl(p, "http://%s/api/items" % NAME)
    assert code == 403
    doc = json.loads(body)
    assert (doc["reason"], doc["protocol"]) == ("request_rule_not_matched",
                                                "http")
    assert good.count == 0


@pytest.mark.parametrize("mode", ["limited", "full"])
def test_socks5_to_443_is_intercepted_and_injected(s, good, mode):
    p = s.start(mode)
    s.ca_path()
    cmd = ["curl", "-sS", "-m", "10", "--noproxy", "", "--socks5-hostname",
           "%s:%d" % p.socks, "--cacert", str(s.bundle), URL]
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    assert r.stdout == b"hello from origin\n", r.stderr
    assert auth(seen(good)[2]) == ["Bearer " + SECRET]


def test_another_port_of_a_host_with_rules_is_refused_mitm_required(s, good):
    p = s.start("full")
    with socket.create_connection(p.http, timeout=5) as c:
        c.sendall(b"CONNECT %s:8443 HTTP/1.1\r\nHost: %s:8443\r\n\r\n"
                  % (NAME.encode(), NAME.encode()))
        r = read_response(Reader(c))
    assert r.status == 403
    assert r.header("x-proxy-error") == "blocked-by-mitm-required"
    sock, method = socks5_connect(p.socks)
    with sock:
        assert method == 0
        rep, _ = socks5_request(sock, 1, NAME, 8443)
    assert rep == 0x02
    # a UDP datagram to the host is dropped, and recorded
    sock, _ = socks5_connect(p.socks)
    with sock, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", 0))
        rep, relay = socks5_request(sock, 3, "127.0.0.1", u.getsockname()[1])
        assert rep == 0
        u.sendto(socks5_udp_wrap(NAME, 443, b"x"), relay)
        assert wait_for(lambda: any(e.get("protocol") == "socks5_udp"
                                    for e in s.events()))
    reasons = {(e["protocol"], e["port"]): e["reason"] for e in s.events()
               if e.get("event") == "decision"}
    assert reasons[("https_connect", 8443)] == "mitm_required"
    assert reasons[("socks5_tcp", 8443)] == "mitm_required"
    assert reasons[("socks5_udp", 443)] == "mitm_required"
    assert good.count == 0


def test_secret_file_others_may_read_stops_the_proxy(s):
    os.chmod(s.secret, 0o644)
    with pytest.raises(RuntimeError) as e:
        s.start()
    msg = str(e.value)
    assert ("secret file %s: has mode 0644: group or others may access it "
            "(chmod 600 it)" % s.secret) in msg
    assert SECRET not in msg


def test_reload_reads_the_secret_again_and_a_bad_one_keeps_the_old(s, good):
    p = s.start()
    assert s.curl(p, URL)[0] == 200
    write_secret(s.env, SECRET2 + "\n")
    p.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: s.curl(p, URL)[0] == 200 and
                    auth(seen(good)[2]) == ["Bearer " + SECRET2])
    # a secret file turned readable by others fails the reload: the
    # rules in force (and their secret) stay
    os.chmod(s.secret, 0o644)
    n = good.count
    p.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "has mode 0644" in p.stderr())
    assert s.curl(p, URL)[0] == 200
    assert good.count == n + 1
    assert auth(seen(good)[2]) == ["Bearer " + SECRET2]


def test_secret_never_appears_in_what_airlock_wrote(s, good):
    p = s.start()
    for args in ((URL,), (OTHER,), ("-X", "POST", "-d", "x", URL),
                 ("-H", "Authorization: x", URL)):
        s.curl(p, *args)
    answers = b""
    for path in ("/blocked", "/config", "/patterns", "/metrics"):
        r = admin_get(p, path)
        assert r.status == 200, path
        answers += r.body
    p.stop()
    shown = s.env.run("config", "show").stdout
    assert str(s.secret) in shown
    assert auth(seen(good, 0)[2]) == ["Bearer " + SECRET]  # it was used
    assert b"[injected]" in s.audit.read_bytes()
    for text in (answers, shown.encode(), p.stderr().encode()):
        assert SECRET.encode() not in text
    for f in pathlib.Path(s.env.root).rglob("*"):
        if f.is_file() and f != s.secret:
            assert SECRET.encode() not in f.read_bytes(), f


# --- inside `airlock run` --------------------------------------------------------

def run_config(s, mode):
    (s.env.home / "config.toml").write_text(
        '[permissions.network]\nmode = "%s"\nallow_local_binding = true\n'
        'allowed_domains = ["%s"]\nextra_ca_certificates = ["%s"]\n'
        'audit_log = "%s"\n' % (mode, NAME, s.pki.ca, s.audit)
        + RULES.format(name=NAME, secret=s.secret))


SCRIPT = """
for args in "%s" "-X POST -d a=1 %s" "%s" "-X POST -d a=1 %s"; do
  curl -sS -m 10 -o /dev/null -w '%%{http_code}\\n' $args
done
""" % (URL, URL, OTHER, OTHER)


@pytest.mark.parametrize("mode", ["limited", "full"])
def test_run_sandboxed_curl_without_a_token_gets_it_injected(s, good, mode):
    run_config(s, mode)
    e = dict(nss_hosts(s.env, {NAME: s.ip}), **sanitizer_env())
    r = s.env.run("run", "--network", "--", "sh", "-c", SCRIPT, env=e,
                  timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["200", "200", "403", "403"], r.stderr
    assert [seen(good, i)[0] for i in range(good.count)] == ["GET", "POST"]
    for i in range(2):
        assert auth(seen(good, i)[2]) == ["Bearer " + SECRET]
    assert "request_rule_not_matched" in r.stderr  # the blocked summary
    assert SECRET not in r.stdout + r.stderr
    assert b'"request_headers_injected":{"authorization":"[injected]"}' in \
        s.audit.read_bytes()
    for f in pathlib.Path(s.env.root).rglob("*"):
        if f.is_file() and f != s.secret:
            assert SECRET.encode() not in f.read_bytes(), f


def test_run_refuses_a_secret_file_others_may_read(s):
    run_config(s, "limited")
    os.chmod(s.secret, 0o644)
    r = s.env.run("run", "--network", "--", "true", timeout=60)
    assert r.returncode != 0
    assert "secret file %s: has mode 0644" % s.secret in r.stderr
