/* ttymodes.h — the caller's terminal in raw mode while airlock relays it
 * (pty.h), and its own modes back on every way out.
 *
 * ttymodes_raw() takes raw mode on a terminal, remembering the modes to
 * give back; ttymodes_restore() gives them back. Whatever way airlock
 * leaves while the terminal is raw, the modes come back: exit() (an
 * atexit handler, for die() and other fatal paths) and every signal whose
 * default action ends the process and that nothing else handles when raw
 * mode is first taken (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGALRM, SIGABRT,
 * SIGSEGV, ...): the handler restores the modes, puts the default action
 * back and raises the signal again, so airlock still ends by it. Signals
 * that airlock forwards to the sandbox (sigfwd.h) do not end it: the
 * command ends, and the normal path restores. SIGKILL cannot be caught:
 * the terminal then stays raw (`stty sane` or `reset` mends it).
 *
 * While the terminal is raw, airlock's own messages end lines with "\r\n"
 * (log.h). One terminal per process at a time. tcsetattr from a background job
 * would raise SIGTTOU; restoring blocks it, so that it works whatever the
 * job's state. */
#ifndef AIRLOCK_SANDBOX_TTYMODES_H
#define AIRLOCK_SANDBOX_TTYMODES_H

#include <termios.h>

/* Raw mode as ssh and script take it (no echo, no line editing, no
 * signals, no flow control, no output processing) on fd, whose modes
 * were saved (given back later). Installs the handlers above the first
 * time. */
void ttymodes_raw(int fd, const struct termios *saved);
/* Gives the terminal its saved modes back, if raw mode is on. */
void ttymodes_restore(void);

#endif
