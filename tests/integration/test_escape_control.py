"""Escapes through airlock's own control planes: a sandboxed command that
reaches the app-server (or an admin API) through the proxy, an app-server
without authentication, a command/exec that makes `/` or $HOME its
writable workspace, a flood of half-open WebSocket handshakes, and a
client asking for more than the server's config gives.

Every test performs the attack on loopback only, bounded in count and
time, and runs unprivileged or as root alike (CI also runs this file as
uid 65534)."""
import json
import os
import pathlib
import re
import shutil
import socket
import stat
import subprocess
import tempfile

import pytest
import websocket

from appserverutil import (NO_TOKEN, app_server, call, connect,
                           generated_token, http_status, initialize)
from conftest import AIRLOCK
from proxyutil import start_proxy
from runutil import py

UPGRADE = ("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")

# --- the attack script, run inside the sandbox ---------------------------------

# Through the proxy of its sandbox (HTTP_PROXY), CONNECT to the app-server
# on the host's loopback, upgrade to WebSocket and ask for an unsandboxed
# command that writes argv[2]. Prints one line per step reached.
ATTACK = r'''
import base64, json, os, socket, struct, sys

port, marker = int(sys.argv[1]), sys.argv[2]
proxy = os.environ["HTTP_PROXY"].split("//", 1)[1].rstrip("/")
ph, pp = proxy.rsplit(":", 1)
s = socket.create_connection((ph, int(pp)), timeout=10)

def head():
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data

s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
          % (port, port))
r = head()
print("CONNECT", r.split(b"\r\n", 1)[0].decode())
if b" 200 " not in r.split(b"\r\n", 1)[0]:
    print("BODY", r.partition(b"\r\n\r\n")[2].decode(errors="replace"))
    sys.exit(0)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
          b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
r = head()
print("UPGRADE", r.split(b"\r\n", 1)[0].decode())
if b" 101 " not in r.split(b"\r\n", 1)[0]:
    sys.exit(0)

def send(msg):
    p = json.dumps(msg).encode()
    if len(p) < 126:
        hdr = bytes([0x81, 0x80 | len(p)])
    else:
        hdr = bytes([0x81, 0x80 | 126]) + struct.pack("!H", len(p))
    s.sendall(hdr + b"\0\0\0\0" + p)  # masked with a zero key

def exact(n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            sys.exit("closed")
        data += chunk
    return data

def recv():
    h = exact(2)
    n = h[1] & 0x7f
    if n == 126:
        n = struct.unpack("!H", exact(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", exact(8))[0]
    return json.loads(exact(n))

send({"id": 1, "method": "initialize",
      "params": {"clientInfo": {"name": "x", "version": "1"}}})
print("INIT", json.dumps(recv()))
send({"id": 2, "method": "command/exec",
      "params": {"sandbox": "danger-full-access",
                 "command": ["sh", "-c", "echo pwned > " + marker]}})
print("EXEC", json.dumps(recv()))
'''

def full_loopback(port):
    """Network in full mode with the host's loopback port allowed: the
    policy lets the request through, so only the own-listener check can
    stop it."""
    return ("--network", "--mode", "full", "--allow", "127.0.0.1:%d" % port)


def port_of(addr):
    return int(addr.rsplit(":", 1)[1])


def run_attack(airlock_env, port, marker):
    p = airlock_env.run("run", *full_loopback(port), "--",
                        *py(ATTACK), str(port), str(marker), timeout=60)
    assert p.returncode == 0, p.stderr
    return p


def assert_blocked_as_own_listener(p, port, marker):
    assert p.stdout.splitlines()[0] == "CONNECT HTTP/1.1 403 Forbidden", p.stdout
    assert "airlock's own listeners" in p.stdout
    assert "127.0.0.1:%d airlock_listener" % port in p.stderr
    assert not marker.exists()


# --- item 6: the proxy never reaches airlock's own listeners ---------------------

