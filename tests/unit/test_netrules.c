/* test_netrules.c — the rules of the sandbox's namespace, sent to a real
 * kernel in a network namespace of the test's own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/origdst.h"
#include "sandbox/netns.h"
#include "sandbox/netrules.h"

#define TPORT 988

static struct netrules rules;

static int
listen_on(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	int one = 1, fd = socket(family, SOCK_STREAM, 0);

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		a6->sin6_addr = in6addr_loopback;
	}
	if (bind(fd, (struct sockaddr *)&ss, sizeof(ss)) == -1 ||
	    listen(fd, 8) == -1)
		return -1;
	return fd;
}

/* Connects to ip:port and checks where the listener says it was going. */
static int
redirected(int lfd, int family, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss, od;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	int c = socket(family, SOCK_STREAM, 0), a, ok;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		a4->sin_port = htons(port);
		inet_pton(AF_INET, ip, &a4->sin_addr);
	} else {
		a6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &a6->sin6_addr);
	}
	if (connect(c, (struct sockaddr *)&ss, sizeof(ss)) == -1)
		return 0;
	a = accept(lfd, NULL, NULL);
	ok = a >= 0 && origdst_get(a, &od) == 0 &&
	     (family == AF_INET
		      ? ((struct sockaddr_in *)&od)->sin_port == htons(port)
		      : ((struct sockaddr_in6 *)&od)->sin6_port == htons(port));
	close(a);
	close(c);
	return ok;
}

static int
udp_to(const char *ip, uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	rc = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return rc == -1 ? -errno : 0;
}

/* In the child, inside its own user and network namespaces. */
static int
child(void)
{
	struct errbuf err;
	int l4, l6;

	errbuf_init(&err);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == -1)
		return 77;
	if (netns_lo_up(&err) == -1 || netrules_apply(&rules, &err) == -1)
		return 10;
	l4 = listen_on(AF_INET, TPORT);
	l6 = listen_on(AF_INET6, TPORT);
	if (l4 == -1)
		return 11;
	if (!redirected(l4, AF_INET, "10.9.8.7", 80) ||
	    !redirected(l4, AF_INET, "198.18.0.1", 443) ||
	    !redirected(l4, AF_INET, "127.0.0.1", 8765))
		return 12;
	if (l6 >= 0 && (!redirected(l6, AF_INET6, "2001:db8::1", 22) ||
			!redirected(l6, AF_INET6, "::1", 8765)))
		return 13;
	/* The sandbox's own loopback is left alone. */
	if (redirected(l4, AF_INET, "127.0.0.1", 8766) ||
	    redirected(l4, AF_INET, "127.0.0.2", 8765))
		return 14;
	if (udp_to("8.8.8.8", 53) != -EPERM || udp_to("127.0.0.1", 9) != 0)
		return 15;
	return 0;
}

static void
test_rules_redirect_tcp_and_refuse_udp_in_a_namespace(void **state)
{
	uint16_t fwd[] = {8765, 8765};
	struct errbuf err;
	int status = 0;
	pid_t pid;

	(void)state;
	errbuf_init(&err);
	assert_int_equal(netrules_build(&rules, TPORT, fwd, 2, &err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* no user namespaces here */
	assert_int_equal(WEXITSTATUS(status), 0);
	errbuf_release(&err);
}

static void
test_too_many_forwards_are_refused(void **state)
{
	uint16_t fwd[NETRULES_FORWARDS_MAX + 1] = {0};
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	assert_int_equal(netrules_build(&rules, TPORT, fwd,
					NETRULES_FORWARDS_MAX + 1, &err),
			 -1);
	assert_non_null(strstr(errbuf_str(&err), "at most"));
	errbuf_release(&err);
}

static void
test_the_most_forwards_fit(void **state)
{
	uint16_t fwd[NETRULES_FORWARDS_MAX];
	struct errbuf err;
	size_t i;

	(void)state;
	errbuf_init(&err);
	for (i = 0; i < NETRULES_FORWARDS_MAX; i++)
		fwd[i] = (uint16_t)(1000 + i);
	assert_int_equal(netrules_build(&rules, TPORT, fwd,
					NETRULES_FORWARDS_MAX, &err),
			 0);
	/* table, two chains, 2 per port, 4 fixed rules */
	assert_int_equal(rules.nft_acks, 3 + 2 * NETRULES_FORWARDS_MAX + 4);
	assert_true(rules.nft_len <= NETRULES_NFT_MAX);
	errbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_rules_redirect_tcp_and_refuse_udp_in_a_namespace),
		cmocka_unit_test(test_too_many_forwards_are_refused),
		cmocka_unit_test(test_the_most_forwards_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
