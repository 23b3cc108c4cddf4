/* http_proxy.c — the HTTP proxy listener, client side (http_conn.h). */
#include "proxy/http_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/dial.h"
#include "net/http_parse.h"
#include "net/listen.h"
#include "net/relay.h"
#include "proxy/block.h"
#include "proxy/mitm.h"

/* --- handles and closing ------------------------------------------------------ */

static void
hc_free(struct hconn *c)
{
	http1_free(c->req);
	http1_free(c->resp);
	buf_release(&c->in);
	buf_release(&c->oin);
	proxy_state_unref(c->st);
	proxy_conn_release(c->px, &c->base);
	mitm_tunnel_free(c->mitm);
	free(c);
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct hconn *c = h->data;

	free(h);
	if (--c->handles == 0 && c->state == HC_CLOSING && c->relay == NULL)
		hc_free(c);
}

void
hc_close_handle(struct hconn *c, uv_handle_t *h)
{
	if (h == NULL || uv_is_closing(h))
		return;
	h->data = c;
	uv_close(h, on_handle_closed);
}

void
hc_close(struct hconn *c, const char *why)
{
	(void)why;
	if (c->state == HC_CLOSING)
		return;
	c->state = HC_CLOSING;
	proxy_decide_cancel(c->decide);
	c->decide = NULL;
	if (c->dial != NULL)
		dial_cancel(c->dial);
	c->dial = NULL;
	upstream_connect_cancel(c->up);
	c->up = NULL;
	hf_drop_parked(c);
	mitm_inner_close(c);
	if (c->relay != NULL)
		relay_stop(c->relay); /* its done callback finishes us */
	hc_close_handle(c, (uv_handle_t *)c->client);
	hc_close_handle(c, (uv_handle_t *)c->origin);
	hc_close_handle(c, (uv_handle_t *)c->timer);
	c->client = NULL;
	c->origin = NULL;
	c->timer = NULL;
	if (c->handles == 0 && c->relay == NULL)
		hc_free(c);
}

/* --- deadlines ---------------------------------------------------------------- */

static void
on_deadline(uv_timer_t *t)
{
	struct hconn *c = t->data;

	if (c->state == HC_FORWARD && c->resp_started)
		hc_close(c, "idle");
	else if (c->state == HC_FORWARD || c->state == HC_CONNECTING)
		hc_error(c, 504, "upstream timed out");
	else
		hc_close(c, "deadline");
}

void
hc_deadline(struct hconn *c, uint64_t ms)
{
	if (c->timer == NULL)
		return;
	uv_timer_start(c->timer, on_deadline, ms, 0);
}

/* The first byte of a request head has arrived: the whole head must follow
 * within header_timeout_ms. Armed once per head, never pushed back by
 * later bytes, so a client trickling a byte at a time is still cut off. */
static void
hc_head_started(struct hconn *c)
{
	if (c->head_armed)
		return;
	c->head_armed = true;
	hc_deadline(c, c->px->state->header_timeout_ms);
}

/* --- writing ------------------------------------------------------------------ */

struct hc_write_req {
	uv_write_t w;
	struct hconn *c;
	char data[];
};

static void
on_written(uv_write_t *w, int status)
{
	struct hc_write_req *r = (struct hc_write_req *)w;
	struct hconn *c = r->c;
	bool to_client = c->client != NULL && w->handle == (uv_stream_t *)c->client;
	bool to_origin = c->origin != NULL && w->handle == (uv_stream_t *)c->origin;

	free(r);
	if (c->state == HC_CLOSING)
		return;
	if (status < 0) {
		hc_close(c, "write failed");
		return;
	}
	if (to_client && c->state == HC_FORWARD &&
	    uv_stream_get_write_queue_size((uv_stream_t *)c->client) <
		    HC_WRITE_HIGH / 4)
		hf_client_drained(c);
	else if (to_origin && c->state == HC_FORWARD &&
		 uv_stream_get_write_queue_size((uv_stream_t *)c->origin) <
			 HC_WRITE_HIGH / 4)
		hf_origin_drained(c);
}

