"""`airlock run`: file-system escapes. Each test performs an attack by which
a sandboxed command would make the next run, or the user's own tools, run
its code, and checks that it fails; a few check that real tools still work
after the defences. They run as root and as an unprivileged user alike
(CI re-runs them as nobody); none needs the network."""
import errno
import fcntl
import os
import pty
import select
import shutil
import stat
import subprocess
import termios
import time
import uuid

import pytest

from conftest import AIRLOCK
from runutil import ATTEMPT, PY, py

GIT = shutil.which("git") or "/usr/bin/git"
# The user's own git, as it would run after the sandboxed command: no
# system or global config of the machine running the tests.
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_ALLOW_PROTOCOL": "file"}


def git(cwd, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV)
    return subprocess.run([GIT, *args], cwd=str(cwd), env=env, text=True,
                          capture_output=True, timeout=30, check=check)


def init_repo(path):
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "init")


def attempt(airlock_env, body, *flags, env=None, cwd=None):
    """Runs ATTEMPT + body in the sandbox; its `ERR <errno>` / `OK`."""
    p = airlock_env.run("run", *flags, "--", *py(ATTEMPT + body), env=env,
                        cwd=cwd)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def no_tmpdir(airlock_env):
    """The environment without TMPDIR, so that the writable roots are the
    working directory and /tmp only, whatever the machine sets."""
    airlock_env.env.pop("TMPDIR", None)


def effective_mode(airlock_env, cwd=None):
    p = airlock_env.run("run", "--allow-broad-workspace", "--print-plan",
                        "--", "true", cwd=cwd)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()[0]


# --- 1. AIRLOCK_HOME and the system directory ------------------------------

DANGER = 'sandbox_mode = "danger-full-access"\n'


def write_config_body(path):
    return ("def f():\n"
            "    os.makedirs(os.path.dirname(%r), exist_ok=True)\n"
            "    open(%r, 'w').write(%r)\n"
            "attempt(f)" % (path, path, DANGER))


def test_escape_fs_airlock_home_under_a_writable_root_is_read_only(airlock_env):
    # The fixture's AIRLOCK_HOME lies under /tmp, a writable root.
    no_tmpdir(airlock_env)
    cfg = str(airlock_env.home / "config.toml")
    out = attempt(airlock_env, write_config_body(cfg))
    # Read-only, and hidden besides (test_escape_hidden.py): the command
    # cannot even look inside.
    assert out in ("ERR EROFS", "ERR EACCES")
    assert not os.path.exists(cfg)
    assert effective_mode(airlock_env) == "sandbox: workspace-write"


def test_escape_fs_missing_airlock_home_in_the_workspace_is_made_first(
        airlock_env):
    # Run from $HOME before ~/.airlock exists: the workspace holds it.
    no_tmpdir(airlock_env)
    del airlock_env.env["AIRLOCK_HOME"]
    airlock_env.env["HOME"] = str(airlock_env.cwd)
    home = airlock_env.cwd / ".airlock"
    # $HOME as the workspace needs the flag that says the user meant it.
    out = attempt(airlock_env, write_config_body(str(home / "config.toml")),
                  "--allow-broad-workspace")
    assert out in ("ERR EROFS", "ERR EACCES")
    assert home.is_dir()
    assert not (home / "config.toml").exists()
    assert effective_mode(airlock_env) == "sandbox: workspace-write"


def test_escape_fs_system_dir_under_a_writable_root_is_read_only(airlock_env):
    no_tmpdir(airlock_env)
    managed = str(airlock_env.system / "managed_config.toml")
    out = attempt(airlock_env, write_config_body(managed))
    assert out == "ERR EROFS"
    assert not os.path.exists(managed)


def test_escape_fs_missing_system_dir_cannot_be_created(airlock_env):
    no_tmpdir(airlock_env)
    system = airlock_env.root / "nosys" / "etc"
    airlock_env.env["AIRLOCK_SYSTEM_DIR"] = str(system)
    out = attempt(airlock_env,
                  write_config_body(str(system / "managed_config.toml")))
    assert out in ("ERR EROFS", "ERR EACCES")
    assert not (airlock_env.root / "nosys").exists()
    assert effective_mode(airlock_env) == "sandbox: workspace-write"


