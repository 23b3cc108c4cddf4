/* client.c — one client connection of the HTTP proxy (client.h).
 *
 * Control flows one way: stream events and the exchange's two callbacks
 * (done, want_body) only record what happened and run client_pump(),
 * which is the one place that parses, starts and ends exchanges; a pump
 * asked for while one runs is folded into it. The struct outlives
 * client_close() until its timer (and any relay) has closed, so no frame
 * on the stack ever sees it freed. */
#include "proxy/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/http1.h"
#include "proxy/block.h"
#include "proxy/deadline.h"
#include "proxy/exchange.h"
#include "proxy/mitm.h"
#include "proxy/origin_pool.h"
#include "proxy/tunnel.h"

#define CL_IN_MAX (64 * 1024)	/* stop reading the client above this */
#define CL_TLS_ACCEPT_MS 10000	/* the client's TLS handshake (mitm) */

static const char connect_ok[] = "HTTP/1.1 200 OK\r\n\r\n";

enum client_state {
	CL_HEAD,
	CL_EXCHANGE,
	CL_HANDSHAKE,
	CL_TUNNEL,
	CL_FLUSH,
	CL_CLOSING,
};

struct client {
	struct proxy_conn base; /* first: a proxy_conn * is a client * */
	struct proxy *px;
	enum client_state state;
	struct stream *s;
	struct deadline dl;
	char peer[64];
	struct http1 *req;
	struct buf in;		/* client bytes not yet parsed */
	const struct http_head *head; /* the head an exchange will take */
	struct exchange *x;
	struct intercept mitm;	/* when intercepted is set */
	bool intercepted;
	struct origin_pool pool;
	struct tunnel *tunnel;
	int holds;		/* timer, relay: freed at zero once closing */
	bool paused;		/* the request parser stopped on an event */
	bool kick;		/* feed the parser once even with no input */
	bool pumping, again;	/* inside client_pump / run it once more */
	bool head_ready;	/* a head waits for its exchange */
	bool head_armed;	/* the head in progress has its deadline */
	bool x_done;		/* the exchange has its outcome */
	bool held;		/* the exchange splices the client's socket */
	bool draining;
	/* A transparent connection in limited mode (client_fixed): until its
	 * first head has come, what fails to be one is recorded as a raw
	 * connection the mode refuses. */
	bool raw_judged;
	char sniff[25];		/* its first bytes, until they tell */
	size_t n_sniff;
	struct proxy_state *raw_st;
};

static void client_pump(struct client *c);
static void client_close(struct client *c, const char *why);

/* --- life and death ------------------------------------------------------ */

static void
client_free(struct client *c)
{
	proxy_state_unref(c->raw_st);
	http1_free(c->req);
	buf_release(&c->in);
	proxy_conn_release(c->px, &c->base);
	free(c);
}

static void
unhold(struct client *c)
{
	if (--c->holds == 0 && c->state == CL_CLOSING)
		client_free(c);
}

static void
on_timer_gone(void *arg)
{
	unhold(arg);
}

/* A transparent connection whose first bytes were no HTTP request head
 * (a protocol where the server speaks first included: nothing came
 * before the deadline): recorded once, as protocol tcp. */
static void
judge_raw(struct client *c)
{
	if (c->raw_st == NULL || c->raw_judged)
		return;
	c->raw_judged = true;
	/* A TLS record (22: handshake) where plain HTTP was due. */
	proxy_record_raw_refusal(c->px, c->raw_st, c->mitm.host, c->mitm.port,
				 c->n_sniff > 0 && (unsigned char)c->sniff[0] == 22,
				 c->peer);
}

/* Does p[0..n) begin like an HTTP request line — a method of capital
 * letters, then a space? 1 yes, 0 not yet known, -1 no. Every method
 * there is fits; another protocol's first bytes (a TLS record, an SSH
 * banner) do not, and are refused at once rather than at the header
 * deadline. */
static int
sniff_http(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i <= 24; i++) {
		if (p[i] == ' ')
			return i > 0 ? 1 : -1;
		if (p[i] < 'A' || p[i] > 'Z')
			return -1;
	}
	return i > 24 ? -1 : 0;
}

