"""`airlock config show|check|schema` against real files in a temporary
AIRLOCK_HOME / AIRLOCK_SYSTEM_DIR."""
import base64
import json

import pytest


def b64(text):
    return base64.b64encode(text.encode()).decode()


def origins(env, *args, cwd=None):
    r = env.run("config", "show", "--origins", *args, cwd=cwd)
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        left, _, origin = line.partition("  # ")
        key, _, value = left.partition(" = ")
        out[key] = (value, origin)
    return out


# --- layers -----------------------------------------------------------------

def write_six_layers(env):
    """The same key in all six layers, each with its own value."""
    project = env.cwd / "repo"
    (project / "sub").mkdir(parents=True)
    env.write("system/config.toml", 'sandbox_mode = "danger-full-access"\n')
    env.write("work/repo/.airlock/config.toml", 'sandbox_mode = "read-only"\n')
    env.write("home/config.toml",
              f'sandbox_mode = "workspace-write"\n'
              f'[projects."{project}"]\ntrust_level = "trusted"\n')
    env.write("system/managed_config.toml",
              'sandbox_mode = "danger-full-access"\n')
    payload = b64('\nsandbox_mode = "read-only"\n')
    env.write("system/managed_preferences.toml",
              f'config_toml_base64 = "{payload}"\n')
    return project / "sub"


def test_layers_peel_off_in_precedence_order(airlock_env):
    env = airlock_env
    cwd = write_six_layers(env)
    sysdir = env.system

    o = origins(env, "-c", 'sandbox_mode="workspace-write"', cwd=cwd)
    assert o["sandbox_mode"] == ('"read-only"', "managed-preferences")

    (sysdir / "managed_preferences.toml").unlink()
    o = origins(env, "-c", 'sandbox_mode="workspace-write"', cwd=cwd)
    assert o["sandbox_mode"] == (
        '"danger-full-access"', f"{sysdir}/managed_config.toml:1")

    (sysdir / "managed_config.toml").unlink()
    o = origins(env, "-c", "sandbox_mode=read-only", cwd=cwd)
    assert o["sandbox_mode"] == ('"read-only"', "-c")

    o = origins(env, cwd=cwd)
    assert o["sandbox_mode"] == (
        '"workspace-write"', f"{env.home}/config.toml:1")

    env.write("home/config.toml",
              f'[projects."{cwd.parent}"]\ntrust_level = "trusted"\n')
    o = origins(env, cwd=cwd)
    assert o["sandbox_mode"] == (
        '"read-only"', f"{cwd.parent}/.airlock/config.toml:1")

    (env.home / "config.toml").unlink()
    o = origins(env, cwd=cwd)
    assert o["sandbox_mode"] == (
        '"danger-full-access"', f"{sysdir}/config.toml:1")

    (sysdir / "config.toml").unlink()
    o = origins(env, cwd=cwd)
    assert o["sandbox_mode"] == ('"workspace-write"', "default")


def test_tables_merge_recursively_across_layers(airlock_env):
    env = airlock_env
    env.write("system/config.toml",
              '[permissions.network]\nmode = "full"\nenable_socks5 = true\n')
    env.write("home/config.toml",
              '[permissions.network]\nmode = "limited"\n')
    o = origins(env)
    assert o["permissions.network.mode"][0] == '"limited"'
    assert o["permissions.network.enable_socks5"] == (
        "true", f"{env.system}/config.toml:3")


def test_arrays_are_replaced_not_merged(airlock_env):
    env = airlock_env
    env.write("system/config.toml",
              '[permissions.network]\nallowed_domains = ["a.com", "b.com"]\n')
    env.write("home/config.toml",
              '[permissions.network]\nallowed_domains = ["c.com"]\n')
    r = env.run("config", "show", "--json")
    assert r.returncode == 0, r.stderr
    cfg = json.loads(r.stdout)
    assert cfg["permissions"]["network"]["allowed_domains"] == ["c.com"]


def test_untrusted_project_config_is_ignored(airlock_env):
    env = airlock_env
    env.write("work/.airlock/config.toml", 'web_search = "live"\n')
    env.write("home/config.toml",
              f'[projects."{env.cwd}"]\ntrust_level = "untrusted"\n')
    o = origins(env)
    assert o["web_search"] == ('"cached"', "default")
    r = env.run("config", "show", "-v")
    assert "is not trusted" in r.stderr


def test_unknown_project_config_is_ignored(airlock_env):
    env = airlock_env
    env.write("work/.airlock/config.toml", 'web_search = "live"\n')
    assert origins(env)["web_search"][0] == '"cached"'


