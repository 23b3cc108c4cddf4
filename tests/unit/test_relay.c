/* test_relay.c — the tunnel copy over real loopback sockets.
 *
 * Each test builds two connected TCP pairs with plain sockets:
 * client <-> relay's client side, relay's server side <-> backend. The
 * test drives the client and the backend as libuv peers with scripted
 * behaviour (send N pattern bytes, echo, answer on EOF, do not read) and
 * checks what arrives, with checksums, and what the relay reports.
 *
 * The suite runs twice: as the proxy runs it (TCP pairs take the splice
 * path) and with relay_force_copy(true) (the libuv read/write path that
 * non-TCP streams take). A third group checks which path is taken. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "net/relay.h"
#include "net/relay_int.h"	/* relay_splice_pool_flush */


#define GUARD_MS 10000
#define CHUNK (64 * 1024)
#define INFLIGHT 4

/* --- data ---------------------------------------------------------------- */

static unsigned char
pattern_at(uint64_t i)
{
	return (unsigned char)((i * 7919u) ^ (i >> 11));
}

static uint64_t
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

static void peer_pump(struct peer *p);

static void
peer_closed(uv_handle_t *h)
{
	((struct peer *)h->data)->closed = 1;
}

static void
peer_close(struct peer *p)
{
	if (!uv_is_closing((uv_handle_t *)&p->tcp))
		uv_close((uv_handle_t *)&p->tcp, peer_closed);
}

static void
note_queue(struct peer *p)
{
	size_t q;

	if (*p->relay == NULL)
		return;
	q = relay_queued_bytes(*p->relay);
	if (q > *p->max_queued)
		*p->max_queued = q;
}

static void
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

static void
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

static void
peer_shut_done(uv_shutdown_t *req, int status)
{
	struct peer *p = req->data;

	free(req);
	p->shut_done = 1;
	if (status != 0 || p->eof)
		peer_close(p);
}

static void
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

static void
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

static void
peer_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	buf->base = malloc(CHUNK);
	buf->len = buf->base != NULL ? CHUNK : 0;
}

static void
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

static void
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

static void
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
static void
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

static void
small_buffer(int fd)
{
	int sz = 32 * 1024;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static uv_stream_t *
open_stream(uv_loop_t *loop, uv_tcp_t *tcp, int fd)
{
	assert_int_equal(uv_tcp_init(loop, tcp), 0);
	assert_int_equal(uv_tcp_open(tcp, fd), 0);
	return (uv_stream_t *)tcp;
}

static void
on_done(void *arg, const struct relay_stats *st)
{
	struct fix *f = arg;

	f->done_calls++;
	f->st = *st;
	relay_stop(f->relay);	/* harmless from inside done */
	f->relay = NULL;
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
static int
teardown(void **state)
{
	struct fix *f = *state;
	int rc = uv_loop_close(&f->loop);

	free(f);
	return rc == 0 ? 0 : -1;
}

/* Wires client <-> relay <-> backend and starts the relay and peers. */
static void
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

/* --- tests --------------------------------------------------------------- */

static void
test_relay_echoes_10mb_both_ways_intact(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 10u * 1024 * 1024;

	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total);
	assert_int_equal(f->st.down, total);
	assert_int_equal(f->backend.received, total);
	assert_int_equal(f->client.received, total);
	assert_true(f->client.h_recv == f->client.h_sent);
	assert_true(f->backend.h_recv == f->client.h_sent);
	assert_true(f->client.closed && f->backend.closed);
}

static void
test_relay_half_close_still_delivers_the_reply(void **state)
{
	struct fix *f = *state;

	/* The client sends 4 bytes and shuts down its write side at once;
	 * the backend answers only after it has seen that EOF. */
	f->client.to_send = 4;
	f->client.shut_after_send = 1;
	f->backend.reply_on_eof = "pong";
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->backend.received, 4);
	assert_true(f->backend.eof);
	assert_int_equal(f->client.received, 4);
	assert_memory_equal(f->client.head, "pong", 4);
	assert_true(f->client.eof);
	assert_int_equal(f->st.up, 4);
	assert_int_equal(f->st.down, 4);
}

