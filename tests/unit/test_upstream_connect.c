/* test_upstream_connect.c — the HTTP CONNECT and SOCKS5 handshakes to an
 * upstream proxy (net/upstream.h) against tiny fake upstreams, and
 * cancellation.
 *
 * The fakes are blocking servers on a thread, one connection each, on
 * 127.0.0.1 with an ephemeral port; they record what the client sent so
 * tests can check the wire bytes. The event loop runs on the test thread,
 * bounded by a guard timer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "lib/errbuf.h"
#include "net/upstream.h"

#define GUARD_MS 5000

/* --- fake upstreams ------------------------------------------------------------------- */

enum fake_mode {
	FAKE_HTTP_200,
	FAKE_HTTP_407,
	FAKE_HTTP_502,
	FAKE_HTTP_GARBAGE,
	FAKE_SOCKS_NOAUTH,
	FAKE_SOCKS_USERPASS, /* demands user/pass; accepts "u"/"p" */
	FAKE_SOCKS_REFUSE,   /* accepts, then REP 0x05 */
	FAKE_SILENT,         /* accepts and says nothing */
};

struct fake {
	enum fake_mode mode;
	int lfd;
	uint16_t port;
	pthread_t thread;
	char got[4096]; /* everything the client sent */
	size_t n_got;
};

static int
read_exact(int fd, struct fake *f, size_t n)
{
	ssize_t r;

	while (n > 0 && f->n_got < sizeof(f->got)) {
		r = read(fd, f->got + f->n_got, n);
		if (r <= 0)
			return -1;
		f->n_got += (size_t)r;
		n -= (size_t)r;
	}
	return 0;
}

static void
read_head(int fd, struct fake *f)
{
	while (f->n_got < 4 ||
	       memcmp(f->got + f->n_got - 4, "\r\n\r\n", 4) != 0)
		if (read_exact(fd, f, 1) == -1)
			return;
}

static void
write_all(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

/* Reads a SOCKS5 request (IPv4, IPv6 or domain). */
static void
read_socks_request(int fd, struct fake *f)
{
	size_t start = f->n_got;
	unsigned char atyp;

	if (read_exact(fd, f, 4) == -1)
		return;
	atyp = (unsigned char)f->got[start + 3];
	if (atyp == 1)
		read_exact(fd, f, 4 + 2);
	else if (atyp == 4)
		read_exact(fd, f, 16 + 2);
	else if (read_exact(fd, f, 1) == 0)
		read_exact(fd, f, (unsigned char)f->got[f->n_got - 1] + 2u);
}

static void
serve_socks(int fd, struct fake *f)
{
	static const char ok[] = "\x05\x00\x00\x01\x7f\x00\x00\x01\x12\x34"
				 "EXTRA";
	static const char refused[] = "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00";
	size_t start;

	if (read_exact(fd, f, 2) == -1 ||
	    read_exact(fd, f, (unsigned char)f->got[1]) == -1)
		return;
	if (f->mode == FAKE_SOCKS_USERPASS) {
		write_all(fd, "\x05\x02", 2);
		start = f->n_got;
		if (read_exact(fd, f, 2) == -1 ||
		    read_exact(fd, f, (unsigned char)f->got[start + 1] + 1u) ==
			    -1 ||
		    read_exact(fd, f, (unsigned char)f->got[f->n_got - 1]) == -1)
			return;
		if (memcmp(f->got + start, "\x01\x01u\x01p", 5) != 0) {
			write_all(fd, "\x01\x01", 2);
			return;
		}
		write_all(fd, "\x01\x00", 2);
	} else {
		write_all(fd, "\x05\x00", 2);
	}
	read_socks_request(fd, f);
	if (f->mode == FAKE_SOCKS_REFUSE)
		write_all(fd, refused, sizeof(refused) - 1);
	else
		write_all(fd, ok, sizeof(ok) - 1);
}

static void *
fake_main(void *arg)
{
	static const char r200[] = "HTTP/1.1 200 Connection established\r\n"
				   "\r\nEXTRA";
	static const char r407[] = "HTTP/1.1 407 Proxy Authentication Required"
				   "\r\nContent-Length: 0\r\n\r\n";
	static const char r502[] = "HTTP/1.1 502 Bad Gateway\r\n\r\n";
	struct fake *f = arg;
	char drain[64];
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	switch (f->mode) {
	case FAKE_HTTP_200:
	case FAKE_HTTP_407:
	case FAKE_HTTP_502:
	case FAKE_HTTP_GARBAGE:
		read_head(fd, f);
		if (f->mode == FAKE_HTTP_200)
			write_all(fd, r200, sizeof(r200) - 1);
		else if (f->mode == FAKE_HTTP_407)
			write_all(fd, r407, sizeof(r407) - 1);
		else if (f->mode == FAKE_HTTP_502)
			write_all(fd, r502, sizeof(r502) - 1);
		else
			write_all(fd, "SSH-2.0-x\r\n", 11);
		break;
	case FAKE_SOCKS_NOAUTH:
	case FAKE_SOCKS_USERPASS:
	case FAKE_SOCKS_REFUSE:
		serve_socks(fd, f);
		break;
	case FAKE_SILENT:
		break;
	}
	/* Hold the connection until the client closes it. */
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	close(fd);
	return NULL;
}

static void
fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sin, &len), 0);
	f->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void
