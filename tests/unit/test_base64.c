/* test_base64.c — RFC 4648 decoding for the managed-preferences payloads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"

static char *
dec(const char *s, size_t *n)
{
	return base64_decode(s, strlen(s), n);
}

static void
test_base64_decodes_rfc4648_vectors(void **state)
{
	static const char *const in[] = {"", "Zg==", "Zm8=", "Zm9v",
					 "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const out[] = {"", "f", "fo", "foo",
					  "foob", "fooba", "foobar"};
	size_t i, n;
	char *p;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		p = dec(in[i], &n);
		assert_non_null(p);
		assert_int_equal(n, strlen(out[i]));
		assert_string_equal(p, out[i]);
		free(p);
	}
}

static void
test_base64_skips_whitespace_and_missing_padding(void **state)
{
	size_t n;
	char *p;

	(void)state;
	p = dec(" Zm9v\nYmE\r\n", &n);
	assert_non_null(p);
	assert_string_equal(p, "fooba");
	free(p);
}

static void
test_base64_refuses_bad_input(void **state)
{
	size_t n;

	(void)state;
	assert_null(dec("%%%", &n));
	assert_null(dec("Zg=a", &n));
	assert_null(dec("Z", &n));
	assert_null(dec("Zh==", &n)); /* non-zero padding bits */
	assert_null(dec("Zg===", &n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_decodes_rfc4648_vectors),
		cmocka_unit_test(
			test_base64_skips_whitespace_and_missing_padding),
		cmocka_unit_test(test_base64_refuses_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
