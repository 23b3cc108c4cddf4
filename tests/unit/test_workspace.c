/* test_workspace.c — which directories may be a workspace: the pure rule
 * (workspace_judge) as a table of cases, then workspace_check on real
 * paths for canonicalisation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/workspace.h"

static struct workspace_rules
rules(void)
{
	struct workspace_rules r;

	memset(&r, 0, sizeof(r));
	r.homes[0] = "/home/ada";
	r.airlock_home = "/home/ada/.airlock";
	r.writable = true;
	return r;
}

static enum workspace_verdict
judge(const char *dir, const struct workspace_rules *r)
{
	const char *which;

	return workspace_judge(dir, r, &which);
}

static void
test_workspace_projects_are_fine(void **state)
{
	struct workspace_rules r = rules();

	(void)state;
	assert_int_equal(judge("/home/ada/src/app", &r), WORKSPACE_OK);
	assert_int_equal(judge("/tmp/build", &r), WORKSPACE_OK);
	assert_int_equal(judge("/usr/src/app", &r), WORKSPACE_OK);
	assert_int_equal(judge("/var/lib/jenkins/workspace/x", &r),
			 WORKSPACE_OK);
	assert_int_equal(judge("/opt/project", &r), WORKSPACE_OK);
	assert_int_equal(judge("/home/ada2", &r), WORKSPACE_OK);
	assert_int_equal(judge("/etcetera", &r), WORKSPACE_OK);
}

static void
test_workspace_root_home_and_above_are_refused(void **state)
{
	struct workspace_rules r = rules();
	const char *which;

	(void)state;
	assert_int_equal(judge("/", &r), WORKSPACE_ROOT);
	assert_int_equal(judge("/home/ada", &r), WORKSPACE_HOME);
	assert_int_equal(workspace_judge("/home", &r, &which),
			 WORKSPACE_ABOVE_HOME);
	assert_string_equal(which, "/home/ada");
}

static void
test_workspace_second_home_counts_too(void **state)
{
	struct workspace_rules r = rules();

	(void)state;
	r.homes[1] = "/srv/users/ada";
	assert_int_equal(judge("/srv/users/ada", &r), WORKSPACE_HOME);
	assert_int_equal(judge("/srv/users", &r), WORKSPACE_ABOVE_HOME);
}

static void
test_workspace_system_directories_are_refused(void **state)
{
	static const char *const dirs[] = {
		"/usr", "/usr/local", "/var", "/opt", "/etc", "/etc/ssh",
		"/usr/bin", "/usr/lib/node_modules/x", "/bin", "/lib64",
		"/boot", "/dev/shm", "/proc/1", "/sys", "/run/user/1000",
		"/usr/local/bin", NULL,
	};
	struct workspace_rules r = rules();
	size_t i;

	(void)state;
	for (i = 0; dirs[i] != NULL; i++)
		assert_int_equal(judge(dirs[i], &r), WORKSPACE_SYSTEM);
}

static void
test_workspace_airlock_home_is_refused(void **state)
{
	struct workspace_rules r = rules();

	(void)state;
	assert_int_equal(judge("/home/ada/.airlock", &r),
			 WORKSPACE_AIRLOCK_HOME);
	assert_int_equal(judge("/home/ada/.airlock/proxy", &r),
			 WORKSPACE_AIRLOCK_HOME);
	assert_int_equal(judge("/home/ada/.airlockx", &r), WORKSPACE_OK);
}

static void
test_workspace_allow_broad_passes_root_and_home_only(void **state)
{
	struct workspace_rules r = rules();

	(void)state;
	r.allow_broad = true;
	assert_int_equal(judge("/", &r), WORKSPACE_OK);
	assert_int_equal(judge("/home/ada", &r), WORKSPACE_OK);
	assert_int_equal(judge("/home", &r), WORKSPACE_OK);
	assert_int_equal(judge("/etc", &r), WORKSPACE_SYSTEM);
	assert_int_equal(judge("/home/ada/.airlock", &r),
			 WORKSPACE_AIRLOCK_HOME);
}

static void
test_workspace_read_only_only_checks_the_roots(void **state)
{
	static const char *const roots[] = {"/srv/work"};
	struct workspace_rules r = rules();

	(void)state;
	r.writable = false;
	assert_int_equal(judge("/", &r), WORKSPACE_OK);
	assert_int_equal(judge("/etc", &r), WORKSPACE_OK);
	r.roots = roots;
	r.n_roots = 1;
	assert_int_equal(judge("/etc", &r), WORKSPACE_NOT_IN_ROOTS);
}

static void
test_workspace_roots_bound_even_broad_workspaces(void **state)
{
	static const char *const roots[] = {"/srv/work", "/home/ada/code"};
	struct workspace_rules r = rules();

	(void)state;
	r.roots = roots;
	r.n_roots = 2;
	assert_int_equal(judge("/srv/work", &r), WORKSPACE_OK);
	assert_int_equal(judge("/srv/work/a/b", &r), WORKSPACE_OK);
	assert_int_equal(judge("/home/ada/code/x", &r), WORKSPACE_OK);
	assert_int_equal(judge("/srv/workshop", &r), WORKSPACE_NOT_IN_ROOTS);
	assert_int_equal(judge("/tmp/x", &r), WORKSPACE_NOT_IN_ROOTS);
	r.allow_broad = true;
	assert_int_equal(judge("/", &r), WORKSPACE_NOT_IN_ROOTS);
	r.n_roots = 0;
	assert_int_equal(judge("/tmp/x", &r), WORKSPACE_NOT_IN_ROOTS);
}

static void
test_workspace_home_of_slash_is_ignored(void **state)
{
	struct workspace_rules r = rules();

	(void)state;
	r.homes[0] = "/";
	assert_int_equal(judge("/tmp/x", &r), WORKSPACE_OK);
	assert_int_equal(judge("/", &r), WORKSPACE_ROOT);
}

/* --- workspace_check on the disk ----------------------------------------- */

