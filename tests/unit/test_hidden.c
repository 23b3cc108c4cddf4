/* test_hidden.c — what a sandboxed run hides (sandbox/hidden.h), through
 * sandbox_plan_build() with a fake file system. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "sandbox/hidden.h"
#include "sandbox/input.h"
#include "sandbox/plan.h"

/* The fake disk: "d:/path" a directory, "f:/path" a file, "l:/a=/b" a
 * symbolic link /a to /b (resolved once, enough here). */
static const char *const *disk;

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

/* The link a path runs through: "l:/a=/b" turns /a/x into /b/x. */
static char *
through_link(const char *path)
{
	size_t i, n;

	for (i = 0; disk[i] != NULL; i++) {
		if (disk[i][0] != 'l')
			continue;
		n = strcspn(disk[i] + 2, "=");
		if (strncmp(disk[i] + 2, path, n) == 0 &&
		    (path[n] == '/' || path[n] == '\0'))
			return xasprintf("%s%s", strchr(disk[i], '=') + 1,
					 path + n);
	}
	return xstrdup(path);
}

static int
fake_kind(void *arg, const char *path)
{
	(void)arg;
	if (lookup('l', path) != NULL)
		return 'l';
	if (lookup('d', path) != NULL)
		return 'd';
	return lookup('f', path) != NULL ? 'f' : 0;
}

static char *
fake_resolve(void *arg, const char *path)
{
	char *t = through_link(path);

	if (lookup('d', t) != NULL || lookup('f', t) != NULL)
		return t;
	(void)arg;
	free(t);
	return NULL;
}

static char *
fake_gitdir(void *arg, const char *gitfile)
{
	(void)arg;
	(void)gitfile;
	return NULL;
}

static const struct sandbox_probe probe = {fake_resolve, fake_kind,
					   fake_gitdir, NULL, NULL, NULL};
static char *argv_true[] = {"true", NULL};

static void
input(struct sandbox_input *in, const char *mode)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->cwd = "/work";
	in->uid = 1000;
	in->gid = 1000;
	in->landlock_abi = 7;
	in->argv = argv_true;
	in->exclude_slash_tmp = true;
	in->user_homes[0] = "/home/u";
	in->n_user_homes = 1;
	in->hidden_defaults = true;
}

static bool
hidden(const struct sandbox_plan *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->n_hidden; i++)
		if (strcmp(p->hidden[i], path) == 0)
			return true;
	return false;
}

static void
test_hidden_defaults_are_the_existing_credential_locations(void **state)
{
	static const char *const d[] = {
		"d:/work", "d:/home/u", "d:/home/u/.ssh", "f:/home/u/.netrc",
		"d:/home/u/.config", "d:/home/u/.config/gcloud",
		"d:/home/u/.docker", "f:/home/u/.docker/config.json",
		"f:/home/u/.bashrc", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	input(&in, "workspace-write");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_hidden, 4);
	assert_true(hidden(&p, "/home/u/.ssh"));
	assert_true(hidden(&p, "/home/u/.netrc"));
	assert_true(hidden(&p, "/home/u/.config/gcloud"));
	assert_true(hidden(&p, "/home/u/.docker/config.json"));
	assert_false(hidden(&p, "/home/u/.docker"));
	sandbox_plan_release(&p);
	/* Off: none of them. */
	in.hidden_defaults = false;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_hidden, 0);
	sandbox_plan_release(&p);
}

static void
test_hidden_links_are_resolved_so_the_mask_lands_on_the_target(void **state)
{
	static const char *const d[] = {
		"d:/work", "d:/home/u", "l:/home/u/.aws=/vault/aws",
		"d:/vault/aws", "l:/home/u/.npmrc=/vault/npmrc",
		"f:/vault/npmrc", "l:/home/u/.kube=/gone", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	input(&in, "read-only");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_hidden, 2);
	assert_true(hidden(&p, "/vault/aws"));
	assert_true(hidden(&p, "/vault/npmrc"));
	sandbox_plan_release(&p);
}

