/* test_http_msg.c — request targets, Host mismatches (reference §7.2),
 * CONNECT authorities (§7.3), hop-by-hop stripping (§7.5), serialising. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "net/http_msg.h"

#define MAXH (HTTP_MSG_MAX_HEADERS + 1)

struct req {
	struct http_head h;
	struct http_header hdr[MAXH];
};

/* Builds a request head from "name", "value" pairs, NULL-terminated. */
static void
req_init(struct req *r, const char *method, const char *target, ...)
{
	va_list ap;
	const char *name;

	memset(r, 0, sizeof(*r));
	r->h.is_request = true;
	r->h.method = slice_cstr(method);
	r->h.target = slice_cstr(target);
	r->h.version_minor = 1;
	r->h.headers = r->hdr;
	va_start(ap, target);
	while ((name = va_arg(ap, const char *)) != NULL) {
		r->hdr[r->h.nheaders].name = slice_cstr(name);
		r->hdr[r->h.nheaders].value = slice_cstr(va_arg(ap, const char *));
		r->h.nheaders++;
	}
	va_end(ap);
}

static void
assert_slice(struct slice s, const char *expect)
{
	assert_int_equal(s.n, strlen(expect));
	assert_memory_equal(s.p, expect, s.n);
}

/* ---- target forms ------------------------------------------------------ */

static enum http_target_form
form(const char *method, const char *target)
{
	return http_msg_target_form(slice_cstr(method), slice_cstr(target));
}

static void
test_http_msg_target_forms(void **state)
{
	(void)state;
	assert_int_equal(form("GET", "/a"), HTTP_TARGET_ORIGIN);
	assert_int_equal(form("GET", "http://a/"), HTTP_TARGET_ABSOLUTE);
	assert_int_equal(form("GET", "HTTPS://a"), HTTP_TARGET_ABSOLUTE);
	assert_int_equal(form("GET", "ftp://a/"), HTTP_TARGET_ABSOLUTE);
	assert_int_equal(form("CONNECT", "a:443"), HTTP_TARGET_AUTHORITY);
	assert_int_equal(form("CONNECT", "[::1]:443"), HTTP_TARGET_AUTHORITY);
	assert_int_equal(form("OPTIONS", "*"), HTTP_TARGET_ASTERISK);
}

static void
test_http_msg_target_forms_that_do_not_suit_the_method(void **state)
{
	(void)state;
	assert_int_equal(form("GET", "a:443"), HTTP_TARGET_INVALID);
	assert_int_equal(form("GET", "*"), HTTP_TARGET_INVALID);
	assert_int_equal(form("CONNECT", "/"), HTTP_TARGET_INVALID);
	assert_int_equal(form("CONNECT", "a"), HTTP_TARGET_INVALID);
	assert_int_equal(form("CONNECT", "http://a:443/"), HTTP_TARGET_INVALID);
	assert_int_equal(form("GET", ""), HTTP_TARGET_INVALID);
	assert_int_equal(form("GET", "1http://a/"), HTTP_TARGET_INVALID);
	assert_int_equal(form("GET", "http:/a"), HTTP_TARGET_INVALID);
}

/* ---- absolute-form and authority parsing -------------------------------- */

static void
test_http_msg_absolute_http_default_port(void **state)
{
	struct http_target t;

	(void)state;
	assert_int_equal(http_msg_parse_absolute(slice_cstr(
	    "http://Example.com/a/b?c=d"), &t), 0);
	assert_slice(t.host, "Example.com");
	assert_int_equal(t.port, 80);
	assert_false(t.port_explicit);
	assert_false(t.https);
	assert_slice(t.path, "/a/b?c=d");
}

static void
test_http_msg_absolute_https_is_reported(void **state)
{
	struct http_target t;

	(void)state;
	assert_int_equal(http_msg_parse_absolute(slice_cstr(
	    "https://a.example:8443"), &t), 0);
	assert_true(t.https);
	assert_int_equal(t.port, 8443);
	assert_slice(t.path, "");
}

