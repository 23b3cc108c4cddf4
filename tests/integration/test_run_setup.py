"""The setup phase: `airlock run --setup CMD` and `[setup]`, and
command/exec's `setup` param. Setup commands run first, each in a sandbox
of its own whose network follows the setup policy; the command then runs
with the normal one. Every origin is on the host's loopback, reached only
through the embedded proxies."""
import json

from appserverutil import app_server, call, connect, initialize
from runutil import static_origin, url

# NO_PROXY names the sandbox's own loopback; --noproxy '' sends these
# requests for the host's loopback through the proxy all the same.
FETCH = "curl --noproxy '' -sS -m 10 -o fetched.txt -w '%{http_code}\\n' "


def _origin_entry(srv):
    host, port = srv.server_address[:2]
    return '"%s:%d"' % (host, port)


def _user_config(env, text):
    env.write("home/config.toml", text)


def test_setup_reaches_what_only_the_setup_policy_allows(airlock_env, tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    with static_origin(origin, body=b"dependency\n") as srv:
        _user_config(airlock_env, "[setup]\nallowed_domains = [%s]\n"
                     % _origin_entry(srv))
        p = airlock_env.run(
            "run", "--setup", FETCH + url(srv), "--network", "--",
            "sh", "-c", "cat fetched.txt; " + FETCH.replace(
                "fetched.txt", "again.txt") + url(srv) + " || true")
    assert p.returncode == 0, p.stderr
    # The setup phase fetched it into the workspace; the command's own
    # fetch of the very same URL was refused by its policy.
    assert p.stdout.splitlines()[:2] == ["200", "dependency"], p.stdout
    assert p.stdout.splitlines()[2] == "403", p.stdout
    assert (airlock_env.cwd / "fetched.txt").read_text() == "dependency\n"
    assert "airlock: setup 1/1: " in p.stderr
    # One summary for the command's phase, none for the setup's.
    host, port = srv.server_address[:2]
    assert "airlock: 1 request(s) blocked:" in p.stderr
    assert f"{host}:{port} not_allowed (1x): allow with --allow" in p.stderr
    assert "airlock: setup `" not in p.stderr.split("blocked")[0]


def test_setup_blocks_are_summarised_apart_with_setup_keys(airlock_env, tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    with static_origin(origin, body=b"x\n") as srv:
        setup = FETCH + url(srv) + " || true"
        p = airlock_env.run("run", "--setup", setup, "--", "true")
    assert p.returncode == 0, p.stderr
    host, port = srv.server_address[:2]
    assert (f"airlock: setup `{setup}`: 1 request(s) blocked:\n"
            f"  {host}:{port} not_allowed (1x): allow {host} with "
            f"setup.allowed_domains") in p.stderr


def test_failing_setup_stops_the_command_with_its_status(airlock_env):
    p = airlock_env.run("run", "--setup", "true", "--setup", "exit 7",
                        "--setup", "touch third", "--",
                        "touch", "command-ran")
    assert p.returncode == 7
    assert ("airlock: error: run: setup `exit 7` failed with exit status 7; "
            "not running the command") in p.stderr
    assert not (airlock_env.cwd / "command-ran").exists()
    assert not (airlock_env.cwd / "third").exists()


def test_config_setup_commands_run_and_the_flag_replaces_them(airlock_env):
    _user_config(airlock_env, '[setup]\ncommands = ["touch from-config"]\n')
    p = airlock_env.run("run", "--", "true")
    assert p.returncode == 0, p.stderr
    assert (airlock_env.cwd / "from-config").exists()
    (airlock_env.cwd / "from-config").unlink()
    p = airlock_env.run("run", "--setup", "touch from-flag", "--", "true")
    assert p.returncode == 0, p.stderr
    assert (airlock_env.cwd / "from-flag").exists()
    assert not (airlock_env.cwd / "from-config").exists()


def test_requirements_pin_the_setup_network_off(airlock_env, tmp_path):
    airlock_env.write("system/requirements.toml",
                      "[setup]\nnetwork_access = false\n")
    origin = tmp_path / "origin"
    origin.mkdir()
    with static_origin(origin, body=b"dependency\n") as srv:
        _user_config(airlock_env, "[setup]\nnetwork_access = true\n"
                     "allowed_domains = [%s]\n" % _origin_entry(srv))
        p = airlock_env.run("run", "--setup", FETCH + url(srv), "--", "true")
    # curl cannot even make a socket: the setup sandbox has no network.
    assert p.returncode == 7, (p.returncode, p.stderr)
    assert "setup.network_access" in p.stderr
    assert "requirements.toml" in p.stderr
    assert not (airlock_env.cwd / "fetched.txt").exists()


def test_requirements_bound_the_setup_allowlist(airlock_env, tmp_path):
    airlock_env.write("system/requirements.toml",
                      '[setup]\nallowed_domains = ["pypi.org"]\n')
    origin = tmp_path / "origin"
    origin.mkdir()
    with static_origin(origin, body=b"dependency\n") as srv:
        _user_config(airlock_env, "[setup]\nallowed_domains = [%s]\n"
                     % _origin_entry(srv))
        p = airlock_env.run("run", "--setup", FETCH + url(srv), "--", "true")
    assert p.returncode == 0, p.stderr  # curl got the proxy's 403
    assert not (airlock_env.cwd / "fetched.txt").read_text().startswith(
        "dependency")
    assert "not covered by the managed allowed_domains" in p.stderr
    assert "not_allowed" in p.stderr


def test_managed_setup_commands_refuse_other_flags(airlock_env):
    managed = airlock_env.write("system/managed_config.toml",
                                '[setup]\ncommands = ["true"]\n')
    p = airlock_env.run("run", "--setup", "touch x", "--", "true")
    assert p.returncode == 2
    assert (f'airlock: run: --setup refused: setup.commands = ["true"] is '
            f"set by the managed config {managed}:2") in p.stderr
    assert not (airlock_env.cwd / "x").exists()
    p = airlock_env.run("run", "--setup", "true", "--", "true")
    assert p.returncode == 0, p.stderr


# --- command/exec ---------------------------------------------------------------

NET_ON = ("-c", "sandbox_workspace_write.network_access=true")


def test_command_exec_setup_fetches_what_the_command_may_not(airlock_env, tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    with static_origin(origin, body=b"dependency\n") as srv:
        _user_config(airlock_env, "[setup]\nallowed_domains = [%s]\n"
                     % _origin_entry(srv))
        with app_server(airlock_env, *NET_ON) as (_, addr):
            ws = connect(addr)
            initialize(ws)
            r = call(ws, 1, "command/exec", {
                "command": ["sh", "-c", "cat fetched.txt; " + FETCH.replace(
                    "fetched.txt", "again.txt") + url(srv) + " || true"],
                "setup": [FETCH + url(srv)]})
    res = r["result"]
    assert res["exitCode"] == 0, res
    assert res["stdout"] == "200\ndependency\n403\n", res
    assert res["setup"] == [{"command": FETCH + url(srv), "exitCode": 0}]


def test_command_exec_failing_setup_stops_the_command(airlock_env):
    with app_server(airlock_env, "-c", "setup.network_access=false") as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {
            "command": ["touch", "command-ran"],
            "setup": ["echo preparing", "exit 4"]})
    res = r["result"]
    assert res["exitCode"] == 4
    assert res["stdout"] == "preparing\n"
    assert res["stderr"].endswith(
        "airlock: setup `exit 4` failed with exit status 4; the command did "
        "not run\n")
    assert res["setup"] == [{"command": "echo preparing", "exitCode": 0},
                            {"command": "exit 4", "exitCode": 4}]
    assert not (airlock_env.cwd / "command-ran").exists()


def test_command_exec_setup_network_is_an_escalation_when_the_server_has_none(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": ["true"],
                                          "setup": ["true"]})
        assert r["error"]["code"] == -32600
        assert "setup commands would get network" in r["error"]["message"]
    _user_config(airlock_env, "[setup]\nnetwork_access = true\n")
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": ["true"],
                                          "setup": ["true"]})
        assert r["result"]["exitCode"] == 0, r


def test_command_exec_setup_param_must_be_command_lines(airlock_env):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": ["true"], "setup": [""]})
        assert r["error"]["code"] == -32602
        r = call(ws, 2, "command/exec", {"command": ["true"], "setup": "x"})
        assert r["error"]["code"] == -32602


def test_setup_loopback_entry_without_port_is_refused(airlock_env):
    # Inside each sandbox the loopback is its own: the setup list is judged
    # like the command's, for run and command/exec alike.
    _user_config(airlock_env, '[setup]\nallowed_domains = ["localhost"]\n')
    p = airlock_env.run("run", "--setup", "touch x", "--", "true")
    assert p.returncode == 2
    assert ("airlock: run: setup: " in p.stderr
            and "setup.allowed_domains[0]: localhost: inside the sandbox the "
                "loopback is the command's own" in p.stderr), p.stderr
    assert "name its port: localhost:PORT" in p.stderr
    assert not (airlock_env.cwd / "x").exists()
    with app_server(airlock_env, *NET_ON) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": ["true"],
                                          "setup": ["touch x"]})
        assert r["error"]["code"] == -32600, r
        assert "localhost:PORT" in r["error"]["message"]
    assert not (airlock_env.cwd / "x").exists()
