"""Helpers for the app-server tests: start `airlock app-server` on an
ephemeral loopback port and talk JSON-RPC to it with websocket-client.

A server started without any --ws-* flag authenticates with the capability
token it generates into $AIRLOCK_HOME/app-server.token; app_server() reads
it once the server listens and connect(addr) sends it by default, so tests
about something else need not care. Pass token=NO_TOKEN to connect without
an Authorization header, or token="..." to send another one."""
import contextlib
import json
import re
import subprocess
import time

import websocket

from conftest import AIRLOCK

NO_TOKEN = ""
TOKEN_FILE = "app-server.token"
_tokens = {}  # 'ip:port' -> the generated token of the server there


def generated_token(env):
    """The token the last server started in env generated (stripped)."""
    return (env.home / TOKEN_FILE).read_text().strip()


@contextlib.contextmanager
def app_server(env, *args, listen="ws://127.0.0.1:0"):
    """Yields (process, 'ip:port')."""
    e = dict(env.env)
    p = subprocess.Popen([str(AIRLOCK), "app-server", "--listen", listen,
                          *[str(a) for a in args]],
                         cwd=str(env.cwd), env=e, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    addr = None
    try:
        for _ in range(50):
            line = p.stderr.readline()
            if not line:
                break
            m = re.search(r"listening on: ws://(\S+)", line)
            if m:
                addr = m.group(1)
                break
        if addr is None:
            p.kill()
            raise AssertionError("app-server did not start: " + p.stderr.read())
        if not any(str(a).startswith("--ws-") for a in args):
            _tokens[addr] = generated_token(env)
        yield p, addr
    finally:
        if addr is not None:
            _tokens.pop(addr, None)
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def connect(addr, token=None, header=None):
    """A websocket to the server at addr, with its generated token unless
    token says otherwise (NO_TOKEN: no Authorization header)."""
    h = list(header or [])
    if token is None:
        token = _tokens.get(addr, NO_TOKEN)
    if token != NO_TOKEN:
        h.append("Authorization: Bearer " + token)
    # websocket-client sends an Origin of its own unless told not to.
    return websocket.create_connection("ws://" + addr + "/", timeout=20,
                                       header=h, suppress_origin=True)


def send(ws, msg):
    ws.send(json.dumps(msg))


def recv(ws):
    return json.loads(ws.recv())


def recv_id(ws, rid, notes=None):
    """The response with id rid; notifications met meanwhile go to notes."""
    for _ in range(10000):
        m = recv(ws)
        if m.get("id") == rid and "method" not in m:
            return m
        if notes is not None:
            notes.append(m)
    raise AssertionError("no response %r" % (rid,))


def call(ws, rid, method, params=None):
    msg = {"id": rid, "method": method}
    if params is not None:
        msg["params"] = params
    send(ws, msg)
    return recv_id(ws, rid)


def initialize(ws, rid=0, **caps):
    r = call(ws, rid, "initialize",
             {"clientInfo": {"name": "pytest", "version": "1"},
              "capabilities": caps or None})
    send(ws, {"method": "initialized"})
    return r


def http_status(addr, raw):
    """Sends a raw HTTP request; returns (status, body)."""
    import socket
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(raw.encode())
        data = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()
