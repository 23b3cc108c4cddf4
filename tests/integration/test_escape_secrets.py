"""A sandboxed command hunting for a request-rule secret: held in a
variable of airlock's environment (`secret_env_var`) or a file
(`secret_file`), beside rules no request uses and right after the proxy
injected it into the command's own request. It looks in its own
environment, every process's environ and cmdline it can see, the secret
file and `/proc/*/mem` of airlock's init. Every attempt must come back
empty. And the process holding the secret cannot be dumped, while the
app-server that holds one still starts every later sandbox.

Runs unprivileged or as root alike (CI also runs this file as uid
65534); nothing leaves loopback."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

from appserverutil import app_server, call, connect, initialize
from conftest import AIRLOCK, FAKEDNS, REDIRECTS
from httputil import sanitizer_env
from proxyutil import nss_hosts
from runutil import py
from test_mitm import NAME, Pki, fresh_ip, https_origin

SECRET = "escape-S3cret-value-7c1f"

CONFIG = """\
[permissions.network]
allowed_domains = ["api.example.com"]
[permissions.network.request_rules.r]
host = "api.example.com"
methods = ["GET"]
path_prefixes = ["/"]
actions = ["a"]
[permissions.network.request_actions.a]
inject_request_headers = [{ name = "authorization", prefix = "token ", secret_env_var = "RULES_ESCAPE_TOKEN" }]
"""

# The needles are built at run time, so that this script's own command
# line (visible in /proc) does not hold them.
HUNT = r"""
import glob, os
needles = [("RULES_ESCAPE" + "_TOKEN=").encode(), SECRET_REVERSED[::-1].encode()]
found = []
print("own-env", ("RULES_ESCAPE" + "_TOKEN") in os.environ)
print("kept", os.environ.get("RULES_ESCAPE_KEPT"))
for pat in ("/proc/*/environ", "/proc/*/cmdline", "/proc/self/environ"):
    for p in glob.glob(pat):
        try:
            with open(p, "rb") as f:
                data = f.read()
                if any(n in data for n in needles):
                    found.append(p)
        except OSError:
            pass
# airlock's init (pid 1) is a fork of airlock: try its memory too
try:
    with open("/proc/1/maps") as m, open("/proc/1/mem", "rb", 0) as mem:
        for line in m:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if hi - lo > 64 << 20:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
                if any(n in data for n in needles):
                    found.append("/proc/1/mem")
                    break
            except OSError:
                pass
except OSError as e:
    print("mem", e.errno)
