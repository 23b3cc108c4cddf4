/* sigfwd.c — see sigfwd.h. */
#include "sandbox/sigfwd.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t target;

static void
on_forward(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (target > 0 && si->si_code <= 0)
		kill((pid_t)target, sig);
}

void
sigfwd_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				   SIGUSR1, SIGUSR2};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void
sigfwd_target(pid_t pid)
{
	target = pid;
}