def test_escape_fs_ca_key_is_not_readable_inside(airlock_env):
    # limited mode with network: airlock makes its CA before the sandbox.
    key = airlock_env.home / "proxy" / "ca.key"
    body = ("import os\n"
            "k = open(%r, 'rb').read() if os.path.exists(%r) else b''\n"
            "b = open(os.environ['SSL_CERT_FILE']).read()\n"
            "print('KEY' if b'PRIVATE' in k else 'nokey',\n"
            "      'bundle' if 'BEGIN CERTIFICATE' in b else 'nobundle')\n"
            % (str(key), str(key)))
    p = airlock_env.run("run", "--network", "--", *py(body))
    assert p.returncode == 0, p.stderr
    assert key.exists() and b"PRIVATE" in key.read_bytes()
    assert p.stdout.split() == ["nokey", "bundle"]


# --- 2. renaming the workspace away ------------------------------------------

@pytest.mark.parametrize("which", ["workspace", "parent"])
def test_escape_fs_workspace_cannot_be_swapped_by_rename(airlock_env, which):
    no_tmpdir(airlock_env)
    ws = airlock_env.root / "proj" / "ws"
    init_repo(ws)
    victim = ws if which == "workspace" else ws.parent
    body = ("def f():\n"
            "    os.rename(%r, %r)\n"
            "    os.makedirs(%r)\n"
            "    open(%r, 'w').write('[core]\\n\\tfsmonitor = touch pwned\\n')\n"
            "attempt(f)" % (str(victim), str(victim) + ".old",
                            str(ws / ".git"), str(ws / ".git" / "config")))
    out = attempt(airlock_env, body, cwd=ws)
    assert out == "ERR EBUSY"
    assert (ws / "README").exists()
    assert "fsmonitor" not in (ws / ".git" / "config").read_text()


def test_escape_fs_trusted_project_config_cannot_be_swapped(airlock_env):
    no_tmpdir(airlock_env)
    proj = airlock_env.root / "trusted"
    (proj / ".airlock").mkdir(parents=True)
    (proj / ".airlock" / "config.toml").write_text('sandbox_mode = "read-only"\n')
    airlock_env.write("home/config.toml",
                      '[projects."%s"]\ntrust_level = "trusted"\n' % proj)
    body = ("def f():\n"
            "    os.rename(%r, %r)\n"
            "    os.makedirs(%r)\n"
            "    open(%r, 'w').write(%r)\n"
            "attempt(f)" % (str(proj), str(proj) + ".old",
                            str(proj / ".airlock"),
                            str(proj / ".airlock" / "config.toml"), DANGER))
    out = attempt(airlock_env, body, "-s", "workspace-write", cwd=proj)
    assert out in ("ERR EBUSY", "ERR EROFS")
    assert effective_mode(airlock_env, cwd=proj) == "sandbox: read-only"


# --- 3. repositories other than the top one ------------------------------------

def fsmonitor_config(marker):
    return "[core]\n\tfsmonitor = \"touch %s; false\"\n" % marker


def test_escape_fs_submodule_gitfile_cannot_be_repointed(airlock_env):
    no_tmpdir(airlock_env)
    lib = airlock_env.root / "lib"
    init_repo(lib)
    ws = airlock_env.cwd
    init_repo(ws)
    git(ws, "-c", "protocol.file.allow=always", "submodule", "add", "-q",
        str(lib), "sub")
    git(ws, "commit", "-q", "-m", "sub")
    gitfile = ws / "sub" / ".git"
    before = gitfile.read_text()
    marker = airlock_env.root / "pwned"
    evil = airlock_env.root / "evil.git"
    # The attacker's gitdir, made inside the sandbox in /tmp.
    body = ("import subprocess\n"
            "subprocess.run(['git', 'init', '-q', '--bare', %r], check=True)\n"
            "open(%r, 'a').write(%r)\n"
            "attempt(lambda: open(%r, 'w').write('gitdir: %s\\n'))\n"
            % (str(evil), str(evil / "config"), fsmonitor_config(marker),
               str(gitfile), str(evil)))
    out = attempt(airlock_env, body)
    assert out == "ERR EROFS"
    assert gitfile.read_text() == before
    git(ws, "status", "--porcelain")
    assert not marker.exists()


