/* admin.c — connections of the admin API listener: HTTP/1.1 framing with
 * keep-alive, caps and deadlines; admin_routes.c decides the answers.
 *
 * A connection reads requests through the strict http1 parser (head cap
 * ADMIN_MAX_HEAD). Each complete request is answered at once, in order, so
 * pipelined requests get their responses in sequence; reading stops while
 * more than ADMIN_WRITE_HIGH bytes of responses wait to be sent.
 *
 * Refusals that come before the body is read (a body over ADMIN_MAX_BODY:
 * 413; a request with a body but no valid token: 401) are answered with
 * connection: close, since the rest of the input cannot be trusted to be
 * framed as we think. Every answer that closes is followed by a lingering
 * close: shut down our side, then read and discard for up to
 * ADMIN_LINGER_MS, so the peer reads the response instead of a reset.
 *
 * States, in order: READING (requests) → FLUSHING (last response queued)
 * → LINGER (our side shut down) → CLOSED (handles closing; freed when the
 * last close callback runs). One timer holds the deadline of each state:
 * the state's header_timeout_ms for a whole request (head and body) from
 * its first byte, keepalive_timeout_ms idle between requests. */
#include "proxy/proxy_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "proxy/admin_routes.h"
#include "proxy/block.h"
#include "net/http1.h"

#define ADMIN_MAX_HEAD (16 * 1024)
#define ADMIN_MAX_RESPONSE (8 * 1024 * 1024)
#define ADMIN_WRITE_HIGH (256 * 1024)
#define ADMIN_LINGER_MS 2000
#define ADMIN_READ_CHUNK (16 * 1024)

/* Deadlines of the state in force when the timer is armed. */
#define HEADER_MS(c) ((c)->p->state->header_timeout_ms)
#define KEEPALIVE_MS(c) ((c)->p->state->keepalive_timeout_ms)

enum admin_state {
	ADMIN_ST_READING,
	ADMIN_ST_FLUSHING,
	ADMIN_ST_LINGER,
	ADMIN_ST_CLOSED,
};

struct admin_conn {
	struct proxy_conn pc; /* first: the registry hands this back */
	struct proxy *p;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_shutdown_t shut;
	struct http1 *parser;
	enum admin_state st;
	int handles;      /* handles not yet closed */
	size_t writes;    /* writes in flight */
	bool reading;
	bool draining;    /* the proxy is stopping: close after this request */
	bool in_request;  /* bytes of a request seen, not answered yet */
	/* the request being read */
	char method[16];
	char path[256];
	bool authorized;
	bool keep_alive;
	bool upgrade;     /* CONNECT: what follows is not HTTP; close */
	bool answered;    /* refused early; ignore the rest of it */
	struct buf body;
	char rbuf[ADMIN_READ_CHUNK];
};

struct admin_write {
	uv_write_t req;
	struct admin_conn *c;
	char *data;
};

static void conn_close(struct admin_conn *c);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);

/* --- life cycle ----------------------------------------------------------------- */

static void
on_handle_closed(uv_handle_t *h)
{
	struct admin_conn *c = h->data;

	if (--c->handles > 0)
		return;
	http1_free(c->parser);
	buf_release(&c->body);
	free(c);
}

static void
conn_close(struct admin_conn *c)
{
	if (c->st == ADMIN_ST_CLOSED)
		return;
	c->st = ADMIN_ST_CLOSED;
	proxy_conn_release(c->p, &c->pc);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void
on_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

static void
arm(struct admin_conn *c, uint64_t ms)
{
	uv_timer_start(&c->timer, on_timeout, ms, 0);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct admin_conn *c = h->data;

	(void)hint;
	b->base = c->rbuf;
	b->len = sizeof(c->rbuf);
}

static void
read_start(struct admin_conn *c)
{
	if (!c->reading && uv_read_start((uv_stream_t *)&c->tcp, alloc_cb,
					 on_read) == 0)
		c->reading = true;
}

static void
read_stop(struct admin_conn *c)
{
	if (c->reading)
		uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = false;
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	struct admin_conn *c = req->data;

	if (c->st != ADMIN_ST_FLUSHING)
		return; /* closed meanwhile */
	if (status < 0) {
		conn_close(c);
		return;
	}
	c->st = ADMIN_ST_LINGER;
	arm(c, ADMIN_LINGER_MS);
	read_start(c);
}

/* All of the last response is written: shut our side down, then linger. */
static void
finish(struct admin_conn *c)
{
	c->shut.data = c;
	if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
		conn_close(c);
}

/* --- writing ----------------------------------------------------------------------- */

static void
on_write(uv_write_t *req, int status)
{
	struct admin_write *w = (struct admin_write *)req;
	struct admin_conn *c = w->c;

	free(w->data);
	free(w);
	c->writes--;
	if (c->st == ADMIN_ST_CLOSED)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->st == ADMIN_ST_FLUSHING && c->writes == 0)
		finish(c);
	else if (c->st == ADMIN_ST_READING &&
		 c->tcp.write_queue_size < ADMIN_WRITE_HIGH / 2)
		read_start(c);
}

