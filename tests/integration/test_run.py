"""`airlock run`: exit codes, signals, the plan, requirements, the
environment, the blocked summary and running as an unprivileged user."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import AIRLOCK
from runutil import py


def test_run_exit_status_passes_through(airlock_env):
    p = airlock_env.run("run", "--", "sh", "-c", "exit 7")
    assert p.returncode == 7, p.stderr


def test_run_killed_command_exits_128_plus_signal(airlock_env):
    p = airlock_env.run("run", "--", "sh", "-c", "kill -KILL $$")
    assert p.returncode == 128 + signal.SIGKILL, p.stderr


def test_run_missing_command_exits_127(airlock_env):
    p = airlock_env.run("run", "--", "no-such-command-xyz")
    assert p.returncode == 127
    assert "no-such-command-xyz" in p.stderr


def test_run_stdin_and_stdout_pass_through(airlock_env):
    p = airlock_env.run("run", "--", "tr", "a-z", "A-Z", input="hello\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "HELLO\n"


def test_run_command_is_pid_2_in_its_own_pid_namespace(airlock_env):
    p = airlock_env.run("run", "--", "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'")
    assert p.returncode == 0, p.stderr
    pid, nprocs = p.stdout.split()
    assert pid == "2"
    assert int(nprocs) <= 4  # init, sh, ls, grep: no host process visible


def _start(airlock_env, *args):
    e = dict(airlock_env.env)
    return subprocess.Popen([str(AIRLOCK), *args], cwd=str(airlock_env.cwd), env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_run_forwards_signals_to_the_command(airlock_env, sig):
    script = ("trap 'echo got; exit 42' %s; echo ready; "
              "i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; exit 9"
              % sig.name[3:])
    proc = _start(airlock_env, "run", "--", "sh", "-c", script)
    try:
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 42, err
    assert "got" in out


def _processes_with(arg):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if arg.encode() in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_run_command_dies_with_airlock(airlock_env):
    marker = "31.%d" % os.getpid()
    proc = _start(airlock_env, "run", "--", "sh", "-c", "echo ready; sleep " + marker)
    try:
        assert proc.stdout.readline() == "ready\n"
        for _ in range(100):
            if _processes_with(marker):
                break
            time.sleep(0.05)
        assert _processes_with(marker)
        proc.kill()
        proc.wait(timeout=10)
        for _ in range(100):
            if not _processes_with(marker):
                break
            time.sleep(0.05)
        assert not _processes_with(marker)
    finally:
        proc.kill()


def test_run_print_plan_prints_steps_and_runs_nothing(airlock_env):
    (airlock_env.cwd / ".git").mkdir()
    p = airlock_env.run("run", "--print-plan", "--network", "--",
                        "touch", "ran")
    assert p.returncode == 0, p.stderr
    assert not (airlock_env.cwd / "ran").exists()
    out = p.stdout
    assert "sandbox: workspace-write" in out
    assert "network: proxy only" in out
    assert "unshare user, mount, pid and network namespaces" in out
    assert "listen on 127.0.0.1:43128" in out
    assert "bind %s/.git read-only" % airlock_env.cwd.resolve() in out
    assert "landlock (ABI" in out
    assert "seccomp" in out
    assert "exec touch ran" in out


def test_run_print_plan_network_off_by_default(airlock_env):
    p = airlock_env.run("run", "--print-plan", "-s", "read-only", "--", "true")
    assert p.returncode == 0, p.stderr
    assert "sandbox: read-only" in p.stdout
    assert "network: off" in p.stdout
    assert "listen" not in p.stdout


def test_run_refused_sandbox_flag_names_the_requirement(airlock_env):
    airlock_env.write("system/requirements.toml",
                      'allowed_sandbox_modes = ["read-only"]\n')
    p = airlock_env.run("run", "-s", "danger-full-access", "--", "true")
    assert p.returncode == 2
    assert "--sandbox danger-full-access refused" in p.stderr
    assert "requirements.toml" in p.stderr


def test_run_refused_mode_flag_names_the_requirement(airlock_env):
    airlock_env.write("system/requirements.toml",
                      '[permissions.network]\nmode = "limited"\n')
    p = airlock_env.run("run", "--network", "--mode", "full", "--", "true")
    assert p.returncode == 2
    assert "--mode full refused" in p.stderr
    assert "requirements.toml" in p.stderr


def test_run_bad_allow_pattern_is_a_config_error(airlock_env):
    p = airlock_env.run("run", "--network", "--allow", "*.com", "--", "true")
    assert p.returncode == 2
    assert "*.com" in p.stderr


def test_run_usage_errors_exit_2(airlock_env):
    assert airlock_env.run("run").returncode == 2
    assert airlock_env.run("run", "--bogus", "--", "true").returncode == 2
    assert airlock_env.run("run", "--help").returncode == 0


def test_run_network_off_environment(airlock_env):
    p = airlock_env.run("run", "--", "env",
                        env={"HTTP_PROXY": "http://10.1.1.1:3128"})
    assert p.returncode == 0, p.stderr
    assert "AIRLOCK_SANDBOX_NETWORK_DISABLED=1" in p.stdout
    assert "HTTP_PROXY" not in p.stdout


def test_run_network_granted_environment_overwrites_callers_proxy(airlock_env):
    p = airlock_env.run("run", "--network", "--", "env",
                        env={"HTTP_PROXY": "http://10.1.1.1:3128", "NO_PROXY": "*"})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert "HTTP_PROXY=http://127.0.0.1:43128" in lines
    assert "https_proxy=http://127.0.0.1:43128" in lines
    assert "ALL_PROXY=http://127.0.0.1:43128" in lines
    assert "AIRLOCK_NETWORK_PROXY_ACTIVE=1" in lines
    assert "NO_PROXY=" in lines


def test_run_danger_full_access_is_not_sandboxed(airlock_env):
    p = airlock_env.run("run", "-s", "danger-full-access", "--", "sh", "-c",
                        "echo $$ > /dev/null; ls /proc | grep -c '^[0-9]'")
    assert p.returncode == 0, p.stderr
    assert int(p.stdout) > 4


def test_run_C_sets_the_workspace(airlock_env):
    other = airlock_env.root / "other"
    other.mkdir()
    p = airlock_env.run("run", "-C", str(other), "--", "sh", "-c",
                        "pwd; touch made")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(other.resolve())
    assert (other / "made").exists()


def test_run_as_an_unprivileged_user(airlock_env):
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to switch to nobody")
    work = tempfile.mkdtemp(prefix="airlock-nobody-")
    try:
        os.chown(work, 65534, 65534)
        # The build directory may sit under a path nobody cannot enter
        # (a clone in /root): run a copy of the binary from the work dir.
        binary = os.path.join(work, "airlock")
        shutil.copy2(str(AIRLOCK), binary)
        os.chmod(binary, 0o755)
        env = dict(airlock_env.env)
        # pytest's own directories are private to root: nobody gets its own.
        env["AIRLOCK_HOME"] = os.path.join(work, ".home")
        env["AIRLOCK_SYSTEM_DIR"] = os.path.join(work, ".system")
        p = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             binary, "run", "--", "sh", "-c",
             "id -u; touch ok; touch /etc/nope 2>/dev/null || echo ro; "
             "python3 -c 'import socket; socket.socket()' 2>/dev/null || echo nonet"],
            cwd=work, env=env, capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        assert p.stdout.split() == ["65534", "ro", "nonet"]
        assert os.path.exists(os.path.join(work, "ok"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_run_namespace_has_only_lo(airlock_env):
    p = airlock_env.run("run", "--", *py(
        "print(sorted(l.split(':')[0].strip() "
        "for l in open('/proc/net/dev').readlines()[2:]))"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "['lo']"
