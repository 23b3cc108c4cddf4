"""Upstream proxy chaining (net/upstream) against real peer proxies.

These tests drive the upstream module through build/upstream-probe, which
selects a route the way the proxy does, connects through the upstream and
sends `GET /` to a local origin (test_upstream_proxy.py drives the proxy
itself). Peers: tinyproxy and squid (HTTP CONNECT and absolute-form),
microsocks (SOCKS5, with and without -u/-P). Everything listens on
127.0.0.1 with ports picked by the kernel; every wait is bounded.
"""
import contextlib
import http.server
import os
import pathlib
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import BUILD

PROBE = BUILD / "upstream-probe"
BODY = b"hello from origin\n"
WAIT_S = 10.0


@pytest.fixture(autouse=True)
def _need_probe():
    if not PROBE.exists():
        pytest.fail(f"{PROBE} is not built; run make first")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"peer exited early with {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@contextlib.contextmanager
def peer(argv, port, env=None):
    """Runs a peer proxy in the foreground until the test is done."""
    exe = shutil.which(argv[0])
    if exe is None:
        # scripts/install-deps --test installs every peer: a missing one
        # is a broken setup, and a skip would hide the tests it carries.
        pytest.fail(f"{argv[0]} is not installed (scripts/install-deps "
                    "--test)")
    proc = subprocess.Popen([exe, *argv[1:]], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        wait_listening(port, proc)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=WAIT_S)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *a):
        pass