fake_join(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->lfd);
}

/* --- running one connect ------------------------------------------------------------ */

struct outcome {
	bool called;
	int status;
	char why[600];
	char pre[64];
	size_t n_pre;
	bool got_tcp;
};

static void
free_handle(uv_handle_t *h)
{
	free(h);
}

static void
on_connected(void *arg, uv_tcp_t *tcp, const char *pre, size_t n_pre,
	     int status, const char *why)
{
	struct outcome *o = arg;

	o->called = true;
	o->status = status;
	o->got_tcp = tcp != NULL;
	snprintf(o->why, sizeof(o->why), "%s", why ? why : "");
	o->n_pre = n_pre < sizeof(o->pre) ? n_pre : sizeof(o->pre);
	if (pre != NULL)
		memcpy(o->pre, pre, o->n_pre);
	if (tcp != NULL)
		uv_close((uv_handle_t *)tcp, free_handle);
}

static void
on_guard(uv_timer_t *t)
{
	(void)t;
	fail_msg("the connect did not finish in time");
}

static struct sockaddr_storage
vetted_v4(const char *ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	return ss;
}

/* Connects through url (whose port is replaced by the fake's) to
 * example.com:443 and runs the loop until the callback. */
static void
run_connect(const char *url, uint16_t port, enum upstream_kind kind,
	    int timeout_ms, struct outcome *o)
{
	struct sockaddr_storage vetted = vetted_v4("93.184.216.34");
	struct upstream u;
	struct upstream_connect *uc;
	uv_loop_t loop;
	uv_timer_t guard;
	const char *why;

	memset(o, 0, sizeof(*o));
	assert_int_equal(upstream_parse_url(url, strlen(url), false, &u, &why),
			 0);
	u.port = port;
	assert_int_equal(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &guard);
	uv_timer_start(&guard, on_guard, GUARD_MS, 0);
	uc = upstream_connect_start(&loop, &u, "example.com", 443, &vetted, 1,
				    kind, timeout_ms, on_connected, o);
	upstream_release(&u); /* the connect copied what it needs */
	assert_non_null(uc);
	while (!o->called)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* --- HTTP CONNECT ---------------------------------------------------------------- */

static void
test_http_connect_200_hands_over_socket_and_extra_bytes(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_HTTP_200);
	run_connect("http://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, 0);
	assert_true(o.got_tcp);
	assert_int_equal(o.n_pre, 5);
	assert_memory_equal(o.pre, "EXTRA", 5);
	f.got[f.n_got] = '\0';
	assert_string_equal(f.got, "CONNECT example.com:443 HTTP/1.1\r\n"
				   "Host: example.com:443\r\n\r\n");
}

static void
test_http_connect_sends_proxy_authorization(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_HTTP_200);
	run_connect("http://user:pa%20ss@127.0.0.1:1", f.port, UPSTREAM_TUNNEL,
		    3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, 0);
	f.got[f.n_got] = '\0';
	/* base64("user:pa ss") */
	assert_non_null(strstr(f.got, "\r\nProxy-Authorization: Basic "
				      "dXNlcjpwYSBzcw==\r\n"));
}

