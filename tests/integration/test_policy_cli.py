"""`airlock policy check`: one decision, printed as DESIGN §4.5's JSON.

Host names are resolved through tests/integration/fakedns.c with a hosts
file the test writes: no test depends on real DNS, and no query is sent.
"""
import json

import pytest

from conftest import fake_dns_env
KEYS = ["decision", "reason", "host", "port", "protocol", "method", "source", "matched",
        "addresses"]


def check(env, *args, hosts=None):
    # Every check resolves through the fake resolver, so a test that
    # forgets --no-dns still cannot send a DNS query.
    extra = fake_dns_env(env, hosts or [])
    r = env.run("policy", "check", *args, env=extra)
    out = json.loads(r.stdout) if r.stdout.strip() else None
    return r, out


def allow(*patterns):
    return "-c", "permissions.network.allowed_domains=" + json.dumps(list(patterns))


def deny(*patterns):
    return "-c", "permissions.network.denied_domains=" + json.dumps(list(patterns))


FULL = ("-c", 'permissions.network.mode="full"')


def test_default_policy_denies_everything(airlock_env):
    r, out = check(airlock_env, "--no-dns", "-c", 'approval_policy="never"',
                   "https://pypi.org/simple/")
    assert r.returncode == 1
    assert list(out) == KEYS
    assert out == {
        "decision": "deny", "reason": "not_allowed", "host": "pypi.org",
        "port": 443, "protocol": "https_connect", "method": "CONNECT",
        "source": "baseline_policy", "matched": None, "addresses": [],
    }
    # Under the default approval policy (on-request) a person may be
    # asked about the miss: "ask", still refused without an answer.
    r, out = check(airlock_env, "--no-dns", "https://pypi.org/simple/")
    assert (r.returncode, out["decision"], out["reason"]) == (1, "ask", "not_allowed")


def test_output_is_byte_exact(airlock_env):
    r = airlock_env.run("policy", "check", "--no-dns", *allow("example.com"), *FULL,
                        "http://Example.COM./x")
    assert r.returncode == 0
    assert r.stdout == (
        '{"decision":"allow","reason":"allow","host":"example.com","port":80,'
        '"protocol":"http","method":"GET","source":"baseline_policy",'
        '"matched":"example.com","addresses":[]}\n')


def test_allowed_name_resolving_to_public_address_is_allowed(airlock_env):
    r, out = check(airlock_env, *allow("pkg.example.org"), *FULL, "pkg.example.org",
                   hosts=[("pkg.example.org", "93.184.216.34")])
    assert (r.returncode, out["decision"], out["matched"]) == (0, "allow", "pkg.example.org")


def test_allowed_name_resolving_to_private_address_is_local(airlock_env):
    r, out = check(airlock_env, *allow("intranet.example.org"), *FULL, "intranet.example.org",
                   hosts=[("intranet.example.org", "10.0.0.5")])
    assert r.returncode == 1
    assert out["reason"] == "not_allowed_local"
    assert list(out) == KEYS + ["detail"]
    assert out["addresses"] == ["10.0.0.5"]
    # It names the address and why it is local, and the flag that helps:
    # the name itself is already allowed.
    assert out["detail"] == ("intranet.example.org resolved to 10.0.0.5, a private "
                             "address: allow it with --allow 10.0.0.5")


def test_the_suggested_allow_entry_lets_the_name_through(airlock_env):
    hosts = [("registry.example", "10.1.2.3")]
    r, out = check(airlock_env, *allow("registry.example"), *FULL, "registry.example",
                   hosts=hosts)
    assert "--allow 10.1.2.3" in out["detail"]
    r, out = check(airlock_env, *allow("registry.example", "10.1.2.3"), *FULL,
                   "registry.example", hosts=hosts)
    assert (r.returncode, out["decision"], out["addresses"]) == (0, "allow", ["10.1.2.3"])
    assert "detail" not in out