void
hc_write(struct hconn *c, uv_stream_t *s, const char *p, size_t n)
{
	struct hc_write_req *r;
	uv_buf_t b;

	if (s == NULL || n == 0)
		return;
	r = xmalloc(sizeof(*r) + n);
	r->c = c;
	memcpy(r->data, p, n);
	b = uv_buf_init(r->data, (unsigned)n);
	if (uv_write(&r->w, s, &b, 1, on_written) != 0) {
		free(r);
		hc_close(c, "write failed");
	}
}

static void
on_shutdown_done(uv_shutdown_t *sd, int status)
{
	struct hconn *c = sd->data;

	(void)status;
	free(sd);
	hc_close(c, "closed after reply");
}

/* Closes once everything queued to the client has been written. */
static void
hc_close_after_flush(struct hconn *c)
{
	uv_shutdown_t *sd;

	hc_client_read(c, false);
	if (c->client == NULL) {
		hc_close(c, "no client");
		return;
	}
	c->state = HC_REPLY;
	sd = xcalloc(1, sizeof(*sd));
	sd->data = c;
	if (uv_shutdown(sd, (uv_stream_t *)c->client, on_shutdown_done) != 0) {
		free(sd);
		hc_close(c, "shutdown failed");
	}
}

/* --- exchanges ---------------------------------------------------------------- */

/* Called by hc_pump only (never from inside the parser). */
static void
hc_exchange_done(struct hconn *c)
{
	hf_end_origin(c);
	proxy_state_unref(c->st);
	c->st = NULL;
	c->head = NULL;
	c->req_done = c->resp_done = c->replying = c->resp_started = false;
	if (c->close_after || c->draining) {
		hc_close_after_flush(c);
		return;
	}
	c->state = HC_HEAD;
	c->head_armed = false;
	if (c->in.len > 0)
		hc_head_started(c); /* pipelined: the next head has begun */
	else
		hc_deadline(c, c->px->state->keepalive_timeout_ms);
	c->paused = false;
}

void
hc_reply(struct hconn *c, struct buf *resp, bool close)
{
	/* A refused request's body is never read: close rather than skip it. */
	if (c->head != NULL && c->head->framing != HTTP_FRAMING_NONE)
		close = true;
	hc_write(c, (uv_stream_t *)c->client, resp->p, resp->len);
	c->close_after |= close;
	if (c->close_after) {
		hc_close_after_flush(c);
		return;
	}
	/* Let the parser deliver this request's on_complete, then go on. */
	c->replying = true;
	c->state = HC_REPLY;
	c->paused = false;
	c->kick = true;
	hc_pump(c);
}

void
hc_error(struct hconn *c, int status, const char *text)
{
	struct buf b;

	if (c->resp_started || c->client == NULL) {
		hc_close(c, text);
		return;
	}
	hf_close_origin(c);
	buf_init(&b, 8192);
	block_error(&b, status, text, true);
	c->head = NULL;
	hc_reply(c, &b, true);
	buf_release(&b);
}

/* --- the request parser's callbacks: flags only, the pump acts ----------------- */

static int
req_on_head(void *arg, const struct http_head *h)
{
	struct hconn *c = arg;

	c->head = h;
	c->head_ready = true;
	c->paused = true;
	return HTTP1_PAUSE;
}

static int
req_on_body(void *arg, const char *p, size_t n)
{
	struct hconn *c = arg;

	if (c->state != HC_FORWARD)
		return 0;
	if (hf_request_body(c, p, n) == HTTP1_PAUSE) {
		c->paused = true;
		return HTTP1_PAUSE;
	}
	return 0;
}

static int
req_on_complete(void *arg)
{
	struct hconn *c = arg;

	c->paused = true;
	if (c->state == HC_REPLY) {
		c->exchange_end = true;
	} else if (c->state == HC_FORWARD) {
		hf_request_complete(c);
		c->req_done = true;
		c->exchange_end = c->resp_done;
	}
	return HTTP1_PAUSE;
}

static const struct http1_callbacks req_callbacks = {
	req_on_head,
	req_on_body,
	req_on_complete,
};

/* --- starting a request --------------------------------------------------------- */

static void start_request(struct hconn *c);

