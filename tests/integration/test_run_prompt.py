"""`airlock run` asks at its terminal (doc/approvals.md, "airlock run"): with
network granted, an approval policy that may ask and a terminal on stdin
and stderr, the command gets a pseudo-terminal of its own, and an
allowlist miss is put to the person as one prompt line answered by one
key that airlock reads itself.

A pseudo-terminal the test opens stands in for the person's terminal;
curl inside the sandbox asks for a name (`api.test`, `two.test`) that
build/tests/fakedns.so resolves to an HTTP origin on 127.0.0.1. Every
wait reads the terminal until a marker, bounded by a deadline that only
bounds a failure; nothing depends on timing."""
import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import socket
import struct
import termios
import time

from conftest import AIRLOCK, fake_dns_env
from runutil import static_origin

PY = "/usr/bin/python3"
NAME, NAME2 = "api.test", "two.test"
BODY = b"approved-body\n"
ASK = "(Enter = no) "


class Term:
    """airlock on a new pseudo-terminal as the controlling terminal of its
    session, like a shell's foreground job. modes: the terminal's modes
    before airlock started (the child waits for the parent to read them)."""

    def __init__(self, argv, env, cwd, size=(24, 80)):
        self.buf = self.log = b""
        go_r, go_w = os.pipe()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.close(go_w)
                os.read(go_r, 1)
                os.chdir(cwd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        os.close(go_r)
        self.resize(*size)
        self.modes = termios.tcgetattr(self.fd)
        os.write(go_w, b"g")
        os.close(go_w)
        self.status = None

    def resize(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, text):
        os.write(self.fd, text.encode())

    def _read(self, deadline, what):
        left = deadline - time.monotonic()
        r, _, _ = select.select([self.fd], [], [], max(left, 0))
        if not r:
            raise AssertionError("no %s on the terminal; got %r"
                                 % (what, self.buf[-600:]))
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:
            chunk = b""
        return chunk

    def expect(self, marker, timeout=30):
        """Reads until marker appears; returns what came before it."""
        want = marker.encode()
        deadline = time.monotonic() + timeout
        while want not in self.buf:
            chunk = self._read(deadline, repr(marker))
            if not chunk:
                raise AssertionError("terminal closed before %r; got %r"
                                     % (marker, self.buf[-600:]))
            self.buf += chunk
            self.log += chunk
        before, _, self.buf = self.buf.partition(want)
        return before.decode(errors="replace")

    def rest(self, timeout=30):
        """Reads up to airlock's end (the terminal's hang-up) and waits for
        its exit status; returns everything the terminal showed."""
        deadline = time.monotonic() + timeout
        while True:
            chunk = self._read(deadline, "end")
            if not chunk:
                break
            self.log += chunk
        _, st = os.waitpid(self.pid, 0)
        self.status = os.waitstatus_to_exitcode(st)
        self.buf = b""
        return self.log.decode(errors="replace")

    def modes_now(self):
        return termios.tcgetattr(self.fd)

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@contextlib.contextmanager
def terminal(env, *args, size=(24, 80)):
    e = dict(env.env, TERM="xterm")
    t = Term([str(AIRLOCK), "run", *args], e, str(env.cwd), size)
    try:
        yield t
    finally:
        t.close()


def net_config(env, extra=""):
    """On-request approvals, network on; only the origin's address is
    allowlisted, so api.test and two.test are misses that resolve to it.
    Returns the origin's bound socket."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env.write("home/config.toml",
              'approval_policy = "on-request"\n' + extra +
              "[sandbox_workspace_write]\nnetwork_access = true\n"
              "[permissions.network]\nallowed_domains = [\"127.0.0.1:%d\"]\n"
              % port)
    env.env.update(fake_dns_env(env, [(NAME, "127.0.0.1"),
                                      (NAME2, "127.0.0.1")]))
    return sock


def curl(port, name=NAME):
    return ("curl -s -m 60 -o /dev/null -w 'code=%%{http_code}\\n' "
            "http://%s:%d/" % (name, port))


def codes(text):
    return re.findall(r"code=(\d+)", text)


@contextlib.contextmanager
def origin(env, tmp_path, extra=""):
    sock = net_config(env, extra)
    with static_origin(tmp_path, BODY, sock) as srv:
        yield srv.server_address[1]


# --- the answers ---------------------------------------------------------------

def test_prompt_names_the_request_and_y_allows_once(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        script = "%s; %s" % (curl(port), curl(port))
        with terminal(airlock_env, "--", "sh", "-c", script) as t:
            line = t.expect(ASK)
            # The program airlock started, and the process of the sandbox
            # that made the request (its pid there, its command line).
            assert re.search(
                r"airlock: sh \(pid \d+: curl -s -m 60 -o /dev/null -w "
                r"code=%%\{http_code\}\\n http://%s:%d/\) wants http "
                r"%s:%d GET: not on the allowlist\. Allow\? \[y\]once "
                r"\[s\]ession \[a\]lways \[n\]o \[d\]eny always"
                % (re.escape(NAME), port, re.escape(NAME), port), line), line
            t.send("y")
            t.expect("-> allowed once")
            # Once is once: the second curl is asked again.
            t.expect(ASK)
            t.send("n")
            t.expect("-> denied for this session")
            out = t.rest()
    assert codes(out) == ["200", "403"], out
    assert t.status == 0


def test_prompt_names_the_process_behind_a_connect_tunnel(airlock_env, tmp_path):
    """A CONNECT tunnel's client is named as a plain request's is (full
    mode: limited mode refuses a tunnel to a port other than 443 without
    asking)."""
    with origin(airlock_env, tmp_path) as port:
        cmd = ("curl -s -m 60 -p -o /dev/null -w 'code=%%{http_code}\\n' "
               "http://%s:%d/" % (NAME, port))
        with terminal(airlock_env, "--mode", "full", "--", "sh", "-c",
                      cmd) as t:
            line = t.expect(ASK)
            assert re.search(r"airlock: sh \(pid \d+: curl -s -m 60 -p .* "
                             r"http://%s:%d/\) wants https %s:%d CONNECT"
                             % (re.escape(NAME), port, re.escape(NAME), port),
                             line), line
            t.send("y")
            t.expect("-> allowed once")
            out = t.rest()
    assert codes(out) == ["200"], out


SHARE = """\
import os, socket, sys, urllib.parse
u = urllib.parse.urlsplit(os.environ["http_proxy"])
s = socket.create_connection((u.hostname, u.port))
r, w = os.pipe()
child = os.fork()
if child == 0:  # holds the connection too, until the parent is done
    os.close(w)
    os.read(r, 1)
    os._exit(0)
os.close(r)
target = "%s:%s" % (sys.argv[1], sys.argv[2])
s.sendall(("GET http://%s/ HTTP/1.1\\r\\nHost: %s\\r\\n"
           "Connection: close\\r\\n\\r\\n" % (target, target)).encode())
print("status:", s.recv(64).split(b"\\r\\n")[0].decode())
os.close(w)
os.waitpid(child, 0)
"""


def test_prompt_counts_every_process_holding_the_connection(airlock_env, tmp_path):
    (airlock_env.cwd / "share.py").write_text(SHARE)
    with origin(airlock_env, tmp_path) as port:
        with terminal(airlock_env, "--", PY, "share.py", NAME,
                      str(port)) as t:
            line = t.expect(ASK)
            assert re.search(r"airlock: %s \(pid \d+: %s share\.py %s %d "
                             r"\(\+1 more\)\) wants http %s:%d GET"
                             % (re.escape(PY), re.escape(PY), re.escape(NAME),
                                port, re.escape(NAME), port), line), line
            t.send("n")
            t.expect("-> denied for this session")
            out = t.rest()
    assert "status: HTTP/1.1 403" in out, out
    assert t.status == 0


def test_s_allows_for_the_session(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        script = "%s; %s; echo DONE" % (curl(port), curl(port))
        with terminal(airlock_env, "--", "sh", "-c", script) as t:
            t.expect(ASK)
            t.send("s")
            t.expect("-> allowed for this session")
            out = t.rest()
    assert codes(out) == ["200", "200"] and "DONE" in out, out
    assert out.count(ASK) == 1, out
    assert not (airlock_env.home / "approvals.toml").exists()


def test_a_persists_and_a_new_run_passes_without_asking(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        with terminal(airlock_env, "--", "sh", "-c", curl(port)) as t:
            t.expect(ASK)
            t.send("a")
            t.expect("-> allowed always")
            assert codes(t.rest()) == ["200"]
        entry = "%s:%d" % (NAME, port)
        r = airlock_env.run("approvals", "list")
        assert r.returncode == 0 and entry in r.stdout and "allow" in r.stdout, r
        # A new run, on a terminal: nothing is asked.
        with terminal(airlock_env, "--", "sh", "-c",
                      curl(port) + "; echo DONE") as t:
            out = t.rest()
    assert codes(out) == ["200"] and "DONE" in out and ASK not in out, out


def test_always_in_a_setup_sandbox_applies_to_the_command(airlock_env, tmp_path):
    # The first sandbox's proxy takes the config `airlock run` loaded;
    # the command's proxy reads the files again, so what a person answered
    # "always" during setup (approvals.toml) needs no second question.
    with origin(airlock_env, tmp_path) as port:
        with terminal(airlock_env, "-c",
                      "permissions.network.allow_local_binding=true",
                      "--setup", curl(port), "--", "sh", "-c",
                      curl(port) + "; echo DONE") as t:
            t.expect(ASK)
            t.send("a")
            t.expect("-> allowed always")
            out = t.rest()
    assert codes(out) == ["200", "200"] and "DONE" in out, out
    assert out.count(ASK) == 1, out
    assert t.status == 0


def test_n_and_enter_deny_and_d_denies_always(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        script = "%s; %s; %s" % (curl(port), curl(port), curl(port, NAME2))
        with terminal(airlock_env, "--", "sh", "-c", script) as t:
            t.expect(ASK)
            t.send("\r")
            t.expect("-> denied for this session")
            # A deny is remembered for the run: the second curl is not
            # asked; the next name is.
            assert NAME2 in t.expect(ASK)
            t.send("d")
            t.expect("-> denied always")
            out = t.rest()
        assert codes(out) == ["403", "403", "403"], out
        assert out.count(ASK) == 2, out
        r = airlock_env.run("approvals", "list")
        assert "%s:%d" % (NAME2, port) in r.stdout and "deny" in r.stdout, r


def test_an_unanswered_prompt_times_out_as_a_deny(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        with terminal(airlock_env, "-c", "approval_timeout_ms=100", "--",
                      "sh", "-c", curl(port)) as t:
            t.expect(ASK)
            t.expect("-> no answer within 100 ms: denied\r\n")
            out = t.rest()
    assert codes(out) == ["403"], out
    assert "(asked; no answer within 100 ms)" in out, out


def test_several_pending_keys_are_asked_one_after_another(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        script = "%s & %s & wait" % (curl(port), curl(port, NAME2))
        with terminal(airlock_env, "--", "sh", "-c", script) as t:
            first = t.expect(ASK)
            t.send("y")
            # The second line comes only after the first is settled.
            second = t.expect(ASK)
            assert "-> allowed once" in second, second
            t.send("n")
            t.expect("-> denied for this session")
            out = t.rest()
    hosts = {n for n in (NAME, NAME2) if n in first}
    assert len(hosts) == 1 and (hosts.pop() == NAME) != (NAME in second)
    assert sorted(codes(out)) == ["200", "403"], out


# --- the command never sees the answer ------------------------------------------------

# Reads a line from its terminal while curl, in the background, waits for
# the answer; prints what it read.
READER = """
import subprocess, sys
p = subprocess.Popen(["sh", "-c", sys.argv[1]])
print("READING", flush=True)
line = sys.stdin.readline()
print("READ=%r" % line, flush=True)
p.wait()
"""


def test_the_command_cannot_read_the_answer_key(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        with terminal(airlock_env, "--", PY, "-c", READER, curl(port)) as t:
            t.expect(ASK)
            t.send("y")
            t.expect("-> allowed once")
            t.send("typed\r")
            out = t.rest()
    assert "READ='typed\\n'" in out, out
    assert codes(out) == ["200"], out


# --- the command's own terminal ----------------------------------------------------------

# Raw mode, as vim or less take it: every byte comes as it is typed, Ctrl-C
# included; then the size and a SIGWINCH.
RAW = """
import os, signal, sys, termios, tty
sig = []
signal.signal(signal.SIGWINCH, lambda *a: sig.append(1))
old = termios.tcgetattr(0)
tty.setraw(0)
os.write(1, b"RAW>")
got = b""
while not got.endswith(b"q"):
    got += os.read(0, 1)
termios.tcsetattr(0, termios.TCSADRAIN, old)
print("\\r\\nGOT %r" % got, flush=True)
sz = os.get_terminal_size(0)
print("SIZE %dx%d" % (sz.lines, sz.columns), flush=True)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGWINCH})
print("RESIZE-ME", flush=True)
if not sig:
    signal.sigwait({signal.SIGWINCH})
