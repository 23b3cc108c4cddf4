"""`airlock run` and `command/exec`: credential files are hidden. Each test
plants fake credentials under a HOME of its own (never the real one of
whoever runs the tests), runs a sandboxed command that tries to read them
— directly, through a symbolic link in the workspace, through
/proc/self/root, by renaming their parent, by unmounting the mask — and
checks that the secret never comes out; a few check that ordinary work
(git, pip, npm with a project .npmrc) goes on. They run as root and as an
unprivileged user alike (CI re-runs them as nobody); none needs the
network but the CA bundle test, which stays on loopback."""
import os
import shutil
import subprocess
import textwrap

import pytest

from appserverutil import app_server, call, connect, initialize
from runutil import ATTEMPT, PY, py

SECRET = "SECRET-7f3a91"
GIT = shutil.which("git") or "/usr/bin/git"
# Like runutil's ATTEMPT, but goes on after a failure: one line per try,
# "ERR <errno>", or "OK <what was read>".
TRIES = """
import ctypes, errno, os, sys
def attempt(f):
    try:
        r = f()
    except OSError as e:
        print("ERR", errno.errorcode.get(e.errno, e.errno))
        return
    print("OK", repr(r))
def read(path):
    attempt(lambda: open(path).read())
"""


@pytest.fixture
def home(airlock_env, tmp_path):
    """A HOME of the test's own, full of fake credentials."""
    h = tmp_path / "uhome"
    files = {
        ".ssh/id_ed25519": SECRET + " ssh key\n",
        ".ssh/config": "Host x\n",
        ".aws/credentials": "[default]\naws_secret_access_key=" + SECRET,
        ".config/gcloud/credentials.db": SECRET,
        ".kube/config": SECRET,
        ".docker/config.json": '{"auths":{"x":{"auth":"%s"}}}' % SECRET,
        ".netrc": "machine x login u password " + SECRET,
        ".git-credentials": "https://u:%s@example.com\n" % SECRET,
        ".config/gh/hosts.yml": "oauth_token: " + SECRET,
        ".npmrc": "//registry.example/:_authToken=%s\n" % SECRET,
        ".pypirc": "[pypi]\npassword = " + SECRET,
        ".cargo/credentials.toml": 'token = "%s"' % SECRET,
        ".gnupg/private-keys-v1.d/k.key": SECRET,
        ".config/keep/ok.txt": "not a secret\n",
    }
    for rel, text in files.items():
        p = h / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    airlock_env.env["HOME"] = str(h)
    airlock_env.env.pop("TMPDIR", None)
    return h


def run_sh(airlock_env, script, *flags, **kw):
    return airlock_env.run("run", *flags, "--", "sh", "-c", script, **kw)


def attempt(airlock_env, body, *flags):
    p = airlock_env.run("run", *flags, "--", *py(ATTEMPT + body))
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def read_body(path):
    return "attempt(lambda: print(open(%r).read()))" % str(path)


def tries(airlock_env, body, *flags):
    """Runs TRIES + body in the sandbox; its lines."""
    p = airlock_env.run("run", *flags, "--", *py(TRIES + body))
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


# --- the default credential locations -----------------------------------------

def test_escape_hidden_ssh_key_cannot_be_read(airlock_env, home):
    p = run_sh(airlock_env, "cat ~/.ssh/id_ed25519")
    assert p.returncode != 0
    assert SECRET not in p.stdout + p.stderr
    assert "Permission denied" in p.stderr
    assert attempt(airlock_env, read_body(home / ".ssh/id_ed25519")) == \
        "ERR EACCES"


def test_escape_hidden_aws_directory_cannot_be_listed(airlock_env, home):
    p = run_sh(airlock_env, "ls ~/.aws")
    assert p.returncode != 0
    assert "credentials" not in p.stdout
    assert attempt(airlock_env,
                   "attempt(lambda: print(os.listdir(%r)))" % str(home / ".aws")) \
        == "ERR EACCES"


