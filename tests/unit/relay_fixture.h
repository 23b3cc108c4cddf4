/* relay_fixture.h — the relay unit tests' loopback rig (test_relay_*.c).
 *
 * Each test builds two connected TCP pairs with plain sockets:
 * client <-> relay's client side, relay's server side <-> backend. The
 * test drives the client and the backend as libuv peers with scripted
 * behaviour (send N pattern bytes, echo, answer on EOF, do not read) and
 * checks what arrives, with checksums, and what the relay reports.
 * group_splice() and group_copy() set the path the relay takes for a
 * group: the splice path TCP pairs take in the proxy, or the libuv
 * read/write path non-TCP streams take. Header-only: each test program
 * includes it once. */
#ifndef AIRLOCK_TEST_RELAY_FIXTURE_H
#define AIRLOCK_TEST_RELAY_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "net/relay.h"

#define GUARD_MS 10000
#define CHUNK (64 * 1024)
#define INFLIGHT 4

/* --- data ---------------------------------------------------------------- */

static inline unsigned char
pattern_at(uint64_t i)
{
	return (unsigned char)((i * 7919u) ^ (i >> 11));
}

static inline uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

#define FNV_INIT 14695981039346656037ull

/* --- peers --------------------------------------------------------------- */

struct peer {
	uv_tcp_t tcp;
	uint64_t to_send;	/* pattern bytes to send */
	uint64_t sent;		/* queued so far */
	uint64_t acked;		/* write callbacks seen */
	uint64_t h_sent;
	int inflight;
	int shut_after_send;
	int echo;
	const char *reply_on_eof;
	int no_read;		/* do not start reading */
	int reset_on_read;	/* answer the first bytes with a RST */
	uint64_t received;
	uint64_t h_recv;
	char head[64];
	size_t nhead;
	int eof;
	int shut_started;
	int shut_done;
	uint64_t stop_at;	/* relay_stop() once this much arrived */
	int saw_splice;		/* relay_spliced() while bytes arrived */
	int closed;
	size_t *max_queued;
	struct relay **relay;
};

struct wreq {
	uv_write_t req;
	struct peer *p;
	size_t n;
	char data[];
};

static inline void peer_pump(struct peer *p);

static inline void
peer_closed(uv_handle_t *h)
{
	((struct peer *)h->data)->closed = 1;
}

static inline void
peer_close(struct peer *p)
{
	if (!uv_is_closing((uv_handle_t *)&p->tcp))
		uv_close((uv_handle_t *)&p->tcp, peer_closed);
}

static inline void
note_queue(struct peer *p)
{
	size_t q;

	if (*p->relay == NULL)
		return;
	q = relay_queued_bytes(*p->relay);
	if (q > *p->max_queued)
		*p->max_queued = q;
}

static inline void
peer_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct peer *p = w->p;

	p->inflight--;
	if (status == 0)
		p->acked += w->n;
	free(w);
	if (status == 0 && !uv_is_closing((uv_handle_t *)&p->tcp)) {
		note_queue(p);
		peer_pump(p);
	}
}

static inline void
peer_write(struct peer *p, const char *data, size_t n)
{
	struct wreq *w = malloc(sizeof(*w) + n);
	uv_buf_t b;

	assert_non_null(w);
	w->p = p;
	w->n = n;
	memcpy(w->data, data, n);
	b = uv_buf_init(w->data, (unsigned)n);
	p->inflight++;
	if (uv_write(&w->req, (uv_stream_t *)&p->tcp, &b, 1, peer_written)) {
		p->inflight--;
		free(w);
	}
}

static inline void
peer_shut_done(uv_shutdown_t *req, int status)
{
	struct peer *p = req->data;

	free(req);
	p->shut_done = 1;
	if (status != 0 || p->eof)
		peer_close(p);
}

static inline void
peer_shutdown(struct peer *p)
{
	uv_shutdown_t *req;

	if (p->shut_started)
		return;
	p->shut_started = 1;
	req = malloc(sizeof(*req));
	assert_non_null(req);
	req->data = p;
	if (uv_shutdown(req, (uv_stream_t *)&p->tcp, peer_shut_done) != 0) {
		free(req);
		peer_close(p);
	}
}

static inline void
peer_pump(struct peer *p)
{
	char buf[CHUNK];
	size_t n, i;

	while (p->inflight < INFLIGHT && p->sent < p->to_send) {
		n = p->to_send - p->sent < CHUNK ? p->to_send - p->sent : CHUNK;
		for (i = 0; i < n; i++)
			buf[i] = (char)pattern_at(p->sent + i);
		p->h_sent = fnv(p->h_sent, buf, n);
		p->sent += n;
		peer_write(p, buf, n);
	}
	if (p->sent == p->to_send && p->shut_after_send)
		peer_shutdown(p);
}

static inline void
peer_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	buf->base = malloc(CHUNK);
	buf->len = buf->base != NULL ? CHUNK : 0;
}

static inline void
peer_on_eof(struct peer *p)
{
	p->eof = 1;
	if (p->reply_on_eof != NULL)
		peer_write(p, p->reply_on_eof, strlen(p->reply_on_eof));
	if (p->shut_done)
		peer_close(p);
	else
		peer_shutdown(p);	/* closes when it completes */
}

