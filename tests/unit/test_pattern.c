/* test_pattern.c — pattern compile and match (policy/pattern.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pattern.h"

#define MAXP 16

/* Compiles the NULL-terminated list; fails the test on error. */
static struct pattern_set *
set_of(unsigned flags, const char *const *v)
{
	struct pattern_src src[MAXP];
	struct errbuf err;
	struct pattern_set *s;
	size_t n = 0;

	errbuf_init(&err);
	for (; v[n] != NULL; n++) {
		src[n].pattern = v[n];
		src[n].origin = "test";
	}
	s = pattern_set_new(src, n, flags, &err);
	if (s == NULL)
		fail_msg("compile failed: %s", errbuf_str(&err));
	errbuf_release(&err);
	return s;
}

/* The matching pattern's text for host on port, or NULL. */
static const char *
match(const struct pattern_set *s, const char *host, int port)
{
	static struct host h;
	struct pattern_probe p;
	struct pattern_match m;
	const char *why;

	if (host_normalize(host, strlen(host), 0, &h, &why) == -1)
		fail_msg("bad test host %s: %s", host, why);
	if (h.port != -1)
		port = h.port;
	pattern_probe_init(&p, &h);
	return pattern_set_match(s, &p, port, &m) ? m.text : NULL;
}

#define MATCHES(s, host) assert_non_null(match((s), (host), -1))
#define MISSES(s, host) assert_null(match((s), (host), -1))

/* Compiling v must fail and mention want. */
static void
refused(unsigned flags, const char *pat, const char *want)
{
	struct pattern_src src = {pat, "/x/config.toml:12: denied_domains[0]"};
	struct errbuf err;
	struct pattern_set *s;

	errbuf_init(&err);
	s = pattern_set_new(&src, 1, flags, &err);
	if (s != NULL)
		fail_msg("pattern \"%s\" should be refused", pat);
	if (strstr(errbuf_str(&err), "/x/config.toml:12: denied_domains[0]: ") !=
	    errbuf_str(&err))
		fail_msg("message lacks origin: %s", errbuf_str(&err));
	if (want != NULL && strstr(errbuf_str(&err), want) == NULL)
		fail_msg("message for \"%s\" lacks \"%s\": %s", pat, want,
			 errbuf_str(&err));
	errbuf_release(&err);
}