static void
test_http_connect_407_fails_with_eacces_and_status_line(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_HTTP_407);
	run_connect("http://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, UV_EACCES);
	assert_false(o.got_tcp);
	assert_non_null(strstr(o.why, "CONNECT example.com:443 refused: "
				      "HTTP/1.1 407 Proxy Authentication "
				      "Required"));
	assert_non_null(strstr(o.why, "upstream proxy http://127.0.0.1:"));
}

static void
test_http_connect_502_fails_with_status_line(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_HTTP_502);
	run_connect("http://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, UV_EPROTO);
	assert_non_null(strstr(o.why, "HTTP/1.1 502 Bad Gateway"));
}

static void
test_http_connect_non_http_answer_fails(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_HTTP_GARBAGE);
	run_connect("http://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, UV_EPROTO);
	assert_non_null(strstr(o.why, "not an HTTP response"));
}

static void
test_http_forward_succeeds_on_connect_without_handshake(void **state)
{
	struct fake f;
	struct outcome o;
	struct upstream u;
	const char *why;

	(void)state;
	fake_start(&f, FAKE_SILENT);
	run_connect("http://127.0.0.1:1", f.port, UPSTREAM_HTTP_FORWARD, 3000,
		    &o);
	fake_join(&f);
	assert_int_equal(o.status, 0);
	assert_true(o.got_tcp);
	assert_int_equal(f.n_got, 0);
	assert_int_equal(upstream_parse_url("http://p:1", 10, false, &u, &why),
			 0);
	assert_true(upstream_absolute_form(&u, UPSTREAM_HTTP_FORWARD));
	assert_false(upstream_absolute_form(&u, UPSTREAM_TUNNEL));
	upstream_release(&u);
}

static void
test_silent_upstream_times_out(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_SILENT);
	run_connect("http://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 200, &o);
	fake_join(&f);
	assert_int_equal(o.status, UV_ETIMEDOUT);
	assert_non_null(strstr(o.why, "timed out after 200 ms"));
}

/* A port nobody listens on (bound, then released). */
static uint16_t
closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
test_upstream_down_fails_with_connection_refused(void **state)
{
	struct outcome o;

	(void)state;
	run_connect("socks5h://127.0.0.1:1", closed_port(), UPSTREAM_TUNNEL,
		    3000, &o);
	assert_int_equal(o.status, UV_ECONNREFUSED);
	assert_non_null(strstr(o.why, "connection refused"));
}

/* --- SOCKS5 ------------------------------------------------------------------------ */

static void
test_socks5h_sends_the_host_name(void **state)
{
	static const char want[] = "\x05\x01\x00"          /* greeting */
				   "\x05\x01\x00\x03\x0b" /* request */
				   "example.com\x01\xbb";
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_SOCKS_NOAUTH);
	run_connect("socks5h://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, 0);
	assert_true(o.got_tcp);
	assert_int_equal(o.n_pre, 5);
	assert_memory_equal(o.pre, "EXTRA", 5);
	assert_int_equal(f.n_got, sizeof(want) - 1);
	assert_memory_equal(f.got, want, sizeof(want) - 1);
}

static void
test_socks5_sends_the_vetted_address(void **state)
{
	static const char want[] = "\x05\x01\x00\x01\x5d\xb8\xd8\x22\x01\xbb";
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_SOCKS_NOAUTH);
	run_connect("socks5://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, 0);
	assert_int_equal(f.n_got, 3 + sizeof(want) - 1);
	assert_memory_equal(f.got + 3, want, sizeof(want) - 1);
}

static void
test_socks5_user_pass_login(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_SOCKS_USERPASS);
	run_connect("socks5h://u:p@127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000,
		    &o);
	fake_join(&f);
	assert_int_equal(o.status, 0);
	/* greeting offers no-auth and user/pass */
	assert_memory_equal(f.got, "\x05\x02\x00\x02", 4);
}

static void
test_socks5_wrong_password_fails_with_eacces(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_SOCKS_USERPASS);
	run_connect("socks5h://u:wrong@127.0.0.1:1", f.port, UPSTREAM_TUNNEL,
		    3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, UV_EACCES);
	assert_non_null(strstr(o.why, "authentication failed"));
	assert_null(strstr(o.why, "wrong"));
}