static inline void
peer_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct peer *p = s->data;
	size_t n;

	if (nread > 0) {
		n = (size_t)nread;
		p->h_recv = fnv(p->h_recv, buf->base, n);
		if (p->nhead < sizeof(p->head)) {
			size_t k = sizeof(p->head) - p->nhead;

			memcpy(p->head + p->nhead, buf->base, n < k ? n : k);
			p->nhead += n < k ? n : k;
		}
		p->received += n;
		if (*p->relay != NULL && relay_spliced(*p->relay))
			p->saw_splice = 1;
		if (p->echo)
			peer_write(p, buf->base, n);
		if (p->stop_at != 0 && p->received >= p->stop_at &&
		    *p->relay != NULL)
			relay_stop(*p->relay);
		if (p->reset_on_read)
			uv_tcp_close_reset(&p->tcp, peer_closed);
	} else if (nread == UV_EOF)
		peer_on_eof(p);
	else if (nread < 0)
		peer_close(p);
	free(buf->base);
}

static inline void
peer_start(struct peer *p)
{
	if (!p->no_read)
		uv_read_start((uv_stream_t *)&p->tcp, peer_alloc, peer_read);
	peer_pump(p);
}

/* --- fixture ------------------------------------------------------------- */

struct fix {
	uv_loop_t loop;
	struct peer client;
	struct peer backend;
	struct relay *relay;
	int done_calls;
	struct relay_stats st;
	size_t max_queued;
	int small_buffers;
	struct relay_hold *hold;	/* relay_start_held when set */
};

/* Two connected loopback sockets. */
static inline void
tcp_pair(int fds[2])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, len), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fds[0], (struct sockaddr *)&a, len), 0);
	fds[1] = accept(lfd, NULL, NULL);
	assert_true(fds[1] >= 0);
	close(lfd);
}

static inline void
small_buffer(int fd)
{
	int sz = 32 * 1024;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static inline uv_stream_t *
open_stream(uv_loop_t *loop, uv_tcp_t *tcp, int fd)
{
	assert_int_equal(uv_tcp_init(loop, tcp), 0);
	assert_int_equal(uv_tcp_open(tcp, fd), 0);
	return (uv_stream_t *)tcp;
}

static inline void
on_done(void *arg, const struct relay_stats *st)
{
	struct fix *f = arg;

	f->done_calls++;
	f->st = *st;
	relay_stop(f->relay);	/* harmless from inside done */
	f->relay = NULL;
}

static inline void
guard_fired(uv_timer_t *t)
{
	*(int *)t->data = 1;
	uv_stop(t->loop);
}

static inline void
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

static inline int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL || uv_loop_init(&f->loop) != 0)
		return -1;
	f->client.h_sent = f->client.h_recv = FNV_INIT;
	f->backend.h_sent = f->backend.h_recv = FNV_INIT;
	f->client.tcp.data = &f->client;
	f->backend.tcp.data = &f->backend;
	f->client.max_queued = f->backend.max_queued = &f->max_queued;
	f->client.relay = f->backend.relay = &f->relay;
	*state = f;
	return 0;
}

/* Every test must leave the loop empty: both relay streams closed and
 * freed, no timer left. */
static inline int
teardown(void **state)
{
	struct fix *f = *state;
	int rc = uv_loop_close(&f->loop);

	free(f);
	return rc == 0 ? 0 : -1;
}

/* Wires client <-> relay <-> backend and starts the relay and peers. */
static inline void
fix_start(struct fix *f, const char *pre_up, const char *pre_down,
	  int idle_ms)
{
	uv_tcp_t *rc = malloc(sizeof(*rc));
	uv_tcp_t *rs = malloc(sizeof(*rs));
	uv_stream_t *cs, *ss;
	int a[2], b[2];

	assert_non_null(rc);
	assert_non_null(rs);
	tcp_pair(a);
	tcp_pair(b);
	if (f->small_buffers) {
		small_buffer(a[0]);
		small_buffer(a[1]);
		small_buffer(b[0]);
		small_buffer(b[1]);
	}
	open_stream(&f->loop, &f->client.tcp, a[0]);
	cs = open_stream(&f->loop, rc, a[1]);
	ss = open_stream(&f->loop, rs, b[0]);
	open_stream(&f->loop, &f->backend.tcp, b[1]);
	f->relay = relay_start_held(&f->loop, cs, ss, pre_up,
				    pre_up ? strlen(pre_up) : 0, pre_down,
				    pre_down ? strlen(pre_down) : 0, idle_ms,
				    f->hold, on_done, f);
	assert_non_null(f->relay);
	peer_start(&f->client);
	peer_start(&f->backend);
}

static inline int
group_splice(void **state)
{
	(void)state;
	relay_force_copy(false);
	return 0;
}

static inline int
group_copy(void **state)
{
	(void)state;
	relay_force_copy(true);
	return 0;
}

static inline int
group_end(void **state)
{
	(void)state;
	relay_force_copy(false);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif /* AIRLOCK_TEST_RELAY_FIXTURE_H */