/* A transparent connection's first bytes; false when they are refused
 * (the connection is closing). */
static bool
sniff_first(struct client *c, const char *p, size_t n)
{
	size_t k = sizeof(c->sniff) - c->n_sniff;
	int r;

	if (c->raw_st == NULL || c->raw_judged || c->state != CL_HEAD)
		return true;
	memcpy(c->sniff + c->n_sniff, p, n < k ? n : k);
	c->n_sniff += n < k ? n : k;
	r = sniff_http(c->sniff, c->n_sniff);
	if (r >= 0)
		return true;
	judge_raw(c);
	client_close(c, "not an HTTP request");
	return false;
}

static void
client_close(struct client *c, const char *why)
{
	if (c->state == CL_CLOSING)
		return;
	log_debug("http %s: closed: %s", c->peer, why);
	c->state = CL_CLOSING;
	exchange_free(c->x);
	c->x = NULL;
	origin_pool_drop(&c->pool);
	tunnel_stop(c->tunnel); /* its done callback unholds */
	stream_close(c->s);
	c->s = NULL;
	deadline_release(&c->dl, on_timer_gone, c);
}

static void
on_deadline(void *arg)
{
	struct client *c = arg;

	if (c->state == CL_HEAD)
		judge_raw(c);
	client_close(c, c->state == CL_FLUSH ? "deadline while flushing"
			: c->head_armed	     ? "header deadline"
					     : "keep-alive deadline");
}

static void
wait_for(struct client *c, enum deadline_wait w)
{
	deadline_set(&c->dl, w, c->px->state, on_deadline, c);
}

/* The first byte of a request head has arrived: the whole head must follow
 * within header_timeout_ms. Armed once per head, never pushed back by
 * later bytes, so a client trickling a byte at a time is still cut off. */
static void
head_started(struct client *c)
{
	if (c->head_armed)
		return;
	c->head_armed = true;
	wait_for(c, DL_HEAD);
}

/* --- the client stream --------------------------------------------------- */

static void
client_reading(struct client *c)
{
	bool on = (c->state == CL_HEAD || c->state == CL_EXCHANGE) &&
		  c->in.len < CL_IN_MAX && !c->held;

	if (c->s == NULL)
		return;
	if (!on) {
		stream_read_stop(c->s);
		return;
	}
	if (stream_read_start(c->s) != 0)
		client_close(c, "cannot read the client");
}

static void
on_read(void *arg, ssize_t n, const char *p)
{
	struct client *c = arg;

	if (n < 0) {
		/* EOF or error: between requests a clean end, else an abort. */
		if (c->state == CL_HEAD && c->n_sniff > 0)
			judge_raw(c);
		client_close(c, n == UV_EOF ? "client gone"
					    : uv_strerror((int)n));
		return;
	}
	if (buf_add(&c->in, p, (size_t)n) == -1) {
		client_close(c, "input overflow");
		return;
	}
	if (!sniff_first(c, p, (size_t)n))
		return;
	if (c->state == CL_HEAD)
		head_started(c);
	else
		deadline_touch(&c->dl);
	client_pump(c);
}

static void
on_written(void *arg, int status)
{
	struct client *c = arg;

	if (status < 0) {
		client_close(c, "write to the client failed");
		return;
	}
	deadline_touch(&c->dl);
	if (c->x != NULL)
		exchange_client_drained(c->x);
}

static void
on_shut(void *arg, int status)
{
	(void)status;
	client_close(arg, "closed after the answer");
}

/* Closes once everything queued to the client has been written. */
static void
close_after_flush(struct client *c)
{
	c->state = CL_FLUSH;
	stream_read_stop(c->s);
	wait_for(c, DL_TRANSFER);
	if (stream_shutdown(c->s, on_shut) != 0)
		client_close(c, "shutdown failed");
}

/* An error the proxy answers itself, outside any exchange. */
static void
answer_error(struct client *c, int status, const char *text)
{
	struct buf b;

	buf_init(&b, 8192);
	block_error(&b, status, text, true);
	if (stream_write(c->s, b.p, b.len) != 0)
		client_close(c, "write to the client failed");
	else
		close_after_flush(c);
	buf_release(&b);
}