@pytest.fixture
def origin():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.paths = []
    t = threading.Thread(target=srv.serve_forever,
                         kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(timeout=5)


def probe(*args, env=None):
    e = {k: v for k, v in os.environ.items()
         if not k.lower().endswith("_proxy")}
    if env:
        e.update(env)
    return subprocess.run([str(PROBE), "--timeout", "5000",
                           *[str(a) for a in args]],
                          capture_output=True, env=e, timeout=30)


def assert_reached(r, route):
    assert r.returncode == 0, r.stderr.decode()
    assert f"route: {route}".encode() in r.stderr
    assert r.stdout.startswith(b"HTTP/1."), r.stdout
    assert BODY in r.stdout


@contextlib.contextmanager
def tinyproxy(tmp_path, origin_port, auth=None):
    port = free_port()
    conf = tmp_path / "tinyproxy.conf"
    lines = [f"Port {port}", "Listen 127.0.0.1", "Allow 127.0.0.1",
             f"ConnectPort {origin_port}", "Timeout 30", "MaxClients 20",
             "LogLevel Critical"]
    if auth:
        lines.append(f"BasicAuth {auth[0]} {auth[1]}")
    conf.write_text("\n".join(lines) + "\n")
    with peer(["tinyproxy", "-d", "-c", str(conf)], port) as p:
        yield p


@contextlib.contextmanager
def squid(tmp_path):
    port = free_port()
    d = tmp_path / "squid"
    d.mkdir()
    d.chmod(0o777)  # squid drops to its own user when started as root
    conf = d / "squid.conf"
    conf.write_text("\n".join([
        f"http_port 127.0.0.1:{port}",
        "http_access allow all",
        "cache deny all",
        "pid_filename none",
        "access_log none",
        f"cache_log {d}/cache.log",
        f"coredump_dir {d}",
        "shutdown_lifetime 0 seconds",
    ]) + "\n")
    with peer(["squid", "-N", "-f", str(conf)], port) as p:
        yield p


@contextlib.contextmanager
def microsocks(auth=None):
    port = free_port()
    argv = ["microsocks", "-i", "127.0.0.1", "-p", str(port)]
    if auth:
        argv += ["-u", auth[0], "-P", auth[1]]
    with peer(argv, port) as p:
        yield p


# --- HTTP upstreams -----------------------------------------------------------

def test_tunnel_through_tinyproxy_reaches_origin(tmp_path, origin):
    with tinyproxy(tmp_path, origin.server_port) as tp:
        r = probe("--upstream", f"http://127.0.0.1:{tp}", "--kind", "tunnel",
                  "127.0.0.1", origin.server_port)
    assert_reached(r, f"http://127.0.0.1:{tp}")
    assert origin.paths == ["/"]


def test_absolute_form_through_tinyproxy_reaches_origin(tmp_path, origin):
    with tinyproxy(tmp_path, origin.server_port) as tp:
        r = probe("--upstream", f"http://127.0.0.1:{tp}", "--kind", "http",
                  "127.0.0.1", origin.server_port)
    assert_reached(r, f"http://127.0.0.1:{tp}")


def test_tinyproxy_basic_auth_with_credentials(tmp_path, origin):
    with tinyproxy(tmp_path, origin.server_port, ("alice", "s3cret")) as tp:
        r = probe("--upstream", f"http://alice:s3cret@127.0.0.1:{tp}",
                  "127.0.0.1", origin.server_port)
    assert_reached(r, f"http://127.0.0.1:{tp}")


def test_tinyproxy_wrong_credentials_is_a_clear_error(tmp_path, origin):
    with tinyproxy(tmp_path, origin.server_port, ("alice", "s3cret")) as tp:
        r = probe("--upstream", f"http://alice:nope@127.0.0.1:{tp}",
                  "127.0.0.1", origin.server_port)
    assert r.returncode == 1
    err = r.stderr.decode()
    # tinyproxy answers 401 where RFC 9110 says 407; both mean "login".
    assert "refused: HTTP/1." in err and ("407" in err or "401" in err), err
    assert "(EACCES)" in err
    assert "nope" not in err
    assert origin.paths == []


def test_tunnel_through_squid_reaches_origin(tmp_path, origin):
    with squid(tmp_path) as sq:
        r = probe("--upstream", f"http://127.0.0.1:{sq}", "127.0.0.1",
                  origin.server_port)
    assert_reached(r, f"http://127.0.0.1:{sq}")


def test_absolute_form_through_squid_reaches_origin(tmp_path, origin):
    with squid(tmp_path) as sq:
        r = probe("--upstream", f"http://127.0.0.1:{sq}", "--kind", "http",
                  "127.0.0.1", origin.server_port)
    assert_reached(r, f"http://127.0.0.1:{sq}")


# --- SOCKS5 upstreams ------------------------------------------------------------

def test_socks5h_through_microsocks_sends_the_name(origin):
    with microsocks() as ms:
        r = probe("--upstream", f"socks5h://127.0.0.1:{ms}", "localhost",
                  origin.server_port)
    assert_reached(r, f"socks5h://127.0.0.1:{ms}")


def test_socks5_through_microsocks_sends_the_vetted_address(origin):
    with microsocks() as ms:
        r = probe("--upstream", f"socks5://127.0.0.1:{ms}", "localhost",
                  origin.server_port)
    assert_reached(r, f"socks5://127.0.0.1:{ms}")


def test_microsocks_with_credentials(origin):
    with microsocks(("bob", "pa:ss")) as ms:
        r = probe("--upstream", f"socks5h://bob:pa%3Ass@127.0.0.1:{ms}",
                  "127.0.0.1", origin.server_port)
    assert_reached(r, f"socks5h://127.0.0.1:{ms}")


def test_microsocks_wrong_credentials_is_a_clear_error(origin):
    with microsocks(("bob", "right")) as ms:
        r = probe("--upstream", f"socks5h://bob:wrong@127.0.0.1:{ms}",
                  "127.0.0.1", origin.server_port)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "authentication failed" in err, err
    assert "wrong" not in err


def test_microsocks_requiring_auth_without_credentials(origin):
    with microsocks(("bob", "right")) as ms:
        r = probe("--upstream", f"socks5h://127.0.0.1:{ms}", "127.0.0.1",
                  origin.server_port)
    assert r.returncode == 1
    assert b"authentication required" in r.stderr, r.stderr


# --- failures and selection ---------------------------------------------------------

@pytest.mark.parametrize("scheme", ["http", "socks5h"])
def test_upstream_down_is_a_clear_error(scheme, origin):
    port = free_port()
    r = probe("--upstream", f"{scheme}://127.0.0.1:{port}", "127.0.0.1",
              origin.server_port)
    assert r.returncode == 1
    assert (f"upstream proxy {scheme}://127.0.0.1:{port}: connection "
            f"refused").encode() in r.stderr, r.stderr
    assert origin.paths == []


def test_no_proxy_bypass_goes_direct(origin):
    down = free_port()
    r = probe("--upstream", f"http://127.0.0.1:{down}", "--no-proxy",
              "example.com,127.0.0.0/8", "127.0.0.1", origin.server_port)
    assert_reached(r, "direct")


def test_no_proxy_suffix_bypass_goes_direct(origin):
    down = free_port()
    r = probe("--upstream", f"http://127.0.0.1:{down}", "--no-proxy",
              ".localhost", "localhost", origin.server_port)
    assert_reached(r, "direct")


def test_environment_https_proxy_is_used_for_tunnels(tmp_path, origin):
    with tinyproxy(tmp_path, origin.server_port) as tp:
        r = probe("127.0.0.1", origin.server_port,
                  env={"HTTPS_PROXY": f" http://127.0.0.1:{tp} ",
                       "HTTP_PROXY": "http://127.0.0.1:1"})
    assert_reached(r, f"http://127.0.0.1:{tp}")


def test_environment_no_proxy_bypasses_env_upstream(origin):
    r = probe("127.0.0.1", origin.server_port,
              env={"ALL_PROXY": f"http://127.0.0.1:{free_port()}",
                   "NO_PROXY": "localhost,127.0.0.1"})
    assert_reached(r, "direct")


def test_environment_unsupported_scheme_is_ignored_with_warning(origin):
    r = probe("127.0.0.1", origin.server_port,
              env={"HTTPS_PROXY": "https://user:pw@127.0.0.1:1"})
    assert_reached(r, "direct")
    assert b"ignoring HTTPS_PROXY" in r.stderr
    assert b"pw@" not in r.stderr