static void
test_http_msg_absolute_ipv6_literal(void **state)
{
	struct http_target t;

	(void)state;
	assert_int_equal(http_msg_parse_absolute(slice_cstr(
	    "http://[fe80::1%25eth0]:8080?q"), &t), 0);
	assert_true(t.ipv6);
	assert_slice(t.host, "fe80::1%25eth0");
	assert_int_equal(t.port, 8080);
	assert_slice(t.path, "?q");
}

static void
test_http_msg_absolute_refusals(void **state)
{
	static const char *const bad[] = {
		"ftp://a/", "http://", "http:///x", "http://u:p@a/",
		"http://a:0/", "http://a:65536/", "http://a:/", "http://a:8x/",
		"http://[::1/", "http://[zz]/", "http://a b/", "http://a/#frag",
		"http://a%2e/",
	};
	struct http_target t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(http_msg_parse_absolute(slice_cstr(bad[i]),
		    &t), -1);
}

static void
test_http_msg_authority_requires_port_for_connect(void **state)
{
	struct http_target t;

	(void)state;
	assert_int_equal(http_msg_parse_authority(slice_cstr("a.b:443"), true,
	    0, &t), 0);
	assert_int_equal(t.port, 443);
	assert_int_equal(http_msg_parse_authority(slice_cstr("a.b"), true, 0,
	    &t), -1);
	assert_int_equal(http_msg_parse_authority(slice_cstr("[::1]:22"), true,
	    0, &t), 0);
	assert_slice(t.host, "::1");
	assert_int_equal(http_msg_parse_authority(slice_cstr("::1:22"), true,
	    0, &t), -1);
	assert_int_equal(http_msg_parse_authority(slice_cstr("[::1]"), true,
	    0, &t), -1);
}

/* ---- request target resolution (§7.2) ----------------------------------- */

static const char *
resolve(struct req *r, struct http_target *t)
{
	return http_msg_request_target(&r->h, t);
}

static void
test_http_msg_origin_form_uses_host_header(void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "GET", "/x?y", "Host", "example.com:8080", NULL);
	assert_null(resolve(&r, &t));
	assert_slice(t.host, "example.com");
	assert_int_equal(t.port, 8080);
	assert_slice(t.path, "/x?y");
}

static void
test_http_msg_origin_form_without_host_is_missing_host(void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "GET", "/x", NULL);
	assert_string_equal(resolve(&r, &t), "missing host");
	req_init(&r, "GET", "/x", "Host", "", NULL);
	assert_string_equal(resolve(&r, &t), "missing host");
}

static void
test_http_msg_absolute_form_with_matching_host_is_fine(void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "GET", "http://example.com/", "Host", "example.com", NULL);
	assert_null(resolve(&r, &t));
	req_init(&r, "GET", "http://example.com/", "Host", "EXAMPLE.com:80",
	    NULL);
	assert_null(resolve(&r, &t));
	req_init(&r, "GET", "http://example.com:8080/", "Host",
	    "example.com:8080", NULL);
	assert_null(resolve(&r, &t));
	req_init(&r, "GET", "http://example.com/", NULL);
	assert_null(resolve(&r, &t));
}

static void
test_http_msg_absolute_form_host_name_mismatch_is_400(void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "GET", "http://raw.githubusercontent.com/x", "Host",
	    "api.github.com", NULL);
	assert_string_equal(resolve(&r, &t),
	    "Host header does not match request target");
}

static void
test_http_msg_absolute_form_host_without_port_for_non_default_is_400(
    void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "GET", "http://example.com:8080/", "Host", "example.com",
	    NULL);
	assert_string_equal(resolve(&r, &t),
	    "Host header does not match request target");
}

