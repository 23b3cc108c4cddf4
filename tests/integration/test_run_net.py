"""`airlock run` network: off by default; when granted, only the embedded
proxy is reachable, and it enforces the policy. Every origin is on the
host's loopback; the sandbox can only reach it through the proxy, allowed
by its port (the sandbox's own loopback is another one)."""
import json
import subprocess

from conftest import fake_dns_env
from runutil import py, static_origin, url


def grant(*ports):
    """--network with each host loopback port allowed."""
    out = ["--network"]
    for port in ports:
        out += ["--allow", "127.0.0.1:%d" % port]
    return tuple(out)


def allow(srv):
    return grant(srv.server_address[1])


def test_net_off_curl_to_host_loopback_fails(airlock_env, tmp_path):
    with static_origin(tmp_path, body=b"secret\n") as srv:
        p = airlock_env.run("run", "--", "curl", "-sS", "-m", "5", url(srv))
    assert p.returncode != 0
    assert "secret" not in p.stdout


def test_net_off_host_loopback_is_not_the_sandboxs(airlock_env, tmp_path):
    # The sandbox's 127.0.0.1 is its own: nothing listens on the host
    # origin's port there.
    with static_origin(tmp_path, body=b"secret\n") as srv:
        host, port = srv.server_address[:2]
        p = airlock_env.run("run", "--", *py(
            "import socket, errno\n"
            "try:\n"
            "    socket.create_connection((%r, %d), timeout=5)\n"
            "except OSError as e:\n"
            "    print(errno.errorcode[e.errno])\n" % (host, port)))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "ECONNREFUSED"