sz = os.get_terminal_size(0)
print("NEW-SIZE %dx%d" % (sz.lines, sz.columns), flush=True)
"""


def test_raw_mode_programs_and_window_size_work(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path):
        with terminal(airlock_env, "--", PY, "-c", RAW, size=(31, 97)) as t:
            t.expect("RAW>")
            # airlock holds its own terminal raw while the command runs.
            assert not t.modes_now()[3] & termios.ICANON
            t.send("a\x03\x1a\x1b[Aq")
            assert "GOT b'a\\x03\\x1a\\x1b[Aq'" in t.expect("SIZE 31x97")
            t.expect("RESIZE-ME")
            t.resize(40, 120)
            t.expect("NEW-SIZE 40x120")
            t.rest()
            assert t.modes_now() == t.modes
        assert t.status == 0


TTY_NAME = """\
import os
print("NAMES", os.ttyname(0), os.ttyname(1), os.ttyname(2), flush=True)
"""


def test_the_commands_terminal_has_its_name_inside(airlock_env, tmp_path):
    # The pty comes from the sandbox's own devpts: `tty` and ttyname()
    # name it (GPG_TTY=$(tty) for pinentry), and it is the device the
    # command holds.
    script = ("t=$(tty) || exit 9; echo TTY=$t; "
              "[ \"$(stat -L -c %t:%T /dev/stdin)\" = "
              "\"$(stat -c %t:%T \"$t\")\" ] && echo SAME-DEVICE; "
              "exec " + PY + " -c '" + TTY_NAME + "'")
    with origin(airlock_env, tmp_path):
        with terminal(airlock_env, "--", "sh", "-c", script) as t:
            t.expect("TTY=")
            name = t.expect("\r\n")
            assert re.fullmatch(r"/dev/pts/\d+", name), name
            t.expect("SAME-DEVICE")
            t.expect("NAMES ")
            assert t.expect("\r\n").split() == [name] * 3
            t.rest()
        assert t.status == 0


def test_ctrl_c_reaches_the_command_as_a_signal(airlock_env, tmp_path):
    code = ("import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, "
            "{signal.SIGINT})\nprint('WAIT-INT', flush=True)\n"
            "signal.sigwait({signal.SIGINT})\nprint('CAUGHT-INT')\n")
    with origin(airlock_env, tmp_path):
        with terminal(airlock_env, "--", PY, "-c", code) as t:
            t.expect("WAIT-INT")
            t.send("\x03")
            t.expect("CAUGHT-INT")
            t.rest()
        assert t.status == 0


# --- the caller's modes come back on every way out ---------------------------------------

def test_modes_are_restored_when_the_command_is_killed(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path):
        with terminal(airlock_env, "--", "sh", "-c",
                      "echo READY; kill -KILL $$") as t:
            t.expect("READY")
            t.rest()
            assert t.modes_now() == t.modes
        assert t.status == 128 + signal.SIGKILL


def test_modes_are_restored_when_airlock_is_terminated_at_a_prompt(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        with terminal(airlock_env, "--", "sh", "-c", curl(port)) as t:
            t.expect(ASK)
            assert not t.modes_now()[3] & termios.ICANON
            os.kill(t.pid, signal.SIGTERM)
            out = t.rest()
            assert t.modes_now() == t.modes
        assert "-> " in out, out
        assert t.status == 128 + signal.SIGTERM


def test_modes_are_restored_when_a_fatal_signal_ends_airlock(airlock_env, tmp_path):
    # SIGALRM is not forwarded to the sandbox: it ends airlock itself.
    with origin(airlock_env, tmp_path):
        with terminal(airlock_env, "--", PY, "-c",
                      "print('READY', flush=True); input()") as t:
            t.expect("READY")
            assert not t.modes_now()[3] & termios.ICANON
            os.kill(t.pid, signal.SIGALRM)
            t.rest()
            assert t.modes_now() == t.modes
        assert t.status == -signal.SIGALRM


# --- job control -------------------------------------------------------------------------

STOP_AND_GO = """
line = input('STOP-ME> ')
print('RESUMED', line, flush=True)
"""


def test_ctrl_z_stops_the_job_and_fg_continues_it(airlock_env, tmp_path):
    (airlock_env.cwd / "prog.py").write_text(STOP_AND_GO)
    with origin(airlock_env, tmp_path):
        e = dict(airlock_env.env, TERM="dumb")
        t = Term(["/bin/bash", "--norc", "--noprofile", "-i"], e,
                 str(airlock_env.cwd))
        try:
            t.send("set -b; PS1='PROMPT''$ '\n")
            t.expect("PROMPT$ ")
            t.send("%s run -- %s prog.py\n" % (AIRLOCK, PY))
            t.expect("STOP-ME> ")
            t.send("\x1a")
            assert "Stopped" in t.expect("PROMPT$ ")
            # The shell has its terminal back.
            t.send("echo SHELL''-OK\n")
            t.expect("SHELL-OK")
            t.expect("PROMPT$ ")
            t.send("fg\n")
            t.expect("prog.py\r\n")
            t.send("again\n")
            t.expect("RESUMED again")
            t.expect("PROMPT$ ")
            t.send("echo status=$?\n")
            t.expect("status=0")
        finally:
            t.close()