static void
test_http_msg_absolute_form_host_port_mismatch_is_400(void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "GET", "http://example.com/", "Host", "example.com:81",
	    NULL);
	assert_string_equal(resolve(&r, &t),
	    "Host header does not match request target");
}

static void
test_http_msg_absolute_form_unparseable_host_is_invalid(void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "GET", "http://example.com/", "Host", "exa mple.com",
	    NULL);
	assert_string_equal(resolve(&r, &t), "invalid Host header");
	req_init(&r, "GET", "http://example.com/", "Host", "example.com:x",
	    NULL);
	assert_string_equal(resolve(&r, &t), "invalid Host header");
}

static void
test_http_msg_unknown_scheme_is_missing_host(void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "GET", "ftp://example.com/", NULL);
	assert_string_equal(resolve(&r, &t), "missing host");
}

static void
test_http_msg_connect_targets(void **state)
{
	struct req r;
	struct http_target t;

	(void)state;
	req_init(&r, "CONNECT", "api.openai.com:443", NULL);
	assert_null(http_msg_connect_target(&r.h, &t));
	assert_slice(t.host, "api.openai.com");
	assert_int_equal(t.port, 443);
	req_init(&r, "CONNECT", "api.openai.com", NULL);
	assert_string_equal(http_msg_connect_target(&r.h, &t),
	    "missing authority");
	req_init(&r, "CONNECT", ":443", NULL);
	assert_string_equal(http_msg_connect_target(&r.h, &t), "invalid host");
	req_init(&r, "CONNECT", "[]:443", NULL);
	assert_string_equal(http_msg_connect_target(&r.h, &t), "invalid host");
}

/* ---- hop-by-hop (§7.5) and serialising ------------------------------------ */

static char *
write_req(struct req *r, enum http_framing f, uint64_t len, bool close)
{
	struct http_target t;
	struct buf b;

	assert_null(resolve(r, &t));
	buf_init(&b, 1 << 16);
	assert_int_equal(http_msg_write_request(&b, &r->h, &t, f, len, close),
	    0);
	return buf_detach(&b, NULL);
}

static void
test_http_msg_hop_by_hop_keeps_forwarding_headers(void **state)
{
	struct req r;
	char *s;

	(void)state;
	req_init(&r, "GET", "http://example.com/a", "Host", "example.com",
	    "Connection", "x-hop, keep-alive", "X-Hop", "1",
	    "Proxy-Authorization", "Basic Zm9v", "X-Forwarded-For", "1.2.3.4",
	    "Keep-Alive", "timeout=5", "Proxy-Connection", "keep-alive",
	    "TE", "trailers", "Trailer", "X", "Upgrade", "websocket",
	    "Accept", "*/*", NULL);
	s = write_req(&r, HTTP_FRAMING_NONE, 0, false);
	assert_string_equal(s, "GET /a HTTP/1.1\r\nHost: example.com\r\n"
	    "X-Forwarded-For: 1.2.3.4\r\nAccept: */*\r\n\r\n");
	free(s);
}

static void
test_http_msg_every_connection_header_is_honoured(void **state)
{
	struct req r;
	char *s;

	(void)state;
	req_init(&r, "GET", "/", "Host", "a", "Connection", "a",
	    "connection", " B ,c", "A", "1", "b", "2", "C", "3", "D", "4", NULL);
	s = write_req(&r, HTTP_FRAMING_NONE, 0, false);
	assert_string_equal(s, "GET / HTTP/1.1\r\nHost: a\r\nD: 4\r\n\r\n");
	free(s);
}

/* The marks for every header at once agree with the one-name test, for
 * names repeated in any case, tokens repeated, and tokens that name no
 * header. */
