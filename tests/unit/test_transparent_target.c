/* test_transparent_target.c — what a redirected connection is judged as. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy/transparent_target.h"

static struct sockaddr_storage
v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
	return ss;
}

static const struct proxy_forward fw[] = {
	{8765, "localhost"},
	{8765, "::1"},
	{9000, "127.0.0.1"},
};

static struct transparent_target
target(const struct synth *m, struct sockaddr_storage ss)
{
	struct transparent_target t;

	assert_int_equal(transparent_target_of(m, fw, 3, &ss, &t), 0);
	return t;
}

static void
test_synthetic_address_is_judged_as_its_name(void **state)
{
	struct synth *m = synth_new();
	struct transparent_target t;

	(void)state;
	synth_assign(m, "a.test", 6);
	synth_assign(m, "origin.test", 11);
	t = target(m, v4("198.18.0.2", 443));
	assert_int_equal(t.kind, TT_NAME);
	assert_string_equal(t.host, "origin.test");
	assert_int_equal(t.port, 443);
	synth_free(m);
}

static void
test_synthetic_address_never_handed_out_is_refused(void **state)
{
	struct synth *m = synth_new();
	struct transparent_target t;

	(void)state;
	synth_assign(m, "a.test", 6);
	t = target(m, v4("198.18.0.9", 80));
	assert_int_equal(t.kind, TT_UNKNOWN_SYNTH);
	assert_string_equal(t.host, "198.18.0.9");
	t = target(m, v4("198.19.255.255", 80));
	assert_int_equal(t.kind, TT_UNKNOWN_SYNTH);
	t = target(m, v4("198.18.0.0", 80));
	assert_int_equal(t.kind, TT_UNKNOWN_SYNTH);
	/* Without a stub, no synthetic address stands for anything. */
	t = target(NULL, v4("198.18.0.1", 80));
	assert_int_equal(t.kind, TT_UNKNOWN_SYNTH);
	synth_free(m);
}

static void
test_mapped_synthetic_address_is_read_as_ipv4(void **state)
{
	struct synth *m = synth_new();
	struct transparent_target t;

	(void)state;
	synth_assign(m, "a.test", 6);
	t = target(m, v6("::ffff:198.18.0.1", 80));
	assert_int_equal(t.kind, TT_NAME);
	assert_string_equal(t.host, "a.test");
	synth_free(m);
}

static void
test_forwarded_port_is_judged_as_its_entry(void **state)
{
	struct transparent_target t;

	(void)state;
	/* IPv4 destination: no 127.0.0.1 entry for 8765, localhost next. */
	t = target(NULL, v4("127.0.0.1", 8765));
	assert_int_equal(t.kind, TT_FORWARD);
	assert_string_equal(t.host, "localhost");
	/* IPv6 destination: its own family's entry first. */
	t = target(NULL, v6("::1", 8765));
	assert_int_equal(t.kind, TT_FORWARD);
	assert_string_equal(t.host, "::1");
	/* Only an IPv4 entry: an IPv6 client still reaches it. */
	t = target(NULL, v6("::1", 9000));
	assert_int_equal(t.kind, TT_FORWARD);
	assert_string_equal(t.host, "127.0.0.1");
	/* Only 127.0.0.1 is forwarded: 127.0.0.53 stays the sandbox's. */
	t = target(NULL, v4("127.0.0.53", 9000));
	assert_int_equal(t.kind, TT_LOOPBACK);
}

static void
test_loopback_port_not_forwarded_is_refused(void **state)
{
	struct transparent_target t;

	(void)state;
	t = target(NULL, v4("127.0.0.1", 988));
	assert_int_equal(t.kind, TT_LOOPBACK);
	t = target(NULL, v6("::1", 22));
	assert_int_equal(t.kind, TT_LOOPBACK);
	t = target(NULL, v6("::ffff:127.0.0.1", 22));
	assert_int_equal(t.kind, TT_LOOPBACK);
}

static void
test_other_addresses_are_ip_literals(void **state)
{
	struct transparent_target t;

	(void)state;
	t = target(NULL, v4("10.1.2.3", 22));
	assert_int_equal(t.kind, TT_IP);
	assert_string_equal(t.host, "10.1.2.3");
	assert_int_equal(t.port, 22);
	t = target(NULL, v6("2001:db8::1", 443));
	assert_int_equal(t.kind, TT_IP);
	assert_string_equal(t.host, "[2001:db8::1]");
	t = target(NULL, v6("::ffff:8.8.8.8", 53));
	assert_int_equal(t.kind, TT_IP);
	assert_string_equal(t.host, "8.8.8.8");
}

static void
test_other_families_are_refused(void **state)
{
	struct sockaddr_storage ss;
	struct transparent_target t;

	(void)state;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(transparent_target_of(NULL, fw, 3, &ss, &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic_address_is_judged_as_its_name),
		cmocka_unit_test(
			test_synthetic_address_never_handed_out_is_refused),
		cmocka_unit_test(test_mapped_synthetic_address_is_read_as_ipv4),
		cmocka_unit_test(test_forwarded_port_is_judged_as_its_entry),
		cmocka_unit_test(test_loopback_port_not_forwarded_is_refused),
		cmocka_unit_test(test_other_addresses_are_ip_literals),
		cmocka_unit_test(test_other_families_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
