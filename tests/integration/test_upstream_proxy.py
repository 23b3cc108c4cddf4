"""`airlock proxy` chained through a real upstream proxy.

The managed proxy applies its policy first and only then takes the
upstream hop: tinyproxy for HTTP (CONNECT and
absolute-form), microsocks for SOCKS5. Proof that a request really went
through the upstream: tinyproxy adds a `Via` header to what it forwards,
and with the upstream pointed at a dead port the same request fails with a
502 naming the upstream. Everything is on 127.0.0.1, every wait bounded.
"""
import subprocess

from proxyutil import free_tcp_port, origin_server, start_proxy
from test_upstream import microsocks, tinyproxy


def config(upstream, allowed=('"127.0.0.1"',), denied=(), no_proxy=(),
           socks=False):
    return "\n".join([
        "[permissions.network]",
        'mode = "full"',
        'proxy_url = "http://127.0.0.1:0"',
        'admin_url = "http://127.0.0.1:0"',
        f"enable_socks5 = {'true' if socks else 'false'}",
        'socks_url = "http://127.0.0.1:0"',
        "allow_upstream_proxy = true",
        f"allowed_domains = [{', '.join(allowed)}]",
        f"denied_domains = [{', '.join(denied)}]",
        "[network]",
        f'proxy = "{upstream}"',
        f"no_proxy = [{', '.join(no_proxy)}]",
    ]) + "\n"


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "15", "--noproxy", "",
                           *args], capture_output=True, timeout=30)


def proxy_arg(p):
    return "http://%s:%d" % p.http


def test_plain_http_goes_through_the_http_upstream(airlock_env, tmp_path):
    with origin_server() as o, tinyproxy(tmp_path, o.port) as up:
        p = start_proxy(airlock_env, config(f"http://127.0.0.1:{up}"))
        r = curl("-x", proxy_arg(p), o.url("/via"))
        p.stop()
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"hello from origin\n"
        _, path, headers, _ = o.requests[0]
        assert path == "/via"
        assert "tinyproxy" in headers.get("Via", "")


def test_connect_goes_through_the_http_upstream(airlock_env, tmp_path):
    with origin_server() as o, tinyproxy(tmp_path, o.port) as up:
        p = start_proxy(airlock_env, config(f"http://127.0.0.1:{up}"))
        r = curl("-p", "-x", proxy_arg(p), o.url("/tunnel"))
        p.stop()
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"hello from origin\n"
        # Through a tunnel tinyproxy cannot touch the request.
        assert "Via" not in o.requests[0][2]


def test_dead_upstream_is_a_502_naming_it(airlock_env):
    dead = free_tcp_port()
    with origin_server() as o:
        p = start_proxy(airlock_env, config(f"http://127.0.0.1:{dead}"))
        r = curl("-i", "-x", proxy_arg(p), o.url("/"))
        p.stop()
        assert b" 502 " in r.stdout.split(b"\r\n", 1)[0]
        assert f"127.0.0.1:{dead}".encode() in r.stdout
        assert o.count == 0


def test_policy_applies_before_the_upstream_hop(airlock_env):
    # The upstream is dead: a 403 (not a 502) proves the decision came
    # first and the upstream was never asked.
    dead = free_tcp_port()
    p = start_proxy(airlock_env, config(f"http://127.0.0.1:{dead}",
                                        denied=('"127.0.0.1"',)))
    r = curl("-i", "-x", proxy_arg(p), "http://127.0.0.1:9/")
    p.stop()
    head = r.stdout.split(b"\r\n\r\n", 1)[0]
    assert b" 403 " in head.split(b"\r\n", 1)[0]
    assert b"x-proxy-error: blocked-by-denylist" in head


def test_no_proxy_goes_direct(airlock_env):
    dead = free_tcp_port()
    with origin_server() as o:
        p = start_proxy(airlock_env, config(f"http://127.0.0.1:{dead}",
                                            no_proxy=('"127.0.0.1"',)))
        r = curl("-x", proxy_arg(p), o.url("/direct"))
        p.stop()
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"hello from origin\n"


