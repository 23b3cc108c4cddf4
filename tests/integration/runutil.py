"""Helpers for the `airlock run` tests: a static HTTP origin on the host's
loopback, Python snippets run inside the sandbox, and a config writer."""
import contextlib
import functools
import http.server
import threading

PY = "/usr/bin/python3"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def static_origin(directory, body=None, sock=None):
    """Serves directory (or, when body is given, that body for every GET)
    on 127.0.0.1:<ephemeral>, or on sock (a TCP socket already bound, so
    that its port could be named in a config first); yields the server
    (.server_address)."""
    if body is not None:
        (directory / "index.html").write_bytes(body)
    handler = functools.partial(_Quiet, directory=str(directory))
    if sock is None:
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    else:
        srv = http.server.ThreadingHTTPServer(sock.getsockname(), handler,
                                              bind_and_activate=False)
        srv.socket.close()
        srv.socket = sock
        srv.server_address = sock.getsockname()
        srv.server_activate()
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(timeout=5)


def url(srv, path="/", host=None):
    h, p = srv.server_address[:2]
    return "http://%s:%d%s" % (host or h, p, path)


def py(code):
    """argv running code with the system Python inside the sandbox."""
    return [PY, "-c", code]


# Prints "ERR <errno>" or "OK" for one attempt; used by the escape tests.
ATTEMPT = """
import errno, os, socket, sys, ctypes
def attempt(f):
    try:
        f()
    except OSError as e:
        print("ERR", errno.errorcode.get(e.errno, e.errno)); sys.exit(0)
    print("OK")
"""
