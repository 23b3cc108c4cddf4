"""Escapes through the process rather than the network: setuid and setgid
files, extended attributes, openat2, socket protocols Landlock does not
see (MPTCP), signals to the caller's process group, and descriptors
inherited from airlock or the app-server.

Each test performs the attack and checks that it fails. They run as root
and as an unprivileged user; the few that need one or the other say so.
No test signals pytest itself: signal attacks aim at a sentinel process
the test starts for the purpose."""
import base64
import contextlib
import os
import re
import stat
import subprocess
import sys

import pytest

from appserverutil import call, connect, initialize, recv, send
from conftest import AIRLOCK, BUILD
from runutil import ATTEMPT, py

GRANT = ("--network", "--allow", "127.0.0.1:1")
FAKELANDLOCK = BUILD / "tests" / "fakelandlock.so"
SETID = stat.S_ISUID | stat.S_ISGID


def attempt(airlock_env, body, *flags, **kw):
    p = airlock_env.run("run", *flags, "--", *py(ATTEMPT + body), **kw)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def syscall_attempt(nr, *args):
    """Python source: print "OK" or "ERR <errno>" for one raw system call."""
    return ("libc = ctypes.CDLL(None, use_errno=True)\n"
            "r = libc.syscall(%d, %s)\n"
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r < 0 else 'OK')\n"
            % (nr, ", ".join(args)))


def need_root(why):
    if os.geteuid() != 0:
        pytest.skip("needs root: " + why)


def old_landlock_env():
    """Env making airlock see Landlock ABI 5 (no signal scope): the
    kernel then enforces exactly what airlock would build on such a
    kernel (tests/integration/fakelandlock.c)."""
    if not FAKELANDLOCK.exists():
        pytest.fail(f"{FAKELANDLOCK} is not built; run make integration")
    return {"LD_PRELOAD": str(FAKELANDLOCK), "FAKE_LANDLOCK_ABI": "5",
            "ASAN_OPTIONS": "verify_asan_link_order=0"}


# --- setuid and setgid files ---------------------------------------------------

CHMODS = {
    "chmod": "attempt(lambda: os.chmod('f', 0o%o))",
    "fchmod": "fd = os.open('f', os.O_RDONLY)\nattempt(lambda: os.fchmod(fd, 0o%o))",
    "fchmodat": "d = os.open('.', os.O_RDONLY)\n"
                "attempt(lambda: os.chmod('f', 0o%o, dir_fd=d))",
    # fchmodat2 (452) is newer than some libseccomp releases.
    "fchmodat2": syscall_attempt(452, "-100", "b'f'", "0o%o", "0"),
}


@pytest.mark.parametrize("how", sorted(CHMODS))
@pytest.mark.parametrize("mode", [0o4755, 0o2755], ids=["setuid", "setgid"])
def test_escape_chmod_setuid_on_own_file_is_refused(airlock_env, how, mode):
    # A setuid file of the agent's user in /tmp or the workspace lets any
    # local user run code as that user (as root: become root).
    target = airlock_env.cwd / "f"
    target.write_text("#!/bin/sh\n")
    out = attempt(airlock_env, CHMODS[how] % mode)
    assert out == "ERR EPERM"
    assert target.stat().st_mode & SETID == 0


def test_escape_plain_chmod_still_works(airlock_env):
    (airlock_env.cwd / "f").write_text("x")
    assert attempt(airlock_env, CHMODS["chmod"] % 0o750) == "OK"
    assert stat.S_IMODE((airlock_env.cwd / "f").stat().st_mode) == 0o750


CREATES = {
    "open": "attempt(lambda: os.open('new', os.O_CREAT | os.O_WRONLY, 0o%o))",
    "open-excl": "attempt(lambda: os.open('new', os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o%o))",
    "creat": syscall_attempt(85, "b'new'", "0o%o"),
    "tmpfile": "attempt(lambda: os.open('.', os.O_TMPFILE | os.O_WRONLY, 0o%o))",
    "mknod": "attempt(lambda: os.mknod('new', stat.S_IFREG | 0o%o))",
    "mkdir": "attempt(lambda: os.mkdir('new', 0o%o))",
}