def test_escape_fs_submodule_not_checked_out_cannot_be_planted(airlock_env):
    # A fresh clone: the submodule's directory is empty, its `.git` is
    # missing; one planted there is used by the user's `git status`.
    no_tmpdir(airlock_env)
    lib = airlock_env.root / "lib"
    init_repo(lib)
    sup = airlock_env.root / "super"
    init_repo(sup)
    git(sup, "-c", "protocol.file.allow=always", "submodule", "add", "-q",
        str(lib), "sub")
    git(sup, "commit", "-q", "-m", "sub")
    ws = airlock_env.root / "clone"
    git(airlock_env.root, "clone", "-q", str(sup), str(ws))
    assert (ws / "sub").is_dir() and not (ws / "sub" / ".git").exists()
    marker = airlock_env.root / "pwned"
    evil = airlock_env.root / "evil"
    body = ("import subprocess\n"
            "subprocess.run(['git', 'init', '-q', %r], check=True)\n"
            "open(%r, 'a').write(%r)\n"
            "attempt(lambda: open('sub/.git', 'w').write('gitdir: %s\\n'))\n"
            % (str(evil), str(evil / ".git" / "config"),
               fsmonitor_config(marker), str(evil / ".git")))
    out = attempt(airlock_env, body, cwd=ws)
    assert out in ("ERR EISDIR", "ERR EROFS")
    assert not (ws / "sub" / ".git").exists()
    git(ws, "status", "--porcelain")
    assert not marker.exists()


def test_escape_fs_nested_repository_hooks_are_read_only(airlock_env):
    no_tmpdir(airlock_env)
    nested = airlock_env.cwd / "vendor" / "tool"
    init_repo(nested)
    hook = nested / ".git" / "hooks" / "post-checkout"
    out = attempt(airlock_env, "attempt(lambda: open(%r, 'w').write("
                  "'#!/bin/sh\\ntouch pwned\\n'))" % str(hook))
    assert out == "ERR EROFS"
    assert not hook.exists()
    p = airlock_env.run("run", "--print-plan", "--", "true")
    assert "bind %s/.git read-only" % nested.resolve() in p.stdout
    assert "the walk was complete" in p.stdout


def test_escape_fs_git_init_in_the_workspace_root_fails(airlock_env):
    no_tmpdir(airlock_env)
    marker = airlock_env.root / "pwned"
    body = ("import subprocess\n"
            "r = subprocess.run(['git', 'init', '-q'], capture_output=True)\n"
            "def f():\n"
            "    open('.git/config', 'a').write(%r)\n"
            "attempt(f)" % fsmonitor_config(marker))
    out = attempt(airlock_env, body)
    assert out in ("ERR EROFS", "ERR EACCES", "ERR ENOENT")
    # The placeholder is gone after the run; no repository was planted.
    assert not (airlock_env.cwd / ".git").exists()
    git(airlock_env.cwd, "status", check=False)
    assert not marker.exists()