def test_local_detail_names_every_local_address_and_its_kind(airlock_env):
    r, out = check(airlock_env, *allow("meta.example"), *FULL, "meta.example",
                   hosts=[("meta.example", "93.184.216.34"),
                          ("meta.example", "169.254.169.254"),
                          ("meta.example", "100.64.0.7")])
    assert out["addresses"] == ["93.184.216.34", "169.254.169.254", "100.64.0.7"]
    assert out["detail"] == (
        "meta.example resolved to 169.254.169.254, the cloud metadata address "
        "(link-local), and 100.64.0.7, a CGNAT address: allow them with "
        "--allow 169.254.169.254 --allow 100.64.0.7")


def test_one_private_address_among_public_ones_blocks(airlock_env):
    r, out = check(airlock_env, *allow("mixed.example.org"), *FULL, "mixed.example.org",
                   hosts=[("mixed.example.org", "93.184.216.34"),
                          ("mixed.example.org", "127.0.0.1")])
    assert (r.returncode, out["reason"]) == (1, "not_allowed_local")


def test_ipv6_answer_embedding_private_ipv4_is_local(airlock_env):
    r, out = check(airlock_env, *allow("v6.example.org"), *FULL, "v6.example.org",
                   hosts=[("v6.example.org", "64:ff9b::a00:1")])
    assert (r.returncode, out["reason"]) == (1, "not_allowed_local")


def test_allow_local_binding_lets_private_answers_through(airlock_env):
    r, out = check(airlock_env, *allow("intranet.example.org"), *FULL,
                   "-c", "permissions.network.allow_local_binding=true",
                   "intranet.example.org", hosts=[("intranet.example.org", "10.0.0.5")])
    assert (r.returncode, out["decision"]) == (0, "allow")


def test_deny_cidr_applies_to_resolved_addresses(airlock_env):
    r, out = check(airlock_env, *allow("**.corp.example"), *deny("10.0.0.0/8"), *FULL,
                   "-c", "permissions.network.allow_local_binding=true",
                   "db.corp.example", hosts=[("db.corp.example", "10.9.8.7")])
    assert (r.returncode, out["reason"], out["matched"]) == (1, "denied", "10.0.0.0/8")


def test_unresolvable_allowed_host_fails_without_a_decision(airlock_env):
    r, out = check(airlock_env, *allow("nowhere.invalid"), *FULL, "nowhere.invalid",
                   hosts=[("elsewhere.example", "93.184.216.34")])
    assert r.returncode == 1
    assert out is None
    assert "could not resolve host nowhere.invalid" in r.stderr


def test_denied_host_is_never_resolved(airlock_env):
    # The hosts file would make this name local; deny must win before DNS.
    r, out = check(airlock_env, *allow("*"), *deny("bad.example"), *FULL, "bad.example",
                   hosts=[("bad.example", "10.0.0.1")])
    assert (out["reason"], out["matched"]) == ("denied", "bad.example")


@pytest.mark.parametrize("target", ["http://2130706433/", "http://0x7f.1/", "http://127.1/",
                                    "http://0177.0.0.1/", "http://[::ffff:127.0.0.1]/"])
def test_legacy_ipv4_spellings_hit_an_ip_deny(airlock_env, target):
    r, out = check(airlock_env, "--no-dns", *allow("*"), *deny("127.0.0.1"), *FULL, target)
    assert (r.returncode, out["reason"], out["host"]) == (1, "denied", "127.0.0.1")


@pytest.mark.parametrize("target", ["http://2130706433/", "http://10.1/", "http://[::ffff:10.0.0.1]/",
                                    "http://[fe80::1%25lo]/", "http://169.254.169.254/"])
def test_private_literals_are_local_under_a_global_allow(airlock_env, target):
    r, out = check(airlock_env, "--no-dns", *allow("*"), *FULL, target)
    assert (r.returncode, out["reason"]) == (1, "not_allowed_local")


def test_explicitly_allowlisted_loopback_literal_is_allowed(airlock_env):
    r, out = check(airlock_env, "--no-dns", *allow("127.0.0.1"), *FULL, "http://127.0.0.1:8080/")
    assert (r.returncode, out["port"]) == (0, 8080)


