"""The sandbox session (src/sandbox/session.h): how airlock starts a
sandbox, for `airlock run` and the app-server's command/exec alike.

A sandbox's first process is cloned from a process with other threads
(libuv's, the proxy's resolver pool); were it to allocate, or fork
through libc, while a resolver thread held a malloc lock, it would hang
for good. And the parent waits for that child's report with a deadline on
its loop, so a child that never reports fails its one command and the
server goes on answering."""
import json
import os
import pathlib
import subprocess
import time

import pytest

from appserverutil import (app_server, call, connect, initialize, recv,
                           send)
from conftest import AIRLOCK, BUILD, fake_dns_env

FAKESTALL = BUILD / "tests" / "fakestall.so"
LAUNCHES = 20

# Inside the sandbox: requests through the embedded proxy for names it
# must look up (each a new name: no lookup is shared), from 8 threads,
# until the test says stop (a file in the workspace) or 2000 were sent.
STORM = r"""
import os, socket, threading, time
port = int(os.environ["HTTP_PROXY"].rsplit(":", 1)[1])
stop = os.path.join(os.getcwd(), "stop-storm")
count = [0]
lock = threading.Lock()
def one(i):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(b"GET http://h%d.storm.test/ HTTP/1.1\r\nHost: h%d.storm.test\r\n"
              b"Connection: close\r\n\r\n" % (i, i))
    while s.recv(4096):
        pass
    s.close()
def worker(k):
    deadline = time.monotonic() + 90
    while not os.path.exists(stop) and time.monotonic() < deadline:
        with lock:
            count[0] += 1
            i = count[0]
        if i > 2000:
            return
        one(i * 8 + k)
ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print(count[0])
"""


def _preload(env, so):
    if not so.exists():
        pytest.fail(f"{so} is not built; run make integration")
    return {"LD_PRELOAD": str(so), "ASAN_OPTIONS": "verify_asan_link_order=0"}


def _children(pid):
    """The pids whose parent is pid."""
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(d.name))
    return out


def _wait_for_threads(pid, n):
    """Until process pid has n threads (its resolver pool busy)."""
    for _ in range(600):
        if len(os.listdir(f"/proc/{pid}/task")) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never had {n} threads")


def test_server_answers_while_twenty_launch_under_a_resolver_storm(airlock_env):
    airlock_env.env.update(fake_dns_env(airlock_env, []))
    airlock_env.env["FAKEDNS_CHURN"] = "2000000"
    airlock_env.write("home/config.toml",
                      '[sandbox_workspace_write]\nnetwork_access = true\n'
                      '[permissions.network]\nmode = "full"\n'
                      'allowed_domains = ["*.storm.test"]\n')
    with app_server(airlock_env) as (proc, addr):
        storm = connect(addr)
        initialize(storm)
        for k in range(2):
            send(storm, {"id": 100 + k, "method": "command/exec",
                         "params": {"command": ["python3", "-c", STORM],
                                    "timeoutMs": 120000}})
        _wait_for_threads(proc.pid, 5)  # the storm is on
        ws = connect(addr)
        initialize(ws)
        for i in range(LAUNCHES):
            send(ws, {"id": i, "method": "command/exec",
                      "params": {"command": ["true"], "network": True}})
        # A second client is served while the launches are in flight.
        other = connect(addr)
        assert "userAgent" in initialize(other, rid=7)["result"]
        done = {}
        while len(done) < LAUNCHES:
            m = recv(ws)  # the connection's 20 s timeout bounds this
            if "id" in m and "method" not in m:
                done[m["id"]] = m
        (airlock_env.cwd / "stop-storm").write_text("")
        for i in range(LAUNCHES):
            assert done[i].get("result", {}).get("exitCode") == 0, done[i]
        storm.settimeout(60)
        for _ in range(2):
            m = recv(storm)
            while "method" in m:
                m = recv(storm)
            assert m["result"]["exitCode"] == 0, m
            assert int(m["result"]["stdout"]) > 0


