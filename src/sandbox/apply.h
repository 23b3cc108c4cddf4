/* apply.h — the sandbox's side of a run: everything that happens inside
 * the new namespaces (session.h is the parent's side).
 *
 * sandbox_child_main() runs in the process cloned into new user, mount,
 * pid and network namespaces; it is pid 1 there. It puts the given
 * descriptors on stdin, stdout and stderr, closes every other descriptor
 * but its socket to the parent, makes itself the leader of a new process
 * group (own_session: a new session; ctty: a new session whose
 * controlling terminal is the sandbox's own pseudo-terminal, made once the
 * mount namespace is built, ctty.h),
 * maps the caller's uid and gid, sets
 * up the network side (netns.h) and reports to the parent over sock,
 * forks the command's process (with ctty: later, see below), builds the
 * mount namespace (mounts.h) while the parent starts its proxy, waits for
 * the parent's go (nothing of the command runs before it), with ctty
 * makes the pty, waits for a second go (ctty.h) and only then forks the
 * command's process, and stays as its init: it forwards the signals the
 * parent forwards (sigfwd.h), tells the parent over sock when the command
 * stops (SANDBOX_MSG_STOPPED), and reaps orphans. When the command
 * ends, it kills and reaps everything left in the pid namespace, lets go
 * of the placeholders' locks, tells the parent the command's status
 * (SANDBOX_MSG_EXITED) and exits with it (128+signal when the command
 * was killed). The parent removes the run's placeholders (placeholder.h)
 * on that message, while the kernel tears the namespaces down with pid
 * 1's exit (or, without the message, once it has reaped pid 1), and
 * ends the session only once it has reaped pid 1.
 *
 * With ctty, the command's process first makes itself the leader of a
 * process group of its own and that group the terminal's foreground one
 * (so the terminal's Ctrl-C and Ctrl-Z reach it, and its group, whose
 * parent is in the same session, is not orphaned: a stop is not
 * discarded); the init then continues that group on every SIGCONT it gets
 * (airlock's, when its job is continued).
 *
 * The command's process applies the rest of the plan in order —
 * no_new_privs, capabilities dropped, seccomp, Landlock, environment,
 * chdir — and execs. Loading the seccomp filter gives the command a
 * user-notification listener; it hands that to the init (write and read
 * on a socketpair of their own: sendmsg is one of the calls the filter
 * now traps), which takes it with pidfd_getfd and sends it to the parent
 * as a NETNS_FD_NOTIFY descriptor for the supervisor (unotify.h); the
 * command never keeps a copy. The init does that only once the mounts
 * are built, the parent said go and the terminal is made, and its answer
 * is what lets the command go on: the steps before it need neither the
 * mount tree nor the terminal, and run while the init builds the mounts;
 * Landlock, chdir and exec come after. When the init dies before it
 * answers (a mount failed, or the parent killed it), the command's
 * process exits without a word (and dies with the pid namespace anyway).
 * Any failure before exec is reported to the parent
 * over sock (a struct netns_msg carrying the text, sandbox_child_fail)
 * and exits 125: a half-applied sandbox never execs. exec failures print
 * `airlock: run: CMD: why` on the command's stderr and exit 127 (not
 * found) or 126.
 *
 * The child is cloned from a process whose other threads may hold any
 * lock, so until exec everything here is async-signal-safe: system calls,
 * sigsafe.h formatting and fixed errbufs, never malloc, stdio, strerror
 * or libseccomp. What needs those — the environment, the seccomp filter,
 * the id maps, the mount preparations — the parent makes beforehand and
 * hands over in struct sandbox_child_opts. */
#ifndef AIRLOCK_SANDBOX_APPLY_H
#define AIRLOCK_SANDBOX_APPLY_H

#include <stdbool.h>

#include "sandbox/mounts.h"
#include "sandbox/netrules.h"
#include "sandbox/plan.h"
#include "sandbox/seccomp.h"

#define SANDBOX_EXIT_SETUP 125

/* After the go, each time the command stops the init sends the parent
 * two bytes on sock: this, then the stop signal's number. */
#define SANDBOX_MSG_STOPPED 'S'
/* When the command ended, once nothing else of the sandbox runs: this,
 * then its status (0-255; 128+signal), two bytes, pid 1's last words. */
#define SANDBOX_MSG_EXITED 'E'

/* The longest failure text the child reports (struct netns_msg's). */
#define SANDBOX_FAIL_MAX 512

struct sandbox_child_opts {
	const struct sandbox_plan *plan;
	int sock;                 /* to the parent; close-on-exec */
	int stdio[3];             /* put on 0, 1, 2 first; -1 keeps it;
				   * SANDBOX_STDIO_PTY: the pty (ctty) */
	bool own_session;         /* setsid (no terminal) instead of setpgid */
	bool ctty;                /* own_session, with a pty of the
				   * sandbox's own as its controlling
				   * terminal (ctty.h) */
	char *const *env;         /* the command's final environment */
	const struct seccomp_prog *seccomp;
	const struct mounts_prep *mounts;
	const char *uid_map;      /* "UID UID 1\n" */
	const char *gid_map;
	const struct netrules *rules; /* NET_RULES: the messages to send */
	const char *stash;        /* placeholders kept between runs
				   * (placeholder.h), or NULL */
};

/* The sandbox: pid 1 of the new namespaces, as described above. */
__attribute__((noreturn)) void
sandbox_child_main(const struct sandbox_child_opts *o);

/* danger-full-access under the app-server: no namespaces, but not the
 * parent's descriptors either: stdio, close every other descriptor, a
 * process group of its own, chdir, exec with env. */
__attribute__((noreturn)) void
sandbox_child_plain(const struct sandbox_child_opts *o);

/* In the child, before exec: reports the formatted text (sigsafe.h
 * formats, %m for errno) to the parent as a set-up failure and exits
 * 125. */
__attribute__((noreturn, format(printf, 1, 2))) void
sandbox_child_fail(const char *fmt, ...);

#endif
