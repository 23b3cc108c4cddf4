"""Approvals (doc/approvals.md): allowlist misses and command/exec
escalations put to a person — an approver client of the app-server, or
nobody at all under `airlock run` without a terminal.

Every test drives the real binary with real clients: python
websocket-client (and node `ws` once), curl inside the sandbox, and an
HTTP origin on the host's loopback reached by a name (`api.test`) that
build/tests/fakedns.so resolves to 127.0.0.1 for the server process; the
exact address 127.0.0.1 is allowlisted so that the name, once approved,
passes the local-address check. Every wait is bounded by a count and the
socket timeout of the client; nothing depends on timing."""
import json
import re
import socket
import shutil
import subprocess

import pytest

from appserverutil import (app_server, call, connect, initialize, recv,
                           recv_id, send)
from conftest import REPO, fake_dns_env
from runutil import static_origin

NAME = "api.test"
BODY = b"approved-body\n"


# --- set-up ----------------------------------------------------------------------

def _secret(env, name, text):
    p = env.write(name, text + "\n")
    p.chmod(0o600)
    return p


def roles(env):
    """Flags for a capability-token server with an approver token; returns
    (flags, exec_token, approver_token)."""
    ex = _secret(env, "exec.tok", "exec-token-0123456789")
    ap = _secret(env, "approver.tok", "approver-token-0123456789")
    return (["--ws-auth", "capability-token", "--ws-token-file", str(ex),
             "--ws-approver-token-file", str(ap)],
            "exec-token-0123456789", "approver-token-0123456789")


def net_config(env, extra=""):
    """Network on for commands; only the origin's loopback address and port
    allowlisted, so `api.test` is an allowlist miss; `api.test` resolves to
    127.0.0.1. The origin's socket is bound here (env.origin_sock), so that
    its port can be named; static_origin(..., sock=env.origin_sock)
    serves on it."""
    env.origin_sock = socket.socket()
    env.origin_sock.bind(("127.0.0.1", 0))
    port = env.origin_sock.getsockname()[1]
    env.write("home/config.toml",
              'approval_policy = "on-request"\n' + extra +
              "[sandbox_workspace_write]\nnetwork_access = true\n"
              "[permissions.network]\nallowed_domains = [\"127.0.0.1:%d\"]\n"
              % port +
              "audit_log = \"%s\"\n" % (env.root / "audit.jsonl"))
    env.env.update(fake_dns_env(env, [(NAME, "127.0.0.1")]))


def curl(port, n=1, code_only=True):
    """argv: n curls to http://api.test:port/, each printing its status."""
    url = "http://%s:%d/" % (NAME, port)
    one = "curl -s -m 60 -o /dev/null -w '%%{http_code}\\n' %s" % url
    return ["sh", "-c", "; ".join([one] * n)]


def hello(ws, name):
    r = call(ws, 0, "initialize", {"clientInfo": {"name": name, "version": "1"}})
    assert "result" in r, r
    send(ws, {"method": "initialized"})


def next_request(ws, method, seen=None, limit=200):
    """The next server request with method; other messages go to seen."""
    for _ in range(limit):
        m = recv(ws)
        if m.get("method") == method and "id" in m:
            return m
        if seen is not None:
            seen.append(m)
    raise AssertionError("no %s request" % method)


def next_note(ws, method, limit=200):
    for _ in range(limit):
        m = recv(ws)
        if m.get("method") == method and "id" not in m:
            return m
    raise AssertionError("no %s notification" % method)


def answer(ws, request, decision):
    send(ws, {"id": request["id"], "result": {"decision": decision}})


def audit(env):
    p = env.root / "audit.jsonl"
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line]


# --- network approvals -------------------------------------------------------------

