"""Request rules with credential injection, through the real binary:
config errors with file:line, secret files refused when others may read
them, `airlock policy check --path/--header` reporting the rule and its
actions, the managed-layer and requirement bounds, and a secret that never
shows up in anything airlock prints or writes.

The proxy applying the rules is test_request_rules_proxy.py's. Nothing
here uses the network: every check runs with --no-dns."""
import json
import os
import pathlib

import pytest

SECRET = "ghp_R3questRulesS3cretValue0042"
ENV_SECRET = "env-S3cret-for-rules-9917"

ACTION_FILE = """
[permissions.network.request_actions.github_token]
strip_request_headers = ["authorization", "cookie"]
inject_request_headers = [{{ name = "authorization", prefix = "Bearer ", secret_file = "{secret}" }}]
"""

RULE = """
[permissions.network.request_rules.github_issues]
host = "api.github.com"
methods = ["GET", "POST"]
path_prefixes = ["/repos/acme/"]
query = { state = ["open"] }
headers = { "accept" = [] }
actions = ["github_token"]
"""

ALLOW = '[permissions.network]\nallowed_domains = ["api.github.com", "example.com"]\n'


def secret_file(env, text=SECRET + "\n", mode=0o600, name="github"):
    p = env.root / "secrets" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    p.chmod(mode)
    return p


def user_config(env, secret):
    return env.write("home/config.toml",
                     ALLOW + RULE + ACTION_FILE.format(secret=secret))


def check(env, *args, extra_env=None):
    r = env.run("policy", "check", "--no-dns", *args, env=extra_env)
    out = json.loads(r.stdout) if r.stdout.strip() else None
    return r, out


# --- config errors ---------------------------------------------------------


def test_each_bad_value_names_file_line_and_problem(airlock_env):
    env = airlock_env
    f = env.write("home/config.toml", """\
[permissions.network.request_rules.r]
host = "*.github.com"
methods = []
path_prefixes = ["repos/", "/a?b"]
actions = ["tok"]
body = "secret"

[permissions.network.request_rules.s]
host = "api.github.com"
methods = ["GET"]
path_prefixes = ["/"]
actions = ["nope"]

[permissions.network.request_actions.tok]
strip_request_headers = ["host"]
inject_request_headers = [{ name = "authorization", secret_file = "relative/file" },
  { name = "x-a", secret_file = "/abs", secret_env_var = "TOKEN" }]
""")
    r = env.run("config", "check")
    assert r.returncode == 1
    err = r.stderr
    key = "permissions.network.request_rules.r"
    for line in [
        f'{f}:2: {key}.host: "*.github.com" holds a wildcard: a rule names one exact host',
        f"{f}:3: {key}.methods: must not be empty",
        f'{f}:4: {key}.path_prefixes[0]: "repos/" must start with /, pattern:/ or literal:/',
        f'{f}:4: {key}.path_prefixes[1]: "/a?b" holds ? or #',
        f"{f}:6: {key}.body: reserved: request bodies are not matched",
        f'{f}:15: permissions.network.request_actions.tok.strip_request_headers[0]: '
        '"host" is a header the proxy itself manages',
        f'{f}:16: permissions.network.request_actions.tok.inject_request_headers[0]'
        '.secret_file: "relative/file" is not an absolute path',
        f"{f}:17: permissions.network.request_actions.tok.inject_request_headers[1]: "
        "needs exactly one of secret_file and secret_env_var",
    ]:
        assert line in err, err


def test_undefined_action_and_bad_host_name_their_lines(airlock_env):
    env = airlock_env
    f = env.write("home/config.toml", """\
[permissions.network.request_rules.s]
host = "api.github.com:8443"
methods = ["GET"]
path_prefixes = ["/"]
actions = ["nope"]
""")
    r = env.run("config", "check")
    assert r.returncode == 1
    assert (f"{f}:1: permissions.network.request_rules.s.actions[0]: no request action "
            "called nope") in r.stderr
    # the host is judged once the rest is valid
    env.write("home/config.toml", """\
[permissions.network.request_rules.s]
host = "api.github.com:8443"
methods = ["GET"]
path_prefixes = ["/"]
actions = ["a"]
[permissions.network.request_actions.a]
strip_request_headers = ["cookie"]
""")
    r = env.run("config", "check")
    assert r.returncode == 1
    assert (f"{f}:2: permissions.network.request_rules.s.host: "
            '"api.github.com:8443" is not a valid host') in r.stderr


