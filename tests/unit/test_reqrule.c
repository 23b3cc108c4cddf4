/* test_reqrule.c — the request-rule matcher (policy/reqrule.h), as a
 * specification: rules are written as config TOML, requests as a method,
 * a request-target and headers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config/conf.h"
#include "config/conf_rules.h"
#include "policy/reqrule.h"

#define RULE(name, extra)                                                 \
	"[permissions.network.request_rules." name "]\n"                  \
	"host = \"api.example.com\"\nactions = [\"a\"]\n" extra "\n"
#define ACTION                                                            \
	"[permissions.network.request_actions.a]\n"                       \
	"strip_request_headers = [\"cookie\"]\n"

static struct conf *conf;
static struct reqrule_set *set;

/* Compiles the rules of toml (plus the action every rule uses). */
static void
compile(const char *toml)
{
	char text[8192];
	struct errbuf err;
	const struct conf_reqrule *r;
	size_t n;

	snprintf(text, sizeof(text), "%s%s", toml, ACTION);
	errbuf_init(&err);
	conf = conf_load_text(text, strlen(text), NULL, 0, NULL, &err);
	if (conf == NULL)
		fail_msg("%s", errbuf_str(&err));
	n = conf_request_rules(conf, &r);
	set = reqrule_set_new(r, n, &err);
	if (set == NULL)
		fail_msg("%s", errbuf_str(&err));
	errbuf_release(&err);
}

static int
teardown(void **state)
{
	(void)state;
	reqrule_set_free(set);
	conf_free(conf);
	set = NULL;
	conf = NULL;
	return 0;
}

/* The name of the rule a request matches, or "-". Headers are given as
 * "Name: value" strings, NULL-terminated. */
static const char *
match_h(const char *host, const char *method, const char *target,
	const char *const *hdrs)
{
	struct reqrule_hdr h[16];
	struct reqrule_request q;
	const struct reqrule *r;
	size_t n = 0;

	for (; hdrs != NULL && hdrs[n] != NULL; n++) {
		const char *colon = strchr(hdrs[n], ':');

		h[n].name = slice_of(hdrs[n], (size_t)(colon - hdrs[n]));
		h[n].value = slice_trim_ows(slice_cstr(colon + 1));
	}
	memset(&q, 0, sizeof(q));
	q.host = host;
	q.method = slice_cstr(method);
	q.target = slice_cstr(target);
	q.headers = h;
	q.nheaders = n;
	r = reqrule_match(set, &q);
	return r ? reqrule_name(r) : "-";
}

static const char *
match(const char *method, const char *target)
{
	return match_h("api.example.com", method, target, NULL);
}

#define PATHS(...) "methods = [\"GET\"]\npath_prefixes = [" __VA_ARGS__ "]"

/* --- host and method ---------------------------------------------------- */

static void
test_reqrule_host_is_exact(void **state)
{
	(void)state;
	compile(RULE("r", PATHS("\"/\"")));
	assert_true(reqrule_host_has_rules(set, "api.example.com"));
	assert_false(reqrule_host_has_rules(set, "x.api.example.com"));
	assert_false(reqrule_host_has_rules(set, "example.com"));
	assert_string_equal(match_h("x.api.example.com", "GET", "/", NULL),
			    "-");
	assert_string_equal(match("GET", "/"), "r");
}

static void
test_reqrule_config_host_is_normalised(void **state)
{
	(void)state;
	compile("[permissions.network.request_rules.r]\n"
		"host = \"API.Example.COM.\"\nactions = [\"a\"]\n"
		PATHS("\"/\"") "\n");
	assert_string_equal(reqrule_host(reqrule_at(set, 0)),
			    "api.example.com");
	assert_string_equal(match("GET", "/x"), "r");
}

static void
test_reqrule_method_must_be_listed_exactly(void **state)
{
	(void)state;
	compile(RULE("r", "methods = [\"get\", \"POST\"]\n"
			  "path_prefixes = [\"/\"]"));
	assert_string_equal(match("GET", "/"), "r");
	assert_string_equal(match("POST", "/"), "r");
	assert_string_equal(match("PUT", "/"), "-");
	/* methods are case-sensitive on the wire */
	assert_string_equal(match("post", "/"), "-");
}