def test_network_ask_reaches_only_the_approver_and_allow_once_passes(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner, approver, watcher = connect(addr, ext), connect(addr, apt), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        hello(watcher, "watcher")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["curl", "-s", "-m", "60",
                                             "http://%s:%d/" % (NAME, port)],
                                 "network": True, "processId": "p1"}})
        req = next_request(approver, "network/approval")
        p = req["params"]
        assert (p["host"], p["port"], p["protocol"], p["method"], p["reason"],
                p["processId"]) == (NAME, port, "http", "GET", "not_allowed", "p1")
        assert req["id"] == p["approvalId"]
        assert p["command"].startswith("curl ")
        # The process of the sandbox behind the connection, as it names
        # itself there.
        assert re.fullmatch(r"pid \d+: curl -s -m 60 http://%s:%d/"
                            % (re.escape(NAME), port), p["process"]), p
        assert p["message"] == ('Network access to "api.test" was blocked: '
                                'domain is not on the allowlist for the current '
                                'sandbox mode.')
        assert next_request(watcher, "network/approval")["id"] == req["id"]
        answer(approver, req, "allow_once")
        notes = []
        r = recv_id(runner, 1, notes)
        assert r["result"]["stdout"] == BODY.decode(), r
        # The runner (exec only) was never asked.
        assert not any(n.get("method", "").startswith("network/approval")
                       for n in notes), notes
        # The other approver learns who answered; the answerer is not told.
        res = next_note(watcher, "network/approval/resolved")["params"]
        assert res == {"approvalId": req["id"], "decision": "allow_once",
                       "answeredBy": 'app-server client "approver"'}
    ev = [e for e in audit(airlock_env) if e.get("host") == NAME]
    assert [e["decision"] for e in ev] == ["ask", "allow"]
    assert ev[1]["approval"] == "allow_once"
    assert ev[1]["answered_by"] == 'app-server client "approver"'
    assert ev[1]["latency_ms"] >= 0


def test_exec_only_client_cannot_answer_and_a_deny_blocks(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": curl(port), "network": True}})
        req = next_request(approver, "network/approval")
        # The agent guesses the id and tries to approve itself.
        send(runner, {"id": req["id"], "result": {"decision": "allow_always"}})
        err = recv_id(runner, req["id"])
        assert err["error"]["code"] == -32600
        assert "approve scope" in err["error"]["message"]
        answer(approver, req, "deny")
        r = recv_id(runner, 1)
        assert r["result"]["stdout"] == "403\n", r
        b = call(approver, 2, "network/blocked/list")["result"]["blocked"]
        hit = [e for e in b if e["host"] == NAME]
        assert hit and hit[-1]["approval"] == "deny"
        assert hit[-1]["answeredBy"] == 'app-server client "approver"'
    assert not (airlock_env.home / "approvals.toml").exists()


def test_first_answer_wins_and_later_answers_change_nothing(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner, a1, a2 = connect(addr, ext), connect(addr, apt), connect(addr, apt)
        hello(runner, "runner")
        hello(a1, "first")
        hello(a2, "second")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": curl(port, 2), "network": True}})
        r1 = next_request(a1, "network/approval")
        r2 = next_request(a2, "network/approval")
        answer(a1, r1, "allow_session")
        answer(a2, r2, "deny_always")  # too late: dropped
        r = recv_id(runner, 1)
        # Both curls pass: the session answer covers the second one.
        assert r["result"]["stdout"] == "200\n200\n", r
        res = next_note(a2, "network/approval/resolved")["params"]
        assert res["decision"] == "allow_session"
        assert res["answeredBy"] == 'app-server client "first"'
        # A later command of the server is covered too: nobody is asked.
        r = call(runner, 2, "command/exec",
                 {"command": curl(port), "network": True})
        assert r["result"]["stdout"] == "200\n", r
    assert not (airlock_env.home / "approvals.toml").exists()


def test_concurrent_requests_for_one_key_wait_for_one_answer(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        url = "http://%s:%d/" % (NAME, port)
        # Three curls at once; the audit log shows when all three wait.
        script = ("for i in 1 2 3; do curl -s -m 60 -o /dev/null "
                  "-w '%%{http_code}\\n' %s & done; wait" % url)
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["sh", "-c", script], "network": True}})
        req = next_request(approver, "network/approval")
        for _ in range(2000):
            asks = [e for e in audit(airlock_env) if e["decision"] == "ask"]
            if len(asks) == 3:
                break
            subprocess.run(["sleep", "0.01"])
        assert len(asks) == 3
        answer(approver, req, "allow_once")
        r = recv_id(runner, 1)
        assert r["result"]["stdout"] == "200\n200\n200\n", r
        # One question for the three.
        approver.settimeout(1)
        extra = []
        try:
            for _ in range(10):
                extra.append(recv(approver))
        except Exception:
            pass
        assert not [m for m in extra if m.get("method") == "network/approval"]


