/* test_plan.c — the sandbox plan (sandbox/plan.h), the `.git` file parser
 * (sandbox/probe.h) and the blocked summary (sandbox/summary.h), with a
 * fake file system. */
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

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "proxy/audit.h"
#include "sandbox/gitmodules.h"
#include "sandbox/gitscan.h"
#include "sandbox/mountinfo.h"
#include "sandbox/plan.h"
#include "sandbox/probe.h"
#include "sandbox/summary.h"

/* The fake disk: "d:/path" directories, "f:/path" files; "l:/a=/b" makes
 * /a resolve to /b; "g:/x/.git=/y" a gitdir file pointing at /y; "s:/a=/b"
 * a symbolic link /a to /b. The fake walk reports every `.git` and
 * `.airlock` under the root, or stops at once with scan_stop. "p:/x" is a
 * placeholder directory another run holds or left behind. */
static const char *const *disk;
static const char *scan_stop;

static const char *
lookup(char type, const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; disk[i] != NULL; i++)
		if (disk[i][0] == type && strncmp(disk[i] + 2, path, n) == 0 &&
		    (disk[i][2 + n] == '\0' || disk[i][2 + n] == '='))
			return disk[i];
	return NULL;
}

static int
fake_kind(void *arg, const char *path)
{
	(void)arg;
	if (lookup('s', path) != NULL)
		return 'l';
	if (lookup('p', path) != NULL)
		return 'p';
	if (lookup('d', path) != NULL)
		return 'd';
	if (lookup('f', path) != NULL || lookup('g', path) != NULL)
		return 'f';
	return 0;
}

static char *
fake_resolve(void *arg, const char *path)
{
	const char *l = lookup('l', path);

	if (l == NULL)
		l = lookup('s', path);
	if (l != NULL)
		return xstrdup(strchr(l, '=') + 1);
	return fake_kind(arg, path) ? xstrdup(path) : NULL;
}

static char *
fake_gitdir(void *arg, const char *gitfile)
{
	const char *g = lookup('g', gitfile);

	(void)arg;
	return g ? xstrdup(strchr(g, '=') + 1) : NULL;
}

static void
fake_scan(void *arg, const char *root, struct sandbox_scan *sc)
{
	size_t i, n = strlen(root);
	const char *base;
	char path[256];

	if (scan_stop != NULL) {
		sc->stopped = scan_stop;
		return;
	}
	for (i = 0; disk[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%.*s",
			 (int)strcspn(disk[i] + 2, "="), disk[i] + 2);
		base = strrchr(path, '/');
		if (disk[i][0] == 'l' || disk[i][0] == 'm' ||
		    strncmp(path, root, n) != 0 ||
		    path[n] != '/' ||
		    (strcmp(base, "/.git") != 0 && strcmp(base, "/.airlock")))
			continue;
		sc->dirs++;
		if (sc->found(sc->ctx, path, fake_kind(arg, path)) == -1)
			return;
	}
}

/* "m:/x/.gitmodules=TEXT": a file's contents for read(). */
static char *
fake_read(void *arg, const char *path, size_t *n)
{
	const char *m = lookup('m', path);

	(void)arg;
	if (m == NULL)
		return NULL;
	m = strchr(m, '=') + 1;
	*n = strlen(m);
	return xstrdup(m);
}

static const struct sandbox_probe probe = {fake_resolve, fake_kind,
					   fake_gitdir, fake_scan, fake_read,
					   NULL};
static char *argv_true[] = {"true", NULL};

static void
base_input(struct sandbox_input *in, const char *mode)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->cwd = "/work";
	in->http_port = 43128;
	in->socks_port = 43130;
	in->uid = 1000;
	in->gid = 1000;
	in->landlock_abi = 7;
	in->argv = argv_true;
}

static size_t
count_steps(const struct sandbox_plan *p, enum sandbox_step_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_steps; i++)
		n += p->steps[i].kind == k;
	return n;
}

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

