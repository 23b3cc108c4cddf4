/* http_forward.c — the origin side of a plain (non-CONNECT) request:
 * send the rewritten head, stream the body up, parse the response and
 * stream it down, re-framing bodies where the two sides differ
 * (http_conn.h). */
#include "proxy/http_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

static char origin_buf[64 * 1024];

static void
write_chunk(struct hconn *c, uv_stream_t *s, bool chunked, const char *p,
	    size_t n)
{
	char *tmp;
	int len;

	if (!chunked) {
		hc_write(c, s, p, n);
		return;
	}
	if (n == 0)
		return; /* a zero-size chunk would end the body */
	tmp = xmalloc(n + 32);
	len = snprintf(tmp, 32, "%zx\r\n", n);
	memcpy(tmp + len, p, n);
	memcpy(tmp + len + n, "\r\n", 2);
	hc_write(c, s, tmp, (size_t)len + n + 2);
	free(tmp);
}

static bool
over_high_water(uv_tcp_t *t)
{
	return t != NULL &&
	       uv_stream_get_write_queue_size((uv_stream_t *)t) > HC_WRITE_HIGH;
}

/* --- request body ------------------------------------------------------------------ */

int
hf_request_body(struct hconn *c, const char *p, size_t n)
{
	write_chunk(c, (uv_stream_t *)c->origin, c->chunk_up, p, n);
	return over_high_water(c->origin) ? HTTP1_PAUSE : 0;
}

void
hf_request_complete(struct hconn *c)
{
	if (c->chunk_up)
		hc_write(c, (uv_stream_t *)c->origin, "0\r\n\r\n", 5);
}

void
hf_origin_drained(struct hconn *c)
{
	if (!c->paused || c->req_done || c->head_ready || c->exchange_end)
		return;
	c->paused = false;
	hc_pump(c);
}

/* --- response ---------------------------------------------------------------------- */

static int
resp_on_head(void *arg, const struct http_head *h)
{
	struct hconn *c = arg;
	enum http_framing f = h->framing;
	uint64_t len = h->content_length;
	struct buf b;
	bool close;

	c->resp_interim = h->status < 200;
	if (!c->resp_interim)
		c->origin_reusable = h->keep_alive &&
				     h->framing != HTTP_FRAMING_EOF;
	close = !c->req_keepalive || c->draining;
	if (c->resp_interim) {
		f = HTTP_FRAMING_NONE;
		close = false;
	} else if (f == HTTP_FRAMING_NONE && c->req_is_head) {
		/* Keep a HEAD answer's Content-Length: it describes a GET. */
		f = http_msg_content_length(h, &len) == 0 ? HTTP_FRAMING_LENGTH
							    : HTTP_FRAMING_NONE;
	} else if (f == HTTP_FRAMING_CHUNKED || f == HTTP_FRAMING_EOF) {
		c->chunk_down = c->req_minor >= 1;
		f = c->chunk_down ? HTTP_FRAMING_CHUNKED : HTTP_FRAMING_EOF;
		close |= !c->chunk_down;
	}
	c->close_after |= close;
	buf_init(&b, HTTP1_DEFAULT_MAX_HEAD + 1024);
	if (http_msg_write_response(&b, h, f, len, close) == 0)
		hc_write(c, (uv_stream_t *)c->client, b.p, b.len);
	buf_release(&b);
	c->resp_started = true;
	return 0;
}

static int
resp_on_body(void *arg, const char *p, size_t n)
{
	struct hconn *c = arg;

	write_chunk(c, (uv_stream_t *)c->client, c->chunk_down, p, n);
	if (over_high_water(c->client)) {
		c->resp_paused = true;
		return HTTP1_PAUSE;
	}
	return 0;
}

static int
resp_on_complete(void *arg)
{
	struct hconn *c = arg;

	if (c->resp_interim)
		return 0;
	if (c->chunk_down)
		hc_write(c, (uv_stream_t *)c->client, "0\r\n\r\n", 5);
	c->resp_done = true;
	if (!c->req_done)
		c->close_after = true; /* answered before the body was sent */
	c->exchange_end = true;
	return HTTP1_PAUSE;
}

static const struct http1_callbacks resp_callbacks = {
	resp_on_head,
	resp_on_body,
	resp_on_complete,
};

/* Feeds origin bytes; whatever the parser leaves waits in c->oin. Returns
 * -1 after answering a broken response. */
static int
feed_response(struct hconn *c, const char *p, size_t n)
{
	ssize_t used;

	while (n > 0 && !c->resp_paused && !c->resp_done) {
		used = http1_feed(c->resp, p, n);
		if (used < 0) {
			hc_error(c, 502, "upstream failure");
			return -1;
		}
		p += used;
		n -= (size_t)used;
		if (used == 0 && !c->resp_paused && !c->resp_done)
			break;
	}
	if (n > 0 && c->resp_done)
		c->origin_reusable = false; /* bytes past the response */
	if (n > 0 && !c->resp_done && buf_add(&c->oin, p, n) == -1) {
		hc_close(c, "origin buffer overflow");
		return -1;
	}
	return 0;
}

