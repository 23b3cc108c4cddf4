/* test_requirements.c — requirements.toml: parsing, fallbacks, runtime
 * change checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config/conf.h"

struct run {
	struct errbuf warn, err;
	struct conf *c;
};

static void
run_load(struct run *r, const char *config, const char *req)
{
	errbuf_init(&r->warn);
	errbuf_init(&r->err);
	r->c = conf_load_text(config, strlen(config), req, strlen(req),
			      &r->warn, &r->err);
}

static void
run_release(struct run *r)
{
	conf_free(r->c);
	errbuf_release(&r->warn);
	errbuf_release(&r->err);
}

static void
test_req_disallowed_sandbox_mode_falls_back_with_warning(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "sandbox_mode = \"danger-full-access\"\n",
		 "allowed_sandbox_modes = [\"read-only\", \"workspace-write\"]\n");
	assert_non_null(r.c);
	assert_string_equal(conf_str(r.c, "sandbox_mode"), "read-only");
	assert_string_equal(
		errbuf_str(&r.warn),
		"Configured value for `sandbox_mode` is disallowed by "
		"requirements; falling back to required value read-only. "
		"Details: allowed_sandbox_modes = [\"read-only\", "
		"\"workspace-write\"] (<requirements>:1)");
	run_release(&r);
}

static void
test_req_defaulted_value_falls_back_silently(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "", "allowed_sandbox_modes = [\"read-only\"]\n");
	assert_string_equal(conf_str(r.c, "sandbox_mode"), "read-only");
	assert_string_equal(errbuf_str(&r.warn), "");
	run_release(&r);
}

static void
test_req_sandbox_modes_without_read_only_is_an_error(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "", "allowed_sandbox_modes = [\"workspace-write\"]\n");
	assert_null(r.c);
	assert_string_equal(errbuf_str(&r.err),
			    "<requirements>:1: allowed_sandbox_modes: must "
			    "contain \"read-only\"");
	run_release(&r);
}

static void
test_req_empty_approval_policies_is_an_error(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "", "allowed_approval_policies = []\n");
	assert_null(r.c);
	assert_non_null(strstr(errbuf_str(&r.err), "must not be empty"));
	run_release(&r);
}

static void
test_req_approval_falls_back_to_first_entry(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "approval_policy = \"untrusted\"\n",
		 "allowed_approval_policies = [\"never\", \"on-request\"]\n");
	assert_string_equal(conf_str(r.c, "approval_policy"), "never");
	assert_non_null(strstr(errbuf_str(&r.warn), "`approval_policy`"));
	run_release(&r);
}

static void
test_req_web_search_disabled_is_always_allowed(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "web_search = \"disabled\"\n",
		 "allowed_web_search_modes = [\"cached\"]\n");
	assert_string_equal(conf_str(r.c, "web_search"), "disabled");
	assert_string_equal(errbuf_str(&r.warn), "");
	run_release(&r);
}

static void
test_req_web_search_falls_back_cached_then_live_then_disabled(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "web_search = \"live\"\n",
		 "allowed_web_search_modes = [\"cached\"]\n");
	assert_string_equal(conf_str(r.c, "web_search"), "cached");
	run_release(&r);
	run_load(&r, "web_search = \"cached\"\n",
		 "allowed_web_search_modes = [\"live\"]\n");
	assert_string_equal(conf_str(r.c, "web_search"), "live");
	run_release(&r);
	run_load(&r, "web_search = \"cached\"\n",
		 "allowed_web_search_modes = []\n");
	assert_string_equal(conf_str(r.c, "web_search"), "disabled");
	run_release(&r);
}

static void
test_req_mode_limited_forbids_full(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "[permissions.network]\nmode = \"full\"\n",
		 "[permissions.network]\nmode = \"limited\"\n");
	assert_string_equal(conf_str(r.c, "permissions.network.mode"),
			    "limited");
	assert_non_null(strstr(errbuf_str(&r.warn),
			       "`permissions.network.mode`"));
	run_release(&r);
}

static void
test_req_false_pins_flag_false(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "[permissions.network]\nallow_local_binding = true\n"
		     "allow_upstream_proxy = true\n",
		 "[permissions.network]\nallow_local_binding = false\n"
		 "allow_upstream_proxy = true\n");
	assert_false(conf_bool(r.c, "permissions.network.allow_local_binding"));
	assert_true(conf_bool(r.c, "permissions.network.allow_upstream_proxy"));
	assert_non_null(strstr(errbuf_str(&r.warn),
			       "(<requirements>:2)"));
	run_release(&r);
}

static void
test_req_enabled_pins_both_ways(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "", "[permissions.network]\nenabled = false\n");
	assert_false(conf_bool(r.c, "permissions.network.enabled"));
	run_release(&r);
}

static void
test_req_workspace_roots_are_absolute_paths(void **state)
{
	const struct requirements *q;
	struct run r;

	(void)state;
	run_load(&r, "", "allowed_workspace_roots = [\"/srv/work\", "
			 "\"/home/x/code\"]\n");
	assert_non_null(r.c);
	q = conf_requirements(r.c);
	assert_true(q->workspace_roots.set);
	assert_int_equal(q->workspace_roots.n, 2);
	assert_string_equal(q->workspace_roots.items[1], "/home/x/code");
	assert_string_equal(q->workspace_roots.origin, "<requirements>:1");
	run_release(&r);
	run_load(&r, "", "allowed_workspace_roots = [\"/ok\", \"rel/dir\"]\n");
	assert_null(r.c);
	assert_string_equal(errbuf_str(&r.err),
			    "<requirements>:1: allowed_workspace_roots[1]: "
			    "\"rel/dir\" is not an absolute path");
	run_release(&r);
	run_load(&r, "", "allowed_workspace_roots = \"/srv\"\n");
	assert_null(r.c);
	assert_non_null(strstr(errbuf_str(&r.err), "expected an array"));
	run_release(&r);
}

static void
test_req_unknown_key_is_an_error(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "", "allowed_sandbox_mode = [\"read-only\"]\n"
			 "[permissions.network]\nallowlist = true\n");
	assert_null(r.c);
	assert_non_null(strstr(errbuf_str(&r.err),
			       "<requirements>:1: allowed_sandbox_mode: "
			       "unknown requirement"));
	assert_non_null(strstr(errbuf_str(&r.err),
			       "<requirements>:3: "
			       "permissions.network.allowlist: unknown"));
	run_release(&r);
}

static void
test_req_domain_lists_are_exposed_with_item_origins(void **state)
{
	const struct requirements *q;
	struct run r;

	(void)state;
	run_load(&r, "", "[permissions.network]\nallowed_domains = [\n"
			 "  \"**.github.com\",\n  \"pypi.org\",\n]\n"
			 "denied_domains = [\"pastebin.com\"]\n"
			 "allowlist_expansion = true\n");
	assert_non_null(r.c);
	q = conf_requirements(r.c);
	assert_int_equal(q->allowed_domains.n, 2);
	assert_string_equal(q->allowed_domains.items[1], "pypi.org");
	assert_string_equal(q->allowed_domains.origins[1], "<requirements>:4");
	assert_string_equal(q->denied_domains.items[0], "pastebin.com");
	assert_true(q->allowlist_expansion.set && q->allowlist_expansion.value);
	assert_false(q->managed_allowed_domains_only.set);
	assert_string_equal(q->file, "<requirements>");
	run_release(&r);
}

static void
test_req_runtime_change_is_checked(void **state)
{
	const struct requirements *q;
	struct errbuf err;
	struct run r;

	(void)state;
	run_load(&r, "", "allowed_sandbox_modes = [\"read-only\"]\n"
			 "[permissions.network]\nmode = \"limited\"\n"
			 "allow_local_binding = false\n");
	q = conf_requirements(r.c);
	errbuf_init(&err);
	assert_int_equal(requirements_check_change(
				 q, "permissions.network.mode", "limited", &err),
			 0);
	assert_int_equal(requirements_check_change(
				 q, "permissions.network.mode", "full", &err),
			 -1);
	assert_int_equal(requirements_check_change(
				 q, "permissions.network.allow_local_binding",
				 "true", &err),
			 -1);
	assert_int_equal(requirements_check_change(q, "sandbox_mode",
						   "workspace-write", &err),
			 -1);
	assert_int_equal(requirements_check_change(q, "web_search", "live",
						   &err),
			 0);
	assert_non_null(strstr(errbuf_str(&err),
			       "invalid value for permissions.network.mode: "
			       "full (allowed limited or more restrictive) "
			       "(<requirements>:3)"));
	errbuf_release(&err);
	run_release(&r);
}

static void
test_req_setup_table_pins_network_and_bounds_mode(void **state)
{
	const struct requirements *q;
	struct run r;

	(void)state;
	run_load(&r, "[setup]\nnetwork_access = true\nmode = \"full\"\n",
		 "[setup]\nnetwork_access = false\nmode = \"limited\"\n"
		 "allowed_domains = [\"pypi.org\"]\n");
	assert_non_null(r.c);
	assert_false(conf_bool(r.c, "setup.network_access"));
	assert_string_equal(conf_str(r.c, "setup.mode"), "limited");
	assert_non_null(strstr(errbuf_str(&r.warn), "`setup.mode`"));
	assert_non_null(strstr(errbuf_str(&r.warn), "`setup.network_access`"));
	q = conf_requirements(r.c);
	assert_string_equal(requirements_setup_allowlist(q)->items[0],
			    "pypi.org");
	run_release(&r);
}

/* Without a [setup] mode, the network's maximum bounds the setup phase
 * too; its default `full` falls back silently. */