static void
mk(const char *root, const char *rel)
{
	char path[512];
	char *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
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
	gitscan_walk(root, &sc);
	assert_int_equal(found, 2);
	assert_null(sc.stopped);
	found = 0;
	memset(&sc, 0, sizeof(sc));
	sc.max_dirs = 100;
	sc.max_ms = 10000;
	sc.max_depth = 2;
	sc.found = count_found;
	sc.ctx = &found;
	gitscan_walk(root, &sc);
	assert_int_equal(found, 1);
	memset(&sc, 0, sizeof(sc));
	sc.max_dirs = 2;
	sc.max_ms = 10000;
	sc.found = count_found;
	sc.ctx = &found;
	gitscan_walk(root, &sc);
	assert_string_equal(sc.stopped, "directory limit");
	snprintf(link, sizeof(link), "rm -rf '%s'", root);
	assert_int_equal(system(link), 0);
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

static void
test_plan_network_grant_listens_on_proxy_ports(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i, listens = 0;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	in.socks5 = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.net, SANDBOX_NET_PROXY);
	assert_int_equal(p.n_ports, 2);
	assert_int_equal(p.ports[0], 43128);
	assert_int_equal(p.ports[1], 43130);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LO_UP), 1);
	for (i = 0; i < p.n_steps; i++) {
		if (p.steps[i].kind != SANDBOX_STEP_LISTEN)
			continue;
		assert_int_equal(p.steps[i].port, listens ? 43130 : 43128);
		assert_string_equal(p.steps[i].what, listens ? "socks5" : "http");
		listens++;
	}
	assert_int_equal(listens, 2);
	sandbox_plan_release(&p);
}

/* Port 0 is any free port: in the sandbox's own namespace the plan picks
 * one, so that the parent knows it before the clone. */
static void
test_plan_port_zero_gets_a_fixed_port_in_the_namespace(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	in.socks5 = true;
	in.http_port = 0;
	in.socks_port = 0;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.ports[0], SANDBOX_PORT_HTTP);
	assert_int_equal(p.ports[1], SANDBOX_PORT_SOCKS);
	sandbox_plan_release(&p);
	in.http_port = SANDBOX_PORT_SOCKS;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.ports[0], SANDBOX_PORT_SOCKS);
	assert_int_equal(p.ports[1], SANDBOX_PORT_SOCKS + 1);
	sandbox_plan_release(&p);
}

/* The loopback is the command's own in both modes; only the proxy's
 * listeners depend on the network grant. */
static void
test_plan_network_off_brings_up_lo_without_listeners(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.socks5 = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LO_UP), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_UNIX_DIAG), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_LISTEN), 0);
	sandbox_plan_release(&p);
}

/* The listed host sockets go to the supervisor as given, deduplicated;
 * the plan says how many. */
static void
test_plan_keeps_the_listed_unix_sockets(void **state)
{
	static const char *const d[] = {"d:/work", NULL};
	static const char *const socks[] = {"/run/podman.sock", "rel.sock",
					    "/run/podman.sock", "/tmp/x.sock"};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct buf b;

	(void)state;
	disk = d;
	base_input(&in, "read-only");
	in.unix_sockets = socks;
	in.n_unix_sockets = 4;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_unix_sockets, 2);
	assert_string_equal(p.unix_sockets[0], "/run/podman.sock");
	assert_string_equal(p.unix_sockets[1], "/tmp/x.sock");
	assert_false(p.unix_sockets_all);
	buf_init(&b, 1 << 16);
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "but 2 listed in unix_sockets)"));
	buf_release(&b);
	sandbox_plan_release(&p);
}

static void
test_plan_network_grant_binds_the_stub_resolver_after_the_listeners(void **state)
{
	static const char *const d[] = {"d:/work", "f:/etc/resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i, dns = 0, listens = 0;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	for (i = 0; i < p.n_steps; i++) {
		if (p.steps[i].kind == SANDBOX_STEP_LISTEN)
			listens++;
		if (p.steps[i].kind != SANDBOX_STEP_DNS)
			continue;
		assert_int_equal(listens, 1);
		assert_int_equal(p.steps[i].port, 53);
		dns++;
	}
	assert_int_equal(dns, 1);
	/* Port 53 is UDP: not a TCP connect grant. */
	assert_int_equal(p.n_ports, 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 1);
	sandbox_plan_release(&p);
}

static void
test_plan_network_off_replaces_resolv_conf_without_a_resolver(void **state)
{
	static const char *const d[] = {"d:/work", "f:/etc/resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct buf b;

	(void)state;
	disk = d;
	buf_init(&b, 1 << 16);
	base_input(&in, "read-only");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_DNS), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 1);
	assert_string_equal(p.resolv_conf, "/etc/resolv.conf");
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "resolv.conf naming 127.0.0.1 over "
				    "/etc/resolv.conf (no resolver there"));
	sandbox_plan_release(&p);
	buf_release(&b);
}