def test_authority_confusion_is_refused(airlock_env):
    r, out = check(airlock_env, "--no-dns", *allow("allowed.com"), *FULL,
                   "http://evil.com:443.allowed.com/")
    assert r.returncode != 0
    assert out is None or out["decision"] == "deny"


def test_suffix_trick_does_not_match_wildcard(airlock_env):
    r, out = check(airlock_env, "--no-dns", *allow("*.example.com"), *FULL, "foo-example.com")
    assert (r.returncode, out["reason"]) == (1, "not_allowed")


def test_star_dot_does_not_match_apex_but_double_star_does(airlock_env):
    _, out = check(airlock_env, "--no-dns", *allow("*.example.com"), *FULL, "example.com")
    assert out["reason"] == "not_allowed"
    _, out = check(airlock_env, "--no-dns", *allow("**.example.com"), *FULL, "example.com")
    assert out["decision"] == "allow"


def test_port_scoped_pattern_matches_only_its_port(airlock_env):
    args = ("--no-dns", *allow("example.com:8443"), *FULL)
    assert check(airlock_env, *args, "example.com:8443")[1]["decision"] == "allow"
    assert check(airlock_env, *args, "example.com:443")[1]["reason"] == "not_allowed"


def test_limited_mode_blocks_unsafe_methods(airlock_env):
    r, out = check(airlock_env, "--no-dns", *allow("example.com"), "--method", "POST",
                   "http://example.com/")
    assert (r.returncode, out["reason"], out["source"]) == (1, "method_not_allowed", "mode_guard")
    r, out = check(airlock_env, "--no-dns", *allow("example.com"), "--method", "HEAD",
                   "http://example.com/")
    assert r.returncode == 0


def test_limited_mode_needs_mitm_for_connect(airlock_env):
    # Port 443 is intercepted; interception cannot serve other ports.
    r, out = check(airlock_env, "--no-dns", *allow("example.com"), "example.com:8443")
    assert (out["reason"], out["source"]) == ("mitm_required", "mode_guard")
    r, out = check(airlock_env, "--no-dns", *allow("example.com"), "example.com:443")
    assert (r.returncode, out["reason"]) == (0, "allow")


def test_limited_mode_refuses_socks_udp(airlock_env):
    r, out = check(airlock_env, "--no-dns", *allow("example.com"), "--protocol", "socks5_udp",
                   "example.com:53")
    assert (out["protocol"], out["reason"], out["method"]) == ("socks5_udp", "method_not_allowed", None)


def test_preset_common_dependencies_allows_registries(airlock_env):
    args = ("--no-dns", "-c", 'permissions.network.preset="common-dependencies"', *FULL)
    for host in ("registry.npmjs.org", "pypi.org", "files.pythonhosted.org", "crates.io",
                 "proxy.golang.org", "rubygems.org", "repo1.maven.org", "github.com"):
        r, out = check(airlock_env, *args, host)
        assert out["decision"] == "allow", host
    assert check(airlock_env, *args, "pastebin.com")[1]["reason"] == "not_allowed"


def test_bad_pattern_in_config_file_names_file_and_line(airlock_env):
    airlock_env.write("home/config.toml",
                      '[permissions.network]\nallowed_domains = [\n  "ok.example",\n  "*.*",\n]\n')
    r = airlock_env.run("policy", "check", "--no-dns", "example.com")
    assert r.returncode == 2
    path = airlock_env.home / "config.toml"
    assert f"{path}:4: permissions.network.allowed_domains[1]: " in r.stderr
    assert '"*.*"' in r.stderr


def test_global_wildcard_in_denylist_is_refused(airlock_env):
    r = airlock_env.run("policy", "check", "--no-dns", *deny("*"), "example.com")
    assert r.returncode == 2
    assert 'unsupported global wildcard domain pattern "*"' in r.stderr


def test_every_bad_pattern_is_reported(airlock_env):
    r = airlock_env.run("policy", "check", "--no-dns", *allow("*.*", "a..b", "x.com:99999"),
                        "example.com")
    assert r.returncode == 2
    assert len([l for l in r.stderr.splitlines() if "allowed_domains[" in l]) == 3