static void
test_workspace_check_resolves_symlinks_and_says_why(void **state)
{
	char dir[] = "/tmp/airlock-ws-XXXXXX", link[96];
	struct workspace_opts o;
	struct errbuf err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/slash", dir);
	assert_int_equal(symlink("/", link), 0);
	memset(&o, 0, sizeof(o));
	o.writable = true;
	o.hint = "use -C DIR";
	o.broad_flag = true;
	errbuf_init(&err);
	assert_int_equal(workspace_check(link, &o, &err), -1);
	assert_string_equal(errbuf_first(&err),
			    "refusing `/` as the workspace: every file would be "
			    "writable; use -C DIR (or --allow-broad-workspace)");
	errbuf_release(&err);
	errbuf_init(&err);
	assert_int_equal(workspace_check(dir, &o, &err), 0);
	assert_int_equal(workspace_check("/no/such/dir", &o, &err), -1);
	assert_non_null(strstr(errbuf_first(&err), "/no/such/dir"));
	errbuf_release(&err);
	unlink(link);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workspace_projects_are_fine),
		cmocka_unit_test(test_workspace_root_home_and_above_are_refused),
		cmocka_unit_test(test_workspace_second_home_counts_too),
		cmocka_unit_test(test_workspace_system_directories_are_refused),
		cmocka_unit_test(test_workspace_airlock_home_is_refused),
		cmocka_unit_test(
			test_workspace_allow_broad_passes_root_and_home_only),
		cmocka_unit_test(test_workspace_read_only_only_checks_the_roots),
		cmocka_unit_test(
			test_workspace_roots_bound_even_broad_workspaces),
		cmocka_unit_test(test_workspace_home_of_slash_is_ignored),
		cmocka_unit_test(
			test_workspace_check_resolves_symlinks_and_says_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
