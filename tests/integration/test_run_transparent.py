"""`airlock run --network`: programs that know nothing of proxies. The
sandbox's rules route every TCP connection leaving it to the embedded
proxy, which judges it like a CONNECT (full mode: a raw relay; limited
mode: HTTP requests one by one, TLS on 443 intercepted), and the host's
loopback ports that allow entries name are forwarded. UDP goes nowhere
but the sandbox's own loopback (doc/sandbox.md, "The sandbox's network").

Names resolve through the stub resolver inside and the fake resolver in
airlock (transputil.py); nothing leaves the machine."""
import os
import shutil
import signal
import socket
import subprocess
import textwrap

import pytest

from gitutil import GIT_ENV, git_server, make_repo
from runutil import static_origin
from test_mitm import NAME as TLS_NAME, Pki, fresh_ip, https_origin
from transputil import NAME, PLAIN, named_origin, py, run, sh


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing (scripts/install-deps --test)")
    return path


# --- full mode: a raw relay to the name ---------------------------------------

def test_python_create_connection_reaches_the_named_origin(airlock_env):
    with named_origin() as (ip, o):
        p = run(airlock_env, ip, py(f"""
            import socket
            s = socket.create_connection(({NAME!r}, 80), timeout=10)
            s.sendall(b"GET /x HTTP/1.1\\r\\nHost: {NAME}\\r\\n"
                      b"Connection: close\\r\\n\\r\\n")
            out = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                out += b
            print(out.split(b"\\r\\n\\r\\n", 1)[1].decode(), end="")
            print(s.getpeername()[0])
            """))
        assert p.returncode == 0, p.stderr
        body, peer = p.stdout.rsplit("\n", 2)[:2]
        assert body == "hello from origin"
        assert peer.startswith("198.18.")  # the synthetic address
        assert o.count == 1
    assert "blocked" not in p.stderr


def test_nc_reaches_the_named_origin(airlock_env):
    nc = tool("nc")
    with named_origin() as (ip, o):
        p = run(airlock_env, ip, sh(f"""
            printf 'GET / HTTP/1.0\\r\\nHost: {NAME}\\r\\n\\r\\n' |
            {nc} -w 10 {NAME} 80
            """))
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("HTTP/1.1 200")
        assert p.stdout.endswith("hello from origin\n")
        assert o.count == 1


def test_curl_noproxy_reaches_the_named_origin(airlock_env):
    with named_origin() as (ip, o):
        p = run(airlock_env, ip, ["curl", "-sS", "-m", "10", "--noproxy",
                                  "*", f"http://{NAME}/"])
        assert p.returncode == 0, p.stderr
        assert p.stdout == "hello from origin\n"
        assert o.count == 1


def test_git_clone_over_http_without_proxy(airlock_env, tmp_path):
    commits = make_repo(tmp_path)
    ip = fresh_ip()
    with git_server(tmp_path, host=ip) as srv:
        from conftest import redirect_port
        redirect_port(ip, 80, srv.server_address[1])
        p = run(airlock_env, ip, ["env", *[f"{k}={v}" for k, v in
                                           GIT_ENV.items()],
                                  "git", "-c", "http.proxy=", "clone", "-q",
                                  f"http://{NAME}/repo.git", "r"])
        assert p.returncode == 0, p.stderr
    head = (airlock_env.cwd / "r" / ".git" / "HEAD").read_text()
    assert head.strip() == "ref: refs/heads/main"
    assert commits["main"] in subprocess.run(
        ["git", "-C", str(airlock_env.cwd / "r"), "rev-parse", "HEAD"],
        capture_output=True, text=True).stdout