def test_sandbox_cannot_reach_an_app_server_through_the_proxy(airlock_env):
    marker = airlock_env.root / "escaped"
    with app_server(airlock_env) as (_, addr):
        p = run_attack(airlock_env, port_of(addr), marker)
    assert_blocked_as_own_listener(p, port_of(addr), marker)


def test_proxy_refuses_an_app_server_even_without_auth(airlock_env):
    # --ws-auth none leaves only the proxy's refusal between the sandbox
    # and a danger-full-access command.
    marker = airlock_env.root / "escaped"
    with app_server(airlock_env, "--ws-auth", "none") as (proc, addr):
        p = run_attack(airlock_env, port_of(addr), marker)
    assert_blocked_as_own_listener(p, port_of(addr), marker)


def test_proxy_refuses_an_app_server_on_the_wildcard_address(airlock_env):
    marker = airlock_env.root / "escaped"
    tok = airlock_env.write("tok", "wildcard-token-0123456789\n")
    tok.chmod(0o600)
    with app_server(airlock_env, "--ws-auth", "capability-token",
                    "--ws-token-file", tok, listen="ws://0.0.0.0:0") as (_, addr):
        p = run_attack(airlock_env, port_of(addr), marker)
    assert_blocked_as_own_listener(p, port_of(addr), marker)


def test_proxy_refuses_another_users_app_server(airlock_env):
    # The registry is the network namespace's, not the user's: an
    # app-server of uid 65534 is refused to root's sandbox too.
    if os.geteuid() != 0:
        pytest.skip("needs root: starts the app-server as another user")
    other = pathlib.Path(tempfile.mkdtemp(prefix="airlock-other-"))
    os.chown(other, 65534, 65534)
    env = dict(airlock_env.env, AIRLOCK_HOME=str(other / "home"),
               AIRLOCK_SYSTEM_DIR=str(other / "system"), HOME=str(other))
    srv = subprocess.Popen(
        ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
         str(AIRLOCK), "app-server", "--listen", "ws://127.0.0.1:0",
         "--ws-auth", "none"],
        cwd=str(other), env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for _ in range(50):
            m = re.search(r"listening on: ws://127\.0\.0\.1:(\d+)",
                          srv.stderr.readline())
            if m:
                port = int(m.group(1))
                break
        assert port is not None, "app-server did not start"
        marker = airlock_env.root / "escaped"
        p = run_attack(airlock_env, port, marker)
        assert_blocked_as_own_listener(p, port, marker)
    finally:
        srv.terminate()
        srv.wait(timeout=10)
        shutil.rmtree(other, ignore_errors=True)


def test_sandbox_cannot_reach_a_proxy_admin_api(airlock_env):
    running = start_proxy(airlock_env, """\
[permissions.network]
enabled = true
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
""")
    try:
        port = running.admin[1]
        post = ("curl -s -i -m 10 -X POST -d '{\"mode\":\"full\"}' "
                "http://127.0.0.1:%d/mode" % port)
        # Through the proxy (NO_PROXY overridden), then straight to the
        # forwarded port, as a client that ignores the proxy would.
        p = airlock_env.run("run", *full_loopback(port), "--", "sh", "-c",
                            "%s --noproxy ''; echo; echo DIRECT; %s; "
                            "echo rc=$?" % (post, post), timeout=60)
    finally:
        running.stop()
    via_proxy, direct = p.stdout.split("DIRECT\n")
    assert via_proxy.startswith("HTTP/1.1 403 "), p.stdout
    assert '"reason":"airlock_listener"' in via_proxy
    # The transparent path resets the refused connection: no answer at all.
    assert direct.startswith("rc=") and direct.strip() != "rc=0", p.stdout
    assert "127.0.0.1:%d airlock_listener (1x)" % port in p.stderr, p.stderr
    assert "127.0.0.1:%d/tcp airlock_listener (1x)" % port in p.stderr


