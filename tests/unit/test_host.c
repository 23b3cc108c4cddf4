/* test_host.c — host normalization (policy/host.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "policy/host.h"

static const char *
norm(const char *s, unsigned flags, struct host *h)
{
	const char *why = NULL;

	if (host_normalize(s, strlen(s), flags, h, &why) == -1)
		return NULL;
	return h->text;
}

static void
expect_norm(const char *in, const char *out)
{
	struct host h;
	const char *got = norm(in, 0, &h);

	if (got == NULL || strcmp(got, out) != 0)
		fail_msg("normalize(\"%s\") = %s, want %s", in,
			 got ? got : "(error)", out);
}

static void
expect_refused(const char *in, const char *why_part)
{
	struct host h;
	const char *why = NULL;

	if (host_normalize(in, strlen(in), 0, &h, &why) != -1)
		fail_msg("normalize(\"%s\") = %s, want an error", in, h.text);
	if (why_part != NULL && strstr(why, why_part) == NULL)
		fail_msg("normalize(\"%s\"): \"%s\" lacks \"%s\"", in, why,
			 why_part);
}

static void
test_host_trims_lowercases_and_strips_trailing_dots(void **state)
{
	(void)state;
	expect_norm("  ExAmPlE.CoM  ", "example.com");
	expect_norm("example.com...", "example.com");
	expect_norm("LOCALHOST.", "localhost");
}

static void
test_host_strips_port_and_reports_it(void **state)
{
	struct host h;

	(void)state;
	assert_string_equal(norm("example.com:443", 0, &h), "example.com");
	assert_int_equal(h.port, 443);
	assert_string_equal(norm("example.com.:8443", 0, &h), "example.com");
	assert_int_equal(h.port, 8443);
	assert_string_equal(norm("[::1]:443", 0, &h), "::1");
	assert_int_equal(h.port, 443);
	assert_int_equal(h.kind, HOST_IPV6);
	assert_string_equal(norm("example.com", 0, &h), "example.com");
	assert_int_equal(h.port, -1);
}

static void
test_host_refuses_bad_ports(void **state)
{
	(void)state;
	expect_refused("example.com:0", "port");
	expect_refused("example.com:65536", "port");
	expect_refused("example.com:http", "port");
	expect_refused("example.com:", "port");
	expect_refused("[::1]:", "port");
}

static void
test_host_port_trick_does_not_yield_the_suffix_host(void **state)
{
	(void)state;
	/* evil.com:443.allowed.com must not become allowed.com. */
	expect_refused("evil.com:443.allowed.com", "port");
}

static void
test_host_keeps_ipv6_scope_and_decodes_percent25(void **state)
{
	struct host h;

	(void)state;
	assert_string_equal(norm("fe80::1%25lo0", 0, &h), "fe80::1%lo0");
	assert_int_equal(h.unscoped_len, strlen("fe80::1"));
	expect_norm("fe80::1%lo0", "fe80::1%lo0");
	expect_norm("[FE80::1%25LO0]", "fe80::1%lo0");
	expect_norm("[fe80::1%25lo0]:443", "fe80::1%lo0");
	expect_refused("example.com%lo0", "scope");
	expect_refused("fe80::1%", "scope");
	expect_refused("fe80::1%2525lo0", "ambiguous");
	expect_norm("fe80::1%2525", "fe80::1%25");
	expect_norm("fe80::1%25", "fe80::1%25");
}

