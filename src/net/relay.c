/* relay.c — the relay's life cycle and its copy path (libuv reads into
 * 64 KiB chunks, uv_write to the other side). TCP pairs normally leave
 * this path for relay_splice.c once the pre-read bytes are written; see
 * relay_int.h for the modes. */
#include "net/relay.h"
#include "net/relay_int.h"
#include "lib/xalloc.h"

#include <stdlib.h>
#include <string.h>


/* Chunks: one read buffer, later the write request that sends it. A chunk
 * belongs to the read until read_cb, then to the write until its callback
 * (which libuv runs, with UV_ECANCELED if need be, before the stream's
 * close callback). A few spare read chunks stay on a free list so a busy
 * tunnel does not go through malloc for every 64 KiB. */
#define RELAY_FREE_MAX 8

struct chunk {
	uv_write_t req;
	struct relay_side *dst;
	struct chunk *next;	/* free list */
	size_t len;
	size_t cap;
	char data[];
};

static struct chunk *
chunk_new(size_t cap)
{
	struct chunk *k = xmalloc(sizeof(*k) + cap);

	k->cap = cap;
	k->len = 0;
	k->next = NULL;
	return k;
}

static struct chunk *
chunk_get(struct relay *r)
{
	struct chunk *k = r->free;

	if (k == NULL)
		return chunk_new(RELAY_READ_SIZE);
	r->free = k->next;
	r->nfree--;
	return k;
}

static void
chunk_put(struct relay *r, struct chunk *k)
{
	if (k->cap != RELAY_READ_SIZE || r->nfree >= RELAY_FREE_MAX) {
		free(k);
		return;
	}
	k->next = r->free;
	r->free = k;
	r->nfree++;
}

static struct chunk *
chunk_of(char *base)
{
	return (struct chunk *)(base - offsetof(struct chunk, data));
}

static void
relay_finish(struct relay *r)
{
	struct relay_stats st;
	struct chunk *k;

	memset(&st, 0, sizeof(st));
	st.up = r->up;
	st.down = r->down;
	st.duration_ms = (uv_hrtime() - r->started_ns) / 1000000u;
	st.error = r->error;
	r->done(r->arg, &st);
	free(r->held);
	while ((k = r->free) != NULL) {
		r->free = k->next;
		free(k);
	}
	free(r);
}

void
relay_handle_closed(uv_handle_t *h)
{
	struct relay_side *side = h->data;
	struct relay *r = side->r;

	free(h);
	if (--r->open == 0)
		relay_finish(r);
}

static void
relay_timer_closed(uv_handle_t *h)
{
	struct relay *r = h->data;

	if (--r->open == 0)
		relay_finish(r);
}

static void
relay_hold_timer_closed(uv_handle_t *h)
{
	struct relay *r = h->data;

	free(h);
	if (--r->open == 0)
		relay_finish(r);
}

/* The one death path: pending writes and shutdowns are cancelled by libuv
 * before the close callbacks run. In splice mode the poll handles are
 * closed before the sockets whose fds they watch. */
void
relay_close(struct relay *r, int error)
{
	if (r->closing)
		return;
	r->closing = 1;
	r->error = error;
	r->c.reading = 0;
	r->s.reading = 0;
	relay_splice_close(r);
	uv_close((uv_handle_t *)r->c.s, relay_handle_closed);
	uv_close((uv_handle_t *)r->s.s, relay_handle_closed);
	uv_close((uv_handle_t *)&r->idle, relay_timer_closed);
	if (r->hold_timer != NULL)
		uv_close((uv_handle_t *)r->hold_timer, relay_hold_timer_closed);
	r->holding = 0;
}

void
relay_touch(struct relay *r)
{
	r->last_activity = uv_now(r->loop);
}

static void relay_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void relay_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void
side_resume(struct relay_side *src)
{
	int rc;

	if (src->reading || src->eof || src->r->closing ||
	    src->r->mode != RELAY_COPY)
		return;
	if (src->peer->queued > RELAY_HIGH_WATER)
		return;
	rc = uv_read_start(src->s, relay_alloc, relay_read);
	if (rc != 0) {
		relay_close(src->r, rc);
		return;
	}
	src->reading = 1;
}

static void
side_pause(struct relay_side *src)
{
	if (!src->reading)
		return;
	uv_read_stop(src->s);
	src->reading = 0;
}

static void
relay_written(uv_write_t *req, int status)
{
	struct chunk *k = (struct chunk *)req;
	struct relay_side *dst = k->dst;
	struct relay *r = dst->r;

	dst->queued -= k->len;
	if (status == 0) {
		if (dst == &r->s)
			r->up += k->len;
		else
			r->down += k->len;
	}
	chunk_put(r, k);
	if (r->closing)
		return;
	if (status < 0) {
		relay_close(r, status);
		return;
	}
	relay_touch(r);
	if (r->mode == RELAY_SPLICE_PENDING) {
		if (r->c.queued == 0 && r->s.queued == 0)
			relay_splice_begin(r);
		return;
	}
	if (dst->queued <= RELAY_LOW_WATER)
		side_resume(dst->peer);
}