static void
test_hidden_paths_expand_under_every_home_and_skip_what_is_missing(
	void **state)
{
	static const char *const d[] = {
		"d:/work", "d:/home/u", "d:/home/u/.corp", "d:/root",
		"d:/root/.corp", "f:/etc/corp.key", "d:/home/u/.ssh",
		"f:/home/u/.ssh/config", NULL};
	static const char *const paths[] = {"~/.corp", "/etc/corp.key",
					    "/etc/missing", "~/.ssh/config"};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	input(&in, "workspace-write");
	in.user_homes[1] = "/root";
	in.n_user_homes = 2;
	in.hidden_paths = paths;
	in.n_hidden_paths = 4;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_true(hidden(&p, "/home/u/.corp"));
	assert_true(hidden(&p, "/root/.corp"));
	assert_true(hidden(&p, "/etc/corp.key"));
	assert_true(hidden(&p, "/home/u/.ssh"));
	/* Inside ~/.ssh, which is masked whole: no mask of its own. */
	assert_false(hidden(&p, "/home/u/.ssh/config"));
	assert_int_equal(p.n_hidden, 4);
	sandbox_plan_release(&p);
}

static void
test_hidden_secret_files_of_request_actions(void **state)
{
	static const char *const d[] = {"d:/work", "f:/run/secrets/token",
					NULL};
	static const char *const files[] = {"/run/secrets/token",
					    "/run/secrets/missing"};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	input(&in, "workspace-write");
	sandbox_input_hide_files(&in, files, 2);
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_hidden, 1);
	assert_string_equal(p.hidden[0], "/run/secrets/token");
	assert_string_equal(p.hidden_why[0], "a request action's secret file");
	sandbox_plan_release(&p);
}

static void
test_hidden_airlock_home_keeps_only_the_ca_bundle_with_network(void **state)
{
	static const char *const d[] = {"d:/work", "d:/home/u",
					"d:/home/u/.airlock", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	input(&in, "workspace-write");
	in.home = "/home/u/.airlock";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_hidden, 1);
	assert_string_equal(p.hidden[0], "/home/u/.airlock");
	assert_int_equal(p.n_reveal, 0);
	sandbox_plan_release(&p);
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_reveal, 1);
	assert_string_equal(p.reveal[0],
			    "/home/u/.airlock/proxy/ca-bundle.pem");
	sandbox_plan_release(&p);
}

static void
test_hidden_ca_bundle_comes_back_inside_a_wider_mask(void **state)
{
	static const char *const d[] = {"d:/work", "d:/home/u",
					"d:/home/u/.airlock", NULL};
	static const char *const paths[] = {"~"};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	input(&in, "workspace-write");
	in.home = "/home/u/.airlock";
	in.network = true;
	in.hidden_paths = paths;
	in.n_hidden_paths = 1;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	/* The whole home is masked, AIRLOCK_HOME with it... */
	assert_int_equal(p.n_hidden, 1);
	assert_string_equal(p.hidden[0], "/home/u");
	/* ...and the bundle still comes back. */
	assert_int_equal(p.n_reveal, 1);
	assert_string_equal(p.reveal[0],
			    "/home/u/.airlock/proxy/ca-bundle.pem");
	sandbox_plan_release(&p);
}