void
hc_pump(struct hconn *c)
{
	ssize_t n;

	if (c->pumping)
		return; /* the outer loop sees what changed */
	c->pumping = true;
	while (c->state != HC_CLOSING && c->state != HC_TUNNEL) {
		if (c->exchange_end) {
			c->exchange_end = false;
			hc_exchange_done(c);
		} else if (c->head_ready) {
			c->head_ready = false;
			start_request(c);
		} else if (c->paused || (c->in.len == 0 && !c->kick)) {
			break;
		} else {
			/* A kick feeds even nothing: a bodiless request whose
			 * on_head paused still owes us its on_complete. */
			c->kick = false;
			n = http1_feed(c->req, c->in.len ? c->in.p : "",
				       c->in.len);
			if (n < 0) {
				hc_error(c, http1_error_status(c->req),
					 http1_error_text(c->req));
				break;
			}
			buf_consume(&c->in, (size_t)n);
			if (n == 0 && !c->paused && !c->head_ready &&
			    !c->exchange_end)
				break;
		}
	}
	c->pumping = false;
	hc_client_read(c, c->state != HC_CLOSING && c->state != HC_TUNNEL &&
				  !c->paused);
}


static void
start_request(struct hconn *c)
{
	const struct http_head *h = c->head;
	const char *bad;

	c->is_connect = slice_eq_cstr(h->method, "CONNECT");
	snprintf(c->method, sizeof(c->method), "%.*s", (int)h->method.n,
		 h->method.p);
	if (c->mitm != NULL) {
		mitm_inner_start(c);
		return;
	}
	bad = c->is_connect ? http_msg_connect_target(h, &c->target)
			    : http_msg_request_target(h, &c->target);
	if (bad != NULL) {
		hc_error(c, 400, bad);
		return;
	}
	if (c->target.https) {
		hc_error(c, 501, "https:// targets need CONNECT");
		return;
	}
	if (h->framing == HTTP_FRAMING_CHUNKED &&
	    !http_parse_chunked_prefix_ok(c->in.p, c->in.len)) {
		hc_error(c, 400, "invalid chunk framing");
		return;
	}
	snprintf(c->host, sizeof(c->host), "%.*s", (int)c->target.host.n,
		 c->target.host.p);
	hc_decide(c, c->is_connect ? POLICY_PROTO_HTTPS_CONNECT : POLICY_PROTO_HTTP,
		  hr_decided);
}

void
hc_decide(struct hconn *c, enum policy_protocol proto, proxy_decide_cb *cb)
{
	const struct http_head *h = c->head;
	struct policy_request r = {0};

	c->req_is_head = slice_eq_cstr(h->method, "HEAD");
	c->req_keepalive = h->keep_alive;
	c->req_minor = h->version_minor;
	c->st = proxy_state_ref(c->px);
	if (!c->st->enabled) {
		/* 503, recorded like a decision (reference §7.2 step 5). */
		proxy_record_disabled(c->px, c->host, c->target.port,
				      policy_protocol_str(proto), c->method,
				      c->peer);
		hc_error(c, 503, "network proxy is disabled");
		return;
	}
	r.host = c->host;
	r.port = c->target.port;
	r.protocol = proto;
	r.method = c->method;
	r.has_body = h->framing == HTTP_FRAMING_CHUNKED ||
		     (h->framing == HTTP_FRAMING_LENGTH && h->content_length > 0);
	c->state = HC_DECIDING;
	hc_deadline(c, c->st->connect_timeout_ms + 5000);
	c->decide = proxy_decide_start(c->px, c->st, &r, c->peer, cb, c);
}

/* --- the client socket -------------------------------------------------------------- */

/* One loop, one thread: every client read lands in this buffer first and
 * is appended to that connection's input right away, so an idle
 * connection holds no read buffer at all. */
static char read_buf[HC_IN_MAX];

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct hconn *c = h->data;
	size_t room = HC_IN_MAX - c->in.len;

	(void)hint;
	*b = uv_buf_init(read_buf, (unsigned)room);
}