static void
origin_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	*b = uv_buf_init(origin_buf, sizeof(origin_buf));
}

static bool
idempotent(const char *m)
{
	static const char *const ok[] = {"GET", "HEAD", "OPTIONS", "TRACE",
					 "PUT", "DELETE"};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(m, ok[i]) == 0)
			return true;
	return false;
}

/* A reused origin that went away before answering may have closed while
 * our request was on its way (its own keep-alive ran out): a bodiless
 * idempotent request is sent again once, on a new connection to the same
 * vetted address (RFC 9112 §9.3.1). */
static bool
retry_on_fresh_origin(struct hconn *c)
{
	struct resolve_result one;

	if (!c->origin_reused || c->resp_started || !c->req_done ||
	    c->head == NULL || c->head->framing != HTTP_FRAMING_NONE ||
	    !idempotent(c->method))
		return false;
	one.n = 1;
	one.addrs[0] = c->origin_addr;
	hf_close_origin(c);
	hc_deadline(c, c->st->connect_timeout_ms * 2 + 1000);
	hr_reach(c, &one, c->mitm != NULL, c->reached);
	return true;
}

static void
origin_eof(struct hconn *c)
{
	if (c->resp_done)
		return;
	if (http1_finish(c->resp) == 0 && c->resp_done)
		return;
	if (retry_on_fresh_origin(c))
		return;
	if (c->resp_started)
		hc_close(c, "origin cut the response short");
	else
		hc_error(c, 502, "upstream failure: connection closed before a "
				 "response");
}

static void
on_origin_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct hconn *c = s->data;

	if (n == 0)
		return;
	if (n < 0) {
		uv_read_stop(s);
		origin_eof(c);
	} else {
		hc_deadline(c, c->st->idle_timeout_ms);
		if (feed_response(c, b->base, (size_t)n) == -1)
			return;
		if (c->resp_paused || c->resp_done)
			uv_read_stop(s);
	}
	if (c->state != HC_CLOSING)
		hc_pump(c);
}

void
hf_client_drained(struct hconn *c)
{
	struct buf rest;

	if (!c->resp_paused || c->origin == NULL)
		return;
	c->resp_paused = false;
	rest = c->oin;
	buf_init(&c->oin, HC_IN_MAX);
	if (feed_response(c, rest.p ? rest.p : "", rest.len) == 0 &&
	    !c->resp_paused && !c->resp_done)
		uv_read_start((uv_stream_t *)c->origin, origin_alloc,
			      on_origin_read);
	buf_release(&rest);
	if (c->state != HC_CLOSING)
		hc_pump(c);
}

/* An HTTP upstream proxy takes the request in absolute form, with our
 * credentials for it: rewrites `M /path HTTP/1.1` in b to
 * `M http://host:port/path HTTP/1.1` and adds Proxy-Authorization. */
static int
to_absolute_form(struct hconn *c, struct buf *b)
{
	const char *sp = memchr(b->p, ' ', b->len);
	const char *eol = memmem(b->p, b->len, "\r\n", 2);
	char *auth = upstream_proxy_authorization(c->via);
	struct buf out;
	int rc = -1;

	buf_init(&out, b->max + 1024);
	if (sp == NULL || eol == NULL || sp > eol)
		goto out;
	buf_add(&out, b->p, (size_t)(sp - b->p) + 1);
	buf_printf(&out, c->target.ipv6 ? "http://[%s]:%u" : "http://%s:%u",
		   c->host, c->target.port);
	buf_add(&out, sp + 1, (size_t)(eol - sp) + 1);
	if (auth != NULL)
		buf_printf(&out, "Proxy-Authorization: %s\r\n", auth);
	if (buf_add(&out, eol + 2, b->len - (size_t)(eol + 2 - b->p)) == -1)
		goto out;
	buf_release(b);
	*b = out;
	buf_init(&out, 0);
	rc = 0;
out:
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	if (out.p != NULL)
		explicit_bzero(out.p, out.len);
	buf_release(&out);
	return rc;
}

/* --- start and end ------------------------------------------------------------------ */