def test_project_config_may_not_define_rules(airlock_env):
    env = airlock_env
    env.write("home/config.toml", f'[projects."{env.cwd}"]\ntrust_level = "trusted"\n')
    p = env.write("work/.airlock/config.toml",
                  RULE + ACTION_FILE.format(secret="/etc/hostname"))
    r = env.run("config", "check")
    assert r.returncode == 1
    assert (f"{p}:2: permissions.network.request_rules: not accepted in a "
            "project's config") in r.stderr


# --- secrets ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_secret_file_others_may_read_is_refused(airlock_env, mode):
    env = airlock_env
    s = secret_file(env, mode=mode)
    f = user_config(env, s)
    for args in (("config", "check"), ("policy", "check", "--no-dns", "api.github.com")):
        r = env.run(*args)
        assert r.returncode in (1, 2), r
        assert (f"{f}:14: permissions.network.request_actions.github_token."
                f"inject_request_headers[0]: secret file {s}: has mode 0{mode:o}: "
                "group or others may access it (chmod 600 it)") in r.stderr
        assert SECRET not in r.stdout + r.stderr


def test_secret_file_symlink_is_refused(airlock_env):
    env = airlock_env
    s = secret_file(env)
    link = s.parent / "link"
    link.symlink_to(s)
    user_config(env, link)
    r = env.run("config", "check")
    assert r.returncode == 1
    assert f"secret file {link}: is a symlink" in r.stderr


def test_secret_file_of_another_user_is_refused(airlock_env):
    if os.geteuid() != 0:
        pytest.skip("needs root: to give the file to another user")
    env = airlock_env
    s = secret_file(env)
    os.chown(s, 65534, 65534)
    user_config(env, s)
    r = env.run("config", "check")
    assert r.returncode == 1
    assert f"secret file {s}: is owned by uid 65534" in r.stderr


def test_secret_with_a_line_break_is_refused(airlock_env):
    env = airlock_env
    s = secret_file(env, text=SECRET + "\nX-Injected: 1\n")
    user_config(env, s)
    r = env.run("config", "check")
    assert r.returncode == 1
    assert "control character" in r.stderr
    assert SECRET not in r.stderr


def test_missing_secret_variable_is_named_never_its_value(airlock_env):
    env = airlock_env
    env.write("home/config.toml", ALLOW + RULE + """
[permissions.network.request_actions.github_token]
inject_request_headers = [{ name = "authorization", secret_env_var = "RULES_TEST_TOKEN" }]
""")
    r = env.run("config", "check")
    assert r.returncode == 1
    assert ("secret variable RULES_TEST_TOKEN: is not set in airlock's environment"
            in r.stderr)
    r = env.run("config", "check", env={"RULES_TEST_TOKEN": ENV_SECRET})
    assert (r.returncode, r.stdout) == (0, "config ok\n"), r.stderr


def test_config_show_names_files_and_variables_not_secrets(airlock_env):
    env = airlock_env
    s = secret_file(env)
    user_config(env, s)
    r = env.run("config", "show")
    assert r.returncode == 0, r.stderr
    assert "[permissions.network.request_rules.github_issues]" in r.stdout
    assert f'secret_file = "{s}"' in r.stdout
    r = env.run("config", "show", "--json")
    net = json.loads(r.stdout)["permissions"]["network"]
    assert net["request_rules"]["github_issues"]["actions"] == ["github_token"]
    assert net["request_actions"]["github_token"]["inject_request_headers"] == [
        {"name": "authorization", "prefix": "Bearer ", "secret_file": str(s)}]