static void
on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct hconn *c = s->data;

	if (n == 0 || n == UV_ENOBUFS)
		return;
	if (n < 0) {
		/* EOF or error: between requests a clean end, else an abort. */
		hc_close(c, "client gone");
		return;
	}
	if (buf_add(&c->in, b->base, (size_t)n) == -1) {
		hc_close(c, "input overflow"); /* on_alloc bounds n: cannot happen */
		return;
	}
	if (c->state == HC_HEAD)
		hc_head_started(c);
	else if (c->state == HC_FORWARD)
		hc_deadline(c, c->st->idle_timeout_ms);
	hc_pump(c);
}

void
hc_client_read(struct hconn *c, bool on)
{
	if (c->client == NULL || uv_is_closing((uv_handle_t *)c->client))
		return;
	if (on && c->in.len < HC_IN_MAX)
		uv_read_start((uv_stream_t *)c->client, on_alloc, on_client_read);
	else
		uv_read_stop((uv_stream_t *)c->client);
}

/* --- shutdown hooks and accept --------------------------------------------------------- */

static void
hc_drain(struct proxy_conn *pc)
{
	struct hconn *c = (struct hconn *)pc;

	c->draining = true;
	if (c->state == HC_HEAD && http1_idle(c->req) && c->in.len == 0)
		hc_close(c, "draining");
}

static void
hc_kill(struct proxy_conn *pc)
{
	hc_close((struct hconn *)pc, "killed");
}

static void
free_plain_handle(uv_handle_t *h)
{
	free(h);
}

static void
refuse_over_cap(struct proxy *px, uv_stream_t *listener)
{
	uv_tcp_t *t = xcalloc(1, sizeof(*t));
	struct buf resp;
	uv_buf_t b;

	buf_init(&resp, 1024);
	block_error(&resp, 503, "proxy is at its connection limit", true);
	b = uv_buf_init(resp.p, (unsigned)resp.len);
	uv_tcp_init(px->loop, t);
	if (uv_accept(listener, (uv_stream_t *)t) == 0)
		uv_try_write((uv_stream_t *)t, &b, 1);
	uv_close((uv_handle_t *)t, free_plain_handle);
	buf_release(&resp);
}

static uv_handle_t *
new_handle(struct hconn *c, size_t size)
{
	uv_handle_t *h = xcalloc(1, size);

	h->data = c;
	c->handles++;
	return h;
}

static struct hconn *
hc_new(struct proxy *px)
{
	struct hconn *c = xcalloc(1, sizeof(*c));

	c->base.drain = hc_drain;
	c->base.kill = hc_kill;
	if (!proxy_conn_admit(px, &c->base)) {
		free(c);
		return NULL;
	}
	c->px = px;
	buf_init(&c->in, HC_IN_MAX);
	buf_init(&c->oin, HC_IN_MAX);
	c->timer = (uv_timer_t *)new_handle(c, sizeof(uv_timer_t));
	uv_timer_init(px->loop, c->timer);
	return c;
}

static void
hc_serve(struct hconn *c)
{
	c->req = http1_new(HTTP1_REQUEST, &req_callbacks, c, 0);
	c->state = HC_HEAD;
	/* A new connection owes its first head at once. */
	hc_head_started(c);
	hc_client_read(c, true);
}

void
http_proxy_accept(uv_stream_t *listener, int status)
{
	struct proxy *px = listener->data;
	struct hconn *c;

	if (status < 0)
		return;
	c = hc_new(px);
	if (c == NULL) {
		refuse_over_cap(px, listener);
		return;
	}
	c->client = (uv_tcp_t *)new_handle(c, sizeof(uv_tcp_t));
	uv_tcp_init(px->loop, c->client);
	if (uv_accept(listener, (uv_stream_t *)c->client) != 0) {
		hc_close(c, "accept failed");
		return;
	}
	uv_tcp_nodelay(c->client, 1);
	listen_peer(c->client, c->peer, sizeof(c->peer));
	hc_serve(c);
}

struct hconn *
hc_adopt(struct proxy *px, uv_tcp_t *client, const char *peer)
{
	struct hconn *c = hc_new(px);

	if (c == NULL) {
		uv_close((uv_handle_t *)client, free_plain_handle);
		return NULL;
	}
	c->client = client;
	client->data = c;
	c->handles++;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	hc_serve(c);
	return c;
}