/* --- the request parser's callbacks: flags only, the pump acts ----------- */

static int
req_on_head(void *arg, const struct http_head *h)
{
	struct client *c = arg;

	c->head = h;
	c->head_ready = true;
	c->raw_judged = true; /* an HTTP request: its exchange judges it */
	c->paused = true;
	return HTTP1_PAUSE;
}

static int
req_on_body(void *arg, const char *p, size_t n)
{
	struct client *c = arg;

	if (c->x == NULL || exchange_request_body(c->x, p, n) != HTTP1_PAUSE)
		return 0;
	c->paused = true;
	return HTTP1_PAUSE;
}

static int
req_on_complete(void *arg)
{
	struct client *c = arg;

	c->paused = true;
	if (c->x != NULL)
		exchange_request_end(c->x);
	return HTTP1_PAUSE;
}

static const struct http1_callbacks req_callbacks = {
	req_on_head,
	req_on_body,
	req_on_complete,
};

/* --- exchanges ----------------------------------------------------------- */

static void
x_done(void *arg)
{
	struct client *c = arg;

	c->x_done = true;
	client_pump(c);
}

static void
x_want_body(void *arg)
{
	struct client *c = arg;

	c->paused = false;
	c->kick = true;
	client_pump(c);
}

static void
x_hold_client(void *arg, bool held)
{
	struct client *c = arg;

	c->held = held;
	client_reading(c);
}

/* A body moved by splice: count it in the parser, then read on. */
static void
x_body_moved(void *arg, uint64_t n)
{
	struct client *c = arg;

	c->held = false;
	if (n > 0 && http1_skip_body(c->req, n) == 1) {
		c->paused = true; /* as on_complete does */
		if (c->x != NULL)
			exchange_request_end(c->x);
	}
	client_pump(c);
}

static const struct exchange_owner owner = {x_done, x_want_body,
					    x_hold_client, x_body_moved};

static void
start_exchange(struct client *c)
{
	struct exchange_opts o = {0};

	o.px = c->px;
	o.owner = &owner;
	o.arg = c;
	o.client = c->s;
	o.dl = &c->dl;
	o.pool = &c->pool;
	o.mitm = c->intercepted ? &c->mitm : NULL;
	o.peer = c->peer;
	o.draining = c->draining;
	c->x = exchange_new(&o);
	c->state = CL_EXCHANGE;
	exchange_start(c->x, c->head, c->in.p, c->in.len);
}

/* The exchange answered: on to the next request. */
static void
next_request(struct client *c)
{
	if (c->draining) {
		close_after_flush(c);
		return;
	}
	c->state = CL_HEAD;
	c->head = NULL;
	c->head_armed = false;
	c->paused = false;
	if (c->in.len > 0)
		head_started(c); /* pipelined: the next head has begun */
	else
		wait_for(c, DL_KEEPALIVE);
}

static void
on_tunnel_done(void *arg)
{
	struct client *c = arg;

	c->tunnel = NULL;
	client_close(c, "tunnel done"); /* frees nothing before it returns */
	unhold(c);
}

/* CONNECT allowed: both sockets go to a relay. */
static void
start_tunnel(struct client *c, struct exchange *x)
{
	struct exchange_tunnel t;
	struct tunnel_opts o = {0};
	uv_tcp_t *cl, *dest;
	struct buf down;

	exchange_tunnel(x, &t);
	dest = stream_tcp_detach(t.origin);
	cl = stream_tcp_detach(c->s);
	if (dest == NULL || cl == NULL) {
		stream_close(t.origin);
		client_close(c, "tunnel over a stream that is not TCP");
		return;
	}
	c->s = NULL;
	buf_init(&down, sizeof(connect_ok) + UPSTREAM_HEAD_MAX);
	buf_add(&down, connect_ok, sizeof(connect_ok) - 1);
	buf_add(&down, t.pre, t.n_pre);
	o.px = c->px;
	o.st = t.st;
	o.host = t.host;
	o.port = t.port;
	o.protocol = "https_connect";
	o.peer = c->peer;
	o.pre_up = c->in.p;
	o.n_up = c->in.len;
	o.pre_down = down.p;
	o.n_down = down.len;
	deadline_set(&c->dl, DL_NONE, c->px->state, NULL, NULL);
	c->state = CL_TUNNEL;
	c->holds++;
	c->tunnel = tunnel_start(&o, cl, dest, on_tunnel_done, c);
	buf_reset(&c->in);
	buf_release(&down);
}