def test_allow_always_is_written_listed_and_revoked(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": curl(port), "network": True}})
        answer(approver, next_request(approver, "network/approval"), "allow_always")
        assert recv_id(runner, 1)["result"]["stdout"] == "200\n"
    entry = "%s:%d" % (NAME, port)
    text = (airlock_env.home / "approvals.toml").read_text()
    assert '"%s"' % entry in text
    assert (airlock_env.home / "approvals.toml").stat().st_mode & 0o777 == 0o600
    r = airlock_env.run("approvals", "list")
    assert r.returncode == 0 and entry in r.stdout and "allow" in r.stdout, r
    r = airlock_env.run("config", "show", "--origins")
    line = [ln for ln in r.stdout.splitlines() if "allowed_domains" in ln][0]
    assert entry in line and "approvals.toml" in line, line
    r = airlock_env.run("approvals", "revoke", entry)
    assert r.returncode == 0, r.stderr
    assert entry not in (airlock_env.home / "approvals.toml").read_text()
    r = airlock_env.run("approvals", "revoke", entry)
    assert r.returncode == 1 and "no approval" in r.stderr, r


def test_persisted_answers_apply_without_asking(airlock_env, tmp_path):
    flags, ext, _ = roles(airlock_env)
    net_config(airlock_env, 'approval_timeout_ms = 200\n')
    with static_origin(tmp_path, BODY, getattr(airlock_env, "origin_sock", None)) as srv:
        port = srv.server_address[1]
        airlock_env.write("home/approvals.toml",
                          '[permissions.network]\nallowed_domains = ["%s:%d"]\n'
                          'denied_domains = ["%s:1"]\n' % (NAME, port, NAME))
        with app_server(airlock_env, *flags) as (_, addr):
            runner = connect(addr, ext)
            hello(runner, "runner")
            # No approver is connected; the file answers.
            r = call(runner, 1, "command/exec",
                     {"command": curl(port), "network": True})
            assert r["result"]["stdout"] == "200\n", r
            r = call(runner, 2, "network/policy/read")["result"]
            assert "%s:%d" % (NAME, port) in r["allowedDomains"]


def test_unanswered_ask_times_out_as_a_deny(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env, "approval_timeout_ms = 300\n")
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": curl(port), "network": True}})
        req = next_request(approver, "network/approval")
        assert req["params"]["timeoutMs"] == 300
        res = next_note(approver, "network/approval/resolved")["params"]
        assert res["decision"] == "timeout"
        assert recv_id(runner, 1)["result"]["stdout"] == "403\n"
        b = call(runner, 2, "network/blocked/list")["result"]["blocked"]
        assert b[-1]["approval"] == "timeout"
        assert b[-1]["answeredBy"] == "no answer within 300 ms"


def test_requests_wait_for_an_approver_to_connect(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner = connect(addr, ext)
        hello(runner, "runner")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": curl(port), "network": True}})
        for _ in range(2000):  # until the proxy holds the request
            if any(e["decision"] == "ask" for e in audit(airlock_env)):
                break
            subprocess.run(["sleep", "0.01"])
        approver = connect(addr, apt)
        hello(approver, "late")
        answer(approver, next_request(approver, "network/approval"), "allow_once")
        assert recv_id(runner, 1)["result"]["stdout"] == "200\n"


def test_names_an_approver_may_be_asked_about_resolve_in_the_sandbox(airlock_env):
    net_config(airlock_env, "")
    (airlock_env.home / "config.toml").write_text(
        (airlock_env.home / "config.toml").read_text() +
        'denied_domains = ["denied.test"]\n')
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        hello(ws, "ui")
        r = call(ws, 1, "command/exec",
                 {"command": ["sh", "-c", "getent hosts asked.test | wc -l; "
                              "getent hosts denied.test || echo refused"],
                  "network": True})
        assert r["result"]["stdout"] == "1\nrefused\n", r


def test_never_denies_without_asking(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags, "-c", 'approval_policy="never"') as (_, addr):
        port = srv.server_address[1]
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        r = call(runner, 1, "command/exec", {"command": curl(port), "network": True})
        assert r["result"]["stdout"] == "403\n"
        assert not [e for e in audit(airlock_env) if e["decision"] == "ask"]


def test_requirements_never_makes_every_ask_a_deny_and_refuse_updates(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    req = airlock_env.write("system/requirements.toml",
                            'allowed_approval_policies = ["never"]\n')
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        r = call(runner, 1, "command/exec", {"command": curl(port), "network": True})
        assert r["result"]["stdout"] == "403\n"
        assert not [e for e in audit(airlock_env) if e["decision"] == "ask"]
        r = call(approver, 2, "approval/policy/read")["result"]
        assert r["approvalPolicy"] == "never"
        assert r["requirements"]["allowedApprovalPolicies"] == ["never"]
        r = call(approver, 3, "approval/policy/update", {"approvalPolicy": "on-request"})
        assert r["error"]["code"] == -32600, r
        assert "approval policy update refused" in r["error"]["message"]
        assert str(req) in r["error"]["message"]


# --- runtime changes reach running commands ------------------------------------------

LOOP = ("for i in $(seq 300); do "
        "c=$(curl -s -m 60 -o /dev/null -w '%%{http_code}' http://%s:%d/); "
        "echo $c; [ $c = 200 ] && exit 0; sleep 0.1; done; exit 1")


def _wait_for_line(ws, rid, line):
    """Reads the streamed stdout of exec rid until line appears."""
    import base64
    out = b""
    for _ in range(5000):
        m = recv(ws)
        if m.get("id") == rid:
            raise AssertionError("command ended early: %r" % m)
        if m.get("method") == "command/exec/outputDelta":
            out += base64.b64decode(m["params"]["dataBase64"])
            if line.encode() in out.splitlines():
                return


def test_network_policy_update_reaches_a_running_command(airlock_env, tmp_path):
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, "-c", 'approval_policy="never"') as (_, addr):
        port = srv.server_address[1]
        ws = connect(addr)
        hello(ws, "ui")
        send(ws, {"id": 1, "method": "command/exec",
                  "params": {"command": ["sh", "-c", LOOP % (NAME, port)],
                             "network": True, "stream": True}})
        _wait_for_line(ws, 1, "403")
        r = call(ws, 2, "network/policy/update", {"addAllowedDomains": [NAME]})
        assert NAME in r["result"]["allowedDomains"], r
        r = recv_id(ws, 1)
        assert r["result"]["exitCode"] == 0, r
        assert r["result"]["stdout"].split()[-1] == "200"


def test_approval_policy_update_reaches_a_running_command(airlock_env, tmp_path):
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags, "-c", 'approval_policy="never"') as (_, addr):
        port = srv.server_address[1]
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["sh", "-c", LOOP % (NAME, port)],
                                 "network": True, "stream": True}})
        _wait_for_line(runner, 1, "403")
        # The runner may not change what it may do.
        r = call(runner, 2, "approval/policy/update", {"approvalPolicy": "on-request"})
        assert "needs the approve scope" in r["error"]["message"], r
        r = call(approver, 3, "approval/policy/update", {"approvalPolicy": "on-request"})
        assert r["result"]["approvalPolicy"] == "on-request", r
        answer(approver, next_request(approver, "network/approval"), "allow_once")
        r = recv_id(runner, 1)
        assert r["result"]["exitCode"] == 0, r