def test_escape_fs_placeholder_outlives_a_shorter_run_beside_it(airlock_env):
    # Two runs in one workspace (as the app-server runs them): the one that
    # ends first must not remove the placeholder the other still relies on.
    no_tmpdir(airlock_env)
    go = airlock_env.root / "go"
    body = ("import os, time\n"
            "for _ in range(600):\n"
            "    if os.path.exists(%r): break\n"
            "    time.sleep(0.05)\n"
            "attempt(lambda: os.makedirs('.git/hooks'))\n" % str(go))
    long_run = subprocess.Popen(
        [str(AIRLOCK), "run", "--", *py(ATTEMPT + body)],
        cwd=str(airlock_env.cwd), env=airlock_env.env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            if (airlock_env.cwd / ".git").exists():
                break
            time.sleep(0.05)
        assert (airlock_env.cwd / ".git").is_dir()
        short = airlock_env.run("run", "--", "true")
        assert short.returncode == 0, short.stderr
        assert (airlock_env.cwd / ".git").is_dir()
        go.write_text("")
        out, err = long_run.communicate(timeout=60)
        assert long_run.returncode == 0, err
        assert out.strip() in ("ERR EROFS", "ERR EACCES")
    finally:
        long_run.kill()
        long_run.wait()
    assert not (airlock_env.cwd / ".git").exists()


# A process the command leaves behind, woken (inotify) the moment a name
# leaves the workspace, that then tries to make the workspace's .git, a
# placeholder's path, and to plant a file in it; the command exits 3 once
# that process is waiting.
LEFT_BEHIND = r"""
import ctypes, os, sys, time
IN_MOVED_FROM, IN_DELETE = 0x40, 0x200
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
assert libc.inotify_add_watch(fd, b".", IN_MOVED_FROM | IN_DELETE) >= 0
if os.fork() == 0:
    open("waiting", "w").close()
    for _ in range(100):
        os.read(fd, 4096)
        for _ in range(1000):
            try:
                os.mkdir(".git")
                open(".git/planted", "w").close()
                os._exit(0)
            except OSError:
                pass
    os._exit(0)
for _ in range(3000):
    if os.path.exists("waiting"):
        break
    time.sleep(0.01)
sys.exit(3)
"""


@pytest.mark.parametrize("flags", [(), ("--network",)], ids=["off", "granted"])
def test_escape_fs_process_left_behind_cannot_take_a_placeholders_path(
        airlock_env, flags):
    # airlock removes the placeholders while the sandbox's namespaces are
    # still being torn down at the run's end. Were anything of the sandbox
    # still running then, a process left behind by the command would make
    # .git in the workspace the moment its placeholder left (it did in
    # about one run of two when only pid 1's exit killed it). Five runs.
    no_tmpdir(airlock_env)
    ws = airlock_env.cwd
    for _ in range(5):
        p = airlock_env.run("run", *flags, "--", *py(LEFT_BEHIND))
        assert p.returncode == 3, p.stderr
        assert (ws / "waiting").exists()
        assert not (ws / ".git").exists()
        assert not (ws / ".airlock").exists()
        (ws / "waiting").unlink()


def test_escape_fs_placeholder_left_by_a_killed_run_is_removed(airlock_env):
    no_tmpdir(airlock_env)
    run = subprocess.Popen([str(AIRLOCK), "run", "--", "sleep", "60"],
                           cwd=str(airlock_env.cwd), env=airlock_env.env)
    try:
        for _ in range(600):
            if (airlock_env.cwd / ".git").exists():
                break
            time.sleep(0.05)
        run.kill()
        run.wait(timeout=30)
    finally:
        run.kill()
        run.wait()
    assert (airlock_env.cwd / ".git").is_dir()
    p = airlock_env.run("run", "--", "true")
    assert p.returncode == 0, p.stderr
    assert not (airlock_env.cwd / ".git").exists()
    assert not (airlock_env.cwd / ".airlock").exists()


def _root_for_the_stash():
    if os.geteuid() != 0:
        pytest.skip("needs root: only a parent that may ignore modes keeps "
                    "placeholders in the stash")


def _stash_inodes(airlock_env):
    stash = airlock_env.home / "placeholders"
    return {e.name: e.lstat() for e in stash.iterdir()} if stash.exists() else {}


def test_escape_fs_placeholders_are_kept_for_the_next_run(airlock_env):
    # A finished run moves its (empty) placeholders to AIRLOCK_HOME's
    # stash instead of removing them, and the next run takes them from
    # there: they still leave the workspace, and protect it all the same.
    _root_for_the_stash()
    no_tmpdir(airlock_env)
    ws = airlock_env.cwd
    p = airlock_env.run("run", "--", "true")
    assert p.returncode == 0, p.stderr
    assert not (ws / ".git").exists() and not (ws / ".airlock").exists()
    kept = _stash_inodes(airlock_env)
    assert len(kept) == 2, kept
    for name, st in kept.items():
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o1555
        assert not any((airlock_env.home / "placeholders" / name).iterdir())
    body = ("print(os.lstat('.git').st_ino, os.lstat('.airlock').st_ino)\n"
            "attempt(lambda: os.mkdir('.git/hooks'))\n")
    out = attempt(airlock_env, body).split("\n")
    assert {int(i) for i in out[0].split()} == {st.st_ino for st in kept.values()}
    assert out[1:] == ["ERR EROFS"], out
    assert attempt(airlock_env, "attempt(lambda: os.mkdir('.airlock/x'))") \
        == "ERR EROFS"
    assert not (ws / ".git").exists() and not (ws / ".airlock").exists()
    assert {st.st_ino for st in _stash_inodes(airlock_env).values()} == {
        st.st_ino for st in kept.values()}


def test_escape_fs_stash_holds_only_placeholders_a_run_takes(airlock_env):
    # What else the stash holds is never moved into a workspace: a file, a
    # symbolic link to a placeholder-like directory elsewhere (it would be
    # followed out of the stash), a directory of another mode.
    _root_for_the_stash()
    no_tmpdir(airlock_env)
    stash = airlock_env.home / "placeholders"
    stash.mkdir(mode=0o700)
    (stash / "0").write_text("not a directory\n")
    elsewhere = airlock_env.root / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o1555)
    (stash / "1").symlink_to(elsewhere)
    (stash / "2").mkdir(mode=0o755)
    before = {name: st.st_ino for name, st in _stash_inodes(airlock_env).items()}
    out = attempt(airlock_env, "print(os.lstat('.git').st_ino)\n"
                  "attempt(lambda: os.mkdir('.git/hooks'))\n").split("\n")
    assert int(out[0]) not in set(before.values()) | {elsewhere.stat().st_ino}
    assert out[1] == "ERR EROFS", out
    after = _stash_inodes(airlock_env)
    assert all(after[name].st_ino == ino for name, ino in before.items())
    assert elsewhere.is_dir() and stash.joinpath("1").is_symlink()
    assert not (airlock_env.cwd / ".git").exists()


