"""`airlock run`: name resolution inside the sandbox. With the network
granted, /etc/resolv.conf names airlock's stub resolver on the sandbox's own
127.0.0.1:53, which answers allowed names with synthetic addresses from
198.18.0.0/15, denied and unlisted names with NXDOMAIN (recorded like any
refusal), and never asks anyone else. Names are made up (*.test): nothing
here can be resolved for real."""
import ipaddress
import json
import shutil
import socket
import subprocess

import pytest

from appserverutil import app_server, call, connect, initialize
from conftest import AIRLOCK
from runutil import py

SYNTH = ipaddress.ip_network("198.18.0.0/15")


def grant(*names, deny=()):
    flags = ["--network"]
    for n in names:
        flags += ["--allow", n]
    for n in deny:
        flags += ["--deny", n]
    return flags


def getent(airlock_env, flags, script):
    """Runs a shell script in the sandbox with flags."""
    return airlock_env.run("run", *flags, "--", "sh", "-c", script)


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run scripts/install-deps "
                    "(bind9-dnsutils)")
    return path


# --- lookups through the C library ----------------------------------------------

def test_allowed_name_gets_a_stable_synthetic_address(airlock_env):
    p = getent(airlock_env, grant("allowed.test", "second.test"),
               "getent hosts allowed.test; getent hosts second.test; "
               "getent hosts allowed.test")
    assert p.returncode == 0, p.stderr
    lines = [ln.split() for ln in p.stdout.splitlines()]
    assert [ln[1] for ln in lines] == ["allowed.test", "second.test",
                                       "allowed.test"]
    addrs = [ipaddress.ip_address(ln[0]) for ln in lines]
    assert all(a in SYNTH for a in addrs)
    assert addrs[0] == addrs[2]
    assert addrs[0] != addrs[1]
    assert "blocked" not in p.stderr


def test_unlisted_name_fails_and_the_summary_names_it(airlock_env):
    p = getent(airlock_env, grant("allowed.test"), "getent hosts other.test")
    assert p.returncode == 2  # getent: not found
    assert p.stdout == ""
    assert "other.test (dns lookup) not_allowed" in p.stderr
    assert "--allow other.test" in p.stderr


def test_denied_name_is_nxdomain_even_under_an_allowed_wildcard(airlock_env):
    dig = tool("dig")
    p = getent(airlock_env, grant("**.corp.test", deny=["secret.corp.test"]),
               f"{dig} +tries=1 +time=5 secret.corp.test A; "
               f"{dig} +tries=1 +time=5 +short open.corp.test A")
    assert p.returncode == 0, p.stderr
    assert "status: NXDOMAIN" in p.stdout
    last = p.stdout.strip().splitlines()[-1]
    assert ipaddress.ip_address(last) in SYNTH
    assert "secret.corp.test (dns lookup) denied (1x)" in p.stderr


def test_port_scoped_entries_allow_resolution_but_port_scoped_deny_does_not_stop_it(airlock_env):
    p = getent(airlock_env, grant("git.test:22", "web.test", deny=["web.test:80"]),
               "getent hosts git.test && getent hosts web.test")
    assert p.returncode == 0, p.stderr
    assert [ln.split()[1] for ln in p.stdout.splitlines()] == ["git.test", "web.test"]


def test_python_getaddrinfo_a_and_aaaa(airlock_env):
    p = airlock_env.run("run", *grant("allowed.test"), "--", *py(
        "import socket\n"
        "a = socket.getaddrinfo('allowed.test', 443, socket.AF_INET,"
        " socket.SOCK_STREAM)\n"
        "print(a[0][4][0])\n"
        "for name, fam in (('allowed.test', socket.AF_INET6),"
        " ('other.test', socket.AF_UNSPEC)):\n"
        "    try:\n"
        "        socket.getaddrinfo(name, 443, fam)\n"
        "        print('resolved')\n"
        "    except socket.gaierror as e:\n"
        "        print(e.errno)\n"))
    assert p.returncode == 0, p.stderr
    v4, v6, other = p.stdout.split()
    assert ipaddress.ip_address(v4) in SYNTH
    assert int(v6) == socket.EAI_NODATA    # allowed, but no AAAA
    assert int(other) == socket.EAI_NONAME  # NXDOMAIN
    # A and AAAA of other.test: two refusals of one name.
    assert "other.test (dns lookup) not_allowed (2x)" in p.stderr


