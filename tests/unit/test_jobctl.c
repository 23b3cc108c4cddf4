/* test_jobctl.c — the sandbox's process group and the terminal
 * (sandbox/jobctl.h), on a pseudo-terminal made the controlling terminal
 * of a child that plays airlock. Each scenario runs in that child and
 * reports through its exit status: 0, or the number of the check that
 * failed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox/jobctl.h"

/* A child that stands for the sandbox's init: it waits until the pipe
 * closes. Returns its pid. */
static pid_t
sandbox_stand_in(int *hold)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) == -1)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	*hold = p[1];
	return pid;
}

static int
end_stand_in(pid_t pid, int hold)
{
	close(hold);
	return waitpid(pid, NULL, 0) == pid ? 0 : -1;
}

/* Runs scenario in a new session; with_tty: a pty is its controlling
 * terminal. Returns the scenario's result. */
static int
in_session(int (*scenario)(void), int with_tty)
{
	int master = -1, slave = -1, st;
	pid_t pid;

	if (with_tty)
		assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	pid = fork();
	if (pid == 0) {
		if (setsid() == -1)
			_exit(90);
		if (with_tty && ioctl(slave, TIOCSCTTY, 0) == -1)
			_exit(91);
		_exit(scenario());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (with_tty) {
		close(master);
		close(slave);
	}
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int
gives_and_takes_back(void)
{
	struct jobctl j;
	int hold;
	pid_t pid;

	jobctl_init(&j);
	if (j.tty < 0)
		return 1;
	pid = sandbox_stand_in(&hold);
	jobctl_adopt(&j, pid);
	if (getpgid(pid) != pid)
		return 2;
	if (tcgetpgrp(j.tty) != pid)
		return 3; /* we were in the foreground: the sandbox is now */
	jobctl_release(&j);
	if (j.tty != -1)
		return 4;
	if (end_stand_in(pid, hold) == -1)
		return 5;
	jobctl_init(&j);
	if (tcgetpgrp(j.tty) != getpgrp())
		return 6; /* and we are again */
	jobctl_release(&j);
	return 0;
}

static int
background_keeps_off_the_terminal(void)
{
	struct jobctl j;
	int hold, other_hold, rc = 0;
	pid_t pid, other;

	jobctl_init(&j);
	/* Someone else's group holds the foreground. */
	other = sandbox_stand_in(&other_hold);
	setpgid(other, other);
	signal(SIGTTOU, SIG_IGN);
	if (tcsetpgrp(j.tty, other) == -1)
		return 1;
	pid = sandbox_stand_in(&hold);
	jobctl_adopt(&j, pid);
	if (getpgid(pid) != pid)
		rc = 2;
	else if (tcgetpgrp(j.tty) != other)
		rc = 3;
	jobctl_continued(&j); /* `bg`: still not ours to give */
	if (rc == 0 && tcgetpgrp(j.tty) != other)
		rc = 4;
	jobctl_release(&j);
	if (end_stand_in(pid, hold) == -1 || end_stand_in(other, other_hold))
		rc = rc ? rc : 5;
	return rc;
}

static int
no_terminal_still_makes_the_group(void)
{
	struct jobctl j;
	int hold;
	pid_t pid;

	jobctl_init(&j);
	if (j.tty != -1)
		return 1;
	pid = sandbox_stand_in(&hold);
	jobctl_adopt(&j, pid);
	if (getpgid(pid) != pid)
		return 2;
	jobctl_continued(&j);
	jobctl_release(&j);
	return end_stand_in(pid, hold) == -1 ? 3 : 0;
}

static void
test_jobctl_foreground_job_hands_over_and_back(void **state)
{
	(void)state;
	assert_int_equal(in_session(gives_and_takes_back, 1), 0);
}

static void
test_jobctl_background_job_leaves_it_alone(void **state)
{
	(void)state;
	assert_int_equal(in_session(background_keeps_off_the_terminal, 1), 0);
}

static void
test_jobctl_no_terminal_only_makes_the_group(void **state)
{
	(void)state;
	assert_int_equal(in_session(no_terminal_still_makes_the_group, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobctl_foreground_job_hands_over_and_back),
		cmocka_unit_test(test_jobctl_background_job_leaves_it_alone),
		cmocka_unit_test(test_jobctl_no_terminal_only_makes_the_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