def test_launch_that_never_reports_fails_after_the_deadline(airlock_env):
    airlock_env.env.update(_preload(airlock_env, FAKESTALL))
    with app_server(airlock_env) as (proc, addr):
        ws = connect(addr)
        initialize(ws)
        send(ws, {"id": 1, "method": "command/exec",
                  "params": {"command": ["echo", "never"]}})
        other = connect(addr)
        assert "userAgent" in initialize(other, rid=2)["result"]
        assert call(other, 3, "config/read").get("result") is not None
        r = json.loads(ws.recv())
        assert r["id"] == 1
        assert r["error"]["code"] == -32603
        assert "did not report within 5000 ms" in r["error"]["message"]
        assert r["error"]["message"].startswith(
            "command/exec failed: cannot set up the sandbox")
        # The stuck child was killed and reaped.
        assert _children(proc.pid) == []
        # And the server still runs commands (the preload stalls every
        # sandbox, so this one fails the same way, on time).
        send(other, {"id": 4, "method": "command/exec",
                     "params": {"command": ["true"]}})
        assert "error" in json.loads(other.recv())


def test_run_that_never_reports_exits_125(airlock_env):
    r = airlock_env.run("run", "--", "echo", "ran",
                        env=_preload(airlock_env, FAKESTALL), timeout=60)
    assert r.returncode == 125, (r.returncode, r.stderr)
    assert "ran" not in r.stdout
    assert ("airlock: error: run: cannot set up the sandbox: it did not "
            "report within 5000 ms; killed it") in r.stderr


@pytest.mark.parametrize("flags", [(), ("--network",)], ids=["off", "granted"])
def test_failure_after_the_seccomp_step_still_reaches_airlock(airlock_env, flags):
    # The workspace is there for airlock but not for the command, which
    # has dropped its capabilities by the time it changes into it: chdir,
    # the step after seccomp, fails. Its report is a sendmsg, which the
    # filter hands to the supervisor: it must get through, not hang.
    ws = airlock_env.cwd / "locked"
    ws.mkdir()
    ws.chmod(0)
    try:
        p = airlock_env.run("run", *flags, "--", "true", cwd=ws, timeout=30)
    finally:
        ws.chmod(0o755)
    assert p.returncode == 125, p.stderr
    assert ("airlock: error: run: cannot set up the sandbox: chdir %s: "
            "Permission denied" % ws) in p.stderr


def _placeholders_gone(ws):
    return not (ws / ".git").exists() and not (ws / ".airlock").exists()


@pytest.mark.parametrize("flags", [(), ("--network",)], ids=["off", "granted"])
def test_failure_in_the_mounts_reaches_airlock_and_nothing_runs(airlock_env,
                                                                 flags):
    # The sandbox builds its mounts right after its report, while airlock
    # starts the proxy, not after the go: a mount that fails there still
    # fails the run with its reason, nothing of the command runs, and the
    # placeholders made before it are removed. The failure is a real one:
    # a fresh /proc cannot be mounted where the host's /proc has a masked
    # path (a tmpfs over /proc/sys, in a mount namespace of the test's own).
    # The command's process is forked before the mounts and waits, its
    # filter loaded, for the init to let it go on: it must die with the
    # init, silently, its one report the mount's (a few runs, since it
    # could also be killed before it notices the init is gone).
    if os.geteuid() != 0:
        pytest.skip("needs root: masks /proc/sys in a mount namespace")
    ws = airlock_env.cwd.resolve()
    plan = airlock_env.run("run", *flags, "--print-plan", "--", "true")
    assert "create an empty placeholder at %s/.git" % ws in plan.stdout
    for _ in range(3):
        p = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             'mount -t tmpfs tmpfs /proc/sys && exec "$@"', "sh",
             str(AIRLOCK), "run", *flags, "--", "sh", "-c", "touch ran"],
            cwd=str(ws), env=airlock_env.env, capture_output=True,
            text=True, timeout=30)
        assert p.returncode == 125, p.stderr
        assert ("airlock: error: run: cannot set up the sandbox: mount a "
                "fresh /proc: Operation not permitted") in p.stderr
        assert p.stderr.count("airlock: error:") == 1, p.stderr
        assert not (ws / "ran").exists()
        assert _placeholders_gone(ws)