def test_escape_fs_placeholder_with_something_in_it_is_not_stashed(airlock_env):
    # Whatever was put into a placeholder from outside during the run stays
    # where it was: the placeholder is neither removed nor moved away.
    _root_for_the_stash()
    no_tmpdir(airlock_env)
    ws = airlock_env.cwd
    go = airlock_env.root / "go"
    body = ("import os, time\n"
            "for _ in range(600):\n"
            "    if os.path.exists(%r): break\n"
            "    time.sleep(0.05)\n" % str(go))
    run = subprocess.Popen([str(AIRLOCK), "run", "--", *py(body)],
                           cwd=str(ws), env=airlock_env.env)
    try:
        for _ in range(600):
            if (ws / ".git").exists():
                break
            time.sleep(0.05)
        (ws / ".git" / "notes").write_text("mine\n")
        go.write_text("")
        assert run.wait(timeout=60) == 0
    finally:
        run.kill()
        run.wait()
    assert (ws / ".git" / "notes").read_text() == "mine\n"
    assert not (ws / ".airlock").exists()
    for name in _stash_inodes(airlock_env):
        assert not any((airlock_env.home / "placeholders" / name).iterdir())


# --- 4. metadata outside the writable roots --------------------------------------

@pytest.mark.parametrize("what", ["chmod", "utime", "xattr", "setuid"])
def test_escape_fs_metadata_outside_writable_roots_is_read_only(airlock_env,
                                                                 what):
    no_tmpdir(airlock_env)
    outside = airlock_env.root / "outside"
    outside.mkdir()
    target = outside / "file"
    target.write_text("x")
    target.chmod(0o644)
    before = os.stat(target)
    call = {"chmod": "os.chmod(%r, 0o777)",
            "utime": "os.utime(%r, (1, 1))",
            "xattr": "os.setxattr(%r, 'user.airlock', b'1')",
            "setuid": "os.chmod(%r, 0o4755)"}[what] % str(target)
    # /tmp is not writable here, so the file is outside every root.
    out = attempt(airlock_env, "attempt(lambda: %s)" % call,
                  "-c", "sandbox_workspace_write.exclude_slash_tmp=true")
    # The read-only mount tree refuses metadata changes; seccomp refuses
    # xattr writes and setuid modes everywhere, before the mount is asked.
    assert out == {"xattr": "ERR ENOTSUP", "setuid": "ERR EPERM"}.get(
        what, "ERR EROFS")
    after = os.stat(target)
    assert (after.st_mode, after.st_mtime) == (before.st_mode, before.st_mtime)


def test_escape_fs_metadata_in_read_only_mode_is_refused(airlock_env):
    target = airlock_env.cwd / "file"
    target.write_text("x")
    out = attempt(airlock_env, "attempt(lambda: os.chmod(%r, 0o777))"
                  % str(target), "-s", "read-only")
    assert out == "ERR EROFS"


def test_escape_fs_writable_roots_are_nosuid_nodev(airlock_env):
    out = attempt(airlock_env, "import os\nf = os.statvfs('.').f_flag\n"
                  "print('nosuid' if f & os.ST_NOSUID else 'suid',"
                  " 'nodev' if f & os.ST_NODEV else 'dev')\nsys.exit(0)")
    assert out == "nosuid nodev"


# --- 5. other terminals and shared memory --------------------------------------

def test_escape_fs_other_terminal_cannot_be_opened(airlock_env):
    master, slave = pty.openpty()
    try:
        name = os.ttyname(slave)
        out = attempt(airlock_env, "attempt(lambda: os.open(%r, os.O_RDWR))"
                      % name)
        assert out.startswith("ERR"), out
    finally:
        os.close(master)
        os.close(slave)


