/* test_session.c — the sandbox session (sandbox/session.h) on a real loop:
 * statuses, failures and kills come back through on_done, with the
 * table's exit statuses; a real sandbox runs when the kernel allows user
 * namespaces (skipped otherwise). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "lib/xalloc.h"
#include "sandbox/landlock.h"
#include "sandbox/plan.h"
#include "sandbox/probe.h"
#include "sandbox/session.h"

extern char **environ;

struct outcome {
	bool done;
	enum sandbox_fail fail;
	int status;
	char *message;
};

static void
on_done(void *arg, struct sandbox_session *s, const struct sandbox_result *r)
{
	struct outcome *o = arg;

	o->done = true;
	o->fail = r->fail;
	o->status = r->status;
	o->message = xstrdup(r->message);
	sandbox_session_free(s);
}

static void
build(struct sandbox_plan *p, const char *mode, const char *cwd,
      char **argv)
{
	struct sandbox_probe probe;
	struct sandbox_input in;

	memset(&in, 0, sizeof(in));
	in.mode = mode;
	in.cwd = cwd;
	in.uid = getuid();
	in.gid = getgid();
	in.landlock_abi = landlock_abi();
	in.argv = argv;
	sandbox_probe_disk(&probe);
	assert_int_equal(sandbox_plan_build(&in, &probe, p, NULL), 0);
}

/* Runs p on a loop of its own until on_done; kill: kill it at once. */
static void
run(const struct sandbox_plan *p, int out, bool kill, struct outcome *o)
{
	struct sandbox_session_opts so;
	struct sandbox_session *s;
	uv_loop_t loop;

	memset(o, 0, sizeof(*o));
	memset(&so, 0, sizeof(so));
	so.plan = p;
	so.envp = environ;
	so.stdio[0] = so.stdio[2] = -1;
	so.stdio[1] = out;
	so.on_done = on_done;
	so.arg = o;
	uv_loop_init(&loop);
	s = sandbox_session_start(&loop, &so);
	if (kill)
		sandbox_session_kill(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_true(o->done);
}

static void
test_session_passes_the_exit_status_through(void **state)
{
	static char *argv[] = {"sh", "-c", "exit 3", NULL};
	struct sandbox_plan p;
	struct outcome o;

	(void)state;
	build(&p, "danger-full-access", "/", argv);
	run(&p, -1, false, &o);
	assert_int_equal(o.fail, SANDBOX_OK);
	assert_int_equal(o.status, 3);
	assert_string_equal(o.message, "");
	free(o.message);
	sandbox_plan_release(&p);
}

static void
test_session_reports_a_failure_before_exec_with_its_reason(void **state)
{
	static char *argv[] = {"true", NULL};
	struct sandbox_plan p;
	struct outcome o;

	(void)state;
	build(&p, "danger-full-access", "/nonexistent-airlock-test", argv);
	run(&p, -1, false, &o);
	assert_int_equal(o.fail, SANDBOX_FAIL_SETUP);
	assert_int_equal(o.status, 125);
	assert_string_equal(o.message,
			    "cannot set up the sandbox: chdir "
			    "/nonexistent-airlock-test: No such file or "
			    "directory");
	free(o.message);
	sandbox_plan_release(&p);
}

static void
test_session_kill_is_a_status_not_a_failure(void **state)
{
	static char *argv[] = {"sleep", "30", NULL};
	struct sandbox_plan p;
	struct outcome o;

	(void)state;
	build(&p, "danger-full-access", "/", argv);
	run(&p, -1, true, &o);
	assert_int_equal(o.fail, SANDBOX_OK);
	assert_int_equal(o.status, 128 + 9);
	free(o.message);
	sandbox_plan_release(&p);
}

static void
test_session_table_maps_failures_to_exit_and_rpc_codes(void **state)
{
	(void)state;
	assert_int_equal(sandbox_fail_exit(SANDBOX_FAIL_SETUP), 125);
	assert_int_equal(sandbox_fail_exit(SANDBOX_FAIL_TIMEOUT), 125);
	assert_int_equal(sandbox_fail_exit(SANDBOX_FAIL_NAMESPACES), 125);
	assert_int_equal(sandbox_fail_exit(SANDBOX_FAIL_PROXY), 2);
	assert_int_equal(sandbox_fail_rpc(SANDBOX_FAIL_VANISHED), -32603);
}

/* A real sandbox: the child prepared by the parent runs the command in
 * new namespaces, its stdout on the given pipe. */
static void
test_session_runs_a_sandboxed_command(void **state)
{
	static char *argv[] = {"sh", "-c", "echo in; exit 4", NULL};
	struct sandbox_plan p;
	struct outcome o;
	char buf[16] = {0};
	int fds[2];

	(void)state;
	if (landlock_abi() < 1)
		skip();
	build(&p, "read-only", "/", argv);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	run(&p, fds[1], false, &o);
	close(fds[1]);
	if (o.fail == SANDBOX_FAIL_NAMESPACES) {
		free(o.message);
		close(fds[0]);
		sandbox_plan_release(&p);
		skip();
	}
	assert_int_equal(o.fail, SANDBOX_OK);
	assert_int_equal(o.status, 4);
	assert_int_equal(read(fds[0], buf, sizeof(buf) - 1), 3);
	assert_string_equal(buf, "in\n");
	close(fds[0]);
	free(o.message);
	sandbox_plan_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_passes_the_exit_status_through),
		cmocka_unit_test(
			test_session_reports_a_failure_before_exec_with_its_reason),
		cmocka_unit_test(test_session_kill_is_a_status_not_a_failure),
		cmocka_unit_test(
			test_session_table_maps_failures_to_exit_and_rpc_codes),
		cmocka_unit_test(test_session_runs_a_sandboxed_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
