/* sigfwd.c — see sigfwd.h. */
#include "sandbox/sigfwd.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t target;
static volatile sig_atomic_t sent_only;

static void
on_forward(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (target > 0 && (!sent_only || si->si_code <= 0))
		kill((pid_t)target, sig);
}

void
sigfwd_install(enum sigfwd_mode mode)
{
	static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
				   SIGUSR1, SIGUSR2, SIGTSTP, SIGWINCH};
	struct sigaction sa;
	size_t i;

	sent_only = mode == SIGFWD_SENT;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (mode != SIGFWD_PTY || sigs[i] != SIGWINCH)
			sigaction(sigs[i], &sa, NULL);
}

void
sigfwd_target(pid_t pid)
{
	target = pid;
}