/* --- paths ------------------------------------------------------------------ */

static void
test_reqrule_plain_prefix_is_a_byte_prefix(void **state)
{
	(void)state;
	compile(RULE("r", PATHS("\"/repos/acme/\"")));
	assert_string_equal(match("GET", "/repos/acme/"), "r");
	assert_string_equal(match("GET", "/repos/acme/x/y?z=1"), "r");
	assert_string_equal(match("GET", "/repos/acme"), "-");
	assert_string_equal(match("GET", "/repos/acmex/"), "-");
	assert_string_equal(match("GET", "/REPOS/acme/"), "-");
}

static void
test_reqrule_glob_bytes_are_literal_without_pattern(void **state)
{
	(void)state;
	compile(RULE("r", PATHS("\"/a*b\", \"literal:/c*d\"")));
	assert_string_equal(match("GET", "/a*b/x"), "r");
	assert_string_equal(match("GET", "/axb"), "-");
	assert_string_equal(match("GET", "/c*d"), "r");
	assert_string_equal(match("GET", "/cxd"), "-");
	assert_true(reqrule_path_match("literal:pattern:x",
				       slice_cstr("pattern:x")));
	assert_false(reqrule_path_match("literal:/a*", slice_cstr("/ab")));
}

static void
test_reqrule_pattern_star_does_not_cross_slash(void **state)
{
	(void)state;
	compile(RULE("r", PATHS("\"pattern:/repos/*/issues\"")));
	assert_string_equal(match("GET", "/repos/acme/issues"), "r");
	assert_string_equal(match("GET", "/repos/acme/issues/7"), "r");
	assert_string_equal(match("GET", "/repos//issues"), "r");
	assert_string_equal(match("GET", "/repos/a/b/issues"), "-");
	assert_string_equal(match("GET", "/repos/acme/pulls"), "-");
}

static void
test_reqrule_pattern_matches_a_prefix_of_the_path(void **state)
{
	(void)state;
	assert_true(reqrule_path_match("pattern:/a/*", slice_cstr("/a/b/c")));
	assert_true(reqrule_path_match("pattern:/a/b*", slice_cstr("/a/bc")));
	assert_true(reqrule_path_match("pattern:/a/*x", slice_cstr("/a/yyx/z")));
	assert_false(reqrule_path_match("pattern:/a/*x", slice_cstr("/a/y/x")));
	assert_true(reqrule_path_match("pattern:/*/*/c", slice_cstr("/a/b/cd")));
	assert_false(reqrule_path_match("pattern:/a/", slice_cstr("/a")));
	assert_true(reqrule_path_match("pattern:/a*b*c", slice_cstr("/abxbc")));
}

static void
test_reqrule_pattern_question_mark_and_bracket_are_literal(void **state)
{
	(void)state;
	assert_true(reqrule_path_match("pattern:/[a]/*", slice_cstr("/[a]/x")));
	assert_false(reqrule_path_match("pattern:/[a]/", slice_cstr("/a/")));
	assert_false(reqrule_path_match("pattern:/a?", slice_cstr("/ab")));
	assert_true(reqrule_value_match("pattern:v?", slice_cstr("v?")));
	assert_false(reqrule_value_match("pattern:v?", slice_cstr("vx")));
}

static void
test_reqrule_dot_segments_never_match(void **state)
{
	static const char *const bad[] = {
		"/repos/acme/../other",  "/repos/acme/..",
		"/repos/acme/./x",       "/repos/acme/%2e%2e/other",
		"/repos/acme/%2E%2e/x",  "/repos/acme/.%2e/x",
		"/repos/acme/..;/other", "/repos/acme/..%3b/x",
		"/repos/acme/.;x/y",     NULL};
	size_t i;

	(void)state;
	compile(RULE("r", PATHS("\"/repos/acme/\"")));
	for (i = 0; bad[i] != NULL; i++) {
		assert_false(reqrule_path_safe(slice_cstr(bad[i])));
		assert_string_equal(match("GET", bad[i]), "-");
	}
	/* dots inside a segment are fine */
	assert_string_equal(match("GET", "/repos/acme/a..b/.x/..."), "r");
}