# --- escalations -----------------------------------------------------------------------

def test_escalation_is_asked_and_approve_runs_it(airlock_env):
    flags, ext, apt = roles(airlock_env)
    with app_server(airlock_env, *flags) as (_, addr):
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["echo", "net"], "network": True,
                                 "processId": "e1",
                                 "justification": "fetch dependencies"}})
        req = next_request(approver, "exec/approval")
        p = req["params"]
        assert (p["processId"], p["command"], p["justification"]) == \
            ("e1", ["echo", "net"], "fetch dependencies")
        assert p["escalation"] == {"sandbox": None, "network": True, "command": False}
        assert p["cwd"] == str(airlock_env.cwd)
        answer(approver, req, "approve")
        r = recv_id(runner, 1)
        assert r["result"]["stdout"] == "net\n", r


def test_escalation_denied_is_refused_and_never_runs(airlock_env):
    flags, ext, apt = roles(airlock_env)
    marker = airlock_env.root / "escaped"
    with app_server(airlock_env, *flags) as (_, addr):
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["sh", "-c", "echo x > %s" % marker],
                                 "sandbox": "danger-full-access"}})
        req = next_request(approver, "exec/approval")
        assert req["params"]["escalation"]["sandbox"] == "danger-full-access"
        send(runner, {"id": req["id"], "result": {"decision": "approve"}})
        assert recv_id(runner, req["id"])["error"]["code"] == -32600
        answer(approver, req, "deny")
        r = recv_id(runner, 1)
        assert r["error"]["code"] == -32600, r
        assert 'denied by app-server client "approver"' in r["error"]["message"]
    assert not marker.exists()