def test_escape_hidden_every_default_location_reads_nothing(airlock_env, home):
    # Directories are denied, files read as empty: either way no secret.
    p = run_sh(airlock_env,
               "cd ~ && cat .ssh/id_ed25519 .aws/credentials "
               ".config/gcloud/credentials.db .kube/config "
               ".docker/config.json .netrc .git-credentials "
               ".config/gh/hosts.yml .npmrc .pypirc .cargo/credentials.toml "
               ".gnupg/private-keys-v1.d/k.key; "
               "grep -r . ~ 2>/dev/null; cat .config/keep/ok.txt")
    assert SECRET not in p.stdout + p.stderr
    # What is not a credential stays readable.
    assert "not a secret" in p.stdout


def test_escape_hidden_symlink_in_the_workspace_does_not_lead_around(
        airlock_env, home):
    # A link planted before the run, and one made inside it.
    (airlock_env.cwd / "planted").symlink_to(home / ".ssh" / "id_ed25519")
    (airlock_env.cwd / "planted-file").symlink_to(home / ".netrc")
    p = run_sh(airlock_env,
               "cat planted; cat planted-file; "
               "ln -s ~/.aws/credentials made && cat made; "
               "ln -s ~/.ssh made-dir && cat made-dir/id_ed25519")
    assert SECRET not in p.stdout + p.stderr
    assert attempt(airlock_env, read_body(airlock_env.cwd / "planted")) == \
        "ERR EACCES"


def test_escape_hidden_proc_self_root_does_not_lead_around(airlock_env, home):
    key = home / ".ssh" / "id_ed25519"
    via_cwd = "/proc/self/cwd/" + os.path.relpath(key, airlock_env.cwd)
    out = tries(airlock_env, "read(%r)\nread(%r)\nread(%r)\n" % (
        "/proc/self/root" + str(key), "/proc/1/root" + str(key), via_cwd))
    assert out == ["ERR EACCES"] * 3


def test_escape_hidden_credential_linked_elsewhere_is_hidden_there(
        airlock_env, home, tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "credentials").write_text(SECRET)
    shutil.rmtree(home / ".aws")
    (home / ".aws").symlink_to(vault)
    assert attempt(airlock_env, read_body(vault / "credentials")) == \
        "ERR EACCES"
    assert attempt(airlock_env, read_body(home / ".aws" / "credentials")) == \
        "ERR EACCES"


def test_escape_hidden_renaming_the_parent_does_not_unmask(airlock_env, home):
    # The home lies under /tmp, a writable root: the command may rename
    # it, but the mask moves with the directory.
    moved = str(home) + ".moved"
    p = run_sh(airlock_env,
               'mv "$HOME" %s; cat %s/.ssh/id_ed25519; ls %s/.ssh; '
               'mv "%s" "$HOME"' % (moved, moved, moved, moved))
    assert SECRET not in p.stdout + p.stderr
    assert "id_ed25519" not in p.stdout


def test_escape_hidden_mask_cannot_be_unmounted_or_renamed(airlock_env, home):
    body = ("libc = ctypes.CDLL(None, use_errno=True)\n"
            "def umount():\n"
            "    if libc.umount2(%r.encode(), 2) != 0:\n"
            "        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))\n"
            "attempt(umount)\n"
            "attempt(lambda: os.rename(%r, %r))\n"
            "read(%r)\n"
            % (str(home / ".ssh"), str(home / ".ssh"), str(home / "x"),
               str(home / ".ssh" / "id_ed25519")))
    out = tries(airlock_env, body)
    assert out[0] == "ERR EPERM"
    assert out[1] in ("ERR EBUSY", "ERR EPERM", "ERR EXDEV")
    assert out[2] == "ERR EACCES"


def test_escape_hidden_in_read_only_mode_too(airlock_env, home):
    assert attempt(airlock_env, read_body(home / ".ssh/id_ed25519"),
                   "-s", "read-only") == "ERR EACCES"


