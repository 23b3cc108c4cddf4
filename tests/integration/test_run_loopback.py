"""The sandbox's own loopback and local IPC: real programs that start
servers on 127.0.0.1 and ::1, or talk over unix sockets, work inside
`airlock run` with the network off and on.

Inside, 127.0.0.1 and ::1 belong to the command (any port, TCP and UDP);
unix sockets the command binds work; a host socket that config lists
works too. What stays out of reach is covered by test_escape_unix.py and
test_run_escape.py. NO_PROXY inside the sandbox names the loopback
(localhost,127.0.0.1,::1), so proxy-aware clients reach these servers
directly too.
"""
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import AIRLOCK
from runutil import PY

GRANT = ("--network", "--allow", "127.0.0.1:1")
MODES = pytest.mark.parametrize("flags", [(), GRANT], ids=["off", "granted"])


def run(airlock_env, flags, *cmd, timeout=120, env=None):
    p = airlock_env.run("run", *flags, "--", *cmd, timeout=timeout, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


PYTEST_SUITE = '''
import http.client, http.server, socket, threading
import pytest

class V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

@pytest.fixture(params=[("127.0.0.1", http.server.ThreadingHTTPServer),
                        ("::1", V6Server)], ids=["v4", "v6"])
def server(request):
    host, cls = request.param
    srv = cls((host, 0), Hello)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield host, srv.server_address[1]
    srv.shutdown()
    srv.server_close()

def test_get(server):
    host, port = server
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", "/x")
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"hello /x")

def test_udp_echo_on_loopback():
    for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        a = socket.socket(fam, socket.SOCK_DGRAM); a.bind((host, 0))
        b = socket.socket(fam, socket.SOCK_DGRAM); b.settimeout(10)
        b.sendto(b"ping", a.getsockname())
        data, peer = a.recvfrom(16)
        a.sendto(data.upper(), peer)
        assert b.recv(16) == b"PING"
'''


@MODES
def test_pytest_suite_serving_http_on_loopback(airlock_env, flags):
    (airlock_env.cwd / "test_srv.py").write_text(PYTEST_SUITE)
    p = run(airlock_env, flags, PY, "-m", "pytest", "-q", "-p",
            "no:cacheprovider", "test_srv.py")
    assert "3 passed" in p.stdout


NODE = r'''
const http = require("http");
const srv = http.createServer((req, res) => res.end("node " + req.url));
srv.listen(0, process.argv[2], () => {
  const { port } = srv.address();
  http.get({ host: process.argv[2], port, path: "/y" }, (res) => {
    let b = "";
    res.on("data", (d) => (b += d));
    res.on("end", () => { console.log(b); srv.close(); });
  });
});
'''


@MODES
@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_node_http_server_and_client(airlock_env, flags, host):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing (scripts/install-deps --test)")
    (airlock_env.cwd / "srv.js").write_text(NODE)
    # NODE_USE_ENV_PROXY stays set: NO_PROXY names the loopback.
    p = run(airlock_env, flags, node, "srv.js", host)
    assert p.stdout == "node /y\n"


MANAGER = '''
import multiprocessing as mp
def work(d, i):
    d[i] = i * i
if __name__ == "__main__":
    with mp.Manager() as m:
        d = m.dict()
        ps = [mp.Process(target=work, args=(d, i)) for i in range(4)]
        for p in ps: p.start()
        for p in ps: p.join()
        print(sorted(d.items()))
    with mp.Pool(2) as pool:
        print(pool.map(abs, [-1, -2, -3]))
'''


@MODES
def test_multiprocessing_manager_and_pool(airlock_env, flags):
    (airlock_env.cwd / "mgr.py").write_text(MANAGER)
    p = run(airlock_env, flags, PY, "mgr.py")
    assert p.stdout.splitlines() == ["[(0, 0), (1, 1), (2, 4), (3, 9)]",
                                     "[1, 2, 3]"]


UNIX_ECHO = '''
import os, socket, threading, array
srv = socket.socket(socket.AF_UNIX)
srv.bind("echo.sock")
srv.listen()
def serve():
    c, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(c, 64, 1)
    c.sendall(msg.upper() + os.read(fds[0], 16))
threading.Thread(target=serve, daemon=True).start()
cli = socket.socket(socket.AF_UNIX)
cli.connect(os.path.abspath("echo.sock"))
r, w = os.pipe()
os.write(w, b"+fd")
socket.send_fds(cli, [b"hello"], [r])
print(cli.recv(64).decode())
# A datagram socket bound in the workspace, reached by name.
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.bind("dgram.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"dgram", "dgram.sock")
print(d.recv(16).decode())
# The sandbox's own abstract names.
a = socket.socket(socket.AF_UNIX)
a.bind("\\0airlock-own-abstract")
a.listen()
socket.socket(socket.AF_UNIX).connect("\\0airlock-own-abstract")
print("abstract")
'''


@MODES
def test_unix_echo_server_and_client_in_the_workspace(airlock_env, flags):
    (airlock_env.cwd / "echo.py").write_text(UNIX_ECHO)
    p = run(airlock_env, flags, PY, "echo.py")
    assert p.stdout.splitlines() == ["HELLO+fd", "dgram", "abstract"]
    assert "refused" not in p.stderr


PASSCRED = """
import os, socket, struct, sys
kind = getattr(socket, "SOCK_" + sys.argv[1].upper())
a, b = socket.socketpair(socket.AF_UNIX, kind)
b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
r, w = os.pipe()
child = os.fork()
if child == 0:  # a descriptor goes along, as a zygote's ping does
    a.sendmsg([b"ping"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                            struct.pack("i", r))])
    os._exit(0)
os.waitpid(child, 0)
msg, anc, _, _ = b.recvmsg(64, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(4))
creds, fds = None, 0
for level, kind, data in anc:
    if kind == socket.SCM_CREDENTIALS:
        creds = struct.unpack("iII", data[:12])
    elif kind == socket.SCM_RIGHTS:
        fds += len(data) // 4
print(msg.decode(), child, creds[0], creds[1] == os.getuid(), fds)
"""


@MODES
@pytest.mark.parametrize("kind", ["seqpacket", "stream", "dgram"])
def test_a_passcred_receiver_sees_the_sender(airlock_env, flags, kind):
    """The supervisor sends the command's unix messages itself; as root it
    attaches the sender's own credentials, so a receiver with SO_PASSCRED
    sees the sender's pid (otherwise airlock's, 0 inside: doc/sandbox.md)."""
    (airlock_env.cwd / "passcred.py").write_text(PASSCRED)
    p = run(airlock_env, flags, PY, "passcred.py", kind)
    msg, sender, pid, same_uid, fds = p.stdout.split()
    assert (msg, same_uid, fds) == ("ping", "True", "1"), p.stdout
    assert int(pid) == (int(sender) if os.geteuid() == 0 else 0), p.stdout


def test_root_without_cap_sys_admin_still_delivers(airlock_env):
    """Root in a container without CAP_SYS_ADMIN may not name a pid: the
    kernel refuses the credentials, and the message goes without them."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop CAP_SYS_ADMIN")
    (airlock_env.cwd / "passcred.py").write_text(PASSCRED)
    p = subprocess.run(
        ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps",
         "-sys_admin", str(AIRLOCK), "run", "--", PY, "passcred.py",
         "seqpacket"], cwd=str(airlock_env.cwd), env=airlock_env.env,
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.split()[0] == "ping" and p.stdout.split()[2] == "0", \
        p.stdout


def test_chromium_with_its_zygote_renders_a_page(airlock_env):
    """Chromium's zygote learns each child's pid from SO_PASSCRED and stops
    at a pid of 0 ("Invalid pid from parent zygote")."""
    if os.geteuid() != 0:
        pytest.skip("the sender's pid reaches a receiver only when airlock "
                    "runs as root (doc/sandbox.md); otherwise --no-zygote")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is missing (scripts/install-deps --test)")
    page = airlock_env.cwd / "page.html"
    page.write_text('<p id="x">static</p><script>document.getElementById'
                    '("x").textContent = "rendered by " + "script"</script>')
    p = run(airlock_env, (), chromium, "--headless", "--no-sandbox",
            "--disable-gpu", "--user-data-dir=%s" % (airlock_env.cwd / "prof"),
            "--dump-dom", page.as_uri(), timeout=120)
    assert "rendered by script" in p.stdout, p.stdout + p.stderr[-2000:]


def test_a_socket_bound_in_tmp_works_in_read_only_mode_too(airlock_env):
    # multiprocessing's listener lives in /tmp, which read-only mode cannot
    # write; the abstract namespace still works there.
    p = run(airlock_env, ("-s", "read-only"), PY, "-c",
            "import socket\n"
            "a = socket.socket(socket.AF_UNIX); a.bind('\\0ro'); a.listen()\n"
            "socket.socket(socket.AF_UNIX).connect('\\0ro'); print('ok')\n")
    assert p.stdout == "ok\n"


def test_dangerously_allow_all_unix_sockets_reaches_host_sockets(airlock_env,
                                                                 tmp_path):
    path = str(tmp_path / "host.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    try:
        p = run(airlock_env,
                ("-c", "permissions.network.dangerously_allow_all_unix_sockets"
                 "=true"), PY, "-c",
                "import socket; socket.socket(socket.AF_UNIX).connect(%r); "
                "print('ok')" % path)
        assert p.stdout == "ok\n"
        srv.settimeout(10)
        srv.accept()[0].close()
    finally:
        srv.close()


def test_network_off_reaches_nothing_beyond_loopback(airlock_env):
    p = run(airlock_env, (), PY, "-c",
            "import socket, errno\n"
            "for addr in (('192.0.2.1', 80), ('2001:db8::1', 80)):\n"
            "    try:\n"
            "        socket.create_connection(addr, timeout=5)\n"
            "        print('reached')\n"
            "    except OSError as e:\n"
            "        print(errno.errorcode[e.errno])\n")
    assert p.stdout.split() == ["ENETUNREACH", "ENETUNREACH"]


PG_BIN = "/usr/lib/postgresql/15/bin"


def test_postgres_on_a_unix_socket_in_the_workspace(airlock_env):
    # initdb and postgres refuse to run as root: as root, airlock itself
    # runs as nobody (a copy of the binary nobody can reach).
    if not os.path.exists(os.path.join(PG_BIN, "initdb")):
        pytest.fail("postgresql is missing (scripts/install-deps --test)")
    script = (
        "set -e; export PGHOST=$PWD/sock; mkdir -p sock; "
        f"{PG_BIN}/initdb -A trust -U t -D db >/dev/null; "
        f"{PG_BIN}/pg_ctl -D db -o \"-k $PWD/sock -c listen_addresses=''\" "
        "-w -t 60 -l pg.log start >/dev/null; "
        "psql -U t -d postgres -Atc 'select 40 + 2'; "
        f"{PG_BIN}/pg_ctl -D db -m fast -w stop >/dev/null")
    if os.geteuid() != 0:
        run(airlock_env, (), "sh", "-c", script)
        return
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to run postgres as nobody")
    work = tempfile.mkdtemp(prefix="airlock-pg-")
    try:
        binary = os.path.join(work, "airlock")
        shutil.copy2(str(AIRLOCK), binary)
        os.chmod(work, 0o755)
        os.mkdir(os.path.join(work, "ws"))
        os.chown(os.path.join(work, "ws"), 65534, 65534)
        env = dict(airlock_env.env, AIRLOCK_HOME=os.path.join(work, "ws", ".h"),
                   AIRLOCK_SYSTEM_DIR=os.path.join(work, "ws", ".s"))
        p = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             binary, "run", "--", "sh", "-c", script],
            cwd=os.path.join(work, "ws"), env=env, capture_output=True,
            text=True, timeout=180)
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout == "42\n"
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- the hint for a host port that was meant ---------------------------------------

HINT = ("airlock: nothing listened on {addr}:{port} inside the sandbox "
        "({n} connection(s) refused): the sandbox's loopback is its own; a "
        "service of the host on that port is reached with {net}--allow "
        "{addr}:{port}")


@MODES
def test_a_host_port_tried_inside_gets_a_hint_naming_the_allow_entry(
        airlock_env, flags):
    # A server of the host on 127.0.0.1:PORT is not the sandbox's: the
    # connections are refused, and airlock says how to forward that port.
    host = socket.create_server(("127.0.0.1", 0))
    port = host.getsockname()[1]
    try:
        # Blocking connects: the supervisor sees how each one ends.
        # (A non-blocking one is noted when the kernel has answered by the
        # time connect() returns, as it does on the loopback.)
        p = run(airlock_env, flags, PY, "-c",
                "import socket, sys\n"
                "port = int(sys.argv[1])\n"
                "for host in ('127.0.0.1', '127.0.0.1', '::1'):\n"
                "    try:\n"
                "        socket.create_connection((host, port)).close()\n"
                "        print('reached')\n"
                "    except ConnectionRefusedError:\n"
                "        print('refused')\n", str(port))
    finally:
        host.close()
    assert p.stdout.split() == ["refused"] * 3
    net = "" if flags else "--network "
    assert HINT.format(addr="127.0.0.1", port=port, n=2, net=net) in p.stderr
    assert HINT.format(addr="[::1]", port=port, n=1, net=net) in p.stderr


@MODES
def test_a_server_that_starts_late_gets_no_hint(airlock_env, flags):
    # A test's readiness loop: refused until its own server listens, then
    # answered. That is the sandbox's loopback working, not a miss; a port
    # that never answered keeps its hint. Blocking and non-blocking
    # connects alike.
    p = run(airlock_env, flags, PY, "-c",
            "import socket\n"
            "late, never = socket.socket(), socket.socket()\n"
            "late.bind(('127.0.0.1', 0))\n"
            "never.bind(('127.0.0.1', 0))\n"
            "ports = [s.getsockname()[1] for s in (late, never)]\n"
            "for port in ports:\n"
            "    for blocking in (True, False):\n"
            "        c = socket.socket()\n"
            "        c.setblocking(blocking)\n"
            "        c.connect_ex(('127.0.0.1', port))\n"
            "        c.close()\n"
            "late.listen()\n"
            "socket.create_connection(('127.0.0.1', ports[0])).close()\n"
            "print(*ports)\n")
    late, never = p.stdout.split()
    assert "127.0.0.1:%s inside" % late not in p.stderr, p.stderr
    net = "" if flags else "--network "
    # The blocking connect is always counted, the non-blocking one when the
    # kernel had answered it by the time connect() returned.
    assert any(HINT.format(addr="127.0.0.1", port=never, n=n, net=net)
               in p.stderr for n in (1, 2)), p.stderr


@MODES
@pytest.mark.parametrize("listen_on,tried", [("127.0.0.1", "::1"),
                                             ("0.0.0.0", "::1"),
                                             ("::1", "127.0.0.1")],
                         ids=["v4", "v4-any", "v6"])
def test_localhost_tried_on_both_families_gets_no_hint(airlock_env, flags,
                                                       listen_on, tried):
    # A client of `localhost` (node, Selenium's chromedriver client) is
    # refused on one family's loopback, then reaches the server on the
    # other: no host service is missing, so no hint. The same port refused
    # with nothing listening on either family keeps its hint.
    p = run(airlock_env, flags, PY, "-c",
            "import socket, sys\n"
            "listen_on, tried = sys.argv[1], sys.argv[2]\n"
            "fam = socket.AF_INET6 if ':' in listen_on else socket.AF_INET\n"
            "srv = socket.socket(fam)\n"
            "srv.bind((listen_on, 0))\n"
            "srv.listen()\n"
            "port = srv.getsockname()[1]\n"
            "for host in (tried, listen_on.replace('0.0.0.0', '127.0.0.1')):\n"
            "    try:\n"
            "        socket.create_connection((host, port)).close()\n"
            "        print('reached')\n"
            "    except ConnectionRefusedError:\n"
            "        print('refused')\n"
            "srv.close()\n"
            "try:\n"
            "    socket.create_connection((tried, port)).close()\n"
            "except ConnectionRefusedError:\n"
            "    print('refused')\n"
            "print(port)\n", listen_on, tried)
    *outcomes, port = p.stdout.split()
    assert outcomes == ["refused", "reached", "refused"], p.stdout
    addr = "[::1]" if tried == "::1" else tried
    net = "" if flags else "--network "
    # One refusal is counted: the one after the server was gone.
    assert HINT.format(addr=addr, port=port, n=1, net=net) in p.stderr, \
        p.stderr
