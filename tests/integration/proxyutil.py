"""Helpers for tests that drive the real `airlock proxy`.

- start_proxy(env, config_text, extra_env=None): writes config.toml into
  env.home, starts `airlock proxy --ready-file`, waits (bounded) for the
  ready file and returns a RunningProxy with .http, .socks, .admin as
  (host, port) tuples (None when that listener is off), .proc, .stop(),
  and .admin_token: the admin API token the proxy generated into
  $AIRLOCK_HOME/admin.token (None when the config names a token file);
  .admin_auth() is the header line carrying it.
- nss_hosts(env, {"name": "127.0.0.1"}): an extra_env that maps names
  through tests/integration/fakedns.c, so host-name tests never touch real DNS.
- origin_server(): a threaded HTTP origin on 127.0.0.1 counting requests.
- udp_echo(): a UDP echo server on 127.0.0.1 counting datagrams.
- socks5_* : a tiny raw SOCKS5 client (greeting, request, UDP header).

Everything binds 127.0.0.1 on ephemeral ports; every wait is bounded and
every socket has a timeout.
"""
import contextlib
import http.server
import ipaddress
import json
import pathlib
import socket
import socketserver
import struct
import subprocess
import threading
import time

from conftest import AIRLOCK

READY_TIMEOUT = 10.0
SOCK_TIMEOUT = 5.0


def _split_addr(text):
    if text is None:
        return None
    host, _, port = text.rpartition(":")
    return (host.strip("[]"), int(port))


class RunningProxy:
    def __init__(self, proc, ready, stderr_path):
        self.proc = proc
        self.http = _split_addr(ready.get("http"))
        self.socks = _split_addr(ready.get("socks"))
        self.admin = _split_addr(ready.get("admin"))
        self.stderr_path = stderr_path
        self.admin_token = None

    def admin_auth(self):
        """b"Authorization: Bearer TOKEN\r\n" for raw admin requests, or
        b"" when the proxy generated no token."""
        if self.admin_token is None:
            return b""
        return b"Authorization: Bearer %s\r\n" % self.admin_token.encode()

    def stderr(self):
        return pathlib.Path(self.stderr_path).read_text(errors="replace")

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL if it does not exit in time; returns rc."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        return self.proc.returncode


def start_proxy(env, config_text, extra_env=None, args=(), pre_args=()):
    """Starts `airlock proxy` with config_text as the user config;
    pre_args go before the subcommand (`airlock -v proxy`)."""
    (env.home / "config.toml").write_text(config_text)
    ready = env.root / "ready.json"
    if ready.exists():
        ready.unlink()
    errpath = env.root / "proxy.stderr"
    e = dict(env.env)
    if extra_env:
        e.update(extra_env)
    with open(errpath, "wb") as err:
        proc = subprocess.Popen(
            [str(AIRLOCK), *pre_args, "proxy", "--ready-file", str(ready),
             *args],
            cwd=str(env.cwd), env=e, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if ready.exists():
            try:
                data = json.loads(ready.read_text())
                rp = RunningProxy(proc, data, errpath)
                token = env.home / "admin.token"
                if (data.get("admin") and token.exists()
                        and "admin_token_file" not in config_text):
                    rp.admin_token = token.read_text().strip()
                return rp
            except ValueError:
                pass
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
    raise RuntimeError("airlock proxy did not become ready (rc=%s): %s" %
                       (proc.returncode, errpath.read_text(errors="replace")))


from conftest import fake_dns_env  # noqa: E402


def nss_hosts(env, mapping):
    """Env vars mapping host names to addresses for an airlock process.

    The names resolve through build/tests/fakedns.so, which answers from
    a file and fails every other name without querying a name server, so
    no test ever sends a DNS query off the machine."""
    return fake_dns_env(env, mapping.items())


# --- HTTP origin ------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, with_body):
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body_in = self.rfile.read(length) if length else b""
        with srv.lock:
            srv.requests.append((self.command, self.path, dict(self.headers),
                                 body_in))
        body = srv.body
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)

    def do_POST(self):
        self._answer(True)

    do_PUT = do_POST
    do_DELETE = do_POST
    do_OPTIONS = do_GET

    def log_message(self, *a):
        pass


