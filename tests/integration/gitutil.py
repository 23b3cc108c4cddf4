"""A real git smart-HTTP server for the tests: `git http-backend` (git's
own CGI program) behind a small threaded HTTP server on loopback, with
TLS when a certificate is given. It serves the bare repositories under a
directory, accepts pushes (http.receivepack), and remembers every request
line it answered, so a test can tell what reached it."""
import contextlib
import http.server
import os
import shutil
import ssl
import subprocess
import threading

GIT = shutil.which("git") or "/usr/bin/git"
# git as the tests run it, on the host or in the sandbox: no system or
# global config of the machine running the tests.
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_TERMINAL_PROMPT": "0"}
MAX_BODY = 64 << 20


def git(cwd, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV)
    return subprocess.run([GIT, *args], cwd=str(cwd), env=env, text=True,
                          capture_output=True, timeout=60, check=True)


def make_repo(root, name="repo.git"):
    """A bare repository root/name with two branches, main and feature,
    that differ by one commit; returns {branch: commit}."""
    work = root / (name + ".work")
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README").write_text("hello\n")
    git(work, "add", "README")
    git(work, "commit", "-q", "-m", "init")
    git(work, "checkout", "-q", "-b", "feature")
    (work / "FEATURE").write_text("more\n")
    git(work, "add", "FEATURE")
    git(work, "commit", "-q", "-m", "feature")
    git(work, "checkout", "-q", "main")
    git(root, "clone", "-q", "--bare", str(work), name)
    git(root / name, "config", "http.receivepack", "true")
    return {b: git(work, "rev-parse", b).stdout.strip()
            for b in ("main", "feature")}


def _read_chunked(rfile):
    body = b""
    for _ in range(1 << 16):
        size = int(rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return body
        body += rfile.read(size)
        rfile.readline()
        if len(body) > MAX_BODY:
            raise ValueError("body too large")
    raise ValueError("too many chunks")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return _read_chunked(self.rfile)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n)

    def _cgi_env(self, n):
        path, _, query = self.path.partition("?")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "GIT_PROJECT_ROOT": str(self.server.root),
               "GIT_HTTP_EXPORT_ALL": "1", "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_CONFIG_GLOBAL": "/dev/null",
               "REQUEST_METHOD": self.command, "PATH_INFO": path,
               "QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1",
               "REMOTE_USER": "tester", "CONTENT_LENGTH": str(n),
               "CONTENT_TYPE": self.headers.get("Content-Type", "")}
        for h, var in (("Git-Protocol", "GIT_PROTOCOL"),
                       ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
            if self.headers.get(h):
                env[var] = self.headers[h]
        return env

    def _serve(self):
        self.server.requests.append((self.command, self.path))
        body = self._body()
        out = subprocess.run([GIT, "http-backend"],
                             env=self._cgi_env(len(body)), input=body,
                             capture_output=True, timeout=60).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = out.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


@contextlib.contextmanager
def git_server(root, host="127.0.0.1", port=0, cert=None, key=None):
    """Serves the repositories under root on host:port (TLS with cert and
    key); yields the server (.server_address, .requests)."""
    srv = http.server.ThreadingHTTPServer((host, port), _Handler)
    srv.daemon_threads = True
    srv.root = root
    srv.requests = []
    if cert is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        # Handshakes happen in the handler threads, on first read.
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    t = threading.Thread(target=srv.serve_forever,
                         kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(timeout=5)


def posts(srv, service):
    """The POSTs to .../<service> that reached srv."""
    return [p for m, p in srv.requests
            if m == "POST" and p.split("?")[0].endswith("/" + service)]
