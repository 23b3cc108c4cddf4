"""The app-server methods the web console uses beyond the approval and
policy ones (doc/app-server.md): the network/decision notification,
command/list, an approver's command/kill by pid, approvals/list and
approvals/revoke, and removeDeniedDomains. Real commands run curl through
the embedded proxy to an origin on 127.0.0.1."""
from appserverutil import app_server, call, connect, initialize, recv, send
from runutil import static_origin
from test_approvals import hello, roles
from test_console import DENIED, curl_codes, net_config

BODY = b"feed\n"


def _exec_collecting(ws, rid, params, method):
    """Runs command/exec; (its response, the `method` notifications seen
    before it)."""
    send(ws, {"id": rid, "method": "command/exec", "params": params})
    notes = []
    for _ in range(1000):
        m = recv(ws)
        if m.get("id") == rid and "method" not in m:
            return m, notes
        if m.get("method") == method:
            notes.append(m["params"])
    raise AssertionError("no response")


def test_network_decision_reports_allowed_and_refused_and_can_be_opted_out(airlock_env, tmp_path):
    sock = net_config(airlock_env)
    with static_origin(tmp_path, BODY, sock) as origin, \
            app_server(airlock_env) as (_, addr):
        port = origin.server_address[1]
        quiet = connect(addr)
        initialize(quiet, optOutNotificationMethods=["network/decision"])
        ws = connect(addr)
        initialize(ws)
        params = {"command": curl_codes("http://127.0.0.1:%d/" % port,
                                        "http://%s:%d/" % (DENIED, port)),
                  "network": True, "processId": "p1"}
        r, notes = _exec_collecting(ws, 1, params, "network/decision")
        assert r["result"]["stdout"] == "200\n403\n", r
        # The opted-out client is told nothing, and still runs commands.
        r, none = _exec_collecting(quiet, 2, dict(params, processId="p2"),
                                   "network/decision")
        assert r["result"]["stdout"] == "200\n403\n" and none == [], none
    http = [n for n in notes if n["protocol"] == "http"]
    assert [(n["decision"], n["reason"], n["host"], n["port"], n["method"])
            for n in http] == [("allow", "allow", "127.0.0.1", port, "GET"),
                               ("deny", "denied", DENIED, port, "GET")], notes
    for n in http:
        assert n["processId"] == "p1"
        assert n["command"].startswith("sh -c curl -s -m 60")
        assert isinstance(n["timestampMs"], int) and n["timestampMs"] > 0
    assert http[1]["matched"] == DENIED


def test_command_list_and_an_approvers_kill_by_pid(airlock_env):
    flags, ext, apt = roles(airlock_env)
    with app_server(airlock_env, *flags) as (_, addr):
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["sleep", "120"], "processId": "nap"}})
        for _ in range(200):
            cmds = call(approver, 2, "command/list")["result"]["commands"]
            if cmds:
                break
        assert [(c["processId"], c["command"], c["client"], c["network"])
                for c in cmds] == [("nap", ["sleep", "120"], "runner", False)]
        pid = cmds[0]["pid"]
        # The runner lists its own commands; it may not kill by pid.
        own = call(runner, 3, "command/list")["result"]["commands"]
        assert [c["pid"] for c in own] == [pid]
        r = call(runner, 4, "command/kill", {"pid": pid})
        assert r["error"]["message"].startswith(
            "command/kill with a pid needs the approve scope"), r
        # The approver has no processId of its own, but may end any by pid.
        r = call(approver, 5, "command/kill", {"processId": "nap"})
        assert "needs the exec scope" in r["error"]["message"], r
        assert call(approver, 6, "command/kill", {"pid": 1})["error"]["code"] == -32602
        assert call(approver, 7, "command/kill", {"pid": pid})["result"] == {}
        r = None
        for _ in range(200):
            m = recv(runner)
            if m.get("id") == 1:
                r = m
                break
        assert r["result"]["exitCode"] == 137, r
        assert call(approver, 8, "command/list")["result"]["commands"] == []


def test_approvals_list_and_revoke(airlock_env):
    flags, ext, apt = roles(airlock_env)
    airlock_env.write("home/approvals.toml",
                      "[permissions.network]\n"
                      "allowed_domains = [\"a.test:443\", \"a.test:80\", \"b.test:443\"]\n"
                      "denied_domains = [\"c.test:80\"]\n")
    with app_server(airlock_env, *flags) as (_, addr):
        runner, approver = connect(addr, ext), connect(addr, apt)
        hello(runner, "runner")
        hello(approver, "approver")
        r = call(runner, 1, "approvals/list")
        assert "needs the approve scope" in r["error"]["message"], r
        r = call(approver, 2, "approvals/list")["result"]
        assert r["file"] == str(airlock_env.home / "approvals.toml")
        assert [(a["decision"], a["entry"]) for a in r["approvals"]] == [
            ("allow", "a.test:443"), ("allow", "a.test:80"),
            ("allow", "b.test:443"), ("deny", "c.test:80")]
        # A bare host revokes every port of it.
        r = call(approver, 3, "approvals/revoke", {"pattern": "a.test"})
        assert sorted(r["result"]["revoked"]) == ["a.test:443", "a.test:80"]
        r = call(approver, 4, "approvals/revoke", {"pattern": "c.test:80"})
        assert r["result"]["revoked"] == ["c.test:80"]
        r = call(approver, 5, "approvals/revoke", {"pattern": "a.test"})
        assert r["error"]["code"] == -32602
        assert r["error"]["message"].startswith("no approval for a.test in ")
        r = call(approver, 6, "approvals/revoke", {})
        assert r["error"]["code"] == -32602
        left = call(approver, 7, "approvals/list")["result"]["approvals"]
        assert [a["entry"] for a in left] == ["b.test:443"]
        # The policy of later commands no longer has them.
        pol = call(approver, 8, "network/policy/read")["result"]
        assert "a.test:443" not in pol["allowedDomains"]
        assert "b.test:443" in pol["allowedDomains"]


def test_policy_update_removes_a_denied_domain(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "network/policy/update",
                 {"addDeniedDomains": ["x.test", "y.test"]})["result"]
        assert {"x.test", "y.test"} <= set(r["deniedDomains"])
        r = call(ws, 2, "network/policy/update",
                 {"removeDeniedDomains": ["x.test"]})["result"]
        assert "x.test" not in r["deniedDomains"] and "y.test" in r["deniedDomains"]
