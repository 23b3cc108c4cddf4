/* test_conf.c — loading, merging and validating the layered config. */
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

/* --- helpers ------------------------------------------------------------- */

static struct conf *
load(const char *text, struct errbuf *err)
{
	return conf_load_text(text, strlen(text), NULL, 0, NULL, err);
}

/* Loads text expecting failure; returns the error text (static copy). */
static const char *
load_err(const char *text)
{
	static char out[4096];
	struct errbuf err;
	struct conf *c;

	errbuf_init(&err);
	c = load(text, &err);
	assert_null(c);
	snprintf(out, sizeof(out), "%s", errbuf_str(&err));
	errbuf_release(&err);
	return out;
}

/* --- defaults and single-layer values ----------------------------------- */

static void
test_conf_empty_config_gives_schema_defaults(void **state)
{
	struct conf *c = load("", NULL);
	const char *const *v;

	(void)state;
	assert_non_null(c);
	assert_string_equal(conf_str(c, "sandbox_mode"), "workspace-write");
	assert_string_equal(conf_str(c, "approval_policy"), "on-request");
	assert_true(conf_bool(c, "permissions.network.enabled"));
	assert_false(conf_bool(c, "sandbox_workspace_write.network_access"));
	assert_int_equal(conf_strv(c, "permissions.network.allowed_domains",
				   &v), 0);
	assert_string_equal(conf_origin(c, "sandbox_mode"), "default");
	assert_false(conf_is_set(c, "sandbox_mode"));
	conf_free(c);
}

static void
test_conf_value_remembers_file_and_line(void **state)
{
	struct conf *c = load("\n[permissions.network]\nmode = \"full\"\n",
			      NULL);

	(void)state;
	assert_non_null(c);
	assert_string_equal(conf_str(c, "permissions.network.mode"), "full");
	assert_string_equal(conf_origin(c, "permissions.network.mode"),
			    "<config>:3");
	assert_true(conf_is_set(c, "permissions.network.mode"));
	conf_free(c);
}

static void
test_conf_array_items_remember_their_own_lines(void **state)
{
	struct conf *c = load("[permissions.network]\nallowed_domains = [\n"
			      "  \"a.com\",\n  \"*.b.org\",\n]\n",
			      NULL);
	const char *const *v;

	(void)state;
	assert_non_null(c);
	assert_int_equal(conf_strv(c, "permissions.network.allowed_domains",
				   &v), 2);
	assert_string_equal(v[1], "*.b.org");
	assert_string_equal(conf_item_origin(
				    c, "permissions.network.allowed_domains", 0),
			    "<config>:3");
	assert_string_equal(conf_item_origin(
				    c, "permissions.network.allowed_domains", 1),
			    "<config>:4");
	conf_free(c);
}

static void
test_conf_granular_approval_policy_is_read(void **state)
{
	struct conf *c = load("approval_policy = { granular = { rules = true, "
			      "mcp_elicitations = false } }\n",
			      NULL);

	(void)state;
	assert_non_null(c);
	assert_string_equal(conf_str(c, "approval_policy"), "granular");
	assert_true(conf_granular(c, "rules"));
	assert_false(conf_granular(c, "mcp_elicitations"));
	assert_false(conf_granular(c, "sandbox_approval"));
	conf_free(c);
}

static void
test_conf_listener_port_zero_is_ephemeral_and_valid(void **state)
{
	struct conf *c = load("[permissions.network]\nproxy_url = "
			      "\"http://127.0.0.1:0\"\nsocks_url = "
			      "\"http://[::1]:1080\"\nadmin_url = "
			      "\"localhost:9\"\n",
			      NULL);

	(void)state;
	assert_non_null(c);
	assert_string_equal(conf_str(c, "permissions.network.proxy_url"),
			    "http://127.0.0.1:0");
	conf_free(c);
}

static void
test_conf_upstream_proxy_accepts_socks5h_with_credentials(void **state)
{
	struct conf *c = load("[network]\nproxy = "
			      "\"socks5h://u:p@proxy.corp.example:1080\"\n",
			      NULL);

	(void)state;
	assert_non_null(c);
	conf_free(c);
}

/* --- errors ---------------------------------------------------------------- */

static void
test_conf_unknown_key_suggests_nearest(void **state)
{
	(void)state;
	assert_string_equal(
		load_err("[permissions.network]\nallowed_domain = []\n"),
		"<config>:2: permissions.network.allowed_domain: unknown key "
		"(did you mean permissions.network.allowed_domains?)");
}

static void
test_conf_wrong_type_names_what_was_given(void **state)
{
	(void)state;
	assert_string_equal(
		load_err("[permissions.network]\nenabled = \"yes\"\n"),
		"<config>:2: permissions.network.enabled: expected a boolean, "
		"got string \"yes\"");
}