def test_escape_hidden_print_plan_lists_what_is_hidden(airlock_env, home):
    p = airlock_env.run("run", "--print-plan", "--", "true")
    assert p.returncode == 0, p.stderr
    for rel in (".ssh", ".aws", ".netrc", ".docker/config.json"):
        assert "hide %s (a default credential location" % (home / rel) \
            in p.stdout
    assert "hide %s (AIRLOCK_HOME)" % airlock_env.home in p.stdout


# --- AIRLOCK_HOME ---------------------------------------------------------------

def test_escape_hidden_airlock_home_secrets_cannot_be_read(airlock_env, home):
    for name in ("admin.token", "app-server.token"):
        (airlock_env.home / name).write_text(SECRET)
        os.chmod(airlock_env.home / name, 0o600)
    (airlock_env.home / "config.toml").write_text("# " + SECRET + "\n")
    h = str(airlock_env.home)
    body = ("for f in ('admin.token', 'app-server.token', 'config.toml',\n"
            "          'proxy/ca.key'):\n"
            "    read(os.path.join(%r, f))\n"
            "attempt(lambda: os.listdir(%r))\n"
            "attempt(lambda: os.listdir(%r))\n"
            "b = open(os.environ['SSL_CERT_FILE']).read()\n"
            "print('bundle' if 'BEGIN CERTIFICATE' in b else 'nobundle')\n"
            % (h, h, h + "/proxy"))
    # Without network the whole directory is refused; with it, only the
    # CA bundle the command trusts comes back, and nothing can be listed.
    out = tries(airlock_env, body.split("b = open")[0])
    assert out == ["ERR EACCES"] * 6
    out = tries(airlock_env, body, "--network")
    assert out == ["ERR ENOENT"] * 4 + ["ERR EACCES"] * 2 + ["bundle"]
    key = airlock_env.home / "proxy" / "ca.key"
    assert key.exists() and b"PRIVATE" in key.read_bytes()


def test_escape_hidden_ca_key_linked_out_of_airlock_home_stays_hidden(
        airlock_env, home, tmp_path):
    # AIRLOCK_HOME/proxy is a link to a directory elsewhere, where airlock
    # then makes its CA: the key is masked where it really is too (a file
    # mask reads as empty).
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (airlock_env.home / "proxy").symlink_to(elsewhere)
    body = ("read(%r)\n"
            "b = open(os.environ['SSL_CERT_FILE']).read()\n"
            "print('bundle' if 'BEGIN CERTIFICATE' in b else 'nobundle')\n"
            % str(elsewhere / "ca.key"))
    out = tries(airlock_env, body, "--network")
    assert b"PRIVATE" in (elsewhere / "ca.key").read_bytes()
    assert out == ["OK ''", "bundle"]


def test_escape_hidden_workspace_inside_a_hidden_path_is_refused(airlock_env,
                                                                home):
    p = airlock_env.run("run", "--", "cat", "id_ed25519", cwd=home / ".ssh")
    assert p.returncode == 2
    assert SECRET not in p.stdout
    assert "lies inside %s, which sandboxed commands may not read" % \
        (home / ".ssh") in p.stderr
    (airlock_env.home / "proj").mkdir()
    p = airlock_env.run("run", "--", "true", cwd=airlock_env.home / "proj")
    assert p.returncode == 2
    assert "(AIRLOCK_HOME)" in p.stderr


# --- layers ---------------------------------------------------------------------

def test_escape_hidden_managed_path_cannot_be_removed_by_user_or_flag(
        airlock_env, home):
    (home / ".corp").mkdir()
    (home / ".corp" / "vpn.key").write_text(SECRET)
    (airlock_env.system / "managed_config.toml").write_text(textwrap.dedent("""
        [sandbox]
        hidden_paths = ["~/.corp"]
        """))
    (airlock_env.home / "config.toml").write_text(textwrap.dedent("""
        [sandbox]
        hidden_paths = []
        hidden_paths_defaults = false
        """))
    flags = ("-c", "sandbox.hidden_paths=[]")
    assert attempt(airlock_env, read_body(home / ".corp/vpn.key"), *flags) == \
        "ERR EACCES"
    # The user's own choice for the default list did take effect.
    out = attempt(airlock_env, read_body(home / ".ssh/id_ed25519"), *flags)
    assert SECRET in out


