/* test_http_parse.c — the small pure HTTP parsers: Content-Length values,
 * comma lists, and the first look at chunked framing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "net/http_parse.h"

static int
cl(const char *s, uint64_t *v)
{
	return http_parse_content_length(slice_cstr(s), v);
}

static void
test_http_parse_content_length_is_digits_only(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(cl("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cl("1073741824", &v), 0);
	assert_int_equal(v, 1073741824ull);
	assert_int_equal(cl("999999999999999999", &v), 0);
	assert_int_equal(cl("1000000000000000000", &v), -1); /* 19 digits */
	assert_int_equal(cl("", &v), -1);
	assert_int_equal(cl("+1", &v), -1);
	assert_int_equal(cl("1 ", &v), -1);
	assert_int_equal(cl("1,1", &v), -1);
	assert_int_equal(cl("0x10", &v), -1);
}

/* The list's elements joined by '|'. */
static void
assert_list(const char *v, const char *expect)
{
	struct http_list it;
	struct slice item;
	char out[128];
	size_t n = 0, k = 0;

	http_list_init(&it, slice_cstr(v));
	while (http_list_next(&it, &item)) {
		if (k++ > 0)
			out[n++] = '|';
		memcpy(out + n, item.p, item.n);
		n += item.n;
	}
	out[n] = '\0';
	assert_string_equal(out, expect);
}

static void
test_http_parse_list_elements_without_ows(void **state)
{
	(void)state;
	assert_list("", "");
	assert_list("a", "a");
	assert_list(" a , b,c\t", "a|b|c");
	assert_list("a,,b", "a||b");
	assert_list("a,", "a|");
	assert_list(",", "|");
}

static bool
prefix_ok(const char *s)
{
	return http_parse_chunked_prefix_ok(s, strlen(s));
}

static void
test_http_parse_chunked_prefix_accepts_well_framed_and_cut_bodies(void **state)
{
	const char *whole = "5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nT: x\r\n\r\n";
	size_t i;

	(void)state;
	for (i = 0; i <= strlen(whole); i++)
		assert_true(http_parse_chunked_prefix_ok(whole, i));
	assert_true(prefix_ok("A\r\n0123456789\r\n"));
	assert_true(prefix_ok("fffffffffffffff\r\n"));
}

static void
test_http_parse_chunked_prefix_refuses_broken_framing(void **state)
{
	(void)state;
	assert_false(prefix_ok("x\r\n"));		/* no size */
	assert_false(prefix_ok("5\nhello"));		/* bare LF */
	assert_false(prefix_ok("5\rhello"));		/* CR without LF */
	assert_false(prefix_ok("1\r\nab\r\n"));		/* data too long */
	assert_false(prefix_ok("1\r\na\rX"));		/* no LF after data */
	assert_false(prefix_ok("1000000000000000\r\n")); /* 16 digits */
	/* A request smuggled behind a chunk of the wrong size. */
	assert_false(prefix_ok("3\r\nabcdef\r\n0\r\n\r\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_parse_content_length_is_digits_only),
		cmocka_unit_test(test_http_parse_list_elements_without_ows),
		cmocka_unit_test(test_http_parse_chunked_prefix_accepts_well_framed_and_cut_bodies),
		cmocka_unit_test(test_http_parse_chunked_prefix_refuses_broken_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
