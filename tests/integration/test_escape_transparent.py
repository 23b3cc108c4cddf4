"""Escape attempts through transparent routing: a sandboxed program that
ignores the proxy and opens connections (or sends datagrams) of its own
must still meet the policy — refused at once, nothing reaching the
destination, and the refusal recorded in the blocked summary with its
protocol (doc/sandbox.md, "The sandbox's network"; doc/threat-model.md).

Every destination is on the host's loopback (a fresh 127.77.x.y origin,
see transputil.py) or an address nothing is ever sent to: the proxy
refuses before it dials."""
import pytest

from test_mitm import NAME as TLS_NAME, Pki, fresh_ip, https_origin
from transputil import NAME, PLAIN, named_origin, py, run, sh

# Connects, sends a little, and prints how it went: "reset" / "closed"
# (the proxy refused), or what came back.
ATTEMPT = """
import errno, socket, sys
def attempt(host, port, data=b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"):
    try:
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(data)
        got = s.recv(4096)
        print("got", got[:40])
    except ConnectionResetError:
        print("reset")
    except OSError as e:
        print("error", errno.errorcode.get(e.errno, e.errno))
"""


def attempt(env, ip, calls, mode="full", **kw):
    return run(env, ip, py(ATTEMPT + "\n".join(calls)), mode=mode, **kw)


def test_raw_tcp_to_a_port_the_allowlist_does_not_name(airlock_env):
    # The name is allowed, but it resolves to a local address of which
    # only port 80 is allowed: port 22 is refused and nothing is dialled.
    with named_origin(port=22) as (ip, o):
        p = attempt(airlock_env, ip, [f"attempt({NAME!r}, 22)"])
        assert p.returncode == 0, p.stderr
        assert p.stdout.split()[0] in ("reset", "error")
        assert o.connections == 0
    assert f"{NAME}:22/tcp not_allowed_local (1x)" in p.stderr


def test_raw_tcp_to_a_public_address_not_allowed(airlock_env):
    p = airlock_env.run("run", "--network", "--mode", "full", "--allow",
                        "allowed.test", "--", *PLAIN,
                        *py(ATTEMPT + "attempt('192.0.2.44', 443)"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] in ("reset", "error")
    assert "192.0.2.44:443/tcp not_allowed (1x)" in p.stderr


def test_raw_tcp_to_a_private_address_under_a_wildcard(airlock_env):
    # `*` allows every name, never a private address by its literal.
    p = airlock_env.run("run", "--network", "--mode", "full", "--allow",
                        "*", "--", *PLAIN,
                        *py(ATTEMPT + "attempt('10.20.30.40', 22)"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] in ("reset", "error")
    assert "10.20.30.40:22/tcp not_allowed_local (1x)" in p.stderr


def test_synthetic_address_never_handed_out(airlock_env):
    # The stub handed out 198.18.0.1 for the one name; 198.18.0.77 stands
    # for nothing and is never judged as an address (CIDR entries would
    # not help either).
    with named_origin() as (ip, o):
        p = attempt(airlock_env, ip, [
            "socket.gethostbyname(%r)" % NAME,
            "attempt('198.18.0.77', 80)"])
        assert p.returncode == 0, p.stderr
        assert p.stdout.split()[0] in ("reset", "error")
        assert o.connections == 0
    assert "198.18.0.77:80/tcp unknown_synthetic (1x)" in p.stderr


@pytest.mark.parametrize("mode", ["full", "limited"])
def test_tls_for_another_name_on_an_allowed_address(airlock_env, tmp_path,
                                                    mode):
    # Domain fronting: the synthetic address of an allowed name, a TLS
    # ClientHello for another. Full mode holds the hello and refuses it
    # (require_sni_match); limited mode refuses it before intercepting.
    pki = Pki(tmp_path)
    cert, key = pki.leaf("good")
    ip = fresh_ip()
    with https_origin(ip, cert, key) as o:
        p = run(airlock_env, ip, sh(f"""
            openssl s_client -connect {TLS_NAME}:443 \\
                -servername evil.transp.test </dev/null >/dev/null 2>&1
            echo rc=$?
            """), mode=mode, names=(TLS_NAME,), ports=(443,))
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() != "rc=0"
        assert o.count == 0
    assert "evil.transp.test:443/tcp sni_mismatch (1x)" in p.stderr


def test_limited_mode_non_http_bytes_on_port_80(airlock_env):
    # An allowed name on port 80 in limited mode takes HTTP requests
    # only; a tunnel of some other protocol gets nothing through.
    with named_origin() as (ip, o):
        p = attempt(airlock_env, ip, [
            f"attempt({NAME!r}, 80, b'SSH-2.0-OpenSSH_9.2\\r\\n\\x00\\x00')"],
            mode="limited")
        assert p.returncode == 0, p.stderr
        assert o.connections == 0
        assert "hello from origin" not in p.stdout
    assert f"{NAME}:80/tcp method_not_allowed (1x)" in p.stderr


def test_limited_mode_host_header_for_another_name(airlock_env):
    # The connection goes to the allowed name; a Host naming another one is
    # refused, not forwarded there.
    with named_origin() as (ip, o):
        p = attempt(airlock_env, ip, [
            f"attempt({NAME!r}, 80, b'GET / HTTP/1.1\\r\\n"
            f"Host: evil.transp.test\\r\\n\\r\\n')"], mode="limited")
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("got b'HTTP/1.1 400")
        assert o.connections == 0


def test_the_transparent_listener_itself_reaches_nothing(airlock_env):
    # A connection made straight to the listener's port (not redirected)
    # has no destination: reset, and recorded nowhere as an allowed one.
    p = airlock_env.run("run", "--network", "--mode", "full", "--allow",
                        "*", "--", *PLAIN,
                        *py(ATTEMPT + "attempt('127.0.0.1', 988)\n"
                            "attempt('[::1]'[1:-1], 988)"))
    assert p.returncode == 0, p.stderr
    for line in p.stdout.splitlines():
        assert line in ("reset", "error ECONNRESET", "error ECONNREFUSED",
                        "error EADDRNOTAVAIL"), line


def test_udp_to_a_public_resolver_is_refused_at_once(airlock_env):
    p = airlock_env.run("run", "--network", "--mode", "full", "--allow", "*",
                        "--", *PLAIN, *py("""
        import errno, socket, time
        for how in ("sendto", "connect"):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            t = time.monotonic()
            try:
                if how == "sendto":
                    u.sendto(b"q", ("8.8.8.8", 53))
                else:
                    u.connect(("8.8.8.8", 53))
                    u.send(b"q")
                print(how, "sent")
            except OSError as e:
                print(how, errno.errorcode[e.errno], time.monotonic() - t < 1)
        """))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["sendto", "ECONNREFUSED", "True",
                                "connect", "ECONNREFUSED", "True"]
    assert "8.8.8.8:53/udp udp_not_proxied (2x)" in p.stderr