@pytest.mark.parametrize("how", sorted(CREATES))
@pytest.mark.parametrize("mode", [0o4755, 0o2755], ids=["setuid", "setgid"])
def test_escape_create_setuid_file_is_refused(airlock_env, how, mode):
    out = attempt(airlock_env, "import stat\n" + CREATES[how] % mode)
    assert out == "ERR EPERM"
    new = airlock_env.cwd / "new"
    assert not new.exists() or new.stat().st_mode & SETID == 0


def test_escape_openat2_cannot_create_setuid_file(airlock_env):
    # openat2 passes its mode in memory where the filter cannot look: it
    # is made to look absent, and libc falls back to openat.
    body = ("how = (ctypes.c_uint64 * 3)(os.O_CREAT | os.O_WRONLY, 0o4755, 0)\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "r = libc.syscall(437, -100, b'new', how, 24)\n"
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r < 0 else 'OK')\n")
    assert attempt(airlock_env, body) == "ERR ENOSYS"
    assert not (airlock_env.cwd / "new").exists()


def test_escape_setuid_root_shell_in_tmp_is_refused(airlock_env, tmp_path):
    need_root("a setuid-root file only comes from a command running as root")
    # The classic: copy a shell to a shared writable place, make it
    # setuid root, and every local user has root.
    drop = tmp_path / "drop"
    drop.mkdir()
    p = airlock_env.run("run", "-c",
                        'sandbox_workspace_write.writable_roots=["%s"]' % drop,
                        "--", "sh", "-c",
                        "cp /bin/sh %s/rootsh && chmod 4755 %s/rootsh; "
                        "install -m 4755 /bin/sh %s/rootsh2" % (drop, drop, drop))
    assert p.returncode != 0
    assert "Operation not permitted" in p.stderr
    for f in drop.iterdir():
        assert f.stat().st_mode & SETID == 0, f


def test_escape_setuid_bit_on_a_root_binary_is_refused(airlock_env, tmp_path):
    need_root("only root owns the root-owned binary")
    binary = tmp_path / "outside" / "tool"
    binary.parent.mkdir()
    binary.write_bytes(open("/bin/true", "rb").read())
    binary.chmod(0o755)
    out = attempt(airlock_env, "attempt(lambda: os.chmod(%r, 0o4755))" % str(binary))
    # Refused by seccomp; a read-only mount of everything outside the
    # writable roots would refuse it too (EROFS).
    assert out in ("ERR EPERM", "ERR EROFS")
    assert binary.stat().st_mode & SETID == 0


def test_escape_chown_to_another_user_is_refused(airlock_env):
    # The other half of a setuid trick: give a file to someone else. The
    # command has no capabilities and its user namespace maps only its
    # own uid, so there is nobody else to give it to.
    f = airlock_env.cwd / "f"
    f.write_text("x")
    other = 0 if os.geteuid() != 0 else 65534
    out = attempt(airlock_env, "attempt(lambda: os.chown('f', %d, -1))" % other)
    assert out in ("ERR EPERM", "ERR EINVAL")
    assert f.stat().st_uid == os.geteuid()


# --- extended attributes -------------------------------------------------------

def _acl_granting(uid):
    """A system.posix_acl_access value giving uid rwx."""
    import struct
    entries = [(0x01, 6, 0xffffffff), (0x02, 7, uid), (0x04, 4, 0xffffffff),
               (0x10, 7, 0xffffffff), (0x20, 4, 0xffffffff)]
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)


XATTRS = {
    "user": ("user.agent", b"x"),
    "acl": ("system.posix_acl_access", _acl_granting(12345)),
    "capability": ("security.capability",
                   # VFS_CAP_REVISION_2, effective, CAP_SETUID permitted
                   bytes.fromhex("01000002" "80000000" "00000000" "00000000" "00000000")),
}