def test_net_off_name_resolution_fails(airlock_env):
    p = airlock_env.run("run", "--", *py(
        "import socket\n"
        "try:\n"
        "    socket.getaddrinfo('example.com', 80)\n"
        "    print('resolved')\n"
        "except OSError:\n"
        "    print('failed')\n"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "failed"


def test_net_granted_curl_reaches_allowed_origin_through_proxy(airlock_env, tmp_path):
    with static_origin(tmp_path, body=b"hello origin\n") as srv:
        p = airlock_env.run("run", *allow(srv), "--", "curl", "-sS", "-m", "10",
                            url(srv))
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hello origin\n"
    assert "blocked" not in p.stderr


def test_net_granted_python_requests_uses_injected_proxy(airlock_env, tmp_path):
    with static_origin(tmp_path, body=b"hello requests\n") as srv:
        p = airlock_env.run("run", *allow(srv), "--", *py(
            "import requests; r = requests.get(%r, timeout=10); "
            "print(r.status_code, r.text.strip())" % url(srv)))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "200 hello requests"


def test_net_granted_client_ignoring_the_proxy_is_routed_through_it(
        airlock_env, tmp_path):
    # No proxy variables: the sandbox's rules send the connection to the
    # proxy anyway, which judges it like any request.
    with static_origin(tmp_path, body=b"secret\n") as srv:
        p = airlock_env.run("run", *allow(srv), "--", "curl", "-sS", "-m",
                            "5", "--noproxy", "*", url(srv))
        assert p.returncode == 0, p.stderr
        assert p.stdout == "secret\n"
        p = airlock_env.run("run", *allow(srv), "--", "env", "-u", "http_proxy",
                            "-u", "HTTP_PROXY", "-u", "ALL_PROXY", "-u",
                            "all_proxy", "curl", "-sS", "-m", "5", url(srv))
        assert p.returncode == 0, p.stderr
        assert p.stdout == "secret\n"


def test_net_granted_client_ignoring_the_proxy_meets_the_policy(airlock_env,
                                                                tmp_path):
    # Another port of the host's loopback is not forwarded: the sandbox's
    # own loopback answers (nothing there); a public address is judged by
    # the proxy and refused.
    with static_origin(tmp_path, body=b"secret\n") as srv:
        p = airlock_env.run("run", *grant(1), "--", *py(
            "import requests, sys\n"
            "s = requests.Session(); s.trust_env = False\n"
            "for u in (%r, 'http://192.0.2.7/'):\n"
            "    try:\n"
            "        r = s.get(u, timeout=5); print(r.status_code)\n"
            "    except requests.RequestException:\n"
            "        print('failed')\n" % url(srv)))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["failed", "403"]
    assert "192.0.2.7:80 not_allowed (1x)" in p.stderr


def test_net_granted_allowlist_miss_is_403_blocked_by_allowlist(airlock_env):
    p = airlock_env.run("run", *grant(1), "--", "curl", "-s", "-m", "10", "-D", "-",
                        "-o", "/dev/null", "http://example.com/")
    assert p.returncode == 0, p.stderr
    head = p.stdout.lower()
    assert head.startswith("http/1.1 403")
    assert "x-proxy-error: blocked-by-allowlist" in head


def test_net_granted_blocked_summary_names_host_reason_and_fix(airlock_env):
    p = airlock_env.run("run", *grant(1), "--", "sh", "-c",
                        "curl -s -m 10 -o /dev/null http://example.com/; "
                        "curl -s -m 10 -o /dev/null http://example.com/; "
                        "curl -s -m 10 -o /dev/null -X POST http://127.0.0.1:1/")
    assert p.returncode == 0, p.stderr
    assert "3 request(s) blocked" in p.stderr
    assert "example.com:80 not_allowed (2x)" in p.stderr
    assert "--allow example.com" in p.stderr
    assert "127.0.0.1:1 method_not_allowed POST (1x)" in p.stderr
    assert "refused POST: --mode full" in p.stderr


def test_net_granted_local_name_says_which_address_and_why(airlock_env):
    # The name is allowed; what it resolves to is a private address. The
    # 403 and the summary say so, and suggest the flag that helps (not the
    # --allow registry.example the user already passed).
    dns = fake_dns_env(airlock_env, [("registry.example", "10.1.2.3")])
    p = airlock_env.run("run", "--network", "--allow", "registry.example",
                        "--", "curl", "-s", "-m", "10",
                        "http://registry.example/", env=dns)
    assert p.returncode == 0, p.stderr
    detail = ("registry.example resolved to 10.1.2.3, a private address: "
              "allow it with --allow 10.1.2.3")
    body = json.loads(p.stdout)
    assert body["reason"] == "not_allowed_local"
    assert body["message"] == ("Sandbox policy blocks local/private network "
                               "addresses.")
    assert body["detail"] == detail
    assert ("registry.example:80 not_allowed_local (1x): " + detail
            in p.stderr)


def test_net_granted_summary_names_the_port_interception_skips(airlock_env):
    # Interception covers port 443 only; a tunnel elsewhere is refused and
    # the summary says which port and why.
    p = airlock_env.run("run", *grant(8443), "--", "sh", "-c",
                        "curl -s -m 10 -o /dev/null -x \"$HTTPS_PROXY\" "
                        "--noproxy '' https://127.0.0.1:8443/; true")
    assert p.returncode == 0, p.stderr
    assert ("127.0.0.1:8443 mitm_required (1x): limited mode intercepts "
            "HTTPS on port 443 only, and refused a tunnel to port 8443: "
            "--mode full") in p.stderr


def test_net_granted_no_summary_when_nothing_was_blocked(airlock_env):
    p = airlock_env.run("run", *grant(1), "--", "true")
    assert p.returncode == 0
    assert "blocked" not in p.stderr


def test_net_granted_socks5_through_all_proxy(airlock_env, tmp_path):
    with static_origin(tmp_path, body=b"hello socks\n") as srv:
        p = airlock_env.run(
            "run", *allow(srv), "--mode", "full",
            "-c", "permissions.network.enable_socks5=true", "--",
            "sh", "-c", 'echo "$ALL_PROXY"; unset http_proxy HTTP_PROXY; '
            "curl -sS -m 10 " + url(srv))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "socks5h://127.0.0.1:43130"
    assert lines[1] == "hello socks"


def test_net_granted_git_clone_over_http(airlock_env, tmp_path):
    src = tmp_path / "src"
    srv_dir = tmp_path / "srv"
    srv_dir.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c",
           "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(src)], check=True)
    (src / "README").write_text("cloned through the proxy\n")
    subprocess.run([*git, "-C", str(src), "add", "README"], check=True)
    subprocess.run([*git, "-C", str(src), "commit", "-qm", "one"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(src),
                    str(srv_dir / "repo.git")], check=True)
    subprocess.run(["git", "-C", str(srv_dir / "repo.git"), "update-server-info"],
                   check=True)
    with static_origin(srv_dir) as srv:
        p = airlock_env.run("run", *allow(srv), "--", "sh", "-c",
                            "git clone -q %s out && cat out/README"
                            % url(srv, "/repo.git"), timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "cloned through the proxy\n"


def test_net_granted_deny_flag_wins_over_allow(airlock_env, tmp_path):
    with static_origin(tmp_path, body=b"secret\n") as srv:
        p = airlock_env.run("run", *allow(srv), "--deny", "127.0.0.1", "--",
                            "curl", "-s", "-m", "10", "-o", "/dev/null",
                            "-w", "%{http_code}", url(srv))
    assert p.stdout == "403"
    assert "denied" in p.stderr


# --- the proxy's config is the run's -------------------------------------------
# The embedded proxy of the first sandbox takes the config `airlock run`
# loaded rather than reading the layers again: every layer, -c override and
# requirement must still reach its policy.

def code_of(env, srv, *args):
    p = env.run("run", "--network", *args, "--", "curl", "-s", "-m", "10",
                "-o", "/dev/null", "-w", "%{http_code}", url(srv))
    return p.stdout, p.stderr


def test_net_granted_c_overrides_reach_the_proxy(airlock_env, tmp_path):
    with static_origin(tmp_path, body=b"hi\n") as srv:
        entry = '["127.0.0.1:%d"]' % srv.server_address[1]
        allow_c = "permissions.network.allowed_domains=" + entry
        out, err = code_of(airlock_env, srv, "-c", allow_c)
        assert out == "200", err
        out, err = code_of(airlock_env, srv, "-c", allow_c, "-c",
                           "permissions.network.denied_domains=" + entry)
        assert out == "403" and "denied" in err, err
        # full mode from -c: a POST passes; limited mode refuses it.
        for mode, want in (("full", "501"), ("limited", "403")):
            p = airlock_env.run(
                "run", "--network", "-c", allow_c, "-c",
                'permissions.network.mode="%s"' % mode, "--", "curl", "-s",
                "-m", "10", "-o", "/dev/null", "-w", "%{http_code}",
                "-X", "POST", url(srv))
            assert p.stdout == want, (mode, p.stdout, p.stderr)


def test_net_granted_user_config_and_requirements_reach_the_proxy(
        airlock_env, tmp_path):
    with static_origin(tmp_path, body=b"hi\n") as srv:
        entry = '"127.0.0.1:%d"' % srv.server_address[1]
        airlock_env.write("home/config.toml",
                          "[permissions.network]\nallowed_domains = [%s]\n"
                          % entry)
        out, err = code_of(airlock_env, srv)
        assert out == "200", err
        airlock_env.write("system/requirements.toml",
                          "[permissions.network]\ndenied_domains = [%s]\n"
                          % entry)
        out, err = code_of(airlock_env, srv)
        assert out == "403" and "denied" in err, err
