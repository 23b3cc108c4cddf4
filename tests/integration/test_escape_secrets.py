"""A sandboxed command hunting for a request-rule secret held in a
variable of airlock's environment (`secret_env_var`): its own
environment, every process's environ and cmdline it can see, and
`/proc/*/mem` of airlock's init. Every attempt must come back empty.

Runs unprivileged or as root alike (CI also runs this file as uid
65534); nothing leaves loopback."""
from runutil import py

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
    from appserverutil import app_server, call, connect, initialize

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
