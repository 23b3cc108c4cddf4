/* test_whois.c — which process made a connection (sandbox/whois.h) and
 * the TCP sock_diag answer it reads (sandbox/sockdiag.h). The live cases
 * use this process's own network and pid namespaces: a loopback
 * connection made here is found by its local address, and this process
 * (and a child that shares the socket) are its holders. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sockdiag.h"
#include "sandbox/whois.h"

/* --- the pure parts ------------------------------------------------------------- */

static void
test_peer_parse_takes_both_families(void **state)
{
	unsigned char a[16], want6[16];
	unsigned short port;
	int family;

	(void)state;
	assert_int_equal(whois_peer_parse("127.0.0.1:40112", &family, a, &port),
			 0);
	assert_int_equal(family, AF_INET);
	assert_int_equal(port, 40112);
	assert_memory_equal(a, "\x7f\x00\x00\x01", 4);
	assert_int_equal(whois_peer_parse("[::1]:8", &family, a, &port), 0);
	assert_int_equal(family, AF_INET6);
	assert_int_equal(port, 8);
	inet_pton(AF_INET6, "::1", want6);
	assert_memory_equal(a, want6, 16);
}

static void
test_peer_parse_refuses_what_is_not_an_address_and_port(void **state)
{
	static const char *const bad[] = {
		"", ":", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:80x", "127.0.0.1:+80",
		"127.0.0.1:-1", "::1:80", "[::1]", "[::1]80", "[::1:80",
		"[127.0.0.1]:80", "localhost:80", "unknown", ":80",
		"[]:80", "1.2.3.4.5:80",
		"[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", NULL};
	unsigned char a[16];
	unsigned short port;
	int family, i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		if (whois_peer_parse(bad[i], &family, a, &port) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void
test_nspid_is_the_innermost_pid(void **state)
{
	(void)state;
	assert_int_equal(whois_nspid("Name:\tcurl\nNSpid:\t48211\t7\n"), 7);
	assert_int_equal(whois_nspid("Name:\tx\nNSpid:\t55\nNSpgid:\t1\n"), 55);
	assert_int_equal(whois_nspid("Name:\tx\nNSpid:\t1 2 3"), 3);
	assert_int_equal(whois_nspid("Name:\tx\nPid:\t5\n"), -1);
	assert_int_equal(whois_nspid("NSpid:\t5\n"), -1); /* not a line start */
	assert_int_equal(whois_nspid("Name:\tx\nNSpid:\t5x\n"), -1);
	assert_int_equal(whois_nspid("Name:\tx\nNSpid:\t0\n"), -1);
	assert_int_equal(whois_nspid("Name:\tx\nNSpid:\t99999999999\n"), -1);
	assert_int_equal(whois_nspid("Name:\tx\nNSpid:\n"), -1);
}

/* --- the TCP dump's parser ------------------------------------------------------ */

/* One inet_diag_msg message of seq into b; its aligned length. */
static size_t
tcp_message(unsigned char *b, uint32_t seq, int family, uint16_t sport,
	    uint32_t ino)
{
	struct nlmsghdr h;
	struct inet_diag_msg m;

	memset(&h, 0, sizeof(h));
	memset(&m, 0, sizeof(m));
	h.nlmsg_len = NLMSG_LENGTH(sizeof(m));
	h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	h.nlmsg_seq = seq;
	m.idiag_family = (uint8_t)family;
	m.idiag_state = 1; /* TCP_ESTABLISHED */
	m.id.idiag_sport = htons(sport);
	m.id.idiag_src[0] = htonl(0x7f000001);
	m.idiag_inode = ino;
	memset(b, 0, NLMSG_ALIGN(h.nlmsg_len));
	memcpy(b, &h, sizeof(h));
	memcpy(b + NLMSG_HDRLEN, &m, sizeof(m));
	return NLMSG_ALIGN(h.nlmsg_len);
}

struct seen_tcp {
	size_t n;
	struct sockdiag_tcp last;
};

static void
on_tcp(void *arg, const struct sockdiag_tcp *t)
{
	struct seen_tcp *s = arg;

	s->n++;
	s->last = *t;
}

static void
test_tcp_parse_reads_each_socket(void **state)
{
	unsigned char b[1024];
	struct seen_tcp s;
	struct nlmsghdr d;
	size_t n = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	n += tcp_message(b + n, 9, AF_INET, 40112, 777);
	n += tcp_message(b + n, 8, AF_INET, 1, 1); /* another dump */
	assert_int_equal(sockdiag_parse_tcp(b, n, 9, on_tcp, &s),
			 SOCKDIAG_MORE);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.family, AF_INET);
	assert_int_equal(s.last.sport, 40112);
	assert_int_equal(s.last.ino, 777);
	assert_int_equal(s.last.state, 1);
	assert_memory_equal(s.last.src, "\x7f\x00\x00\x01", 4);
	memset(&d, 0, sizeof(d));
	d.nlmsg_len = NLMSG_LENGTH(4);
	d.nlmsg_type = NLMSG_DONE;
	d.nlmsg_seq = 9;
	memset(b + n, 0, NLMSG_LENGTH(4));
	memcpy(b + n, &d, sizeof(d));
	n += NLMSG_ALIGN(d.nlmsg_len);
	assert_int_equal(sockdiag_parse_tcp(b, n, 9, on_tcp, &s),
			 SOCKDIAG_DONE);
}

static void
test_tcp_parse_refuses_short_and_foreign_messages(void **state)
{
	unsigned char b[1024];
	struct nlmsghdr h;
	struct seen_tcp s;
	size_t n;

	(void)state;
	memset(&s, 0, sizeof(s));
	n = tcp_message(b, 3, AF_UNIX, 80, 1);
	assert_int_equal(sockdiag_parse_tcp(b, n, 3, on_tcp, &s),
			 SOCKDIAG_BAD);
	n = tcp_message(b, 3, AF_INET6, 80, 1);
	memcpy(&h, b, sizeof(h));
	h.nlmsg_len = NLMSG_LENGTH(8); /* shorter than an inet_diag_msg */
	memcpy(b, &h, sizeof(h));
	assert_int_equal(sockdiag_parse_tcp(b, n, 3, on_tcp, &s),
			 SOCKDIAG_BAD);
	assert_int_equal(s.n, 0);
}

/* --- live: this process's namespaces ------------------------------------------ */

struct conn {
	int listener, client, server;
	char peer[64]; /* the client's local address, as the proxy has it */
};

static void
connect_loopback(struct conn *c)
{
	struct sockaddr_in sa, own;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->listener >= 0);
	assert_int_equal(bind(c->listener, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(listen(c->listener, 4), 0);
	assert_int_equal(getsockname(c->listener, (struct sockaddr *)&sa, &len),
			 0);
	c->client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A port of its own: connect() alone may share a local port with
	 * another connection of this (busy) namespace to elsewhere, which
	 * whois rightly leaves unanswered. */
	memset(&own, 0, sizeof(own));
	own.sin_family = AF_INET;
	own.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(c->client, (struct sockaddr *)&own, sizeof(own)),
			 0);
	assert_int_equal(connect(c->client, (struct sockaddr *)&sa, len), 0);
	c->server = accept4(c->listener, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c->server >= 0);
	len = sizeof(sa);
	assert_int_equal(getsockname(c->client, (struct sockaddr *)&sa, &len),
			 0);
	snprintf(c->peer, sizeof(c->peer), "127.0.0.1:%u",
		 (unsigned)ntohs(sa.sin_port));
}

static void
close_conn(struct conn *c)
{
	close(c->client);
	close(c->server);
	close(c->listener);
}

static int
diag_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	assert_true(fd >= 0);
	return fd;
}