static void
test_relay_sends_bytes_read_earlier_first(void **state)
{
	struct fix *f = *state;

	f->client.shut_after_send = 1;
	f->client.to_send = 3;
	fix_start(f, "GET ", "HTTP/1.1 200 OK\r\n", 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->backend.received, 7);
	assert_memory_equal(f->backend.head, "GET ", 4);
	assert_memory_equal(f->client.head, "HTTP/1.1 200 OK\r\n", 17);
	assert_int_equal(f->st.up, 7);
	assert_int_equal(f->st.down, 17);
}

static void
test_relay_idle_timeout_closes_both_sides(void **state)
{
	struct fix *f = *state;

	fix_start(f, NULL, NULL, 30);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, UV_ETIMEDOUT);
	assert_true(f->client.eof && f->backend.eof);
	assert_int_equal(f->st.up, 0);
	assert_int_equal(f->st.down, 0);
}

static void
test_relay_stop_closes_both_sides_and_reports_once(void **state)
{
	struct fix *f = *state;

	/* The client stops the relay from its read callback as soon as the
	 * backend's greeting arrived; the tunnel is otherwise idle. */
	f->backend.to_send = 100;
	f->client.stop_at = 100;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->client.received, 100);
	assert_int_equal(f->st.down, 100);
	assert_true(f->client.eof && f->backend.eof);
}

static void
test_relay_peer_reset_ends_the_tunnel_with_an_error(void **state)
{
	struct fix *f = *state;

	f->client.to_send = 10;
	f->backend.reset_on_read = 1;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_true(f->st.error < 0);
	assert_true(f->st.error != UV_ETIMEDOUT);
	assert_true(f->client.closed);
}

/* Backpressure: the backend does not read. Once the kernel buffers are
 * full, the relay's queue towards the backend passes the high-water mark
 * and the relay must stop reading the client, so the client's own writes
 * stall. A sampler notices the stall (no progress for a while: a trigger,
 * not an assertion), then lets the backend read everything. */
struct bp {
	struct fix *f;
	uv_timer_t t;
	uint64_t last_acked;
	int quiet_ticks;
	int stalled;
	uint64_t acked_at_stall;
};

static void
bp_tick(uv_timer_t *t)
{
	struct bp *b = t->data;
	struct fix *f = b->f;

	note_queue(&f->client);
	if (f->client.acked != b->last_acked) {
		b->last_acked = f->client.acked;
		b->quiet_ticks = 0;
		return;
	}
	if (++b->quiet_ticks < 20)
		return;
	b->stalled = 1;
	b->acked_at_stall = f->client.acked;
	f->backend.no_read = 0;
	uv_read_start((uv_stream_t *)&f->backend.tcp, peer_alloc, peer_read);
	uv_close((uv_handle_t *)t, NULL);
}

static void
test_relay_stops_reading_a_sender_whose_receiver_does_not_read(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 16u * 1024 * 1024;
	struct bp b = { 0 };

	f->small_buffers = 1;
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.no_read = 1;
	fix_start(f, NULL, NULL, 5000);
	b.f = f;
	b.t.data = &b;
	uv_timer_init(&f->loop, &b.t);
	uv_timer_start(&b.t, bp_tick, 5, 5);
	run_bounded(&f->loop);
	assert_true(b.stalled);
	assert_true(b.acked_at_stall < total / 2);
	assert_true(f->max_queued > 0);
	/* What the relay holds: in the copy path one read beyond the
	 * high-water mark; in the splice path the one pipe of this
	 * direction (it reads only into an empty pipe). Either way the
	 * sockets' kernel buffers hold the rest, outside the relay. */
	if (f->backend.saw_splice)
		assert_true(f->max_queued <= RELAY_PIPE_SIZE);
	else
		assert_true(f->max_queued <= RELAY_HIGH_WATER + RELAY_READ_SIZE);
	/* After the receiver woke up, everything arrived, in order. */
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->backend.received, total);
	assert_true(f->backend.h_recv == f->client.h_sent);
}

