/* test_toml.c — the TOML reader: locations, limits, error messages,
 * lookups and integer edges. Conformance as a whole is toml-test's job
 * (tests/toml/run_toml_test.py). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "lib/errbuf.h"
#include "lib/xalloc.h"

static struct toml_value *
parse_ok(const char *text)
{
	struct errbuf err;
	struct toml_value *v;

	errbuf_init(&err);
	v = toml_parse(text, strlen(text), &err);
	if (v == NULL)
		fail_msg("unexpected error: %s", errbuf_str(&err));
	errbuf_release(&err);
	return v;
}

/* Parses n bytes expecting failure; returns the message (caller frees). */
static char *
parse_err_n(const char *text, size_t n)
{
	struct errbuf err;
	struct toml_value *v;
	char *msg;

	errbuf_init(&err);
	v = toml_parse(text, n, &err);
	assert_null(v);
	assert_int_equal(err.count, 1);
	msg = xstrdup(errbuf_first(&err));
	errbuf_release(&err);
	return msg;
}

static void
expect_error(const char *text, const char *want)
{
	char *msg = parse_err_n(text, strlen(text));

	assert_string_equal(msg, want);
	free(msg);
}

/* --- locations ------------------------------------------------------- */

static void
test_empty_document_is_an_empty_root_table_at_1_1(void **state)
{
	struct toml_value *v = parse_ok("");

	(void)state;
	assert_int_equal(v->type, TOML_TABLE);
	assert_int_equal(v->u.tab.n, 0);
	assert_int_equal(v->line, 1);
	assert_int_equal(v->col, 1);
	toml_free(v);
}

static void
test_values_and_keys_keep_line_and_column(void **state)
{
	struct toml_value *v = parse_ok("# c\n\n  alpha =   42\nb=[1,\n  \"x\"]\n");
	const struct toml_kv *kv = toml_get_kv(v, "alpha");
	const struct toml_value *b;

	(void)state;
	assert_non_null(kv);
	assert_int_equal(kv->line, 3);
	assert_int_equal(kv->col, 3);
	assert_int_equal(kv->val->line, 3);
	assert_int_equal(kv->val->col, 13);
	b = toml_get(v, "b");
	assert_int_equal(b->line, 4);
	assert_int_equal(b->col, 3);
	assert_int_equal(b->u.arr.items[1]->line, 5);
	assert_int_equal(b->u.arr.items[1]->col, 3);
	toml_free(v);
}

static void
test_columns_count_characters_not_bytes(void **state)
{
	struct toml_value *v = parse_ok("\"\xc3\xa9\xe2\x82\xac\" = 1\n");
	const struct toml_kv *kv = toml_get_kv(v, "\xc3\xa9\xe2\x82\xac");

	(void)state;
	assert_non_null(kv);
	assert_int_equal(kv->val->col, 8);
	toml_free(v);
}

static void
test_crlf_lines_are_counted_once(void **state)
{
	struct toml_value *v = parse_ok("a = 1\r\n\r\nb = 2\r\n");

	(void)state;
	assert_int_equal(toml_get(v, "b")->line, 3);
	assert_int_equal(toml_get(v, "b")->col, 5);
	toml_free(v);
}

static void
test_table_location_is_its_header(void **state)
{
	struct toml_value *v = parse_ok("x = 1\n\n[a.b]\nc = 1\n[[t]]\n[[t]]\n");
	const struct toml_value *a = toml_get(v, "a");
	const struct toml_value *t = toml_get(v, "t");

	(void)state;
	assert_int_equal(toml_get(a, "b")->line, 3);
	assert_int_equal(toml_get(a, "b")->col, 1);
	assert_int_equal(t->u.arr.n, 2);
	assert_int_equal(t->u.arr.items[1]->line, 6);
	toml_free(v);
}

static void
test_error_location_after_multiline_string(void **state)
{
	(void)state;
	expect_error("s = \"\"\"\none\ntwo\"\"\" x\n",
		"3:8: expected end of line but found 'x'");
}

/* --- limits ----------------------------------------------------------- */

static void
test_input_over_max_bytes_is_refused(void **state)
{
	size_t n = TOML_MAX_BYTES + 1;
	char *text = xmalloc(n);
	char *msg;

	(void)state;
	memset(text, '\n', n);
	msg = parse_err_n(text, n);
	assert_non_null(strstr(msg, "larger than"));
	free(msg);
	free(text);
}

