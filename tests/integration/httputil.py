"""Helpers for the HTTP proxy listener tests (test_http_*.py).

- http_config(...): a config.toml for an HTTP-only `airlock proxy`.
- NAMES / hosts(): fake-resolver names used by these tests (loopback only).
- origin(): a threaded HTTP/1.1 origin on 127.0.0.1 (or another loopback
  address) with a few routes: /echo (method, path, headers and a digest of
  the body as JSON), /big (BIG_SIZE deterministic bytes), /hold (half a
  body, then waits for .release), /chunked, anything else a short text.
  It counts connections and requests.
- raw_exchange(), read_response(): a raw socket client that parses
  responses itself, for the byte-exact and smuggling cases.

Every socket has a timeout and every wait is bounded.
"""
import contextlib
import hashlib
import http.server
import json
import socket
import socketserver
import threading

SOCK_TIMEOUT = 10.0
BIG_SIZE = 20 * 1024 * 1024
NAMES = {"origin.airlock.test": "127.0.0.1", "rebind.airlock.test": "127.0.0.2"}


def http_config(mode="full", allowed=('"127.0.0.1"',), denied=(),
                local=False, extra=""):
    return """
[permissions.network]
enabled = true
mode = "%s"
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
allow_local_binding = %s
allowed_domains = [%s]
denied_domains = [%s]
%s
""" % (mode, str(local).lower(), ", ".join(allowed), ", ".join(denied),
       extra)


def big_body():
    """BIG_SIZE bytes that differ everywhere (a repeated block would hide
    reordered chunks)."""
    out = bytearray()
    i = 0
    while len(out) < BIG_SIZE:
        out += hashlib.sha256(b"%d" % i).digest() * 64
        i += 1
    return bytes(out[:BIG_SIZE])


_BIG = None


def big():
    global _BIG
    if _BIG is None:
        _BIG = big_body()
    return _BIG


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _body_in(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, body, ctype="text/plain", head=False):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _serve(self, head=False):
        srv = self.server
        body_in = self._body_in()
        with srv.lock:
            srv.requests.append((self.command, self.path,
                                 list(self.headers.items()), body_in))
        path = self.path.split("?")[0]
        if path == "/echo":
            self._send(json.dumps({
                "method": self.command, "path": self.path,
                "headers": list(self.headers.items()),
                "body_len": len(body_in),
                "body_sha256": hashlib.sha256(body_in).hexdigest(),
            }).encode(), "application/json", head)
        elif path == "/big":
            self._send(big(), "application/octet-stream", head)
        elif path == "/hold":
            body = b"x" * 200000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:1000])
            self.wfile.flush()
            with srv.lock:
                srv.holding += 1
            srv.release.wait(SOCK_TIMEOUT)
            self.wfile.write(body[1000:])
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.server.static is not None:
            self._static(path, head)
        else:
            self._send(b"hello from origin\n", head=head)

    def _static(self, path, head):
        root = self.server.static
        p = (root / path.lstrip("/")).resolve()
        if not str(p).startswith(str(root.resolve())) or not p.is_file():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(p.read_bytes(), "application/octet-stream", head)

    def do_GET(self):
        self._serve()

    def do_HEAD(self):
        self._serve(head=True)

    do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def log_message(self, *a):
        pass


class _Origin(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer.server_bind asks socket.getfqdn() for a name, a reverse
        # DNS query for addresses /etc/hosts does not list (127.0.0.2):
        # tests must not send any, so skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        conn = super().get_request()
        with self.lock:
            self.connections += 1
        return conn

    @property
    def port(self):
        return self.server_address[1]

    @property
    def host(self):
        return self.server_address[0]

    @property
    def count(self):
        with self.lock:
            return len(self.requests)

    def url(self, path="/", host=None):
        return "http://%s:%d%s" % (host or self.host, self.port, path)


@contextlib.contextmanager
def origin(host="127.0.0.1", port=0, static=None):
    srv = _Origin((host, port), _Handler)
    srv.lock = threading.Lock()
    srv.requests = []
    srv.connections = 0
    srv.holding = 0
    srv.release = threading.Event()
    srv.static = static
    t = threading.Thread(target=srv.serve_forever,
                         kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
        t.join(timeout=10)


def sanitizer_env():
    """The fake resolver is preloaded ahead of the ASan runtime; tell ASan
    that is fine (harmless for a plain build)."""
    return {"ASAN_OPTIONS": "verify_asan_link_order=0:detect_leaks=1"}


def assert_clean_exit(p):
    """Stops a proxy and fails on any sanitizer report in its stderr."""
    p.stop()
    err = p.stderr()
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert bad not in err, err


# --- raw client ---------------------------------------------------------------

class Response:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers      # list of (name, value), as received
        self.body = body
        self.raw_head = raw_head

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def names(self):
        return [k.lower() for k, _ in self.headers]


class Reader:
    """Buffered reads from a socket, bounded by its timeout."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def _more(self):
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        self.buf += data
        return bool(data)

    def until(self, sep):
        while sep not in self.buf:
            if not self._more():
                raise EOFError("closed before %r: %r" % (sep, self.buf[:200]))
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exact(self, n):
        while len(self.buf) < n:
            if not self._more():
                raise EOFError("closed after %d of %d bytes" %
                               (len(self.buf), n))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        while self._more():
            pass
        out, self.buf = self.buf, b""
        return out


def read_response(rd, head_request=False):
    """One response (interim 1xx answers are returned like any other)."""
    raw = rd.until(b"\r\n\r\n")
    lines = raw[:-4].decode("latin-1").split("\r\n")
    version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
    assert version in ("HTTP/1.1", "HTTP/1.0"), lines[0]
    headers = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:]]
    r = Response(int(status), reason, headers, b"", raw)
    code = r.status
    if head_request or code < 200 or code in (204, 304):
        return r
    if (r.header("transfer-encoding") or "").lower() == "chunked":
        body = b""
        while True:
            size = int(rd.until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                while rd.until(b"\r\n") != b"\r\n":
                    pass
                break
            body += rd.exact(size)
            rd.until(b"\r\n")
        r.body = body
    elif r.header("content-length") is not None:
        r.body = rd.exact(int(r.header("content-length")))
    else:
        r.body = rd.rest()
    return r


def connect(addr, timeout=SOCK_TIMEOUT):
    return socket.create_connection(addr, timeout=timeout)


def raw_exchange(addr, data, head_request=False):
    """Sends data on a new connection and reads one response."""
    with connect(addr) as s:
        s.sendall(data)
        return read_response(Reader(s), head_request)


def closed_without_answer(s, timeout=SOCK_TIMEOUT):
    """True when the peer closes s (EOF/reset) before sending anything."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