static void
test_host_canonicalizes_ipv6_text(void **state)
{
	(void)state;
	expect_norm("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	expect_norm("0:0:0:0:0:0:0:1", "::1");
	expect_norm("[::ffff:127.0.0.1]", "127.0.0.1");
	expect_norm("::ffff:7f00:1", "127.0.0.1");
	expect_refused("2001:db8::g", "IPv6");
	expect_refused("[example.com]", "brackets");
}

static void
test_host_rewrites_legacy_ipv4_to_dotted_quads(void **state)
{
	(void)state;
	expect_norm("2130706433", "127.0.0.1");
	expect_norm("0x7f.1", "127.0.0.1");
	expect_norm("127.1", "127.0.0.1");
	expect_norm("0177.0.0.1", "127.0.0.1");
	expect_norm("0x7f000001", "127.0.0.1");
	expect_norm("0X7F000001", "127.0.0.1");
	expect_norm("127.0.0.1.", "127.0.0.1");
	expect_norm("10.1", "10.0.0.1");
}

static void
test_host_refuses_numeric_names_that_are_not_ipv4(void **state)
{
	(void)state;
	expect_refused("1.2.3.4.5", "number");
	expect_refused("999.1.1.1", "number");
	expect_refused("example.123", "number");
	expect_norm("123.example", "123.example");
	expect_norm("1e100.net", "1e100.net");
}

static void
test_host_refuses_non_ascii_with_punycode_hint(void **state)
{
	(void)state;
	expect_refused("b\xc3\xbc" "cher.example", "punycode");
	expect_refused("\xd0\xb0pple.com", "punycode");
}

static void
test_host_refuses_empty_labels_and_bad_characters(void **state)
{
	(void)state;
	expect_refused("a..b", "empty label");
	expect_refused(".example.com", "empty label");
	expect_refused("exa mple.com", "character");
	expect_refused("example.com/path", "character");
	expect_refused("*.example.com", "character");
	expect_refused("ex\"ample.com", "character");
}

static void
test_host_enforces_length_limits(void **state)
{
	char label[70], name[300];

	(void)state;
	memset(label, 'a', 64);
	label[64] = '\0';
	expect_refused(label, "63");
	memset(name, 'a', sizeof(name));
	for (size_t i = 50; i < sizeof(name); i += 50)
		name[i] = '.';
	name[sizeof(name) - 1] = '\0';
	expect_refused(name, "253");
}

static void
test_host_empty_input_normalizes_to_empty(void **state)
{
	struct host h;

	(void)state;
	assert_non_null(norm("   ", 0, &h));
	assert_int_equal(h.len, 0);
	assert_non_null(norm("...", 0, &h));
	assert_int_equal(h.len, 0);
}

static void
test_host_wildcard_flag_allows_star_in_labels(void **state)
{
	struct host h;

	(void)state;
	assert_string_equal(norm("Region*.Example.com", HOST_WILDCARD, &h),
			    "region*.example.com");
	assert_true(h.wildcard);
}

static void
test_host_localhost_is_recognized_after_normalization(void **state)
{
	struct host h;

	(void)state;
	assert_true(host_is_localhost((norm("LocalHost.", 0, &h), &h)));
	assert_false(host_is_localhost((norm("notlocalhost", 0, &h), &h)));
	assert_false(host_is_localhost((norm("foo.localhost", 0, &h), &h)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_trims_lowercases_and_strips_trailing_dots),
		cmocka_unit_test(test_host_strips_port_and_reports_it),
		cmocka_unit_test(test_host_refuses_bad_ports),
		cmocka_unit_test(test_host_port_trick_does_not_yield_the_suffix_host),
		cmocka_unit_test(test_host_keeps_ipv6_scope_and_decodes_percent25),
		cmocka_unit_test(test_host_canonicalizes_ipv6_text),
		cmocka_unit_test(test_host_rewrites_legacy_ipv4_to_dotted_quads),
		cmocka_unit_test(test_host_refuses_numeric_names_that_are_not_ipv4),
		cmocka_unit_test(test_host_refuses_non_ascii_with_punycode_hint),
		cmocka_unit_test(test_host_refuses_empty_labels_and_bad_characters),
		cmocka_unit_test(test_host_enforces_length_limits),
		cmocka_unit_test(test_host_empty_input_normalizes_to_empty),
		cmocka_unit_test(test_host_wildcard_flag_allows_star_in_labels),
		cmocka_unit_test(test_host_localhost_is_recognized_after_normalization),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