/* Queues out's bytes (taking them); with close, nothing more is read. */
static void
send_response(struct admin_conn *c, struct buf *out, bool close)
{
	struct admin_write *w = xcalloc(1, sizeof(*w));
	size_t n;
	uv_buf_t b;

	w->c = c;
	w->data = buf_detach(out, &n);
	b = uv_buf_init(w->data, (unsigned int)n);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
		free(w->data);
		free(w);
		conn_close(c);
		return;
	}
	c->writes++;
	if (close) {
		c->st = ADMIN_ST_FLUSHING;
		read_stop(c);
		arm(c, HEADER_MS(c)); /* the peer must read it */
	} else if (c->tcp.write_queue_size >= ADMIN_WRITE_HIGH) {
		read_stop(c);
	}
}

/* A refusal before the request is complete: answer and close. */
static int
refuse(struct admin_conn *c, int status, const char *text)
{
	struct buf out;

	buf_init(&out, ADMIN_MAX_RESPONSE);
	if (status == 401)
		admin_unauthorized(&out, true);
	else
		block_error(&out, status, text, true);
	c->answered = true;
	send_response(c, &out, true);
	buf_release(&out);
	return HTTP1_PAUSE;
}

/* --- parsing ------------------------------------------------------------------------- */

static void
copy_slice(char *dst, size_t cap, struct slice s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;

	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* A client that waits for 100 Continue gets it once the head passed. */
static void
maybe_continue(struct admin_conn *c, const struct http_head *h)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	const struct http_header *e = http_msg_find(h, "expect");
	struct buf out;

	if (e == NULL || h->framing == HTTP_FRAMING_NONE ||
	    e->value.n != 12 || strncasecmp(e->value.p, "100-continue", 12) != 0)
		return;
	buf_init(&out, sizeof(cont));
	buf_add(&out, cont, sizeof(cont) - 1);
	send_response(c, &out, false);
	buf_release(&out);
}

/* HEAD answers carry the head alone (the length of the body they name
 * stays in content-length). */
static void
strip_body(struct buf *out)
{
	const char *end = memmem(out->p, out->len, "\r\n\r\n", 4);

	if (end == NULL)
		return;
	out->len = (size_t)(end - out->p) + 4;
	out->p[out->len] = '\0'; /* keep buf's NUL after the bytes */
}

static int
on_head(void *arg, const struct http_head *h)
{
	struct admin_conn *c = arg;
	struct slice path = h->target;
	const char *q = memchr(path.p, '?', path.n);

	if (q != NULL)
		path.n = (size_t)(q - path.p);
	/* A method or path too long for the copy cannot name a route: make
	 * it one that matches nothing. */
	copy_slice(c->method, sizeof(c->method), h->method);
	if (h->method.n >= sizeof(c->method))
		c->method[0] = '\0';
	copy_slice(c->path, sizeof(c->path), path);
	if (path.n >= sizeof(c->path))
		c->path[0] = '\0';
	c->authorized = admin_authorized(c->p, h);
	c->keep_alive = h->keep_alive;
	c->upgrade = h->upgrade;
	c->answered = false;
	buf_reset(&c->body);
	if (!c->authorized && h->framing != HTTP_FRAMING_NONE)
		return refuse(c, 401, "unauthorized");
	if (h->framing == HTTP_FRAMING_LENGTH &&
	    h->content_length > ADMIN_MAX_BODY)
		return refuse(c, 413, "body too large");
	maybe_continue(c, h);
	return 0;
}