static void
test_input_of_exactly_max_bytes_is_accepted(void **state)
{
	size_t n = TOML_MAX_BYTES;
	char *text = xmalloc(n);
	struct toml_value *v;

	(void)state;
	memset(text, ' ', n);
	memcpy(text, "a = 1\n#", 7);
	v = toml_parse(text, n, NULL);
	assert_non_null(v);
	toml_free(v);
	free(text);
}

static void
test_nul_byte_is_refused_with_location(void **state)
{
	char *msg = parse_err_n("a = 1\nb = \"x\0\"\n", 14);

	(void)state;
	assert_string_equal(msg, "2:7: nul byte in input");
	free(msg);
}

static void
test_overlong_utf8_is_refused(void **state)
{
	(void)state;
	expect_error("a = \"\xc0\xaf\"", "1:6: invalid utf-8 byte 0xc0");
}

static void
test_utf8_surrogate_is_refused(void **state)
{
	(void)state;
	expect_error("# ok\n# \xed\xa0\x80", "2:3: invalid utf-8 byte 0xed");
}

static void
test_utf8_past_u10ffff_is_refused(void **state)
{
	(void)state;
	expect_error("a = '\xf4\x90\x80\x80'", "1:6: invalid utf-8 byte 0xf4");
}

static void
test_truncated_utf8_at_end_is_refused(void **state)
{
	(void)state;
	expect_error("a = 1 # \xe2\x82", "1:9: invalid utf-8 byte 0xe2");
}

static char *
repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t hn = strlen(head), un = strlen(unit), tn = strlen(tail), i;
	char *s = xmalloc(hn + un * times + tn + 1), *p = s;

	memcpy(p, head, hn);
	p += hn;
	for (i = 0; i < times; i++, p += un)
		memcpy(p, unit, un);
	memcpy(p, tail, tn + 1);
	return s;
}

static void
expect_too_deep(char *text)
{
	char *msg = parse_err_n(text, strlen(text));

	assert_non_null(strstr(msg, "deeper than 128"));
	free(msg);
	free(text);
}

static void
test_arrays_nested_128_deep_are_accepted(void **state)
{
	char *open = repeat("a = ", "[", TOML_MAX_DEPTH, "");
	char *text = repeat(open, "]", TOML_MAX_DEPTH, "\n");
	struct toml_value *v = parse_ok(text);

	(void)state;
	toml_free(v);
	free(open);
	free(text);
}

static void
test_arrays_nested_129_deep_are_refused(void **state)
{
	(void)state;
	expect_too_deep(repeat("a = ", "[", TOML_MAX_DEPTH + 1, "1"));
}

static void
test_deep_bracket_flood_fails_cleanly(void **state)
{
	(void)state;
	expect_too_deep(repeat("a = ", "[", 200000, ""));
}

static void
test_deep_inline_tables_fail_cleanly(void **state)
{
	(void)state;
	expect_too_deep(repeat("", "a={", 100000, ""));
}

static void
test_long_dotted_key_fails_cleanly(void **state)
{
	char *msg;
	char *text = repeat("", "a.", 5000, "a = 1");

	(void)state;
	msg = parse_err_n(text, strlen(text));
	assert_non_null(strstr(msg, "more than 128 parts"));
	free(msg);
	free(text);
}

static void
test_dotted_key_into_deep_tables_is_refused(void **state)
{
	char *hdr = repeat("[", "a.", TOML_MAX_DEPTH - 1, "a]\n");
	char *text = repeat(hdr, "", 0, "b.c = 1\n");

	(void)state;
	expect_too_deep(text);
	free(hdr);
}

static void
test_table_header_bracket_flood_fails_cleanly(void **state)
{
	char *msg;
	char *text = repeat("", "[", 100000, "");

	(void)state;
	msg = parse_err_n(text, strlen(text));
	assert_non_null(strstr(msg, "1:3: expected a key"));
	free(msg);
	free(text);
}

/* --- error messages ----------------------------------------------------- */

static void
test_duplicate_key_is_reported_at_the_second_key(void **state)
{
	(void)state;
	expect_error("[t]\na = 1\n  a = 2\n", "3:3: duplicate key \"a\"");
}

static void
test_invalid_escape_is_named(void **state)
{
	(void)state;
	expect_error("a = \"x\\q\"", "1:7: invalid escape \\q in string");
}

static void
test_table_defined_twice(void **state)
{
	(void)state;
	expect_error("[a]\n[b]\n[ a ]\n", "3:1: table [a] defined twice");
}

