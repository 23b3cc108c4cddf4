"""Helpers for the app-server tests: start `airlock app-server` on an
ephemeral loopback port and talk JSON-RPC to it with websocket-client."""
import contextlib
import json
import re
import subprocess
import time

import websocket

from conftest import AIRLOCK


@contextlib.contextmanager
def app_server(env, *args, listen="ws://127.0.0.1:0"):
    """Yields (process, 'ip:port')."""
    e = dict(env.env)
    p = subprocess.Popen([str(AIRLOCK), "app-server", "--listen", listen,
                          *[str(a) for a in args]],
                         cwd=str(env.cwd), env=e, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        addr = None
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
        yield p, addr
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def connect(addr, token=None, header=None):
    h = list(header or [])
    if token is not None:
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