/* systemd-resolved: /etc/resolv.conf -> ../run/systemd/resolve/stub-...;
 * a bind mount follows the link, so the plan names the target. */
static void
test_plan_symlinked_resolv_conf_binds_over_its_target(void **state)
{
	static const char *const d[] = {
		"d:/work", "l:/etc/resolv.conf=/run/systemd/resolve/stub-resolv.conf",
		"f:/run/systemd/resolve/stub-resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	for (i = 0; i < p.n_steps; i++)
		if (p.steps[i].kind == SANDBOX_STEP_RESOLV_CONF)
			assert_string_equal(p.steps[i].path,
					    "/run/systemd/resolve/stub-resolv.conf");
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 1);
	sandbox_plan_release(&p);
}

/* No file (or a dangling link, or a directory): nothing to bind over;
 * resolvers then use 127.0.0.1 by default. */
static void
test_plan_missing_resolv_conf_gets_no_step(void **state)
{
	static const char *const none[] = {"d:/work", NULL};
	static const char *const dir[] = {"d:/work", "d:/etc/resolv.conf",
					  NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	base_input(&in, "workspace-write");
	in.network = true;
	disk = none;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 0);
	assert_null(p.resolv_conf);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_DNS), 1);
	sandbox_plan_release(&p);
	disk = dir;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 0);
	sandbox_plan_release(&p);
}

static void
test_plan_full_access_leaves_resolv_conf_alone(void **state)
{
	static const char *const d[] = {"d:/work", "f:/etc/resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	base_input(&in, "danger-full-access");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_DNS), 0);
	sandbox_plan_release(&p);
}

/* Restrictions come in an order that works: ids before listeners, mounts
 * before Landlock (which forbids mounting), no_new_privs before Landlock
 * and seccomp, seccomp after dropping capabilities, exec last. */
static void
test_plan_steps_are_in_a_working_order(void **state)
{
	static const char *const d[] = {"d:/work", "d:/work/.git",
					"f:/etc/resolv.conf", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i;

	(void)state;
	disk = d;
	base_input(&in, "workspace-write");
	in.network = true;
	in.socks5 = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_RESOLV_CONF), 1);
	assert_int_equal(count_steps(&p, SANDBOX_STEP_DNS), 1);
	for (i = 1; i < p.n_steps; i++)
		assert_true(p.steps[i - 1].kind <= p.steps[i].kind);
	assert_int_equal(p.steps[0].kind, SANDBOX_STEP_UNSHARE);
	assert_int_equal(p.steps[p.n_steps - 1].kind, SANDBOX_STEP_EXEC);
	sandbox_plan_release(&p);
}

static void
test_plan_format_names_each_step(void **state)
{
	static const char *const d[] = {"d:/work", "d:/work/.git", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct buf b;

	(void)state;
	disk = d;
	buf_init(&b, 1 << 16);
	base_input(&in, "workspace-write");
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "sandbox: workspace-write\n"));
	assert_non_null(strstr(b.p, "network: proxy only"));
	assert_non_null(strstr(b.p, "listen on 127.0.0.1:43128"));
	assert_non_null(strstr(b.p, "bind /work/.git read-only"));
	assert_non_null(strstr(b.p, "make every mount read-only"));
	assert_non_null(strstr(b.p, "bind /work back read-write, nosuid, "
				    "nodev"));
	assert_non_null(strstr(b.p, "new devpts instance"));
	assert_non_null(strstr(b.p, "sock_diag socket"));
	assert_non_null(strstr(b.p, "performed by airlock's supervisor"));
	assert_null(strstr(b.p, "TCP bind none"));
	assert_non_null(strstr(b.p, "exec true\n"));
	sandbox_plan_release(&p);
	buf_release(&b);
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

static void
record(struct audit_ring *r, const char *host, uint16_t port,
       const char *reason)
{
	struct audit_event ev = {0};

	ev.host = host;
	ev.port = port;
	ev.reason = reason;
	ev.protocol = "http";
	audit_ring_record(r, &ev);
}