def test_escape_fs_host_shared_memory_is_not_reachable(airlock_env):
    name = "/dev/shm/airlock-test-%s" % uuid.uuid4().hex
    with open(name, "w") as f:
        f.write("host")
    try:
        out = attempt(airlock_env, "attempt(lambda: open(%r, 'r+').write("
                      "'sandbox'))" % name)
        assert out == "ERR ENOENT"
        with open(name) as f:
            assert f.read() == "host"
    finally:
        os.unlink(name)


def test_escape_fs_private_shared_memory_works_inside(airlock_env):
    # POSIX semaphores live in /dev/shm: multiprocessing needs them.
    p = airlock_env.run("run", "-s", "read-only", "--", *py(
        "import multiprocessing as m\nl = m.Lock()\nl.acquire()\n"
        "print(len(__import__('os').listdir('/dev/shm')) >= 0)"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "True"


def test_escape_fs_ptys_still_work_inside(airlock_env):
    p = airlock_env.run("run", "--", "sh", "-c",
                        PY + " -c 'import pty; pty.openpty()' && "
                        "script -qc true /dev/null && echo ok")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().endswith("ok")


def _controlling_terminal():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_escape_fs_own_terminal_still_works(airlock_env):
    # airlock runs on a terminal of the host (its controlling terminal);
    # the command keeps it through its open descriptors and /dev/tty.
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(AIRLOCK), "run", "--", "sh", "-c",
         "test -t 0 && stty size > /dev/null && echo via-tty > /dev/tty "
         "&& echo via-fd"],
        cwd=str(airlock_env.cwd), env=airlock_env.env, stdin=slave,
        stdout=slave, stderr=slave, preexec_fn=_controlling_terminal)
    os.close(slave)
    data = b""
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and b"via-fd" not in data:
            r, _, _ = select.select([master], [], [], 1)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError as e:
                    if e.errno == errno.EIO:
                        break
                    raise
                if not chunk:
                    break
                data += chunk
        assert proc.wait(timeout=30) == 0, data
        assert b"via-tty" in data and b"via-fd" in data, data
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


# --- real tools still work --------------------------------------------------------

def test_escape_fs_tools_still_work_inside(airlock_env):
    init_repo(airlock_env.cwd)
    (airlock_env.cwd / "test_x.py").write_text("def test_x():\n    pass\n")
    script = "; ".join([
        "set -e",
        "git status --porcelain > /dev/null",
        PY + " -m pytest -q -p no:cacheprovider test_x.py > /dev/null",
        "test -d __pycache__",
        "f=$(mktemp); echo hi > $f; rm $f",
        "echo hi > /tmp/airlock-fs-$$; rm /tmp/airlock-fs-$$",
        "d=$(mktemp -d -p \"$TMPDIR\"); rmdir $d",
        "mkdir -p sub; cd sub; git init -q",
        "git -c user.name=t -c user.email=t@x commit -q --allow-empty -m x",
        "cd ..; cat /etc/hostname > /dev/null; ls / > /dev/null; echo ok"])
    tmpdir = airlock_env.root / "tmpdir"
    tmpdir.mkdir()
    airlock_env.env.pop("PYTHONDONTWRITEBYTECODE", None)
    p = airlock_env.run("run", "--", "sh", "-c", script,
                        env={"TMPDIR": str(tmpdir)})
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "ok"
    assert p.stderr == ""
    assert not (airlock_env.cwd / ".airlock").exists()


def test_escape_fs_npm_install_writes_node_modules(airlock_env):
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("needs npm")
    pkg = airlock_env.root / "pkg"
    pkg.mkdir()
    (pkg / "package.json").write_text('{"name":"tinypkg","version":"1.0.0"}')
    (pkg / "index.js").write_text("module.exports = 42\n")
    subprocess.run([npm, "pack", "-q"], cwd=str(pkg), check=True,
                   capture_output=True, timeout=60)
    (airlock_env.cwd / "package.json").write_text(
        '{"name":"app","version":"1.0.0"}')
    # npm's cache must be writable: ~/.npm is outside the writable roots.
    p = airlock_env.run(
        "run", "--", "sh", "-c",
        "npm install --offline --no-audit --no-fund %s > /dev/null && "
        "node -e 'console.log(require(\"tinypkg\"))'"
        % (pkg / "tinypkg-1.0.0.tgz"),
        env={"npm_config_cache": str(airlock_env.root / "npm-cache")},
        timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "42"
    assert (airlock_env.cwd / "node_modules" / "tinypkg").is_dir()
