/* jobctl.c — the sandbox's process group and the terminal. See jobctl.h. */
#include "sandbox/jobctl.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void
jobctl_init(struct jobctl *j)
{
	memset(j, 0, sizeof(*j));
	j->tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/* tcsetpgrp from a background group raises SIGTTOU unless it is
 * blocked; callers only get here after checking they are foreground, but
 * the shell may take the terminal meanwhile. */
static void
give_terminal(int tty, pid_t group)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	(void)tcsetpgrp(tty, group);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void
give_if_foreground(struct jobctl *j)
{
	if (j->tty >= 0 && j->group > 0 && tcgetpgrp(j->tty) == getpgrp())
		give_terminal(j->tty, j->group);
}

void
jobctl_adopt(struct jobctl *j, pid_t pid)
{
	/* Fails harmlessly when the child got there first or has died;
	 * the child's own setpgid is the one that must succeed. */
	(void)setpgid(pid, pid);
	j->group = pid;
	give_if_foreground(j);
}

void
jobctl_follow(struct jobctl *j, pid_t init)
{
	memset(j, 0, sizeof(*j));
	j->tty = -1;
	j->group = init;
}

static void
stop_self(int sig)
{
	struct sigaction dfl, old;
	sigset_t one, prev;

	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		sig = SIGSTOP;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, &old);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, &prev);
	/* Stops here until continued. An orphaned process group (airlock's
	 * parent gone from the session) discards the terminal stop signals:
	 * then airlock goes on, and the command stays stopped until airlock
	 * gets a SIGCONT. Continuing it here instead could spin: a command
	 * reading the terminal would stop again at once. */
	raise(sig);
	sigprocmask(SIG_SETMASK, &prev, NULL);
	sigaction(sig, &old, NULL);
}

void
jobctl_stopped(struct jobctl *j, int sig)
{
	if (j->group <= 0)
		return;
	/* As if the whole job had stopped: the terminal goes back to our
	 * group, which the shell then takes over. */
	if (j->tty >= 0 && tcgetpgrp(j->tty) == j->group)
		give_terminal(j->tty, getpgrp());
	stop_self(sig);
}

void
jobctl_continued(struct jobctl *j)
{
	if (j->group <= 0)
		return;
	give_if_foreground(j);
	kill(-j->group, SIGCONT);
}

void
jobctl_release(struct jobctl *j)
{
	if (j->tty < 0)
		return;
	if (j->group > 0 && tcgetpgrp(j->tty) == j->group)
		give_terminal(j->tty, getpgrp());
	close(j->tty);
	j->tty = -1;
}
