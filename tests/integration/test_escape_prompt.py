"""Escapes through the terminal prompt of `airlock run` (doc/approvals.md):
a sandboxed command that tries to answer the prompt for the person, or to
hide or forge it.

The command runs on a pseudo-terminal of its own; airlock reads the
person's terminal itself. So the command's ways at the prompt are its
output: provoking the terminal into a reply that carries an answer key,
leaving an escape sequence open or a name made of control bytes to hide
the prompt's line. The test plays the terminal (a pseudo-terminal it
opens) and the origin (loopback). Runs unprivileged or as root alike."""
import time

from test_run_prompt import ASK, codes, curl, origin, terminal

# Asks the terminal for its window title (the reply, an OSC string, holds
# the title the command chose: "y") and for the cursor position, then
# makes the request that will be asked about.
PROVOKE = r"""
import subprocess, sys
sys.stdout.write("\033]2;y\007\033[21t\033[6n")
sys.stdout.flush()
print("ASKED-TERMINAL", flush=True)
subprocess.run(["sh", "-c", sys.argv[1]])
"""

# The replies a terminal would send, as separate pieces, so that the
# answer key "y" arrives alone in a read if it can.
REPLIES = ["\033]l", "y", "\033\\", "\033[", "1;1", "R", "\033", "Oy"]


def test_a_terminal_reply_the_command_provokes_does_not_answer(airlock_env, tmp_path):
    with origin(airlock_env, tmp_path) as port:
        with terminal(airlock_env, "--", "/usr/bin/python3", "-c", PROVOKE,
                      curl(port)) as t:
            t.expect("ASKED-TERMINAL")
            t.expect(ASK)
            # A slow terminal: the replies reach airlock while the prompt
            # is up. The pauses only make the attack stronger (one piece
            # per read); the outcome does not depend on them.
            for piece in REPLIES:
                t.send(piece)
                time.sleep(0.1)
            t.send("n")
            assert t.expect("\r\n").strip() == "-> denied for this session"
            out = t.rest()
    assert "-> allowed" not in out, out
    assert codes(out) == ["403"], out


def test_the_command_cannot_hide_or_forge_the_prompt_line(airlock_env, tmp_path):
    # A program whose name clears the line and starts a window title,
    # which prints an unfinished title and concealed text first.
    name = "x\033[2K\r\033]2;"
    prog = airlock_env.cwd / name
    with origin(airlock_env, tmp_path) as port:
        prog.write_text("#!/bin/sh\nprintf '\\033]2;\\033[8mhidden'\n%s\n"
                        % curl(port))
        prog.chmod(0o755)
        with terminal(airlock_env, "--", "./" + name) as t:
            t.expect(ASK)
            t.send("n")
            t.expect("-> denied")
            out = t.rest()
    raw = t.log
    # Cancel (CAN), reset attributes, a new line, then the prompt: the
    # command's open sequence and concealment end before it.
    at = raw.index(b"airlock: ./")
    assert raw[at - 7:at] == b"\x18\x1b[0m\r\n", raw[at - 40:at + 40]
    line = raw[at:raw.index(ASK.encode(), at)]
    assert not [c for c in line if c < 0x20 or c >= 0x7f], line
    assert b"./x?[2K??]2;" in line, line
    assert codes(out) == ["403"], out
