/* test_preset.c — allowlist presets (policy/preset.h) and their doc. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fdutil.h"
#include "policy/pattern.h"
#include "policy/preset.h"

static void
test_preset_names_parse_and_print(void **state)
{
	enum preset_id id;

	(void)state;
	assert_int_equal(preset_parse("none", &id), 0);
	assert_int_equal(id, PRESET_NONE);
	assert_int_equal(preset_parse("common-dependencies", &id), 0);
	assert_string_equal(preset_name(id), "common-dependencies");
	assert_int_equal(preset_parse("all", &id), 0);
	assert_string_equal(preset_name(id), "all");
	assert_int_equal(preset_parse("everything", &id), -1);
	assert_int_equal(preset_parse("None", &id), -1);
}

static void
test_preset_none_is_empty_and_all_is_global(void **state)
{
	const struct preset_entry *e;
	size_t n;

	(void)state;
	preset_entries(PRESET_NONE, &n);
	assert_int_equal(n, 0);
	e = preset_entries(PRESET_ALL, &n);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].pattern, "*");
}

static void
test_preset_common_dependencies_has_70_plus_valid_unique_hosts(void **state)
{
	const struct preset_entry *e;
	size_t n, i, j;
	char why[256];

	(void)state;
	e = preset_entries(PRESET_COMMON_DEPENDENCIES, &n);
	assert_true(n >= 70);
	for (i = 0; i < n; i++) {
		if (pattern_check(e[i].pattern, 0, why, sizeof(why)) != 0)
			fail_msg("preset entry %s: %s", e[i].pattern, why);
		assert_non_null(e[i].purpose);
		assert_true(strchr(e[i].pattern, '*') == NULL);
		for (j = 0; j < i; j++)
			if (strcmp(e[i].pattern, e[j].pattern) == 0)
				fail_msg("duplicate preset entry %s",
					 e[i].pattern);
	}
}

static void
test_preset_common_dependencies_covers_the_big_registries(void **state)
{
	static const char *const want[] = {
		"registry.npmjs.org", "pypi.org", "files.pythonhosted.org",
		"crates.io", "static.crates.io", "index.crates.io",
		"proxy.golang.org", "sum.golang.org", "rubygems.org",
		"repo1.maven.org", "repo.maven.apache.org", "api.nuget.org",
		"registry-1.docker.io", "auth.docker.io",
		"production.cloudflare.docker.com", "ghcr.io", "github.com",
		"codeload.github.com", "objects.githubusercontent.com",
		"raw.githubusercontent.com", "deb.debian.org", NULL};
	const struct preset_entry *e;
	size_t n, i, k;

	(void)state;
	e = preset_entries(PRESET_COMMON_DEPENDENCIES, &n);
	for (k = 0; want[k] != NULL; k++) {
		for (i = 0; i < n; i++)
			if (strcmp(e[i].pattern, want[k]) == 0)
				break;
		if (i == n)
			fail_msg("preset lacks %s", want[k]);
	}
}

/* doc/presets.md lists each entry as "- `pattern` — purpose", in table
 * order, and nothing else. */
static void
test_preset_doc_matches_the_table(void **state)
{
	const struct preset_entry *e;
	size_t n, len, i = 0;
	char *doc, *line, *nl;

	(void)state;
	doc = read_file_capped("doc/presets.md", 1 << 20, &len, NULL);
	if (doc == NULL)
		fail_msg("cannot read doc/presets.md (run from the repo root)");
	e = preset_entries(PRESET_COMMON_DEPENDENCIES, &n);
	for (line = doc; line != NULL; line = nl ? nl + 1 : NULL) {
		char want[512];

		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';

		if (strncmp(line, "- `", 3) != 0)
			continue;
		if (i >= n)
			fail_msg("doc has extra entry: %s", line);
		snprintf(want, sizeof(want), "- `%s` \xe2\x80\x94 %s",
			 e[i].pattern, e[i].purpose);
		if (strcmp(line, want) != 0)
			fail_msg("doc line \"%s\", table says \"%s\"", line,
				 want);
		i++;
	}
	assert_int_equal(i, n);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preset_names_parse_and_print),
		cmocka_unit_test(test_preset_none_is_empty_and_all_is_global),
		cmocka_unit_test(test_preset_common_dependencies_has_70_plus_valid_unique_hosts),
		cmocka_unit_test(test_preset_common_dependencies_covers_the_big_registries),
		cmocka_unit_test(test_preset_doc_matches_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