static void
test_req_network_mode_bounds_setup_when_setup_says_nothing(void **state)
{
	const char *origin;
	struct run r;

	(void)state;
	run_load(&r, "", "[permissions.network]\nmode = \"limited\"\n");
	assert_string_equal(conf_str(r.c, "setup.mode"), "limited");
	assert_string_equal(errbuf_str(&r.warn), "");
	assert_string_equal(
		requirements_setup_mode(conf_requirements(r.c), &origin),
		"limited");
	assert_string_equal(origin, "<requirements>:2");
	run_release(&r);
}

static void
test_req_setup_unknown_key_is_an_error(void **state)
{
	struct run r;

	(void)state;
	run_load(&r, "", "[setup]\ncommands = [\"x\"]\n");
	assert_null(r.c);
	assert_non_null(strstr(errbuf_str(&r.err),
			       "setup.commands: unknown requirement"));
	run_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_req_disallowed_sandbox_mode_falls_back_with_warning),
		cmocka_unit_test(test_req_defaulted_value_falls_back_silently),
		cmocka_unit_test(
			test_req_sandbox_modes_without_read_only_is_an_error),
		cmocka_unit_test(test_req_empty_approval_policies_is_an_error),
		cmocka_unit_test(test_req_approval_falls_back_to_first_entry),
		cmocka_unit_test(test_req_web_search_disabled_is_always_allowed),
		cmocka_unit_test(
			test_req_web_search_falls_back_cached_then_live_then_disabled),
		cmocka_unit_test(test_req_mode_limited_forbids_full),
		cmocka_unit_test(test_req_false_pins_flag_false),
		cmocka_unit_test(test_req_enabled_pins_both_ways),
		cmocka_unit_test(test_req_workspace_roots_are_absolute_paths),
		cmocka_unit_test(test_req_unknown_key_is_an_error),
		cmocka_unit_test(
			test_req_domain_lists_are_exposed_with_item_origins),
		cmocka_unit_test(test_req_runtime_change_is_checked),
		cmocka_unit_test(
			test_req_setup_table_pins_network_and_bounds_mode),
		cmocka_unit_test(
			test_req_network_mode_bounds_setup_when_setup_says_nothing),
		cmocka_unit_test(test_req_setup_unknown_key_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