static void
test_inline_table_cannot_be_extended(void **state)
{
	(void)state;
	expect_error("a = {b = 1}\na.c = 2\n",
		"2:1: cannot extend inline table \"a\"");
}

static void
test_dotted_keys_cannot_add_to_header_table(void **state)
{
	(void)state;
	expect_error("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
		"4:3: cannot add to table \"c\" with dotted keys: it was "
		"defined elsewhere");
}

static void
test_header_cannot_define_dotted_table(void **state)
{
	(void)state;
	expect_error("[f]\napple.taste.sweet = true\n[f.apple.taste]\n",
		"3:1: table [f.apple.taste] already defined by dotted keys");
}

static void
test_static_array_cannot_be_appended(void **state)
{
	(void)state;
	expect_error("a = []\n[[a]]\n",
		"2:1: cannot append to static array \"a\"");
}

static void
test_control_character_in_comment_is_refused(void **state)
{
	(void)state;
	expect_error("# a\x7f", "1:4: control character U+007F in comment");
}

static void
test_surrogate_escape_is_refused(void **state)
{
	(void)state;
	expect_error("a = \"\\uDFFF\"", "1:6: invalid unicode escape \\uDFFF: "
		"not a unicode scalar value");
}

static void
test_bad_date_is_refused(void **state)
{
	(void)state;
	expect_error("d = 2021-02-29", "1:5: invalid date-time '2021-02-29'");
}

static void
test_leading_zero_is_refused(void **state)
{
	(void)state;
	expect_error("n = 012", "1:5: leading zero not allowed in '012'");
}

/* --- values and lookups -------------------------------------------------- */

static void
test_int64_max_is_accepted(void **state)
{
	struct toml_value *v = parse_ok("a = 9223372036854775807");

	(void)state;
	assert_true(toml_get(v, "a")->u.i == INT64_MAX);
	toml_free(v);
}

static void
test_int64_max_plus_one_is_refused(void **state)
{
	(void)state;
	expect_error("a = 9223372036854775808",
		"1:5: integer out of range (64-bit)");
}

static void
test_int64_min_is_accepted(void **state)
{
	struct toml_value *v = parse_ok("a = -9223372036854775808\n"
		"b = 0x7fff_ffff_ffff_ffff");

	(void)state;
	assert_true(toml_get(v, "a")->u.i == INT64_MIN);
	assert_true(toml_get(v, "b")->u.i == INT64_MAX);
	toml_free(v);
}

static void
test_int64_min_minus_one_and_big_hex_are_refused(void **state)
{
	(void)state;
	expect_error("a = -9223372036854775809",
		"1:5: integer out of range (64-bit)");
	expect_error("a = 0x8000000000000000",
		"1:5: integer out of range (64-bit)");
}

static void
test_get_finds_nested_values_and_types(void **state)
{
	struct toml_value *v = parse_ok("[net]\nallow = [\"a.com\"]\n"
		"mode = 'on'\nport = 8080\nratio = 0.5\nok = true\n");
	const struct toml_value *net = toml_get(v, "net");

	(void)state;
	assert_int_equal(net->type, TOML_TABLE);
	assert_string_equal(toml_get(net, "mode")->u.str.s, "on");
	assert_int_equal(toml_get(net, "port")->u.i, 8080);
	assert_true(toml_get(net, "ratio")->u.f == 0.5);
	assert_true(toml_get(net, "ok")->u.b);
	assert_string_equal(toml_type_name(toml_get(net, "allow")->type),
		"array");
	assert_null(toml_get(net, "missing"));
	assert_null(toml_get(toml_get(net, "port"), "x"));
	assert_null(toml_get(NULL, "x"));
	assert_null(toml_get_kv(net, "missing"));
	toml_free(v);
}

static void
test_tables_keep_document_order(void **state)
{
	struct toml_value *v = parse_ok("z = 1\na = 2\nm.x = 3\n");

	(void)state;
	assert_string_equal(v->u.tab.items[0].key, "z");
	assert_string_equal(v->u.tab.items[1].key, "a");
	assert_string_equal(v->u.tab.items[2].key, "m");
	toml_free(v);
}

static void
test_string_with_nul_escape_keeps_its_length(void **state)
{
	struct toml_value *v = parse_ok("a = \"x\\u0000y\"");
	const struct toml_value *a = toml_get(v, "a");

	(void)state;
	assert_int_equal(a->u.str.len, 3);
	assert_memory_equal(a->u.str.s, "x\0y", 4);
	toml_free(v);
}

