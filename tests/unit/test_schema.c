/* test_schema.c — the config key table and what is derived from it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config/schema.h"
#include "lib/buf.h"

static void
test_schema_has_every_design_key(void **state)
{
	static const char *const want[] = {
		"sandbox_mode", "approval_policy", "web_search",
		"sandbox_workspace_write.network_access",
		"sandbox_workspace_write.writable_roots",
		"sandbox_workspace_write.exclude_tmpdir_env_var",
		"sandbox_workspace_write.exclude_slash_tmp",
		"permissions.network.enabled", "permissions.network.mode",
		"permissions.network.proxy_url", "permissions.network.admin_url",
		"permissions.network.preset",
		"permissions.network.allowed_domains",
		"permissions.network.denied_domains",
		"permissions.network.enable_socks5",
		"permissions.network.socks_url",
		"permissions.network.enable_socks5_udp",
		"permissions.network.allow_upstream_proxy",
		"permissions.network.allow_local_binding",
		"permissions.network.dangerously_allow_non_loopback_proxy",
		"permissions.network.dangerously_allow_non_loopback_admin",
		"permissions.network.dangerously_allow_all_unix_sockets",
		"permissions.network.audit_log",
		"permissions.network.admin_token_file",
		"permissions.network.extra_ca_certificates", "network.proxy",
		"network.no_proxy", NULL};
	size_t i;

	(void)state;
	for (i = 0; want[i] != NULL; i++)
		assert_non_null(schema_find(want[i]));
	assert_null(schema_find("permissions.network.allowed_domain"));
}

/* The lookup finds every row of the table, as its own row, and nothing
 * that only looks like a key (a prefix, a table, a longer name). */
static void
test_schema_find_returns_each_row_itself(void **state)
{
	const struct schema_key *k;
	char longer[256];
	size_t i, n;

	(void)state;
	k = schema_keys(&n);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(schema_find(k[i].key), &k[i]);
		assert_int_equal(schema_index(schema_find(k[i].key)), i);
		snprintf(longer, sizeof(longer), "%s.x", k[i].key);
		assert_null(schema_find(longer));
	}
	assert_null(schema_find(""));
	assert_null(schema_find("permissions.network"));
	assert_null(schema_find("permissions.network."));
	assert_null(schema_find("Sandbox_mode"));
}

static void
test_schema_defaults_follow_design(void **state)
{
	(void)state;
	assert_string_equal(schema_find("sandbox_mode")->def,
			    "workspace-write");
	assert_string_equal(schema_find("approval_policy")->def, "on-request");
	assert_string_equal(schema_find("web_search")->def, "cached");
	assert_string_equal(schema_find("permissions.network.mode")->def,
			    "limited");
	assert_string_equal(schema_find("permissions.network.enabled")->def,
			    "true");
	assert_string_equal(schema_find("permissions.network.proxy_url")->def,
			    "http://127.0.0.1:43128");
	assert_null(schema_find("permissions.network.allowed_domains")->def);
}

static void
test_schema_suggests_nearest_key(void **state)
{
	(void)state;
	assert_string_equal(schema_suggest("permissions.network.allowed_domain"),
			    "permissions.network.allowed_domains");
	assert_string_equal(schema_suggest("sandbox_mod"), "sandbox_mode");
	assert_string_equal(schema_suggest("web_serch"), "web_search");
}

static void
test_schema_suggests_nothing_for_unrelated_key(void **state)
{
	(void)state;
	assert_null(schema_suggest("completely.unrelated.thing.here"));
	assert_null(schema_suggest("zz"));
}

static void
test_schema_knows_its_tables(void **state)
{
	(void)state;
	assert_true(schema_is_table("permissions"));
	assert_true(schema_is_table("permissions.network"));
	assert_true(schema_is_table("sandbox_workspace_write"));
	assert_true(schema_is_table("network"));
	assert_false(schema_is_table("sandbox_mode"));
	assert_false(schema_is_table("perm"));
}

static void
test_schema_markdown_lists_every_key_and_requirement(void **state)
{
	const struct schema_key *keys;
	struct buf b;
	size_t i, n;

	(void)state;
	buf_init(&b, 1 << 20);
	schema_markdown(&b);
	keys = schema_keys(&n);
	for (i = 0; i < n; i++)
		if (strchr(keys[i].key, '*') == NULL)
			assert_non_null(strstr(b.p, keys[i].key));
	assert_non_null(strstr(b.p, "allowed_sandbox_modes"));
	assert_non_null(strstr(b.p, "managed_preferences.toml"));
	assert_non_null(strstr(b.p, "trust_level"));
	buf_release(&b);
}

static void
test_schema_markdown_lists_every_request_rule_key(void **state)
{
	const struct schema_subkey *k;
	struct buf b;
	size_t i, n;

	(void)state;
	buf_init(&b, 1 << 20);
	schema_markdown(&b);
	k = schema_rule_keys(&n);
	for (i = 0; i < n; i++)
		assert_non_null(strstr(b.p, k[i].key));
	assert_non_null(strstr(b.p, "request_rules_managed_only"));
	assert_string_equal(schema_suggest("permissions.network.request_rule"),
			    "permissions.network.request_rules");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_has_every_design_key),
		cmocka_unit_test(
			test_schema_markdown_lists_every_request_rule_key),
		cmocka_unit_test(test_schema_defaults_follow_design),
		cmocka_unit_test(test_schema_find_returns_each_row_itself),
		cmocka_unit_test(test_schema_suggests_nearest_key),
		cmocka_unit_test(test_schema_suggests_nothing_for_unrelated_key),
		cmocka_unit_test(test_schema_knows_its_tables),
		cmocka_unit_test(
			test_schema_markdown_lists_every_key_and_requirement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
