/* ctty.h — the sandbox's own terminal, made inside it (`airlock run`
 * with a pty, pty.h).
 *
 * The command's pseudo-terminal comes from the sandbox's own devpts
 * instance (mounted on /dev/pts, mounts.h), so that it has a name there:
 * `tty`, ttyname() and GPG_TTY=$(tty) name /dev/pts/N, the device the
 * command holds. A pty of the host's devpts would have none inside.
 *
 * After the mounts, the sandbox's init (apply.h) opens /dev/pts/ptmx,
 * takes the peer by descriptor (TIOCGPTPEER), puts it on each of its
 * standard descriptors that the parent marked SANDBOX_STDIO_PTY, makes
 * it its session's controlling terminal, and sends the master to the
 * parent (a NETNS_FD_PTY descriptor, netns.h), keeping no copy. The
 * parent gives the master the caller's modes and size and starts
 * relaying (pty_attach), then sends a second go byte; only then does the
 * init fork the command. Any failure is a set-up failure
 * (sandbox_child_fail): the command never runs without its terminal.
 *
 * Runs in the cloned child: system calls and sigsafe.h only. */
#ifndef AIRLOCK_SANDBOX_CTTY_H
#define AIRLOCK_SANDBOX_CTTY_H

/* A standard descriptor that gets the sandbox's pty (struct
 * sandbox_child_opts' and sandbox_session_opts' stdio). */
#define SANDBOX_STDIO_PTY (-2)

/* As above: the pty on each stdio[i] that is SANDBOX_STDIO_PTY, the
 * master to the parent on sock, then the parent's go. Returns only on
 * success. */
void ctty_make(const int stdio[3], int sock);

#endif