def test_socks5_connect_goes_through_the_socks_upstream(airlock_env):
    with origin_server() as o, microsocks() as up:
        p = start_proxy(airlock_env,
                        config(f"socks5h://127.0.0.1:{up}", socks=True))
        r = curl("--socks5-hostname", "%s:%d" % p.socks, o.url("/s"))
        p.stop()
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"hello from origin\n"


def test_socks5_connect_with_dead_upstream_fails(airlock_env):
    dead = free_tcp_port()
    with origin_server() as o:
        p = start_proxy(airlock_env,
                        config(f"socks5://127.0.0.1:{dead}", socks=True))
        r = curl("--socks5", "%s:%d" % p.socks, o.url("/s"))
        p.stop()
        assert r.returncode != 0
        assert o.count == 0


def test_upstream_credentials_are_sent(airlock_env, tmp_path):
    with origin_server() as o, \
            tinyproxy(tmp_path, o.port, auth=("alice", "s3cret")) as up:
        good = start_proxy(airlock_env,
                           config(f"http://alice:s3cret@127.0.0.1:{up}"))
        r = curl("-x", proxy_arg(good), o.url("/auth"))
        good.stop()
        assert r.stdout == b"hello from origin\n"
        assert "s3cret" not in good.stderr()


# --- the default, and saying so when the upstream is not used ------------------------

def without_allow_line(text, value=None):
    """config() without its allow_upstream_proxy line, or with value."""
    line = "allow_upstream_proxy = true"
    return text.replace(line, "" if value is None else
                        f"allow_upstream_proxy = {value}")


def test_configured_upstream_is_used_by_default(airlock_env, tmp_path):
    with origin_server() as o, tinyproxy(tmp_path, o.port) as up:
        p = start_proxy(airlock_env, without_allow_line(
            config(f"http://127.0.0.1:{up}")))
        r = curl("-x", proxy_arg(p), o.url("/default"))
        p.stop()
        assert r.returncode == 0, r.stderr
        assert "tinyproxy" in o.requests[0][2].get("Via", "")
        assert "not used" not in p.stderr()


def test_environment_upstream_is_used_by_default(airlock_env, tmp_path):
    with origin_server() as o, tinyproxy(tmp_path, o.port) as up:
        p = start_proxy(airlock_env, without_allow_line(config("")),
                        extra_env={"HTTP_PROXY": f"http://127.0.0.1:{up}"})
        r = curl("-x", proxy_arg(p), o.url("/env"))
        p.stop()
        assert r.returncode == 0, r.stderr
        assert "tinyproxy" in o.requests[0][2].get("Via", "")


def test_disallowed_upstream_is_named_once_at_start(airlock_env, tmp_path):
    with origin_server() as o, tinyproxy(tmp_path, o.port) as up:
        p = start_proxy(airlock_env, without_allow_line(
            config(f"http://user:pw@127.0.0.1:{up}"), "false"))
        r = curl("-x", proxy_arg(p), o.url("/direct"))
        r2 = curl("-x", proxy_arg(p), o.url("/direct"))
        p.stop()
        assert r.returncode == 0 and r2.returncode == 0, r.stderr
        assert all("Via" not in req[2] for req in o.requests)
        err = p.stderr()
        assert err.count("the upstream proxy in network.proxy is not used: "
                         "permissions.network.allow_upstream_proxy is false"
                         ) == 1, err
        assert "pw" not in err


def test_requirement_pin_leaves_environment_upstream_unused(airlock_env,
                                                            tmp_path):
    airlock_env.write("system/requirements.toml",
                      "[permissions.network]\nallow_upstream_proxy = false\n")
    with origin_server() as o:
        p = start_proxy(airlock_env, without_allow_line(config("")),
                        extra_env={"HTTPS_PROXY": "http://127.0.0.1:9"})
        r = curl("-x", proxy_arg(p), o.url("/direct"))
        p.stop()
        assert r.returncode == 0, r.stderr
        assert "the upstream proxy in HTTPS_PROXY is not used" in p.stderr()