SETXATTRS = {
    "setxattr": "attempt(lambda: os.setxattr('f', %r, %r))",
    "lsetxattr": "attempt(lambda: os.setxattr('f', %r, %r, follow_symlinks=False))",
    "fsetxattr": "fd = os.open('f', os.O_RDONLY)\nattempt(lambda: os.setxattr(fd, %r, %r))",
}


@pytest.mark.parametrize("kind", sorted(XATTRS))
@pytest.mark.parametrize("call", sorted(SETXATTRS))
def test_escape_xattr_writes_are_refused(airlock_env, kind, call):
    # A file capability or an ACL entry is a setuid bit by another name;
    # the filter cannot read the name, so every xattr write is refused.
    name, value = XATTRS[kind]
    f = airlock_env.cwd / "f"
    f.write_text("x")
    assert attempt(airlock_env, SETXATTRS[call] % (name, value)) == "ERR ENOTSUP"
    assert name not in os.listxattr(f)


def test_escape_xattr_removal_is_refused(airlock_env):
    f = airlock_env.cwd / "f"
    f.write_text("x")
    try:
        os.setxattr(f, "user.keep", b"1")
    except OSError:
        pytest.skip("the test directory's file system has no user xattrs")
    out = attempt(airlock_env, "attempt(lambda: os.removexattr('f', 'user.keep'))")
    assert out == "ERR ENOTSUP"
    assert os.getxattr(f, "user.keep") == b"1"


def test_escape_setxattrat_and_removexattrat_are_refused(airlock_env):
    (airlock_env.cwd / "f").write_text("x")
    # struct xattr_args {u64 value; u32 size; u32 flags}
    body = ("val = ctypes.create_string_buffer(b'x')\n"
            "args = (ctypes.c_uint32 * 4)()\n"
            "ctypes.memmove(args, ctypes.byref(ctypes.c_uint64(ctypes.addressof(val))), 8)\n"
            "args[2] = 1\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "r = libc.syscall(463, -100, b'f', 0, b'user.x', args, 16)\n"
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r < 0 else 'OK')\n"
            "r = libc.syscall(466, -100, b'f', 0, b'user.x')\n"
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r < 0 else 'OK')\n")
    assert attempt(airlock_env, body).splitlines() == ["ERR ENOTSUP"] * 2


# --- socket protocols ----------------------------------------------------------

def test_escape_mptcp_listener_is_refused(airlock_env):
    # Only TCP and UDP pass: MPTCP subflows, SCTP and friends are
    # transports the sandbox has no use for, and each is kernel surface.
    body = ("def f():\n"
            "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)\n"
            "    s.bind(('127.0.0.1', 0))\n"
            "    s.listen()\n"
            "attempt(f)\n")
    assert attempt(airlock_env, body, *GRANT) == "ERR EPERM"


@pytest.mark.parametrize("family,type_,proto", [
    ("AF_INET6", "SOCK_STREAM", 262),    # MPTCP over IPv6
    ("AF_INET", "SOCK_DGRAM", 1),        # ICMP "ping" socket
    ("AF_INET6", "SOCK_DGRAM", 58),      # ICMPv6 "ping" socket
    ("AF_INET", "SOCK_STREAM", 132),     # SCTP
    ("AF_INET", "SOCK_DGRAM", 136),      # UDP-Lite
], ids=["mptcp6", "icmp", "icmp6", "sctp", "udplite"])
def test_escape_other_inet_protocols_are_refused(airlock_env, family, type_, proto):
    body = "attempt(lambda: socket.socket(socket.%s, socket.%s, %d))" % (
        family, type_, proto)
    assert attempt(airlock_env, body, *GRANT) == "ERR EPERM"


