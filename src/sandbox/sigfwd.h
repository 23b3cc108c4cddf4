/* sigfwd.h — passing signals on to the sandboxed process.
 *
 * Both the parent airlock and the sandbox's init forward SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGTSTP and SIGWINCH to one target
 * process (airlock to the init, the init to the command).
 *
 * airlock forwards every one it receives (SIGFWD_ALL): the sandbox runs in a
 * process group of its own, so a signal that reaches airlock — sent to it,
 * or sent by the terminal while airlock's group is the foreground one —
 * has not reached the command. The init forwards only signals sent on
 * purpose (kill(2), si_code <= 0; SIGFWD_SENT): the ones a terminal sends
 * to the sandbox's foreground group already reach the command, and
 * forwarding them too would deliver them twice. One target per process;
 * async-signal-safe. */
#ifndef AIRLOCK_SIGFWD_H
#define AIRLOCK_SIGFWD_H

#include <sys/types.h>

enum sigfwd_mode {
	SIGFWD_ALL,  /* airlock: forward whatever arrives */
	SIGFWD_SENT, /* the init: forward what kill(2) sent */
	SIGFWD_PTY,  /* airlock with a pty (pty.h): as ALL, but SIGWINCH is
		      * left alone (the pty sets the new size on the
		      * sandbox's terminal, and the kernel signals the
		      * command) */
};

/* Installs the handlers (SA_RESTART). */
void sigfwd_install(enum sigfwd_mode mode);
/* Sets the process signals go to; 0 forwards nothing. */
void sigfwd_target(pid_t pid);

#endif