def test_proxy_that_cannot_start_stops_the_mounts_and_the_command(airlock_env):
    # The embedded proxy fails to start (its audit log cannot be opened)
    # while the sandbox is building its mounts: the sandbox is killed
    # wherever it is, nothing of the command runs (its process, forked
    # before the mounts, dies with the init without a word of its own),
    # and whatever placeholders it had made are removed.
    ws = airlock_env.cwd.resolve()
    log = airlock_env.root / "missing" / "audit.jsonl"
    p = airlock_env.run("run", "--network", "-c",
                        "permissions.network.audit_log=%s" % log, "--",
                        "sh", "-c", "touch ran")
    assert p.returncode == 2, p.stderr
    assert ("airlock: error: run: cannot start the embedded proxy: %s: "
            "cannot open audit log" % log) in p.stderr
    assert p.stderr.count("airlock: error:") == 1, p.stderr
    assert not (ws / "ran").exists()
    assert _placeholders_gone(ws)


@pytest.mark.parametrize("flags", [(), ("--network",)], ids=["off", "granted"])
def test_command_killed_while_the_mounts_are_built_ends_the_run_quietly(
        airlock_env, flags):
    # The command's process is forked before the mounts and loads its
    # seccomp filter while pid 1 builds them; then it waits for pid 1. A
    # Ctrl-C that kills it there (the preload sends SIGINT once it waits)
    # ends the run like one that kills the command: 130, nothing run, and
    # no set-up failure made of the listener pid 1 can no longer take.
    race = BUILD / "tests" / "fakerace.so"
    ws = airlock_env.cwd.resolve()
    env = _preload(airlock_env, race)
    env["FAKEINTERRUPT"] = "1"
    p = airlock_env.run("run", *flags, "--", "sh", "-c", "touch ran",
                        env=env, timeout=60)
    assert p.returncode == 130, p.stderr
    assert "airlock: error" not in p.stderr, p.stderr
    assert not (ws / "ran").exists()
    assert _placeholders_gone(ws)


def test_protected_directory_removed_while_it_is_bound_is_skipped(airlock_env):
    # A protected path that is gone by the time the sandbox binds it has
    # nothing left to protect there, and is skipped (doc/sandbox.md); so is
    # one removed between the sandbox opening it and mounting onto it (as
    # when another run in /tmp removes its placeholder at that instant):
    # the kernel refuses a mount onto a deleted directory, and the run
    # must not fail for it. The preload removes the directory right then.
    race = BUILD / "tests" / "fakerace.so"
    ws = airlock_env.cwd.resolve()
    (ws / "sub" / ".git").mkdir(parents=True)
    plan = airlock_env.run("run", "--print-plan", "--", "true")
    assert "bind %s/sub/.git read-only" % ws in plan.stdout
    env = _preload(airlock_env, race)
    env["FAKEVANISH"] = str(ws / "sub" / ".git")
    p = airlock_env.run("run", "--", "sh", "-c", "echo ran", env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "ran\n"
    assert not (ws / "sub" / ".git").exists()


def test_placeholder_is_made_with_its_mode(airlock_env):
    # airlock's own proxy loads the workspace's .airlock/config.toml and
    # the system directory's files while the sandbox makes its
    # placeholders there: a placeholder that exists but cannot be entered
    # for a moment (made with mode 0, then chmod) fails that reading. It
    # is made with its mode (1555) from the start; the preload shows the
    # mode just before the chmod that follows.
    race = BUILD / "tests" / "fakerace.so"
    ws = airlock_env.cwd.resolve()
    env = _preload(airlock_env, race)
    env["FAKEPEEK"] = str(ws / ".airlock")
    p = airlock_env.run("run", "--", "true", env=env)
    assert p.returncode == 0, p.stderr
    assert "fakerace: mode 041555\n" in p.stderr, p.stderr
