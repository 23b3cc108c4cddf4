"""`airlock run` in limited mode with network granted: HTTPS is intercepted
and the sandboxed command trusts the interception CA through the injected
CA variables (doc/mitm.md), with no flag of its own.

The origin is test_mitm's: a TLS server on port 443 of a 127.77.x.y
address, with a certificate from a test CA that the proxy trusts through
extra_ca_certificates; the name resolves through the fake resolver.
"""
import textwrap

from httputil import sanitizer_env
from proxyutil import nss_hosts
from test_mitm import NAME, Pki, fresh_ip, https_origin


def prepare(env, tmp_path):
    pki = Pki(tmp_path)
    ip = fresh_ip()
    (env.home / "config.toml").write_text(textwrap.dedent(f"""
        [permissions.network]
        allow_local_binding = true
        extra_ca_certificates = ["{pki.ca}"]
        """))
    return pki, ip


def run(env, ip, *cmd):
    e = dict(nss_hosts(env, {NAME: ip}), **sanitizer_env())
    return env.run("run", "--network", "--allow", NAME, "--", *cmd, env=e,
                   timeout=60)


def test_sandboxed_curl_trusts_the_interception_ca(airlock_env, tmp_path):
    pki, ip = prepare(airlock_env, tmp_path)
    cert, key = pki.leaf("good")
    with https_origin(ip, cert, key) as o:
        r = run(airlock_env, ip, "curl", "-sS", "-m", "10",
                "https://%s/hello" % NAME)
        assert r.returncode == 0, r.stderr
        assert o.count == 1
    # The bundle the child was pointed at holds our CA.
    bundle = airlock_env.home / "proxy" / "ca-bundle.pem"
    ca = (airlock_env.home / "proxy" / "ca.pem").read_text().strip()
    assert ca in bundle.read_text()


def test_sandboxed_post_over_https_is_blocked_by_method_policy(airlock_env,
                                                               tmp_path):
    pki, ip = prepare(airlock_env, tmp_path)
    cert, key = pki.leaf("good")
    with https_origin(ip, cert, key) as o:
        r = run(airlock_env, ip, "curl", "-sS", "-m", "10", "-o", "/dev/null",
                "-w", "%{http_code}", "-X", "POST", "-d", "x=1",
                "https://%s/hello" % NAME)
        assert r.stdout.strip() == "403"
        assert o.count == 0
    assert "method_not_allowed" in r.stderr


def test_sandboxed_python_requests_uses_the_injected_bundle(airlock_env,
                                                            tmp_path):
    pki, ip = prepare(airlock_env, tmp_path)
    cert, key = pki.leaf("good")
    code = ("import requests; r = requests.get('https://%s/hello', "
            "timeout=10); print(r.status_code)" % NAME)
    with https_origin(ip, cert, key):
        r = run(airlock_env, ip, "/usr/bin/python3", "-c", code)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "200"


def test_full_mode_sets_no_interception_ca(airlock_env, tmp_path):
    prepare(airlock_env, tmp_path)
    r = airlock_env.run("run", "--network", "--mode", "full", "--", "sh", "-c",
                        'echo "[$AIRLOCK_CA_CERTIFICATE]"')
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
    assert not (airlock_env.home / "proxy").exists()


def test_first_run_creates_the_home_and_the_ca(airlock_env, tmp_path):
    # A fresh machine has no ~/.airlock: granting network in limited mode
    # must create it (0700) rather than refuse to run.
    home = tmp_path / "fresh" / "home"
    r = airlock_env.run("run", "--network", "--", "true",
                        env={"AIRLOCK_HOME": str(home)})
    assert r.returncode == 0, r.stderr
    assert (home / "proxy" / "ca.pem").is_file()
    assert (home.stat().st_mode & 0o777) == 0o700


def test_ca_path_creates_a_missing_home(airlock_env, tmp_path):
    home = tmp_path / "other" / "home"
    r = airlock_env.run("ca", "path", env={"AIRLOCK_HOME": str(home)})
    assert r.returncode == 0, r.stderr
    assert (home / "proxy" / "ca.pem").is_file()


def test_ca_line_is_said_when_created_then_only_with_v(airlock_env,
                                                       tmp_path):
    pki, ip = prepare(airlock_env, tmp_path)
    cert, key = pki.leaf("good")
    get = ("curl", "-sS", "-m", "10", "-o", "/dev/null",
           "https://%s/hello" % NAME)
    with https_origin(ip, cert, key) as o:
        first = run(airlock_env, ip, *get)
        second = run(airlock_env, ip, *get)
        e = dict(nss_hosts(airlock_env, {NAME: ip}), **sanitizer_env())
        verbose = airlock_env.run("run", "-v", "--network", "--allow", NAME,
                                  "--", *get, env=e, timeout=60)
        assert o.count == 3
    ca = airlock_env.home / "proxy" / "ca.pem"
    for r in (first, second, verbose):
        assert r.returncode == 0, r.stderr
    assert first.stderr.count("airlock: mitm: created the interception CA "
                              f"{ca}\n") == 1, first.stderr
    assert "mitm:" not in second.stderr, second.stderr
    assert f"airlock: mitm: CA {ca}, trust bundle " in verbose.stderr