/* Sends k (len bytes) to dst; k belongs to the write from here on. Stops
 * reading dst's source once dst's queue is above the high-water mark. */
static void
relay_send(struct relay_side *dst, struct chunk *k, size_t len)
{
	uv_buf_t b = uv_buf_init(k->data, (unsigned)len);
	int rc;

	k->dst = dst;
	k->len = len;
	rc = uv_write(&k->req, dst->s, &b, 1, relay_written);
	if (rc != 0) {
		chunk_put(dst->r, k);
		relay_close(dst->r, rc);
		return;
	}
	dst->queued += len;
	if (dst->queued > RELAY_HIGH_WATER)
		side_pause(dst->peer);
}

static void
relay_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct relay_side *side = h->data;
	struct chunk *k = chunk_get(side->r);

	(void)hint;
	buf->base = k->data;
	buf->len = k->cap;
}

static void
relay_shut(uv_shutdown_t *req, int status)
{
	struct relay_side *side = req->data;
	struct relay *r = side->r;

	if (r->closing)
		return;
	if (status < 0) {
		relay_close(r, status);
		return;
	}
	side->shut_done = 1;
	if (r->c.shut_done && r->s.shut_done)
		relay_close(r, 0);
}

/* EOF from src: no more bytes for its peer, whose write side is shut down
 * once what is queued for it has been written (uv_shutdown waits). */
static void
side_eof(struct relay_side *src)
{
	struct relay_side *dst = src->peer;
	int rc;

	src->eof = 1;
	src->reading = 0;
	dst->shut.data = dst;
	rc = uv_shutdown(&dst->shut, dst->s, relay_shut);
	if (rc != 0)
		relay_close(src->r, rc);
}

static void hold_read(struct relay *r, ssize_t nread, const uv_buf_t *buf);

static void
relay_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct relay_side *src = s->data;
	struct relay *r = src->r;

	if (src == &r->c && r->holding && (nread > 0 || nread == UV_EOF)) {
		hold_read(r, nread, buf);
		return;
	}
	if (nread > 0) {
		relay_touch(r);
		relay_send(src->peer, chunk_of(buf->base), (size_t)nread);
		return;
	}
	if (buf->base != NULL)
		chunk_put(r, chunk_of(buf->base));
	if (nread == 0)
		return;
	if (nread == UV_EOF)
		side_eof(src);
	else
		relay_close(r, (int)nread);
}

/* The idle deadline is checked lazily: bytes moving only update
 * last_activity, and the timer re-arms itself for the remainder, so a busy
 * tunnel costs no timer operations per read. */
static void
relay_idle(uv_timer_t *t)
{
	struct relay *r = t->data;
	uint64_t now = uv_now(r->loop);
	uint64_t quiet = now - r->last_activity;

	if (quiet >= r->idle_ms) {
		relay_close(r, UV_ETIMEDOUT);
		return;
	}
	uv_timer_start(&r->idle, relay_idle, r->idle_ms - quiet, 0);
}

static void
relay_pre(struct relay_side *dst, const char *p, size_t n)
{
	struct chunk *k;

	if (n == 0 || dst->r->closing)
		return;
	k = chunk_new(n);
	memcpy(k->data, p, n);
	relay_send(dst, k, n);
}

/* --- holding the client's first bytes (relay.h) ------------------------- */

static void
hold_deadline(uv_timer_t *t)
{
	relay_close(t->data, UV_ETIMEDOUT);
}

/* Sends the held bytes (and rest[0..n_rest), which arrived with the
 * last of them) on, and relays as usual from now on: on the copy path,
 * or by splice once what is queued has been written. */
static void
hold_release(struct relay *r, const char *rest, size_t n_rest)
{
	r->holding = 0;
	uv_timer_stop(r->hold_timer);
	relay_pre(&r->s, r->held, r->nheld);
	relay_pre(&r->s, rest, n_rest);
	free(r->held);
	r->held = NULL;
	if (r->closing || !r->splice_after_hold)
		return;
	side_pause(&r->c);
	side_pause(&r->s);
	r->mode = RELAY_SPLICE_PENDING;
	if (r->c.queued == 0 && r->s.queued == 0)
		relay_splice_begin(r);
}

static void
hold_add(struct relay *r, const char *p, size_t n)
{
	size_t room = r->hold.max - r->nheld, k = n < room ? n : room;
	int v;

	memcpy(r->held + r->nheld, p, k);
	r->nheld += k;
	v = r->hold.fn(r->hold.arg, r->held, r->nheld);
	if (v == RELAY_HOLD_MORE && r->nheld == r->hold.max)
		v = RELAY_HOLD_REFUSE; /* full, and still undecided */
	if (v == RELAY_HOLD_REFUSE) {
		relay_close(r, UV_EACCES);
	} else if (v == RELAY_HOLD_PASS) {
		hold_release(r, p + k, n - k);
	} else if (!uv_is_active((uv_handle_t *)r->hold_timer) &&
		   r->hold.deadline_ms > 0) {
		uv_timer_start(r->hold_timer, hold_deadline,
			       (uint64_t)r->hold.deadline_ms, 0);
	}
}