def test_etc_hosts_still_answers_first(airlock_env):
    p = getent(airlock_env, grant("allowed.test"), "getent hosts localhost")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] in ("127.0.0.1", "::1")
    assert "blocked" not in p.stderr


def test_resolv_conf_names_the_stub_and_is_read_only(airlock_env):
    p = getent(airlock_env, grant(),
               "cat /etc/resolv.conf; echo x 2>/dev/null >/etc/resolv.conf "
               "|| echo refused")
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stdout.splitlines() if not ln.startswith("#")]
    assert "nameserver 127.0.0.1" in lines
    assert [ln for ln in lines if ln.startswith("nameserver")] == \
        ["nameserver 127.0.0.1"]
    assert lines[-1] == "refused"


# --- lookups with dig and nslookup --------------------------------------------------

def test_dig_sees_a_record_nodata_and_nxdomain(airlock_env):
    dig = tool("dig")
    p = getent(airlock_env, grant("allowed.test"),
               f"{dig} +tries=1 +time=5 allowed.test A; "
               f"{dig} +tries=1 +time=5 allowed.test AAAA; "
               f"{dig} +tries=1 +time=5 allowed.test HTTPS; "
               f"{dig} +tries=1 +time=5 other.test A")
    assert p.returncode == 0, p.stderr
    answers = p.stdout.split(";; ->>HEADER<<-")[1:]
    assert len(answers) == 4
    a, aaaa, https, other = answers
    assert "status: NOERROR" in a and "ANSWER: 1," in a
    rec = [ln.split() for ln in a.splitlines()
           if ln.startswith("allowed.test.") and "\tA\t" in ln]
    assert len(rec) == 1
    assert int(rec[0][1]) <= 30  # a short TTL
    assert ipaddress.ip_address(rec[0][-1]) in SYNTH
    for nodata in (aaaa, https):
        assert "status: NOERROR" in nodata and "ANSWER: 0," in nodata
    assert "status: NXDOMAIN" in other


def test_nslookup_resolves_through_the_stub(airlock_env):
    nslookup = tool("nslookup")
    p = getent(airlock_env, grant("allowed.test"),
               f"{nslookup} -timeout=5 -type=A allowed.test")
    assert p.returncode == 0, p.stderr
    assert "Server:\t\t127.0.0.1" in p.stdout
    addr = p.stdout.strip().splitlines()[-1].split()[-1]
    assert ipaddress.ip_address(addr) in SYNTH


def test_dns_over_tcp_is_refused_at_once(airlock_env):
    # Replies always fit in UDP, so the stub has no TCP side: nothing
    # listens on TCP port 53 of the sandbox's loopback, and the connect
    # is refused at once instead of hanging.
    dig = tool("dig")
    p = getent(airlock_env, grant("allowed.test"),
               f"{dig} +tcp +tries=1 +time=5 allowed.test A")
    assert "status: NOERROR" not in p.stdout
    assert "Connection to 127.0.0.1#53(127.0.0.1) for allowed.test " \
        "failed: connection refused" in p.stdout
    assert "blocked" not in p.stderr


# --- the audit log ---------------------------------------------------------------------

def test_audit_log_records_dns_decisions(airlock_env):
    log = airlock_env.root / "audit.jsonl"
    p = getent(airlock_env, [*grant("allowed.test"), "-c",
                             f'permissions.network.audit_log="{log}"'],
               "getent ahostsv4 allowed.test >/dev/null; "
               "getent ahostsv4 other.test; true")
    assert p.returncode == 0, p.stderr
    events = [json.loads(ln) for ln in log.read_text().splitlines()]
    dns = [(e["decision"], e["host"], e["method"], e["port"]) for e in events
           if e["protocol"] == "dns"]
    assert ("allow", "allowed.test", "A", 0) in dns
    assert ("deny", "other.test", "A", 0) in dns
    assert all(e["protocol"] == "dns" for e in events)


