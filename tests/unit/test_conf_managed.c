/* test_conf_managed.c — what the managed layers impose beyond their
 * values: they beat user overrides, and act as requirements; plus the
 * requirement-driven defaults (web_search in danger-full-access) and the
 * loading modes (partial, quiet) that go with them. */
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

#include "config/conf.h"
#include "conf_tree.h"
#include "lib/xalloc.h"

/* --- managed beats user overrides ---------------------------------------- */

static void
test_managed_value_remembers_its_file_and_line(void **state)
{
	struct tree t;
	struct conf *c;
	char *want;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml",
		 "\n[sandbox_workspace_write]\nnetwork_access = false\n");
	put(&t, "home/config.toml", "sandbox_mode = \"read-only\"\n");
	c = tree_load(&t, NULL);
	want = tree_path(&t, "sys/managed_config.toml:3");
	assert_string_equal(
		conf_managed_origin(c, "sandbox_workspace_write.network_access"),
		want);
	assert_null(conf_managed_origin(c, "sandbox_mode"));
	assert_null(conf_managed_origin(c, "permissions.network.mode"));
	free(want);
	conf_free(c);
	tree_release(&t);
}

static void
test_override_of_a_managed_key_is_refused_naming_file_and_key(void **state)
{
	struct errbuf err;
	struct tree t;
	struct conf *c;
	char *want;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml",
		 "[sandbox_workspace_write]\nnetwork_access = false\n"
		 "[permissions.network]\nallowed_domains = [\"pypi.org\"]\n");
	c = tree_load(&t, NULL);
	errbuf_init(&err);
	assert_int_equal(conf_check_override(
				 c, "sandbox_workspace_write.network_access",
				 "true", &err),
			 -1);
	want = xasprintf("sandbox_workspace_write.network_access = false is "
			 "set by the managed config %s/sys/managed_config.toml:2",
			 t.root);
	assert_string_equal(errbuf_str(&err), want);
	free(want);
	/* The managed value itself, a list item, and unmanaged keys pass. */
	assert_int_equal(conf_check_override(
				 c, "sandbox_workspace_write.network_access",
				 "false", NULL),
			 0);
	assert_int_equal(conf_check_override(
				 c, "permissions.network.allowed_domains",
				 "pypi.org", NULL),
			 0);
	assert_int_equal(conf_check_override(
				 c, "permissions.network.allowed_domains",
				 "evil.example", NULL),
			 -1);
	assert_int_equal(conf_check_override(c, "sandbox_mode",
					     "danger-full-access", NULL),
			 0);
	errbuf_release(&err);
	conf_free(c);
	tree_release(&t);
}

/* A list that replaces the key as a whole (`airlock run --setup`) passes
 * only as the managed list itself. */
static void
test_override_list_must_repeat_the_managed_list(void **state)
{
	static const char *const same[] = {"npm ci", "make deps"};
	static const char *const fewer[] = {"npm ci"};
	static const char *const other[] = {"make deps", "npm ci"};
	struct errbuf err;
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml",
		 "[setup]\ncommands = [\"npm ci\", \"make deps\"]\n");
	c = tree_load(&t, NULL);
	errbuf_init(&err);
	assert_int_equal(conf_check_override_list(c, "setup.commands", same, 2,
						  NULL),
			 0);
	assert_int_equal(conf_check_override_list(c, "setup.commands", fewer,
						  1, NULL),
			 -1);
	assert_int_equal(conf_check_override_list(c, "setup.commands", other,
						  2, &err),
			 -1);
	assert_non_null(strstr(errbuf_str(&err),
			       "setup.commands = [\"npm ci\", \"make deps\"] is "
			       "set by the managed config"));
	assert_int_equal(conf_check_override_list(c, "setup.sandbox_mode",
						  fewer, 1, NULL),
			 0);
	errbuf_release(&err);
	conf_free(c);
	tree_release(&t);
}

static void
test_managed_preferences_config_is_managed_too(void **state)
{
	/* base64 of `sandbox_mode = "read-only"` and a newline */
	const char *text = "config_toml_base64 = \"c2FuZGJveF9tb2RlID0gInJlYWQtb25seSIK\"\n";
	struct errbuf err;
	struct tree t;
	struct conf *c;
	char *want;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_preferences.toml", text);
	c = tree_load(&t, NULL);
	errbuf_init(&err);
	assert_int_equal(conf_check_override(c, "sandbox_mode",
					     "workspace-write", &err),
			 -1);
	want = xasprintf("sandbox_mode = \"read-only\" is set by the managed "
			 "config %s/sys/managed_preferences.toml"
			 "[config_toml_base64]:1",
			 t.root);
	assert_string_equal(errbuf_str(&err), want);
	free(want);
	errbuf_release(&err);
	conf_free(c);
	tree_release(&t);
}

