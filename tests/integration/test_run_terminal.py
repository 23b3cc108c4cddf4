"""`airlock run` in a real terminal: the sandbox runs in a process group of
its own, yet the command gets the terminal — keyboard signals, raw mode,
/dev/tty, a REPL — and the caller's shell keeps job control (Ctrl-Z, fg,
a background job that reads the terminal).

A pseudo-terminal stands in for the user's terminal; everything waits for
a marker the program prints, never for a length of time."""
import contextlib
import os
import pty
import select
import shlex
import time

import pytest

from conftest import AIRLOCK

PY = "/usr/bin/python3"


class Term:
    """A program running on a new pseudo-terminal as its session leader
    (so the terminal is its controlling terminal)."""

    def __init__(self, argv, env, cwd):
        self.buf = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.chdir(cwd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)

    def send(self, text):
        os.write(self.fd, text.encode())

    def expect(self, marker, timeout=20):
        """Reads until marker appears; returns what came before it."""
        want = marker.encode()
        deadline = time.monotonic() + timeout
        while want not in self.buf:
            left = deadline - time.monotonic()
            r, _, _ = select.select([self.fd], [], [], max(left, 0))
            if not r:
                raise AssertionError("no %r on the terminal; got %r"
                                     % (marker, self.buf[-400:]))
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                raise AssertionError("terminal closed before %r; got %r"
                                     % (marker, self.buf[-400:]))
            self.buf += chunk
        before, _, self.buf = self.buf.partition(want)
        return before.decode(errors="replace")

    def close(self):
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


@contextlib.contextmanager
def terminal(airlock_env, argv):
    env = dict(airlock_env.env, TERM="dumb", PS1="PROMPT$ ")
    t = Term(argv, env, str(airlock_env.cwd))
    try:
        yield t
    finally:
        t.close()


def airlock_py(code):
    return [str(AIRLOCK), "run", "--", PY, "-c", code]


def shell_line(airlock_env, code, suffix=""):
    """A bash command line running code under airlock. The code goes in a
    file, so that the terminal's echo of the line holds no marker."""
    (airlock_env.cwd / "prog.py").write_text(code)
    return "%s run -- %s prog.py%s\n" % (shlex.quote(str(AIRLOCK)), PY, suffix)


@pytest.fixture
def bash(airlock_env):
    """An interactive bash with job control on the terminal, reporting job
    state changes at once (set -b)."""
    with terminal(airlock_env, ["/bin/bash", "--norc", "--noprofile", "-i"]) as t:
        t.send("set -b; PS1='PROMPT''$ '\n")
        t.expect("PROMPT$ ")
        yield t


# SIGINT is blocked and waited for, so that it counts however early it
# comes.
FOREGROUND = """
import os, signal, sys, termios, tty
fg = os.tcgetpgrp(0) == os.getpgrp()
os.close(os.open('/dev/tty', os.O_RDWR))
print('FG', fg, 'GROUP', os.getpgrp(), flush=True)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
print('WAIT-INT> ', end='', flush=True)
signal.sigwait({signal.SIGINT})
print('CAUGHT-INT', flush=True)
old = termios.tcgetattr(0)
tty.setraw(0)
print('RAW>', end='', flush=True)
c = os.read(0, 1)
termios.tcsetattr(0, termios.TCSADRAIN, old)
print('GOT', c, flush=True)
"""


def test_run_terminal_goes_to_the_command(airlock_env):
    with terminal(airlock_env, airlock_py(FOREGROUND)) as t:
        # The command leads its own group (the init's, pid 1 inside),
        # and that group is the terminal's foreground one.
        assert "FG True GROUP 1" in t.expect("WAIT-INT> ")
        t.send("\x03")
        t.expect("CAUGHT-INT")
        t.expect("RAW>")
        t.send("x")
        t.expect("GOT b'x'")


def test_run_terminal_python_repl(airlock_env):
    with terminal(airlock_env, [str(AIRLOCK), "run", "--", PY, "-q", "-i"]) as t:
        t.expect(">>> ")
        t.send("6 * 7\n")
        assert "42" in t.expect(">>> ")
        # A busy loop that says when it has started ('LO' 'OP' is not
        # in the echoed line).
        t.send("print('LO' 'OP', flush=True); [0 for _ in iter(int, 1)]\n")
        t.expect("LOOP")
        t.send("\x03")
        assert "KeyboardInterrupt" in t.expect(">>> ")
        t.send("print('bye')\n")
        t.expect("bye")


STOP_AND_GO = """
line = input('STOP-ME> ')
print('RESUMED', line, flush=True)
"""


def test_run_terminal_ctrl_z_and_fg(airlock_env, bash):
    bash.send(shell_line(airlock_env, STOP_AND_GO))
    bash.expect("STOP-ME> ")
    bash.send("\x1a")
    assert "Stopped" in bash.expect("PROMPT$ ")
    bash.send("fg\n")
    # bash names the job it continues. What is typed from now on waits in
    # the terminal until the command, continued, reads it.
    bash.expect("prog.py\r\n")
    bash.send("again\n")
    bash.expect("RESUMED again")
    bash.expect("PROMPT$ ")
    bash.send("echo status=$?\n")
    bash.expect("status=0")


def test_run_terminal_background_job_that_reads_stops(airlock_env, bash):
    bash.send(shell_line(airlock_env, "print('READ', input())\n", " &"))
    # Reading the terminal from the background stops the command, and
    # with it the job: bash reports it at once (set -b).
    bash.expect("Stopped")
    bash.send("fg\n")
    bash.expect("prog.py\r\n")
    bash.send("typed\n")
    bash.expect("READ typed")
    bash.expect("PROMPT$ ")
