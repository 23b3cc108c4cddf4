/* fuzz_http1.c — arbitrary bytes into the request and response parsers,
 * split at a point taken from the data, plus the http_msg helpers on
 * every head that gets through. The first byte picks the split and the
 * response expectation; the rest is the stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "net/http1.h"
#include "net/http_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_head(void *arg, const struct http_head *h)
{
	struct http_target t;
	struct buf b;

	buf_init(&b, 1 << 17);
	if (h->is_request) {
		const char *why = slice_eq_cstr(h->method, "CONNECT") ?
		    http_msg_connect_target(h, &t) :
		    http_msg_request_target(h, &t);

		if (why == NULL)
			http_msg_write_request(&b, h, &t, h->framing,
			    h->content_length, false);
	} else {
		http_msg_write_response(&b, h, h->framing, h->content_length,
		    false);
	}
	buf_release(&b);
	return *(const uint8_t *)arg & 1 ? HTTP1_PAUSE : 0;
}

static int
on_body(void *arg, const char *p, size_t n)
{
	volatile char sink = n ? p[n - 1] : 0;

	(void)sink;
	return *(const uint8_t *)arg & 2 ? HTTP1_PAUSE : 0;
}

static int
on_complete(void *arg)
{
	return *(const uint8_t *)arg & 4 ? HTTP1_PAUSE : 0;
}

static void
run(enum http1_kind kind, const uint8_t *ctl, const char *p, size_t n,
    size_t cut)
{
	static const struct http1_callbacks cb = {on_head, on_body, on_complete};
	struct http1 *h = http1_new(kind, &cb, (void *)ctl, 4096);
	size_t off = 0;
	int rounds = 0;

	if (kind == HTTP1_RESPONSE)
		http1_expect(h, (enum http1_expect)((*ctl >> 3) % 3));
	while (off < n && rounds++ < 100000) {
		size_t end = off < cut ? cut : n;
		ssize_t r = http1_feed(h, p + off, end - off);

		if (r < 0 || http1_upgraded(h))
			break;
		off += (size_t)r;
	}
	if (off == n)
		http1_finish(h);
	http1_free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p;
	size_t n, cut;

	if (size < 1)
		return 0;
	p = (const char *)data + 1;
	n = size - 1;
	cut = n ? (size_t)data[0] * 7 % (n + 1) : 0;
	run(HTTP1_REQUEST, data, p, n, cut);
	run(HTTP1_RESPONSE, data, p, n, cut);
	return 0;
}
