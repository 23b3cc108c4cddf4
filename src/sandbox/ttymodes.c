/* ttymodes.c — the caller's terminal in raw mode, and its modes back on
 * every way out. See ttymodes.h.
 *
 * The state is what a signal handler may read: the raw terminal's
 * descriptor (-1: none) and its saved modes, written before the
 * descriptor is published. */
#include "sandbox/ttymodes.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

static volatile sig_atomic_t raw_fd = -1;
static struct termios saved_modes;

/* Async-signal-safe: sigprocmask and tcsetattr only. */
static void
set_modes(int fd, const struct termios *t, int when)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	(void)tcsetattr(fd, when, t);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void
ttymodes_restore(void)
{
	int fd = raw_fd;

	if (fd < 0)
		return;
	raw_fd = -1;
	set_modes(fd, &saved_modes, TCSADRAIN);
	log_set_raw_terminal(0);
}

static void
on_fatal(int sig)
{
	int fd = raw_fd;

	/* TCSANOW: output a stuck terminal holds must not keep the
	 * signal from ending airlock. */
	if (fd >= 0) {
		raw_fd = -1;
		set_modes(fd, &saved_modes, TCSANOW);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Catches each fatal signal nothing else handles yet (a handler of
 * libuv's, sigfwd.h's or a sanitizer's stays). */
static void
install_handlers(void)
{
	static const int sigs[] = {
		SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,   SIGALRM, SIGUSR1,
		SIGUSR2, SIGABRT, SIGSEGV, SIGBUS,    SIGFPE,  SIGILL,
		SIGXCPU, SIGXFSZ, SIGPWR,  SIGVTALRM, SIGPROF, SIGSYS,
	};
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			(void)sigaction(sigs[i], &sa, NULL);
	(void)atexit(ttymodes_restore);
}

void
ttymodes_raw(int fd, const struct termios *saved)
{
	static bool installed;
	struct termios t = *saved;

	if (!installed) {
		install_handlers();
		installed = true;
	}
	ttymodes_restore();
	saved_modes = *saved;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	raw_fd = fd;
	set_modes(fd, &t, TCSADRAIN);
	log_set_raw_terminal(1);
}