def test_nearest_project_trust_entry_wins(airlock_env):
    env = airlock_env
    env.write("work/a/.airlock/config.toml", 'web_search = "live"\n')
    (env.cwd / "a").mkdir(exist_ok=True)
    env.write("home/config.toml",
              f'[projects."{env.root}"]\ntrust_level = "trusted"\n'
              f'[projects."{env.cwd}"]\ntrust_level = "untrusted"\n')
    assert origins(env, cwd=env.cwd / "a")["web_search"][0] == '"cached"'


def test_trust_granted_outside_user_layer_is_ignored(airlock_env):
    env = airlock_env
    env.write("work/.airlock/config.toml", 'web_search = "live"\n')
    env.write("system/config.toml",
              f'[projects."{env.cwd}"]\ntrust_level = "trusted"\n')
    assert origins(env)["web_search"][0] == '"cached"'


def test_explicit_config_replaces_user_layer(airlock_env):
    env = airlock_env
    env.write("home/config.toml", 'web_search = "live"\n')
    other = env.write("other.toml", 'web_search = "disabled"\n')
    o = origins(env, "--config", other)
    assert o["web_search"] == ('"disabled"', f"{other}:1")
    o = origins(env, f"--config={other}")
    assert o["web_search"][0] == '"disabled"'


def test_missing_explicit_config_is_an_error(airlock_env):
    r = airlock_env.run("config", "show", "--config", "/nonexistent.toml")
    assert r.returncode == 2
    assert "/nonexistent.toml" in r.stderr


def test_override_forms(airlock_env):
    env = airlock_env
    o = origins(env, "-c", 'permissions.network.mode="full"',
                "-cweb_search=live",
                "-c", 'permissions.network.allowed_domains=["a.com"]')
    assert o["permissions.network.mode"] == ('"full"', "-c")
    assert o["web_search"] == ('"live"', "-c")
    assert o["permissions.network.allowed_domains"] == ('["a.com"]', "-c")


def test_override_relative_path_resolves_against_cwd(airlock_env):
    env = airlock_env
    o = origins(env, "-c", "permissions.network.audit_log=log.jsonl")
    assert o["permissions.network.audit_log"][0] == f'"{env.cwd}/log.jsonl"'


def test_relative_path_resolves_against_its_file(airlock_env):
    env = airlock_env
    env.write("home/config.toml",
              '[sandbox_workspace_write]\nwritable_roots = ["out", "/abs"]\n')
    r = env.run("config", "show", "--json")
    roots = json.loads(r.stdout)["sandbox_workspace_write"]["writable_roots"]
    assert roots == [f"{env.home}/out", "/abs"]


# --- managed preferences --------------------------------------------------------

def test_managed_preferences_payloads(airlock_env):
    env = airlock_env
    env.write("home/config.toml", 'sandbox_mode = "danger-full-access"\n')
    conf = b64('web_search = "disabled"')
    req = b64('allowed_sandbox_modes = ["read-only"]')
    env.write("system/managed_preferences.toml",
              f'config_toml_base64 = "{conf}"\n'
              f'requirements_toml_base64 = "{req}"\n')
    r = env.run("config", "show", "--origins")
    assert r.returncode == 0, r.stderr
    assert 'web_search = "disabled"  # managed-preferences' in r.stdout
    assert 'sandbox_mode = "read-only"' in r.stdout
    assert "requirements_toml_base64" in r.stderr


def test_managed_requirements_payload_wins_key_by_key(airlock_env):
    env = airlock_env
    env.write("system/requirements.toml",
              'allowed_web_search_modes = ["live"]\n'
              'allowed_approval_policies = ["never"]\n')
    req = b64('allowed_approval_policies = ["untrusted"]')
    env.write("system/managed_preferences.toml",
              f'requirements_toml_base64 = "{req}"\n')
    o = origins(env)
    assert o["approval_policy"][0] == '"untrusted"'
    assert o["web_search"][0] == '"live"'


def test_bad_base64_names_file_and_key(airlock_env):
    env = airlock_env
    p = env.write("system/managed_preferences.toml",
                  'config_toml_base64 = "%%%"\n')
    r = env.run("config", "show")
    assert r.returncode == 2
    assert f"{p}:1: config_toml_base64: invalid base64" in r.stderr


