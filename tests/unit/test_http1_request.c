/* test_http1_request.c — the strict HTTP/1.1 parser on single
 * requests: what it accepts, every refusal, and the size caps. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