static void
test_reqrule_encoded_separators_and_bad_bytes_never_match(void **state)
{
	static const char *const bad[] = {
		"/repos/acme%2fx",   "/repos/acme/%2F..", "/repos/acme/a%5cb",
		"/repos/acme/a\\b",  "/repos/acme/%00",   "/repos/acme/%252e",
		"/repos/acme/%zz",   "/repos/acme/%2",    "/repos/acme/a b",
		"/repos/acme/\x80",  "/repos/acme/#x",    "repos/acme/",
		"*",                 "",                  NULL};
	size_t i;

	(void)state;
	compile(RULE("r", PATHS("\"/repos/acme\"")));
	for (i = 0; bad[i] != NULL; i++)
		assert_string_equal(match("GET", bad[i]), "-");
	assert_string_equal(match("GET", "/repos/acme/%41b"), "r");
	/* a fragment is never part of a request-target */
	assert_string_equal(match("GET", "/repos/acme/x?a=1#f"), "-");
}

/* --- query -------------------------------------------------------------------- */

#define STATE_OPEN PATHS("\"/\"") "\nquery = { state = [\"open\"] }"

static void
test_reqrule_query_value_must_be_listed(void **state)
{
	(void)state;
	compile(RULE("r", STATE_OPEN));
	assert_string_equal(match("GET", "/i?state=open"), "r");
	assert_string_equal(match("GET", "/i?a=1&state=open&b"), "r");
	assert_string_equal(match("GET", "/i?state=closed"), "-");
	assert_string_equal(match("GET", "/i?state=OPEN"), "-");
	assert_string_equal(match("GET", "/i?state="), "-");
	assert_string_equal(match("GET", "/i?state"), "-");
}

static void
test_reqrule_query_parameter_is_required(void **state)
{
	(void)state;
	compile(RULE("r", STATE_OPEN));
	assert_string_equal(match("GET", "/i"), "-");
	assert_string_equal(match("GET", "/i?"), "-");
	assert_string_equal(match("GET", "/i?other=open"), "-");
}

static void
test_reqrule_query_empty_list_means_present(void **state)
{
	(void)state;
	compile(RULE("r", PATHS("\"/\"") "\nquery = { page = [] }"));
	assert_string_equal(match("GET", "/i?page=7"), "r");
	assert_string_equal(match("GET", "/i?page"), "r");
	assert_string_equal(match("GET", "/i?x=1"), "-");
}

static void
test_reqrule_query_every_occurrence_must_match(void **state)
{
	(void)state;
	compile(RULE("r", STATE_OPEN));
	assert_string_equal(match("GET", "/i?state=open&state=open"), "r");
	assert_string_equal(match("GET", "/i?state=open&state=closed"), "-");
	assert_string_equal(match("GET", "/i?state=closed&state=open"), "-");
}

static void
test_reqrule_query_names_are_decoded_case_folded_and_arrays(void **state)
{
	(void)state;
	compile(RULE("r", STATE_OPEN));
	assert_string_equal(match("GET", "/i?st%61te=open"), "r");
	assert_string_equal(match("GET", "/i?state=%6fpen"), "r");
	assert_string_equal(match("GET", "/i?st%61te=closed&state=open"), "-");
	assert_string_equal(match("GET", "/i?STATE=closed&state=open"), "-");
	assert_string_equal(match("GET", "/i?state[]=closed&state=open"), "-");
	assert_string_equal(match("GET", "/i?state%5B0%5D=x&state=open"), "-");
	/* other names that merely start with it are other parameters */
	assert_string_equal(match("GET", "/i?states=closed&state=open"), "r");
}