def test_proxy_refuses_its_own_ports(airlock_env):
    running = start_proxy(airlock_env, """\
[permissions.network]
enabled = true
mode = "full"
allowed_domains = ["127.0.0.1"]
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
""")
    try:
        http = "%s:%d" % running.http
        for target in (running.admin, running.http):
            st, body = http_status(http, "GET http://127.0.0.1:%d/config "
                                   "HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                   "Connection: close\r\n\r\n"
                                   % (target[1], target[1]))
            assert st == 403
            assert json.loads(body)["reason"] == "airlock_listener"
    finally:
        running.stop()


def test_command_exec_cannot_reach_its_own_app_server(airlock_env):
    marker = airlock_env.root / "escaped"
    with app_server(airlock_env, "-c", "permissions.network.mode=full",
                    "-c", "sandbox_workspace_write.network_access=true"
                    ) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 0, "network/policy/update",
                 {"addAllowedDomains": ["127.0.0.1:%d" % port_of(addr)]})
        assert "result" in r, r
        r = call(ws, 1, "command/exec",
                 {"command": py(ATTACK) + [str(port_of(addr)), str(marker)],
                  "network": True, "timeoutMs": 30000})
        out = r["result"]["stdout"]
        assert out.splitlines()[0] == "CONNECT HTTP/1.1 403 Forbidden", r
        blocked = call(ws, 2, "network/blocked/list")["result"]["blocked"]
        assert [b["reason"] for b in blocked] == ["airlock_listener"]
        assert blocked[0]["port"] == port_of(addr)
    assert not marker.exists()


# --- item 6: authentication by default -------------------------------------------

def test_app_server_requires_a_generated_token_by_default(airlock_env):
    with app_server(airlock_env) as (proc, addr):
        st, body = http_status(addr, UPGRADE + "\r\n")
        assert (st, body) == (401, "missing websocket bearer token")
        with pytest.raises(websocket.WebSocketBadStatusException):
            connect(addr, token=NO_TOKEN)
        tf = airlock_env.home / "app-server.token"
        assert stat.S_IMODE(tf.stat().st_mode) == 0o600
        token = generated_token(airlock_env)
        assert len(token) >= 43
        assert "userAgent" in initialize(connect(addr, token=token))["result"]
        proc.terminate()
        err = proc.stderr.read()
    assert str(tf) in err and token not in err


def test_every_start_generates_a_fresh_token(airlock_env):
    with app_server(airlock_env) as (_, addr):
        old = generated_token(airlock_env)
    with app_server(airlock_env) as (_, addr):
        assert generated_token(airlock_env) != old
        with pytest.raises(websocket.WebSocketBadStatusException):
            connect(addr, token=old)


def test_ws_auth_none_is_loopback_only_and_warns(airlock_env):
    r = airlock_env.run("app-server", "--listen", "ws://0.0.0.0:0",
                        "--ws-auth", "none", timeout=10)
    assert r.returncode == 2
    assert "`--ws-auth none` is only allowed on a loopback listener" in r.stderr
    with app_server(airlock_env, "--ws-auth", "none") as (proc, addr):
        assert "userAgent" in initialize(connect(addr))["result"]
        proc.terminate()
        assert "warning: --ws-auth none" in proc.stderr.read()


