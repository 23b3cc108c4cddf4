/* exchange_body.c — the mechanics of an exchange's transfer (exchange.h):
 * send the rewritten request head, stream the body up, parse the response
 * and stream it down, re-framing bodies where the two sides differ; keep
 * the origin for the next request when it may be kept. Called by
 * exchange.c only, and never calling back into it: what goes wrong is
 * left in x->abort or x->fail_status for the state machine. */
#include "proxy/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"

/* --- writing ------------------------------------------------------------- */

/* Writes p[0..n) to s, as one chunk when chunked. 0 or -1. */
static int
write_chunk(struct stream *s, bool chunked, const char *p, size_t n)
{
	char sz[32];
	int len;

	if (!chunked)
		return stream_write(s, p, n) == 0 ? 0 : -1;
	if (n == 0)
		return 0; /* a zero-size chunk would end the body */
	len = snprintf(sz, sizeof(sz), "%zx\r\n", n);
	if (stream_write(s, sz, (size_t)len) != 0 ||
	    stream_write(s, p, n) != 0 || stream_write(s, "\r\n", 2) != 0)
		return -1;
	return 0;
}

static bool
over_high_water(const struct stream *s)
{
	return stream_write_queued(s) > X_WRITE_HIGH;
}

/* --- the request body ---------------------------------------------------- */

int
xb_body_up(struct exchange *x, const char *p, size_t n)
{
	if (x->origin == NULL)
		return 0;
	deadline_touch(x->dl);
	if (write_chunk(x->origin, x->chunk_up, p, n) == -1) {
		x->abort = true;
		return HTTP1_PAUSE;
	}
	if (!over_high_water(x->origin))
		return 0;
	x->body_paused = true;
	return HTTP1_PAUSE;
}

void
xb_body_end(struct exchange *x)
{
	if (x->chunk_up && x->origin != NULL &&
	    stream_write(x->origin, "0\r\n\r\n", 5) != 0)
		x->abort = true;
}

/* --- the response -------------------------------------------------------- */

/* Writes our copy of the response to the client; a failure aborts. */
static int
to_client(struct exchange *x, const char *p, size_t n)
{
	if (stream_write(x->client, p, n) == 0)
		return 0;
	x->abort = true;
	return -1;
}

static int
resp_on_head(void *arg, const struct http_head *h)
{
	struct exchange *x = arg;
	enum http_framing f = h->framing;
	uint64_t len = h->content_length;
	struct buf b;
	bool close;
	int rc;

	x->resp_interim = h->status < 200;
	if (!x->resp_interim)
		x->origin_reusable = h->keep_alive &&
				     h->framing != HTTP_FRAMING_EOF;
	close = !x->req_keepalive || x->draining;
	if (x->resp_interim) {
		f = HTTP_FRAMING_NONE;
		close = false;
	} else if (f == HTTP_FRAMING_NONE && x->req_is_head) {
		/* Keep a HEAD answer's Content-Length: it describes a GET. */
		f = http_msg_content_length(h, &len) == 0 ? HTTP_FRAMING_LENGTH
							  : HTTP_FRAMING_NONE;
	} else if (f == HTTP_FRAMING_CHUNKED || f == HTTP_FRAMING_EOF) {
		x->chunk_down = x->req_minor >= 1;
		f = x->chunk_down ? HTTP_FRAMING_CHUNKED : HTTP_FRAMING_EOF;
		close |= !x->chunk_down;
	}
	x->close_after |= close;
	buf_init(&b, HTTP1_DEFAULT_MAX_HEAD + 1024);
	rc = http_msg_write_response(&b, h, f, len, close) == 0
		     ? to_client(x, b.p, b.len)
		     : 0;
	buf_release(&b);
	x->resp_started = true;
	if (rc != 0)
		return HTTP1_PAUSE;
	/* A body that passes through as it is needs no parser: splice it. */
	if (!x->resp_interim && h->framing == HTTP_FRAMING_LENGTH &&
	    f == HTTP_FRAMING_LENGTH && len >= X_SPLICE_MIN &&
	    stream_fd(x->client) >= 0 && stream_fd(x->origin) >= 0) {
		x->splice_down = true;
		x->down_left = len;
		return HTTP1_PAUSE;
	}
	return 0;
}

