/* test_plan_fs.c — the sandbox plan's file system (sandbox/plan.h):
 * writable roots, protected `.git` and `.airlock` paths, placeholders and
 * the repository walk, with a fake file system (plan_fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "sandbox/plan.h"
#include "sandbox/probe.h"

#include "plan_fixture.h"

static bool
has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static void
test_plan_workspace_write_grants_cwd_tmp_and_tmpdir(void **state)
{
	static const char *const d[] = {"d:/work", "d:/tmp", "d:/var/tmp2",
					NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.tmpdir = "/var/tmp2";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.fs, SANDBOX_FS_WORKSPACE_WRITE);
	assert_int_equal(p.net, SANDBOX_NET_OFF);
	assert_int_equal(p.n_writable, 3);
	assert_string_equal(p.writable[0], "/work");
	assert_true(has(p.writable, p.n_writable, "/tmp"));
	assert_true(has(p.writable, p.n_writable, "/var/tmp2"));
	assert_int_equal(p.n_ports, 0);
	sandbox_plan_release(&p);
}

static void
test_plan_exclusions_drop_tmp_and_tmpdir(void **state)
{
	static const char *const d[] = {"d:/work", "d:/tmp", "d:/t2", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.tmpdir = "/t2";
	in.exclude_slash_tmp = true;
	in.exclude_tmpdir_env_var = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_writable, 1);
	assert_string_equal(p.writable[0], "/work");
	sandbox_plan_release(&p);
}

static void
test_plan_read_only_grants_no_writable_root(void **state)
{
	static const char *const d[] = {"d:/work", "d:/tmp", "d:/work/.git",
					NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "read-only");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.fs, SANDBOX_FS_READ_ONLY);
	assert_int_equal(p.n_writable, 0);
	assert_int_equal(p.n_protected, 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LANDLOCK), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_SECCOMP), 1);
	sandbox_plan_release(&p);
}

static void
test_plan_full_access_is_only_exec(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "danger-full-access");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.net, SANDBOX_NET_HOST);
	assert_int_equal(p.n_steps, 1);
	assert_int_equal(p.steps[0].kind, SANDBOX_STEP_EXEC);
	sandbox_plan_release(&p);
}

static void
test_plan_git_dir_and_airlock_dir_are_protected(void **state)
{
	static const char *const d[] = {"d:/work", "d:/work/.git",
					"d:/work/.airlock", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_protected, 2);
	assert_true(has(p.protected, p.n_protected, "/work/.git"));
	assert_true(has(p.protected, p.n_protected, "/work/.airlock"));
	assert_int_equal(count_steps(&p, SANDBOX_STEP_BIND_RO), 2);
	sandbox_plan_release(&p);
}

static void
test_plan_gitdir_file_protects_file_and_target(void **state)
{
	static const char *const d[] = {
		"d:/work", "g:/work/.git=/repos/main/.git/worktrees/w", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.exclude_slash_tmp = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_protected, 3);
	assert_true(has(p.protected, p.n_protected, "/work/.git"));
	assert_true(has(p.protected, p.n_protected,
			"/repos/main/.git/worktrees/w"));
	assert_true(has(p.protected, p.n_protected, "/work/.airlock"));
	assert_int_equal(p.n_placeholders, 1);
	sandbox_plan_release(&p);
}

/* `git init` or a planted `.airlock/config.toml` in the workspace root
 * must fail: a placeholder stands in for each while the command runs. */
static void
test_plan_missing_workspace_git_gets_a_placeholder(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_placeholders, 2);
	assert_true(has(p.placeholders, p.n_placeholders, "/work/.git"));
	assert_true(has(p.placeholders, p.n_placeholders, "/work/.airlock"));
	assert_true(has(p.protected, p.n_protected, "/work/.git"));
	assert_int_equal(count_steps(&p, SANDBOX_STEP_PLACEHOLDER), 2);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_BIND_RO), 2);
	sandbox_plan_release(&p);
}

/* A placeholder of a run beside this one, or of one that was killed, is
 * this run's too: held while it runs, removed by the last one out. */
