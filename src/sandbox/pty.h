/* pty.h — a pseudo-terminal of the sandbox's own, in front of the
 * caller's terminal (`airlock run` when a person may be asked about its
 * network requests, see prompt.h).
 *
 * A command that shares the caller's terminal could read the key a person
 * presses to answer airlock, or answer for them. With a pty, airlock owns
 * the caller's terminal: it keeps it in raw mode and relays bytes both
 * ways between it and the pty's master, on the loop; the command gets the
 * pty's other end as its controlling terminal (apply.h: the sandbox's
 * init leads a session on it, the command leads its foreground process
 * group). The pty comes from the sandbox's own devpts instance (ctty.h):
 * the sandbox's init makes it once its mounts are built and hands airlock
 * the master, so that inside the terminal has its name (`tty` prints
 * /dev/pts/N). airlock gives the master the caller's terminal modes and
 * window size before the command runs, so the command sees the terminal
 * it would have seen; its line
 * discipline turns Ctrl-C, Ctrl-\ and Ctrl-Z into signals inside; raw-mode
 * programs set its modes, not the caller's.
 *
 * - Input: bytes typed go to the master, unless a prompt diverts them
 *   (pty_divert): then they go to the prompt only, and output is held —
 *   the master is not read (the command may block on a full pty, fine)
 *   until the prompt gives the terminal back. Every byte typed passes
 *   through one key scanner (keyscan.h) either way.
 * - Window size: SIGWINCH (airlock is the caller's terminal's foreground
 *   job) copies the size onto the pty; the kernel signals the command.
 * - Job control: when the command stops (jobctl.h), pty_suspend() relays
 *   what it wrote and gives the caller's terminal its modes back before
 *   airlock stops; pty_resume() (SIGCONT) takes raw mode again when
 *   airlock is in the foreground. In the background airlock relays output
 *   but reads no input and leaves the terminal's modes alone; a prompt then
 *   waits until `fg`.
 * - The caller's modes are restored on every way out: pty_finish() (the
 *   command ended), pty_suspend(), exit() and fatal signals (ttymodes.h).
 *
 * airlock's own descriptors 0 and 2 are never changed: the caller's
 * terminal is opened again (a file description of airlock's own), so
 * non-blocking mode cannot leak to the caller's shell. One pty per
 * process at a time. Not async-signal-safe; all on the loop. */
#ifndef AIRLOCK_SANDBOX_PTY_H
#define AIRLOCK_SANDBOX_PTY_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "lib/errbuf.h"

struct pty;

/* A prompt's input while it diverts the terminal: key is the byte when
 * the read held exactly one byte that is a key of its own (keyscan.h), or
 * -1 for anything else (several bytes at once — a terminal's reply, a
 * paste —, part of an escape sequence). */
typedef void pty_key_fn(void *arg, int key);

/* Opens the pty's side of the terminal on airlock's descriptors 0 and 2
 * (both must be terminals): the caller's terminal opened again, its modes
 * read. The pty itself comes later (pty_attach). NULL with `what: why`
 * in err. */
struct pty *pty_open(struct errbuf *err);
/* Takes master (the sandbox's pty, ctty.h; p owns it from now on, even
 * on failure), gives it the caller's modes and window size and starts
 * relaying on loop; raw mode when airlock is the terminal's foreground
 * job. Once only. -1 with `what: why` in err. */
int pty_attach(struct pty *p, int master, uv_loop_t *loop,
	       struct errbuf *err);
/* Diverts the terminal to fn (a prompt), holding the command's output
 * and input; fn NULL gives it back. */
void pty_divert(struct pty *p, pty_key_fn *fn, void *arg);
/* Writes text to the caller's terminal after what the command wrote
 * before (a prompt line; raw mode: end lines with "\r\n"). */
void pty_print(struct pty *p, const char *text);
/* Whether the last byte the terminal got ended a line (or none came). */
bool pty_at_line_start(const struct pty *p);
/* The command stopped: relay what it wrote, restore the caller's modes. */
void pty_suspend(struct pty *p);
/* airlock was continued: raw mode and input again if in the foreground;
 * the size copied again (it may have changed meanwhile). */
void pty_resume(struct pty *p);
/* The command is gone: relays the rest of its output, restores the
 * caller's modes and stops every handle (the loop may end). Later
 * pty_print()s go straight to the terminal. Idempotent. */
void pty_finish(struct pty *p);
/* Closes everything (pty_finish() first if need be); the memory goes
 * once the handles have closed, so the loop must run after. NULL is
 * ignored. */
void pty_free(struct pty *p);

#endif
