"""Unix sockets bound outside the sandbox stay out of reach.

Inside `airlock run` unix sockets work (the command's own IPC), but a
connect() or an addressed send to a socket a process outside the sandbox
bound must fail: in /tmp, in $HOME, through a symbolic link, through
/proc/self/root, through a rename race, as a datagram, and through a
seccomp filter of the command's own that would take the calls over. Each
test binds the host socket itself, performs the attack inside the
sandbox with the network off and on, and checks on the host side that no
connection or datagram ever arrived. They run as root and as nobody.
"""
import os
import socket
import stat

import pytest

from appserverutil import app_server, call, connect, initialize
from runutil import ATTEMPT, PY, py

GRANT = ("--network", "--allow", "127.0.0.1:1")
MODES = pytest.mark.parametrize("flags", [(), GRANT], ids=["off", "granted"])


# Like ATTEMPT's attempt(), without exiting: several tries in one run.
TRY = """
def tryit(f):
    try:
        f()
    except OSError as e:
        print("ERR", errno.errorcode.get(e.errno, e.errno)); return
    print("OK")
"""


def attempt(airlock_env, body, *flags, env=None, timeout=60):
    p = airlock_env.run("run", *flags, "--", *py(ATTEMPT + TRY + body), env=env,
                        timeout=timeout)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip(), p.stderr


class HostSocket:
    """A socket bound and listening (stream) or receiving (datagram) on the
    host, outside any sandbox; nothing() says that nothing reached it."""

    def __init__(self, path, kind=socket.SOCK_STREAM):
        self.path = str(path)
        self.s = socket.socket(socket.AF_UNIX, kind)
        self.s.bind(self.path)
        if kind == socket.SOCK_STREAM:
            self.s.listen(64)
        # The sandbox's user must be able to use it, so that only airlock
        # stands in the way.
        os.chmod(self.path, 0o777)
        self.s.setblocking(False)

    def nothing(self):
        try:
            if self.s.type == socket.SOCK_STREAM:
                self.s.accept()
            else:
                self.s.recv(64)
        except BlockingIOError:
            return True
        return False

    def close(self):
        self.s.close()


@pytest.fixture
def host_sock(tmp_path):
    socks = []

    def make(path, kind=socket.SOCK_STREAM):
        socks.append(HostSocket(path, kind))
        return socks[-1]

    yield make
    for s in socks:
        s.close()


def connect_body(path):
    return ("def f():\n"
            "    s = socket.socket(socket.AF_UNIX)\n"
            "    s.connect(%r)\n"
            "attempt(f)\n" % path)


@MODES
def test_escape_connect_to_a_host_socket_in_tmp(airlock_env, host_sock, tmp_path,
                                                 flags):
    h = host_sock(tmp_path / "tmux-like.sock")
    out, err = attempt(airlock_env, connect_body(h.path), *flags)
    assert out == "ERR EACCES"
    assert h.nothing()
    # The refusal is named at the end, with the key that would allow it.
    assert "%s (1x): allow with permissions.network.unix_sockets" % h.path in err


@MODES
def test_escape_connect_to_a_host_socket_in_home(airlock_env, host_sock, flags):
    home = airlock_env.root / "userhome"
    home.mkdir()
    h = host_sock(home / "agent.sock")
    body = ("def f():\n"
            "    s = socket.socket(socket.AF_UNIX)\n"
            "    s.connect(os.path.join(os.environ['HOME'], 'agent.sock'))\n"
            "attempt(f)\n")
    out, _ = attempt(airlock_env, body, *flags, env={"HOME": str(home)})
    assert out == "ERR EACCES"
    assert h.nothing()


@MODES
def test_escape_connect_through_a_symlink_in_the_workspace(airlock_env, host_sock,
                                                            tmp_path, flags):
    h = host_sock(tmp_path / "host.sock")
    (airlock_env.cwd / "link.sock").symlink_to(h.path)
    (airlock_env.cwd / "rel").symlink_to(os.path.relpath(h.path, airlock_env.cwd))
    body = ("for p in ('link.sock', 'rel', os.path.abspath('link.sock')):\n"
            "    s = socket.socket(socket.AF_UNIX)\n"
            "    try:\n"
            "        s.connect(p); print('OK')\n"
            "    except OSError as e:\n"
            "        print('ERR', errno.errorcode[e.errno])\n")
    out, _ = attempt(airlock_env, body, *flags)
    assert out.splitlines() == ["ERR EACCES"] * 3
    assert h.nothing()


