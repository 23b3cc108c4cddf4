"""Limited mode over HTTPS: TLS interception with the managed CA (issue 4;
reference §8; doc/mitm.md).

Real TLS on loopback only. Each test makes its own PKI with the openssl
command line (a test CA, an origin certificate for secure.airlock.test, an
untrusted self-signed one, an expired one), runs a python `ssl` origin on
a loopback address of its own (127.77.x.y), maps the name there through
the fake resolver, and trusts the test CA in the proxy through
extra_ca_certificates. Clients trust the proxy's bundle
($AIRLOCK_HOME/proxy/ca-bundle.pem).

Interception only serves port 443, which only root may bind: the origin
listens on an ephemeral port and the fake resolver's connect redirect
(conftest.redirect_port) takes the proxy's connections to port 443 of that
address there, so these tests run unprivileged too.
"""
import contextlib
import itertools
import json
import os
import socket
import ssl
import subprocess
import threading

import pytest

from conftest import AIRLOCK, redirect_port
from httputil import assert_clean_exit, origin, read_response, Reader, sanitizer_env
from proxyutil import nss_hosts, start_proxy

NAME = "secure.airlock.test"
_ips = itertools.count(2)


def run(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True,
                          timeout=30, **kw)


class Pki:
    """A test CA and server certificates, made with openssl."""

    def __init__(self, d):
        self.d = d
        self.ca_key, self.ca = d / "tca.key", d / "tca.pem"
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
            "-out", str(self.ca_key))
        run("openssl", "req", "-x509", "-new", "-key", str(self.ca_key),
            "-subj", "/CN=airlock test origin CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign", "-out", str(self.ca))

    def leaf(self, tag, name=NAME, signed=True, days=2):
        key, csr = self.d / (tag + ".key"), self.d / (tag + ".csr")
        pem, ext = self.d / (tag + ".pem"), self.d / (tag + ".ext")
        ext.write_text("subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
                       "extendedKeyUsage=serverAuth\n" % name)
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
            "-out", str(key))
        run("openssl", "req", "-new", "-key", str(key), "-subj", "/CN=" + name,
            "-out", str(csr))
        if signed:
            run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.ca),
                "-CAkey", str(self.ca_key), "-CAcreateserial", "-days",
                str(days), "-extfile", str(ext), "-out", str(pem))
        else:
            run("openssl", "x509", "-req", "-in", str(csr), "-signkey",
                str(key), "-days", "2", "-extfile", str(ext), "-out", str(pem))
        return pem, key

    def expired_leaf(self):
        """openssl x509 cannot backdate in 3.0: `openssl ca` can."""
        pem, key = self.leaf("exp-tmp")
        d = self.d / "ca-db"
        d.mkdir()
        (d / "index.txt").write_text("")
        (d / "serial").write_text("1000\n")
        cnf = d / "ca.cnf"
        cnf.write_text(
            "[ca]\ndefault_ca = t\n[t]\ndatabase = %s/index.txt\n"
            "serial = %s/serial\nnew_certs_dir = %s\ndefault_md = sha256\n"
            "policy = p\ncopy_extensions = copy\n[p]\ncommonName = supplied\n"
            % (d, d, d))
        out = self.d / "expired.pem"
        run("openssl", "ca", "-batch", "-config", str(cnf), "-cert",
            str(self.ca), "-keyfile", str(self.ca_key), "-in",
            str(self.d / "exp-tmp.csr"), "-startdate", "20200101000000Z",
            "-enddate", "20200201000000Z", "-notext", "-out", str(out))
        return out, key


@contextlib.contextmanager
def https_origin(ip, cert, key, static=None):
    """httputil's origin on ip, wrapped in TLS, standing for ip:443.
    Handshakes happen in the handler threads, so a bad client cannot stall
    the accept loop."""
    with origin(host=ip, port=0, static=static) as o:
        redirect_port(ip, 443, o.port)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        o.socket = ctx.wrap_socket(o.socket, server_side=True,
                                   do_handshake_on_connect=False)
        yield o


def fresh_ip():
    """A loopback address no other test of this session uses."""
    return "127.77.%d.%d" % divmod(next(_ips) + os.getpid() % 200 * 256,
                                   256)


def config(extra_ca, mode="limited", extra=""):
    return """
[permissions.network]
enabled = true
mode = "%s"
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
allow_local_binding = true
allowed_domains = ["%s"]
extra_ca_certificates = ["%s"]
%s
""" % (mode, NAME, extra_ca, extra)