static void
test_http_msg_hop_marks_agree_with_the_one_name_test(void **state)
{
	bool hop[HTTP_MSG_MAX_HEADERS];
	struct req r;
	size_t i;

	(void)state;
	req_init(&r, "GET", "/", "Host", "a", "X-A", "1", "x-a", "2",
	    "Connection", "x-a,, nothing, X-B ,x-a", "X-B", "3", "Y", "4",
	    "Keep-Alive", "5", "connection", "host, content-length, y",
	    "Content-Length", "0", NULL);
	assert_int_equal(http_msg_hop_marks(&r.h, hop), 0);
	for (i = 0; i < r.h.nheaders; i++)
		assert_int_equal(hop[i],
		    http_msg_is_hop_by_hop(&r.h, r.h.headers[i].name));
	assert_false(hop[0]);	/* Host is never named away */
	assert_true(hop[1] && hop[2] && hop[4] && hop[5]);
}

/* A Connection header naming thousands of tokens over a head at the
 * header cap is still marked right (and in time linear in its size). */
static void
test_http_msg_hop_marks_many_tokens(void **state)
{
	static struct req r;
	static char conn[40000];
	static char names[HTTP_MSG_MAX_HEADERS][8];
	bool hop[HTTP_MSG_MAX_HEADERS];
	size_t i, n = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.h.is_request = true;
	r.h.method = slice_cstr("GET");
	r.h.target = slice_cstr("/");
	r.h.headers = r.hdr;
	for (i = 0; i + 10 < sizeof(conn); i += 2)
		memcpy(conn + i, "z,", 2);
	n = i;
	memcpy(conn + n, "h7", 2);
	n += 2;
	r.hdr[0].name = slice_cstr("Connection");
	r.hdr[0].value = slice_of(conn, n);
	for (i = 1; i < HTTP_MSG_MAX_HEADERS; i++) {
		snprintf(names[i], sizeof(names[i]), "h%zu", i % 10);
		r.hdr[i].name = slice_cstr(names[i]);
		r.hdr[i].value = slice_cstr("v");
	}
	r.h.nheaders = HTTP_MSG_MAX_HEADERS;
	assert_int_equal(http_msg_hop_marks(&r.h, hop), 0);
	for (i = 1; i < HTTP_MSG_MAX_HEADERS; i++)
		assert_int_equal(hop[i], i % 10 == 7);
	r.h.nheaders = HTTP_MSG_MAX_HEADERS + 1;
	assert_int_equal(http_msg_hop_marks(&r.h, hop), -1);
}