static void
test_conf_bad_enum_lists_accepted_values(void **state)
{
	(void)state;
	assert_string_equal(
		load_err("[permissions.network]\nmode = \"fast\"\n"),
		"<config>:2: permissions.network.mode: \"fast\" is not one of "
		"limited, full");
}

static void
test_conf_listener_with_hostname_is_refused(void **state)
{
	(void)state;
	assert_non_null(strstr(
		load_err("[permissions.network]\nproxy_url = "
			 "\"http://example.com:3128\"\n"),
		"host must be an IP literal or localhost"));
	assert_non_null(strstr(
		load_err("[permissions.network]\nproxy_url = "
			 "\"http://127.0.0.1:70000\"\n"),
		"port must be 0..65535"));
}

static void
test_conf_upstream_with_bad_scheme_is_refused(void **state)
{
	(void)state;
	assert_non_null(strstr(load_err("[network]\nproxy = \"ftp://x:1\"\n"),
			       "scheme must be http, socks5 or socks5h"));
}

static void
test_conf_toml_syntax_error_names_file_line_col(void **state)
{
	const char *e = load_err("a = \n");

	(void)state;
	assert_memory_equal(e, "<config>:1:", 11);
}

static void
test_conf_every_problem_is_reported(void **state)
{
	const char *e = load_err("sandbox_mode = 1\nweb_search = \"x\"\n"
				 "nope = true\n[network]\nno_proxy = [1]\n");

	(void)state;
	assert_non_null(strstr(e, "<config>:1: sandbox_mode"));
	assert_non_null(strstr(e, "<config>:2: web_search"));
	assert_non_null(strstr(e, "<config>:3: nope: unknown key"));
	assert_non_null(strstr(e, "network.no_proxy[0]: expected a string"));
}

static void
test_conf_scalar_where_table_expected_is_an_error(void **state)
{
	(void)state;
	assert_string_equal(load_err("permissions = 1\n"),
			    "<config>:1: permissions: expected a table, got "
			    "integer 1");
}

static void
test_conf_relative_project_path_is_refused(void **state)
{
	(void)state;
	assert_non_null(strstr(load_err("[projects.\"rel/dir\"]\n"
					"trust_level = \"trusted\"\n"),
			       "project path must be absolute"));
}

/* --- layers ------------------------------------------------------------------ */

static void
test_conf_layers_apply_in_design_order(void **state)
{
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "sys/config.toml", "web_search = \"live\"\n"
				   "sandbox_mode = \"read-only\"\n");
	put(&t, "home/config.toml", "web_search = \"disabled\"\n");
	put(&t, "sys/managed_config.toml",
	    "[permissions.network]\nmode = \"full\"\n");
	conf_opts_add_override(&t.o, "permissions.network.mode=limited");
	conf_opts_add_override(&t.o, "approval_policy=never");
	c = tree_load(&t, NULL);
	assert_string_equal(conf_str(c, "sandbox_mode"), "read-only");
	assert_string_equal(conf_str(c, "web_search"), "disabled");
	assert_string_equal(conf_str(c, "permissions.network.mode"), "full");
	assert_string_equal(conf_str(c, "approval_policy"), "never");
	assert_string_equal(conf_origin(c, "approval_policy"), "-c");
	assert_non_null(strstr(conf_origin(c, "permissions.network.mode"),
			       "/sys/managed_config.toml:2"));
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_managed_preferences_payload_wins(void **state)
{
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_config.toml", "web_search = \"live\"\n");
	/* base64 of `web_search = "disabled"\n` */
	put(&t, "sys/managed_preferences.toml",
	    "config_toml_base64 = \"d2ViX3NlYXJjaCA9ICJkaXNhYmxlZCIK\"\n");
	c = tree_load(&t, NULL);
	assert_string_equal(conf_str(c, "web_search"), "disabled");
	assert_string_equal(conf_origin(c, "web_search"),
			    "managed-preferences");
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_bad_base64_names_file_and_key(void **state)
{
	struct errbuf err;
	struct tree t;

	(void)state;
	tree_init(&t);
	put(&t, "sys/managed_preferences.toml",
	    "config_toml_base64 = \"!!!\"\n");
	errbuf_init(&err);
	assert_null(conf_load(&t.o, NULL, &err));
	assert_non_null(strstr(errbuf_str(&err),
			       "managed_preferences.toml:1: "
			       "config_toml_base64: invalid base64"));
	errbuf_release(&err);
	tree_release(&t);
}