def test_bad_toml_inside_base64_names_file_and_key(airlock_env):
    env = airlock_env
    bad = b64("x = = 1")
    p = env.write("system/managed_preferences.toml",
                  f'requirements_toml_base64 = "{bad}"\n')
    r = env.run("config", "check")
    assert r.returncode == 1
    assert f"{p}[requirements_toml_base64]:1:" in r.stderr


# --- requirements -------------------------------------------------------------

def test_requirement_fallback_warning_text(airlock_env):
    env = airlock_env
    env.write("home/config.toml", 'sandbox_mode = "danger-full-access"\n')
    req = env.write("system/requirements.toml",
                    'allowed_sandbox_modes = ["read-only", "workspace-write"]\n')
    r = env.run("config", "check")
    assert r.returncode == 0
    assert r.stdout == "config ok\n"
    assert ("Configured value for `sandbox_mode` is disallowed by "
            "requirements; falling back to required value read-only. "
            'Details: allowed_sandbox_modes = ["read-only", '
            f'"workspace-write"] ({req}:1)') in r.stderr


def test_defaulted_value_falls_back_silently(airlock_env):
    env = airlock_env
    env.write("system/requirements.toml",
              'allowed_approval_policies = ["never"]\n')
    r = env.run("config", "show", "--origins")
    assert r.returncode == 0
    assert 'approval_policy = "never"' in r.stdout
    assert r.stderr == ""


def test_network_requirements_apply(airlock_env):
    env = airlock_env
    env.write("home/config.toml",
              '[permissions.network]\nmode = "full"\n'
              'allow_local_binding = true\n')
    env.write("system/requirements.toml",
              '[permissions.network]\nmode = "limited"\n'
              'allow_local_binding = false\nenabled = false\n')
    r = env.run("config", "show", "--json")
    assert r.returncode == 0
    net = json.loads(r.stdout)["permissions"]["network"]
    assert net["mode"] == "limited"
    assert net["allow_local_binding"] is False
    assert net["enabled"] is False
    assert "`permissions.network.mode`" in r.stderr
    assert "`permissions.network.allow_local_binding`" in r.stderr


def test_sandbox_modes_without_read_only_is_an_error(airlock_env):
    env = airlock_env
    req = env.write("system/requirements.toml",
                    'allowed_sandbox_modes = ["workspace-write"]\n')
    r = env.run("config", "check")
    assert r.returncode == 1
    assert (f'{req}:1: allowed_sandbox_modes: must contain "read-only"'
            in r.stderr)
    assert env.run("config", "show").returncode == 2


def test_unknown_requirement_is_an_error(airlock_env):
    env = airlock_env
    req = env.write("system/requirements.toml", "allowed_things = []\n")
    r = env.run("config", "check")
    assert r.returncode == 1
    assert f"{req}:1: allowed_things: unknown requirement" in r.stderr


# --- errors ---------------------------------------------------------------

ERRORS = [
    ('[permissions.network]\nallowed_domain = ["a.com"]\n',
     "{f}:2: permissions.network.allowed_domain: unknown key "
     "(did you mean permissions.network.allowed_domains?)"),
    ('[permissions.network]\nenabled = "yes"\n',
     '{f}:2: permissions.network.enabled: expected a boolean, '
     'got string "yes"'),
    ('[permissions.network]\nmode = "fast"\n',
     '{f}:2: permissions.network.mode: "fast" is not one of limited, full'),
    ('[permissions.network]\nproxy_url = "http://example.com:80"\n',
     "{f}:2: permissions.network.proxy_url: \"http://example.com:80\" is "
     "not a valid listener URL: host must be an IP literal or localhost"),
    ('[network]\nproxy = "ftp://proxy:21"\n',
     '{f}:2: network.proxy: "ftp://proxy:21" is not a valid proxy URL: '
     "scheme must be http, socks5 or socks5h"),
    ('[projects."relative"]\ntrust_level = "trusted"\n',
     '{f}:1: projects."relative": project path must be absolute'),
]


@pytest.mark.parametrize("text,want", ERRORS)
def test_error_messages(airlock_env, text, want):
    f = airlock_env.write("home/config.toml", text)
    r = airlock_env.run("config", "check")
    assert r.returncode == 1
    assert want.format(f=f) in r.stderr.splitlines()


def test_toml_syntax_error_has_file_line_col(airlock_env):
    f = airlock_env.write("home/config.toml", 'a = "x"\nb = \n')
    r = airlock_env.run("config", "check")
    assert r.returncode == 1
    assert r.stderr.startswith(f"{f}:2:")
    assert r.stderr.split(":")[2].isdigit()