static void
test_reqrule_query_must_hold_with_semicolons_as_separators(void **state)
{
	(void)state;
	compile(RULE("r", STATE_OPEN));
	assert_string_equal(match("GET", "/i?x=1;state=closed&state=open"),
			    "-");
	assert_string_equal(match("GET", "/i?state=open;x=1"), "-");
	assert_string_equal(match("GET", "/i?x=1;y=2&state=open"), "r");
}

static void
test_reqrule_query_must_hold_with_plus_as_space_or_not(void **state)
{
	(void)state;
	compile(RULE("r", PATHS("\"/\"") "\nquery = { q = [\"a b\"] }")
		RULE("s", PATHS("\"/\"") "\nquery = { q = [\"a b\", \"a+b\"] }"));
	assert_string_equal(match("GET", "/i?q=a%20b"), "r");
	/* "a+b" is "a b" to one server and "a+b" to another */
	assert_string_equal(match("GET", "/i?q=a+b"), "s");
	assert_string_equal(match("GET", "/i?q=a%2Bb"), "s");
	assert_string_equal(match("GET", "/i?q=a%2Bb&q=a+c"), "-");
}

static void
test_reqrule_query_bad_escapes_match_nothing(void **state)
{
	(void)state;
	compile(RULE("r", STATE_OPEN));
	assert_string_equal(match("GET", "/i?state=open&x=%zz"), "-");
	assert_string_equal(match("GET", "/i?state=open&x=%0"), "-");
	assert_string_equal(match("GET", "/i?state=open%00"), "-");
}

static void
test_reqrule_query_value_patterns(void **state)
{
	(void)state;
	compile(RULE("r", PATHS("\"/\"") "\nquery = { v = [\"pattern:1.*\", "
			  "\"literal:pattern:x\"] }"));
	assert_string_equal(match("GET", "/?v=1.2.3"), "r");
	assert_string_equal(match("GET", "/?v=1.2/3"), "r");
	assert_string_equal(match("GET", "/?v=pattern:x"), "r");
	assert_string_equal(match("GET", "/?v=x"), "-");
	assert_string_equal(match("GET", "/?v=2.1"), "-");
}

/* --- headers ---------------------------------------------------------------- */

static void
test_reqrule_header_names_ignore_case_values_do_not(void **state)
{
	static const char *const ok[] = {"ACCEPT: application/json", NULL};
	static const char *const bad[] = {"accept: Application/JSON", NULL};

	(void)state;
	compile(RULE("r", PATHS("\"/\"") "\nheaders = { Accept = "
			  "[\"application/json\"] }"));
	assert_string_equal(match_h("api.example.com", "GET", "/", ok), "r");
	assert_string_equal(match_h("api.example.com", "GET", "/", bad), "-");
	assert_string_equal(match_h("api.example.com", "GET", "/", NULL), "-");
}

static void
test_reqrule_header_empty_list_means_present(void **state)
{
	static const char *const ok[] = {"x-api: ", NULL};
	static const char *const other[] = {"x-apis: 1", NULL};

	(void)state;
	compile(RULE("r", PATHS("\"/\"") "\nheaders = { x-api = [] }"));
	assert_string_equal(match_h("api.example.com", "GET", "/", ok), "r");
	assert_string_equal(match_h("api.example.com", "GET", "/", other),
			    "-");
}

static void
test_reqrule_header_every_occurrence_must_match(void **state)
{
	static const char *const two[] = {"accept: a/b", "Accept: c/d", NULL};
	static const char *const same[] = {"accept: a/b", "accept: a/c",
					   NULL};

	(void)state;
	compile(RULE("r", PATHS("\"/\"") "\nheaders = { accept = "
			  "[\"pattern:a/*\"] }"));
	assert_string_equal(match_h("api.example.com", "GET", "/", two), "-");
	assert_string_equal(match_h("api.example.com", "GET", "/", same), "r");
}

/* --- order and building --------------------------------------------------- */