static void
test_summary_groups_by_host_port_reason_and_names_the_fix(void **state)
{
	struct audit_ring r;
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	summary_format(&r, &b);
	assert_int_equal(b.len, 0);
	record(&r, "example.com", 80, "not_allowed");
	record(&r, "example.com", 80, "not_allowed");
	record(&r, "pypi.org", 443, "method_not_allowed");
	record(&r, "10.0.0.1", 80, "not_allowed_local");
	record(&r, "bad.example", 80, "denied");
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "5 request(s) blocked"));
	assert_non_null(strstr(b.p, "example.com:80 not_allowed (2x): allow "
				    "with --allow example.com"));
	assert_non_null(strstr(b.p, "pypi.org:443 method_not_allowed (1x)"));
	assert_non_null(strstr(b.p, "--mode full"));
	assert_non_null(strstr(b.p, "allow_local_binding"));
	assert_non_null(strstr(b.p, "denied_domains"));
	audit_ring_release(&r);
	buf_release(&b);
}

/* A setup command's sandbox: its own title, advice in setup.* keys. */
static void
test_summary_of_a_setup_command_names_it_and_the_setup_keys(void **state)
{
	struct audit_ring r;
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	record(&r, "example.com", 80, "not_allowed");
	record(&r, "pypi.org", 443, "method_not_allowed");
	summary_format_setup(&r, "npm ci", &b);
	assert_non_null(strstr(b.p, "airlock: setup `npm ci`: 2 request(s) "
				    "blocked:\n"));
	assert_non_null(strstr(b.p, "example.com:80 not_allowed (1x): allow "
				    "example.com with setup.allowed_domains"));
	assert_non_null(strstr(b.p, "setup.mode = \"full\""));
	assert_null(strstr(b.p, "--allow"));
	assert_null(strstr(b.p, "--mode"));
	audit_ring_release(&r);
	buf_release(&b);
}

static void
record_full(struct audit_ring *r, const char *host, unsigned port,
	    const char *reason, const char *protocol, const char *method)
{
	struct audit_event ev = {0};

	ev.host = host;
	ev.port = (uint16_t)port;
	ev.reason = reason;
	ev.protocol = protocol;
	ev.method = method;
	audit_ring_record(r, &ev);
}

static void
test_summary_names_the_refused_method_and_the_uncovered_port(void **state)
{
	struct audit_ring r;
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	record_full(&r, "pypi.org", 80, "method_not_allowed", "http", "POST");
	record_full(&r, "pypi.org", 80, "method_not_allowed", "http", "PUT");
	record_full(&r, "pypi.org", 80, "method_not_allowed", "http", "POST");
	record_full(&r, "git.example", 8443, "mitm_required", "https_connect",
		    "CONNECT");
	record_full(&r, "git.example", 22, "method_not_allowed", "socks5_tcp",
		    NULL);
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "pypi.org:80 method_not_allowed POST (2x): "
				    "limited mode allows GET, HEAD and OPTIONS "
				    "only, and refused POST: --mode full"));
	assert_non_null(strstr(b.p, "pypi.org:80 method_not_allowed PUT (1x): "
				    "limited mode allows GET, HEAD and OPTIONS "
				    "only, and refused PUT"));
	assert_non_null(strstr(b.p, "git.example:8443 mitm_required (1x): "
				    "limited mode intercepts HTTPS on port 443 "
				    "only, and refused a tunnel to port 8443"));
	assert_non_null(strstr(b.p, "git.example:22 method_not_allowed (1x): "
				    "limited mode intercepts port 443 only, "
				    "and refused a SOCKS5 connection to port "
				    "22"));
	buf_reset(&b);
	record_full(&r, "git.example", 22, "method_not_allowed", "tcp", NULL);
	record_full(&r, "8.8.8.8", 53, "udp_not_proxied", "udp", NULL);
	record_full(&r, "198.18.0.77", 80, "unknown_synthetic", "tcp", NULL);
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "git.example:22/tcp method_not_allowed "
				    "(1x): limited mode lets a connection to "
				    "port 22 through only as an HTTP request"));
	assert_non_null(strstr(b.p, "8.8.8.8:53/udp udp_not_proxied (1x): UDP "
				    "leaves the sandbox only"));
	assert_non_null(strstr(b.p, "198.18.0.77:80/tcp unknown_synthetic "
				    "(1x): an address of 198.18.0.0/15"));
	audit_ring_release(&r);
	buf_release(&b);
}