class Setup:
    def __init__(self, env, tmp_path):
        self.env = env
        self.pki = Pki(tmp_path)
        self.ip = fresh_ip()
        self.proxies = []

    def start(self, mode="limited", extra=""):
        e = dict(nss_hosts(self.env, {NAME: self.ip}), **sanitizer_env())
        p = start_proxy(self.env, config(self.pki.ca, mode, extra), e)
        self.proxies.append(p)
        return p

    @property
    def bundle(self):
        return self.env.home / "proxy" / "ca-bundle.pem"

    def ca_path(self):
        r = self.env.run("ca", "path", "--bundle")
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def curl(self, p, *args):
        self.ca_path()
        cmd = ["curl", "-sS", "-m", "10", "--noproxy", "", "--proxy",
               "http://%s:%d" % p.http, "--cacert", str(self.bundle),
               "-o", "-", "-w", "\n%{http_code}", *args]
        r = subprocess.run(cmd, capture_output=True, timeout=30)
        body, _, code = r.stdout.rpartition(b"\n")
        return int(code or 0), body, r


@pytest.fixture
def s(airlock_env, tmp_path):
    st = Setup(airlock_env, tmp_path)
    yield st
    for p in st.proxies:
        assert_clean_exit(p)


@pytest.fixture
def good(s):
    cert, key = s.pki.leaf("good")
    with https_origin(s.ip, cert, key) as o:
        yield o


URL = "https://%s/hello" % NAME


def test_get_and_head_reach_the_origin_through_interception(s, good):
    p = s.start()
    code, body, _ = s.curl(p, URL)
    assert (code, body) == (200, b"hello from origin\n")
    code, body, _ = s.curl(p, "-I", URL)
    assert code == 200
    assert good.count == 2


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_writes_are_blocked_by_method_policy(s, good, method):
    p = s.start(extra='audit_log = "%s"' % (s.env.root / "audit.jsonl"))
    code, body, r = s.curl(p, "-X", method, "-d", "x=1", "-D", "-", URL)
    assert code == 403
    assert b"x-proxy-error: blocked-by-method-policy" in r.stdout
    assert good.count == 0
    p.stop()
    events = [json.loads(l) for l in
              (s.env.root / "audit.jsonl").read_text().splitlines()]
    denied = [e for e in events if e.get("reason") == "method_not_allowed"]
    assert denied and denied[0]["protocol"] == "https"
    assert denied[0]["method"] == method


def test_blocked_write_is_listed_by_the_admin_api(s, good):
    p = s.start()
    s.curl(p, "-X", "POST", "-d", "x", URL)
    with socket.create_connection(p.admin, timeout=5) as c:
        c.sendall(b"GET /blocked HTTP/1.1\r\nHost: a\r\n%sConnection: close"
                  b"\r\n\r\n" % p.admin_auth())
        r = read_response(Reader(c))
    entry = json.loads(r.body)["blocked"][-1]
    assert (entry["reason"], entry["protocol"], entry["method"],
            entry["port"]) == ("method_not_allowed", "https", "POST", 443)


def test_wrong_host_inside_the_tunnel_is_400(s, good):
    p = s.start()
    code, body, _ = s.curl(p, "-H", "Host: other.airlock.test", URL)
    assert code == 400
    assert body == b"host mismatch"
    assert good.count == 0


def tls_through_proxy(s, p):
    """A raw TLS socket through CONNECT, trusting the bundle."""
    s.ca_path()
    raw = socket.create_connection(p.http, timeout=5)
    raw.sendall(b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n"
                % (NAME.encode(), NAME.encode()))
    assert raw.recv(100).startswith(b"HTTP/1.1 200")
    ctx = ssl.create_default_context(cafile=str(s.bundle))
    return ctx.wrap_socket(raw, server_hostname=NAME)


