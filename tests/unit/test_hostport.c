/* test_hostport.c — the one authority parser behind listener URLs,
 * upstream proxy URLs and the app-server's --listen URL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "lib/hostport.h"

static const char *
parse(const char *s, unsigned flags, struct hostport *hp)
{
	return hostport_parse(s, strlen(s), flags, hp);
}

static void
assert_slice(struct slice s, const char *expect)
{
	assert_int_equal(s.n, strlen(expect));
	assert_memory_equal(s.p, expect, s.n);
}

static void
test_hostport_splits_names_v4_and_bracketed_v6(void **state)
{
	struct hostport hp;

	(void)state;
	assert_null(parse("127.0.0.1:8080", 0, &hp));
	assert_slice(hp.host, "127.0.0.1");
	assert_int_equal(hp.port, 8080);
	assert_false(hp.bracketed);
	assert_null(parse("[::1]:0", 0, &hp));
	assert_slice(hp.host, "::1");
	assert_int_equal(hp.port, 0);
	assert_true(hp.bracketed);
	assert_null(parse("proxy.corp", 0, &hp));
	assert_int_equal(hp.port, -1);
	assert_null(parse("u:p@proxy.corp:3128", HOSTPORT_USERINFO, &hp));
	assert_slice(hp.userinfo, "u:p");
	assert_slice(hp.host, "proxy.corp");
	assert_int_equal(hp.port, 3128);
	assert_null(parse("a@b@h:1", HOSTPORT_USERINFO, &hp));
	assert_slice(hp.userinfo, "a@b");
	assert_null(parse("h:1/", HOSTPORT_SLASH, &hp));
	assert_int_equal(hp.port, 1);
}

static void
test_hostport_refusals_say_why(void **state)
{
	struct hostport hp;

	(void)state;
	assert_string_equal(parse("h:1/", 0, &hp), "unexpected path");
	assert_string_equal(parse("h:1/x", HOSTPORT_SLASH, &hp),
			    "unexpected path");
	assert_string_equal(parse("h:1?", HOSTPORT_SLASH, &hp),
			    "unexpected path");
	assert_string_equal(parse("u@h:1", 0, &hp), "user info is not allowed");
	assert_string_equal(parse("[::1:80", 0, &hp), "unterminated [");
	assert_string_equal(parse("[::1]80", 0, &hp), "junk after ]");
	assert_string_equal(parse(":80", 0, &hp), "missing host");
	assert_string_equal(parse("[]:80", 0, &hp), "missing host");
	assert_string_equal(parse("", 0, &hp), "missing host");
	assert_string_equal(parse("h", HOSTPORT_PORT_REQUIRED, &hp),
			    "missing port");
	assert_string_equal(parse("h:", 0, &hp), "empty port");
	assert_string_equal(parse("h:65536", 0, &hp), "port must be 0..65535");
	assert_string_equal(parse("h:+1", 0, &hp), "port must be 0..65535");
	assert_string_equal(parse("h: 1", 0, &hp), "port must be 0..65535");
	assert_string_equal(parse("h:000001", 0, &hp),
			    "port must be 0..65535");
	/* An unbracketed IPv6 literal is not an authority. */
	assert_string_equal(parse("::1:80", 0, &hp), "missing host");
	assert_string_equal(parse("a:443:25", 0, &hp),
			    "port must be 0..65535");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport_splits_names_v4_and_bracketed_v6),
		cmocka_unit_test(test_hostport_refusals_say_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
