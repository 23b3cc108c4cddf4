"""`airlock proxy` listeners: loopback by default, IPv6 loopback, refusals
of non-loopback binds, and a clean exit on SIGINT.

Nothing here sends traffic anywhere but loopback: the one test that binds
0.0.0.0 only checks that the listener starts and talks to it on
127.0.0.1.
"""
import signal
import socket
import subprocess

import pytest

from proxyutil import origin_server, start_proxy

BASE = """
[permissions.network]
mode = "full"
admin_url = "http://127.0.0.1:0"
allowed_domains = ["127.0.0.1", "::1"]
"""


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "10", "--noproxy", "",
                           *args], capture_output=True, timeout=30)


def test_ipv6_loopback_listener_serves(airlock_env):
    p = start_proxy(airlock_env, BASE + 'proxy_url = "http://[::1]:0"\n')
    with origin_server() as o:
        r = curl("-x", "http://[::1]:%d" % p.http[1], o.url("/six"))
    assert p.stop() == 0
    assert p.http[0] == "::1"
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello from origin\n"


def test_non_loopback_listener_is_refused(airlock_env):
    (airlock_env.home / "config.toml").write_text(
        BASE + 'proxy_url = "http://0.0.0.0:0"\n')
    r = airlock_env.run("proxy")
    assert r.returncode == 2
    assert ("permissions.network.proxy_url: http://0.0.0.0:0: refusing a "
            "non-loopback listener (set permissions.network."
            "dangerously_allow_non_loopback_proxy = true to allow it)") in r.stderr


def test_non_loopback_admin_is_refused(airlock_env):
    (airlock_env.home / "config.toml").write_text(
        BASE.replace('admin_url = "http://127.0.0.1:0"',
                     'admin_url = "http://0.0.0.0:0"') +
        'proxy_url = "http://127.0.0.1:0"\n')
    r = airlock_env.run("proxy")
    assert r.returncode == 2
    assert "dangerously_allow_non_loopback_admin" in r.stderr


def test_dangerous_flag_allows_it_with_a_warning(airlock_env):
    p = start_proxy(airlock_env, BASE + 'proxy_url = "http://0.0.0.0:0"\n'
                    "dangerously_allow_non_loopback_proxy = true\n")
    with origin_server() as o:
        r = curl("-x", "http://127.0.0.1:%d" % p.http[1], o.url("/any"))
    assert p.stop() == 0
    assert p.http[0] == "0.0.0.0"
    assert r.stdout == b"hello from origin\n"
    assert "DANGEROUS" in p.stderr()


def test_unix_socket_access_forces_loopback_even_with_the_flag(airlock_env):
    (airlock_env.home / "config.toml").write_text(
        BASE + 'proxy_url = "http://0.0.0.0:0"\n'
        "dangerously_allow_non_loopback_proxy = true\n"
        "dangerously_allow_all_unix_sockets = true\n")
    r = airlock_env.run("proxy")
    assert r.returncode == 2
    assert "unix-socket access forces loopback" in r.stderr


def test_sigint_stops_the_proxy_cleanly(airlock_env):
    p = start_proxy(airlock_env, BASE + 'proxy_url = "http://127.0.0.1:0"\n')
    p.proc.send_signal(signal.SIGINT)
    assert p.proc.wait(timeout=15) == 0
    assert "stopping" in p.stderr()


def test_unix_socket_flag_never_reaches_a_unix_socket(airlock_env, tmp_path):
    # doc/config.md: the flag forces loopback and does nothing else. A
    # request naming a unix socket (Codex's x-unix-socket) goes to its
    # TCP origin as any request would; the unix socket hears nothing.
    path = tmp_path / "daemon.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(1)
    srv.settimeout(0.5)
    try:
        p = start_proxy(airlock_env, BASE + 'proxy_url = "http://127.0.0.1:0"\n'
                        "dangerously_allow_all_unix_sockets = true\n")
        with origin_server() as o:
            r = curl("-x", "http://127.0.0.1:%d" % p.http[1],
                     "-H", f"x-unix-socket: {path}", o.url("/unix"))
        assert p.stop() == 0
        assert r.stdout == b"hello from origin\n", r.stderr
        with pytest.raises(socket.timeout):
            srv.accept()
    finally:
        srv.close()