static void
test_summary_shows_dns_lookups_without_a_port(void **state)
{
	struct audit_ring r;
	struct audit_event ev = {0};
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	ev.host = "other.test";
	ev.port = 0;
	ev.reason = "not_allowed";
	ev.protocol = "dns";
	ev.method = "A";
	audit_ring_record(&r, &ev);
	ev.method = "AAAA";
	audit_ring_record(&r, &ev);
	ev.reason = "denied";
	ev.host = "evil.test";
	audit_ring_record(&r, &ev);
	record(&r, "other.test", 80, "not_allowed");
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "4 request(s) blocked"));
	assert_non_null(strstr(b.p, "  other.test (dns lookup) not_allowed "
				    "(2x): allow with --allow other.test"));
	assert_non_null(strstr(b.p, "  evil.test (dns lookup) denied (1x): "
				    "denied by"));
	assert_non_null(strstr(b.p, "  other.test:80 not_allowed (1x)"));
	assert_null(strstr(b.p, ":0 "));
	audit_ring_release(&r);
	buf_release(&b);
}

static void
test_summary_local_refusal_says_which_address_and_why(void **state)
{
	struct audit_ring r;
	struct audit_event ev = {0};
	struct buf b;

	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1 << 16);
	ev.host = "registry.example";
	ev.port = 443;
	ev.reason = "not_allowed_local";
	ev.protocol = "https_connect";
	ev.detail = "registry.example resolved to 10.1.2.3, a private "
		    "address: allow it with --allow 10.1.2.3";
	audit_ring_record(&r, &ev);
	summary_format(&r, &b);
	assert_non_null(strstr(b.p, "  registry.example:443 not_allowed_local "
				    "(1x): registry.example resolved to "
				    "10.1.2.3, a private address: allow it with "
				    "--allow 10.1.2.3\n"));
	/* The old advice named the flag the user had already passed. */
	assert_null(strstr(b.p, "--allow registry.example"));
	audit_ring_release(&r);
	buf_release(&b);
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
		cmocka_unit_test(test_gitmodules_paths_reads_submodule_sections_only),
		cmocka_unit_test(test_gitscan_walk_prunes_and_keeps_its_budget),
		cmocka_unit_test(test_mountinfo_points_unescapes_and_skips_bad_lines),
		cmocka_unit_test(test_gitscan_prunes_dependency_trees_only),
		cmocka_unit_test(test_plan_writable_roots_are_canonical_and_deduplicated),
		cmocka_unit_test(test_plan_relative_writable_root_is_an_error),
		cmocka_unit_test(test_plan_unknown_mode_and_empty_argv_are_errors),
		cmocka_unit_test(test_plan_network_grant_listens_on_proxy_ports),
		cmocka_unit_test(test_plan_port_zero_gets_a_fixed_port_in_the_namespace),
		cmocka_unit_test(test_plan_network_off_brings_up_lo_without_listeners),
		cmocka_unit_test(test_plan_keeps_the_listed_unix_sockets),
		cmocka_unit_test(test_plan_network_grant_binds_the_stub_resolver_after_the_listeners),
		cmocka_unit_test(test_plan_network_off_replaces_resolv_conf_without_a_resolver),
		cmocka_unit_test(test_plan_symlinked_resolv_conf_binds_over_its_target),
		cmocka_unit_test(test_plan_missing_resolv_conf_gets_no_step),
		cmocka_unit_test(test_plan_full_access_leaves_resolv_conf_alone),
		cmocka_unit_test(test_plan_steps_are_in_a_working_order),
		cmocka_unit_test(test_plan_format_names_each_step),
		cmocka_unit_test(test_gitdir_parse_relative_absolute_and_garbage),
		cmocka_unit_test(test_summary_groups_by_host_port_reason_and_names_the_fix),
		cmocka_unit_test(
			test_summary_of_a_setup_command_names_it_and_the_setup_keys),
		cmocka_unit_test(test_summary_names_the_refused_method_and_the_uncovered_port),
		cmocka_unit_test(test_summary_shows_dns_lookups_without_a_port),
		cmocka_unit_test(
			test_summary_local_refusal_says_which_address_and_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