@pytest.mark.parametrize("proto", ["-1", "(1 << 32) | 6"], ids=["negative", "high-bits"])
def test_escape_odd_protocol_numbers_are_refused(airlock_env, proto):
    # Python's socket() turns -1 into 0, so the call is made raw.
    body = syscall_attempt(41, "2", "1", "ctypes.c_long(%s)" % proto)
    assert attempt(airlock_env, body, *GRANT) == "ERR EPERM"


def test_escape_tcp_and_udp_sockets_still_work(airlock_env):
    body = ("for fam in (socket.AF_INET, socket.AF_INET6):\n"
            "    for typ, proto in ((socket.SOCK_STREAM, 0), (socket.SOCK_STREAM, 6),\n"
            "                       (socket.SOCK_DGRAM, 0), (socket.SOCK_DGRAM, 17)):\n"
            "        socket.socket(fam, typ | socket.SOCK_CLOEXEC, proto).close()\n"
            "print('OK')\n")
    assert attempt(airlock_env, body, *GRANT) == "OK"


# --- signals -----------------------------------------------------------------

@contextlib.contextmanager
def sentinel_group():
    """A process leading a new process group; yields it. ping() tells
    whether it is alive: once a fatal signal is queued for it, it can
    never answer again, so the answer does not depend on timing."""
    s = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfor l in sys.stdin: print('alive', flush=True)"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        process_group=0)
    try:
        yield s
    finally:
        s.kill()
        s.wait()


def ping(s):
    try:
        s.stdin.write("ping\n")
        s.stdin.flush()
    except BrokenPipeError:
        return False
    return s.stdout.readline() == "alive\n"


KILL_ALL = ("import os, signal\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "os.kill(0, signal.SIGTERM)\n"
            "try:\n"
            "    os.kill(-1, signal.SIGKILL)\n"
            "except OSError:\n"
            "    pass\n"
            "print('sent', flush=True)\n")


@pytest.mark.parametrize("abi", ["kernel", "5"], ids=["kernel-landlock", "landlock-abi-5"])
def test_escape_kill_process_group_cannot_reach_the_caller(airlock_env, abi):
    # airlock shares its process group with a sentinel, as it would with
    # the rest of a shell pipeline; the command signals its whole process
    # group and every process it may. Landlock ABI 6 scopes signals; below
    # it, only the sandbox's own process group keeps kill(0) inside.
    env = dict(airlock_env.env)
    if abi != "kernel":
        env.update(old_landlock_env())
    with sentinel_group() as s:
        p = subprocess.run([str(AIRLOCK), "run", "--", *py(KILL_ALL)],
                           cwd=str(airlock_env.cwd), env=env, capture_output=True,
                           text=True, timeout=30, process_group=s.pid)
        assert p.stdout == "sent\n", p.stderr
        assert ping(s), "the sentinel in airlock's process group was killed"


@contextlib.contextmanager
def app_server_in(airlock_env, env, **popen):
    p = subprocess.Popen([str(AIRLOCK), "app-server", "--listen", "ws://127.0.0.1:0"],
                         cwd=str(airlock_env.cwd), env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         **popen)
    try:
        addr = None
        for _ in range(50):
            m = re.search(r"listening on: ws://(\S+)", p.stderr.readline())
            if m:
                addr = m.group(1)
                break
        assert addr is not None, "app-server did not start"
        yield p, addr
    finally:
        p.kill()
        p.wait()


def connect_to(airlock_env, addr):
    """A websocket to the server, with the token it generated when it
    authenticates by one."""
    token = airlock_env.home / "app-server.token"
    return connect(addr, token.read_text().strip() if token.exists() else None)


@pytest.mark.parametrize("abi", ["kernel", "5"], ids=["kernel-landlock", "landlock-abi-5"])
def test_escape_exec_kill_process_group_cannot_reach_the_app_server(airlock_env, abi):
    env = dict(airlock_env.env)
    if abi != "kernel":
        env.update(old_landlock_env())
    with sentinel_group() as s, \
            app_server_in(airlock_env, env, process_group=s.pid) as (server, addr):
        ws = connect_to(airlock_env, addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {"command": py(KILL_ALL)})
        assert r["result"]["stdout"] == "sent\n", r
        # Both still answer: the server a second request, the sentinel a ping.
        assert call(ws, 2, "command/exec", {"command": ["true"]})["result"]["exitCode"] == 0
        assert ping(s)
        assert server.poll() is None


