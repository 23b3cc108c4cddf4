/* test_http1.c — the strict HTTP/1.1 parser: every refusal, pipelining,
 * splits at every byte boundary, pauses, CONNECT and response framing. */
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

static int
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

static int
rec_body(void *arg, const char *p, size_t n)
{
	struct rec *r = arg;

	if (r->log.len == 0 || r->log.p[r->log.len - 1] == '\n')
		buf_addch(&r->log, 'B');
	buf_add(&r->log, p, n);
	return r->pause_body ? HTTP1_PAUSE : 0;
}

static int
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
static ssize_t
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

static char *
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
static char *
parse(const char *s, struct run *out)
{
	return run_kind(HTTP1_REQUEST, s, strlen(s), 0, out);
}

/* Asserts that s is refused with status before any head is reported. */
static void
assert_refused(const char *s, int status)
{
	struct run r;
	char *log = parse(s, &r);

	assert_int_equal(r.consumed, -1);
	assert_int_equal(r.status, status);
	assert_int_equal(r.rec.heads, 0);
	assert_string_equal(log, "");
	free(log);
}

static void
assert_log(const char *s, const char *expect)
{
	struct run r;
	char *log = parse(s, &r);

	assert_string_equal(log, expect);
	assert_int_equal(r.consumed, (ssize_t)strlen(s));
	free(log);
}

/* ---- accepted requests ---------------------------------------------- */

static void
test_http1_parses_absolute_form_get(void **state)
{
	(void)state;
	assert_log("GET http://example.com/a?b HTTP/1.1\r\n"
	    "Host: example.com\r\nAccept:  */*  \r\n\r\n",
	    "H GET http://example.com/a?b 1.1 none ka\n"
	    "Host=example.com\nAccept=*/*\nC\n");
}

static void
test_http1_parses_origin_form_with_content_length_body(void **state)
{
	(void)state;
	assert_log("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
	    "hello",
	    "H POST /up 1.1 len ka\nHost=a\nContent-Length=5\nBhello\nC\n");
}

static void
test_http1_decodes_chunked_body_and_drops_trailers(void **state)
{
	(void)state;
	assert_log("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
	    "H POST / 1.1 chunked ka\nHost=a\nTransfer-Encoding=chunked\n"
	    "Babcde\nC\n");
}

static void
test_http1_accepts_options_asterisk(void **state)
{
	(void)state;
	assert_log("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	    "H OPTIONS * 1.1 none ka\nHost=a\nC\n");
}

static void
test_http1_http10_is_not_keep_alive(void **state)
{
	(void)state;
	assert_log("GET http://a/ HTTP/1.0\r\n\r\n",
	    "H GET http://a/ 1.0 none\nC\n");
}

static void
test_http1_connection_close_clears_keep_alive(void **state)
{
	(void)state;
	assert_log("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	    "H GET / 1.1 none\nHost=a\nConnection=close\nC\n");
}

static void
test_http1_identical_duplicate_content_length_is_merged(void **state)
{
	(void)state;
	assert_log("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
	    "content-length: 2\r\n\r\nok",
	    "H POST / 1.1 len ka\nHost=a\nContent-Length=2\nBok\nC\n");
}

static void
test_http1_skips_empty_lines_before_request(void **state)
{
	(void)state;
	assert_log("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	    "H GET / 1.1 none ka\nHost=a\nC\n");
}

static void
test_http1_upgrade_request_is_parsed_as_plain_http(void **state)
{
	(void)state;
	assert_log("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
	    "Upgrade: websocket\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
	    "H GET / 1.1 none ka\nHost=a\nConnection=upgrade\n"
	    "Upgrade=websocket\nC\nH GET /2 1.1 none ka\nHost=a\nC\n");
}

/* ---- strict refusals ------------------------------------------------- */

static void
test_http1_rejects_whitespace_before_colon(void **state)
{
	(void)state;
	assert_refused("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
	assert_refused("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400);
}

static void
test_http1_rejects_obs_fold(void **state)
{
	(void)state;
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n",
	    400);
}

static void
test_http1_rejects_conflicting_content_length(void **state)
{
	(void)state;
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\nab", 400);
}

static void
test_http1_rejects_content_length_list(void **state)
{
	(void)state;
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n"
	    "\r\nab", 400);
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n"
	    "\r\na", 400);
}

static void
test_http1_rejects_non_numeric_content_length(void **state)
{
	(void)state;
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n"
	    "\r\na", 400);
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n"
	    "\r\na", 400);
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "99999999999999999999\r\n\r\na", 400);
}