def test_secret_never_appears_in_anything_airlock_prints_or_writes(airlock_env):
    env = airlock_env
    s = secret_file(env)
    env.write("home/config.toml", ALLOW + RULE + ACTION_FILE.format(secret=s) + """
[permissions.network.request_rules.env_rule]
host = "example.com"
methods = ["GET"]
path_prefixes = ["/"]
actions = ["env_token"]
[permissions.network.request_actions.env_token]
inject_request_headers = [{ name = "x-token", secret_env_var = "RULES_TEST_TOKEN" }]
""")
    extra = {"RULES_TEST_TOKEN": ENV_SECRET}
    runs = [
        ("config", "show"), ("config", "show", "--origins"), ("config", "show", "--json"),
        ("config", "check"),
        ("policy", "check", "--no-dns", "api.github.com"),
        ("policy", "check", "--no-dns", "--method", "POST", "--header", "Accept: */*",
         "--path", "/repos/acme/x?state=open", "api.github.com"),
        ("policy", "check", "--no-dns", "--path", "/other", "api.github.com"),
        ("policy", "check", "--no-dns", "--path", "/", "example.com"),
        ("policy", "check", "--no-dns", "--header", "bad header", "example.com"),
        ("policy", "check", "--help"),
        # a failing load, with the secret's file named in it
        ("-c", 'permissions.network.mode="bogus"', "config", "check"),
    ]
    seen = ""
    for args in runs:
        if args[0] == "-c":
            r = env.run(*args[2:], args[0], args[1], env=extra)
        else:
            r = env.run(*args, env=extra)
        seen += r.stdout + r.stderr
    assert "[injected]" in seen  # the checks did report injections
    assert SECRET not in seen and ENV_SECRET not in seen
    # the same with the variable unset: the error names it, not a value
    r = env.run("config", "check")
    assert "RULES_TEST_TOKEN" in r.stderr and ENV_SECRET not in r.stderr
    # and nothing airlock wrote under its directories holds either
    for p in pathlib.Path(env.root).rglob("*"):
        if p.is_file() and p != s:
            data = p.read_bytes()
            assert SECRET.encode() not in data, p
            assert ENV_SECRET.encode() not in data, p


# --- policy check ----------------------------------------------------------------


def test_policy_check_reports_matching_rule_actions_and_injected_names(airlock_env):
    env = airlock_env
    user_config(env, secret_file(env))
    r, out = check(env, "--method", "POST", "--path", "/repos/acme/x/issues?state=open",
                   "--header", "Accept: application/json", "api.github.com")
    assert r.returncode == 0, r.stderr
    assert out == {
        "decision": "allow", "reason": "allow", "host": "api.github.com", "port": 443,
        "protocol": "https", "method": "POST", "source": "baseline_policy",
        "matched": "api.github.com", "addresses": [],
        "request_rule": "github_issues", "request_actions": ["github_token"],
        "request_headers_stripped": ["authorization", "cookie"],
        "request_headers_injected": {"authorization": "[injected]"},
    }


def test_policy_check_takes_the_path_from_the_url(airlock_env):
    env = airlock_env
    user_config(env, secret_file(env))
    r, out = check(env, "--header", "accept: */*",
                   "https://api.github.com/repos/acme/x?state=open")
    assert r.returncode == 0, r.stderr
    assert (out["request_rule"], out["method"]) == ("github_issues", "GET")


@pytest.mark.parametrize("path,headers", [
    ("/repos/other/x?state=open", ["Accept: */*"]),        # path
    ("/repos/acme/x?state=closed", ["Accept: */*"]),       # query value
    ("/repos/acme/x?state=open&state=closed", ["Accept: */*"]),  # every occurrence
    ("/repos/acme/x", ["Accept: */*"]),                    # query missing
    ("/repos/acme/x?state=open", []),                      # header missing
    ("/repos/acme/../other/x?state=open", ["Accept: */*"]),  # dot segment
    ("/repos/acme/%2e%2e/other?state=open", ["Accept: */*"]),
])
def test_policy_check_unmatched_request_is_refused(airlock_env, path, headers):
    env = airlock_env
    user_config(env, secret_file(env))
    args = ["--path", path]
    for h in headers:
        args += ["--header", h]
    r, out = check(env, *args, "api.github.com")
    assert r.returncode == 1
    assert (out["decision"], out["reason"], out["source"]) == (
        "deny", "request_rule_not_matched", "request_rule")
    assert out["request_rule"] is None and out["request_headers_injected"] == {}


