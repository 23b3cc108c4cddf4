"""`airlock run`: every escape attempt fails. Each test runs the attempt
with network granted (the more permissive setting) unless it says
otherwise, and checks the exact refusal."""
import os
import socket
import subprocess

import pytest

from conftest import AIRLOCK
from runutil import ATTEMPT, py

GRANT = ("--network", "--allow", "127.0.0.1:1")


def attempt(airlock_env, body, *flags, env=None):
    p = airlock_env.run("run", *flags, "--", *py(ATTEMPT + body), env=env)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.mark.parametrize("flags", [GRANT, ()], ids=["granted", "off"])
def test_escape_raw_socket_is_refused(airlock_env, flags):
    out = attempt(airlock_env, "attempt(lambda: socket.socket(socket.AF_INET, "
                  "socket.SOCK_RAW, socket.IPPROTO_ICMP))", *flags)
    assert out == "ERR EPERM"


def test_escape_raw_ipv6_socket_is_refused(airlock_env):
    out = attempt(airlock_env, "attempt(lambda: socket.socket(socket.AF_INET6, "
                  "socket.SOCK_RAW | socket.SOCK_CLOEXEC, 58))", *GRANT)
    assert out == "ERR EPERM"


@pytest.mark.parametrize("flags", [GRANT, ()], ids=["granted", "off"])
def test_escape_packet_socket_is_refused(airlock_env, flags):
    out = attempt(airlock_env, "attempt(lambda: socket.socket(socket.AF_PACKET, "
                  "socket.SOCK_RAW, 0x0300))", *flags)
    assert out == "ERR EPERM"


def test_escape_netlink_socket_is_refused(airlock_env):
    out = attempt(airlock_env, "attempt(lambda: socket.socket(socket.AF_NETLINK, "
                  "socket.SOCK_RAW, 0))", *GRANT)
    assert out == "ERR EPERM"


@pytest.mark.parametrize("flags", [GRANT, ()], ids=["granted", "off"])
def test_escape_unix_socket_to_host_listener_is_refused(airlock_env, tmp_path,
                                                         flags):
    path = str(tmp_path / "host.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(0.2)
    try:
        out = attempt(airlock_env, "def f():\n    s = socket.socket(socket.AF_UNIX)\n"
                      "    s.connect(%r)\nattempt(f)" % path, *flags)
        assert out == "ERR EACCES"
        with pytest.raises(socket.timeout):
            srv.accept()
    finally:
        srv.close()


def test_escape_socketpair_still_works(airlock_env):
    out = attempt(airlock_env, "a, b = socket.socketpair(); a.send(b'x'); "
                  "print('OK' if b.recv(1) == b'x' else 'bad'); sys.exit(0)")
    assert out == "OK"


@pytest.mark.parametrize("flags", [GRANT, ()], ids=["granted", "off"])
def test_escape_host_loopback_service_is_not_reachable(airlock_env, flags):
    # The sandbox's 127.0.0.1 is its own loopback: a service on the host's
    # loopback is not there, whatever the port.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(0.2)
    try:
        out = attempt(airlock_env, "attempt(lambda: socket.create_connection("
                      "('127.0.0.1', %d), timeout=5))" % srv.getsockname()[1],
                      *flags)
        assert out == "ERR ECONNREFUSED"
        with pytest.raises(socket.timeout):
            srv.accept()
    finally:
        srv.close()


def test_escape_ptrace_of_an_outside_process_is_refused(airlock_env):
    victim = subprocess.Popen(["sleep", "30"])
    try:
        body = ("libc = ctypes.CDLL(None, use_errno=True)\n"
                "r = libc.ptrace(16, %d, 0, 0)\n"  # PTRACE_ATTACH
                "print('ERR', errno.errorcode[ctypes.get_errno()] if r else 'OK')\n"
                "print('visible' if os.path.exists('/proc/%d') else 'hidden')\n"
                % (victim.pid, victim.pid))
        out = attempt(airlock_env, body, *GRANT)
        assert out.splitlines() == ["ERR EPERM", "hidden"]
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_escape_ptrace_inside_the_sandbox_is_refused(airlock_env):
    body = ("libc = ctypes.CDLL(None, use_errno=True)\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    time = __import__('time'); time.sleep(5); os._exit(0)\n"
            "r = libc.ptrace(16, pid, 0, 0)\n"
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r else 'OK')\n"
            "os.kill(pid, 9)\n")
    assert attempt(airlock_env, body) == "ERR EPERM"