static void
on_client_tls(void *arg, int status, const char *why)
{
	struct client *c = arg;

	if (status != 0) {
		log_info("mitm %s: %s:%u: client did not complete TLS: %s",
			 c->peer, c->mitm.host, c->mitm.port, why);
		client_close(c, "client did not complete TLS");
		return;
	}
	c->state = CL_HEAD;
	c->head_armed = false;
	c->paused = false;
	head_started(c); /* the first request inside owes its head at once */
	client_pump(c);
}

/* Wraps the client's stream in TLS presenting a leaf for the tunnel's
 * host; pre[0..n) are bytes of the client's TLS already read. */
static void
accept_tls(struct client *c, const char *pre, size_t n)
{
	SSL *ssl = mitm_server_ssl(c->mitm.host);

	if (ssl == NULL) {
		client_close(c, "cannot set up tls");
		return;
	}
	http1_free(c->req);
	c->req = http1_new(HTTP1_REQUEST, &req_callbacks, c, 0);
	c->intercepted = true;
	c->state = CL_HANDSHAKE;
	deadline_set(&c->dl, DL_CLIENT_TLS, c->px->state, on_deadline, c);
	c->s = stream_tls_new(c->s, ssl, pre, n, CL_TLS_ACCEPT_MS,
			      on_client_tls, c);
	stream_set_owner(c->s, c, on_read, on_written);
	buf_reset(&c->in);
}

/* The tunnel's host as the interception serves it: no brackets. */
static void
set_intercept(struct client *c, const char *host, uint16_t port,
	      bool approved)
{
	const char *h = host;
	size_t n;

	if (*h == '[')
		h++;
	n = strcspn(h, "]");
	snprintf(c->mitm.host, sizeof(c->mitm.host), "%.*s", (int)n, h);
	c->mitm.port = port;
	c->mitm.is_ip = mitm_is_ip(c->mitm.host);
	c->mitm.approved = approved;
}

/* CONNECT allowed and intercepted: the 200 rides ahead of the TLS. */
static void
start_intercept(struct client *c, struct exchange *x)
{
	struct exchange_tunnel t;

	exchange_tunnel(x, &t);
	set_intercept(c, t.host, t.port, t.approved);
	if (stream_write(c->s, connect_ok, sizeof(connect_ok) - 1) != 0) {
		client_close(c, "write to the client failed");
		return;
	}
	accept_tls(c, c->in.p, c->in.len);
}

static void
finish_exchange(struct client *c)
{
	struct exchange *x = c->x;

	switch (exchange_outcome(x)) {
	case EXCHANGE_NEXT:
		next_request(c);
		break;
	case EXCHANGE_CLOSE:
		close_after_flush(c);
		break;
	case EXCHANGE_ABORT:
		client_close(c, "exchange aborted");
		break;
	case EXCHANGE_TUNNEL:
		start_tunnel(c, x);
		break;
	case EXCHANGE_UPGRADE:
		start_intercept(c, x);
		break;
	}
	if (c->x == x) {
		c->x = NULL;
		exchange_free(x);
	}
	c->held = false;
}

/* --- the pump ------------------------------------------------------------ */

static bool
serving(const struct client *c)
{
	return c->state == CL_HEAD || c->state == CL_EXCHANGE;
}

