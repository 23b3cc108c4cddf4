"""`airlock app-server`: the WebSocket and stdio JSON-RPC control plane.
Only loopback is used."""
import base64
import json
import shutil
import subprocess

import pytest
import websocket

from appserverutil import (app_server, call, connect, http_status,
                           initialize, recv, recv_id, send)
from conftest import AIRLOCK, REPO

# The server's config grants network, so a client asking for it is no
# escalation (see test_escape_control.py for the refusal).
NET_ON = ("-c", "sandbox_workspace_write.network_access=true")

UPGRADE = ("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")


# --- the HTTP surface ---------------------------------------------------------

def test_readyz_and_healthz_answer_200_without_auth(airlock_env):
    tok = airlock_env.write("tok", "super-secret-token\n")
    tok.chmod(0o600)
    with app_server(airlock_env, "--ws-auth", "capability-token",
                    "--ws-token-file", tok) as (_, addr):
        for path in ("/readyz", "/healthz"):
            st, _ = http_status(addr, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")
            assert st == 200


def test_origin_header_is_refused_with_403(airlock_env):
    with app_server(airlock_env) as (_, addr):
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            connect(addr, header=["Origin: https://evil.example"])
        assert e.value.status_code == 403
        ws = connect(addr)  # without Origin it works
        assert initialize(ws)["result"]["platformOs"] == "linux"


def test_malformed_upgrade_is_400(airlock_env):
    with app_server(airlock_env) as (_, addr):
        # (A plain GET / is the web console's page: doc/console.md.)
        st, _ = http_status(addr, "GET / HTTP/1.1\r\nHost: x\r\n"
                            "Upgrade: websocket\r\n\r\n")
        assert st == 400
        st, _ = http_status(addr, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        assert st == 400


def test_capability_token_missing_wrong_and_right(airlock_env):
    tok = airlock_env.write("tok", "super-secret-token\n")
    tok.chmod(0o600)
    with app_server(airlock_env, "--ws-auth", "capability-token",
                    "--ws-token-file", tok) as (_, addr):
        st, body = http_status(addr, UPGRADE + "\r\n")
        assert (st, body) == (401, "missing websocket bearer token")
        st, body = http_status(addr, UPGRADE + "Authorization: Bearer wrong\r\n\r\n")
        assert (st, body) == (401, "invalid websocket bearer token")
        ws = connect(addr, token="super-secret-token")
        assert "userAgent" in initialize(ws)["result"]


def test_non_loopback_listener_without_auth_refuses_to_start(airlock_env):
    r = airlock_env.run("app-server", "--listen", "ws://0.0.0.0:0", timeout=10)
    assert r.returncode != 0
    assert "refusing to start non-loopback websocket listener" in r.stderr


@pytest.mark.parametrize("url,msg", [
    ("ws://localhost:1234", "invalid websocket --listen URL `ws://localhost:1234`; expected `ws://IP:PORT`"),
    ("http://127.0.0.1:1", "unsupported --listen URL `http://127.0.0.1:1`"),
])
def test_bad_listen_urls_are_refused(airlock_env, url, msg):
    r = airlock_env.run("app-server", "--listen", url, timeout=10)
    assert r.returncode == 2
    assert msg in r.stderr


def test_banner_names_the_bound_port(airlock_env):
    with app_server(airlock_env) as (_, addr):
        host, port = addr.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0


# --- JSON-RPC ------------------------------------------------------------------

def test_requests_before_initialize_are_refused(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        r = call(ws, 1, "config/read")
        assert r == {"id": 1, "error": {"code": -32600, "message": "Not initialized"}}
        assert "jsonrpc" not in r


def test_second_initialize_is_refused(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws, rid=1)
        r = call(ws, 2, "initialize", {"clientInfo": {"name": "x", "version": "1"}})
        assert r["error"] == {"code": -32600, "message": "Already initialized"}


def test_invalid_client_name_is_refused(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        r = call(ws, 1, "initialize", {"clientInfo": {"name": "bad\nname", "version": "1"}})
        assert r["error"]["code"] == -32600
        assert r["error"]["message"] == ("Invalid clientInfo.name: 'bad\nname'. "
                                         "Must be a valid HTTP header value.")


def test_unknown_method_and_bad_params(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        assert call(ws, 1, "no/such")["error"]["code"] == -32601
        r = call(ws, 2, "command/exec", {"command": "not-a-list"})
        assert r["error"]["code"] == -32602


def test_unparseable_json_is_ignored_and_connection_kept(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        ws.send("{not json")
        ws.send_binary(b"\x00\x01")
        r = initialize(ws, rid=5)
        assert r["id"] == 5 and "result" in r


def test_two_connections_same_id_are_routed_independently(airlock_env):
    with app_server(airlock_env) as (_, addr):
        a, b = connect(addr), connect(addr)
        initialize(a, rid=77)
        r = call(b, 77, "network/policy/read")
        assert r["error"]["message"] == "Not initialized"
        initialize(b, rid=77)
        ra = call(a, 78, "network/policy/read")
        rb = call(b, 78, "network/policy/read")
        assert ra["id"] == rb["id"] == 78
        a.settimeout(0.5)
        with pytest.raises(websocket.WebSocketTimeoutException):
            a.recv()


def test_int64_ids_are_echoed_exactly(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        ws.send('{"id":9223372036854775807,"method":"initialize",'
                '"params":{"clientInfo":{"name":"x","version":"1"}}}')
        assert '"id":9223372036854775807' in ws.recv()


def test_message_over_1mib_is_closed_with_1009(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        ws.send("x" * (1024 * 1024 + 1))
        op, data = ws.recv_data(control_frame=True)
        assert op == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(data[:2], "big") == 1009


def test_ping_is_answered(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        ws.ping("hello")
        op, data = ws.recv_data(control_frame=True)
        assert op == websocket.ABNF.OPCODE_PONG and data == b"hello"


# --- command/exec ----------------------------------------------------------------

def test_command_exec_returns_exit_code_and_outputs(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec",
                 {"command": ["sh", "-c", "echo out; echo err >&2; exit 3"]})
        res = r["result"]
        assert (res["exitCode"], res["stdout"], res["stderr"], res["truncated"]) == \
            (3, "out\n", "err\n", False)


def test_command_exec_with_network_trusts_the_interception_ca(airlock_env):
    # Limited mode (the default) intercepts HTTPS: the command's CA
    # variables point at the bundle holding airlock's CA, as under run.
    with app_server(airlock_env, *NET_ON) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec",
                 {"command": ["sh", "-c", 'echo "$SSL_CERT_FILE"'],
                  "network": True})
        bundle = airlock_env.home / "proxy" / "ca-bundle.pem"
        assert r["result"]["stdout"].strip() == str(bundle)
        ca = (airlock_env.home / "proxy" / "ca.pem").read_text().strip()
        assert ca in bundle.read_text()


def test_command_exec_runs_in_the_sandbox_without_network(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": ["sh", "-c", "cat /proc/net/dev | wc -l; touch /usr/x 2>/dev/null || echo ro"]})
        out = r["result"]["stdout"].split()
        assert out == ["3", "ro"]  # only lo; / is read-only


def test_command_exec_output_is_capped_and_truncated(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": ["head", "-c", "2000000", "/dev/zero"]})
        assert r["result"]["truncated"] is True
        assert len(r["result"]["stdout"]) == 1024 * 1024


def test_command_exec_streams_output_deltas(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        send(ws, {"id": 1, "method": "command/exec",
                  "params": {"command": ["sh", "-c", "printf abc"], "stream": True,
                             "processId": "p1"}})
        notes = []
        r = recv_id(ws, 1, notes)
        deltas = [n["params"] for n in notes if n.get("method") == "command/exec/outputDelta"]
        assert deltas and all(d["processId"] == "p1" for d in deltas)
        assert b"".join(base64.b64decode(d["dataBase64"]) for d in deltas
                        if d["stream"] == "stdout") == b"abc"
        assert r["result"]["stdout"] == "abc"


def test_opted_out_notifications_are_not_sent(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws, optOutNotificationMethods=["command/exec/outputDelta"])
        send(ws, {"id": 1, "method": "command/exec",
                  "params": {"command": ["echo", "x"], "stream": True}})
        notes = []
        recv_id(ws, 1, notes)
        assert notes == []


def test_command_exec_timeout_kills_the_command(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": ["sleep", "30"], "timeoutMs": 200})
        assert r["result"]["timedOut"] is True
        assert r["result"]["exitCode"] == 128 + 9


def test_command_kill_ends_a_running_command(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        send(ws, {"id": 1, "method": "command/exec",
                  "params": {"command": ["sleep", "30"], "processId": "k"}})
        assert call(ws, 2, "command/kill", {"processId": "k"}) == {"id": 2, "result": {}}
        assert recv_id(ws, 1)["result"]["exitCode"] == 137
        assert call(ws, 3, "command/kill", {"processId": "k"})["error"]["code"] == -32602


def test_sandbox_param_refused_by_requirement(airlock_env):
    airlock_env.write("system/requirements.toml",
                      'allowed_sandbox_modes = ["read-only"]\n')
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": ["true"], "sandbox": "danger-full-access"})
        assert r["error"]["code"] == -32600
        assert "requirements.toml" in r["error"]["message"]


def test_overload_answers_the_129th_request_with_32001(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        for i in range(129):
            send(ws, {"id": i, "method": "command/exec",
                      "params": {"command": ["sleep", "60"]}})
        r = recv(ws)
        assert r == {"id": 128, "error": {"code": -32001,
                                          "message": "Server overloaded; retry later."}}
        ws.ping("still-there")
        op, _ = ws.recv_data(control_frame=True)
        assert op == websocket.ABNF.OPCODE_PONG


# --- network -------------------------------------------------------------------------

def test_blocked_curl_is_notified_and_listed(airlock_env):
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed (scripts/install-deps)")
    # No one is asked (test_approvals.py is about asking).
    with app_server(airlock_env, *NET_ON, "-c", 'approval_policy="never"') as (_, addr):
        ws, other = connect(addr), connect(addr)
        initialize(ws)
        initialize(other)
        send(ws, {"id": 1, "method": "command/exec",
                  "params": {"network": True, "command":
                             ["curl", "-s", "-m", "5", "http://blocked.example/"]}})
        notes = []
        r = recv_id(ws, 1, notes)
        assert "Domain not in allowlist." in r["result"]["stdout"]
        blocked = [n["params"] for n in notes if n.get("method") == "network/blocked"]
        assert blocked and blocked[0]["host"] == "blocked.example"
        assert blocked[0]["reason"] == "not_allowed"
        assert recv(other)["params"]["host"] == "blocked.example"  # every client
        lst = call(ws, 2, "network/blocked/list", {"limit": 10})["result"]
        assert lst["total"] == 1 and lst["blocked"][0]["host"] == "blocked.example"


def test_policy_update_applies_to_next_command(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "network/policy/update",
                 {"addAllowedDomains": ["pypi.org"], "addDeniedDomains": ["evil.example"]})
        assert "pypi.org" in r["result"]["allowedDomains"]
        assert "evil.example" in r["result"]["deniedDomains"]
        r = call(ws, 2, "network/policy/update", {"removeAllowedDomains": ["pypi.org"]})
        assert "pypi.org" not in r["result"]["allowedDomains"]
        cfg = call(ws, 3, "config/read")["result"]
        assert cfg["config"]["permissions"]["network"]["denied_domains"] == ["evil.example"]
        assert cfg["origins"]["permissions.network.denied_domains"] == "-c"


def test_policy_update_with_invalid_pattern_is_refused(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "network/policy/update", {"addDeniedDomains": ["*"]})
        assert r["error"]["code"] == -32602
        r = call(ws, 2, "network/policy/read")
        assert r["result"]["deniedDomains"] == []


def test_policy_update_refused_by_requirement(airlock_env):
    airlock_env.write("system/requirements.toml",
                      '[permissions.network]\nmode = "limited"\n'
                      'allowed_domains = ["*.example.com"]\n')
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "network/policy/update", {"mode": "full"})
        assert r["error"]["code"] == -32600
        assert "requirements.toml" in r["error"]["message"]
        r = call(ws, 2, "network/policy/update", {"addAllowedDomains": ["evil.com"]})
        assert r["error"]["code"] == -32600
        assert "constrained by managed config" in r["error"]["message"]
        r = call(ws, 3, "network/policy/update", {"addAllowedDomains": ["api.example.com"]})
        assert "api.example.com" in r["result"]["allowedDomains"]


def test_config_read_has_origins(airlock_env):
    airlock_env.write("home/config.toml", 'sandbox_mode = "read-only"\n')
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "config/read")["result"]
        assert r["config"]["sandbox_mode"] == "read-only"
        assert r["origins"]["sandbox_mode"].endswith("config.toml:1")
        assert r["origins"]["web_search"] == "default"


# --- stdio and node -----------------------------------------------------------------

def test_stdio_transport_speaks_newline_delimited_json(airlock_env):
    lines = [
        {"id": 1, "method": "config/read"},
        {"id": 2, "method": "initialize", "params": {"clientInfo": {"name": "s", "version": "1"}}},
        {"method": "initialized"},
        {"id": 3, "method": "command/exec", "params": {"command": ["echo", "hi"]}},
    ]
    r = airlock_env.run("app-server", "--listen", "stdio://",
                        input="".join(json.dumps(m) + "\n" for m in lines) + "garbage\n")
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    by_id = {m["id"]: m for m in out}
    assert by_id[1]["error"]["message"] == "Not initialized"
    assert by_id[2]["result"]["platformFamily"] == "unix"
    assert by_id[3]["result"]["stdout"] == "hi\n"


def test_node_ws_client(airlock_env):
    node = shutil.which("node")
    script = REPO / "tests" / "integration" / "node" / "ws_rpc.mjs"
    if node is None or not (script.parent / "node_modules" / "ws").exists():
        pytest.fail("node or the ws package is missing "
                    "(scripts/install-deps --test)")
    tok = airlock_env.write("tok", "node-token\n")
    tok.chmod(0o600)
    with app_server(airlock_env, "--ws-auth", "capability-token",
                    "--ws-token-file", tok) as (_, addr):
        r = subprocess.run([node, str(script), f"ws://{addr}/", "wrong"],
                           capture_output=True, text=True, timeout=30)
        assert json.loads(r.stdout.splitlines()[0]) == {"status": 401}
        r = subprocess.run([node, str(script), f"ws://{addr}/", "node-token"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        out = [json.loads(x) for x in r.stdout.splitlines()]
        assert out[0]["result"]["userAgent"].startswith("airlock/")
        assert "allowedDomains" in out[1]["result"]
