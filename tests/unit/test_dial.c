/* test_dial.c — connecting to vetted addresses over real loopback sockets.
 *
 * Listeners are plain blocking sockets on 127.0.0.1 with ephemeral ports:
 * the kernel completes a loopback handshake without accept(). A connect
 * that stays pending (for deadlines and cancellation) comes from a
 * listener whose accept queue is full: Linux drops the SYN, so the client
 * sits in SYN_SENT until its first retransmission, a second away. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "net/dial.h"

#define GUARD_MS 5000
#define STUFF_MAX 32

/* --- sockets ------------------------------------------------------------- */

static struct sockaddr_storage
v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
	return ss;
}

/* A listening socket on 127.0.0.1; *port gets its port. */
static int
listen_local(int backlog, uint16_t *port)
{
	struct sockaddr_storage ss = v4("127.0.0.1", 0);
	socklen_t len = sizeof(struct sockaddr_in);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* A port nobody listens on (bound, then released). */
static uint16_t
closed_port(void)
{
	uint16_t port;
	int fd = listen_local(1, &port);

	close(fd);
	return port;
}

struct stalled {
	int lfd;
	uint16_t port;
	int fds[STUFF_MAX];
	int n;
};

/* A listener with a full accept queue: connects to it stay pending. */
static void
stalled_open(struct stalled *s)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;

	s->lfd = listen_local(0, &s->port);
	ss = v4("127.0.0.1", s->port);
	for (s->n = 0; s->n < STUFF_MAX; s->n++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		assert_true(fd >= 0);
		s->fds[s->n] = fd;
		connect(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in));
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 100) == 0) {
			s->n++;
			return;
		}
	}
	fail_msg("could not fill the accept queue");
}

static void
stalled_close(struct stalled *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		close(s->fds[i]);
	close(s->lfd);
}

/* --- harness ------------------------------------------------------------- */

struct seen {
	int calls;
	int status;
	uv_tcp_t *tcp;
	struct dial *self;
	int cancel_inside;
	int nodelay;
	struct sockaddr_storage peer;
};

static void
free_on_close(uv_handle_t *h)
{
	free(h);
}

static void
on_dialed(void *arg, uv_tcp_t *tcp, int status)
{
	struct seen *s = arg;
	int len = sizeof(s->peer);
	uv_os_fd_t fd;
	socklen_t optlen = sizeof(s->nodelay);

	s->calls++;
	s->status = status;
	s->tcp = tcp;
	if (s->cancel_inside)
		dial_cancel(s->self);
	if (tcp == NULL)
		return;
	uv_tcp_getpeername(tcp, (struct sockaddr *)&s->peer, &len);
	uv_fileno((uv_handle_t *)tcp, &fd);
	getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &s->nodelay, &optlen);
	uv_close((uv_handle_t *)tcp, free_on_close);
}

static void
guard_fired(uv_timer_t *t)
{
	*(int *)t->data = 1;
	uv_stop(t->loop);
}

static void
run_bounded(uv_loop_t *loop)
{
	uv_timer_t guard;
	int fired = 0;

	uv_timer_init(loop, &guard);
	guard.data = &fired;
	uv_timer_start(&guard, guard_fired, GUARD_MS, 0);
	uv_unref((uv_handle_t *)&guard);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	assert_false(fired);
}

static int
setup(void **state)
{
	uv_loop_t *loop = malloc(sizeof(*loop));

	if (loop == NULL || uv_loop_init(loop) != 0)
		return -1;
	*state = loop;
	return 0;
}

/* Every test must leave the loop empty: no socket or timer left behind. */
static int
teardown(void **state)
{
	uv_loop_t *loop = *state;
	int rc = uv_loop_close(loop);

	free(loop);
	return rc == 0 ? 0 : -1;
}

static uint16_t
peer_port(const struct seen *s)
{
	return ntohs(((const struct sockaddr_in *)&s->peer)->sin_port);
}

static uint32_t
peer_ip(const struct seen *s)
{
	return ntohl(((const struct sockaddr_in *)&s->peer)->sin_addr.s_addr);
}

/* --- tests --------------------------------------------------------------- */

static void
test_dial_listening_port_hands_over_socket_with_nodelay(void **state)
{
	uv_loop_t *loop = *state;
	struct sockaddr_storage a;
	struct seen s = { 0 };
	uint16_t port;
	int lfd = listen_local(8, &port);

	/* The port argument wins over the one stored in the address. */
	a = v4("127.0.0.1", 9);
	assert_non_null(dial_start(loop, &a, 1, port, 2000, on_dialed, &s));
	run_bounded(loop);
	close(lfd);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, 0);
	assert_non_null(s.tcp);
	assert_int_equal(peer_port(&s), port);
	assert_true(s.nodelay != 0);
}

static void
test_dial_closed_port_reports_connection_refused(void **state)
{
	uv_loop_t *loop = *state;
	struct sockaddr_storage a = v4("127.0.0.1", 0);
	struct seen s = { 0 };

	dial_start(loop, &a, 1, closed_port(), 2000, on_dialed, &s);
	run_bounded(loop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, UV_ECONNREFUSED);
	assert_null(s.tcp);
}