static void
test_http1_rejects_content_length_with_transfer_encoding(void **state)
{
	(void)state;
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
	    400);
}

static void
test_http1_rejects_transfer_encoding_not_ending_in_chunked(void **state)
{
	(void)state;
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n", 400);
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\n", 400);
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunkedx\r\n\r\n", 400);
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: \r\n\r\n", 400);
}

static void
test_http1_rejects_codings_before_chunked_with_501(void **state)
{
	(void)state;
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n", 501);
	assert_refused("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    501);
}

static void
test_http1_transfer_encoding_is_case_insensitive(void **state)
{
	(void)state;
	assert_log("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"
	    "\r\n0\r\n\r\n",
	    "H POST / 1.1 chunked ka\nHost=a\nTransfer-Encoding=Chunked\nC\n");
}

static void
test_http1_rejects_nul_in_header_value(void **state)
{
	static const char s[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
	struct run r;
	char *log = run_kind(HTTP1_REQUEST, s, sizeof(s) - 1, 0, &r);

	(void)state;
	assert_int_equal(r.consumed, -1);
	assert_int_equal(r.status, 400);
	assert_string_equal(log, "");
	free(log);
}

static void
test_http1_rejects_ctl_in_header_value(void **state)
{
	(void)state;
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01" "b\r\n\r\n", 400);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400);
}

static void
test_http1_rejects_invalid_header_name(void **state)
{
	(void)state;
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n", 400);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400);
}

static void
test_http1_rejects_bare_lf(void **state)
{
	(void)state;
	assert_refused("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
	assert_refused("GET / HTTP/1.1\r\nHost: a\n\n", 400);
}

static void
test_http1_rejects_bare_cr(void **state)
{
	(void)state;
	assert_refused("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400);
}

static void
test_http1_rejects_ctl_in_request_line(void **state)
{
	(void)state;
	assert_refused("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	assert_refused("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void
test_http1_rejects_two_host_headers(void **state)
{
	(void)state;
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
}

static void
test_http1_rejects_authority_form_without_connect(void **state)
{
	(void)state;
	assert_refused("GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void
test_http1_rejects_connect_without_authority_form(void **state)
{
	(void)state;
	assert_refused("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	assert_refused("CONNECT http://a:443/ HTTP/1.1\r\n\r\n", 400);
	assert_refused("CONNECT example.com HTTP/1.1\r\n\r\n", 400);
}

static void
test_http1_rejects_asterisk_form_without_options(void **state)
{
	(void)state;
	assert_refused("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void
test_http1_rejects_http_09_and_2(void **state)
{
	struct run r;
	char *log;

	(void)state;
	log = parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n", &r);
	assert_int_equal(r.consumed, -1);
	assert_true(r.status == 505 || r.status == 400);
	assert_string_equal(log, "");
	free(log);
	log = parse("GET /\r\n\r\n", &r);
	assert_int_equal(r.consumed, -1);
	assert_true(r.status == 505 || r.status == 400);
	assert_string_equal(log, "");
	free(log);
}

static void
test_http1_rejects_oversized_head_with_431(void **state)
{
	size_t n = HTTP1_DEFAULT_MAX_HEAD + 100;
	char *s = malloc(n + 1);
	struct run r;
	char *log;

	(void)state;
	memcpy(s, "GET / HTTP/1.1\r\nX: ", 19);
	memset(s + 19, 'a', n - 19);
	s[n] = 0;
	log = run_kind(HTTP1_REQUEST, s, n, 1000, &r);
	assert_int_equal(r.consumed, -1);
	assert_int_equal(r.status, 431);
	assert_string_equal(log, "");
	free(log);
	free(s);
}

/* 100 header fields pass; the 101st is answered 431 before llhttp or
 * anyone downstream sees the head (a head of 16,000 tiny fields must
 * cost no more than its bytes). */
static void
test_http1_rejects_more_than_100_header_fields_with_431(void **state)
{
	struct buf b;
	struct run r;
	char *log;
	int i;

	(void)state;
	buf_init(&b, HTTP1_DEFAULT_MAX_HEAD);
	buf_addstr(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 1; i < HTTP_MSG_MAX_HEADERS; i++)
		buf_printf(&b, "X%d: %d\r\n", i, i);
	buf_addstr(&b, "\r\n");
	log = run_kind(HTTP1_REQUEST, b.p, b.len, 0, &r);
	assert_int_equal(r.consumed, (ssize_t)b.len);
	assert_int_equal(r.rec.heads, 1);
	free(log);
	buf_reset(&b);
	buf_addstr(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	while (b.len < HTTP1_DEFAULT_MAX_HEAD - 8)
		buf_addstr(&b, "a:\r\n");
	buf_addstr(&b, "\r\n");
	log = run_kind(HTTP1_REQUEST, b.p, b.len, 0, &r);
	assert_int_equal(r.consumed, -1);
	assert_int_equal(r.status, 431);
	assert_string_equal(r.why, "too many header fields");
	assert_string_equal(log, "");
	free(log);
	buf_release(&b);
}

/* A body moved past the parser (splice) is counted, not delivered; the
 * message ends where it should and the next one parses. */
static void
test_http1_skip_body_counts_bytes_moved_elsewhere(void **state)
{
	const char *h = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n";
	const char *next = "GET /n HTTP/1.1\r\nHost: a\r\n\r\n";
	struct rec r;
	struct http1 *p;
	char body[10];

	(void)state;
	memset(&r, 0, sizeof(r));
	buf_init(&r.log, 1 << 16);
	memset(body, 'x', sizeof(body));
	p = http1_new(HTTP1_REQUEST, &rec_cb, &r, 0);
	assert_int_equal(http1_feed(p, h, strlen(h)), (ssize_t)strlen(h));
	assert_int_equal(http1_body_left(p), 100);
	assert_int_equal(http1_feed(p, body, 10), 10);
	assert_int_equal(http1_body_left(p), 90);
	assert_int_equal(http1_skip_body(p, 91), -1);
	assert_int_equal(http1_skip_body(p, 80), 0);
	assert_int_equal(http1_body_left(p), 10);
	assert_int_equal(http1_feed(p, body, 10), 10);
	assert_int_equal(http1_body_left(p), 0);
	assert_int_equal(http1_feed(p, h, strlen(h)), (ssize_t)strlen(h));
	assert_int_equal(http1_skip_body(p, 100), 1);
	assert_true(http1_idle(p));
	assert_int_equal(http1_feed(p, next, strlen(next)), (ssize_t)strlen(next));
	assert_int_equal(http1_skip_body(p, 1), -1);
	assert_string_equal(r.log.p,
	    "H POST / 1.1 len ka\nHost=a\nContent-Length=100\nBxxxxxxxxxx"
	    "xxxxxxxxxx\nC\n"
	    "H POST / 1.1 len ka\nHost=a\nContent-Length=100\n"
	    "H GET /n 1.1 none ka\nHost=a\nC\n");
	http1_free(p);
	buf_release(&r.log);
}

static void
test_http1_head_cap_is_configurable(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http1 *p;

	(void)state;
	p = http1_new(HTTP1_REQUEST, NULL, NULL, strlen(s));
	assert_int_equal(http1_feed(p, s, strlen(s)), (ssize_t)strlen(s));
	http1_free(p);
	p = http1_new(HTTP1_REQUEST, NULL, NULL, strlen(s) - 1);
	assert_int_equal(http1_feed(p, s, strlen(s)), -1);
	assert_int_equal(http1_error_status(p), 431);
	http1_free(p);
}

static void
test_http1_rejects_oversized_trailers_with_431(void **state)
{
	struct http1 *p = http1_new(HTTP1_REQUEST, NULL, NULL, 128);
	const char *h = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n0\r\n";
	char line[64];
	int i;
	ssize_t r = 0;

	(void)state;
	assert_int_equal(http1_feed(p, h, strlen(h)), (ssize_t)strlen(h));
	snprintf(line, sizeof(line), "X-T: %040d\r\n", 0);
	for (i = 0; i < 10 && r >= 0; i++)
		r = http1_feed(p, line, strlen(line));
	assert_int_equal(r, -1);
	assert_int_equal(http1_error_status(p), 431);
	http1_free(p);
}

static void
test_http1_error_is_sticky(void **state)
{
	struct http1 *p = http1_new(HTTP1_REQUEST, NULL, NULL, 0);
	const char *bad = "GET / HTTP/1.1\r\nHost : a\r\n\r\n";
	const char *good = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

	(void)state;
	assert_int_equal(http1_feed(p, bad, strlen(bad)), -1);
	assert_int_equal(http1_feed(p, good, strlen(good)), -1);
	assert_string_equal(http1_error_text(p),
	    "whitespace before colon in header");
	http1_free(p);
}

static void
test_http1_bad_chunk_size_is_refused(void **state)
{
	struct run r;
	char *log = parse("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nzz\r\n", &r);

	(void)state;
	assert_int_equal(r.consumed, -1);
	assert_int_equal(r.status, 400);
	free(log);
}

/* ---- pipelining and splits --------------------------------------------- */

static const char pipeline[] =
    "GET http://a/1 HTTP/1.1\r\nHost: a\r\n\r\n"
    "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
    "\r\n"
    "PUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nchunk\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n"
    "GET /4 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";

static const char pipeline_log[] =
    "H GET http://a/1 1.1 none ka\nHost=a\nC\n"
    "H POST /2 1.1 len ka\nHost=a\nContent-Length=11\nBhello world\nC\n"
    "H PUT /3 1.1 chunked ka\nHost=a\nTransfer-Encoding=chunked\n"
    "Bchunk0123456789abcdef\nC\n"
    "H GET /4 1.1 len ka\nHost=a\nContent-Length=0\nC\n";

static void
test_http1_pipelined_requests_in_one_buffer(void **state)
{
	(void)state;
	assert_log(pipeline, pipeline_log);
}

static void
test_http1_pipeline_fed_byte_by_byte_is_identical(void **state)
{
	struct run r;
	char *log = run_kind(HTTP1_REQUEST, pipeline, sizeof(pipeline) - 1, 1,
	    &r);

	(void)state;
	assert_string_equal(log, pipeline_log);
	assert_int_equal(r.consumed, (ssize_t)sizeof(pipeline) - 1);
	free(log);
}

static void
test_http1_pipeline_fed_in_random_splits_is_identical(void **state)
{
	int seed;

	(void)state;
	for (seed = 1; seed <= 200; seed++) {
		struct run r;
		char *log = run_kind(HTTP1_REQUEST, pipeline,
		    sizeof(pipeline) - 1, -seed, &r);

		assert_string_equal(log, pipeline_log);
		free(log);
	}
}

static void
test_http1_split_at_every_boundary_is_identical(void **state)
{
	size_t n = sizeof(pipeline) - 1, cut;

	(void)state;
	for (cut = 0; cut <= n; cut++) {
		struct rec rec = {0};
		struct http1 *p;
		char *log;

		buf_init(&rec.log, 1 << 16);
		p = http1_new(HTTP1_REQUEST, &rec_cb, &rec, 0);
		assert_int_equal(http1_feed(p, pipeline, cut), (ssize_t)cut);
		assert_int_equal(http1_feed(p, pipeline + cut, n - cut),
		    (ssize_t)(n - cut));
		log = buf_detach(&rec.log, NULL);
		assert_string_equal(log, pipeline_log);
		free(log);
		http1_free(p);
	}
}

static void
test_http1_second_bad_request_is_refused_after_first_completes(void **state)
{
	struct run r;
	char *log = parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &r);

	(void)state;
	assert_int_equal(r.consumed, -1);
	assert_int_equal(r.rec.heads, 1);
	assert_string_equal(log, "H GET / 1.1 none ka\nHost=a\nC\n");
	free(log);
}

/* Pausing at every event and resuming with the rest gives the same log. */
static void
test_http1_pause_at_every_event_gives_same_log(void **state)
{
	size_t n = sizeof(pipeline) - 1, off = 0;
	struct rec rec = {0};
	struct http1 *p;
	char *log;
	int rounds = 0;

	(void)state;
	rec.pause_head = rec.pause_body = rec.pause_complete = 1;
	buf_init(&rec.log, 1 << 16);
	p = http1_new(HTTP1_REQUEST, &rec_cb, &rec, 0);
	while (rounds++ < 1000) {
		ssize_t r = http1_feed(p, pipeline + off, n - off);

		assert_true(r >= 0);
		off += (size_t)r;
		if (off == n && http1_idle(p))
			break;
	}
	log = buf_detach(&rec.log, NULL);
	assert_string_equal(log, pipeline_log);
	free(log);
	http1_free(p);
}

static void
test_http1_pause_in_head_returns_head_bytes_only(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n";
	size_t head = strlen("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	struct rec rec = {0};
	struct http1 *p;
	char *log;

	(void)state;
	rec.pause_head = 1;
	buf_init(&rec.log, 1 << 16);
	p = http1_new(HTTP1_REQUEST, &rec_cb, &rec, 0);
	assert_int_equal(http1_feed(p, s, strlen(s)), (ssize_t)head);
	assert_int_equal(rec.heads, 1);
	/* the bodiless message completes on an empty feed */
	assert_int_equal(http1_feed(p, s + head, 0), 0);
	assert_true(http1_idle(p));
	log = buf_detach(&rec.log, NULL);
	assert_string_equal(log, "H GET / 1.1 none ka\nHost=a\nC\n");
	free(log);
	http1_free(p);
}

static void
test_http1_connect_stops_at_tunnel(void **state)
{
	const char *s = "CONNECT example.com:443 HTTP/1.1\r\n"
	    "Host: example.com:443\r\n\r\n\x16\x03\x01";
	struct http1 *p;
	struct rec rec = {0};
	char *log;
	ssize_t r;

	(void)state;
	buf_init(&rec.log, 1 << 16);
	p = http1_new(HTTP1_REQUEST, &rec_cb, &rec, 0);
	r = http1_feed(p, s, strlen(s));
	assert_int_equal(r, (ssize_t)strlen(s) - 3);
	assert_true(http1_upgraded(p));
	assert_int_equal(http1_feed(p, s + r, 3), 0);
	log = buf_detach(&rec.log, NULL);
	assert_string_equal(log, "H CONNECT example.com:443 1.1 none ka up\n"
	    "Host=example.com:443\nC\n");
	free(log);
	http1_free(p);
}

static void
test_http1_truncated_request_fails_finish(void **state)
{
	struct http1 *p = http1_new(HTTP1_REQUEST, NULL, NULL, 0);
	const char *s = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab";

	(void)state;
	assert_int_equal(http1_feed(p, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(http1_finish(p), -1);
	http1_free(p);
	p = http1_new(HTTP1_REQUEST, NULL, NULL, 0);
	assert_int_equal(http1_finish(p), 0);
	http1_free(p);
}

/* ---- responses ------------------------------------------------------------ */

static char *
parse_response(const char *s, enum http1_expect e, int step, struct run *out,
    bool finish)
{
	struct http1 *p;

	memset(out, 0, sizeof(*out));
	buf_init(&out->rec.log, 1 << 16);
	p = http1_new(HTTP1_RESPONSE, &rec_cb, &out->rec, 0);
	http1_expect(p, e);
	out->consumed = feed_split(p, s, strlen(s), step);
	if (finish && out->consumed >= 0 && http1_finish(p) == -1)
		out->consumed = -2;
	out->status = http1_error_status(p);
	out->upgraded = http1_upgraded(p);
	http1_free(p);
	return buf_detach(&out->rec.log, NULL);
}

static void
assert_response(const char *s, enum http1_expect e, bool finish,
    const char *expect)
{
	int step;

	for (step = -20; step <= 1; step++) {
		struct run r;
		char *log = parse_response(s, e, step, &r, finish);

		assert_string_equal(log, expect);
		assert_true(r.consumed >= 0);
		free(log);
	}
}

static void
test_http1_response_with_content_length(void **state)
{
	(void)state;
	assert_response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
	    HTTP1_EXPECT_OTHER, false,
	    "H 200 OK 1.1 len ka\nContent-Length=3\nBabc\nC\n");
}

static void
test_http1_response_chunked(void **state)
{
	(void)state;
	assert_response("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n4\r\nnope\r\n0\r\n\r\n", HTTP1_EXPECT_OTHER, false,
	    "H 404 Not Found 1.1 chunked ka\nTransfer-Encoding=chunked\n"
	    "Bnope\nC\n");
}

static void
test_http1_response_read_until_close(void **state)
{
	(void)state;
	assert_response("HTTP/1.1 200 OK\r\n\r\nall of it", HTTP1_EXPECT_OTHER,
	    true, "H 200 OK 1.1 eof\nBall of it\nC\n");
}

static void
test_http1_response_to_head_has_no_body(void **state)
{
	(void)state;
	assert_response("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	    "HTTP/1.1 204 No Content\r\n\r\n", HTTP1_EXPECT_HEAD, false,
	    "H 200 OK 1.1 none ka\nContent-Length=100\nC\n"
	    "H 204 No Content 1.1 none ka\nC\n");
}

static void
test_http1_interim_responses_precede_the_final_one(void **state)
{
	(void)state;
	assert_response("HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
	    HTTP1_EXPECT_HEAD, false,
	    "H 100 Continue 1.1 none ka\nC\n"
	    "H 103 Early Hints 1.1 none ka\nLink=</s.css>\nC\n"
	    "H 200 OK 1.1 none ka\nContent-Length=1\nC\n");
}

static void
test_http1_response_304_has_no_body(void **state)
{
	(void)state;
	assert_response("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
	    HTTP1_EXPECT_OTHER, false,
	    "H 304 Not Modified 1.1 none ka\nContent-Length=9\nC\n");
}

static void
test_http1_response_to_connect_starts_tunnel(void **state)
{
	struct run r;
	char *log = parse_response("HTTP/1.1 200 Connection established\r\n"
	    "\r\n", HTTP1_EXPECT_CONNECT, 0, &r, false);

	(void)state;
	assert_true(r.upgraded);
	assert_string_equal(log,
	    "H 200 Connection established 1.1 none ka up\nC\n");
	free(log);
}

static void
test_http1_refused_connect_response_keeps_its_body(void **state)
{
	(void)state;
	assert_response("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 2\r\n\r\nno",
	    HTTP1_EXPECT_CONNECT, false,
	    "H 407 Proxy Auth 1.1 len ka\nContent-Length=2\nBno\nC\n");
}

static void
test_http1_response_101_is_refused_with_502(void **state)
{
	struct run r;
	char *log = parse_response("HTTP/1.1 101 Switching Protocols\r\n"
	    "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n",
	    HTTP1_EXPECT_OTHER, 0, &r, false);

	(void)state;
	assert_int_equal(r.consumed, -1);
	assert_int_equal(r.status, 502);
	assert_string_equal(log, "");
	free(log);
}

static void
test_http1_response_smuggling_is_refused_with_502(void **state)
{
	struct run r;
	char *log = parse_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", HTTP1_EXPECT_OTHER,
	    0, &r, false);

	(void)state;
	assert_int_equal(r.consumed, -1);
	assert_int_equal(r.status, 502);
	free(log);
}

static void
test_http1_truncated_length_response_fails_finish(void **state)
{
	struct run r;
	char *log = parse_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n"
	    "\r\nabc", HTTP1_EXPECT_OTHER, 0, &r, true);

	(void)state;
	assert_int_equal(r.consumed, -2);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http1_parses_absolute_form_get),
		cmocka_unit_test(test_http1_parses_origin_form_with_content_length_body),
		cmocka_unit_test(test_http1_decodes_chunked_body_and_drops_trailers),
		cmocka_unit_test(test_http1_accepts_options_asterisk),
		cmocka_unit_test(test_http1_http10_is_not_keep_alive),
		cmocka_unit_test(test_http1_connection_close_clears_keep_alive),
		cmocka_unit_test(test_http1_identical_duplicate_content_length_is_merged),
		cmocka_unit_test(test_http1_skips_empty_lines_before_request),
		cmocka_unit_test(test_http1_upgrade_request_is_parsed_as_plain_http),
		cmocka_unit_test(test_http1_rejects_whitespace_before_colon),
		cmocka_unit_test(test_http1_rejects_obs_fold),
		cmocka_unit_test(test_http1_rejects_conflicting_content_length),
		cmocka_unit_test(test_http1_rejects_content_length_list),
		cmocka_unit_test(test_http1_rejects_non_numeric_content_length),
		cmocka_unit_test(test_http1_rejects_content_length_with_transfer_encoding),
		cmocka_unit_test(test_http1_rejects_transfer_encoding_not_ending_in_chunked),
		cmocka_unit_test(test_http1_rejects_codings_before_chunked_with_501),
		cmocka_unit_test(test_http1_transfer_encoding_is_case_insensitive),
		cmocka_unit_test(test_http1_rejects_nul_in_header_value),
		cmocka_unit_test(test_http1_rejects_ctl_in_header_value),
		cmocka_unit_test(test_http1_rejects_invalid_header_name),
		cmocka_unit_test(test_http1_rejects_bare_lf),
		cmocka_unit_test(test_http1_rejects_bare_cr),
		cmocka_unit_test(test_http1_rejects_ctl_in_request_line),
		cmocka_unit_test(test_http1_rejects_two_host_headers),
		cmocka_unit_test(test_http1_rejects_authority_form_without_connect),
		cmocka_unit_test(test_http1_rejects_connect_without_authority_form),
		cmocka_unit_test(test_http1_rejects_asterisk_form_without_options),
		cmocka_unit_test(test_http1_rejects_http_09_and_2),
		cmocka_unit_test(test_http1_rejects_oversized_head_with_431),
		cmocka_unit_test(test_http1_rejects_more_than_100_header_fields_with_431),
		cmocka_unit_test(test_http1_skip_body_counts_bytes_moved_elsewhere),
		cmocka_unit_test(test_http1_head_cap_is_configurable),
		cmocka_unit_test(test_http1_rejects_oversized_trailers_with_431),
		cmocka_unit_test(test_http1_error_is_sticky),
		cmocka_unit_test(test_http1_bad_chunk_size_is_refused),
		cmocka_unit_test(test_http1_pipelined_requests_in_one_buffer),
		cmocka_unit_test(test_http1_pipeline_fed_byte_by_byte_is_identical),
		cmocka_unit_test(test_http1_pipeline_fed_in_random_splits_is_identical),
		cmocka_unit_test(test_http1_split_at_every_boundary_is_identical),
		cmocka_unit_test(test_http1_second_bad_request_is_refused_after_first_completes),
		cmocka_unit_test(test_http1_pause_at_every_event_gives_same_log),
		cmocka_unit_test(test_http1_pause_in_head_returns_head_bytes_only),
		cmocka_unit_test(test_http1_connect_stops_at_tunnel),
		cmocka_unit_test(test_http1_truncated_request_fails_finish),
		cmocka_unit_test(test_http1_response_with_content_length),
		cmocka_unit_test(test_http1_response_chunked),
		cmocka_unit_test(test_http1_response_read_until_close),
		cmocka_unit_test(test_http1_response_to_head_has_no_body),
		cmocka_unit_test(test_http1_interim_responses_precede_the_final_one),
		cmocka_unit_test(test_http1_response_304_has_no_body),
		cmocka_unit_test(test_http1_response_to_connect_starts_tunnel),
		cmocka_unit_test(test_http1_refused_connect_response_keeps_its_body),
		cmocka_unit_test(test_http1_response_101_is_refused_with_502),
		cmocka_unit_test(test_http1_response_smuggling_is_refused_with_502),
		cmocka_unit_test(test_http1_truncated_length_response_fails_finish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