def test_policy_check_method_not_in_rule_is_refused_even_in_full_mode(airlock_env):
    env = airlock_env
    user_config(env, secret_file(env))
    r, out = check(env, "-c", 'permissions.network.mode="full"', "--method", "DELETE",
                   "--header", "Accept: */*", "--path", "/repos/acme/x?state=open",
                   "api.github.com")
    assert (r.returncode, out["reason"]) == (1, "request_rule_not_matched")


def test_policy_check_host_with_rules_is_intercepted_and_443_only(airlock_env):
    env = airlock_env
    user_config(env, secret_file(env))
    full = ("-c", 'permissions.network.mode="full"')
    r, out = check(env, *full, "api.github.com")
    assert (r.returncode, out["decision"], out["protocol"]) == (0, "allow", "https_connect")
    r, out = check(env, *full, "api.github.com:8443")
    assert (r.returncode, out["reason"]) == (1, "mitm_required")
    r, out = check(env, *full, "--protocol", "socks5_tcp", "api.github.com:22")
    assert (r.returncode, out["reason"]) == (1, "mitm_required")
    # a host without rules keeps the old output, without the rule fields
    r, out = check(env, *full, "example.com")
    assert r.returncode == 0 and "request_rule" not in out


def test_policy_check_plain_http_to_a_host_with_rules_is_refused(airlock_env):
    env = airlock_env
    user_config(env, secret_file(env))
    r, out = check(env, "--header", "Accept: */*",
                   "http://api.github.com/repos/acme/x?state=open")
    assert (r.returncode, out["reason"], out["protocol"]) == (
        1, "request_rule_not_matched", "http")


def test_policy_check_rules_do_not_widen_the_allowlist(airlock_env):
    env = airlock_env
    s = secret_file(env)
    env.write("home/config.toml", RULE + ACTION_FILE.format(secret=s))
    r, out = check(env, "--header", "Accept: */*", "--path", "/repos/acme/?state=open",
                   "api.github.com")
    assert (r.returncode, out["reason"]) == (1, "not_allowed")


def test_policy_check_bad_header_argument_is_a_usage_error(airlock_env):
    r = airlock_env.run("policy", "check", "--no-dns", "--header", "no colon", "x.com")
    assert r.returncode == 2
    assert '--header no colon: expected "Name: value"' in r.stderr


# --- bounds ------------------------------------------------------------------------


def test_managed_only_requirement_ignores_user_rules(airlock_env):
    env = airlock_env
    user_config(env, secret_file(env))
    req = env.write("system/requirements.toml",
                    "[permissions.network]\nrequest_rules_managed_only = true\n")
    r, out = check(env, "--path", "/repos/acme/x", "api.github.com")
    assert (f"request rule github_issues is ignored: disallowed by requirements: "
            f"request_rules_managed_only = true ({req}:2)") in r.stderr
    # no rule left: the host is judged as any other
    assert out["request_rule"] is None
    assert out["reason"] == "allow" and out["protocol"] == "https"


def test_managed_layer_pins_the_rule_set(airlock_env):
    env = airlock_env
    s = secret_file(env)
    user_config(env, s)
    managed = env.write("system/managed_config.toml", """\
[permissions.network.request_rules.corp]
host = "api.github.com"
methods = ["GET"]
path_prefixes = ["/orgs/corp/"]
actions = ["corp_strip"]
[permissions.network.request_actions.corp_strip]
strip_request_headers = ["cookie"]
""")
    r, out = check(env, "--path", "/orgs/corp/x", "api.github.com")
    assert r.returncode == 0, r.stderr
    assert "request rule github_issues is ignored: the managed config defines" in r.stderr
    assert f"({managed}:1: permissions.network.request_rules.corp)" in r.stderr
    assert (out["request_rule"], out["request_headers_injected"]) == ("corp", {})
    # the user's rule no longer lets its path through
    r, out = check(env, "--header", "Accept: x", "--path", "/repos/acme/?state=open",
                   "api.github.com")
    assert (r.returncode, out["reason"]) == (1, "request_rule_not_matched")