/* --- holding the client's first bytes ------------------------------------ */

struct judge {
	size_t pass_at;		/* PASS once this many bytes are held */
	size_t refuse_at;	/* REFUSE once this many are held */
	int calls;
	size_t last_n;
	char first[8];
};

static int
judge_fn(void *arg, const char *p, size_t n)
{
	struct judge *j = arg;

	j->calls++;
	j->last_n = n;
	memcpy(j->first, p, n < sizeof(j->first) ? n : sizeof(j->first));
	if (j->refuse_at != 0 && n >= j->refuse_at)
		return RELAY_HOLD_REFUSE;
	if (j->pass_at != 0 && n >= j->pass_at)
		return RELAY_HOLD_PASS;
	return RELAY_HOLD_MORE;
}

static void
test_relay_hold_passed_relays_everything_in_order(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 4u * 1024 * 1024;
	struct judge j = { .pass_at = 100 };
	struct relay_hold h = { judge_fn, &j, 4096, 5000 };

	f->hold = &h;
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, "GET ", NULL, 5000);
	run_bounded(&f->loop);
	assert_true(j.calls >= 1);
	assert_memory_equal(j.first, "GET ", 4);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->backend.received, total + 4);
	assert_memory_equal(f->backend.head, "GET ", 4);
	assert_int_equal(f->client.received, total + 4);
	assert_int_equal(f->st.up, total + 4);
}

static void
test_relay_hold_refused_sends_nothing_on(void **state)
{
	struct fix *f = *state;
	struct judge j = { .refuse_at = 3 };
	struct relay_hold h = { judge_fn, &j, 4096, 5000 };

	f->hold = &h;
	f->client.to_send = 1000;
	fix_start(f, NULL, "HTTP/1.1 200 OK\r\n\r\n", 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, UV_EACCES);
	assert_int_equal(f->backend.received, 0);
	assert_int_equal(f->st.up, 0);
	assert_true(f->client.eof || f->client.closed);
}

/* The server's bytes are not held: a protocol where the server speaks
 * first goes on while the client's first bytes wait for a verdict; the
 * hold's own deadline then ends a client that never completes them. */
static void
test_relay_hold_lets_the_server_speak_and_has_a_deadline(void **state)
{
	struct fix *f = *state;
	struct judge j = { 0 };
	struct relay_hold h = { judge_fn, &j, 4096, 50 };

	f->hold = &h;
	f->backend.to_send = 5;
	f->client.to_send = 2;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, UV_ETIMEDOUT);
	assert_int_equal(f->client.received, 5);
	assert_int_equal(f->backend.received, 0);
	assert_int_equal(j.last_n, 2);
}

static void
test_relay_hold_full_and_undecided_is_refused(void **state)
{
	struct fix *f = *state;
	struct judge j = { 0 };
	struct relay_hold h = { judge_fn, &j, 16, 5000 };

	f->hold = &h;
	f->client.to_send = 100;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, UV_EACCES);
	assert_int_equal(j.last_n, 16);
	assert_int_equal(f->backend.received, 0);
}

/* A client that closes without sending is not judged: the server's
 * answer to that EOF still arrives. */
static void
test_relay_hold_client_sending_nothing_is_not_judged(void **state)
{
	struct fix *f = *state;
	struct judge j = { 0 };
	struct relay_hold h = { judge_fn, &j, 4096, 5000 };

	f->hold = &h;
	f->client.shut_after_send = 1;
	f->backend.reply_on_eof = "pong";
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	assert_int_equal(j.calls, 0);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_memory_equal(f->client.head, "pong", 4);
}

/* --- which path ---------------------------------------------------------- */