static void
test_conf_override_value_that_is_not_toml_is_a_string(void **state)
{
	struct tree t;
	struct conf *c;
	const char *const *v;

	(void)state;
	tree_init(&t);
	conf_opts_add_override(&t.o, "permissions.network.mode=full");
	conf_opts_add_override(&t.o,
			       "permissions.network.allowed_domains=[\"a.com\"]");
	c = tree_load(&t, NULL);
	assert_string_equal(conf_str(c, "permissions.network.mode"), "full");
	assert_int_equal(conf_strv(c, "permissions.network.allowed_domains",
				   &v), 1);
	assert_string_equal(v[0], "a.com");
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_relative_paths_resolve_against_their_file(void **state)
{
	struct tree t;
	struct conf *c;
	char *want;

	(void)state;
	tree_init(&t);
	put(&t, "home/config.toml",
	    "[permissions.network]\naudit_log = \"logs/audit.jsonl\"\n");
	c = tree_load(&t, NULL);
	want = xasprintf("%s/home/logs/audit.jsonl", t.root);
	assert_string_equal(conf_str(c, "permissions.network.audit_log"),
			    want);
	free(want);
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_untrusted_project_config_is_ignored(void **state)
{
	struct errbuf warn;
	struct tree t;
	struct conf *c;

	(void)state;
	tree_init(&t);
	put(&t, "proj/.airlock/config.toml", "web_search = \"live\"\n");
	t.o.verbose = true;
	errbuf_init(&warn);
	c = tree_load(&t, &warn);
	assert_string_equal(conf_str(c, "web_search"), "cached");
	assert_null(conf_project_dir(c));
	assert_non_null(strstr(errbuf_str(&warn), "is not trusted"));
	errbuf_release(&warn);
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_trusted_project_sits_between_system_and_user(void **state)
{
	struct tree t;
	struct conf *c;
	char *user;

	(void)state;
	tree_init(&t);
	put(&t, "proj/.airlock/config.toml",
	    "web_search = \"live\"\nsandbox_mode = \"read-only\"\n");
	put(&t, "sys/config.toml", "web_search = \"disabled\"\n"
				   "approval_policy = \"never\"\n");
	user = xasprintf("sandbox_mode = \"danger-full-access\"\n"
			 "[projects.\"%s\"]\ntrust_level = \"trusted\"\n",
			 t.root);
	put(&t, "home/config.toml", user);
	c = tree_load(&t, NULL);
	assert_string_equal(conf_str(c, "web_search"), "live");
	assert_string_equal(conf_str(c, "sandbox_mode"), "danger-full-access");
	assert_string_equal(conf_str(c, "approval_policy"), "never");
	assert_non_null(conf_project_dir(c));
	free(user);
	conf_free(c);
	tree_release(&t);
}

static void
test_conf_missing_explicit_config_file_is_an_error(void **state)
{
	struct errbuf err;
	struct tree t;

	(void)state;
	tree_init(&t);
	conf_opts_set_config(&t.o, "/nonexistent/airlock.toml");
	errbuf_init(&err);
	assert_null(conf_load(&t.o, NULL, &err));
	assert_non_null(strstr(errbuf_str(&err), "/nonexistent/airlock.toml"));
	errbuf_release(&err);
	tree_release(&t);
}

static void
test_conf_show_and_json_contain_values(void **state)
{
	struct conf *c = load("[permissions.network]\nallowed_domains = "
			      "[\"a.com\"]\n", NULL);
	char *s;

	(void)state;
	s = conf_show(c, false);
	assert_non_null(strstr(s, "[permissions.network]\nenabled = true\n"));
	assert_non_null(strstr(s, "allowed_domains = [\"a.com\"]\n"));
	free(s);
	s = conf_show(c, true);
	assert_non_null(strstr(s, "permissions.network.allowed_domains = "
				  "[\"a.com\"]  # <config>:2\n"));
	free(s);
	s = conf_json(c);
	assert_non_null(strstr(s, "\"allowed_domains\": ["));
	free(s);
	conf_free(c);
}

/* --- unix_sockets ------------------------------------------------------------ */

static void
test_conf_unix_sockets_is_a_table_of_absolute_paths(void **state)
{
	struct conf *c = load("[permissions.network.unix_sockets]\n"
			      "\"/run/user/1000/podman/podman.sock\" = "
			      "\"allow\"\n\"/tmp/x.sock\" = \"allow\"\n",
			      NULL);
	const char *const *v;
	char *show;

	(void)state;
	assert_non_null(c);
	assert_int_equal(conf_strv(c, "permissions.network.unix_sockets", &v),
			 2);
	assert_string_equal(v[0], "/run/user/1000/podman/podman.sock");
	assert_string_equal(v[1], "/tmp/x.sock");
	assert_string_equal(conf_item_origin(c,
					     "permissions.network.unix_sockets",
					     1),
			    "<config>:3");
	show = conf_show(c, false);
	assert_non_null(strstr(show, "unix_sockets = { \"/run/user/1000/"
				     "podman/podman.sock\" = \"allow\", "
				     "\"/tmp/x.sock\" = \"allow\" }"));
	free(show);
	conf_free(c);
}

static void
test_conf_unix_sockets_refuses_relative_paths_and_other_values(void **state)
{
	const char *e;

	(void)state;
	e = load_err("[permissions.network]\n"
		     "unix_sockets = { \"x.sock\" = \"allow\" }\n");
	assert_non_null(strstr(e, "unix_sockets.\"x.sock\": a unix socket "
				  "path must be absolute"));
	e = load_err("[permissions.network]\n"
		     "unix_sockets = { \"/x.sock\" = \"deny\" }\n");
	assert_non_null(strstr(e, "expected \"allow\""));
	e = load_err("[permissions.network]\nunix_sockets = [\"/x\"]\n");
	assert_non_null(strstr(e, "unix_sockets"));
}

/* A conf has as many owners as conf_ref() made: it lives until the last
 * conf_free() (ASan would see a use after free or a leak). */
static void
test_conf_ref_keeps_the_conf_until_the_last_free(void **state)
{
	struct errbuf err;
	struct conf *c, *r;

	(void)state;
	errbuf_init(&err);
	c = load("sandbox_mode = \"read-only\"\n", &err);
	assert_non_null(c);
	r = conf_ref(c);
	assert_ptr_equal(r, c);
	conf_free(c);
	assert_string_equal(conf_str(r, "sandbox_mode"), "read-only");
	conf_free(r);
	errbuf_release(&err);
}

/* opts that change no longer describe the config they loaded. */
static void
test_conf_opts_changes_drop_the_loaded_config(void **state)
{
	struct conf_opts o;
	struct conf *c;

	(void)state;
	conf_opts_init(&o);
	c = conf_load_text("", 0, NULL, 0, NULL, NULL);
	o.loaded = c;
	conf_opts_add_override(&o, "approval_policy=\"never\"");
	assert_null(o.loaded);
	o.loaded = c;
	conf_opts_set_config(&o, "/nonexistent/config.toml");
	assert_null(o.loaded);
	conf_free(c);
	conf_opts_release(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_empty_config_gives_schema_defaults),
		cmocka_unit_test(test_conf_value_remembers_file_and_line),
		cmocka_unit_test(test_conf_array_items_remember_their_own_lines),
		cmocka_unit_test(test_conf_granular_approval_policy_is_read),
		cmocka_unit_test(
			test_conf_listener_port_zero_is_ephemeral_and_valid),
		cmocka_unit_test(
			test_conf_upstream_proxy_accepts_socks5h_with_credentials),
		cmocka_unit_test(test_conf_unknown_key_suggests_nearest),
		cmocka_unit_test(test_conf_wrong_type_names_what_was_given),
		cmocka_unit_test(test_conf_bad_enum_lists_accepted_values),
		cmocka_unit_test(test_conf_listener_with_hostname_is_refused),
		cmocka_unit_test(test_conf_upstream_with_bad_scheme_is_refused),
		cmocka_unit_test(test_conf_toml_syntax_error_names_file_line_col),
		cmocka_unit_test(test_conf_every_problem_is_reported),
		cmocka_unit_test(
			test_conf_scalar_where_table_expected_is_an_error),
		cmocka_unit_test(test_conf_relative_project_path_is_refused),
		cmocka_unit_test(test_conf_layers_apply_in_design_order),
		cmocka_unit_test(test_conf_managed_preferences_payload_wins),
		cmocka_unit_test(test_conf_bad_base64_names_file_and_key),
		cmocka_unit_test(
			test_conf_override_value_that_is_not_toml_is_a_string),
		cmocka_unit_test(
			test_conf_relative_paths_resolve_against_their_file),
		cmocka_unit_test(test_conf_untrusted_project_config_is_ignored),
		cmocka_unit_test(
			test_conf_trusted_project_sits_between_system_and_user),
		cmocka_unit_test(
			test_conf_missing_explicit_config_file_is_an_error),
		cmocka_unit_test(test_conf_show_and_json_contain_values),
		cmocka_unit_test(
			test_conf_unix_sockets_is_a_table_of_absolute_paths),
		cmocka_unit_test(
			test_conf_unix_sockets_refuses_relative_paths_and_other_values),
		cmocka_unit_test(test_conf_ref_keeps_the_conf_until_the_last_free),
		cmocka_unit_test(test_conf_opts_changes_drop_the_loaded_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