/* One step; false when there is nothing more to do now. */
static bool
pump_once(struct client *c)
{
	ssize_t n;

	if (c->x_done) {
		c->x_done = false;
		finish_exchange(c);
		return true;
	}
	if (c->head_ready) {
		c->head_ready = false;
		start_exchange(c);
		return true;
	}
	if (c->paused || (c->in.len == 0 && !c->kick))
		return false;
	/* A kick feeds even nothing: a bodiless request whose on_head
	 * paused still owes us its on_complete. */
	c->kick = false;
	n = http1_feed(c->req, c->in.len ? c->in.p : "", c->in.len);
	if (n < 0) {
		judge_raw(c);
		if (c->x != NULL)
			exchange_error(c->x, http1_error_status(c->req),
				       http1_error_text(c->req));
		else
			answer_error(c, http1_error_status(c->req),
				     http1_error_text(c->req));
		return c->x_done;
	}
	buf_consume(&c->in, (size_t)n);
	return n > 0 || c->paused || c->head_ready || c->x_done;
}

/* All input is parsed and the parser waits for more of a Content-Length
 * body: the exchange may move the rest by splice. */
static void
maybe_splice_body(struct client *c)
{
	uint64_t left;

	if (c->x == NULL || c->state != CL_EXCHANGE || c->paused || c->held ||
	    c->in.len > 0)
		return;
	left = http1_body_left(c->req);
	if (left > 0 && exchange_splice_body(c->x, left))
		c->held = true;
}

static void
client_pump(struct client *c)
{
	if (c->pumping) {
		c->again = true; /* the running pump sees what changed */
		return;
	}
	c->pumping = true;
	do {
		c->again = false;
		while (serving(c) && pump_once(c))
			;
	} while (c->again && serving(c));
	c->pumping = false;
	maybe_splice_body(c);
	client_reading(c);
}

/* --- shutdown hooks ------------------------------------------------------ */

static void
client_drain(struct proxy_conn *pc)
{
	struct client *c = (struct client *)pc;

	c->draining = true;
	if (c->x != NULL)
		exchange_drain(c->x);
	if ((c->state == CL_HEAD && http1_idle(c->req) && c->in.len == 0) ||
	    c->state == CL_HANDSHAKE)
		client_close(c, "draining");
}

static void
client_kill(struct proxy_conn *pc)
{
	client_close((struct client *)pc, "killed");
}

/* --- entry points -------------------------------------------------------- */

static struct client *
client_new(struct proxy *px, struct stream *s, const char *peer)
{
	struct client *c = xcalloc(1, sizeof(*c));

	c->base.drain = client_drain;
	c->base.kill = client_kill;
	if (!proxy_conn_admit(px, &c->base)) {
		free(c);
		return NULL;
	}
	c->px = px;
	c->s = s;
	stream_set_owner(s, c, on_read, on_written);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	buf_init(&c->in, 2 * CL_IN_MAX);
	deadline_init(&c->dl, px->loop);
	c->holds = 1; /* the timer */
	origin_pool_init(&c->pool, px->loop);
	c->req = http1_new(HTTP1_REQUEST, &req_callbacks, c, 0);
	return c;
}

int
client_serve(struct proxy *px, struct stream *s, const char *peer)
{
	struct client *c = client_new(px, s, peer);

	if (c == NULL)
		return -1;
	c->state = CL_HEAD;
	head_started(c); /* a new connection owes its first head at once */
	client_reading(c);
	return 0;
}

int
client_fixed(struct proxy *px, struct stream *s, const char *host,
	     uint16_t port, struct proxy_state *st, const char *peer)
{
	struct client *c = client_new(px, s, peer);

	if (c == NULL)
		return -1;
	set_intercept(c, host, port, false);
	c->mitm.plain = true;
	c->intercepted = true;
	c->raw_st = st;
	st->refs++;
	c->state = CL_HEAD;
	head_started(c);
	client_reading(c);
	return 0;
}

int
client_intercept(struct proxy *px, struct stream *s, const char *host,
		 uint16_t port, bool approved, const char *pre_in, size_t n_in,
		 const char *reply, size_t n_reply, const char *peer)
{
	struct client *c = client_new(px, s, peer);

	if (c == NULL)
		return -1;
	set_intercept(c, host, port, approved);
	if (n_reply > 0 && stream_write(c->s, reply, n_reply) != 0)
		client_close(c, "write to the client failed");
	else
		accept_tls(c, pre_in, n_in);
	return 0;
}