/* The client ended its side while held: a cut-short first message is
 * refused; a client that sent nothing has nothing to judge. */
static void
hold_eof(struct relay *r)
{
	if (r->nheld > 0) {
		relay_close(r, UV_EACCES);
		return;
	}
	r->holding = 0;
	r->splice_after_hold = 0;
	free(r->held);
	r->held = NULL;
	side_eof(&r->c);
}

/* A read from the client while held: bytes join the held ones. */
static void
hold_read(struct relay *r, ssize_t nread, const uv_buf_t *buf)
{
	if (nread > 0) {
		relay_touch(r);
		hold_add(r, buf->base, (size_t)nread);
	}
	if (buf->base != NULL)
		chunk_put(r, chunk_of(buf->base));
	if (nread == UV_EOF && r->holding)
		hold_eof(r);
}

static void
side_init(struct relay *r, struct relay_side *side, uv_stream_t *s,
	  struct relay_side *peer)
{
	side->r = r;
	side->s = s;
	side->peer = peer;
	side->fd = -1;
	side->flow.pipe[0] = side->flow.pipe[1] = -1;
	s->data = side;
}

void
relay_copy_begin(struct relay *r)
{
	r->mode = RELAY_COPY;
	side_resume(&r->c);
	side_resume(&r->s);
}

static void
hold_init(struct relay *r, const struct relay_hold *hold)
{
	r->hold = *hold;
	if (r->hold.max == 0)
		r->hold.max = RELAY_READ_SIZE;
	r->held = xmalloc(r->hold.max);
	r->hold_timer = xmalloc(sizeof(*r->hold_timer));
	uv_timer_init(r->loop, r->hold_timer);
	r->hold_timer->data = r;
	r->open++;
	r->holding = 1;
}

/* Byte counts are bytes whose write completed, the caller's pre-read bytes
 * included. idle_ms <= 0 turns the idle deadline off; the proxy always
 * passes one. */
struct relay *
relay_start(uv_loop_t *loop, uv_stream_t *client, uv_stream_t *server,
	    const char *pre_up, size_t n_up, const char *pre_down,
	    size_t n_down, int idle_ms, relay_done_fn *done, void *arg)
{
	return relay_start_held(loop, client, server, pre_up, n_up, pre_down,
				n_down, idle_ms, NULL, done, arg);
}

struct relay *
relay_start_held(uv_loop_t *loop, uv_stream_t *client, uv_stream_t *server,
		 const char *pre_up, size_t n_up, const char *pre_down,
		 size_t n_down, int idle_ms, const struct relay_hold *hold,
		 relay_done_fn *done, void *arg)
{
	struct relay *r = xcalloc(1, sizeof(*r));

	r->loop = loop;
	r->done = done;
	r->arg = arg;
	r->started_ns = uv_hrtime();
	r->idle_ms = idle_ms > 0 ? (uint64_t)idle_ms : 0;
	side_init(r, &r->c, client, &r->s);
	side_init(r, &r->s, server, &r->c);
	r->open = 3;
	uv_timer_init(loop, &r->idle);
	r->idle.data = r;
	relay_touch(r);
	/* The caller may have been reading these streams itself. */
	uv_read_stop(client);
	uv_read_stop(server);
	if (hold != NULL && hold->fn != NULL)
		hold_init(r, hold);
	/* TCP pairs splice, once the pre-read bytes are out (uv_poll may not
	 * watch an fd while its uv_tcp still has writes queued) and, when
	 * held, once the hold is passed (held bytes are read by copy). */
	if (relay_splice_possible(r)) {
		if (r->holding)
			r->splice_after_hold = 1;
		else
			r->mode = RELAY_SPLICE_PENDING;
	}
	if (!r->holding)
		relay_pre(&r->s, pre_up, n_up);
	relay_pre(&r->c, pre_down, n_down);
	if (!r->closing && r->mode == RELAY_COPY)
		relay_copy_begin(r);
	else if (!r->closing && r->c.queued == 0 && r->s.queued == 0)
		relay_splice_begin(r);
	if (!r->closing && r->idle_ms > 0)
		uv_timer_start(&r->idle, relay_idle, r->idle_ms, 0);
	if (!r->closing && r->holding && n_up > 0)
		hold_add(r, pre_up, n_up);
	return r;
}

void
relay_stop(struct relay *r)
{
	if (r != NULL)
		relay_close(r, 0);
}

size_t
relay_queued_bytes(const struct relay *r)
{
	return r->c.queued + r->s.queued + r->c.flow.n + r->s.flow.n;
}

bool
relay_spliced(const struct relay *r)
{
	return r->mode != RELAY_COPY;
}