@pytest.mark.parametrize("policy,named", [
    ('"never"', 'approval_policy = "never"'),
    ("{granular={sandbox_approval=false}}",
     "approval_policy granular.sandbox_approval = false"),
])
def test_escalation_under_never_or_granular_false_is_refused(airlock_env, policy, named):
    with app_server(airlock_env, "-c", "approval_policy=" + policy) as (_, addr):
        ws = connect(addr)
        hello(ws, "ui")
        r = call(ws, 1, "command/exec", {"command": ["true"], "network": True})
        assert r["error"]["code"] == -32600, r
        assert named in r["error"]["message"], r
        assert "lets no one approve it" in r["error"]["message"]


def test_untrusted_asks_for_commands_off_the_safe_list(airlock_env):
    flags, ext, apt = roles(airlock_env)
    with app_server(airlock_env, *flags, "-c", 'approval_policy="untrusted"') as (_, addr):
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        airlock_env.write("work/f.txt", "hello\n")
        for i, cmd in enumerate([["ls"], ["cat", "f.txt"], ["git", "status"],
                                 ["/usr/bin/wc", "-l", "f.txt"]]):
            r = call(runner, 10 + i, "command/exec", {"command": cmd})
            assert "result" in r, (cmd, r)
        for i, cmd in enumerate([["sh", "-c", "echo hi"], ["./ls"],
                                 ["git", "-c", "x=y", "status"],
                                 ["rg", "--pre", "sh", "x"]]):
            send(runner, {"id": 20 + i, "method": "command/exec",
                          "params": {"command": cmd}})
            req = next_request(approver, "exec/approval")
            assert req["params"]["command"] == cmd
            assert req["params"]["escalation"]["command"] is True
            answer(approver, req, "deny")
            assert recv_id(runner, 20 + i)["error"]["code"] == -32600
        # A listed command with env set is not known-safe either.
        send(runner, {"id": 30, "method": "command/exec",
                      "params": {"command": ["ls"], "env": {"PATH": "/tmp"}}})
        answer(approver, next_request(approver, "exec/approval"), "approve")
        assert "result" in recv_id(runner, 30)


def test_untrusted_asks_for_setup_commands_too(airlock_env):
    # A known-safe command cannot carry arbitrary setup command lines past
    # the approver: a shell command line is never on the safe list.
    flags, ext, apt = roles(airlock_env)
    with app_server(airlock_env, *flags, "-c", 'approval_policy="untrusted"',
                    "-c", "setup.network_access=false") as (_, addr):
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["true"],
                                 "setup": ["touch setup-ran"]}})
        req = next_request(approver, "exec/approval")
        assert req["params"]["command"] == ["true"]
        assert req["params"]["setup"] == ["touch setup-ran"]
        assert req["params"]["escalation"]["command"] is True
        answer(approver, req, "deny")
        assert recv_id(runner, 1)["error"]["code"] == -32600
        assert not (airlock_env.cwd / "setup-ran").exists()
        # Approved, it runs, setup first.
        send(runner, {"id": 2, "method": "command/exec",
                      "params": {"command": ["true"],
                                 "setup": ["touch setup-ran"]}})
        answer(approver, next_request(approver, "exec/approval"), "approve")
        r = recv_id(runner, 2)
        assert r["result"]["setup"] == [{"command": "touch setup-ran",
                                         "exitCode": 0}], r
        assert (airlock_env.cwd / "setup-ran").exists()