def test_admin_api_without_a_token_file_is_not_open(airlock_env):
    running = start_proxy(airlock_env, """\
[permissions.network]
enabled = true
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
""")
    try:
        admin = "%s:%d" % running.admin
        body = '{"mode":"full"}'
        st, _ = http_status(admin, "POST /mode HTTP/1.1\r\nHost: a\r\n"
                            "Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                            % (len(body), body))
        assert st == 401
        tf = airlock_env.home / "admin.token"
        assert stat.S_IMODE(tf.stat().st_mode) == 0o600
        assert running.admin_token == tf.read_text().strip()
        assert str(tf) in running.stderr()
        assert running.admin_token not in running.stderr()
    finally:
        running.stop()


# --- item 9 and issue 14: no broad workspace ---------------------------------------

# /tmp and $TMPDIR stay read-only, so a write below the test's root (under
# /tmp) succeeds only if the workspace made it writable.
NO_TMP = ("-c", "sandbox_workspace_write.exclude_slash_tmp=true",
          "-c", "sandbox_workspace_write.exclude_tmpdir_env_var=true")


def exec_in(airlock_env, cwd, command, *server_args, env=None):
    if env:
        airlock_env.env.update(env)
    with app_server(airlock_env, *NO_TMP, *server_args) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        return call(ws, 1, "command/exec", {"command": command, "cwd": str(cwd)})


def test_command_exec_refuses_root_as_the_workspace(airlock_env):
    marker = airlock_env.root / "escaped"
    r = exec_in(airlock_env, "/", ["sh", "-c", "echo x > %s" % marker])
    assert r["error"]["code"] == -32600, r
    assert "refusing `/` as the workspace" in r["error"]["message"]
    assert not marker.exists()


def test_command_exec_refuses_a_symlink_to_root(airlock_env):
    link = airlock_env.root / "slash"
    link.symlink_to("/")
    marker = airlock_env.root / "escaped"
    r = exec_in(airlock_env, link, ["sh", "-c", "echo x > %s" % marker])
    assert "refusing `/` as the workspace" in r["error"]["message"], r
    assert not marker.exists()


def test_command_exec_refuses_the_home_directory(airlock_env):
    home = airlock_env.root / "userhome"
    (home / ".ssh").mkdir(parents=True)
    keys = home / ".ssh" / "authorized_keys"
    r = exec_in(airlock_env, home, ["sh", "-c", "echo evil > %s" % keys],
                env={"HOME": str(home)})
    assert "it is the home directory" in r["error"]["message"], r
    assert not keys.exists()


def test_command_exec_refuses_a_system_directory(airlock_env):
    r = exec_in(airlock_env, "/etc", ["true"])
    assert "/etc as the workspace: a system directory" in r["error"]["message"], r


def test_allowed_workspace_roots_bound_command_exec_and_run(airlock_env):
    projects = airlock_env.root / "projects"
    (projects / "p").mkdir(parents=True)
    other = airlock_env.root / "other"
    other.mkdir()
    airlock_env.write("system/requirements.toml",
                      'allowed_workspace_roots = ["%s"]\n' % projects)
    r = exec_in(airlock_env, other, ["true"])
    assert "not under allowed_workspace_roots" in r["error"]["message"], r
    assert "requirements.toml:1" in r["error"]["message"]
    r = exec_in(airlock_env, projects / "p", ["true"])
    assert r["result"]["exitCode"] == 0, r
    p = airlock_env.run("run", "-C", other, "--allow-broad-workspace", "--", "true")
    assert p.returncode == 2
    assert "not under allowed_workspace_roots" in p.stderr
    assert airlock_env.run("run", "-C", projects / "p", "--", "true").returncode == 0


def test_run_from_root_is_refused_unless_allowed(airlock_env):
    marker = airlock_env.root / "escaped"
    cmd = ["sh", "-c", "echo x > %s" % marker]
    p = airlock_env.run("run", *NO_TMP, "--", *cmd, cwd="/")
    assert p.returncode == 2
    assert "refusing `/` as the workspace" in p.stderr
    assert "-C DIR" in p.stderr and "--allow-broad-workspace" in p.stderr
    assert not marker.exists()
    p = airlock_env.run("run", "--allow-broad-workspace", "-s", "read-only",
                        "--", "true", cwd="/")
    assert p.returncode == 0, p.stderr


def test_run_from_home_is_refused_unless_allowed(airlock_env):
    home = airlock_env.root / "userhome"
    home.mkdir()
    env = {"HOME": str(home)}
    p = airlock_env.run("run", "--", "true", cwd=home, env=env)
    assert p.returncode == 2
    assert "it is the home directory" in p.stderr
    p = airlock_env.run("run", "--allow-broad-workspace", "--", "true",
                        cwd=home, env=env)
    assert p.returncode == 0, p.stderr


def test_run_allow_broad_workspace_never_allows_system_directories(airlock_env):
    p = airlock_env.run("run", "--allow-broad-workspace", "--", "true", cwd="/etc")
    assert p.returncode == 2
    assert "a system directory" in p.stderr


# --- item 16: half-open handshakes -------------------------------------------------

HALF_OPEN = 600


def flood(addr, payload):
    """HALF_OPEN connections that send payload (maybe nothing) and stall."""
    host, port = addr.rsplit(":", 1)
    socks = []
    for _ in range(HALF_OPEN):
        try:
            s = socket.create_connection((host, int(port)), timeout=10)
            if payload:
                s.sendall(payload)
        except OSError:
            continue  # evicted under our feet: the attack goes on
        socks.append(s)
    return socks


@pytest.mark.parametrize("payload", [b"", b"GET / HTTP/1.1\r\nHost: x\r\n",
                                     (UPGRADE + "Authorization: Bearer no\r\n\r\n"
                                      ).encode()],
                         ids=["silent", "slowloris", "bad-token"])
def test_half_open_handshakes_do_not_lock_out_a_client(airlock_env, payload):
    with app_server(airlock_env) as (_, addr):
        socks = flood(addr, payload)
        try:
            ws = connect(addr)
            assert "userAgent" in initialize(ws)["result"]
            ws.close()
        finally:
            for s in socks:
                s.close()


# --- issue 14: escalation -------------------------------------------------------------

def test_command_exec_cannot_escalate_to_danger_full_access(airlock_env):
    marker = airlock_env.root / "escaped"
    cmd = ["sh", "-c", "echo x > %s" % marker]
    never = ("-c", 'approval_policy="never"')
    with app_server(airlock_env, *NO_TMP, *never) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": cmd,
                                         "sandbox": "danger-full-access"})
        assert r["error"]["code"] == -32600, r
        assert 'approval_policy = "never"' in r["error"]["message"]
        r = call(ws, 2, "command/exec", {"command": ["true"], "network": True})
        assert "lets no one approve it" in r["error"]["message"], r
        r = call(ws, 3, "command/exec", {"command": ["true"],
                                         "sandbox": "read-only"})
        assert r["result"]["exitCode"] == 0, r
    assert not marker.exists()
    # Under on-request the client that runs commands cannot approve its
    # own escalation when roles are split: it is asked of the approver.
    ex = airlock_env.write("exec.tok", "exec-token-for-escalation\n")
    ap = airlock_env.write("appr.tok", "approver-token-for-escalation\n")
    ex.chmod(0o600)
    ap.chmod(0o600)
    with app_server(airlock_env, *NO_TMP, "--ws-auth", "capability-token",
                    "--ws-token-file", ex, "--ws-approver-token-file",
                    ap) as (_, addr):
        ws = connect(addr, "exec-token-for-escalation")
        initialize(ws)
        appr = connect(addr, "approver-token-for-escalation")
        initialize(appr)
        ws.send(json.dumps({"id": 1, "method": "command/exec", "params":
                            {"command": cmd, "sandbox": "danger-full-access"}}))
        while True:
            req = json.loads(appr.recv())
            if req.get("method") == "exec/approval":
                break
        ws.send(json.dumps({"id": req["id"], "result": {"decision": "approve"}}))
        appr.send(json.dumps({"id": req["id"], "result": {"decision": "deny"}}))
        while True:
            r = json.loads(ws.recv())
            if r.get("id") == 1:
                break
        assert r["error"]["code"] == -32600, r
    assert not marker.exists()
    with app_server(airlock_env, "--allow-escalation") as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": cmd,
                                         "sandbox": "danger-full-access"})
        assert r["result"]["exitCode"] == 0, r
    assert marker.exists()
