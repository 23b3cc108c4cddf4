/* test_synth.c — the name ↔ synthetic address map. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "net/synth.h"

static uint32_t
assign(struct synth *m, const char *name)
{
	return synth_assign(m, name, strlen(name));
}

static void
test_first_name_gets_198_18_0_1(void **state)
{
	struct synth *m = synth_new();

	(void)state;
	assert_int_equal(assign(m, "a.test"), 0xc6120001u);
	assert_int_equal(assign(m, "b.test"), 0xc6120002u);
	assert_int_equal(synth_count(m), 2);
	synth_free(m);
}

static void
test_same_name_keeps_its_address(void **state)
{
	struct synth *m = synth_new();
	uint32_t a = assign(m, "pypi.org");

	(void)state;
	assign(m, "files.pythonhosted.org");
	assert_int_equal(assign(m, "pypi.org"), a);
	assert_int_equal(synth_find(m, "pypi.org", 8), a);
	assert_int_equal(synth_count(m), 2);
	synth_free(m);
}

static void
test_address_maps_back_to_its_name(void **state)
{
	struct synth *m = synth_new();
	uint32_t a = assign(m, "github.com");

	(void)state;
	assert_string_equal(synth_name(m, a), "github.com");
	assert_null(synth_name(m, a + 1));         /* not handed out */
	assert_null(synth_name(m, 0xc6120000u));   /* the network itself */
	assert_null(synth_name(m, 0x7f000001u));   /* outside the range */
	synth_free(m);
}

static void
test_find_does_not_assign(void **state)
{
	struct synth *m = synth_new();

	(void)state;
	assert_int_equal(synth_find(m, "x.test", 6), 0);
	assert_int_equal(synth_count(m), 0);
	synth_free(m);
}

static void
test_empty_and_overlong_names_get_nothing(void **state)
{
	struct synth *m = synth_new();
	char big[300];

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_int_equal(synth_assign(m, "", 0), 0);
	assert_int_equal(synth_assign(m, big, 254), 0);
	assert_int_not_equal(synth_assign(m, big, 253), 0);
	synth_free(m);
}

static void
test_names_are_compared_by_length_too(void **state)
{
	struct synth *m = synth_new();
	uint32_t a = synth_assign(m, "ab", 1), b = synth_assign(m, "ab", 2);

	(void)state;
	assert_int_not_equal(a, b);
	assert_string_equal(synth_name(m, a), "a");
	assert_string_equal(synth_name(m, b), "ab");
	synth_free(m);
}

static void
test_range_check(void **state)
{
	(void)state;
	assert_true(synth_in_range(0xc6120000u));  /* 198.18.0.0 */
	assert_true(synth_in_range(0xc613ffffu));  /* 198.19.255.255 */
	assert_false(synth_in_range(0xc6140000u)); /* 198.20.0.0 */
	assert_false(synth_in_range(0xc611ffffu)); /* 198.17.255.255 */
}

/* Filling the map to its bound: every name distinct and stable, every
 * address inside the range and mapping back; one more is refused and
 * old names still answer. */
static void
test_full_map_refuses_new_names_and_keeps_old_ones(void **state)
{
	struct synth *m = synth_new();
	char name[32];
	uint32_t i, a;

	(void)state;
	for (i = 0; i < SYNTH_MAX; i++) {
		int n = snprintf(name, sizeof(name), "h%u.test", (unsigned)i);

		a = synth_assign(m, name, (size_t)n);
		assert_int_equal(a, 0xc6120001u + i);
		assert_true(synth_in_range(a));
	}
	assert_int_equal(synth_count(m), SYNTH_MAX);
	assert_int_equal(assign(m, "one-more.test"), 0);
	assert_int_equal(assign(m, "h0.test"), 0xc6120001u);
	assert_int_equal(assign(m, "h65535.test"), 0xc6120000u + SYNTH_MAX);
	assert_string_equal(synth_name(m, 0xc6120000u + 1234 + 1), "h1234.test");
	synth_free(m);
}

static void
test_two_maps_are_independent(void **state)
{
	struct synth *m1 = synth_new(), *m2 = synth_new();

	(void)state;
	assign(m1, "a.test");
	assert_int_equal(assign(m2, "b.test"), 0xc6120001u);
	assert_null(synth_name(m2, 0xc6120002u));
	synth_free(m1);
	synth_free(m2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_name_gets_198_18_0_1),
		cmocka_unit_test(test_same_name_keeps_its_address),
		cmocka_unit_test(test_address_maps_back_to_its_name),
		cmocka_unit_test(test_find_does_not_assign),
		cmocka_unit_test(test_empty_and_overlong_names_get_nothing),
		cmocka_unit_test(test_names_are_compared_by_length_too),
		cmocka_unit_test(test_range_check),
		cmocka_unit_test(test_full_map_refuses_new_names_and_keeps_old_ones),
		cmocka_unit_test(test_two_maps_are_independent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