@MODES
def test_escape_connect_through_proc_self_root(airlock_env, host_sock, tmp_path,
                                                flags):
    h = host_sock(tmp_path / "host.sock")
    body = ("paths = ['/proc/self/root' + %r, '/proc/1/root' + %r,\n"
            "         '/proc/self/cwd/../' + os.path.basename(%r)]\n"
            "for p in paths:\n"
            "    s = socket.socket(socket.AF_UNIX)\n"
            "    try:\n"
            "        s.connect(p); print('OK')\n"
            "    except OSError as e:\n"
            "        print('ERR')\n" % (h.path, h.path, h.path))
    out, _ = attempt(airlock_env, body, *flags)
    assert out.splitlines() == ["ERR"] * 3
    assert h.nothing()


@MODES
def test_escape_rename_race_between_own_and_host_socket(airlock_env, host_sock,
                                                         tmp_path, flags):
    # One thread flips a path between a symlink to the sandbox's own socket
    # and one to the host's; the other connects through it, a bounded
    # number of times. A check of the path followed by a connect of the
    # path would sometimes reach the host.
    h = host_sock(tmp_path / "host.sock")
    body = ("import threading\n"
            "own = socket.socket(socket.AF_UNIX); own.bind('own.sock'); "
            "own.listen(4096)\n"
            "own.setblocking(False)\n"
            "stop = False\n"
            "def flip():\n"
            "    i = 0\n"
            "    while not stop and i < 200000:\n"
            "        t = %r if i %% 2 else os.path.abspath('own.sock')\n"
            "        os.symlink(t, 'tmp.%%d' %% i); os.replace('tmp.%%d' %% i, 'race')\n"
            "        i += 1\n"
            "os.symlink(os.path.abspath('own.sock'), 'race')\n"
            "th = threading.Thread(target=flip); th.start()\n"
            "ok = refused = 0\n"
            "for n in range(2000):\n"
            "    s = socket.socket(socket.AF_UNIX)\n"
            "    try:\n"
            "        s.connect('race'); ok += 1\n"
            "        own.accept()[0].close()\n"
            "    except OSError as e:\n"
            "        refused += e.errno in (errno.EACCES, errno.ENOENT)\n"
            "    s.close()\n"
            "stop = True; th.join()\n"
            "print(ok, refused)\n" % h.path)
    out, _ = attempt(airlock_env, body, *flags, timeout=120)
    ok, refused = map(int, out.split())
    # Every attempt either reached the sandbox's own socket or was
    # refused; none reached the host (how the two split is up to the
    # scheduler).
    assert ok + refused == 2000
    assert h.nothing()


@MODES
def test_escape_abstract_host_socket_is_another_namespaces(airlock_env, flags):
    name = "\0airlock-test-abstract-%d" % os.getpid()
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(name)
    srv.listen(1)
    srv.setblocking(False)
    try:
        out, _ = attempt(airlock_env, connect_body(name), *flags)
        assert out == "ERR ECONNREFUSED"
        with pytest.raises(BlockingIOError):
            srv.accept()
    finally:
        srv.close()


@MODES
def test_escape_datagram_to_a_host_socket(airlock_env, host_sock, tmp_path,
                                           flags):
    # syslog's /dev/log, journald, sd_notify: datagrams name their
    # receiver in the call, by sendto() or in sendmsg()'s header.
    h = host_sock(tmp_path / "log.sock", socket.SOCK_DGRAM)
    body = ("s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
            "tryit(lambda: s.sendto(b'forged', %r))\n"
            "tryit(lambda: s.sendmsg([b'forged'], [], 0, %r))\n"
            "tryit(lambda: s.connect(%r))\n"
            "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
            "tryit(lambda: a.sendto(b'forged', %r))\n"
            % (h.path, h.path, h.path, h.path))
    out, _ = attempt(airlock_env, body, *flags)
    assert out.splitlines() == ["ERR EACCES"] * 4
    assert h.nothing()


