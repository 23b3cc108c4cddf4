/* jobctl.h — the terminal and job control for a sandbox that runs in a
 * process group of its own (the parent's side of `airlock run`).
 *
 * The sandbox's init and command get their own process group, so that
 * kill(0, ...) inside reaches nothing of the caller's even where Landlock
 * cannot scope signals (ABI < 6). They stay in the caller's session, so
 * the controlling terminal (/dev/tty) keeps working for them: while
 * airlock is the terminal's foreground job, the sandbox's group is made
 * the terminal's foreground group instead — Ctrl-C, Ctrl-\, Ctrl-Z and
 * window-size changes go straight to the command, and full-screen
 * programs may change the terminal's modes — and it is given back to
 * airlock's own group when the sandbox ends.
 *
 * When the command stops (Ctrl-Z, SIGTTIN, SIGSTOP), airlock stops itself
 * with the same signal, so that the caller's shell sees its job stop; on
 * every SIGCONT (`fg`, `bg`, also of a job that was running in the
 * background), it gives the terminal to the sandbox if its job is in the
 * foreground, and continues the sandbox's group.
 *
 * Without a controlling terminal every call but jobctl_adopt's setpgid is
 * a no-op. Not async-signal-safe: call from the loop. */
#ifndef AIRLOCK_SANDBOX_JOBCTL_H
#define AIRLOCK_SANDBOX_JOBCTL_H

#include <sys/types.h>

struct jobctl {
	int tty;     /* the controlling terminal, or -1 */
	pid_t group; /* the sandbox's process group; 0 before adopt */
};

/* Opens the controlling terminal, if there is one. */
void jobctl_init(struct jobctl *j);
/* The sandbox leads a session of its own on a pseudo-terminal airlock
 * owns (pty.h): there is no terminal of the caller's to hand over, and
 * init, the sandbox's first process, leads the session and its process
 * group. Its stops and continues are followed as above (the init passes
 * a SIGCONT on to the command's group, apply.h). */
void jobctl_follow(struct jobctl *j, pid_t init);
/* Makes pid, a child of ours that never execs, the leader of its own
 * process group (the child does the same; whichever comes first wins),
 * and gives it the terminal when airlock is the foreground job. */
void jobctl_adopt(struct jobctl *j, pid_t pid);
/* The command stopped with sig: stop airlock likewise. Returns once
 * airlock is continued; jobctl_continued follows from the SIGCONT. */
void jobctl_stopped(struct jobctl *j, int sig);
/* airlock got SIGCONT: hand the terminal to the sandbox when airlock is
 * the foreground job, and continue the sandbox's group. */
void jobctl_continued(struct jobctl *j);
/* Gives the terminal back to airlock's group if the sandbox still has
 * it, and closes it. */
void jobctl_release(struct jobctl *j);

#endif
