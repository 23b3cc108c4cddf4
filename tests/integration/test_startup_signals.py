"""A signal that arrives while a server is still starting is handled, not
fatal. Whoever waits for `airlock proxy`'s ready file (a service manager
sending SIGHUP to reload) or for `airlock app-server`'s banner (a person
asking for a new console URL with SIGUSR1) may signal at once; the default
action of both signals ends the process, so the handlers must be in place
before either server says anything.

To hit that moment without depending on timing, the server's stderr is a
pipe the test has filled: its first line blocks it in write(2), the test
sees it blocked there (/proc/PID/wchan), signals it, and only then lets
the pipe drain.
"""
import fcntl
import os
import signal
import subprocess
import threading
import time

from conftest import AIRLOCK

F_SETPIPE_SZ = 1031
WAIT = 20


def full_pipe():
    """A pipe whose buffer is full: the next write to w blocks."""
    r, w = os.pipe()
    fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    fl = fcntl.fcntl(w, fcntl.F_GETFL)
    fcntl.fcntl(w, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFL, fl)
    return r, w


def wait_blocked_in_write(proc):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server ended before writing"
        with open("/proc/%d/wchan" % proc.pid) as f:
            if f.read().strip().endswith("pipe_write"):
                return
        time.sleep(0.01)
    raise AssertionError("the server never blocked writing to stderr")


class Drain(threading.Thread):
    """Reads the pipe to its end; the text after the filler bytes."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd, self.chunks = fd, []

    def run(self):
        while True:
            b = os.read(self.fd, 65536)
            if not b:
                break
            self.chunks.append(b)

    def text(self):
        return b"".join(self.chunks).lstrip(b"x").decode(errors="replace")


def start_blocked(argv, env, cwd):
    r, w = full_pipe()
    proc = subprocess.Popen(argv, cwd=str(cwd), env=env,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=w)
    os.close(w)
    return proc, r


def wait_for(proc, pred, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if pred():
            return
        assert proc.poll() is None, \
            "ended by the signal (status %d) before %s" % (proc.returncode,
                                                           what)
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def test_proxy_survives_sighup_before_it_is_ready(airlock_env):
    (airlock_env.home / "config.toml").write_text(
        '[permissions.network]\nenabled = true\n'
        'proxy_url = "http://127.0.0.1:0"\nadmin_url = "http://127.0.0.1:0"\n')
    ready = airlock_env.root / "ready.json"
    proc, r = start_blocked([str(AIRLOCK), "proxy", "--ready-file",
                             str(ready)], airlock_env.env, airlock_env.cwd)
    drain = Drain(r)
    try:
        wait_blocked_in_write(proc)
        proc.send_signal(signal.SIGHUP)
        drain.start()
        wait_for(proc, ready.exists, "the ready file")
        wait_for(proc, lambda: "config reloaded" in drain.text(),
                 "the reload the SIGHUP asked for")
        assert proc.poll() is None, drain.text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT) == 0, drain.text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)
        if drain.is_alive() or drain.ident is not None:
            drain.join(timeout=WAIT)
        os.close(r)


def test_app_server_survives_sigusr1_before_its_banner(airlock_env):
    proc, r = start_blocked([str(AIRLOCK), "app-server", "--listen",
                             "ws://127.0.0.1:0"], airlock_env.env,
                            airlock_env.cwd)
    drain = Drain(r)
    try:
        wait_blocked_in_write(proc)
        proc.send_signal(signal.SIGUSR1)
        drain.start()
        # The banner's URL, then the one SIGUSR1 asked for.
        wait_for(proc, lambda: drain.text().count("#code=") == 2,
                 "a second login URL")
        assert proc.poll() is None, drain.text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT) == 0, drain.text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)
        if drain.is_alive() or drain.ident is not None:
            drain.join(timeout=WAIT)
        os.close(r)