static void
test_reqrule_first_matching_rule_in_config_order_wins(void **state)
{
	(void)state;
	compile(RULE("narrow", PATHS("\"/repos/acme/\""))
		RULE("broad", PATHS("\"/\""))
		RULE("late", PATHS("\"/repos/acme/\"")));
	assert_string_equal(match("GET", "/repos/acme/x"), "narrow");
	assert_string_equal(match("GET", "/other"), "broad");
	assert_int_equal(reqrule_count(set), 3);
}

static void
test_reqrule_rules_of_several_hosts_are_kept_apart(void **state)
{
	(void)state;
	compile("[permissions.network.request_rules.z]\nhost = \"z.example\"\n"
		"actions = [\"a\"]\n" PATHS("\"/z\"") "\n"
		"[permissions.network.request_rules.b]\nhost = \"b.example\"\n"
		"actions = [\"a\"]\n" PATHS("\"/b\"") "\n"
		"[permissions.network.request_rules.m]\nhost = \"m.example\"\n"
		"actions = [\"a\"]\n" PATHS("\"/m\"") "\n");
	assert_string_equal(match_h("z.example", "GET", "/z", NULL), "z");
	assert_string_equal(match_h("b.example", "GET", "/b", NULL), "b");
	assert_string_equal(match_h("m.example", "GET", "/m", NULL), "m");
	assert_string_equal(match_h("b.example", "GET", "/z", NULL), "-");
	assert_false(reqrule_host_has_rules(set, "a.example"));
}

static void
test_reqrule_bad_host_is_reported_with_its_line(void **state)
{
	static const char text[] =
		"[permissions.network.request_rules.r]\n"
		"methods = [\"GET\"]\npath_prefixes = [\"/\"]\n"
		"host = \"api.example.com:443\"\nactions = [\"a\"]\n" ACTION;
	const struct conf_reqrule *r;
	struct errbuf err;
	struct conf *c;

	(void)state;
	errbuf_init(&err);
	c = conf_load_text(text, strlen(text), NULL, 0, NULL, &err);
	assert_non_null(c);
	assert_int_equal(conf_request_rules(c, &r), 1);
	assert_null(reqrule_set_new(r, 1, &err));
	assert_non_null(strstr(errbuf_str(&err),
			       "<config>:4: permissions.network.request_rules"
			       ".r.host: \"api.example.com:443\" is not a "
			       "valid host"));
	errbuf_release(&err);
	conf_free(c);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reqrule_host_is_exact),
		T(test_reqrule_config_host_is_normalised),
		T(test_reqrule_method_must_be_listed_exactly),
		T(test_reqrule_plain_prefix_is_a_byte_prefix),
		T(test_reqrule_glob_bytes_are_literal_without_pattern),
		T(test_reqrule_pattern_star_does_not_cross_slash),
		T(test_reqrule_pattern_matches_a_prefix_of_the_path),
		T(test_reqrule_pattern_question_mark_and_bracket_are_literal),
		T(test_reqrule_dot_segments_never_match),
		T(test_reqrule_encoded_separators_and_bad_bytes_never_match),
		T(test_reqrule_query_value_must_be_listed),
		T(test_reqrule_query_parameter_is_required),
		T(test_reqrule_query_empty_list_means_present),
		T(test_reqrule_query_every_occurrence_must_match),
		T(test_reqrule_query_names_are_decoded_case_folded_and_arrays),
		T(test_reqrule_query_must_hold_with_semicolons_as_separators),
		T(test_reqrule_query_must_hold_with_plus_as_space_or_not),
		T(test_reqrule_query_bad_escapes_match_nothing),
		T(test_reqrule_query_value_patterns),
		T(test_reqrule_header_names_ignore_case_values_do_not),
		T(test_reqrule_header_empty_list_means_present),
		T(test_reqrule_header_every_occurrence_must_match),
		T(test_reqrule_first_matching_rule_in_config_order_wins),
		T(test_reqrule_rules_of_several_hosts_are_kept_apart),
		T(test_reqrule_bad_host_is_reported_with_its_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