static int
resp_on_body(void *arg, const char *p, size_t n)
{
	struct exchange *x = arg;

	if (write_chunk(x->client, x->chunk_down, p, n) == -1) {
		x->abort = true;
		return HTTP1_PAUSE;
	}
	if (!over_high_water(x->client))
		return 0;
	x->resp_paused = true;
	return HTTP1_PAUSE;
}

static int
resp_on_complete(void *arg)
{
	struct exchange *x = arg;

	if (x->resp_interim)
		return 0;
	if (x->chunk_down && to_client(x, "0\r\n\r\n", 5) == -1)
		return HTTP1_PAUSE;
	x->resp_done = true;
	return HTTP1_PAUSE;
}

static const struct http1_callbacks resp_callbacks = {
	resp_on_head,
	resp_on_body,
	resp_on_complete,
};

/* Body bytes that came with the head of a spliced response go the usual
 * way; the rest will be spliced. */
static int
feed_spliced(struct exchange *x, const char *p, size_t n)
{
	size_t k = n < x->down_left ? n : (size_t)x->down_left;

	if (k > 0 && to_client(x, p, k) == -1)
		return -1;
	x->down_left -= k;
	if (n > k)
		x->origin_reusable = false; /* bytes past the response */
	if (x->down_left == 0)
		x->resp_done = true;
	return 0;
}

void
xb_splice_down(struct exchange *x, splice_body_fn *done,
	       splice_body_progress_fn *progress)
{
	struct splice_body_opts o = {0};

	if (!x->splice_down || x->splice != NULL || x->resp_done ||
	    x->origin == NULL || stream_write_queued(x->client) > 0)
		return;
	stream_read_stop(x->origin);
	x->owner->hold_client(x->arg, true);
	o.loop = x->px->loop;
	o.src = stream_fd(x->origin);
	o.dst = stream_fd(x->client);
	o.n = x->down_left;
	o.done = done;
	o.progress = progress;
	o.arg = x;
	x->splice = splice_body_start(&o);
}

int
xb_feed(struct exchange *x, const char *p, size_t n)
{
	ssize_t used;

	while (n > 0 && !x->resp_paused && !x->resp_done && !x->abort &&
	       !x->splice_down) {
		used = http1_feed(x->resp, p, n);
		if (used < 0) {
			x->fail_status = 502;
			x->fail_text = "upstream failure";
			return -1;
		}
		p += used;
		n -= (size_t)used;
		if (used == 0 && !x->resp_paused && !x->resp_done)
			break;
	}
	if (x->abort)
		return -1;
	if (x->splice_down)
		return feed_spliced(x, p, n);
	if (n > 0 && x->resp_done)
		x->origin_reusable = false; /* bytes past the response */
	if (n > 0 && !x->resp_done && buf_add(&x->oin, p, n) == -1) {
		log_debug("http %s: origin buffer overflow", x->peer);
		x->abort = true;
		return -1;
	}
	return 0;
}