static void
test_plan_existing_placeholder_is_taken_over(void **state)
{
	static const char *const d[] = {"d:/work", "p:/work/.git", "d:/tmp",
					"p:/tmp/x", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.system_dir = "/tmp/x/etc/airlock";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_true(has(p.placeholders, p.n_placeholders, "/work/.git"));
	assert_true(has(p.placeholders, p.n_placeholders, "/tmp/x"));
	assert_true(has(p.protected, p.n_protected, "/work/.git"));
	sandbox_plan_release(&p);
}

static void
test_plan_tree_is_read_only_and_roots_come_back_parents_first(void **state)
{
	static const char *const d[] = {"d:/tmp/a/ws", "d:/tmp/a",
					"d:/tmp", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i, rw = 0;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.cwd = "/tmp/a/ws";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_ROOT_RO), 1);
	for (i = 0; i < p.n_steps; i++) {
		if (p.steps[i].kind != SANDBOX_STEP_BIND_RW)
			continue;
		assert_string_equal(p.steps[i].path, rw ? "/tmp/a/ws" : "/tmp");
		rw++;
	}
	assert_int_equal(rw, 2);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_MOUNT_SHM), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_MOUNT_DEVPTS), 1);
	sandbox_plan_release(&p);
	base_input(&in, "read-only");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_ROOT_RO), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_BIND_RW), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_MOUNT_DEVPTS), 1);
	sandbox_plan_release(&p);
}

/* Renaming /tmp/a away (with the workspace and its read-only `.git` in
 * it) and putting another tree at its place must fail: every directory
 * between the protected path and /tmp is a mount point. */
static void
test_plan_chain_up_to_the_outermost_writable_root(void **state)
{
	static const char *const d[] = {"d:/tmp/a/b/ws", "d:/tmp/a/b/ws/.git",
					"d:/tmp/a/b", "d:/tmp/a", "d:/tmp",
					NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.cwd = "/tmp/a/b/ws";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_chain, 2);
	assert_string_equal(p.chain[0], "/tmp/a");
	assert_string_equal(p.chain[1], "/tmp/a/b");
	assert_int_equal(count_steps(&p, SANDBOX_STEP_BIND_SELF), 2);
	sandbox_plan_release(&p);
}

static void
test_plan_home_under_a_writable_root_is_made_and_protected(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.home = "/work/.airlock";
	in.exclude_slash_tmp = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_string_equal(p.make_home, "/work/.airlock");
	assert_true(has(p.protected, p.n_protected, "/work/.airlock"));
	assert_false(has(p.placeholders, p.n_placeholders, "/work/.airlock"));
	/* Hidden whole, made before it is masked. */
	assert_true(has(p.hidden, p.n_hidden, "/work/.airlock"));
	assert_int_equal(count_steps(&p, SANDBOX_STEP_MKDIR), 1);
	sandbox_plan_release(&p);
}

static void
test_plan_airlock_home_is_hidden_in_read_only_mode_too(void **state)
{
	static const char *const d[] = {"d:/work", "d:/h", "l:/hl=/h", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "read-only");
	in.home = "/hl/.airlock";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_protected, 0);
	assert_null(p.make_home);
	/* Missing yet, so kept (airlock creates it first); the CA key in it
	 * needs no mask of its own. */
	assert_int_equal(p.n_hidden, 1);
	assert_string_equal(p.hidden[0], "/h/.airlock");
	assert_int_equal(count_steps(&p, SANDBOX_STEP_HIDE), 1);
	sandbox_plan_release(&p);
}

static void
test_plan_missing_system_dir_gets_a_placeholder_at_its_top(void **state)
{
	static const char *const d[] = {"d:/work", "d:/tmp", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.system_dir = "/tmp/x/etc/airlock";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_true(has(p.placeholders, p.n_placeholders, "/tmp/x"));
	assert_true(has(p.protected, p.n_protected, "/tmp/x"));
	sandbox_plan_release(&p);
}

static void
test_plan_walk_protects_nested_repositories_and_submodules(void **state)
{
	static const char *const d[] = {
		"d:/work", "d:/work/.git", "g:/work/sub/.git=/work/.git/modules/sub",
		"d:/work/sub", "d:/work/vendor/lib/.git", "d:/work/vendor/lib",
		"d:/work/vendor", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct buf b;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.exclude_slash_tmp = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_true(has(p.protected, p.n_protected, "/work/sub/.git"));
	assert_true(has(p.protected, p.n_protected, "/work/.git/modules/sub"));
	assert_true(has(p.protected, p.n_protected, "/work/vendor/lib/.git"));
	assert_true(has(p.chain, p.n_chain, "/work/vendor/lib"));
	assert_true(has(p.chain, p.n_chain, "/work/sub"));
	/* Inside the read-only /work/.git nothing can be renamed anyway. */
	assert_false(has(p.chain, p.n_chain, "/work/.git"));
	assert_false(has(p.chain, p.n_chain, "/work/.git/modules"));
	buf_init(&b, 1 << 16);
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "the walk was complete"));
	sandbox_plan_release(&p);
	buf_release(&b);
}

