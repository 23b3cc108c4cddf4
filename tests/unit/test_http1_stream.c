/* test_http1_stream.c — the strict HTTP/1.1 parser over a
 * stream: pipelining, splits at every byte boundary, pauses, CONNECT and
 * response framing. */
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

#include "http1_fixture.h"

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