def test_escape_hidden_requirement_adds_paths_and_pins_the_defaults(
        airlock_env, home):
    (home / "secret.txt").write_text(SECRET)
    (airlock_env.system / "requirements.toml").write_text(textwrap.dedent("""
        [sandbox]
        hidden_paths = ["~/secret.txt"]
        hidden_paths_defaults = true
        """))
    (airlock_env.home / "config.toml").write_text(
        "[sandbox]\nhidden_paths_defaults = false\n")
    p = run_sh(airlock_env, "cat ~/secret.txt ~/.ssh/id_ed25519; echo ran",
               "-c", "sandbox.hidden_paths_defaults=false")
    assert p.stdout.strip() == "ran"
    assert SECRET not in p.stdout + p.stderr
    assert "falling back to required value true" in p.stderr
    assert "requirements.toml" in p.stderr


def test_escape_hidden_secret_file_of_a_request_action(airlock_env, home,
                                                     tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    token = secrets / "api-token"
    token.write_text(SECRET + "\n")
    token.chmod(0o600)
    (airlock_env.home / "config.toml").write_text(textwrap.dedent(f"""
        [permissions.network]
        allowed_domains = ["api.example.com"]

        [permissions.network.request_rules.issues]
        host = "api.example.com"
        methods = ["GET"]
        path_prefixes = ["/repos/"]
        actions = ["token"]

        [permissions.network.request_actions.token]
        inject_request_headers = [{{ name = "authorization", prefix = "Bearer ", secret_file = "{token}" }}]
        """))
    for flags in ((), ("--network",)):
        out = tries(airlock_env, "read(%r)\nattempt(lambda: os.listdir(%r))\n"
                    % (str(token), str(secrets)), *flags)
        # The file reads as empty; the directory beside it is untouched.
        assert out == ["OK ''", "OK ['api-token']"], flags
    p = airlock_env.run("run", "--print-plan", "--", "true")
    assert "hide %s (a request action's secret file)" % token in p.stdout


def test_escape_hidden_command_exec_hides_them_too(airlock_env, home):
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec",
                 {"command": ["sh", "-c",
                              "cat ~/.ssh/id_ed25519 ~/.netrc; ls ~/.aws; "
                              "cat %s/app-server.token" % airlock_env.home]})
        res = r["result"]
        assert res["exitCode"] != 0
        assert SECRET not in res["stdout"] + res["stderr"]
        token = (airlock_env.home / "app-server.token").read_text().strip()
        assert token not in res["stdout"] + res["stderr"]


# --- the password database's home ------------------------------------------------
# ssh reads ~/.ssh from the password database's home, whatever $HOME says:
# a command started with HOME pointing at a decoy (or unset, or relative)
# must still find the real home's credentials hidden. The test gives uid 0
# of a user namespace of its own a home it controls, by bind-mounting its
# own /etc/passwd and /etc/nsswitch.conf there, and runs airlock inside.
# `passwd: files` is the file airlock reads itself; with an action after
# `files` it asks NSS (getpwuid_r) instead: the answer must not differ.

SH_FAKE_PASSWD = ('mount --bind "$1" /etc/passwd && '
                  'mount --bind "$2" /etc/nsswitch.conf && shift 2 && '
                  'exec "$@"')