def test_connect_inside_the_tunnel_is_405(s, good):
    p = s.start()
    with tls_through_proxy(s, p) as t:
        t.sendall(b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n")
        r = read_response(Reader(t))
    assert r.status == 405
    assert good.count == 0


def test_keep_alive_serves_several_requests_in_one_tunnel(s, good):
    p = s.start()
    with tls_through_proxy(s, p) as t:
        rd = Reader(t)
        for i in range(3):
            t.sendall(b"GET /echo?%d HTTP/1.1\r\nHost: %s\r\n\r\n"
                      % (i, NAME.encode()))
            r = read_response(rd)
            assert r.status == 200
            assert json.loads(r.body)["path"] == "/echo?%d" % i
    assert good.count == 3


def test_untrusted_origin_certificate_is_502(s):
    cert, key = s.pki.leaf("selfsigned", signed=False)
    with https_origin(s.ip, cert, key) as o:
        p = s.start()
        code, body, _ = s.curl(p, URL)
    assert code == 502
    assert b"certificate verification failed" in body
    assert o.count == 0


def test_expired_origin_certificate_is_502(s):
    cert, key = s.pki.expired_leaf()
    with https_origin(s.ip, cert, key) as o:
        p = s.start()
        code, body, _ = s.curl(p, URL)
    assert code == 502
    assert b"certificate has expired" in body
    assert o.count == 0


def test_origin_certificate_for_another_name_is_502(s):
    cert, key = s.pki.leaf("other", name="other.airlock.test")
    with https_origin(s.ip, cert, key):
        p = s.start()
        code, body, _ = s.curl(p, URL)
    assert code == 502
    assert b"certificate verification failed" in body


def test_connect_to_another_port_stays_refused(s, good):
    p = s.start()
    with socket.create_connection(p.http, timeout=5) as c:
        c.sendall(b"CONNECT %s:8443 HTTP/1.1\r\nHost: %s:8443\r\n\r\n"
                  % (NAME.encode(), NAME.encode()))
        r = read_response(Reader(c))
    assert r.status == 403
    assert r.header("x-proxy-error") == "blocked-by-mitm-required"


def test_full_mode_keeps_a_raw_tunnel(s, good):
    p = s.start(mode="full")
    # The origin's own certificate arrives: trust the test CA directly.
    cmd = ["curl", "-sS", "-m", "10", "--noproxy", "", "--proxy",
           "http://%s:%d" % p.http, "--cacert", str(s.pki.ca), URL]
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    assert r.stdout == b"hello from origin\n", r.stderr
    assert not (s.env.home / "proxy" / "ca.key").exists()


def test_client_that_does_not_speak_tls_is_closed(s, good):
    p = s.start()
    with socket.create_connection(p.http, timeout=5) as c:
        c.sendall(b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n"
                  % (NAME.encode(), NAME.encode()))
        assert c.recv(100).startswith(b"HTTP/1.1 200")
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = c.recv(4096)
        while data:
            data = c.recv(4096)
    assert good.count == 0
    p.stop()
    assert "client did not complete TLS" in p.stderr()


def test_socks5_to_443_is_intercepted(s, good):
    p = s.start(extra='enable_socks5 = true\nsocks_url = "http://127.0.0.1:0"')
    s.ca_path()
    cmd = ["curl", "-sS", "-m", "10", "--noproxy", "", "--socks5-hostname",
           "%s:%d" % p.socks, "--cacert", str(s.bundle), URL]
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    assert r.stdout == b"hello from origin\n", r.stderr
    cmd[-1:] = ["-X", "POST", "-d", "x", URL]
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    assert r.stdout == b"Method not allowed in limited mode."
    assert good.count == 1


def test_python_requests_with_requests_ca_bundle(s, good):
    p = s.start()
    s.ca_path()
    code = ("import requests,sys\n"
            "r = requests.get(sys.argv[1], timeout=10)\n"
            "print(r.status_code, r.text.strip())\n"
            "r = requests.post(sys.argv[1], data=b'x', timeout=10)\n"
            "print(r.status_code, r.headers.get('x-proxy-error'))\n")
    env = {"PATH": os.environ["PATH"], "REQUESTS_CA_BUNDLE": str(s.bundle),
           "HTTPS_PROXY": "http://%s:%d" % p.http}
    r = subprocess.run(["/usr/bin/python3", "-c", code, URL], env=env,
                       capture_output=True, timeout=60, text=True)
    assert r.stdout.splitlines() == [
        "200 hello from origin", "403 blocked-by-method-policy"], r.stderr


def test_git_ls_remote_and_clone_over_https(s, tmp_path):
    src, static = tmp_path / "src", tmp_path / "static"
    static.mkdir()
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null",
               GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    run("git", "init", "-q", "-b", "main", str(src), env=env)
    (src / "f.txt").write_text("through the airlock\n")
    run("git", "-C", str(src), "add", "f.txt", env=env)
    run("git", "-C", str(src), "commit", "-q", "-m", "one", env=env)
    run("git", "clone", "-q", "--bare", str(src), str(static / "r.git"),
        env=env)
    run("git", "-C", str(static / "r.git"), "update-server-info", env=env)
    cert, key = s.pki.leaf("good")
    with https_origin(s.ip, cert, key, static=static):
        p = s.start()
        s.ca_path()
        genv = dict(env, GIT_SSL_CAINFO=str(s.bundle),
                    https_proxy="http://%s:%d" % p.http)
        url = "https://%s/r.git" % NAME
        r = subprocess.run(["git", "ls-remote", url], env=genv,
                           capture_output=True, timeout=60, text=True)
        assert "refs/heads/main" in r.stdout, r.stderr
        r = subprocess.run(["git", "clone", "-q", url,
                            str(tmp_path / "out")], env=genv,
                           capture_output=True, timeout=60, text=True)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "f.txt").read_text() == "through the airlock\n"


# --- the CA files -------------------------------------------------------------