def test_escape_process_vm_readv_is_refused(airlock_env):
    body = ("libc = ctypes.CDLL(None, use_errno=True)\n"
            "r = libc.syscall(310, os.getpid(), 0, 0, 0, 0, 0)\n"
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r else 'OK')\n")
    assert attempt(airlock_env, body) == "ERR EPERM"


def test_escape_writes_outside_writable_roots_fail(airlock_env, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "pwned"
    p = airlock_env.run("run", "-c", "sandbox_workspace_write.exclude_slash_tmp=true",
                        "--", "sh", "-c",
                        "touch %s; echo x > %s; mkdir %s/d; ln -s / %s/l; "
                        "touch inside" % (target, target, outside, outside),
                        env={"TMPDIR": ""})
    assert not target.exists()
    assert os.listdir(outside) == []
    assert (airlock_env.cwd / "inside").exists()
    # Outside the writable roots the mount itself is read-only.
    assert "Read-only file system" in p.stderr


def test_escape_read_only_mode_cannot_write_the_workspace(airlock_env):
    p = airlock_env.run("run", "-s", "read-only", "--", "sh", "-c",
                        "touch made || exit 3")
    assert p.returncode == 3
    assert not (airlock_env.cwd / "made").exists()


def test_escape_git_config_and_hooks_are_read_only(airlock_env):
    subprocess.run(["git", "init", "-q", str(airlock_env.cwd)], check=True)
    config = (airlock_env.cwd / ".git" / "config").read_text()
    p = airlock_env.run("run", "--", "sh", "-c",
                        "echo '[core] fsmonitor = evil' >> .git/config; "
                        "echo evil > .git/hooks/post-checkout; "
                        "rm -rf .git/hooks; mv .git .git2; touch tracked")
    assert (airlock_env.cwd / ".git" / "config").read_text() == config
    assert not (airlock_env.cwd / ".git" / "hooks" / "post-checkout").exists()
    assert (airlock_env.cwd / ".git" / "hooks").is_dir()
    assert (airlock_env.cwd / "tracked").exists()
    assert "Read-only file system" in p.stderr


def test_escape_gitdir_file_and_its_target_are_read_only(airlock_env, tmp_path):
    real = tmp_path / "realgit"
    subprocess.run(["git", "init", "-q", "--separate-git-dir", str(real),
                    str(airlock_env.cwd)], check=True)
    p = airlock_env.run("run", "-c",
                        'sandbox_workspace_write.writable_roots=["%s"]' % tmp_path,
                        "--", "sh", "-c",
                        "echo x >> %s/config; echo gitdir: /x > .git" % real)
    assert "x" not in (real / "config").read_text().split("\n")[-2:]
    assert (airlock_env.cwd / ".git").read_text().startswith("gitdir: %s" % real)
    assert p.stderr.count("Read-only file system") == 2


def test_escape_airlock_dir_is_read_only(airlock_env):
    (airlock_env.cwd / ".airlock").mkdir()
    airlock_env.run("run", "--", "sh", "-c", "echo x > .airlock/config.toml")
    assert not (airlock_env.cwd / ".airlock" / "config.toml").exists()


@pytest.mark.parametrize("cmd", [
    "mount -t tmpfs none /mnt",
    "mount --bind /tmp /mnt",
    "umount /proc",
    "unshare -rm mount -t tmpfs none /mnt",
    "unshare -n true",
])
def test_escape_mount_and_namespaces_are_refused(airlock_env, cmd):
    p = airlock_env.run("run", "--", "sh", "-c", cmd)
    assert p.returncode != 0
    assert any(t in p.stderr for t in ("ermission denied", "not permitted",
                                       "must be superuser"))


def test_escape_umount2_syscall_is_refused(airlock_env):
    body = ("libc = ctypes.CDLL(None, use_errno=True)\n"
            "r = libc.umount2(b'/proc', 2)\n"  # MNT_DETACH
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r else 'OK')\n")
    assert attempt(airlock_env, body) == "ERR EPERM"


def test_escape_io_uring_is_refused(airlock_env):
    body = ("libc = ctypes.CDLL(None, use_errno=True)\n"
            "params = ctypes.create_string_buffer(120)\n"
            "r = libc.syscall(425, 8, params)\n"  # io_uring_setup
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r < 0 else 'OK')\n")
    assert attempt(airlock_env, body, *GRANT) == "ERR EPERM"


def test_escape_i386_socketcall_kills_the_process(airlock_env):
    # The filter covers the native ABI only; any other ABI is killed, so
    # socketcall through int 0x80 cannot dodge the socket rules.
    body = ("import mmap\n"
            "code = bytes([0xb8, 102, 0, 0, 0, 0xbb, 1, 0, 0, 0, 0x31, 0xc9, "
            "0xcd, 0x80, 0xc3])\n"  # mov eax,102; mov ebx,1; xor ecx,ecx; int 0x80; ret
            "m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ|mmap.PROT_WRITE|mmap.PROT_EXEC)\n"
            "m.write(code)\n"
            "addr = ctypes.addressof(ctypes.c_char.from_buffer(m))\n"
            "ctypes.CFUNCTYPE(ctypes.c_int)(addr)()\n"
            "print('survived')\n")
    p = airlock_env.run("run", "--", *py(ATTEMPT + body))
    assert "survived" not in p.stdout
    assert p.returncode == 128 + 31  # SIGSYS


def test_escape_new_user_namespace_via_clone_is_refused(airlock_env):
    body = ("libc = ctypes.CDLL(None, use_errno=True)\n"
            "r = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)\n"  # clone(NEWUSER|SIGCHLD)
            "if r == 0: os._exit(0)\n"
            "print('ERR', errno.errorcode[ctypes.get_errno()] if r < 0 else 'OK')\n")
    assert attempt(airlock_env, body) == "ERR EPERM"


def test_escape_tiocsti_is_refused(airlock_env):
    body = ("import fcntl, termios\n"
            "fd = os.open('/dev/null', os.O_RDONLY)\n"
            "attempt(lambda: fcntl.ioctl(fd, termios.TIOCSTI, b'x'))\n")
    assert attempt(airlock_env, body) == "ERR EPERM"


def test_escape_signal_to_airlock_is_impossible(airlock_env):
    # The parent is outside the pid namespace: no pid names it. `exec`
    # makes the shell's own pid airlock's, so the command is told the
    # real pid of the airlock that runs it; were the signal delivered,
    # airlock would die of it instead of exiting 0.
    inner = "kill -TERM $1 2>/dev/null && echo sent || echo nope"
    p = subprocess.run(
        ["sh", "-c", 'exec "$0" run -- sh -c "$1" sh $$', str(AIRLOCK),
         inner], cwd=str(airlock_env.cwd), env=airlock_env.env,
        capture_output=True, text=True, timeout=30)
    assert (p.returncode, p.stdout.strip()) == (0, "nope"), p.stderr


def test_escape_signal_to_a_host_process_is_impossible(airlock_env):
    # A process of the same user outside the sandbox, not pytest itself:
    # were the escape to work, it would take a bystander, not the runner.
    victim = subprocess.Popen(["sleep", "60"])
    try:
        p = airlock_env.run("run", "--", "sh", "-c",
                            "kill -TERM %d 2>/dev/null && echo sent || "
                            "echo nope" % victim.pid)
        assert (p.returncode, p.stdout.strip()) == (0, "nope"), p.stderr
        assert victim.poll() is None, "the host process was signalled"
    finally:
        victim.kill()
        victim.wait(timeout=10)