def fake_passwd_run(airlock_env, tmp_path, nsswitch, env, *args):
    if subprocess.run(["unshare", "-Urm", "true"],
                      capture_output=True).returncode != 0:
        pytest.skip("needs user namespaces: unshare -Urm fails here")
    pwhome = tmp_path / "pwhome"
    (pwhome / ".ssh").mkdir(parents=True, exist_ok=True)
    (pwhome / ".ssh" / "id_ed25519").write_text(SECRET + " ssh key\n")
    (pwhome / ".netrc").write_text("machine x password " + SECRET)
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:%s:/bin/sh\n"
                      "nobody:x:65534:65534::/nonexistent:/bin/false\n"
                      % pwhome)
    ns = tmp_path / "nsswitch.conf"
    ns.write_text(nsswitch)
    e = {k: v for k, v in airlock_env.env.items() if k != "HOME"}
    e.update(env)
    from conftest import AIRLOCK
    p = subprocess.run(["unshare", "-Urm", "sh", "-c", SH_FAKE_PASSWD, "sh",
                        str(passwd), str(ns), str(AIRLOCK), "run", *args],
                       cwd=str(airlock_env.cwd), env=e, capture_output=True,
                       text=True, timeout=60)
    return pwhome, p


@pytest.mark.parametrize("nsswitch", ["passwd: files\n",
                                      "passwd: files [SUCCESS=return]\n"])
@pytest.mark.parametrize("home_env", ["decoy", "unset", "relative"])
def test_escape_hidden_passwd_home_credentials_whatever_home_says(
        airlock_env, tmp_path, nsswitch, home_env):
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    env = {"decoy": {"HOME": str(decoy)}, "unset": {},
           "relative": {"HOME": "decoy"}}[home_env]
    pwhome = tmp_path / "pwhome"
    body = (TRIES + "read(%r)\nread(%r)\n"
            % (str(pwhome / ".ssh" / "id_ed25519"), str(pwhome / ".netrc")))
    _, p = fake_passwd_run(airlock_env, tmp_path, nsswitch, env, "--",
                           *py(body))
    assert p.returncode == 0, p.stderr
    assert SECRET not in p.stdout + p.stderr
    # A hidden directory cannot be opened; a hidden file reads empty.
    assert p.stdout.split("\n")[:2] == ["ERR EACCES", "OK ''"], p.stdout


@pytest.mark.parametrize("nsswitch", ["passwd: files\n",
                                      "passwd: files [SUCCESS=return]\n"])
def test_escape_hidden_passwd_home_is_no_workspace_whatever_home_says(
        airlock_env, tmp_path, nsswitch):
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    pwhome, p = fake_passwd_run(airlock_env, tmp_path, nsswitch,
                                {"HOME": str(decoy)}, "-C",
                                str(tmp_path / "pwhome"), "--", "true")
    assert p.returncode == 2, p.stderr
    assert "refusing %s as the workspace: it is the home directory" % pwhome \
        in p.stderr, p.stderr


# --- ordinary work goes on ------------------------------------------------------

def test_hidden_paths_leave_git_pip_and_a_project_npmrc_alone(airlock_env,
                                                             home):
    ws = airlock_env.cwd
    (ws / ".npmrc").write_text("registry=http://project.example/\n")
    (home / ".npmrc").write_text("registry=http://home.example/\n"
                                 "//home.example/:_authToken=%s\n" % SECRET)
    (home / ".gitconfig").write_text("[user]\n\tname = Tester\n")
    pipconf = home / ".config" / "pip" / "pip.conf"
    pipconf.parent.mkdir(parents=True)
    pipconf.write_text("[global]\nindex-url = http://pip.example/simple\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["HOME"] = str(home)
    for args in (["init", "-q", "-b", "main", "repo"],
                 ["-C", "repo", "remote", "add", "origin",
                  "https://git.example/r.git"],
                 ["-C", "repo", "config", "credential.helper", "store"]):
        subprocess.run([GIT, *args], cwd=str(ws), env=env, check=True,
                       capture_output=True)
    p = run_sh(airlock_env,
               "set -e; git -C repo remote get-url origin; "
               "git -C repo config user.name; "
               "npm config get registry; "
               "%s -m pip config list" % PY)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "https://git.example/r.git"
    assert lines[1] == "Tester"
    assert lines[2] == "http://project.example/"
    assert "global.index-url='http://pip.example/simple'" in p.stdout
    assert SECRET not in p.stdout + p.stderr