static void
test_http_msg_connection_cannot_strip_host_or_framing(void **state)
{
	struct req r;
	char *s;

	(void)state;
	req_init(&r, "POST", "/", "Host", "a", "Connection",
	    "host, content-length", "Content-Length", "2", NULL);
	s = write_req(&r, HTTP_FRAMING_LENGTH, 2, false);
	assert_string_equal(s, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 2\r\n\r\n");
	free(s);
}

static void
test_http_msg_writes_chunked_framing_and_close(void **state)
{
	struct req r;
	char *s;

	(void)state;
	req_init(&r, "PUT", "http://a:8080/up", "Transfer-Encoding", "chunked",
	    NULL);
	s = write_req(&r, HTTP_FRAMING_CHUNKED, 0, true);
	assert_string_equal(s, "PUT /up HTTP/1.1\r\nHost: a:8080\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
	free(s);
}

static void
test_http_msg_adds_host_for_absolute_form(void **state)
{
	struct req r;
	char *s;

	(void)state;
	req_init(&r, "GET", "http://[::1]:8080?x", "Accept", "*/*", NULL);
	s = write_req(&r, HTTP_FRAMING_NONE, 0, false);
	assert_string_equal(s, "GET /?x HTTP/1.1\r\nHost: [::1]:8080\r\n"
	    "Accept: */*\r\n\r\n");
	free(s);
	req_init(&r, "GET", "http://a", NULL);
	s = write_req(&r, HTTP_FRAMING_NONE, 0, false);
	assert_string_equal(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	free(s);
}

static void
test_http_msg_writes_response_without_hop_by_hop(void **state)
{
	struct req r;
	struct buf b;
	char *s;

	(void)state;
	req_init(&r, "", "", "Content-Type", "text/html", "Connection",
	    "keep-alive, x-a", "X-A", "1", "Proxy-Authenticate", "Basic",
	    "Transfer-Encoding", "chunked", "Set-Cookie", "a=b", NULL);
	r.h.is_request = false;
	r.h.status = 200;
	r.h.reason = slice_cstr("OK");
	buf_init(&b, 1 << 16);
	assert_int_equal(http_msg_write_response(&b, &r.h,
	    HTTP_FRAMING_CHUNKED, 0, false), 0);
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
	    "Set-Cookie: a=b\r\nTransfer-Encoding: chunked\r\n\r\n");
	free(s);
}

static void
test_http_msg_eof_framed_response_says_close(void **state)
{
	struct req r;
	struct buf b;
	char *s;

	(void)state;
	req_init(&r, "", "", NULL);
	r.h.status = 204;
	buf_init(&b, 1 << 16);
	assert_int_equal(http_msg_write_response(&b, &r.h, HTTP_FRAMING_EOF, 0,
	    false), 0);
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "HTTP/1.1 204 \r\nConnection: close\r\n\r\n");
	free(s);
}

static void
test_http_msg_write_fails_when_buffer_full(void **state)
{
	struct req r;
	struct http_target t;
	struct buf b;

	(void)state;
	req_init(&r, "GET", "/", "Host", "a", "X", "0123456789", NULL);
	assert_null(resolve(&r, &t));
	buf_init(&b, 20);
	assert_int_equal(http_msg_write_request(&b, &r.h, &t, HTTP_FRAMING_NONE,
	    0, false), -1);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_msg_target_forms),
		cmocka_unit_test(test_http_msg_target_forms_that_do_not_suit_the_method),
		cmocka_unit_test(test_http_msg_absolute_http_default_port),
		cmocka_unit_test(test_http_msg_absolute_https_is_reported),
		cmocka_unit_test(test_http_msg_absolute_ipv6_literal),
		cmocka_unit_test(test_http_msg_absolute_refusals),
		cmocka_unit_test(test_http_msg_authority_requires_port_for_connect),
		cmocka_unit_test(test_http_msg_origin_form_uses_host_header),
		cmocka_unit_test(test_http_msg_origin_form_without_host_is_missing_host),
		cmocka_unit_test(test_http_msg_absolute_form_with_matching_host_is_fine),
		cmocka_unit_test(test_http_msg_absolute_form_host_name_mismatch_is_400),
		cmocka_unit_test(test_http_msg_absolute_form_host_without_port_for_non_default_is_400),
		cmocka_unit_test(test_http_msg_absolute_form_host_port_mismatch_is_400),
		cmocka_unit_test(test_http_msg_absolute_form_unparseable_host_is_invalid),
		cmocka_unit_test(test_http_msg_unknown_scheme_is_missing_host),
		cmocka_unit_test(test_http_msg_connect_targets),
		cmocka_unit_test(test_http_msg_hop_by_hop_keeps_forwarding_headers),
		cmocka_unit_test(test_http_msg_hop_marks_agree_with_the_one_name_test),
		cmocka_unit_test(test_http_msg_hop_marks_many_tokens),
		cmocka_unit_test(test_http_msg_every_connection_header_is_honoured),
		cmocka_unit_test(test_http_msg_connection_cannot_strip_host_or_framing),
		cmocka_unit_test(test_http_msg_writes_chunked_framing_and_close),
		cmocka_unit_test(test_http_msg_adds_host_for_absolute_form),
		cmocka_unit_test(test_http_msg_writes_response_without_hop_by_hop),
		cmocka_unit_test(test_http_msg_eof_framed_response_says_close),
		cmocka_unit_test(test_http_msg_write_fails_when_buffer_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
