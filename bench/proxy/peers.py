"""Start and stop the proxies under test, each on an ephemeral loopback port.

Every proxy is a Proxy: .start() returns once its port accepts
connections (bounded wait), .pids() lists the processes whose RSS counts,
.alive() tells whether it is still running, .stop() always ends it
(SIGTERM, then SIGKILL). Configs, logs and pid files live in a temp dir.
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import time

START_TIMEOUT = 60.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("exited early (rc=%s)" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d not ready in %.0fs" % (port, timeout))


def children_map():
    kids = {}
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        kids.setdefault(ppid, []).append(int(d.name))
    return kids


def tree_pids(root):
    kids = children_map()
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss_kib(pids):
    """Sum of VmRSS over pids (KiB); vanished processes count 0."""
    total = 0
    for p in pids:
        try:
            for line in pathlib.Path("/proc/%d/status" % p).read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pids):
    """User + system CPU seconds of pids, each with its reaped children
    (utime, stime, cutime, cstime of /proc/PID/stat): a worker that exits
    and is waited for during a measurement still counts, in its parent.
    Vanished processes count 0."""
    ticks = 0
    for p in pids:
        try:
            stat = pathlib.Path("/proc/%d/stat" % p).read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


class Proxy:
    name = "?"
    http = False   # speaks HTTP (CONNECT and absolute-form)
    socks = False  # speaks SOCKS5

    def __init__(self, tmp, build):
        self.dir = pathlib.Path(tmp) / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o777)
        self.build = build
        self.proc = None
        self.http_port = self.socks_port = None

    def command(self):
        raise NotImplementedError

    def env(self):
        return None

    def start(self):
        self.log = open(self.dir / "stderr.log", "wb")
        self.proc = subprocess.Popen(
            self.command(), cwd=str(self.dir), env=self.env(),
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            start_new_session=True)
        self.wait_ready()
        return self

    def wait_ready(self):
        wait_port(self.http_port or self.socks_port, self.proc)

    def pids(self):
        return tree_pids(self.proc.pid)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:  # children that outlived the leader (squid, dante)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)
        self.log.close()
        self.proc = None

    def stderr_tail(self):
        try:
            return (self.dir / "stderr.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""


class Airlock(Proxy):
    name = "airlock"
    http = socks = True

    CONFIG = """[permissions.network]
mode = "full"
proxy_url = "http://127.0.0.1:0"
admin_url = "http://127.0.0.1:0"
enable_socks5 = true
socks_url = "http://127.0.0.1:0"
allowed_domains = ["127.0.0.1"]
"""

    def command(self):
        home = self.dir / "home"
        system = self.dir / "system"
        home.mkdir(exist_ok=True)
        system.mkdir(exist_ok=True)
        (home / "config.toml").write_text(self.CONFIG)
        self.ready = self.dir / "ready.json"
        if self.ready.exists():
            self.ready.unlink()
        return [str(pathlib.Path(self.build) / "airlock"), "proxy",
                "--ready-file", str(self.ready)]

    def env(self):
        e = dict(os.environ)
        e["AIRLOCK_HOME"] = str(self.dir / "home")
        e["AIRLOCK_SYSTEM_DIR"] = str(self.dir / "system")
        return e

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("exited early (rc=%s)" % self.proc.returncode)
            try:
                data = json.loads(self.ready.read_text())
                self.http_port = int(data["http"].rpartition(":")[2])
                self.socks_port = int(data["socks"].rpartition(":")[2])
                return
            except (OSError, ValueError, KeyError, AttributeError):
                time.sleep(0.05)
        raise RuntimeError("no ready file in %.0fs" % START_TIMEOUT)


class Tinyproxy(Proxy):
    name = "tinyproxy"
    http = True

    def command(self):
        self.http_port = free_port()
        conf = self.dir / "tinyproxy.conf"
        # No ConnectPort line: CONNECT to every port is allowed.
        conf.write_text(
            "Port %d\nListen 127.0.0.1\nTimeout 600\nMaxClients 20000\n"
            "LogLevel Critical\nPidFile \"%s/tinyproxy.pid\"\n"
            "Allow 127.0.0.1\nDisableViaHeader Yes\n"
            % (self.http_port, self.dir))
        return ["tinyproxy", "-d", "-c", str(conf)]


class Squid(Proxy):
    name = "squid"
    http = True

    def command(self):
        self.http_port = free_port()
        d = self.dir
        conf = d / "squid.conf"
        conf.write_text(f"""http_port 127.0.0.1:{self.http_port}
pid_filename {d}/squid.pid
cache_log {d}/cache.log
access_log none
cache_store_log none
logfile_rotate 0
coredump_dir {d}
cache deny all
cache_mem 8 MB
netdb_filename none
visible_hostname bench
shutdown_lifetime 1 seconds
max_filedescriptors 20000
client_persistent_connections on
server_persistent_connections on
acl local src 127.0.0.1/32
http_access allow local
http_access deny all
""")
        return ["squid", "-N", "-f", str(conf)]


class Microsocks(Proxy):
    name = "microsocks"
    socks = True

    def command(self):
        self.socks_port = free_port()
        return ["microsocks", "-i", "127.0.0.1", "-p", str(self.socks_port)]


class Dante(Proxy):
    name = "dante"
    socks = True

    def command(self):
        self.socks_port = free_port()
        conf = self.dir / "danted.conf"
        conf.write_text(f"""logoutput: {self.dir}/danted.log
internal: 127.0.0.1 port = {self.socks_port}
external: 127.0.0.1
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {{
	from: 127.0.0.1/32 to: 0.0.0.0/0
}}
socks pass {{
	from: 127.0.0.1/32 to: 0.0.0.0/0
	command: connect
}}
""")
        return ["danted", "-f", str(conf), "-p", str(self.dir / "danted.pid")]


ALL = [Airlock, Tinyproxy, Squid, Microsocks, Dante]