static void
test_plan_walk_stopped_early_is_reported(void **state)
{
	static const char *const d[] = {"d:/tmp/p/ws", "d:/tmp/p/.git",
					"d:/tmp/p", "d:/tmp", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct buf b;

	(void)state;
	disk = d;
	scan_stop = "time limit";
	base_input(&in, "workspace-write");
	in.cwd = "/tmp/p/ws";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	scan_stop = NULL;
	/* The workspace's ancestors are checked whatever the walk did. */
	assert_true(has(p.protected, p.n_protected, "/tmp/p/.git"));
	buf_init(&b, 1 << 16);
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "stopped early (time limit)"));
	sandbox_plan_release(&p);
	buf_release(&b);
}

static void
test_plan_symlinked_git_protects_its_target(void **state)
{
	static const char *const d[] = {"d:/work", "s:/work/.git=/srv/repo.git",
					"d:/srv/repo.git", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.exclude_slash_tmp = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_true(has(p.protected, p.n_protected, "/srv/repo.git"));
	assert_false(has(p.protected, p.n_protected, "/work/.git"));
	assert_false(has(p.placeholders, p.n_placeholders, "/work/.git"));
	sandbox_plan_release(&p);
}

static void
test_plan_submodule_not_checked_out_gets_a_placeholder(void **state)
{
	static const char *const d[] = {
		"d:/work", "d:/work/.git", "d:/work/lib", "d:/work/deps",
		"m:/work/.gitmodules=[submodule \"lib\"]\n\tpath = lib\n"
		"[submodule \"x\"]\n\tpath = deps/x/y\n"
		"[submodule \"up\"]\n\tpath = ../outside\n",
		NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.exclude_slash_tmp = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_true(has(p.placeholders, p.n_placeholders, "/work/lib/.git"));
	assert_true(has(p.protected, p.n_protected, "/work/lib/.git"));
	/* Not even the submodule's directory may be made. */
	assert_true(has(p.placeholders, p.n_placeholders, "/work/deps/x"));
	assert_int_equal(p.n_placeholders, 3); /* and /work/.airlock */
	sandbox_plan_release(&p);
}

static void
test_plan_writable_roots_are_canonical_and_deduplicated(void **state)
{
	static const char *const d[] = {"d:/work", "d:/data", "l:/link=/data",
					"f:/file", NULL};
	static const char *const roots[] = {"/link", "/data", "/missing",
					    "/file"};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.exclude_slash_tmp = true;
	in.writable_roots = roots;
	in.n_writable_roots = 4;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_writable, 2);
	assert_string_equal(p.writable[1], "/data");
	sandbox_plan_release(&p);
}

static void
test_plan_relative_writable_root_is_an_error(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	static const char *const roots[] = {"rel/dir"};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct errbuf err;

	(void)state;
	disk = d;
	errbuf_init(&err);
	base_input(&in, "workspace-write");
	in.writable_roots = roots;
	in.n_writable_roots = 1;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "writable_roots: rel/dir"));
	errbuf_release(&err);
}

static void
test_plan_unknown_mode_and_empty_argv_are_errors(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	static char *empty[] = {NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct errbuf err;

	(void)state;
	disk = d;
	errbuf_init(&err);
	base_input(&in, "yolo");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "sandbox_mode: yolo"));
	base_input(&in, "read-only");
	in.argv = empty;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, &err), -1);
	errbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_workspace_write_grants_cwd_tmp_and_tmpdir),
		cmocka_unit_test(test_plan_exclusions_drop_tmp_and_tmpdir),
		cmocka_unit_test(test_plan_read_only_grants_no_writable_root),
		cmocka_unit_test(test_plan_full_access_is_only_exec),
		cmocka_unit_test(test_plan_git_dir_and_airlock_dir_are_protected),
		cmocka_unit_test(test_plan_gitdir_file_protects_file_and_target),
		cmocka_unit_test(test_plan_missing_workspace_git_gets_a_placeholder),
		cmocka_unit_test(test_plan_existing_placeholder_is_taken_over),
		cmocka_unit_test(test_plan_tree_is_read_only_and_roots_come_back_parents_first),
		cmocka_unit_test(test_plan_chain_up_to_the_outermost_writable_root),
		cmocka_unit_test(test_plan_home_under_a_writable_root_is_made_and_protected),
		cmocka_unit_test(test_plan_airlock_home_is_hidden_in_read_only_mode_too),
		cmocka_unit_test(test_plan_missing_system_dir_gets_a_placeholder_at_its_top),
		cmocka_unit_test(test_plan_walk_protects_nested_repositories_and_submodules),
		cmocka_unit_test(test_plan_walk_stopped_early_is_reported),
		cmocka_unit_test(test_plan_symlinked_git_protects_its_target),
		cmocka_unit_test(test_plan_submodule_not_checked_out_gets_a_placeholder),
		cmocka_unit_test(test_plan_writable_roots_are_canonical_and_deduplicated),
		cmocka_unit_test(test_plan_relative_writable_root_is_an_error),
		cmocka_unit_test(test_plan_unknown_mode_and_empty_argv_are_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