void
hf_start(struct hconn *c, uv_tcp_t *origin)
{
	const struct http_head *h = c->head;
	bool close = c->via != NULL || !c->req_keepalive || c->draining;
	struct buf b;

	c->origin = origin;
	c->origin_reusable = false;
	origin->data = c;
	c->handles++;
	c->resp = http1_new(HTTP1_RESPONSE, &resp_callbacks, c, 0);
	http1_expect(c->resp, c->req_is_head ? HTTP1_EXPECT_HEAD
					     : HTTP1_EXPECT_OTHER);
	c->chunk_up = h->framing == HTTP_FRAMING_CHUNKED;
	buf_init(&b, HTTP1_DEFAULT_MAX_HEAD + 1024);
	if (http_msg_write_request(&b, h, &c->target, h->framing,
				   h->content_length, close) == -1) {
		buf_release(&b);
		hc_error(c, 431, "request head too large to forward");
		return;
	}
	if (c->via != NULL && to_absolute_form(c, &b) == -1) {
		buf_release(&b);
		hc_error(c, 431, "request head too large to forward");
		return;
	}
	hc_write(c, (uv_stream_t *)origin, b.p, b.len);
	buf_release(&b);
	c->state = HC_FORWARD;
	hc_deadline(c, c->st->idle_timeout_ms);
	uv_read_start((uv_stream_t *)origin, origin_alloc, on_origin_read);
	if (c->req_done)
		return; /* a retry: the request was read whole already */
	c->paused = false; /* the parser goes on with the body */
	c->kick = true;
}

void
hf_close_origin(struct hconn *c)
{
	if (c->origin != NULL)
		hc_close_handle(c, (uv_handle_t *)c->origin);
	c->origin = NULL;
	http1_free(c->resp);
	c->resp = NULL;
	buf_reset(&c->oin);
	c->resp_paused = c->resp_interim = false;
	c->chunk_up = c->chunk_down = false;
	c->via = NULL;
	c->origin_reused = false;
}

/* --- parking the origin between exchanges ---------------------------------------- */

static uint64_t origin_reuses;

uint64_t
hf_origin_reuses(void)
{
	return origin_reuses;
}

void
hf_drop_parked(struct hconn *c)
{
	if (c->park.tcp != NULL)
		hc_close_handle(c, (uv_handle_t *)c->park.tcp);
	c->park.tcp = NULL;
}

/* Anything from a parked origin — a byte nobody asked for, EOF, an
 * error — makes it unfit: drop it. */
static void
on_parked_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct hconn *c = s->data;

	(void)b;
	if (n == 0 || c->park.tcp != (uv_tcp_t *)s)
		return;
	uv_read_stop(s);
	hf_drop_parked(c);
}

static bool
origin_parkable(const struct hconn *c)
{
	return c->origin != NULL && c->origin_reusable && c->origin_direct &&
	       c->via == NULL && c->req_done && c->resp_done &&
	       !c->close_after && !c->draining && c->oin.len == 0 &&
	       !uv_is_closing((uv_handle_t *)c->origin) &&
	       uv_stream_get_write_queue_size((uv_stream_t *)c->origin) == 0;
}

/* Normalized form of c->host into out (HOST_TEXT_MAX); -1 if it has none. */
static int
normal_host(const struct hconn *c, char *out)
{
	struct host h;
	const char *why;

	if (host_normalize(c->host, strlen(c->host), HOST_NO_PORT, &h,
			   &why) == -1 || h.len == 0)
		return -1;
	memcpy(out, h.text, h.len + 1);
	return 0;
}

static bool
park_origin(struct hconn *c)
{
	struct hc_park *pk = &c->park;

	hf_drop_parked(c);
	if (normal_host(c, pk->host) == -1)
		return false;
	uv_read_stop((uv_stream_t *)c->origin);
	if (uv_read_start((uv_stream_t *)c->origin, origin_alloc,
			  on_parked_read) != 0)
		return false;
	pk->tcp = c->origin;
	pk->port = c->target.port;
	pk->tls = c->mitm != NULL;
	pk->addr = c->origin_addr;
	pk->since = uv_now(c->px->loop);
	c->origin = NULL;
	return true;
}

void
hf_end_origin(struct hconn *c)
{
	if (origin_parkable(c))
		park_origin(c);
	hf_close_origin(c);
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0 &&
		       a6->sin6_scope_id == b6->sin6_scope_id;
	return false;
}

static bool
park_fits(struct hconn *c, const struct resolve_result *addrs, bool tls)
{
	const struct hc_park *pk = &c->park;
	char host[HOST_TEXT_MAX];
	size_t i;

	if (pk->tcp == NULL || uv_is_closing((uv_handle_t *)pk->tcp) ||
	    pk->port != c->target.port || pk->tls != tls ||
	    uv_now(c->px->loop) - pk->since > c->st->keepalive_timeout_ms ||
	    normal_host(c, host) == -1 || strcmp(host, pk->host) != 0)
		return false;
	for (i = 0; i < addrs->n; i++)
		if (same_addr(&addrs->addrs[i], &pk->addr))
			return true;
	return false;
}

uv_tcp_t *
hf_take_parked(struct hconn *c, const struct resolve_result *addrs, bool tls)
{
	uv_tcp_t *tcp;

	if (!park_fits(c, addrs, tls)) {
		hf_drop_parked(c);
		return NULL;
	}
	tcp = c->park.tcp;
	c->park.tcp = NULL;
	uv_read_stop((uv_stream_t *)tcp);
	c->handles--; /* hf_start counts it again */
	c->origin_addr = c->park.addr;
	c->origin_direct = true;
	c->origin_reused = true;
	origin_reuses++;
	return tcp;
}