static int
on_body(void *arg, const char *p, size_t n)
{
	struct admin_conn *c = arg;

	if (c->answered)
		return HTTP1_PAUSE;
	if (buf_add(&c->body, p, n) == -1)
		return refuse(c, 413, "body too large");
	return 0;
}

static int
on_complete(void *arg)
{
	struct admin_conn *c = arg;
	struct admin_request rq = {0};
	struct buf out;

	if (c->answered)
		return HTTP1_PAUSE;
	rq.method = c->method;
	rq.path = c->path;
	rq.body = c->body.p != NULL ? c->body.p : "";
	rq.body_len = c->body.len;
	rq.close = !c->keep_alive || c->draining || c->upgrade;
	buf_init(&out, ADMIN_MAX_RESPONSE);
	if (!c->authorized)
		admin_unauthorized(&out, rq.close);
	else
		admin_route(c->p, &rq, &out);
	if (strcmp(c->method, "HEAD") == 0)
		strip_body(&out);
	c->in_request = false;
	send_response(c, &out, rq.close);
	buf_release(&out);
	return rq.close ? HTTP1_PAUSE : 0;
}

static const struct http1_callbacks callbacks = {
	.on_head = on_head,
	.on_body = on_body,
	.on_complete = on_complete,
};

/* Feeds what arrived. Then the deadline: between requests the idle one;
 * for a request that has begun (maybe behind others answered just now in
 * the same bytes) the request deadline, from its first byte on. */
static void
feed(struct admin_conn *c, const char *p, size_t n)
{
	struct buf out;

	if (http1_feed(c->parser, p, n) != -1) {
		if (c->st != ADMIN_ST_READING)
			return;
		if (http1_idle(c->parser)) {
			c->in_request = false;
			arm(c, KEEPALIVE_MS(c));
		} else if (!c->in_request) {
			c->in_request = true;
			arm(c, HEADER_MS(c));
		}
		return;
	}
	buf_init(&out, 4096);
	block_error(&out, http1_error_status(c->parser),
		    http1_error_text(c->parser), true);
	send_response(c, &out, true);
	buf_release(&out);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct admin_conn *c = s->data;

	if (nread == 0)
		return;
	if (nread < 0) {
		/* EOF or error: finish writing what is queued, if anything. */
		if (c->st == ADMIN_ST_READING && c->writes > 0) {
			c->st = ADMIN_ST_FLUSHING;
			read_stop(c);
		} else {
			conn_close(c);
		}
		return;
	}
	if (c->st == ADMIN_ST_READING)
		feed(c, b->base, (size_t)nread);
	/* LINGER and FLUSHING discard: the peer is only being drained. */
}

/* --- registry hooks ---------------------------------------------------------------------- */

static void
conn_drain(struct proxy_conn *pc)
{
	struct admin_conn *c = (struct admin_conn *)pc;

	c->draining = true;
	if (c->st != ADMIN_ST_READING || c->in_request)
		return; /* on_complete or the flush will close it */
	read_stop(c);
	if (c->writes > 0)
		c->st = ADMIN_ST_FLUSHING;
	else
		conn_close(c);
}

static void
conn_kill(struct proxy_conn *pc)
{
	conn_close((struct admin_conn *)pc);
}

/* --- accept ------------------------------------------------------------------------------ */

static void
refuse_over_cap(struct admin_conn *c)
{
	struct buf out;

	buf_init(&out, 4096);
	block_error(&out, 503, "too many connections", true);
	send_response(c, &out, true);
	buf_release(&out);
}

void
admin_accept(uv_stream_t *listener, int status)
{
	struct proxy *p = listener->data;
	struct admin_conn *c;

	if (status < 0) {
		log_warn("admin: accept: %s", uv_strerror(status));
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->p = p;
	c->pc.drain = conn_drain;
	c->pc.kill = conn_kill;
	c->pc.prev = c->pc.next = &c->pc;
	c->parser = http1_new(HTTP1_REQUEST, &callbacks, c, ADMIN_MAX_HEAD);
	buf_init(&c->body, ADMIN_MAX_BODY);
	uv_tcp_init(p->loop, &c->tcp);
	uv_timer_init(p->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->handles = 2;
	c->st = ADMIN_ST_READING;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	if (!proxy_conn_admit(p, &c->pc)) {
		refuse_over_cap(c);
		return;
	}
	arm(c, HEADER_MS(c));
	read_start(c);
}