bool
xb_response_eof(struct exchange *x)
{
	return x->resp_done || (http1_finish(x->resp) == 0 && x->resp_done);
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
 * idempotent request may go again (RFC 9112 §9.3.1). */
bool
xb_retryable(const struct exchange *x)
{
	return x->origin_reused && !x->resp_started && x->req_done &&
	       x->head != NULL && x->head->framing == HTTP_FRAMING_NONE &&
	       idempotent(x->method);
}

void
xb_resume_response(struct exchange *x)
{
	struct buf rest;

	if (!x->resp_paused || x->origin == NULL ||
	    stream_write_queued(x->client) >= X_WRITE_LOW)
		return;
	x->resp_paused = false;
	rest = x->oin;
	buf_init(&x->oin, X_IN_MAX);
	if (xb_feed(x, rest.p ? rest.p : "", rest.len) == 0 &&
	    !x->resp_paused && !x->resp_done &&
	    stream_read_start(x->origin) != 0)
		x->abort = true;
	buf_release(&rest);
}

/* --- the request head ---------------------------------------------------- */

/* An HTTP upstream proxy takes the request in absolute form, with our
 * credentials for it: rewrites `M /path HTTP/1.1` in b to
 * `M http://host:port/path HTTP/1.1` and adds Proxy-Authorization. */
static int
to_absolute_form(struct exchange *x, struct buf *b)
{
	const char *sp = memchr(b->p, ' ', b->len);
	const char *eol = memmem(b->p, b->len, "\r\n", 2);
	char *auth = upstream_proxy_authorization(x->via);
	struct buf out;
	int rc = -1;

	buf_init(&out, b->max + 1024);
	if (sp == NULL || eol == NULL || sp > eol)
		goto out;
	buf_add(&out, b->p, (size_t)(sp - b->p) + 1);
	buf_printf(&out, x->target.ipv6 ? "http://[%s]:%u" : "http://%s:%u",
		   x->host, x->target.port);
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

int
xb_send_head(struct exchange *x)
{
	const struct http_head *h = x->head;
	bool close = x->via != NULL || !x->req_keepalive || x->draining;
	bool wipe = x->via != NULL || x->up_hdrs != NULL;
	struct http_head ruled;
	struct buf b;
	int rc = -1;

	x->origin_reusable = false;
	http1_free(x->resp);
	x->resp = http1_new(HTTP1_RESPONSE, &resp_callbacks, x, 0);
	http1_expect(x->resp, x->req_is_head ? HTTP1_EXPECT_HEAD
					     : HTTP1_EXPECT_OTHER);
	x->chunk_up = h->framing == HTTP_FRAMING_CHUNKED;
	buf_init(&b, HTTP1_DEFAULT_MAX_HEAD + 1024);
	if (x->up_hdrs != NULL) {
		/* A request rule's headers: an injected secret goes into b,
		 * which is made whole now (never moved by a realloc) and
		 * wiped below. */
		ruled = *h;
		ruled.headers = x->up_hdrs;
		ruled.nheaders = x->n_up_hdrs;
		h = &ruled;
		buf_reserve(&b, b.max);
	}
	if (http_msg_write_request(&b, h, &x->target, h->framing,
				   h->content_length, close) == -1 ||
	    (x->via != NULL && to_absolute_form(x, &b) == -1)) {
		x->fail_status = 431;
		x->fail_text = "request head too large to forward";
		goto out;
	}
	if (stream_write(x->origin, b.p, b.len) != 0 ||
	    stream_read_start(x->origin) != 0) {
		x->fail_status = 502;
		x->fail_text = "upstream failure";
		goto out;
	}
	rc = 0;
out:
	if (wipe && b.p != NULL)
		explicit_bzero(b.p, b.cap);
	buf_release(&b);
	return rc;
}

/* --- ending the origin side ---------------------------------------------- */

void
xb_close_origin(struct exchange *x)
{
	if (x->splice != NULL) {
		splice_body_cancel(x->splice);
		x->splice = NULL;
		x->owner->hold_client(x->arg, false);
	}
	stream_close(x->origin);
	x->origin = NULL;
	buf_reset(&x->oin);
	x->resp_paused = x->resp_interim = false;
	x->chunk_up = x->chunk_down = false;
	x->via = NULL;
	x->origin_reused = false;
	x->body_paused = false;
}

static bool
origin_parkable(const struct exchange *x)
{
	return x->origin != NULL && x->origin_reusable && x->origin_direct &&
	       x->via == NULL && x->req_done && x->resp_done &&
	       !x->close_after && !x->draining && x->oin.len == 0 &&
	       stream_write_queued(x->origin) == 0;
}

void
xb_end_origin(struct exchange *x)
{
	if (origin_parkable(x)) {
		origin_pool_park(x->pool, x->origin, x->host, x->target.port,
				 x_tls(x), &x->origin_addr);
		x->origin = NULL;
	}
	xb_close_origin(x);
}