/* --- managed values as requirements --------------------------------------- */

static void
test_managed_approval_policy_becomes_the_allowed_list(void **state)
{
	const struct requirements *r;
	struct errbuf err;
	struct tree t;
	struct conf *c;
	char *origin;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml",
		 "approval_policy = \"never\"\nweb_search = \"disabled\"\n");
	c = tree_load(&t, NULL);
	r = conf_requirements(c);
	origin = tree_path(&t, "sys/managed_config.toml:1");
	assert_int_equal(r->approval_policies.n, 1);
	assert_string_equal(r->approval_policies.items[0], "never");
	assert_string_equal(r->approval_policies.origin, origin);
	errbuf_init(&err);
	assert_int_equal(requirements_check_change(r, "approval_policy",
						   "on-request", &err),
			 -1);
	assert_non_null(strstr(errbuf_str(&err), origin));
	assert_int_equal(requirements_check_change(r, "web_search", "cached",
						   NULL),
			 -1);
	assert_int_equal(requirements_check_change(r, "web_search", "disabled",
						   NULL),
			 0);
	errbuf_release(&err);
	free(origin);
	conf_free(c);
	tree_release(&t);
}

static void
test_managed_sandbox_mode_allows_read_only_and_itself(void **state)
{
	const struct requirements *r;
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml",
		 "sandbox_mode = \"workspace-write\"\n");
	c = tree_load(&t, NULL);
	r = conf_requirements(c);
	assert_int_equal(r->sandbox_modes.n, 2);
	assert_string_equal(r->sandbox_modes.items[0], "read-only");
	assert_string_equal(r->sandbox_modes.items[1], "workspace-write");
	assert_int_equal(requirements_check_change(r, "sandbox_mode",
						   "danger-full-access", NULL),
			 -1);
	conf_free(c);
	tree_release(&t);
}

static void
test_managed_value_never_widens_requirements(void **state)
{
	const struct requirements *r;
	struct errbuf warn;
	struct tree t;
	struct conf *c;
	char *req;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml",
		 "sandbox_mode = \"danger-full-access\"\n");
	put(&t, "sys/requirements.toml",
	    "allowed_sandbox_modes = [\"read-only\", \"workspace-write\"]\n");
	req = tree_path(&t, "sys/requirements.toml");
	errbuf_init(&warn);
	c = tree_load(&t, &warn);
	r = conf_requirements(c);
	assert_string_equal(conf_str(c, "sandbox_mode"), "read-only");
	assert_int_equal(r->sandbox_modes.n, 2);
	assert_string_equal(r->sandbox_modes.items[1], "workspace-write");
	assert_non_null(strstr(errbuf_str(&warn), req));
	assert_int_equal(requirements_check_change(r, "sandbox_mode",
						   "danger-full-access", NULL),
			 -1);
	errbuf_release(&warn);
	free(req);
	conf_free(c);
	tree_release(&t);
}

/* --- web search in danger-full-access -------------------------------------- */

static struct conf *
load_text(const char *text, const char *req, struct errbuf *warn)
{
	struct errbuf err;
	struct conf *c;

	errbuf_init(&err);
	c = conf_load_text(text, strlen(text), req, req ? strlen(req) : 0,
			   warn, &err);
	if (c == NULL)
		fail_msg("%s", errbuf_str(&err));
	errbuf_release(&err);
	return c;
}

static void
test_full_access_makes_default_web_search_live(void **state)
{
	struct errbuf warn;
	struct conf *c;

	(void)state;
	errbuf_init(&warn);
	c = load_text("sandbox_mode = \"danger-full-access\"\n", NULL, &warn);
	assert_string_equal(conf_str(c, "web_search"), "live");
	assert_string_equal(conf_origin(c, "web_search"),
			    "default for danger-full-access");
	assert_int_equal(warn.count, 0);
	conf_free(c);
	c = load_text("sandbox_mode = \"workspace-write\"\n", NULL, &warn);
	assert_string_equal(conf_str(c, "web_search"), "cached");
	conf_free(c);
	errbuf_release(&warn);
}