print("found", found)
""".replace("SECRET_REVERSED", repr(SECRET[::-1]))


def test_escape_secret_variable_is_not_visible_to_the_command(airlock_env):
    env = airlock_env
    env.write("home/config.toml", CONFIG)
    p = env.run("run", "--", *py(HUNT),
                env={"RULES_ESCAPE_TOKEN": SECRET, "RULES_ESCAPE_KEPT": "yes"})
    assert p.returncode == 0, p.stderr
    lines = dict(line.split(" ", 1) for line in p.stdout.splitlines())
    assert lines["kept"] == "yes"  # the environment does pass through
    assert lines["own-env"] == "False"
    assert lines["found"] == "[]", p.stdout
    assert SECRET not in p.stdout + p.stderr


def test_escape_secret_variable_is_removed_with_network_granted(airlock_env):
    env = airlock_env
    env.write("home/config.toml", CONFIG)
    p = env.run("run", "--network", "--", *py(HUNT),
                env={"RULES_ESCAPE_TOKEN": SECRET, "RULES_ESCAPE_KEPT": "yes"})
    assert p.returncode == 0, p.stderr
    assert "own-env False" in p.stdout
    assert "found []" in p.stdout
    assert SECRET not in p.stdout + p.stderr


def test_escape_secret_variable_is_removed_from_setup_commands(airlock_env):
    env = airlock_env
    env.write("home/config.toml", CONFIG)
    (env.cwd / "hunt.py").write_text(HUNT)
    p = env.run("run", "--setup", "python3 hunt.py > hunted.txt", "--",
                "true",
                env={"RULES_ESCAPE_TOKEN": SECRET, "RULES_ESCAPE_KEPT": "yes"})
    assert p.returncode == 0, p.stderr
    out = (env.cwd / "hunted.txt").read_text()
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert lines["kept"] == "yes"
    assert lines["own-env"] == "False"
    assert lines["found"] == "[]", out
    assert SECRET not in out + p.stderr


def test_escape_secret_variable_is_removed_from_command_exec(airlock_env):
    env = airlock_env
    env.write("home/config.toml", CONFIG)
    env.env.update(RULES_ESCAPE_TOKEN=SECRET, RULES_ESCAPE_KEPT="yes")
    (env.cwd / "hunt.py").write_text(HUNT)
    with app_server(env, "-c", "setup.network_access=false") as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {
            "command": ["python3", "hunt.py"],
            "setup": ["python3 hunt.py > hunted.txt"]})
    res = r["result"]
    assert res["exitCode"] == 0, res
    for out in (res["stdout"], (env.cwd / "hunted.txt").read_text()):
        lines = dict(line.split(" ", 1) for line in out.splitlines())
        assert lines["kept"] == "yes"
        assert lines["own-env"] == "False"
        assert lines["found"] == "[]", out
        assert SECRET not in out


# --- with the proxy really injecting ------------------------------------------------
#
# The hunts above run beside rules no request uses. Below, the secret is
# loaded, a sandboxed curl without any token gets it injected into a
# request to a local TLS origin (test_mitm's, standing for port 443), and
# then the same command hunts for it: in its environment, every /proc
# entry it can see, the secret file itself, and airlock's init's memory.

INJECT_SECRET = "inject-S3cret-d41be07a"

INJECT_RULES = """
[permissions.network]
allowed_domains = ["{name}"]
allow_local_binding = true
extra_ca_certificates = ["{ca}"]
[permissions.network.request_rules.r]
host = "{name}"
methods = ["GET"]
path_prefixes = ["/api/"]
actions = ["a"]
[permissions.network.request_actions.a]
inject_request_headers = [{{ name = "authorization", prefix = "token ", {source} }}]
"""

# curl first (its status on the first line), then the hunt, which also
# reads the secret file named in argv[1] (masked: empty).
CURL_THEN_HUNT = ("curl -sS -m 10 -o /dev/null -w '%{http_code}\\n' "
                  "https://" + NAME + "/api/x; "
                  "/usr/bin/python3 -c \"$HUNT\" \"$1\"")

HUNT_FILE = HUNT.replace(repr(SECRET[::-1]), repr(INJECT_SECRET[::-1])) + r"""
import sys
try:
    with open(sys.argv[1], "rb") as f:
        print("file", len(f.read()))
except OSError as e:
    print("file", "err", e.errno)