static void
test_pattern_exact_matches_only_that_host_in_any_spelling(void **state)
{
	static const char *const v[] = {"Example.COM.", NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	MATCHES(s, "example.com");
	MATCHES(s, "EXAMPLE.COM");
	MATCHES(s, "example.com.");
	MATCHES(s, "example.com:443");
	MISSES(s, "api.example.com");
	MISSES(s, "not-example.com");
	assert_string_equal(match(s, "example.com", 80), "Example.COM.");
	pattern_set_free(s);
}

static void
test_pattern_star_does_not_match_apex(void **state)
{
	static const char *const v[] = {"*.Example.COM.", NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	MATCHES(s, "api.example.com");
	MATCHES(s, "a.b.example.com");
	MISSES(s, "example.com");
	MISSES(s, "evilexample.com");
	MISSES(s, "foo-example.com");
	MISSES(s, "example.com.evil.net");
	pattern_set_free(s);
}

static void
test_pattern_double_star_matches_apex_and_subdomains_only(void **state)
{
	static const char *const v[] = {"**.openai.com", NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	MATCHES(s, "openai.com");
	MATCHES(s, "api.openai.com");
	MATCHES(s, "x.y.openai.com");
	MISSES(s, "evilopenai.com");
	MISSES(s, "openai.com.evil.net");
	pattern_set_free(s);
}

static void
test_pattern_mid_label_star_stays_inside_its_label(void **state)
{
	static const char *const v[] = {"region*.v2.argotunnel.com", NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	MATCHES(s, "region1.v2.argotunnel.com");
	MATCHES(s, "region.v2.argotunnel.com");
	MISSES(s, "xregion1.v2.argotunnel.com");
	MISSES(s, "foo.region1.v2.argotunnel.com");
	MISSES(s, "region1.x.v2.argotunnel.com");
	MISSES(s, "v2.argotunnel.com");
	pattern_set_free(s);
}

static void
test_pattern_mid_label_with_fixed_prefix_labels_and_many_stars(void **state)
{
	static const char *const v[] = {"a.b*c*d.example.com", NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	MATCHES(s, "a.bcd.example.com");
	MATCHES(s, "a.bxxcyyd.example.com");
	MISSES(s, "b.bcd.example.com");
	MISSES(s, "bcd.example.com");
	MISSES(s, "x.a.bcd.example.com");
	MISSES(s, "a.bxd.example.com");
	pattern_set_free(s);
}

static void
test_pattern_global_star_needs_the_flag_and_matches_everything(void **state)
{
	static const char *const v[] = {"*", NULL};
	struct pattern_set *s = set_of(PATTERN_ALLOW_GLOBAL, v);

	(void)state;
	MATCHES(s, "example.com");
	MATCHES(s, "api.openai.com");
	MATCHES(s, "localhost");
	MATCHES(s, "10.0.0.1");
	pattern_set_free(s);
	refused(0, "*", "unsupported global wildcard domain pattern \"*\"; use "
			"exact hosts or scoped wildcards like *.example.com "
			"or **.example.com");
	refused(0, "**", "unsupported global wildcard");
}

static void
test_pattern_refuses_wildcards_that_match_too_much(void **state)
{
	(void)state;
	refused(PATTERN_ALLOW_GLOBAL, "*.*", "every host");
	refused(PATTERN_ALLOW_GLOBAL, "**.*", "every host");
	refused(0, "*.com", "two fixed labels");
	refused(0, "**.com", "two fixed labels");
	refused(0, "foo*.com", "two fixed labels");
	refused(0, "example.c*", "two fixed labels");
	refused(0, "*.*.example.com", "one label");
	refused(0, "a*.b*.example.com", "one label");
	refused(0, "*.10.0.0.1", "CIDR");
	refused(0, "*.0.0.1", "CIDR");
}

static void
test_pattern_refuses_glob_syntax_and_malformed_hosts(void **state)
{
	(void)state;
	refused(0, "[", NULL);
	refused(0, "ex?mple.com", "glob");
	refused(0, "{a,b}.example.com", "glob");
	refused(0, "ex\\ample.com", "glob");
	refused(0, "a[bc].example.com", "glob");
	refused(0, "a..b", "empty label");
	refused(0, "", "empty");
	refused(0, "   ", "empty");
	refused(0, "b\xc3\xbc" "cher.de", "punycode");
	refused(0, "[*]", NULL);
}

static void
test_pattern_refuses_bad_ports_and_malformed_cidr(void **state)
{
	(void)state;
	refused(0, "example.com:0", "port");
	refused(0, "example.com:65536", "port");
	refused(0, "example.com:https", "port");
	refused(0, "10.0.0.0/33", "CIDR");
	refused(0, "10.0.0.1/8", "host bits");
	refused(0, "example.com/8", "CIDR");
	refused(0, "*.10.0.0.0/8", "CIDR");
}

static void
test_pattern_reports_every_bad_pattern(void **state)
{
	struct pattern_src src[] = {
		{"ok.example.com", "f:1: a[0]"},
		{"*.com", "f:2: a[1]"},
		{"good.example.org", "f:3: a[2]"},
		{"a..b", "f:4: a[3]"},
	};
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	assert_null(pattern_set_new(src, 4, 0, &err));
	assert_int_equal(err.count, 2);
	assert_non_null(strstr(errbuf_str(&err),
			       "f:2: a[1]: invalid domain pattern \"*.com\""));
	assert_non_null(strstr(errbuf_str(&err), "f:4: a[3]: "));
	errbuf_release(&err);
}

static void
test_pattern_duplicates_behave_as_one(void **state)
{
	static const char *const v[] = {"ExAmPle.CoM", "example.com",
					"example.com.", "*.a.com.",
					"*.A.com", NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	assert_int_equal(pattern_set_count(s), 2);
	assert_string_equal(match(s, "EXAMPLE.COM", -1), "ExAmPle.CoM");
	pattern_set_free(s);
}

static void
test_pattern_ip_literals_and_scoped_ipv6(void **state)
{
	static const char *const v[] = {"[::1]", "[fe80::1%25lo0]",
					"127.0.0.1", NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	MATCHES(s, "::1");
	MATCHES(s, "[::1]:443");
	MATCHES(s, "fe80::1%lo0");
	MISSES(s, "fe80::1%lo1");
	MISSES(s, "fe80::1");
	/* Legacy spellings of 127.0.0.1 hit the entry. */
	MATCHES(s, "2130706433");
	MATCHES(s, "0x7f.1");
	MATCHES(s, "127.1");
	MATCHES(s, "0177.0.0.1");
	MATCHES(s, "0x7f000001");
	MATCHES(s, "::ffff:127.0.0.1");
	pattern_set_free(s);
}

static void
test_pattern_unscoped_ip_matches_scoped_host(void **state)
{
	static const char *const v[] = {"fd00::1", NULL};
	static const char *const w[] = {"fd00::1%eth0", NULL};
	struct pattern_set *s = set_of(0, v), *t = set_of(0, w);

	(void)state;
	MATCHES(s, "fd00::1%eth0");
	MATCHES(s, "[fd00::1%eth0]");
	MATCHES(s, "[fd00::1%25eth0]");
	MATCHES(t, "fd00::1%eth0");
	MISSES(t, "fd00::1%eth1");
	MISSES(t, "fd00::1");
	pattern_set_free(s);
	pattern_set_free(t);
}

static void
test_pattern_port_scoped_entries_match_that_port_only(void **state)
{
	static const char *const v[] = {"example.com:8443", "[::1]:8443",
					"*.example.org:8443",
					"**.example.net:22",
					"r*.example.io:9000", NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	assert_non_null(match(s, "example.com", 8443));
	assert_null(match(s, "example.com", 443));
	assert_null(match(s, "example.com", -1));
	assert_non_null(match(s, "::1", 8443));
	assert_null(match(s, "::1", 443));
	assert_non_null(match(s, "a.example.org", 8443));
	assert_null(match(s, "a.example.org", 443));
	assert_null(match(s, "example.org", 8443));
	assert_non_null(match(s, "example.net", 22));
	assert_non_null(match(s, "x.example.net:22", -1));
	assert_null(match(s, "example.net", 23));
	assert_non_null(match(s, "r1.example.io", 9000));
	assert_null(match(s, "r1.example.io", 9001));
	pattern_set_free(s);
}

static void
test_pattern_cidr_matches_ip_literals_and_resolved_addresses(void **state)
{
	static const char *const v[] = {"10.0.0.0/8", "fd00::/8",
					"192.168.1.0/24:8080", NULL};
	struct pattern_set *s = set_of(0, v);
	struct pattern_match m;
	struct ipaddr ip;

	(void)state;
	MATCHES(s, "10.1.2.3");
	MATCHES(s, "10.1");
	MATCHES(s, "fd12::1");
	MATCHES(s, "fd12::1%eth0");
	MISSES(s, "11.0.0.1");
	MISSES(s, "10.example.com");
	assert_non_null(match(s, "192.168.1.7", 8080));
	assert_null(match(s, "192.168.1.7", 80));
	ipaddr_parse("10.9.9.9", 8, &ip);
	assert_true(pattern_set_match_addr(s, &ip, 443, &m));
	assert_string_equal(m.text, "10.0.0.0/8");
	assert_int_equal(m.kind, PATTERN_CIDR);
	ipaddr_parse("::ffff:10.9.9.9", 15, &ip);
	assert_true(pattern_set_match_addr(s, &ip, 443, &m));
	ipaddr_parse("8.8.8.8", 7, &ip);
	assert_false(pattern_set_match_addr(s, &ip, 443, &m));
	pattern_set_free(s);
}

static void
test_pattern_longest_cidr_and_exact_win(void **state)
{
	static const char *const v[] = {"10.0.0.0/8", "10.1.0.0/16",
					"10.1.2.3", "*", NULL};
	struct pattern_set *s = set_of(PATTERN_ALLOW_GLOBAL, v);

	(void)state;
	assert_string_equal(match(s, "10.1.2.3", -1), "10.1.2.3");
	assert_string_equal(match(s, "10.1.2.4", -1), "10.1.0.0/16");
	assert_string_equal(match(s, "10.2.2.4", -1), "10.0.0.0/8");
	assert_string_equal(match(s, "8.8.8.8", -1), "*");
	pattern_set_free(s);
}

static void
test_pattern_addr_match_ignores_name_and_global_entries(void **state)
{
	static const char *const v[] = {"*", "**.example.com", NULL};
	struct pattern_set *s = set_of(PATTERN_ALLOW_GLOBAL, v);
	struct pattern_match m;
	struct ipaddr ip;

	(void)state;
	ipaddr_parse("127.0.0.1", 9, &ip);
	assert_false(pattern_set_match_addr(s, &ip, 80, &m));
	pattern_set_free(s);
}

static void
test_pattern_covers_follows_managed_list_rules(void **state)
{
	(void)state;
	assert_true(pattern_covers("example.com", "Example.COM."));
	assert_false(pattern_covers("example.com", "api.example.com"));
	assert_false(pattern_covers("example.com", "evil.com"));
	assert_true(pattern_covers("*.example.com", "api.example.com"));
	assert_false(pattern_covers("*.example.com", "example.com"));
	assert_true(pattern_covers("*.example.com", "*.example.com"));
	assert_true(pattern_covers("*.example.com", "*.a.example.com"));
	assert_false(pattern_covers("*.example.com", "**.example.com"));
	assert_true(pattern_covers("*.example.com", "**.a.example.com"));
	assert_true(pattern_covers("*.example.com", "r*.example.com"));
	assert_true(pattern_covers("**.example.com", "example.com"));
	assert_true(pattern_covers("**.example.com", "**.example.com"));
	assert_true(pattern_covers("**.example.com", "*.b.example.com"));
	assert_false(pattern_covers("**.example.com", "evilexample.com"));
	assert_true(pattern_covers("r*.example.com", "r1.example.com"));
	assert_false(pattern_covers("r*.example.com", "x.r1.example.com"));
	assert_true(pattern_covers("r*.example.com", "r*.example.com"));
	assert_false(pattern_covers("r*.example.com", "*.example.com"));
}

static void
test_pattern_port_any_matches_port_scoped_and_unscoped_entries(void **state)
{
	static const char *const v[] = {"example.com:8443", "*.example.org:8443",
					"**.example.net:22",
					"r*.example.io:9000", "plain.test",
					NULL};
	struct pattern_set *s = set_of(0, v);

	(void)state;
	assert_string_equal(match(s, "example.com", PATTERN_PORT_ANY),
			    "example.com:8443");
	assert_non_null(match(s, "a.example.org", PATTERN_PORT_ANY));
	assert_null(match(s, "example.org", PATTERN_PORT_ANY));
	assert_non_null(match(s, "example.net", PATTERN_PORT_ANY));
	assert_non_null(match(s, "r1.example.io", PATTERN_PORT_ANY));
	assert_null(match(s, "x1.example.io", PATTERN_PORT_ANY));
	assert_non_null(match(s, "plain.test", PATTERN_PORT_ANY));
	assert_null(match(s, "other.test", PATTERN_PORT_ANY));
	pattern_set_free(s);
}

static void
test_pattern_covers_ports_cidrs_and_globals(void **state)
{
	(void)state;
	assert_true(pattern_covers("example.com", "example.com:8443"));
	assert_false(pattern_covers("example.com:8443", "example.com"));
	assert_true(pattern_covers("example.com:8443", "example.com:8443"));
	assert_false(pattern_covers("example.com:8443", "example.com:443"));
	assert_true(pattern_covers("10.0.0.0/8", "10.1.0.0/16"));
	assert_true(pattern_covers("10.0.0.0/8", "10.1.2.3"));
	assert_false(pattern_covers("10.0.0.0/16", "10.0.0.0/8"));
	assert_false(pattern_covers("10.0.0.0/8", "example.com"));
	assert_true(pattern_covers("fe80::1", "fe80::1%25lo0"));
	assert_false(pattern_covers("fe80::1%lo0", "fe80::1"));
	assert_false(pattern_covers("*", "example.com"));
	assert_false(pattern_covers("**.example.com", "*"));
	assert_false(pattern_covers("example.com", "a..b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_exact_matches_only_that_host_in_any_spelling),
		cmocka_unit_test(test_pattern_star_does_not_match_apex),
		cmocka_unit_test(test_pattern_double_star_matches_apex_and_subdomains_only),
		cmocka_unit_test(test_pattern_mid_label_star_stays_inside_its_label),
		cmocka_unit_test(test_pattern_mid_label_with_fixed_prefix_labels_and_many_stars),
		cmocka_unit_test(test_pattern_global_star_needs_the_flag_and_matches_everything),
		cmocka_unit_test(test_pattern_refuses_wildcards_that_match_too_much),
		cmocka_unit_test(test_pattern_refuses_glob_syntax_and_malformed_hosts),
		cmocka_unit_test(test_pattern_refuses_bad_ports_and_malformed_cidr),
		cmocka_unit_test(test_pattern_reports_every_bad_pattern),
		cmocka_unit_test(test_pattern_duplicates_behave_as_one),
		cmocka_unit_test(test_pattern_ip_literals_and_scoped_ipv6),
		cmocka_unit_test(test_pattern_unscoped_ip_matches_scoped_host),
		cmocka_unit_test(test_pattern_port_scoped_entries_match_that_port_only),
		cmocka_unit_test(test_pattern_cidr_matches_ip_literals_and_resolved_addresses),
		cmocka_unit_test(test_pattern_longest_cidr_and_exact_win),
		cmocka_unit_test(test_pattern_addr_match_ignores_name_and_global_entries),
		cmocka_unit_test(test_pattern_covers_follows_managed_list_rules),
		cmocka_unit_test(test_pattern_port_any_matches_port_scoped_and_unscoped_entries),
		cmocka_unit_test(test_pattern_covers_ports_cidrs_and_globals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