def test_allow_escalation_approves_without_asking(airlock_env):
    with app_server(airlock_env, "--allow-escalation") as (_, addr):
        ws = connect(addr)
        hello(ws, "ui")
        r = call(ws, 1, "command/exec", {"command": ["echo", "ok"], "network": True})
        assert r["result"]["stdout"] == "ok\n", r


# --- roles ----------------------------------------------------------------------------

def test_approver_only_client_cannot_run_commands(airlock_env):
    flags, ext, apt = roles(airlock_env)
    with app_server(airlock_env, *flags) as (_, addr):
        approver = connect(addr, apt)
        hello(approver, "approver")
        r = call(approver, 1, "command/exec", {"command": ["true"]})
        assert "needs the exec scope" in r["error"]["message"], r
        runner = connect(addr, ext)
        hello(runner, "runner")
        r = call(runner, 2, "network/policy/update", {"addAllowedDomains": ["x.example"]})
        assert "needs the approve scope" in r["error"]["message"], r
        assert "result" in call(runner, 3, "network/policy/read")


def test_approver_token_must_differ_and_needs_capability_mode(airlock_env):
    tok = _secret(airlock_env, "same.tok", "same-token-value")
    r = airlock_env.run("app-server", "--listen", "ws://127.0.0.1:0",
                        "--ws-auth", "capability-token", "--ws-token-file", tok,
                        "--ws-approver-token-file", tok, timeout=10)
    assert r.returncode != 0 and "approver token must differ" in r.stderr, r
    sec = _secret(airlock_env, "secret", "s" * 40)
    r = airlock_env.run("app-server", "--listen", "ws://127.0.0.1:0",
                        "--ws-auth", "signed-bearer-token",
                        "--ws-shared-secret-file", sec,
                        "--ws-approver-token-file", tok, timeout=10)
    assert r.returncode != 0 and "scope" in r.stderr, r


def test_signed_token_scope_claim_sets_the_role(airlock_env):
    jwt = pytest.importorskip("jwt")
    import time
    secret = "k" * 40
    sec = _secret(airlock_env, "secret", secret)

    def tok(**claims):
        claims["exp"] = int(time.time()) + 300
        return jwt.encode(claims, secret, algorithm="HS256")

    with app_server(airlock_env, "--ws-auth", "signed-bearer-token",
                    "--ws-shared-secret-file", sec) as (_, addr):
        ex = connect(addr, tok(scope="exec"))
        hello(ex, "exec")
        assert "needs the approve scope" in call(
            ex, 1, "approval/policy/update", {"approvalPolicy": "never"})["error"]["message"]
        ap = connect(addr, tok(scope=["approve"]))
        hello(ap, "approve")
        assert "needs the exec scope" in call(
            ap, 1, "command/exec", {"command": ["true"]})["error"]["message"]
        both = connect(addr, tok())  # no claim: both, as before roles
        hello(both, "both")
        assert call(both, 1, "command/exec", {"command": ["true"]})["result"]["exitCode"] == 0
        import websocket
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            connect(addr, tok(scope="admin"))
        assert e.value.status_code == 401