def test_every_problem_in_every_file_is_listed(airlock_env):
    env = airlock_env
    u = env.write("home/config.toml", 'sandbox_mode = 1\nweb_search = "x"\n')
    s = env.write("system/config.toml", "bogus = true\n")
    r = env.run("config", "check")
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert any(l.startswith(f"{u}:1: sandbox_mode:") for l in lines)
    assert any(l.startswith(f"{u}:2: web_search:") for l in lines)
    assert any(l.startswith(f"{s}:1: bogus: unknown key") for l in lines)


def test_config_error_on_show_exits_2(airlock_env):
    airlock_env.write("home/config.toml", "nope = 1\n")
    assert airlock_env.run("config", "show").returncode == 2


def test_bad_override_value_is_reported(airlock_env):
    r = airlock_env.run("config", "check", "-c", "permissions.network.mode=fast")
    assert r.returncode == 1
    assert ('-c: permissions.network.mode: "fast" is not one of limited, full'
            in r.stderr)


# --- output -----------------------------------------------------------------

def test_check_ok(airlock_env):
    r = airlock_env.run("config", "check")
    assert (r.returncode, r.stdout) == (0, "config ok\n")


def test_json_has_the_shape_of_the_toml(airlock_env):
    env = airlock_env
    env.write("home/config.toml",
              'approval_policy = { granular = { rules = true } }\n'
              f'[projects."{env.cwd}"]\ntrust_level = "trusted"\n')
    r = env.run("config", "show", "--json")
    assert r.returncode == 0, r.stderr
    cfg = json.loads(r.stdout)
    assert cfg["sandbox_mode"] == "workspace-write"
    assert cfg["web_search"] == "cached"
    assert cfg["approval_policy"]["granular"]["rules"] is True
    assert cfg["approval_policy"]["granular"]["sandbox_approval"] is False
    assert cfg["sandbox_workspace_write"]["network_access"] is False
    net = cfg["permissions"]["network"]
    assert net["enabled"] is True
    assert net["proxy_url"] == "http://127.0.0.1:43128"
    assert net["allowed_domains"] == []
    assert cfg["network"] == {"proxy": "", "no_proxy": []}
    assert cfg["projects"][str(env.cwd)] == {"trust_level": "trusted"}


def test_show_prints_toml_tables_in_schema_order(airlock_env):
    r = airlock_env.run("config", "show")
    assert r.returncode == 0
    out = r.stdout
    assert out.startswith('sandbox_mode = "workspace-write"\n')
    i = out.index("[sandbox_workspace_write]")
    j = out.index("[permissions.network]")
    k = out.index("[network]")
    assert i < j < k


def test_origins_lines_for_every_leaf(airlock_env):
    env = airlock_env
    f = env.write("home/config.toml",
                  "[permissions.network]\nallowed_domains = [\n"
                  '  "a.com",\n]\n')
    o = origins(env)
    assert o["permissions.network.allowed_domains"] == (
        '["a.com"]', f"{f}:2")
    assert o["permissions.network.enabled"] == ("true", "default")
    assert len(o) >= 27


def test_schema_markdown(airlock_env):
    r = airlock_env.run("config", "schema", "--markdown")
    assert r.returncode == 0
    assert "| `permissions.network.allowed_domains` |" in r.stdout
    assert "allowed_sandbox_modes" in r.stdout


@pytest.mark.parametrize("verb", ["show", "check", "schema"])
def test_help(airlock_env, verb):
    r = airlock_env.run("config", verb, "--help")
    assert r.returncode == 0
    assert "usage: airlock config" in r.stdout


def test_unknown_option_is_usage_error(airlock_env):
    assert airlock_env.run("config", "show", "--bogus").returncode == 2


# --- every subcommand's --help -----------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["--help"], ["-h"], ["help"],
    ["config", "--help"], ["config", "show", "--help"],
    ["config", "check", "--help"], ["config", "schema", "--help"],
    ["policy", "--help"], ["policy", "check", "--help"],
    ["policy", "check", "example.com", "--help"],
    ["token", "--help"], ["token", "mint", "--help"],
    ["token", "verify", "--help"],
    ["ca", "--help"], ["ca", "path", "--help"],
    ["run", "--help"], ["run", "-v", "--help"],
    ["proxy", "--help"], ["app-server", "--help"],
    ["app-server", "--listen", "stdio://", "--help"],
], ids=lambda a: " ".join(a))
def test_every_command_help_prints_usage_to_stdout_and_exits_0(airlock_env,
                                                               argv):
    r = airlock_env.run(*argv)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: airlock"), r.stdout
    assert r.stderr == ""


