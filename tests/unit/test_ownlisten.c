/* test_ownlisten.c — the registry of airlock's own listeners, with real
 * abstract AF_UNIX names in this process's network namespace.
 *
 * Registrations need no TCP listener behind them, so each test picks port
 * numbers from its pid: another process (a parallel run of this test, a
 * real airlock) holding the same name would make ownlisten_add fail
 * loudly rather than pass by chance. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "net/ownlisten.h"

static struct sockaddr_storage
addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &v6->sin6_addr), 1);
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
	}
	return ss;
}

/* A port of our own: 20000..59999, from the pid and a per-test offset. */
static uint16_t
port_for(unsigned k)
{
	return (uint16_t)(20000 + ((unsigned)getpid() * 7 + k) % 40000);
}

static int
reg(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = addr(ip, port);
	struct errbuf err;
	int fd;

	errbuf_init(&err);
	fd = ownlisten_add(&ss, &err);
	if (fd == -1)
		fail_msg("%s", errbuf_str(&err));
	errbuf_release(&err);
	return fd;
}

static bool
find(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = addr(ip, 1);

	return ownlisten_find(&ss, port);
}

static void
test_ownlisten_name_is_abstract_and_unmaps_ipv4(void **state)
{
	struct sockaddr_storage a = addr("::ffff:127.0.0.1", 0);
	struct sockaddr_storage b = addr("::1", 0);
	char name[OWNLISTEN_NAME_MAX];
	size_t n;

	(void)state;
	n = ownlisten_name(&a, 8080, name);
	assert_int_equal(name[0], '\0');
	assert_int_equal(n, 1 + strlen("airlock-listener:tcp:127.0.0.1:8080"));
	assert_memory_equal(name + 1, "airlock-listener:tcp:127.0.0.1:8080",
			    n - 1);
	n = ownlisten_name(&b, 443, name);
	assert_memory_equal(name + 1, "airlock-listener:tcp:[::1]:443", n - 1);
}

static void
test_ownlisten_exact_listener_is_found_only_on_its_port(void **state)
{
	uint16_t p = port_for(1);
	int fd = reg("127.0.0.1", p);

	(void)state;
	assert_true(find("127.0.0.1", p));
	assert_true(find("::ffff:127.0.0.1", p));
	assert_true(find("0.0.0.0", p)); /* the kernel connects it to lo */
	assert_false(find("127.0.0.1", (uint16_t)(p + 1)));
	assert_false(find("127.0.0.2", p));
	assert_false(find("::1", p));
	ownlisten_remove(fd);
	assert_false(find("127.0.0.1", p));
}

static void
test_ownlisten_ipv4_wildcard_covers_every_local_ipv4_address(void **state)
{
	uint16_t p = port_for(2);
	int fd = reg("0.0.0.0", p);

	(void)state;
	assert_true(find("127.0.0.1", p));
	assert_true(find("127.9.8.7", p));
	assert_true(find("0.0.0.0", p));
	/* TEST-NET-2 is nobody's address here: not local. */
	assert_false(find("198.51.100.7", p));
	assert_false(find("::1", p)); /* a v4 socket is not on ::1 */
	ownlisten_remove(fd);
}

static void
test_ownlisten_ipv6_wildcard_is_dual_stack(void **state)
{
	uint16_t p = port_for(3);
	int fd = reg("::", p);

	(void)state;
	assert_true(find("::1", p));
	assert_true(find("::", p));
	assert_true(find("127.0.0.1", p));
	assert_true(find("::ffff:127.0.0.1", p));
	assert_false(find("2001:db8::7", p));
	ownlisten_remove(fd);
}

static void
test_ownlisten_a_taken_name_refuses_registration(void **state)
{
	uint16_t p = port_for(4);
	struct sockaddr_storage ss = addr("127.0.0.1", p);
	int fd = reg("127.0.0.1", p);
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	assert_int_equal(ownlisten_add(&ss, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "already taken"));
	errbuf_release(&err);
	ownlisten_remove(fd);
	/* Free again once the holder is gone: nothing to prune. */
	fd = reg("127.0.0.1", p);
	ownlisten_remove(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ownlisten_name_is_abstract_and_unmaps_ipv4),
		cmocka_unit_test(
			test_ownlisten_exact_listener_is_found_only_on_its_port),
		cmocka_unit_test(
			test_ownlisten_ipv4_wildcard_covers_every_local_ipv4_address),
		cmocka_unit_test(test_ownlisten_ipv6_wildcard_is_dual_stack),
		cmocka_unit_test(test_ownlisten_a_taken_name_refuses_registration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