def test_ca_path_creates_the_ca_with_safe_modes(airlock_env):
    r = airlock_env.run("ca", "path")
    assert r.returncode == 0, r.stderr
    d = airlock_env.home / "proxy"
    assert r.stdout.strip() == str(d / "ca.pem")
    assert oct((d / "ca.key").stat().st_mode & 0o777) == "0o600"
    assert oct((d / "ca.pem").stat().st_mode & 0o777) == "0o644"
    before = (d / "ca.pem").read_bytes()
    assert airlock_env.run("ca", "path").returncode == 0
    assert (d / "ca.pem").read_bytes() == before
    bundle = (d / "ca-bundle.pem").read_text()
    assert before.decode().strip() in bundle


def test_ca_key_readable_by_others_is_refused(airlock_env):
    assert airlock_env.run("ca", "path").returncode == 0
    key = airlock_env.home / "proxy" / "ca.key"
    key.chmod(0o644)
    r = airlock_env.run("ca", "path")
    assert r.returncode == 2
    assert "must not be group/world accessible (mode=644; expected <= 600)" \
        in r.stderr


def test_ca_key_symlink_is_refused(airlock_env):
    assert airlock_env.run("ca", "path").returncode == 0
    d = airlock_env.home / "proxy"
    (d / "ca.key").rename(d / "real.key")
    (d / "ca.key").symlink_to(d / "real.key")
    r = airlock_env.run("ca", "path")
    assert r.returncode == 2
    assert "must not be a symlink" in r.stderr


def test_ca_with_only_one_file_is_refused(airlock_env):
    assert airlock_env.run("ca", "path").returncode == 0
    (airlock_env.home / "proxy" / "ca.pem").unlink()
    r = airlock_env.run("ca", "path")
    assert r.returncode == 2
    assert "both managed MITM CA files must exist" in r.stderr


def test_intercepting_with_a_bad_ca_key_is_502(s, good):
    assert s.env.run("ca", "path").returncode == 0
    (s.env.home / "proxy" / "ca.key").chmod(0o640)
    p = s.start()
    with socket.create_connection(p.http, timeout=5) as c:
        c.sendall(b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n"
                  % (NAME.encode(), NAME.encode()))
        r = read_response(Reader(c))
    assert r.status == 502
    assert b"group/world accessible" in r.body


def test_repeat_tunnels_reuse_the_cached_leaf(s, good):
    p = s.start()
    certs = []
    for _ in range(3):
        with tls_through_proxy(s, p) as t:
            certs.append(t.getpeercert(binary_form=True))
    assert certs[0] == certs[1] == certs[2]


def proxy_fds(p):
    return len(os.listdir("/proc/%d/fd" % p.proc.pid))


def test_500_intercepted_tunnels_hold_two_fds_each(s, good):
    """An intercepted tunnel costs the proxy its client socket and its
    origin socket, nothing more: 500 of them, each having fetched one page
    (so each holds a parked, verified origin connection), add at most
    2 × 500 fds and a constant. The TLS of both sides runs in memory; the
    proxy used to bridge each TLS session to its HTTP code through a
    socketpair, six fds a tunnel."""
    import resource
    n, need = 500, 4096
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip("needs an open-file limit of %d (hard limit %d)"
                    % (need, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    tunnels = []
    try:
        p = s.start()  # inherits the limit: its connection cap is above n
        with tls_through_proxy(s, p) as t:  # CA, leaf and contexts made
            t.sendall(b"GET /hello HTTP/1.1\r\nHost: %s\r\n\r\n"
                      % NAME.encode())
            assert read_response(Reader(t)).status == 200
        before = proxy_fds(p)
        ctx = ssl.create_default_context(cafile=str(s.bundle))
        for _ in range(n):
            raw = socket.create_connection(p.http, timeout=10)
            tunnels.append(raw)
            raw.sendall(b"CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n"
                        % (NAME.encode(), NAME.encode()))
            assert raw.recv(100).startswith(b"HTTP/1.1 200")
            tunnels[-1] = ctx.wrap_socket(raw, server_hostname=NAME)
        # Fifty requests at a time: the origin's answers overlap, and
        # its accept queue (raised here) keeps up.
        good.socket.listen(1024)
        for i in range(0, n, 50):
            for t in tunnels[i:i + 50]:
                t.sendall(b"GET /hello HTTP/1.1\r\nHost: %s\r\n\r\n"
                          % NAME.encode())
            for t in tunnels[i:i + 50]:
                assert read_response(Reader(t)).status == 200
        held = proxy_fds(p) - before
        print("fds held by %d intercepted tunnels: %d" % (n, held))
        assert good.connections >= n
        assert held <= 2 * n + 16, held
    finally:
        for t in tunnels:
            t.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