static void
test_the_holder_of_a_connection_is_found(void **state)
{
	struct whois w = {-1, -1};
	struct whois_process p;
	struct conn c;
	int fd = diag_socket();
	pid_t child;
	int go[2], st;
	char *text, want[64];

	(void)state;
	connect_loopback(&c);
	whois_open(&w, fd, getpid());
	close(fd); /* whois keeps its own copy */
	assert_int_equal(whois_find(&w, c.peer, &p), 0);
	assert_int_equal(p.pid, getpid());
	assert_int_equal(p.others, 0);
	assert_non_null(strstr(p.cmdline, "test_whois"));
	text = whois_describe(&w, c.peer);
	snprintf(want, sizeof(want), "pid %d: ", (int)getpid());
	assert_non_null(text);
	assert_memory_equal(text, want, strlen(want));
	free(text);

	/* A child that holds the same socket: one more holder. */
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char b;

		close(go[1]);
		_exit(read(go[0], &b, 1) == 0 ? 0 : 1);
	}
	close(go[0]);
	assert_int_equal(whois_find(&w, c.peer, &p), 0);
	assert_int_equal(p.others, 1);
	text = whois_describe(&w, c.peer);
	assert_non_null(strstr(text, " (+1 more)"));
	free(text);
	close(go[1]);
	assert_int_equal(waitpid(child, &st, 0), child);

	/* The server's end has the listener's address: not a peer that
	 * connected, and nothing else has it. */
	close_conn(&c);
	assert_int_equal(whois_find(&w, c.peer, &p), -1);
	assert_null(whois_describe(&w, c.peer));
	whois_close(&w);
	assert_int_equal(w.diag_fd, -1);
}

static void
test_no_answer_without_a_sandbox_or_a_peer(void **state)
{
	struct whois w = {-1, -1};
	struct whois_process p;
	struct conn c;
	int fd = diag_socket();

	(void)state;
	connect_loopback(&c);
	assert_int_equal(whois_find(&w, c.peer, &p), -1); /* never opened */
	assert_int_equal(whois_find(NULL, c.peer, &p), -1);
	whois_open(&w, fd, getpid());
	assert_int_equal(whois_find(&w, "unknown", &p), -1);
	assert_int_equal(whois_find(&w, NULL, &p), -1);
	/* Another pid namespace's pid 1 (none here has this one): no
	 * process of it holds the socket. A pid that is gone: none. */
	whois_open(&w, fd, 0x3fffff);
	assert_int_equal(whois_find(&w, c.peer, &p), -1);
	whois_close(&w);
	whois_close(&w); /* twice is fine */
	close(fd);
	close_conn(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_parse_takes_both_families),
		cmocka_unit_test(
			test_peer_parse_refuses_what_is_not_an_address_and_port),
		cmocka_unit_test(test_nspid_is_the_innermost_pid),
		cmocka_unit_test(test_tcp_parse_reads_each_socket),
		cmocka_unit_test(test_tcp_parse_refuses_short_and_foreign_messages),
		cmocka_unit_test(test_the_holder_of_a_connection_is_found),
		cmocka_unit_test(test_no_answer_without_a_sandbox_or_a_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
