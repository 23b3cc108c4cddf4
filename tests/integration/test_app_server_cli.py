"""`airlock app-server` as a newcomer meets it: stdin of any kind on the
stdio transport, a refused Origin that says why, token files readable by
others, managed config over command/exec params, and the client examples
of doc/app-server.md run exactly as written there. Loopback only."""
import json
import os
import re
import shutil
import subprocess

import pytest
import websocket

from appserverutil import app_server, call, connect, http_status, initialize
from conftest import AIRLOCK, REPO

DOC = REPO / "doc" / "app-server.md"
NODE_DIR = REPO / "tests" / "integration" / "node"

INIT = {"id": 1, "method": "initialize",
        "params": {"clientInfo": {"name": "t", "version": "1"}}}


# --- stdio with stdin that is not a pipe ------------------------------------------

def stdio_server(env, stdin):
    return subprocess.run([str(AIRLOCK), "app-server", "--listen", "stdio://"],
                          stdin=stdin, capture_output=True, text=True,
                          cwd=str(env.cwd), env=env.env, timeout=60)


def test_stdio_with_dev_null_exits_0(airlock_env):
    with open(os.devnull, "rb") as null:
        r = stdio_server(airlock_env, null)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_stdio_reads_a_regular_file_to_the_end(airlock_env):
    msgs = [INIT, {"method": "initialized"},
            {"id": 2, "method": "command/exec",
             "params": {"command": ["echo", "from a file"]}}]
    f = airlock_env.write("requests.jsonl",
                          "".join(json.dumps(m) + "\n" for m in msgs))
    with open(f, "rb") as fh:
        r = stdio_server(airlock_env, fh)
    assert r.returncode == 0, r.stderr
    out = {m["id"]: m for m in map(json.loads, r.stdout.splitlines())}
    assert out[1]["result"]["platformOs"] == "linux"
    assert out[2]["result"]["stdout"] == "from a file\n"


def test_stdio_reads_an_empty_regular_file(airlock_env):
    f = airlock_env.write("empty", "")
    with open(f, "rb") as fh:
        r = stdio_server(airlock_env, fh)
    assert (r.returncode, r.stdout) == (0, ""), r.stderr


# --- Origin ------------------------------------------------------------------------

def test_refused_origin_says_why_and_is_logged(airlock_env):
    with app_server(airlock_env) as (p, addr):
        st, body = http_status(addr, "GET / HTTP/1.1\r\nHost: x\r\n"
                               "Origin: https://evil.example\r\n\r\n")
        assert st == 403
        assert body == ("requests with an Origin header are refused: "
                        "browsers may not connect to the app-server")
        p.terminate()
        p.wait(timeout=10)
        err = p.stderr.read()
    assert ("airlock: warning: app-server: refused a request with Origin: "
            "https://evil.example (browsers may not connect)") in err


def test_logged_origin_is_made_printable(airlock_env):
    with app_server(airlock_env) as (p, addr):
        st, _ = http_status(addr, "GET / HTTP/1.1\r\nHost: x\r\n"
                            "Origin: a\x1b[31mb\r\n\r\n")
        assert st in (400, 403)
        p.terminate()
        p.wait(timeout=10)
        err = p.stderr.read()
    assert "\x1b" not in err


# --- token files -------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o640, 0o604], ids=oct)
def test_token_file_readable_by_others_is_refused(airlock_env, mode):
    tok = airlock_env.write("tok", "a-token\n")
    tok.chmod(mode)
    r = airlock_env.run("app-server", "--listen", "ws://127.0.0.1:0",
                        "--ws-auth", "capability-token", "--ws-token-file",
                        tok, timeout=30)
    assert r.returncode == 2
    assert (f"websocket auth secret {tok} must not be group- or "
            "world-readable (chmod 600 it)") in r.stderr
    assert "listening on" not in r.stderr


# --- managed config over command/exec ------------------------------------------------

def test_command_exec_params_against_managed_config_are_refused(airlock_env):
    m = airlock_env.write("system/managed_config.toml",
                          'sandbox_mode = "workspace-write"\n'
                          "[sandbox_workspace_write]\nnetwork_access = false\n")
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 2, "command/exec",
                 {"command": ["echo", "x"], "network": True})
        assert r["error"]["code"] == -32600
        assert r["error"]["message"] == (
            "command/exec refused: sandbox_workspace_write.network_access = "
            f"false is set by the managed config {m}:3")
        r = call(ws, 3, "command/exec",
                 {"command": ["echo", "x"], "sandbox": "read-only"})
        assert r["error"]["message"] == (
            'command/exec refused: sandbox_mode = "workspace-write" is set '
            f"by the managed config {m}:1")
        r = call(ws, 4, "command/exec",
                 {"command": ["echo", "ok"], "network": False,
                  "sandbox": "workspace-write"})
        assert r["result"]["stdout"] == "ok\n"


def test_app_server_announces_an_untrusted_project_once(airlock_env):
    cfg = airlock_env.write("work/.airlock/config.toml", "web_search = 'live'\n")
    msgs = [INIT, {"method": "initialized"},
            {"id": 2, "method": "command/exec", "params": {"command": ["true"]}},
            {"id": 3, "method": "command/exec", "params": {"command": ["true"]}}]
    f = airlock_env.write("requests.jsonl",
                          "".join(json.dumps(m) + "\n" for m in msgs))
    with open(f, "rb") as fh:
        r = stdio_server(airlock_env, fh)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count(f"warning: ignoring {cfg}: the project") == 1, \
        r.stderr


# --- the documented clients ------------------------------------------------------------

def doc_block(lang):
    """The one ```lang block of doc/app-server.md's Clients section."""
    text = DOC.read_text()
    section = text[text.index("## Clients"):text.index("## Messages")]
    blocks = re.findall(r"```%s\n(.*?)```" % lang, section, re.S)
    assert len(blocks) == 1, blocks
    return blocks[0]


def adapted(code, addr, token_file):
    assert "ws://127.0.0.1:8765/" in code and "/path/to/token" in code
    return (code.replace("ws://127.0.0.1:8765/", f"ws://{addr}/")
                .replace("/path/to/token", str(token_file)))


@pytest.fixture
def token_server(airlock_env):
    tok = airlock_env.write("tok", "doc-client-token\n")
    tok.chmod(0o600)
    with app_server(airlock_env, "--ws-auth", "capability-token",
                    "--ws-token-file", tok) as (_, addr):
        yield addr, tok


def test_documented_python_client_works(airlock_env, token_server):
    addr, tok = token_server
    script = airlock_env.write("client.py",
                               adapted(doc_block("python"), addr, tok))
    r = subprocess.run(["/usr/bin/python3", str(script)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n\n"


def test_documented_python_client_needs_suppress_origin(airlock_env,
                                                        token_server):
    # What the doc warns about is real: without suppress_origin,
    # websocket-client sends an Origin and gets the 403.
    addr, _ = token_server
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(
            f"ws://{addr}/", timeout=10,
            header=["Authorization: Bearer doc-client-token"])
    assert e.value.status_code == 403


def test_documented_node_client_works(airlock_env, tmp_path, token_server):
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "ws").exists():
        pytest.fail("node or the ws package is missing "
                    "(scripts/install-deps --test)")
    addr, tok = token_server
    d = tmp_path / "nodeclient"
    d.mkdir()
    (d / "node_modules").symlink_to(NODE_DIR / "node_modules")
    script = d / "client.mjs"
    script.write_text(adapted(doc_block("js"), addr, tok))
    r = subprocess.run([node, str(script)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n"
