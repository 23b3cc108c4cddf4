/* test_plan_probe.c — what the sandbox plan reads from the disk: the
 * `.gitmodules`, mountinfo and `.git` file parsers (sandbox/gitmodules.h,
 * sandbox/mountinfo.h, sandbox/probe.h) and the real repository walk on
 * a real tree (sandbox/gitscan.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/gitmodules.h"
#include "sandbox/gitscan.h"
#include "sandbox/mountinfo.h"
#include "sandbox/probe.h"
#include "tree_fixture.h"

static void
test_gitmodules_paths_reads_submodule_sections_only(void **state)
{
	static const char text[] =
		"# top\n[core]\n\tpath = not-a-submodule\n"
		"[submodule \"a\"]\n\tpath = lib/a/ # trailing\n\turl = x\n"
		"[submodule \"b\"]\n\tPath = \"with space/\\\"q\\\"\"\n"
		"[submodule \"c\"]\n\tpath = ../up\n\tpath = /abs\n"
		"\tpath = a/./b\n\tpath = lib/a\n\tpath = \"open\n";
	size_t n, i;
	char **v = gitmodules_paths(text, sizeof(text) - 1, &n);

	(void)state;
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "lib/a");
	assert_string_equal(v[1], "with space/\"q\"");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	assert_null(gitmodules_paths("", 0, &n));
	assert_int_equal(n, 0);
}

static void
test_mountinfo_points_unescapes_and_skips_bad_lines(void **state)
{
	static const char text[] =
		"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
		"36 35 98:0 /mnt1 /mnt/with\\040space rw - ext3 /dev/root rw\n"
		"37 35 0:1 / /bad\\09 rw - x y rw\n"
		"38 35 0:1 / /nul\\000 rw - x y rw\n"
		"short line\n"
		"39 35 0:1 / relative rw - x y rw";
	size_t n, i;
	char **v = mountinfo_points(text, sizeof(text) - 1, &n);

	(void)state;
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "/proc");
	assert_string_equal(v[1], "/mnt/with space");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
count_found(void *ctx, const char *path, int kind)
{
	(void)path;
	(void)kind;
	(*(int *)ctx)++;
	return 0;
}

/* The real walk on a real tree: dependency trees are pruned, symbolic
 * links are not followed, depth and directory budgets hold. */
static void
test_gitscan_walk_prunes_and_keeps_its_budget(void **state)
{
	char root[] = "/tmp/airlock-gitscan-XXXXXX", link[600];
	struct sandbox_scan sc;
	int found = 0;

	(void)state;
	assert_non_null(mkdtemp(root));
	mk(root, "a/.git");
	mk(root, "node_modules/m/.git");
	mk(root, "deep/1/2/.git");
	snprintf(link, sizeof(link), "%s/ln", root);
	assert_int_equal(symlink("a", link), 0);
	memset(&sc, 0, sizeof(sc));
	sc.max_dirs = 100;
	sc.max_ms = 10000;
	sc.found = count_found;
	sc.ctx = &found;
	gitscan_walk(root, &sc, NULL, NULL);
	assert_int_equal(found, 2);
	assert_null(sc.stopped);
	found = 0;
	memset(&sc, 0, sizeof(sc));
	sc.max_dirs = 100;
	sc.max_ms = 10000;
	sc.max_depth = 2;
	sc.found = count_found;
	sc.ctx = &found;
	gitscan_walk(root, &sc, NULL, NULL);
	assert_int_equal(found, 1);
	memset(&sc, 0, sizeof(sc));
	sc.max_dirs = 2;
	sc.max_ms = 10000;
	sc.found = count_found;
	sc.ctx = &found;
	gitscan_walk(root, &sc, NULL, NULL);
	assert_string_equal(sc.stopped, "directory limit");
	rm_rf(root);
}

struct marks {
	char seen[4][64];
	int kinds[4];
	int n;
};

static int
note_mark(void *ctx, const char *path, int kind)
{
	struct marks *m = ctx;
	const char *rel = strstr(path, "/m/");

	if (m->n < 4 && rel != NULL) {
		snprintf(m->seen[m->n], sizeof(m->seen[0]), "%s", rel + 3);
		m->kinds[m->n++] = kind;
	}
	return 0;
}

static int
mark_kind(const struct marks *m, const char *rel)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->seen[i], rel) == 0)
			return m->kinds[i];
	return 0;
}

/* Directories without subdirectories are looked into, not read (where the
 * file system counts subdirectories in the link count): a .git file (a
 * submodule's or a worktree's) or a .airlock file in one is still found,
 * as is a .git directory beside other files. */
static void
test_gitscan_walk_finds_marks_in_leaf_directories(void **state)
{
	char root[] = "/tmp/airlock-gitscan-XXXXXX", path[600];
	struct sandbox_scan sc;
	struct marks m = {0};
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(root));
	mk(root, "m/sub");
	mk(root, "m/dir/.git");
	mk(root, "m/plain");
	snprintf(path, sizeof(path), "%s/m/sub/.git", root);
	assert_non_null(f = fopen(path, "w"));
	fputs("gitdir: ../x\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/m/plain/.airlock", root);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	memset(&sc, 0, sizeof(sc));
	sc.max_dirs = 100;
	sc.max_ms = 10000;
	sc.found = note_mark;
	sc.ctx = &m;
	gitscan_walk(root, &sc, NULL, NULL);
	assert_null(sc.stopped);
	assert_int_equal(m.n, 3);
	assert_int_equal(mark_kind(&m, "sub/.git"), 'f');
	assert_int_equal(mark_kind(&m, "plain/.airlock"), 'f');
	assert_int_equal(mark_kind(&m, "dir/.git"), 'd');
	rm_rf(root);
}

static void
test_gitscan_prunes_dependency_trees_only(void **state)
{
	(void)state;
	assert_true(gitscan_pruned("node_modules"));
	assert_true(gitscan_pruned(".venv"));
	assert_true(gitscan_pruned("__pycache__"));
	assert_false(gitscan_pruned("src"));
	assert_false(gitscan_pruned(".github"));
}

static void
test_gitdir_parse_relative_absolute_and_garbage(void **state)
{
	char *s;

	(void)state;
	s = sandbox_gitdir_parse("gitdir: ../main/.git/worktrees/w\n", 32,
				 "/src/w");
	assert_string_equal(s, "/src/w/../main/.git/worktrees/w");
	free(s);
	s = sandbox_gitdir_parse("gitdir:/abs/x\r\n", 15, "/src");
	assert_string_equal(s, "/abs/x");
	free(s);
	assert_null(sandbox_gitdir_parse("hello", 5, "/src"));
	assert_null(sandbox_gitdir_parse("gitdir: \n", 9, "/src"));
	assert_null(sandbox_gitdir_parse("gitdir: a\nb\n", 12, "/src"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gitmodules_paths_reads_submodule_sections_only),
		cmocka_unit_test(test_gitscan_walk_prunes_and_keeps_its_budget),
		cmocka_unit_test(test_gitscan_walk_finds_marks_in_leaf_directories),
		cmocka_unit_test(test_mountinfo_points_unescapes_and_skips_bad_lines),
		cmocka_unit_test(test_gitscan_prunes_dependency_trees_only),
		cmocka_unit_test(test_gitdir_parse_relative_absolute_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