static void
test_full_access_keeps_a_web_search_the_user_chose(void **state)
{
	struct errbuf warn;
	struct conf *c;

	(void)state;
	errbuf_init(&warn);
	c = load_text("sandbox_mode = \"danger-full-access\"\n"
		      "web_search = \"cached\"\n",
		      NULL, &warn);
	assert_string_equal(conf_str(c, "web_search"), "cached");
	assert_int_equal(warn.count, 0);
	conf_free(c);
	errbuf_release(&warn);
}

static void
test_full_access_live_web_search_yields_to_requirements(void **state)
{
	struct errbuf warn;
	struct conf *c;

	(void)state;
	errbuf_init(&warn);
	c = load_text("sandbox_mode = \"danger-full-access\"\n",
		      "allowed_web_search_modes = [\"cached\"]\n", &warn);
	assert_string_equal(conf_str(c, "web_search"), "cached");
	assert_string_equal(errbuf_str(&warn),
			    "Value live for `web_search` (the default in "
			    "danger-full-access) is disallowed by requirements; "
			    "falling back to required value cached. Details: "
			    "allowed_web_search_modes = [\"cached\"] "
			    "(<requirements>:1)");
	conf_free(c);
	errbuf_release(&warn);
}

/* --- loading modes ------------------------------------------------------------ */

static void
test_partial_load_keeps_the_conf_and_every_problem(void **state)
{
	struct errbuf err;
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "home/config.toml",
		 "sandbox_mode = \"bogus\"\n[permissions.network]\n"
		 "allowed_domains = [\"*.*\"]\n");
	errbuf_init(&err);
	assert_null(conf_load(&t.o, NULL, &err));
	errbuf_clear(&err);
	c = conf_load_partial(&t.o, NULL, &err);
	assert_non_null(c);
	assert_int_equal(err.count, 1);
	assert_non_null(strstr(errbuf_str(&err), "\"bogus\" is not one of"));
	/* The refused value keeps the default; the rest is there. */
	assert_string_equal(conf_str(c, "sandbox_mode"), "workspace-write");
	errbuf_release(&err);
	conf_free(c);
	tree_release(&t);
}

static void
test_untrusted_project_is_announced_without_verbose(void **state)
{
	struct errbuf warn;
	struct tree t;
	struct conf *c;
	char *want;

	(void)state;
	tree_init(&t);
	put(&t, "proj/.airlock/config.toml", "web_search = \"live\"\n");
	errbuf_init(&warn);
	c = tree_load(&t, &warn);
	want = xasprintf("ignoring %s/proj/.airlock/config.toml: the project "
			 "%s/proj is not trusted (to trust it, set "
			 "[projects.\"%s/proj\"] trust_level = \"trusted\" in "
			 "%s/home/config.toml)",
			 t.root, t.root, t.root, t.root);
	assert_string_equal(errbuf_str(&warn), want);
	conf_free(c);
	/* Quiet: the caller already showed the warnings once. */
	errbuf_clear(&warn);
	t.o.quiet = true;
	c = tree_load(&t, &warn);
	assert_int_equal(warn.count, 0);
	free(want);
	errbuf_release(&warn);
	conf_free(c);
	tree_release(&t);
}

/* --- sandbox.hidden_paths: joined, never narrowed ------------------------ */

static bool
has_item(const struct conf *c, const char *key, const char *item)
{
	const char *const *v;
	size_t i, n = conf_strv(c, key, &v);

	for (i = 0; i < n; i++)
		if (strcmp(v[i], item) == 0)
			return true;
	return false;
}

static void
test_hidden_paths_of_every_layer_are_joined(void **state)
{
	const char *const *v;
	struct tree t;
	struct conf *c;
	char *want;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml",
	    "[sandbox]\nhidden_paths = [\"~/.corp\", \"/etc/corp.key\"]\n");
	put(&t, "home/config.toml",
	    "[sandbox]\nhidden_paths = [\"/u/mine\", \"~/.corp\"]\n");
	/* -c with an empty list removes nothing. */
	conf_opts_add_override(&t.o, "sandbox.hidden_paths=[]");
	c = tree_load(&t, NULL);
	assert_int_equal(conf_strv(c, "sandbox.hidden_paths", &v), 3);
	assert_true(has_item(c, "sandbox.hidden_paths", "~/.corp"));
	assert_true(has_item(c, "sandbox.hidden_paths", "/etc/corp.key"));
	assert_true(has_item(c, "sandbox.hidden_paths", "/u/mine"));
	/* ~/.corp keeps the origin of the layer that first named it. */
	want = tree_path(&t, "home/config.toml:2");
	assert_string_equal(conf_item_origin(c, "sandbox.hidden_paths", 1),
			    want);
	free(want);
	assert_non_null(conf_managed_origin(c, "sandbox.hidden_paths"));
	conf_free(c);
	tree_release(&t);
}