# --- network off -------------------------------------------------------------------------

def test_network_off_lookup_fails_without_a_resolver(airlock_env):
    p = airlock_env.run("run", "--", "sh", "-c",
                        "cat /etc/resolv.conf; getent hosts allowed.test; "
                        "echo rc=$?; getent hosts localhost",
                        timeout=30)
    assert p.returncode == 0, p.stderr
    assert "nameserver 127.0.0.1" in p.stdout
    assert "rc=2" in p.stdout
    assert "localhost" in p.stdout.splitlines()[-1]


# --- the policy check and the app-server ---------------------------------------------------

def test_policy_check_protocol_dns(airlock_env):
    ok = airlock_env.run("policy", "check", "--protocol", "dns", "-c",
                         'permissions.network.allowed_domains=["git.test:22"]',
                         "git.test")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {
        "decision": "allow", "reason": "allow", "host": "git.test", "port": 0,
        "protocol": "dns", "method": None, "source": "baseline_policy",
        "matched": "git.test:22", "addresses": []}
    no = airlock_env.run("policy", "check", "--protocol", "dns", "other.test")
    assert no.returncode == 1
    assert json.loads(no.stdout)["reason"] == "not_allowed"


def test_app_server_command_has_the_stub_resolver(airlock_env):
    # never: a name no one may be asked about (test_approvals.py has the
    # names an approver may be asked about, which resolve).
    (airlock_env.home / "config.toml").write_text(
        'approval_policy = "never"\n'
        '[sandbox_workspace_write]\nnetwork_access = true\n'
        '[permissions.network]\nallowed_domains = ["allowed.test"]\n')
    with app_server(airlock_env) as (_, addr):
        ws = connect(addr)
        initialize(ws)
        r = call(ws, 1, "command/exec",
                 {"command": ["sh", "-c", "getent hosts allowed.test; "
                              "getent hosts other.test || echo refused"],
                  "network": True})
        res = r["result"]
    assert res["exitCode"] == 0, res
    first, second = res["stdout"].splitlines()
    assert ipaddress.ip_address(first.split()[0]) in SYNTH
    assert second == "refused"


# --- a symlinked /etc/resolv.conf (systemd-resolved) ---------------------------------------

# In a private mount namespace, /etc gets an overlay in which resolv.conf
# is a symlink: first to a file (bound over, the file itself untouched),
# then dangling (nothing to bind over; resolvers fall back to 127.0.0.1,
# which is the stub).
SYMLINK_SCRIPT = r"""
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$ROOT/u,workdir=$ROOT/w" /etc || exit 91
rm /etc/resolv.conf && ln -s "$ROOT/stub-resolv.conf" /etc/resolv.conf || exit 92
"$AIRLOCK" run --network --allow allowed.test -- \
	sh -c 'grep nameserver /etc/resolv.conf; getent hosts allowed.test' || exit 93
rm /etc/resolv.conf && ln -s /nonexistent/stub-resolv.conf /etc/resolv.conf || exit 94
"$AIRLOCK" run --network --allow allowed.test -- getent hosts allowed.test || exit 95
"""


def test_symlinked_resolv_conf_is_bound_over_its_target(airlock_env, tmp_path):
    for d in ("u", "w"):
        (tmp_path / d).mkdir()
    target = tmp_path / "stub-resolv.conf"
    target.write_text("nameserver 10.9.9.9\n")
    env = dict(airlock_env.env, AIRLOCK=str(AIRLOCK), ROOT=str(tmp_path))
    r = subprocess.run(["unshare", "-rm", "sh", "-c", SYMLINK_SCRIPT],
                       env=env, capture_output=True, text=True, timeout=60)
    if r.returncode == 91:
        pytest.skip("this kernel has no overlayfs in user namespaces: "
                    + r.stderr)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "nameserver 127.0.0.1"
    for ln in (lines[1], lines[2]):
        assert ipaddress.ip_address(ln.split()[0]) in SYNTH
    assert target.read_text() == "nameserver 10.9.9.9\n"
