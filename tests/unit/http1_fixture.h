/* http1_fixture.h — a recording parser for the HTTP/1.1 parser unit
 * tests (test_http1_request.c, test_http1_stream.c): every event goes to a
 * log, input is fed whole, byte by byte or in random pieces. Header-only:
 * each test program includes it once. */
#ifndef AIRLOCK_TEST_HTTP1_FIXTURE_H
#define AIRLOCK_TEST_HTTP1_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "net/http1.h"

/* Events are written to a log: "H <method> <target> <framing>" plus one
 * line per header for heads, the body bytes after "B" (so splits do not
 * show), "C" for message complete. */
struct rec {
	struct buf log;
	int pause_head, pause_body, pause_complete;
	int heads;
};

static const char *const framing_names[] = {"none", "len", "chunked", "eof"};

static inline int
rec_head(void *arg, const struct http_head *h)
{
	struct rec *r = arg;
	size_t i;

	r->heads++;
	if (h->is_request)
		buf_printf(&r->log, "H %.*s %.*s", (int)h->method.n, h->method.p,
		    (int)h->target.n, h->target.p);
	else
		buf_printf(&r->log, "H %d %.*s", h->status, (int)h->reason.n,
		    h->reason.p);
	buf_printf(&r->log, " 1.%d %s%s%s\n", h->version_minor,
	    framing_names[h->framing], h->keep_alive ? " ka" : "",
	    h->upgrade ? " up" : "");
	for (i = 0; i < h->nheaders; i++)
		buf_printf(&r->log, "%.*s=%.*s\n", (int)h->headers[i].name.n,
		    h->headers[i].name.p, (int)h->headers[i].value.n,
		    h->headers[i].value.p);
	return r->pause_head ? HTTP1_PAUSE : 0;
}

static inline int
rec_body(void *arg, const char *p, size_t n)
{
	struct rec *r = arg;

	if (r->log.len == 0 || r->log.p[r->log.len - 1] == '\n')
		buf_addch(&r->log, 'B');
	buf_add(&r->log, p, n);
	return r->pause_body ? HTTP1_PAUSE : 0;
}

static inline int
rec_complete(void *arg)
{
	struct rec *r = arg;

	if (r->log.len > 0 && r->log.p[r->log.len - 1] != '\n')
		buf_addch(&r->log, '\n');
	buf_addstr(&r->log, "C\n");
	return r->pause_complete ? HTTP1_PAUSE : 0;
}

static const struct http1_callbacks rec_cb = {
	rec_head, rec_body, rec_complete,
};

/* Feeds s in pieces; step 0 = all at once, step 1 = byte by byte, step
 * < 0 = random pieces from seed -step. Returns bytes consumed in total,
 * or -1. Paused feeds are simply resumed. */
static inline ssize_t
feed_split(struct http1 *p, const char *s, size_t n, int step)
{
	size_t off = 0;
	unsigned seed = step < 0 ? (unsigned)-step : 0;

	while (off < n) {
		size_t len = n - off;
		ssize_t r;

		if (step > 0 && len > (size_t)step)
			len = (size_t)step;
		else if (step < 0)
			len = 1 + (size_t)rand_r(&seed) % (len < 40 ? len : 40);
		r = http1_feed(p, s + off, len);
		if (r < 0)
			return -1;
		if (r == 0 && http1_upgraded(p))
			break;
		off += (size_t)r;
		if (http1_upgraded(p))
			break;
	}
	return (ssize_t)off;
}

struct run {
	struct rec rec;
	ssize_t consumed;
	int status;
	const char *why;
	bool upgraded;
};

static inline char *
run_kind(enum http1_kind kind, const char *s, size_t n, int step,
    struct run *out)
{
	struct http1 *p;

	memset(out, 0, sizeof(*out));
	buf_init(&out->rec.log, 1 << 20);
	p = http1_new(kind, &rec_cb, &out->rec, 0);
	out->consumed = feed_split(p, s, n, step);
	out->status = http1_error_status(p);
	out->why = http1_error_text(p);
	out->upgraded = http1_upgraded(p);
	http1_free(p);
	return buf_detach(&out->rec.log, NULL);
}

/* The log of parsing s as requests in one piece. */
static inline char *
parse(const char *s, struct run *out)
{
	return run_kind(HTTP1_REQUEST, s, strlen(s), 0, out);
}

static inline void
assert_log(const char *s, const char *expect)
{
	struct run r;
	char *log = parse(s, &r);

	assert_string_equal(log, expect);
	assert_int_equal(r.consumed, (ssize_t)strlen(s));
	free(log);
}

#endif /* AIRLOCK_TEST_HTTP1_FIXTURE_H */