class _Origin(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # No socket.getfqdn(): that is a reverse DNS query (see httputil).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def port(self):
        return self.server_address[1]

    @property
    def host(self):
        return "127.0.0.1"

    @property
    def count(self):
        with self.lock:
            return len(self.requests)

    def url(self, path="/", host=None):
        return "http://%s:%d%s" % (host or self.host, self.port, path)


@contextlib.contextmanager
def origin_server(body=b"hello from origin\n"):
    """A threaded HTTP/1.1 origin on 127.0.0.1; .count, .requests, .url()."""
    srv = _Origin(("127.0.0.1", 0), _Handler)
    srv.timeout = SOCK_TIMEOUT
    srv.lock = threading.Lock()
    srv.requests = []
    srv.body = body
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(timeout=5)


# --- UDP echo ---------------------------------------------------------------

class _Echo:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.addr = self.sock.getsockname()
        self.port = self.addr[1]
        self.received = []
        self.lock = threading.Lock()
        self.stopping = False

    @property
    def count(self):
        with self.lock:
            return len(self.received)

    def run(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.received.append((data, peer))
            try:
                self.sock.sendto(data, peer)
            except OSError:
                pass


@contextlib.contextmanager
def udp_echo():
    """A UDP echo server on 127.0.0.1; .addr, .port, .count, .received."""
    e = _Echo()
    t = threading.Thread(target=e.run, daemon=True)
    t.start()
    try:
        yield e
    finally:
        e.stopping = True
        t.join(timeout=5)
        e.sock.close()


# --- raw SOCKS5 client ------------------------------------------------------

def recv_exact(s, n):
    """n bytes, or fewer when the peer closed first."""
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def socks5_addr(host, port):
    """ATYP + DST.ADDR + DST.PORT for an IP literal or a domain."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        h = host.encode()
        return b"\x03" + bytes([len(h)]) + h + struct.pack("!H", port)
    atyp = b"\x01" if ip.version == 4 else b"\x04"
    return atyp + ip.packed + struct.pack("!H", port)


def socks5_read_addr(s):
    """Reads ATYP ADDR PORT from a stream; returns (host, port)."""
    atyp = recv_exact(s, 1)
    if atyp == b"\x01":
        raw = recv_exact(s, 4)
        host = str(ipaddress.ip_address(raw))
    elif atyp == b"\x04":
        raw = recv_exact(s, 16)
        host = str(ipaddress.ip_address(raw))
    elif atyp == b"\x03":
        n = recv_exact(s, 1)[0]
        host = recv_exact(s, n).decode()
    else:
        raise ValueError("bad ATYP %r" % atyp)
    port = struct.unpack("!H", recv_exact(s, 2))[0]
    return host, port


def socks5_connect(addr, methods=b"\x00"):
    """A connected socket that has done the greeting; (sock, method)."""
    s = socket.create_connection(addr, timeout=SOCK_TIMEOUT)
    s.sendall(b"\x05" + bytes([len(methods)]) + methods)
    reply = recv_exact(s, 2)
    return s, (reply[1] if len(reply) == 2 else None)


def socks5_request(s, cmd, host, port):
    """Sends a request; returns (rep, (bnd_host, bnd_port)) or (None, None)
    when the server closed without a reply."""
    s.sendall(b"\x05" + bytes([cmd]) + b"\x00" + socks5_addr(host, port))
    head = recv_exact(s, 3)
    if len(head) < 3:
        return None, None
    return head[1], socks5_read_addr(s)


def socks5_udp_wrap(host, port, payload, frag=0):
    return b"\x00\x00" + bytes([frag]) + socks5_addr(host, port) + payload


def socks5_udp_unwrap(data):
    """(host, port, payload) of a datagram from the relay."""
    atyp = data[3]
    if atyp == 1:
        host, rest = str(ipaddress.ip_address(data[4:8])), data[8:]
    elif atyp == 4:
        host, rest = str(ipaddress.ip_address(data[4:20])), data[20:]
    else:
        n = data[4]
        host, rest = data[5:5 + n].decode(), data[5 + n:]
    return host, struct.unpack("!H", rest[:2])[0], rest[2:]


def wait_for(pred, timeout=5.0, step=0.05):
    """Polls pred until true or timeout; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def closed_by_peer(s, timeout=SOCK_TIMEOUT):
    """True when the peer closes s (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def free_tcp_port():
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