static void
test_hidden_airlock_secrets_linked_elsewhere_are_hidden_there(void **state)
{
	static const char *const d[] = {
		"d:/work", "d:/home/u/.airlock",
		"l:/home/u/.airlock/proxy=/srv/proxy", "d:/srv/proxy",
		"l:/home/u/.airlock/admin.token=/srv/admin.token",
		"f:/srv/admin.token", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	input(&in, "read-only");
	in.home = "/home/u/.airlock";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_true(hidden(&p, "/home/u/.airlock"));
	/* The key may not exist yet: hidden where it will be. */
	assert_true(hidden(&p, "/srv/proxy/ca.key"));
	assert_true(hidden(&p, "/srv/admin.token"));
	assert_false(hidden(&p, "/srv/proxy"));
	sandbox_plan_release(&p);
}

static void
test_hidden_workspace_inside_a_hidden_path_is_refused(void **state)
{
	static const char *const d[] = {
		"d:/home/u", "d:/home/u/.ssh", "d:/home/u/.airlock",
		"d:/home/u/.airlock/proj", "d:/work", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	struct errbuf err;

	(void)state;
	disk = d;
	errbuf_init(&err);
	input(&in, "workspace-write");
	in.cwd = "/home/u/.ssh";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, &err), -1);
	assert_string_equal(errbuf_first(&err),
			    "run: the workspace /home/u/.ssh lies inside "
			    "/home/u/.ssh, which sandboxed commands may not "
			    "read (a default credential location: "
			    "sandbox.hidden_paths_defaults): run from another "
			    "directory");
	errbuf_release(&err);
	errbuf_init(&err);
	input(&in, "read-only");
	in.home = "/home/u/.airlock";
	in.cwd = "/home/u/.airlock/proj";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, &err), -1);
	assert_non_null(strstr(errbuf_first(&err), "(AIRLOCK_HOME)"));
	errbuf_release(&err);
	/* A hidden path inside the workspace is fine: masked on top. */
	input(&in, "workspace-write");
	in.cwd = "/home/u";
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_true(hidden(&p, "/home/u/.ssh"));
	sandbox_plan_release(&p);
}

static void
test_hidden_nothing_in_danger_full_access(void **state)
{
	static const char *const d[] = {"d:/work", "d:/home/u/.ssh", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;

	(void)state;
	disk = d;
	input(&in, "danger-full-access");
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	assert_int_equal(p.n_hidden, 0);
	sandbox_plan_release(&p);
}

static void
test_hidden_masks_come_after_the_binds_and_print_with_why(void **state)
{
	static const char *const d[] = {"d:/work", "d:/home/u/.ssh",
					"d:/home/u/.airlock", NULL};
	struct sandbox_input in;
	struct sandbox_plan p;
	size_t i, first_hide = 0, last_bind = 0;
	struct buf b;

	(void)state;
	disk = d;
	input(&in, "workspace-write");
	in.home = "/home/u/.airlock";
	in.network = true;
	assert_int_equal(sandbox_plan_build(&in, &probe, &p, NULL), 0);
	for (i = 0; i < p.n_steps; i++) {
		if (p.steps[i].kind == SANDBOX_STEP_HIDE && first_hide == 0)
			first_hide = i;
		if (p.steps[i].kind == SANDBOX_STEP_BIND_RO ||
		    p.steps[i].kind == SANDBOX_STEP_BIND_RW)
			last_bind = i;
	}
	assert_true(first_hide > last_bind);
	buf_init(&b, 1 << 16);
	sandbox_plan_format(&p, &b);
	assert_non_null(strstr(b.p, "hide /home/u/.ssh (a default credential "
				    "location: sandbox.hidden_paths_defaults), "
				    "if present: unreadable\n"));
	assert_non_null(strstr(b.p, "hide /home/u/.airlock (AIRLOCK_HOME), if "
				    "present: unreadable; but for "
				    "/home/u/.airlock/proxy/ca-bundle.pem "
				    "(read-only)\n"));
	buf_release(&b);
	sandbox_plan_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_hidden_defaults_are_the_existing_credential_locations),
		cmocka_unit_test(
			test_hidden_links_are_resolved_so_the_mask_lands_on_the_target),
		cmocka_unit_test(
			test_hidden_paths_expand_under_every_home_and_skip_what_is_missing),
		cmocka_unit_test(test_hidden_secret_files_of_request_actions),
		cmocka_unit_test(
			test_hidden_airlock_home_keeps_only_the_ca_bundle_with_network),
		cmocka_unit_test(
			test_hidden_ca_bundle_comes_back_inside_a_wider_mask),
		cmocka_unit_test(
			test_hidden_airlock_secrets_linked_elsewhere_are_hidden_there),
		cmocka_unit_test(
			test_hidden_workspace_inside_a_hidden_path_is_refused),
		cmocka_unit_test(test_hidden_nothing_in_danger_full_access),
		cmocka_unit_test(
			test_hidden_masks_come_after_the_binds_and_print_with_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