"""


def tokens(o):
    return [v for _, _, h, _ in o.requests for k, v in h
            if k.lower() == "authorization"]


@pytest.mark.parametrize("source", ["file", "env"])
def test_escape_command_cannot_find_the_secret_it_just_used(airlock_env,
                                                           tmp_path, source):
    env = airlock_env
    pki, ip = Pki(tmp_path), fresh_ip()
    secret = env.root / "secret"
    secret.write_text(INJECT_SECRET + "\n")
    secret.chmod(0o600)
    src = ('secret_file = "%s"' % secret if source == "file"
           else 'secret_env_var = "RULES_ESCAPE_TOKEN"')
    env.write("home/config.toml", INJECT_RULES.format(
        name=NAME, ca=pki.ca, source=src))
    e = dict(nss_hosts(env, {NAME: ip}), **sanitizer_env(), HUNT=HUNT_FILE)
    if source == "env":
        e["RULES_ESCAPE_TOKEN"] = INJECT_SECRET
    cert, key = pki.leaf("good")
    with https_origin(ip, cert, key) as o:
        p = env.run("run", "--network", "--", "sh", "-c", CURL_THEN_HUNT,
                    "sh", str(secret), env=e, timeout=60)
        assert p.returncode == 0, p.stderr
        assert tokens(o) == ["token " + INJECT_SECRET]  # really injected
    out = p.stdout.splitlines()
    assert out[0] == "200", p.stdout
    lines = dict(line.split(" ", 1) for line in out[1:])
    assert lines["own-env"] == "False"
    assert lines["found"] == "[]", p.stdout
    if source == "file":
        assert lines["file"] == "0"  # masked: reads as empty
    assert INJECT_SECRET not in p.stdout + p.stderr


# --- non-dumpable -------------------------------------------------------------------

def dumpable(pid):
    """Whether the process may be dumped: a process that set
    PR_SET_DUMPABLE 0 has its /proc files owned by root, not by its uid
    (which must not be root for this to tell)."""
    with open("/proc/%d/status" % pid) as f:
        uid = int(next(l for l in f if l.startswith("Uid:")).split()[1])
    assert uid != 0
    return os.stat("/proc/%d/environ" % pid).st_uid == uid


class Unprivileged:
    """Where a process of uid 65534 started by root can run airlock: a
    directory it owns, with copies of the binary and the fake resolver
    (the build may sit where nobody cannot enter). Unprivileged already:
    the build and the pytest directories as they are."""

    def __init__(self, env):
        self.root = os.geteuid() == 0
        self.env = dict(env.env)
        if not self.root:
            self.dir, self.cwd = env.root, env.cwd
            self.airlock, self.fakedns = str(AIRLOCK), str(FAKEDNS)
            self.prefix = []
            return
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to run airlock as uid 65534")
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="airlock-dump-"))
        os.chmod(self.dir, 0o755)
        self.airlock = str(self.dir / "airlock")
        self.fakedns = str(self.dir / "fakedns.so")
        shutil.copy2(str(AIRLOCK), self.airlock)
        shutil.copy2(str(FAKEDNS), self.fakedns)
        self.prefix = ["setpriv", "--reuid=65534", "--regid=65534",
                       "--clear-groups"]
        self.cwd = self.dir / "work"
        self.cwd.mkdir()
        self.env.update(AIRLOCK_HOME=str(self.dir / "home"),
                        AIRLOCK_SYSTEM_DIR=str(self.dir / "system"),
                        HOME=str(self.dir / "user"))

    def file(self, name, text, mode=0o600):
        p = self.dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        p.chmod(mode)
        return p

    def own(self):
        if self.root:
            for p in [self.dir, *self.dir.rglob("*")]:
                os.lchown(p, 65534, 65534)

    def dns(self, pairs):
        hosts = self.file("fakedns_hosts",
                          "".join("%s %s\n" % (ip, n) for n, ip in pairs),
                          0o644)
        return {"LD_PRELOAD": self.fakedns, "FAKEDNS_HOSTS": str(hosts),
                "FAKEDNS_REDIRECTS": str(REDIRECTS),
                "ASAN_OPTIONS": "verify_asan_link_order=0"}

    def popen(self, *args, extra=None, **kw):
        e = dict(self.env, **(extra or {}))
        return subprocess.Popen(self.prefix + [self.airlock, *args],
                                cwd=str(self.cwd), env=e, **kw)

    def cleanup(self):
        if self.root:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def unpriv(airlock_env):
    u = Unprivileged(airlock_env)
    yield u
    u.cleanup()


def start_unpriv_proxy(u, rules):
    secret = u.file("secret", INJECT_SECRET + "\n")
    conf = ('[permissions.network]\nproxy_url = "http://127.0.0.1:0"\n'
            'admin_url = "http://127.0.0.1:0"\n')
    if rules:
        conf += ('[permissions.network.request_rules.r]\nhost = "a.test"\n'
                 'methods = ["GET"]\npath_prefixes = ["/"]\nactions = ["a"]\n'
                 '[permissions.network.request_actions.a]\n'
                 'inject_request_headers = [{ name = "authorization", '
                 'secret_file = "%s" }]\n' % secret)
    u.file("home/config.toml", conf, 0o644)
    ready = u.dir / "ready.json"
    u.own()
    p = u.popen("proxy", "--ready-file", str(ready),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if ready.exists() or p.poll() is not None:
            break
        try:
            p.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            pass
    assert ready.exists(), p.stderr.read() if p.poll() is not None else ""
    return p


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)


@pytest.mark.parametrize("rules", [True, False])
def test_escape_proxy_holding_secrets_cannot_be_dumped(unpriv, rules):
    # A core dump, /proc/PID/mem and environ of the proxy are closed once
    # it holds a secret; a proxy without rules stays an ordinary process
    # (which shows the check can tell the two apart).
    p = start_unpriv_proxy(unpriv, rules)
    try:
        assert dumpable(p.pid) is (not rules)
        if rules and not unpriv.root:
            with pytest.raises(PermissionError):
                open("/proc/%d/environ" % p.pid, "rb").close()
    finally:
        stop(p)


# --- the app-server: secrets loaded, later sandboxes must still start ----------------

def app_server_as(u, *args):
    """(process, 'ip:port', token) of an app-server run by u."""
    srv = u.popen("app-server", "--listen", "ws://127.0.0.1:0", *args,
                  extra=u.extra, stdin=subprocess.DEVNULL,
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                  text=True)
    for _ in range(50):
        m = re.search(r"listening on: ws://(\S+)", srv.stderr.readline())
        if m:
            tok = (pathlib.Path(u.env["AIRLOCK_HOME"]) /
                   "app-server.token").read_text().strip()
            return srv, m.group(1), tok
    stop(srv)
    raise AssertionError("app-server did not start")


def test_escape_app_server_sandboxes_start_after_secrets_are_held(unpriv,
                                                                 tmp_path):
    # The first command/exec with network loads the rules and makes the
    # app-server non-dumpable; a clone of a non-dumpable process cannot
    # write its own id maps unless it becomes dumpable again. Every later
    # command must still get its sandbox, its injected token and no way
    # to read the secret — as root and as uid 65534 alike.
    u = unpriv
    pki, ip = Pki(tmp_path), fresh_ip()
    ca = u.file("ca.pem", pki.ca.read_text(), 0o644)
    secret = u.file("secret", INJECT_SECRET + "\n")
    u.file("home/config.toml", INJECT_RULES.format(
        name=NAME, ca=ca, source='secret_file = "%s"' % secret), 0o644)
    u.extra = u.dns([(NAME, ip)])
    u.own()
    cert, key = pki.leaf("good")
    with https_origin(ip, cert, key) as o:
        srv, addr, tok = app_server_as(
            u, "-c", "sandbox_workspace_write.network_access=true")
        try:
            ws = connect(addr, token=tok)
            initialize(ws)
            outs = []
            for i in range(1, 4):
                r = call(ws, i, "command/exec",
                         {"command": ["sh", "-c", CURL_THEN_HUNT, "sh",
                                      str(secret)],
                          "env": {"HUNT": HUNT_FILE}, "network": True,
                          "timeoutMs": 60000})
                assert "result" in r, r
                assert r["result"]["exitCode"] == 0, r["result"]["stderr"]
                outs.append(r["result"]["stdout"])
            if not u.root:
                assert not dumpable(srv.pid)
            ws.close()
        finally:
            stop(srv)
            err = srv.stderr.read()
        assert tokens(o) == ["token " + INJECT_SECRET] * 3
    for out in outs:
        lines = out.splitlines()
        assert lines[0] == "200", out
        rest = dict(line.split(" ", 1) for line in lines[1:])
        assert (rest["own-env"], rest["found"], rest["file"]) == (
            "False", "[]", "0"), out
    assert INJECT_SECRET not in err + "".join(outs)


def test_escape_run_command_starts_after_its_setup_loaded_the_secret(
        airlock_env, tmp_path):
    # The setup phase's proxy loads the rules first and makes airlock
    # non-dumpable; the command's sandbox, cloned afterwards, must still
    # set itself up (unprivileged: write its own id maps), get its token
    # injected in full mode (the setup default) and find nothing.
    env = airlock_env
    pki, ip = Pki(tmp_path), fresh_ip()
    secret = env.root / "secret"
    secret.write_text(INJECT_SECRET + "\n")
    secret.chmod(0o600)
    env.write("home/config.toml", INJECT_RULES.format(
        name=NAME, ca=pki.ca, source='secret_file = "%s"' % secret)
        + '[setup]\nallowed_domains = ["%s"]\n' % NAME)
    e = dict(nss_hosts(env, {NAME: ip}), **sanitizer_env(), HUNT=HUNT_FILE)
    setup = ("curl -sS -m 10 -o /dev/null -w '%%{http_code}' "
             "https://%s/api/setup > setup.txt" % NAME)
    cert, key = pki.leaf("good")
    with https_origin(ip, cert, key) as o:
        p = env.run("run", "--network", "--setup", setup, "--", "sh", "-c",
                    CURL_THEN_HUNT, "sh", str(secret), env=e, timeout=90)
        assert p.returncode == 0, p.stderr
        assert [path for _, path, _, _ in o.requests] == ["/api/setup",
                                                          "/api/x"]
        assert tokens(o) == ["token " + INJECT_SECRET] * 2
    assert (env.cwd / "setup.txt").read_text() == "200"
    out = p.stdout.splitlines()
    assert out[0] == "200", p.stdout
    lines = dict(line.split(" ", 1) for line in out[1:])
    assert (lines["own-env"], lines["found"], lines["file"]) == (
        "False", "[]", "0"), p.stdout
    assert INJECT_SECRET not in p.stdout + p.stderr