static void
test_datetimes_are_normalised(void **state)
{
	struct toml_value *v = parse_ok("a = 1979-05-27 07:32:00.25z\n"
		"b = 1979-05-27t07:32:00\nc = 1979-05-27\nd = 07:32:00\n");

	(void)state;
	assert_int_equal(toml_get(v, "a")->type, TOML_DATETIME);
	assert_string_equal(toml_get(v, "a")->u.str.s,
		"1979-05-27T07:32:00.25Z");
	assert_int_equal(toml_get(v, "b")->type, TOML_DATETIME_LOCAL);
	assert_string_equal(toml_get(v, "b")->u.str.s, "1979-05-27T07:32:00");
	assert_int_equal(toml_get(v, "c")->type, TOML_DATE_LOCAL);
	assert_int_equal(toml_get(v, "d")->type, TOML_TIME_LOCAL);
	toml_free(v);
}

static void
test_big_table_parses_and_looks_up_every_key(void **state)
{
	enum { N = 50000 };
	char *text = xmalloc((size_t)N * 24), *p = text, key[32];
	struct toml_value *v;
	int i;

	(void)state;
	for (i = 0; i < N; i++)
		p += snprintf(p, 24, "k%d = %d\n", i, i);
	v = parse_ok(text);
	assert_int_equal(v->u.tab.n, N);
	for (i = 0; i < N; i += 7) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(toml_get(v, key)->u.i, i);
	}
	toml_free(v);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_document_is_an_empty_root_table_at_1_1),
		cmocka_unit_test(test_values_and_keys_keep_line_and_column),
		cmocka_unit_test(test_columns_count_characters_not_bytes),
		cmocka_unit_test(test_crlf_lines_are_counted_once),
		cmocka_unit_test(test_table_location_is_its_header),
		cmocka_unit_test(test_error_location_after_multiline_string),
		cmocka_unit_test(test_input_over_max_bytes_is_refused),
		cmocka_unit_test(test_input_of_exactly_max_bytes_is_accepted),
		cmocka_unit_test(test_nul_byte_is_refused_with_location),
		cmocka_unit_test(test_overlong_utf8_is_refused),
		cmocka_unit_test(test_utf8_surrogate_is_refused),
		cmocka_unit_test(test_utf8_past_u10ffff_is_refused),
		cmocka_unit_test(test_truncated_utf8_at_end_is_refused),
		cmocka_unit_test(test_arrays_nested_128_deep_are_accepted),
		cmocka_unit_test(test_arrays_nested_129_deep_are_refused),
		cmocka_unit_test(test_deep_bracket_flood_fails_cleanly),
		cmocka_unit_test(test_deep_inline_tables_fail_cleanly),
		cmocka_unit_test(test_long_dotted_key_fails_cleanly),
		cmocka_unit_test(test_dotted_key_into_deep_tables_is_refused),
		cmocka_unit_test(test_table_header_bracket_flood_fails_cleanly),
		cmocka_unit_test(test_duplicate_key_is_reported_at_the_second_key),
		cmocka_unit_test(test_invalid_escape_is_named),
		cmocka_unit_test(test_table_defined_twice),
		cmocka_unit_test(test_inline_table_cannot_be_extended),
		cmocka_unit_test(test_dotted_keys_cannot_add_to_header_table),
		cmocka_unit_test(test_header_cannot_define_dotted_table),
		cmocka_unit_test(test_static_array_cannot_be_appended),
		cmocka_unit_test(test_control_character_in_comment_is_refused),
		cmocka_unit_test(test_surrogate_escape_is_refused),
		cmocka_unit_test(test_bad_date_is_refused),
		cmocka_unit_test(test_leading_zero_is_refused),
		cmocka_unit_test(test_int64_max_is_accepted),
		cmocka_unit_test(test_int64_max_plus_one_is_refused),
		cmocka_unit_test(test_int64_min_is_accepted),
		cmocka_unit_test(test_int64_min_minus_one_and_big_hex_are_refused),
		cmocka_unit_test(test_get_finds_nested_values_and_types),
		cmocka_unit_test(test_tables_keep_document_order),
		cmocka_unit_test(test_string_with_nul_escape_keeps_its_length),
		cmocka_unit_test(test_datetimes_are_normalised),
		cmocka_unit_test(test_big_table_parses_and_looks_up_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