static void
test_relay_splices_between_tcp_sockets(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 1024 * 1024;

	relay_force_copy(false);
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, "GET ", "HTTP/1.1 200 OK\r\n", 5000);
	run_bounded(&f->loop);
	assert_true(f->backend.saw_splice);
	assert_true(f->client.saw_splice);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total + 4);
	assert_int_equal(f->st.down, total + 4 + 17);
}

static void
test_relay_force_copy_keeps_tcp_sockets_on_the_copy_path(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 1024 * 1024;

	relay_force_copy(true);
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, NULL, NULL, 5000);
	run_bounded(&f->loop);
	relay_force_copy(false);
	assert_false(f->backend.saw_splice);
	assert_false(f->client.saw_splice);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total);
	assert_int_equal(f->st.down, total);
}

static void
test_relay_hold_passed_moves_to_splice(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 1024 * 1024;
	struct judge j = { .pass_at = 4 };
	struct relay_hold h = { judge_fn, &j, 4096, 5000 };

	relay_force_copy(false);
	f->hold = &h;
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, "GET ", "HTTP/1.1 200 OK\r\n", 5000);
	run_bounded(&f->loop);
	assert_true(f->backend.saw_splice);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total + 4);
	assert_int_equal(f->st.down, total + 4 + 17);
	assert_true(f->client.h_recv != FNV_INIT);
}

/* With the fd table full, a spliced relay gets no pipe: each direction
 * falls back to a buffer (recv/send) and still delivers everything. */
static void
test_relay_without_pipes_still_relays_everything(void **state)
{
	struct fix *f = *state;
	const uint64_t total = 4u * 1024 * 1024;
	struct rlimit old, low;
	int next;

	relay_force_copy(false);
	f->client.to_send = total;
	f->client.shut_after_send = 1;
	f->backend.echo = 1;
	fix_start(f, NULL, NULL, 5000);
	relay_splice_pool_flush();
	next = dup(0);
	assert_true(next >= 0);
	close(next);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)next;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	run_bounded(&f->loop);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true(f->backend.saw_splice);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->st.error, 0);
	assert_int_equal(f->st.up, total);
	assert_int_equal(f->st.down, total);
	assert_true(f->client.h_recv == f->client.h_sent);
}

static int
group_splice(void **state)
{
	(void)state;
	relay_force_copy(false);
	return 0;
}

static int
group_copy(void **state)
{
	(void)state;
	relay_force_copy(true);
	return 0;
}

static int
group_end(void **state)
{
	(void)state;
	relay_force_copy(false);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest paths[] = {
		T(test_relay_splices_between_tcp_sockets),
		T(test_relay_force_copy_keeps_tcp_sockets_on_the_copy_path),
		T(test_relay_without_pipes_still_relays_everything),
		T(test_relay_hold_passed_moves_to_splice),
	};
	const struct CMUnitTest tests[] = {
		T(test_relay_echoes_10mb_both_ways_intact),
		T(test_relay_half_close_still_delivers_the_reply),
		T(test_relay_sends_bytes_read_earlier_first),
		T(test_relay_idle_timeout_closes_both_sides),
		T(test_relay_stop_closes_both_sides_and_reports_once),
		T(test_relay_peer_reset_ends_the_tunnel_with_an_error),
		T(test_relay_stops_reading_a_sender_whose_receiver_does_not_read),
		T(test_relay_hold_passed_relays_everything_in_order),
		T(test_relay_hold_refused_sends_nothing_on),
		T(test_relay_hold_lets_the_server_speak_and_has_a_deadline),
		T(test_relay_hold_full_and_undecided_is_refused),
		T(test_relay_hold_client_sending_nothing_is_not_judged),
	};

	int failed = 0;

	/* As in the proxy: a write to a reset peer must fail, not kill. */
	signal(SIGPIPE, SIG_IGN);
	failed += cmocka_run_group_tests_name("relay paths", paths, NULL,
					      group_end);
	failed += cmocka_run_group_tests_name("relay splice", tests,
					      group_splice, group_end);
	failed += cmocka_run_group_tests_name("relay copy", tests, group_copy,
					      group_end);
	return failed;
}