def test_node_ws_approver_answers_a_network_ask(airlock_env, tmp_path):
    node = shutil.which("node")
    script = REPO / "tests" / "integration" / "node" / "ws_approver.mjs"
    if node is None or not (script.parent / "node_modules" / "ws").exists():
        pytest.fail("node or the ws package is missing "
                    "(cd tests/integration/node && npm ci)")
    flags, ext, apt = roles(airlock_env)
    net_config(airlock_env)
    with static_origin(tmp_path, BODY, airlock_env.origin_sock) as srv, \
            app_server(airlock_env, *flags) as (_, addr):
        port = srv.server_address[1]
        runner = connect(addr, ext)
        hello(runner, "runner")
        node_p = subprocess.Popen([node, str(script), "ws://%s/" % addr, apt,
                                   "allow_once"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert json.loads(node_p.stdout.readline())["ready"] is True
            r = call(runner, 1, "command/exec",
                     {"command": curl(port), "network": True})
            assert r["result"]["stdout"] == "200\n", r
            asked = json.loads(node_p.stdout.readline())
            assert asked["method"] == "network/approval"
            assert asked["params"]["host"] == NAME
        finally:
            node_p.kill()
            node_p.wait(timeout=10)


# --- airlock run: no terminal ---------------------------------------------------------

def test_run_without_a_terminal_never_asks_and_says_so(airlock_env, tmp_path):
    with static_origin(tmp_path, BODY, getattr(airlock_env, "origin_sock", None)) as srv:
        port = srv.server_address[1]
        r = airlock_env.run("run", "--network", "--allow",
                            "127.0.0.1:%d" % port, "--",
                            "sh", "-c", "curl -s -o /dev/null -w '%%{http_code}\\n' "
                            "http://example.com:%d/" % port, input="")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "403\n"
        assert "example.com:%d not_allowed (1x)" % port in r.stderr
        assert "(not asked: no terminal)" in r.stderr
        r = airlock_env.run("run", "-a", "never", "--network", "--", "curl",
                            "-s", "-o", "/dev/null", "http://example.com:%d/" % port,
                            input="")
        assert "not_allowed (1x)" in r.stderr
        assert "not asked" not in r.stderr


def test_run_approval_policy_flag_is_bounded_by_requirements(airlock_env):
    airlock_env.write("system/requirements.toml",
                      'allowed_approval_policies = ["never"]\n')
    r = airlock_env.run("run", "-a", "on-request", "--", "true")
    assert r.returncode == 2
    assert "--approval-policy on-request refused" in r.stderr
    assert "requirements.toml" in r.stderr
    r = airlock_env.run("run", "--approval-policy", "sometimes", "--", "true")
    assert r.returncode == 2 and "expected untrusted, on-request or never" in r.stderr
    assert airlock_env.run("run", "-a", "never", "--", "true").returncode == 0


# --- limited mode: an approved tunnel's intercepted requests -------------------------

def test_allow_once_covers_the_requests_inside_an_intercepted_tunnel(airlock_env, tmp_path):
    from test_mitm import NAME as TLS_NAME, Pki, fresh_ip, https_origin
    flags, ext, apt = roles(airlock_env)
    pki, ip = Pki(tmp_path), fresh_ip()
    airlock_env.write("home/config.toml",
                      'approval_policy = "on-request"\n'
                      "[sandbox_workspace_write]\nnetwork_access = true\n"
                      "[permissions.network]\nallow_local_binding = true\n"
                      'extra_ca_certificates = ["%s"]\n' % pki.ca)
    airlock_env.env.update(fake_dns_env(airlock_env, [(TLS_NAME, ip)]))
    cert, key = pki.leaf("good")
    url = "https://%s/hello" % TLS_NAME
    # One connection, two requests (curl reuses it), then a new connection.
    script = ("curl -s -o /dev/null -o /dev/null -w '%%{http_code}\\n' %s %s; "
              "curl -s -o /dev/null -w '%%{http_code}\\n' %s" % (url, url, url))
    with https_origin(ip, cert, key) as o, \
            app_server(airlock_env, *flags) as (_, addr):
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["sh", "-c", script], "network": True}})
        req = next_request(approver, "network/approval")
        assert (req["params"]["protocol"], req["params"]["method"]) == \
            ("https", "CONNECT")
        answer(approver, req, "allow_once")
        # The second connection is asked again: once is once.
        answer(approver, next_request(approver, "network/approval"), "deny")
        r = recv_id(runner, 1)
        # A refused CONNECT: curl prints 000 and fails.
        assert r["result"]["stdout"] == "200\n200\n000\n", r
        assert o.count == 2