def test_git_clone_over_git_protocol(airlock_env, tmp_path):
    make_repo(tmp_path)
    ip = fresh_ip()
    with socket.socket() as probe:
        probe.bind((ip, 0))
        port = probe.getsockname()[1]
    daemon = subprocess.Popen(
        [tool("git"), "daemon", "--reuseaddr", "--export-all",
         f"--base-path={tmp_path}", f"--listen={ip}", f"--port={port}",
         str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        from conftest import redirect_port
        redirect_port(ip, 9418, port)
        wait_listening(ip, port)
        p = run(airlock_env, ip, ["env", *[f"{k}={v}" for k, v in
                                           GIT_ENV.items()],
                                  "git", "clone", "-q",
                                  f"git://{NAME}/repo.git", "r"],
                ports=(9418,))
        assert p.returncode == 0, p.stderr
    finally:
        # `git daemon` runs git-daemon as a child: end the whole group.
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait(timeout=10)
    assert (airlock_env.cwd / "r" / "README").read_text() == "hello\n"


def wait_listening(ip, port):
    for _ in range(100):
        try:
            socket.create_connection((ip, port), timeout=1).close()
            return
        except OSError:
            import time
            time.sleep(0.05)
    pytest.fail("git daemon did not start")


def test_full_mode_records_the_connection_as_tcp(airlock_env, tmp_path):
    log = tmp_path / "audit.jsonl"
    (airlock_env.home / "config.toml").write_text(
        f'[permissions.network]\naudit_log = "{log}"\n')
    with named_origin() as (ip, o):
        p = run(airlock_env, ip, ["curl", "-sS", "-m", "10", "--noproxy",
                                  "*", f"http://{NAME}/"])
        assert p.returncode == 0, p.stderr
    text = log.read_text()
    assert f'"host":"{NAME}","port":80,"protocol":"tcp"' in text
    assert '"event":"tunnel_close"' in text


# --- limited mode: HTTP judged request by request ------------------------------

def test_limited_mode_get_allowed_post_refused(airlock_env):
    with named_origin() as (ip, o):
        p = run(airlock_env, ip, sh(f"""
            curl -s -m 10 --noproxy '*' -o /dev/null -w '%{{http_code}}\\n' \\
                http://{NAME}/
            curl -s -m 10 --noproxy '*' -o /dev/null -w '%{{http_code}}\\n' \\
                -X POST -d x=1 http://{NAME}/
            """), mode="limited")
        assert p.returncode == 0, p.stderr
        assert p.stdout.split() == ["200", "403"]
        assert [m for m, *_ in o.requests] == ["GET"]
    assert f"{NAME}:80 method_not_allowed POST (1x)" in p.stderr


def test_limited_mode_raw_bytes_refused_and_recorded(airlock_env):
    with named_origin() as (ip, o):
        p = run(airlock_env, ip, py(f"""
            import socket
            s = socket.create_connection(({NAME!r}, 80), timeout=10)
            s.sendall(b"\\x00\\x01 not http at all\\r\\n\\r\\n")
            try:
                print(s.recv(100)[:12])
            except OSError as e:
                print("error", e.errno)
            """), mode="limited")
        assert p.returncode == 0, p.stderr
        assert o.connections == 0
    assert f"{NAME}:80/tcp method_not_allowed (1x)" in p.stderr


def test_limited_mode_tls_with_matching_name_is_intercepted(airlock_env,
                                                           tmp_path):
    pki = Pki(tmp_path)
    cert, key = pki.leaf("good")
    (airlock_env.home / "config.toml").write_text(
        f'[permissions.network]\nextra_ca_certificates = ["{pki.ca}"]\n')
    ip = fresh_ip()
    with https_origin(ip, cert, key) as o:
        p = run(airlock_env, ip, ["curl", "-sS", "-m", "10", "--noproxy", "*",
                                  f"https://{TLS_NAME}/hello"],
                mode="limited", names=(TLS_NAME,), ports=(443,))
        assert p.returncode == 0, p.stderr
        assert o.count == 1


def test_limited_mode_tls_with_another_name_is_refused(airlock_env, tmp_path):
    pki = Pki(tmp_path)
    cert, key = pki.leaf("good")
    ip = fresh_ip()
    with https_origin(ip, cert, key) as o:
        p = run(airlock_env, ip, sh(f"""
            openssl s_client -connect {TLS_NAME}:443 \\
                -servername other.transp.test </dev/null >/dev/null 2>&1
            echo rc=$?
            """), mode="limited", names=(TLS_NAME,), ports=(443,))
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() != "rc=0"
        assert o.connections == 0
    assert "other.transp.test:443/tcp sni_mismatch (1x)" in p.stderr


# --- the host's loopback, by port ----------------------------------------------

@pytest.mark.parametrize("entry,host", [
    ("127.0.0.1:{port}", "127.0.0.1"),
    ("127.0.0.1:{port}", "::1"),
    ("localhost:{port}", "localhost"),
])
def test_forwarded_host_port_reached_by_a_proxy_unaware_client(
        airlock_env, tmp_path, entry, host):
    with static_origin(tmp_path, body=b"host service\n") as srv:
        port = srv.server_address[1]
        p = airlock_env.run(
            "run", "--network", "--allow", entry.format(port=port), "--",
            *PLAIN, *py(f"""
            import socket
            s = socket.create_connection(({host!r}, {port}), timeout=10)
            h = {host!r} if {host!r} != "::1" else "[::1]"
            s.sendall(b"GET / HTTP/1.1\\r\\nHost: %s:{port}\\r\\n"
                      b"Connection: close\\r\\n\\r\\n" % h.encode())
            out = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                out += b
            print(out.split(b"\\r\\n\\r\\n", 1)[1].decode(), end="")
            """))
    assert p.returncode == 0, p.stderr
    assert p.stdout == "host service\n"


def test_forwarded_port_wins_over_a_server_of_the_sandbox(airlock_env,
                                                         tmp_path):
    # The command binds the forwarded port on its own loopback: connections
    # inside still go to the host's service.
    with static_origin(tmp_path, body=b"host service\n") as srv:
        port = srv.server_address[1]
        p = airlock_env.run(
            "run", "--network", "--allow", f"127.0.0.1:{port}", "--",
            *PLAIN, *py(f"""
            import socket, urllib.request
            own = socket.socket()
            own.bind(("127.0.0.1", {port}))
            own.listen()
            print(urllib.request.urlopen(
                "http://127.0.0.1:{port}/", timeout=10).read().decode(),
                end="")
            """))
    assert p.returncode == 0, p.stderr
    assert p.stdout == "host service\n"


def test_proxy_aware_client_reaches_its_own_loopback_directly(airlock_env):
    # NO_PROXY names the loopback: curl talks to the sandbox's own server,
    # and the proxy never hears of it.
    p = airlock_env.run("run", "--network", "--", "sh", "-c", textwrap.dedent(
        """
        echo "$NO_PROXY"
        mkdir own && cd own && echo own > index.html
        python3 -m http.server -b 127.0.0.1 18181 >/dev/null 2>&1 &
        for i in $(seq 50); do
            curl -s -m 2 http://127.0.0.1:18181/ && break
            sleep 0.1
        done
        kill $!
        """))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["localhost,127.0.0.1,::1", "own"]
    assert "blocked" not in p.stderr


# --- UDP, DNS and SOCKS5 UDP ------------------------------------------------------

def test_udp_is_refused_at_once_but_the_stub_resolver_answers(airlock_env):
    p = airlock_env.run("run", "--network", "--allow", NAME, "--", *PLAIN,
                        *py(f"""
        import errno, socket, time
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = time.monotonic()
        try:
            u.sendto(b"x", ("8.8.8.8", 53))
            print("sent")
        except OSError as e:
            print(errno.errorcode[e.errno], time.monotonic() - t < 1)
        print(socket.gethostbyname({NAME!r}).startswith("198.18."))
        """))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["ECONNREFUSED", "True", "True"]
    assert "8.8.8.8:53/udp udp_not_proxied (1x)" in p.stderr


def test_socks5_udp_associate_from_inside_the_sandbox(airlock_env):
    ip = fresh_ip()
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind((ip, 0))
    echo.settimeout(20)
    port = echo.getsockname()[1]
    (airlock_env.home / "config.toml").write_text(
        "[permissions.network]\nenable_socks5 = true\n"
        "enable_socks5_udp = true\n")
    import threading

    def serve():
        try:
            data, peer = echo.recvfrom(2048)
            echo.sendto(b"echo:" + data, peer)
        except OSError:
            pass
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        p = airlock_env.run(
            "run", "--network", "--mode", "full", "--allow", f"{ip}:{port}",
            "--", *py(f"""
            import os, socket, struct
            host, sport = os.environ["ALL_PROXY"].split("//")[1].split(":")
            c = socket.create_connection((host, int(sport)), timeout=10)
            c.sendall(b"\\x05\\x01\\x00")
            assert c.recv(2) == b"\\x05\\x00"
            c.sendall(b"\\x05\\x03\\x00\\x01" + bytes(4) + bytes(2))
            r = c.recv(10)
            assert r[1] == 0, r
            relay = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(10)
            u.sendto(b"\\x00\\x00\\x00\\x01" + socket.inet_aton({ip!r}) +
                     struct.pack("!H", {port}) + b"ping", relay)
            print(relay[0], u.recv(2048)[10:].decode())
            """))
    finally:
        echo.close()
        t.join(timeout=5)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["127.0.0.1", "echo:ping"]