def test_print_plan_says_how_signals_are_confined_without_landlock_scope(airlock_env):
    env = old_landlock_env()
    p = airlock_env.run("run", "--print-plan", "--", "true", env=env)
    assert "landlock (ABI 5)" in p.stdout
    assert "own process group" in p.stdout


# --- inherited descriptors -----------------------------------------------------

LIST_FDS = ("import os\n"
            "fds = []\n"
            "for fd in range(1024):\n"
            "    try:\n"
            "        os.fstat(fd)\n"
            "        fds.append(fd)\n"
            "    except OSError:\n"
            "        pass\n"
            "print(*fds, flush=True)\n")


def test_escape_run_does_not_pass_on_inherited_descriptors(airlock_env, tmp_path):
    # A descriptor the caller leaked (here: a file outside every writable
    # root, open for writing) must not become a way out of the sandbox.
    outside = tmp_path / "outside.txt"
    with open(outside, "w") as f:
        os.set_inheritable(f.fileno(), True)
        p = subprocess.run([str(AIRLOCK), "run", "--", *py(
            LIST_FDS + "try:\n    os.write(%d, b'escaped')\nexcept OSError:\n    pass\n"
            % f.fileno())], cwd=str(airlock_env.cwd), env=airlock_env.env,
            capture_output=True, text=True, timeout=30, pass_fds=(f.fileno(),))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0", "1", "2"]
    assert outside.read_text() == ""


def _children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(d))
    return kids


def test_escape_exec_holds_only_stdio(airlock_env, tmp_path):
    # The app-server holds its listener, its clients' sockets, its event
    # loop and whatever its own caller leaked to it; neither the sandbox's
    # init nor the command may hold any of them.
    leaked = open(tmp_path / "leaked.txt", "w")
    os.set_inheritable(leaked.fileno(), True)
    fifo = airlock_env.cwd / "go"
    os.mkfifo(fifo)
    cmd = LIST_FDS + "open('go').read()\n"
    try:
        with app_server_in(airlock_env, airlock_env.env,
                           pass_fds=(leaked.fileno(),)) as (server, addr):
            ws = connect_to(airlock_env, addr)
            initialize(ws)
            send(ws, {"id": 1, "method": "command/exec",
                      "params": {"command": py(cmd), "stream": True, "timeoutMs": 20000}})
            out = b""
            for _ in range(100):
                m = recv(ws)
                assert m.get("method") == "command/exec/outputDelta", m
                out += base64.b64decode(m["params"]["dataBase64"])
                if out.endswith(b"\n"):
                    break
            assert out.split() == [b"0", b"1", b"2"]
            inits = _children(server.pid)
            assert len(inits) == 1
            fds = sorted(int(fd) for fd in os.listdir("/proc/%d/fd" % inits[0]))
            links = [os.readlink("/proc/%d/fd/%d" % (inits[0], fd)) for fd in fds]
            with open(fifo, "w"):
                pass
            # stdin (/dev/null), the stdout and stderr pipes, and the one
            # socket to the server (set-up report, go, stop reports); the
            # init also holds a lock on each placeholder it made in the
            # workspace (.git, .airlock: doc/sandbox.md), nothing else.
            work = str(airlock_env.cwd.resolve())
            held = [(fd, l) for fd, l in zip(fds, links)
                    if l not in (work + "/.git", work + "/.airlock")]
            assert [fd for fd, _ in held][:3] == [0, 1, 2] and len(held) == 4, links
            assert held[0][1] == "/dev/null" and held[3][1].startswith("socket:"), links
    finally:
        leaked.close()