def requirements(env, text):
    env.write("system/requirements.toml", text)


def test_managed_allowlist_drops_uncovered_user_entries(airlock_env):
    requirements(airlock_env, '[permissions.network]\nallowed_domains = ["*.corp.example"]\n')
    args = ("--no-dns", *allow("api.corp.example", "evil.example"), *FULL)
    r, out = check(airlock_env, *args, "evil.example")
    assert out["reason"] == "not_allowed"
    assert '"evil.example" is disallowed by requirements' in r.stderr
    assert "requirements.toml:2" in r.stderr
    r, out = check(airlock_env, *args, "api.corp.example")
    assert out["decision"] == "allow"


def test_allowlist_expansion_keeps_user_entries(airlock_env):
    requirements(airlock_env, '[permissions.network]\nallowed_domains = ["*.corp.example"]\n'
                              'allowlist_expansion = true\n')
    r, out = check(airlock_env, "--no-dns", *allow("evil.example"), *FULL, "evil.example")
    assert out["decision"] == "allow"


def test_managed_only_ignores_user_entries_and_presets(airlock_env):
    requirements(airlock_env, '[permissions.network]\nallowed_domains = ["pypi.org"]\n'
                              'managed_allowed_domains_only = true\n')
    args = ("--no-dns", "-c", 'permissions.network.preset="all"', *allow("*"), *FULL)
    assert check(airlock_env, *args, "example.com")[1]["reason"] == "not_allowed"
    assert check(airlock_env, *args, "pypi.org")[1]["decision"] == "allow"


def test_managed_denylist_always_applies(airlock_env):
    requirements(airlock_env, '[permissions.network]\ndenied_domains = ["pastebin.com"]\n')
    r, out = check(airlock_env, "--no-dns", *allow("*"), *FULL, "pastebin.com")
    assert (out["reason"], out["matched"]) == ("denied", "pastebin.com")


def test_managed_global_wildcard_is_refused(airlock_env):
    requirements(airlock_env, '[permissions.network]\nallowed_domains = ["*"]\n')
    r = airlock_env.run("policy", "check", "--no-dns", "example.com")
    assert r.returncode == 2
    assert "requirements.toml:2" in r.stderr


def test_requirement_mode_maximum_applies_to_decisions(airlock_env):
    requirements(airlock_env, '[permissions.network]\nmode = "limited"\n')
    r, out = check(airlock_env, "--no-dns", *allow("example.com"), *FULL, "--method", "POST",
                   "http://example.com/")
    assert out["reason"] == "method_not_allowed"
    assert "falling back" in r.stderr


@pytest.mark.parametrize("args,msg", [
    ((), "missing TARGET"),
    (("--bogus", "x"), "unknown option --bogus"),
    (("--protocol", "ftp", "x"), "--protocol ftp"),
    (("gopher://x/",), "unsupported scheme"),
])
def test_usage_errors_exit_2(airlock_env, args, msg):
    r = airlock_env.run("policy", "check", *args)
    assert r.returncode == 2
    assert msg in r.stderr


@pytest.mark.parametrize("path,ctype,reason", [
    ("/r.git/git-upload-pack", "application/x-git-upload-pack-request", "allow"),
    ("/r.git/git-receive-pack", "application/x-git-receive-pack-request",
     "method_not_allowed"),
    ("/r.git/git-upload-pack", "text/plain", "method_not_allowed"),
])
def test_limited_mode_git_fetch_post_in_the_dry_run(airlock_env, path, ctype,
                                                    reason):
    r, out = check(airlock_env, "--no-dns", *allow("git.example"), "--method", "POST",
                   "--path", path, "--header", "Content-Type: " + ctype,
                   "https://git.example")
    assert (out["protocol"], out["reason"]) == ("https", reason)
    r, out = check(airlock_env, "--no-dns", *allow("git.example"), "--method", "POST",
                   "-c", "permissions.network.limited_allow_git_fetch=false",
                   "--path", path, "--header", "Content-Type: " + ctype,
                   "https://git.example")
    assert out["reason"] == "method_not_allowed"