def test_top_level_help_names_version(airlock_env):
    r = airlock_env.run("--help")
    assert "--version" in r.stdout
    v = airlock_env.run("--version")
    assert (v.returncode, v.stdout.startswith("airlock ")) == (0, True)


def test_run_help_after_the_command_belongs_to_the_command(airlock_env):
    r = airlock_env.run("run", "--", "sh", "-c", "echo $1", "sh", "--help")
    assert (r.returncode, r.stdout) == (0, "--help\n"), r.stderr


# --- config check lists every problem ------------------------------------------------

def test_check_lists_a_bad_value_and_bad_patterns_in_one_run(airlock_env):
    f = airlock_env.write("home/config.toml",
                          'sandbox_mode = "bogus"\n'
                          "[permissions.network]\n"
                          'allowed_domains = ["*.*"]\n'
                          'denied_domains = ["*"]\n')
    r = airlock_env.run("config", "check")
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert any(l.startswith(f"{f}:1: sandbox_mode:") for l in lines), lines
    assert any(l.startswith(f"{f}:3: permissions.network.allowed_domains[0]")
               for l in lines), lines
    assert any(l.startswith(f"{f}:4: permissions.network.denied_domains[0]")
               for l in lines), lines


# --- managed config ----------------------------------------------------------------

def test_managed_value_wins_over_user_and_c(airlock_env):
    env = airlock_env
    m = env.write("system/managed_config.toml",
                  "[sandbox_workspace_write]\nnetwork_access = false\n")
    env.write("work/.airlock/config.toml",
              "[sandbox_workspace_write]\nnetwork_access = true\n")
    env.write("home/config.toml",
              f'[projects."{env.cwd}"]\ntrust_level = "trusted"\n'
              "[sandbox_workspace_write]\nnetwork_access = true\n")
    o = origins(env, "-c", "sandbox_workspace_write.network_access=true")
    assert o["sandbox_workspace_write.network_access"] == ("false", f"{m}:2")


def test_managed_sandbox_mode_never_widens_requirements(airlock_env):
    env = airlock_env
    env.write("system/managed_config.toml",
              'sandbox_mode = "danger-full-access"\n')
    req = env.write("system/requirements.toml",
                    'allowed_sandbox_modes = ["read-only"]\n')
    r = env.run("config", "show", "--origins")
    assert r.returncode == 0, r.stderr
    assert f'sandbox_mode = "read-only"  # {req}:1' in r.stdout
    assert "falling back to required value read-only" in r.stderr


# --- web_search -------------------------------------------------------------------

def test_full_access_turns_default_web_search_live(airlock_env):
    o = origins(airlock_env, "-c", "sandbox_mode=danger-full-access")
    assert o["web_search"] == ('"live"', "default for danger-full-access")
    o = origins(airlock_env, "-c", "sandbox_mode=danger-full-access",
                "-c", "web_search=cached")
    assert o["web_search"] == ('"cached"', "-c")


def test_full_access_live_web_search_yields_to_requirements(airlock_env):
    req = airlock_env.write("system/requirements.toml",
                            'allowed_web_search_modes = ["cached"]\n')
    r = airlock_env.run("config", "show", "--origins", "-c",
                        "sandbox_mode=danger-full-access")
    assert r.returncode == 0, r.stderr
    assert f'web_search = "cached"  # {req}:1' in r.stdout
    assert ("warning: Value live for `web_search` (the default in "
            "danger-full-access) is disallowed by requirements; falling back "
            "to required value cached. Details: allowed_web_search_modes = "
            f'["cached"] ({req}:1)') in r.stderr


# --- defaults that changed ---------------------------------------------------------

def test_upstream_proxy_is_allowed_by_default(airlock_env):
    o = origins(airlock_env)
    assert o["permissions.network.allow_upstream_proxy"] == ("true",
                                                             "default")


def test_untrusted_project_is_announced_at_default_verbosity(airlock_env):
    env = airlock_env
    p = env.write("work/.airlock/config.toml", 'web_search = "live"\n')
    r = env.run("config", "show")
    assert r.returncode == 0
    assert r.stderr == (f"warning: ignoring {p}: the project {env.cwd} is "
                        "not trusted (to trust it, set "
                        f'[projects."{env.cwd}"] trust_level = "trusted" in '
                        f"{env.home}/config.toml)\n")