static void
test_dial_dead_first_address_falls_through_to_second(void **state)
{
	uv_loop_t *loop = *state;
	struct sockaddr_storage a[2];
	struct seen s = { 0 };
	uint16_t port;
	int lfd = listen_local(8, &port);

	/* The listener is bound to 127.0.0.1 only: 127.0.0.2 refuses. */
	a[0] = v4("127.0.0.2", 0);
	a[1] = v4("127.0.0.1", 0);
	dial_start(loop, a, 2, port, 2000, on_dialed, &s);
	run_bounded(loop);
	close(lfd);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, 0);
	assert_int_equal(peer_ip(&s), 0x7f000001);
}

static void
test_dial_every_address_dead_reports_the_last_error(void **state)
{
	uv_loop_t *loop = *state;
	struct sockaddr_storage a[2];
	struct seen s = { 0 };

	a[0] = v4("127.0.0.2", 0);
	a[1] = v4("127.0.0.3", 0);
	dial_start(loop, a, 2, closed_port(), 2000, on_dialed, &s);
	run_bounded(loop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, UV_ECONNREFUSED);
	assert_null(s.tcp);
}

static void
test_dial_undialable_family_is_reported_from_the_loop(void **state)
{
	uv_loop_t *loop = *state;
	struct sockaddr_storage a;
	struct seen s = { 0 };

	memset(&a, 0, sizeof(a));
	a.ss_family = AF_UNIX;
	assert_non_null(dial_start(loop, &a, 1, 80, 2000, on_dialed, &s));
	assert_int_equal(s.calls, 0);	/* never from inside dial_start */
	run_bounded(loop);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, UV_EAFNOSUPPORT);
}

static void
test_dial_deadline_passes_reports_timed_out(void **state)
{
	uv_loop_t *loop = *state;
	struct stalled st;
	struct sockaddr_storage a;
	struct seen s = { 0 };

	stalled_open(&st);
	a = v4("127.0.0.1", 0);
	dial_start(loop, &a, 1, st.port, 30, on_dialed, &s);
	run_bounded(loop);
	stalled_close(&st);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, UV_ETIMEDOUT);
	assert_null(s.tcp);
}

static void
test_dial_zero_addresses_returns_null(void **state)
{
	uv_loop_t *loop = *state;
	struct seen s = { 0 };

	assert_null(dial_start(loop, NULL, 0, 80, 2000, on_dialed, &s));
	run_bounded(loop);
	assert_int_equal(s.calls, 0);
}

static void
test_dial_cancel_right_after_start_never_calls_back(void **state)
{
	uv_loop_t *loop = *state;
	struct sockaddr_storage a = v4("127.0.0.1", 0);
	struct seen s = { 0 };
	uint16_t port;
	int lfd = listen_local(8, &port);

	dial_cancel(dial_start(loop, &a, 1, port, 2000, on_dialed, &s));
	run_bounded(loop);
	close(lfd);
	assert_int_equal(s.calls, 0);
}

static void
cancel_from_timer(uv_timer_t *t)
{
	dial_cancel(t->data);
	uv_close((uv_handle_t *)t, NULL);
}

static void
test_dial_cancel_from_another_callback_while_pending(void **state)
{
	uv_loop_t *loop = *state;
	struct stalled st;
	struct sockaddr_storage a[2];
	struct seen s = { 0 };
	uv_timer_t t;

	stalled_open(&st);
	a[0] = v4("127.0.0.2", 0);	/* refused: one closed attempt */
	a[1] = v4("127.0.0.1", 0);	/* stalled: pending at cancel */
	uv_timer_init(loop, &t);
	t.data = dial_start(loop, a, 2, st.port, 2000, on_dialed, &s);
	uv_timer_start(&t, cancel_from_timer, 20, 0);
	run_bounded(loop);
	stalled_close(&st);
	assert_int_equal(s.calls, 0);
}

static void
test_dial_cancel_inside_callback_is_harmless(void **state)
{
	uv_loop_t *loop = *state;
	struct sockaddr_storage a = v4("127.0.0.1", 0);
	struct seen ok = { 0 };
	struct seen bad = { 0 };
	uint16_t port;
	int lfd = listen_local(8, &port);

	ok.cancel_inside = 1;
	ok.self = dial_start(loop, &a, 1, port, 2000, on_dialed, &ok);
	bad.cancel_inside = 1;
	bad.self = dial_start(loop, &a, 1, closed_port(), 2000, on_dialed,
			      &bad);
	run_bounded(loop);
	close(lfd);
	assert_int_equal(ok.calls, 1);
	assert_int_equal(ok.status, 0);
	assert_int_equal(bad.calls, 1);
	assert_int_equal(bad.status, UV_ECONNREFUSED);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dial_listening_port_hands_over_socket_with_nodelay),
		T(test_dial_closed_port_reports_connection_refused),
		T(test_dial_dead_first_address_falls_through_to_second),
		T(test_dial_every_address_dead_reports_the_last_error),
		T(test_dial_undialable_family_is_reported_from_the_loop),
		T(test_dial_deadline_passes_reports_timed_out),
		T(test_dial_zero_addresses_returns_null),
		T(test_dial_cancel_right_after_start_never_calls_back),
		T(test_dial_cancel_from_another_callback_while_pending),
		T(test_dial_cancel_inside_callback_is_harmless),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
