"""`airlock run` in limited mode: git over smart HTTP. A fetch or clone is
read-only but POSTs to `.../git-upload-pack`; limited mode lets exactly
that POST through (permissions.network.limited_allow_git_fetch, on by
default) and refuses the push's `.../git-receive-pack`.

The server is real: `git http-backend` behind a small HTTP server on the
host's loopback (gitutil.py), plain or with TLS on port 443 of a
127.77.x.y address, which the proxy then intercepts. The sandboxed git
reaches it only through the embedded proxy; the name resolves through
the fake resolver."""
import urllib.parse
import textwrap

from conftest import fake_dns_env
from gitutil import GIT_ENV, git_server, make_repo, posts
from httputil import sanitizer_env
from test_mitm import NAME as TLS_NAME, Pki, fresh_ip

NAME = "git.airlock.test"

CLONE_AND_FETCH = """
set -e
git clone -q --single-branch -b main "$URL" r
git -C r fetch -q origin feature
git -C r rev-parse FETCH_HEAD
"""

CLONE_AND_PUSH = """
git clone -q "$URL" r || exit 3
cd r && echo x > new && git add new && git commit -q -m new || exit 4
GIT_TRACE_CURL=1 git push -q origin main 2> push.err
rc=$?
grep -i 'x-proxy-error' push.err
exit $rc
"""


def run(env, name, ip, script, url, *flags):
    e = dict(fake_dns_env(env, [(name, ip)]), **sanitizer_env())
    e.update(GIT_ENV)
    e["URL"] = url
    # The name resolves to the host's loopback: its port must be allowed
    # too (inside the sandbox the loopback is the command's own).
    port = urllib.parse.urlsplit(url).port or 443
    return env.run("run", "--network", "--allow", name, "--allow",
                   "%s:%d" % (ip, port), *flags,
                   "--", "sh", "-c", script, env=e, timeout=120)


def plain(airlock_env, tmp_path, script, *flags):
    """Runs script against a plain-HTTP server; (result, server, commits)."""
    commits = make_repo(tmp_path)
    with git_server(tmp_path) as srv:
        url = "http://%s:%d/repo.git" % (NAME, srv.server_address[1])
        p = run(airlock_env, NAME, "127.0.0.1", script, url, *flags)
    return p, srv, commits


def test_limited_mode_clones_and_fetches_over_http(airlock_env, tmp_path):
    p, srv, commits = plain(airlock_env, tmp_path, CLONE_AND_FETCH)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == commits["feature"]
    # The clone and the fetch each POSTed to git-upload-pack.
    assert len(posts(srv, "git-upload-pack")) >= 2
    assert "blocked" not in p.stderr


def test_limited_mode_refuses_a_push_over_http(airlock_env, tmp_path):
    p, srv, _ = plain(airlock_env, tmp_path, CLONE_AND_PUSH)
    assert p.returncode not in (0, 3, 4), p.stderr
    assert "x-proxy-error: blocked-by-method-policy" in p.stdout.lower()
    assert posts(srv, "git-receive-pack") == []
    assert "method_not_allowed POST" in p.stderr


def test_full_mode_push_reaches_the_server(airlock_env, tmp_path):
    # The server does take pushes: in limited mode only airlock stops them.
    p, srv, _ = plain(airlock_env, tmp_path, CLONE_AND_PUSH, "--mode", "full")
    assert p.returncode == 0, p.stderr
    assert len(posts(srv, "git-receive-pack")) == 1


def test_git_fetch_switched_off_refuses_the_clone(airlock_env, tmp_path):
    p, srv, _ = plain(airlock_env, tmp_path, CLONE_AND_FETCH, "-c",
                      "permissions.network.limited_allow_git_fetch=false")
    assert p.returncode != 0
    assert posts(srv, "git-upload-pack") == []
    assert "method_not_allowed POST" in p.stderr


def test_requirement_pins_git_fetch_off(airlock_env, tmp_path):
    (airlock_env.system / "requirements.toml").write_text(textwrap.dedent("""
        [permissions.network]
        limited_allow_git_fetch = false
        """))
    (airlock_env.home / "config.toml").write_text(textwrap.dedent("""
        [permissions.network]
        limited_allow_git_fetch = true
        """))
    p, srv, _ = plain(airlock_env, tmp_path, CLONE_AND_FETCH)
    assert p.returncode != 0
    # git ran and asked (a GET), and its POST was refused.
    assert srv.requests != []
    assert posts(srv, "git-upload-pack") == []
    assert "method_not_allowed POST" in p.stderr
    assert ("Configured value for `permissions.network.limited_allow_git_fetch`"
            " is disallowed by requirements") in p.stderr


# --- intercepted HTTPS ---------------------------------------------------------

def https(airlock_env, tmp_path, script):
    pki = Pki(tmp_path)
    ip = fresh_ip()
    cert, key = pki.leaf("git", name=TLS_NAME)
    (airlock_env.home / "config.toml").write_text(textwrap.dedent(f"""
        [permissions.network]
        extra_ca_certificates = ["{pki.ca}"]
        """))
    repos = tmp_path / "repos"
    repos.mkdir()
    commits = make_repo(repos)
    with git_server(repos, ip, 443, cert, key) as srv:
        p = run(airlock_env, TLS_NAME, ip, script,
                "https://%s/repo.git" % TLS_NAME)
    return p, srv, commits


def test_limited_mode_clones_and_fetches_over_intercepted_https(airlock_env,
                                                                 tmp_path):
    p, srv, commits = https(airlock_env, tmp_path, CLONE_AND_FETCH)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == commits["feature"]
    assert len(posts(srv, "git-upload-pack")) >= 2


def test_limited_mode_refuses_a_push_over_intercepted_https(airlock_env,
                                                             tmp_path):
    p, srv, _ = https(airlock_env, tmp_path, CLONE_AND_PUSH)
    assert p.returncode not in (0, 3, 4), p.stderr
    assert "x-proxy-error: blocked-by-method-policy" in p.stdout.lower()
    assert posts(srv, "git-receive-pack") == []