# A user-notification filter of the command's own, installed after
# airlock's, would get the command's connect() first and could answer
# CONTINUE, so the kernel would perform it unchecked. The kernel refuses a
# second listener while airlock's lives (EBUSY); airlock's filter refuses
# any listener first (EPERM). Raw BPF: connect (42) -> USER_NOTIF, else
# ALLOW.
TAKEOVER = r"""
import ctypes, struct, threading, fcntl
libc = ctypes.CDLL(None, use_errno=True)
def ins(code, k, jt=0, jf=0):
    return struct.pack('HBBI', code, jt, jf, k)
prog = (ins(0x20, 0) + ins(0x15, 42, 0, 1) + ins(0x06, 0x7fc00000) +
        ins(0x06, 0x7fff0000))
buf = ctypes.create_string_buffer(prog)
fprog = struct.pack('HxxxxxxP', 4, ctypes.addressof(buf))
fbuf = ctypes.create_string_buffer(fprog)
fd = libc.syscall(317, 1, 8, fbuf)  # seccomp(SET_MODE_FILTER, NEW_LISTENER)
if fd < 0:
    print('ERR', errno.errorcode[ctypes.get_errno()]); sys.exit(0)
def serve():
    n = ctypes.create_string_buffer(80)
    fcntl.ioctl(fd, 0xc0502100, n)  # NOTIF_RECV
    nid = struct.unpack_from('Q', n.raw, 0)[0]
    r = struct.pack('QqiI', nid, 0, 0, 1)  # CONTINUE
    fcntl.ioctl(fd, 0xc0182101, ctypes.create_string_buffer(r))
threading.Thread(target=serve, daemon=True).start()
s = socket.socket(socket.AF_UNIX)
attempt(lambda: s.connect(PATH))
"""


@MODES
def test_escape_own_seccomp_listener_cannot_take_over_connect(airlock_env,
                                                               host_sock,
                                                               tmp_path, flags):
    h = host_sock(tmp_path / "host.sock")
    out, _ = attempt(airlock_env, TAKEOVER.replace("PATH", repr(h.path)),
                     *flags)
    assert out == "ERR EPERM"
    assert h.nothing()


@MODES
def test_listed_host_socket_is_reachable(airlock_env, host_sock, tmp_path,
                                         flags):
    # What a user wants through (a rootless podman socket): listed by
    # path, it works, and only it.
    h = host_sock(tmp_path / "podman.sock")
    other = host_sock(tmp_path / "other.sock")
    body = ("s = socket.socket(socket.AF_UNIX); s.connect(%r); print('OK')\n"
            "tryit(lambda: socket.socket(socket.AF_UNIX).connect(%r))\n"
            % (h.path, other.path))
    out, err = attempt(airlock_env, body, *flags, "-c",
                       'permissions.network.unix_sockets={"%s"="allow"}'
                       % h.path)
    assert out.splitlines() == ["OK", "ERR EACCES"]
    conn, _ = h.s.accept()
    conn.close()
    assert other.nothing()
    assert stat.S_ISSOCK(os.stat(h.path).st_mode)


# --- every sandbox is supervised: setup commands and command/exec -------------------

def test_escape_connect_from_a_setup_command(airlock_env, host_sock, tmp_path):
    # A setup command runs in a sandbox of its own (network on by default):
    # the same supervisor stands between it and the host's sockets.
    h = host_sock(tmp_path / "host.sock")
    script = ATTEMPT + connect_body(h.path)
    p = airlock_env.run("run", "--setup", "%s -c %s" % (PY, _sh_quote(script)),
                        "--", "true", timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "ERR EACCES", p.stdout
    assert h.nothing()
    assert "%s (1x): allow with permissions.network.unix_sockets" % h.path \
        in p.stderr


def _sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def test_escape_connect_from_command_exec_and_its_setup(airlock_env, host_sock,
                                                         tmp_path):
    h = host_sock(tmp_path / "host.sock")
    script = ATTEMPT + connect_body(h.path)
    with app_server(airlock_env, "-c", "setup.network_access=false") as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec", {
            "command": py(script),
            "setup": ["%s -c %s" % (PY, _sh_quote(script))]})
    res = r["result"]
    assert res["exitCode"] == 0, res
    assert res["setup"] == [{"command": "%s -c %s" % (PY, _sh_quote(script)),
                             "exitCode": 0}]
    assert res["stdout"] == "ERR EACCES\nERR EACCES\n", res
    assert h.nothing()
    # Both refusals are listed at the end of the command's stderr.
    assert res["stderr"].count(
        "%s (1x): allow with permissions.network.unix_sockets" % h.path) == 2, \
        res["stderr"]