static void
test_socks5_without_credentials_when_required_fails(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_SOCKS_USERPASS);
	run_connect("socks5h://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, UV_EACCES);
	assert_non_null(strstr(o.why, "authentication required"));
}

static void
test_socks5_refusal_maps_to_libuv_error(void **state)
{
	struct fake f;
	struct outcome o;

	(void)state;
	fake_start(&f, FAKE_SOCKS_REFUSE);
	run_connect("socks5h://127.0.0.1:1", f.port, UPSTREAM_TUNNEL, 3000, &o);
	fake_join(&f);
	assert_int_equal(o.status, UV_ECONNREFUSED);
	assert_non_null(strstr(o.why, "CONNECT example.com:443 refused"));
}

static void
test_socks5_without_vetted_address_is_refused_at_start(void **state)
{
	struct upstream u;
	uv_loop_t loop;
	const char *why;

	(void)state;
	assert_int_equal(upstream_parse_url("socks5://p:1", 12, false, &u, &why),
			 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_null(upstream_connect_start(&loop, &u, "example.com", 443, NULL,
					   0, UPSTREAM_TUNNEL, 1000, NULL,
					   NULL));
	assert_int_equal(uv_loop_close(&loop), 0);
	upstream_release(&u);
}

/* --- cancellation --------------------------------------------------------------------- */

static void
on_never(void *arg, uv_tcp_t *tcp, const char *pre, size_t n_pre, int status,
	 const char *why)
{
	(void)arg, (void)tcp, (void)pre, (void)n_pre, (void)status, (void)why;
	fail_msg("cancelled connect called back");
}

static void
on_cancel_timer(uv_timer_t *t)
{
	upstream_connect_cancel(t->data);
	uv_close((uv_handle_t *)t, NULL);
}

/* Cancels after delay_ms: while resolving (a name), dialing or in the
 * middle of a handshake with a silent upstream. */
static void
cancel_after(const char *host, uint16_t port, int delay_ms)
{
	struct upstream u;
	struct upstream_connect *uc;
	uv_loop_t loop;
	uv_timer_t t;
	char url[128];
	const char *why;

	snprintf(url, sizeof(url), "http://%s:%u", host, (unsigned)port);
	assert_int_equal(upstream_parse_url(url, strlen(url), false, &u, &why),
			 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	uc = upstream_connect_start(&loop, &u, "example.com", 443, NULL, 0,
				    UPSTREAM_TUNNEL, 3000, on_never, NULL);
	upstream_release(&u);
	assert_non_null(uc);
	if (delay_ms < 0) {
		upstream_connect_cancel(uc);
	} else {
		uv_timer_init(&loop, &t);
		t.data = uc;
		uv_timer_start(&t, on_cancel_timer, (uint64_t)delay_ms, 0);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
test_cancel_at_every_stage_never_calls_back(void **state)
{
	struct fake f;

	(void)state;
	cancel_after("localhost", 9, -1);  /* resolving */
	cancel_after("127.0.0.1", 9, -1);  /* dialing */
	fake_start(&f, FAKE_SILENT);
	cancel_after("127.0.0.1", f.port, 100); /* handshake in flight */
	fake_join(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_connect_200_hands_over_socket_and_extra_bytes),
		cmocka_unit_test(test_http_connect_sends_proxy_authorization),
		cmocka_unit_test(test_http_connect_407_fails_with_eacces_and_status_line),
		cmocka_unit_test(test_http_connect_502_fails_with_status_line),
		cmocka_unit_test(test_http_connect_non_http_answer_fails),
		cmocka_unit_test(test_http_forward_succeeds_on_connect_without_handshake),
		cmocka_unit_test(test_silent_upstream_times_out),
		cmocka_unit_test(test_upstream_down_fails_with_connection_refused),
		cmocka_unit_test(test_socks5h_sends_the_host_name),
		cmocka_unit_test(test_socks5_sends_the_vetted_address),
		cmocka_unit_test(test_socks5_user_pass_login),
		cmocka_unit_test(test_socks5_wrong_password_fails_with_eacces),
		cmocka_unit_test(test_socks5_without_credentials_when_required_fails),
		cmocka_unit_test(test_socks5_refusal_maps_to_libuv_error),
		cmocka_unit_test(test_socks5_without_vetted_address_is_refused_at_start),
		cmocka_unit_test(test_cancel_at_every_stage_never_calls_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