static void
test_hidden_paths_refuse_other_tildes(void **state)
{
	struct errbuf err;
	struct tree t;

	(void)state;
	tree_init(&t);
	put(&t, "home/config.toml",
	    "[sandbox]\nhidden_paths = [\"~root/.ssh\"]\n");
	errbuf_init(&err);
	assert_null(conf_load(&t.o, NULL, &err));
	assert_non_null(strstr(errbuf_str(&err),
			       "sandbox.hidden_paths[0]: ~root/.ssh: only `~` "
			       "and `~/...`"));
	errbuf_release(&err);
	tree_release(&t);
}

static void
test_requirements_add_hidden_paths_and_pin_the_defaults(void **state)
{
	struct errbuf warn;
	struct tree t;
	struct conf *c;
	char *want;

	(void)state;
	tree_init(&t);
	put(&t, "sys/requirements.toml",
	    "[sandbox]\nhidden_paths = [\"/srv/keys\"]\n"
	    "hidden_paths_defaults = true\n");
	put(&t, "home/config.toml",
	    "[sandbox]\nhidden_paths_defaults = false\n"
	    "hidden_paths = [\"/u/mine\"]\n");
	errbuf_init(&warn);
	c = tree_load(&t, &warn);
	assert_true(conf_bool(c, "sandbox.hidden_paths_defaults"));
	assert_non_null(strstr(errbuf_str(&warn),
			       "sandbox.hidden_paths_defaults"));
	assert_true(has_item(c, "sandbox.hidden_paths", "/u/mine"));
	assert_true(has_item(c, "sandbox.hidden_paths", "/srv/keys"));
	want = tree_path(&t, "sys/requirements.toml:2");
	assert_string_equal(conf_item_origin(c, "sandbox.hidden_paths", 1),
			    want);
	free(want);
	/* A runtime change is refused too. */
	assert_int_equal(requirements_check_change(
				 conf_requirements(c),
				 "sandbox.hidden_paths_defaults", "false",
				 NULL),
			 -1);
	errbuf_release(&warn);
	conf_free(c);
	tree_release(&t);
}

static void
test_requirements_refuse_dropping_the_defaults_and_relative_paths(
	void **state)
{
	struct errbuf err;
	struct tree t;

	(void)state;
	tree_init(&t);
	put(&t, "sys/requirements.toml",
	    "[sandbox]\nhidden_paths = [\"keys\"]\n"
	    "hidden_paths_defaults = false\n");
	errbuf_init(&err);
	assert_null(conf_load(&t.o, NULL, &err));
	assert_non_null(strstr(errbuf_str(&err),
			       "sandbox.hidden_paths[0]: \"keys\" is not an "
			       "absolute path"));
	assert_non_null(strstr(errbuf_str(&err),
			       "sandbox.hidden_paths_defaults: only true can "
			       "be required"));
	errbuf_release(&err);
	tree_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_managed_value_remembers_its_file_and_line),
		cmocka_unit_test(
			test_override_of_a_managed_key_is_refused_naming_file_and_key),
		cmocka_unit_test(test_override_list_must_repeat_the_managed_list),
		cmocka_unit_test(test_managed_preferences_config_is_managed_too),
		cmocka_unit_test(
			test_managed_approval_policy_becomes_the_allowed_list),
		cmocka_unit_test(
			test_managed_sandbox_mode_allows_read_only_and_itself),
		cmocka_unit_test(test_managed_value_never_widens_requirements),
		cmocka_unit_test(test_full_access_makes_default_web_search_live),
		cmocka_unit_test(test_full_access_keeps_a_web_search_the_user_chose),
		cmocka_unit_test(
			test_full_access_live_web_search_yields_to_requirements),
		cmocka_unit_test(
			test_partial_load_keeps_the_conf_and_every_problem),
		cmocka_unit_test(
			test_untrusted_project_is_announced_without_verbose),
		cmocka_unit_test(test_hidden_paths_of_every_layer_are_joined),
		cmocka_unit_test(test_hidden_paths_refuse_other_tildes),
		cmocka_unit_test(
			test_requirements_add_hidden_paths_and_pin_the_defaults),
		cmocka_unit_test(
			test_requirements_refuse_dropping_the_defaults_and_relative_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
