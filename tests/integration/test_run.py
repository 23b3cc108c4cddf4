"""`airlock run`: exit codes, signals, the plan, requirements, the
environment, the blocked summary and running as an unprivileged user."""
import base64
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


def _read_to_end_now(f):
    """What is left in pipe f, which must be at its end already: every
    writer gone (os.read raises BlockingIOError while one could still
    write)."""
    os.set_blocking(f.fileno(), False)
    data = b""
    for _ in range(1000):
        chunk = os.read(f.fileno(), 65536)
        if not chunk:
            return data
        data += chunk
    raise AssertionError("no end to the pipe")


@pytest.mark.parametrize("flags", [(), ("--network",)], ids=["off", "granted"])
def test_run_returns_with_nothing_of_the_sandbox_left(airlock_env, flags):
    # The command exits 3 and leaves two processes behind, one running and
    # one stopped, both holding airlock's stdout and stderr. When airlock
    # returns, its status is the command's, neither process exists any
    # more, a reader of its stdout or stderr is at the end at once, and the
    # placeholders are gone.
    ws = airlock_env.cwd
    marker = "41.%d" % os.getpid()
    script = ("sleep %s & sleep %s & kill -STOP $!; echo started; exit 3"
              % (marker, marker))
    proc = subprocess.Popen([str(AIRLOCK), "run", *flags, "--", "sh", "-c",
                             script], cwd=str(ws), env=airlock_env.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.wait(timeout=30) == 3
        assert not _processes_with(marker)
        assert _read_to_end_now(proc.stdout) == b"started\n"
        _read_to_end_now(proc.stderr)
    finally:
        proc.kill()
        proc.wait()
    assert not (ws / ".git").exists() and not (ws / ".airlock").exists()


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
    assert "NO_PROXY=localhost,127.0.0.1,::1" in lines


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
             "python3 -c 'import socket; "
             "socket.create_connection((\"192.0.2.1\", 80), 5)' "
             "2>/dev/null || echo nonet; "
             "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); "
             "s.bind(\"u.sock\"); s.listen(); "
             "socket.socket(socket.AF_UNIX).connect(\"u.sock\"); "
             "print(\"unix\")'"],
            cwd=work, env=env, capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        # Unprivileged, the supervisor still serves connect(): the
        # sandbox's own unix socket works, the world stays out of reach.
        assert p.stdout.split() == ["65534", "ro", "nonet", "unix"]
        assert os.path.exists(os.path.join(work, "ok"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_run_namespace_has_only_lo(airlock_env):
    p = airlock_env.run("run", "--", *py(
        "print(sorted(l.split(':')[0].strip() "
        "for l in open('/proc/net/dev').readlines()[2:]))"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "['lo']"


# --- managed config beats the command line -------------------------------------

MANAGED = ('sandbox_mode = "workspace-write"\n'
           '[sandbox_workspace_write]\nnetwork_access = false\n'
           '[permissions.network]\nmode = "limited"\n'
           'allowed_domains = ["pypi.org"]\n')


@pytest.mark.parametrize("flags,key,line", [
    (["--network"], "sandbox_workspace_write.network_access = false", 3),
    (["--no-network", "--sandbox", "read-only"],
     'sandbox_mode = "workspace-write"',
     1),
    (["--no-network", "--mode", "full"],
     'permissions.network.mode = "limited"', 5),
    (["--no-network", "--allow", "example.com"],
     'permissions.network.allowed_domains = ["pypi.org"]', 6),
])
def test_run_flag_against_managed_config_is_refused(airlock_env, flags, key,
                                                    line):
    m = airlock_env.write("system/managed_config.toml", MANAGED)
    p = airlock_env.run("run", *flags, "--", "sh", "-c", "echo ran")
    assert p.returncode == 2
    assert p.stdout == ""
    flag = " ".join(flags[1:] if flags[0] == "--no-network" else flags)
    assert (f"airlock: run: {flag} refused: {key} is set by the managed "
            f"config {m}:{line}") in p.stderr


def test_run_network_flag_against_managed_preferences_is_refused(
        airlock_env):
    payload = base64.b64encode(
        b"[sandbox_workspace_write]\nnetwork_access = false\n").decode()
    m = airlock_env.write("system/managed_preferences.toml",
                          f'config_toml_base64 = "{payload}"\n')
    p = airlock_env.run("run", "--network", "--", "sh", "-c", "echo ran")
    assert p.returncode == 2
    assert p.stdout == ""
    assert ("airlock: run: --network refused: "
            "sandbox_workspace_write.network_access = false is set by the "
            f"managed config {m}[config_toml_base64]:2") in p.stderr


def test_run_c_override_of_managed_key_stays_overridden(airlock_env):
    # -c sits below the managed layer: it never wins, and says nothing.
    airlock_env.write("system/managed_config.toml", MANAGED)
    p = airlock_env.run("run", "-c", "sandbox_workspace_write.network_access"
                        "=true", "--print-plan", "--", "true")
    assert p.returncode == 0, p.stderr
    assert "network: off" in p.stdout


def test_run_flag_equal_to_the_managed_value_is_accepted(airlock_env):
    airlock_env.write("system/managed_config.toml", MANAGED)
    p = airlock_env.run("run", "--no-network", "-s", "workspace-write",
                        "--", "sh", "-c", "echo ran")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "ran\n"


def test_run_managed_sandbox_mode_is_a_requirement_too(airlock_env):
    # The managed config's sandbox_mode allows read-only and itself, as a
    # requirement names it.
    m = airlock_env.write("system/managed_config.toml",
                          'sandbox_mode = "workspace-write"\n')
    p = airlock_env.run("run", "-s", "danger-full-access", "--", "true")
    assert p.returncode == 2
    assert ("--sandbox danger-full-access refused: invalid value for "
            "sandbox_mode: danger-full-access (allowed read-only, "
            f"workspace-write) ({m}:1)") in p.stderr


# --- network flags without network ---------------------------------------------

def test_run_network_flags_without_network_warn_once(airlock_env):
    p = airlock_env.run("run", "--allow", "pypi.org", "--deny", "x.example",
                        "--mode", "full",
                        "-c", 'permissions.network.preset="common-dependencies"',
                        "--", "sh", "-c", "echo ran")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "ran\n"
    want = ("airlock: run: warning: --allow, --deny, --mode, "
            "-c permissions.network.preset have no effect without --network")
    assert p.stderr.count(want) == 1, p.stderr
    assert p.stderr.count("warning") == 1, p.stderr


def test_run_network_flags_with_network_say_nothing(airlock_env):
    p = airlock_env.run("run", "--network", "--allow", "pypi.org", "--",
                        "true")
    assert p.returncode == 0, p.stderr
    assert "no effect" not in p.stderr


def test_run_bad_pattern_is_an_error_with_network_off(airlock_env):
    f = airlock_env.write("home/config.toml",
                          '[permissions.network]\ndenied_domains = ["*"]\n')
    p = airlock_env.run("run", "--", "sh", "-c", "echo ran")
    assert p.returncode == 2
    assert p.stdout == ""
    assert f"{f}:2: permissions.network.denied_domains[0]:" in p.stderr


def test_run_untrusted_project_is_announced_once(airlock_env):
    cfg = airlock_env.write("work/.airlock/config.toml",
                            'sandbox_mode = "read-only"\n')
    p = airlock_env.run("run", "--network", "--", "true")
    assert p.returncode == 0, p.stderr
    assert p.stderr.count(f"ignoring {cfg}: the project") == 1, p.stderr
    assert "is not trusted" in p.stderr


def test_run_requirement_fallback_is_announced_once_with_network(
        airlock_env):
    # The embedded proxy loads the config again; it must not repeat it.
    airlock_env.write("home/config.toml", 'approval_policy = "never"\n')
    airlock_env.write("system/requirements.toml",
                      'allowed_approval_policies = ["on-request"]\n')
    p = airlock_env.run("run", "--network", "--", "true")
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("Configured value for `approval_policy`") == 1, \
        p.stderr


# --- npm and the proxy variables -------------------------------------------------

def test_run_npm_sees_no_unknown_proxy_config(airlock_env):
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed (scripts/install-deps --test)")
    p = airlock_env.run(
        "run", "--network", "--", "sh", "-c",
        "export HOME=$PWD/npm-home; mkdir -p $HOME; npm config get proxy; "
        "npm config get https-proxy",
        env={"npm_config_http_proxy": "http://127.0.0.1:9"})
    assert p.returncode == 0, p.stderr
    assert "Unknown env config" not in p.stderr
    assert p.stdout.splitlines() == ["http://127.0.0.1:43128"] * 2
