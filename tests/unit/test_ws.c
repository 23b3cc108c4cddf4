/* test_ws.c — the WebSocket handshake checks and the frame engine
 * (reference §19.3–19.4). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http1.h"
#include "server/ws.h"

/* --- handshake ----------------------------------------------------------- */

struct judged {
	enum ws_verdict v;
	struct ws_upgrade u;
	char auth[64];
	char key[32];
};

static int
on_head(void *arg, const struct http_head *h)
{
	struct judged *j = arg;

	j->v = ws_judge(h, &j->u);
	if (j->u.auth != NULL)
		snprintf(j->auth, sizeof(j->auth), "%.*s", (int)j->u.auth_len,
			 j->u.auth);
	snprintf(j->key, sizeof(j->key), "%.*s", (int)j->u.key.n, j->u.key.p);
	return 0;
}

static enum ws_verdict
judge(const char *req, struct judged *j)
{
	static const struct http1_callbacks cb = {.on_head = on_head};
	struct http1 *p = http1_new(HTTP1_REQUEST, &cb, j, 0);

	memset(j, 0, sizeof(*j));
	j->v = -1;
	assert_true(http1_feed(p, req, strlen(req)) >= 0);
	http1_free(p);
	return j->v;
}

#define UPGRADE_HEAD                                                         \
	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"         \
	"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n"    \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"

static void
test_ws_valid_upgrade_is_accepted_with_its_key_and_auth(void **state)
{
	struct judged j;

	(void)state;
	assert_int_equal(judge(UPGRADE_HEAD "Authorization: Bearer t\r\n\r\n",
			       &j),
			 WS_UPGRADE);
	assert_string_equal(j.key, "dGhlIHNhbXBsZSBub25jZQ==");
	assert_string_equal(j.auth, "Bearer t");
}

static void
test_ws_upgrade_without_authorization_has_null_auth(void **state)
{
	struct judged j;

	(void)state;
	assert_int_equal(judge(UPGRADE_HEAD "\r\n", &j), WS_UPGRADE);
	assert_null(j.u.auth);
}

static void
test_ws_any_origin_is_forbidden_even_on_readyz(void **state)
{
	struct judged j;

	(void)state;
	assert_int_equal(judge(UPGRADE_HEAD "Origin: https://evil.example\r\n"
					    "\r\n",
			       &j),
			 WS_FORBIDDEN);
	assert_int_equal(judge("GET /readyz HTTP/1.1\r\nHost: x\r\nOrigin: "
			       "null\r\n\r\n",
			       &j),
			 WS_FORBIDDEN);
}

static void
test_ws_readyz_and_healthz_need_no_upgrade(void **state)
{
	struct judged j;

	(void)state;
	assert_int_equal(judge("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", &j),
			 WS_HEALTH);
	assert_int_equal(judge("GET /healthz HTTP/1.0\r\n\r\n", &j), WS_HEALTH);
	assert_int_equal(judge("GET /readyzz HTTP/1.1\r\nHost: x\r\n\r\n", &j),
			 WS_BAD);
}

static void
test_ws_malformed_upgrades_are_bad_requests(void **state)
{
	static const char *const bad[] = {
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection:"
		" Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: "
		"dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection:"
		" Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
		"short==\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection:"
		" Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
		"dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
	};
	struct judged j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(judge(bad[i], &j), WS_BAD);
}

static void
test_ws_accept_key_matches_rfc6455_example(void **state)
{
	char out[WS_ACCEPT_LEN + 1];
	const char *k = "dGhlIHNhbXBsZSBub25jZQ==";

	(void)state;
	ws_accept_key((struct slice){k, strlen(k)}, out);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void
test_ws_http_responses_are_plain_text(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	ws_http_response(&b, 401, "missing websocket bearer token");
	assert_non_null(strstr(b.p, "HTTP/1.1 401 Unauthorized\r\n"));
	assert_non_null(strstr(b.p, "content-length: 30\r\n"));
	assert_null(strstr(b.p, "www-authenticate"));
	assert_non_null(strstr(b.p, "\r\n\r\nmissing websocket bearer token"));
	buf_release(&b);
}

/* --- frames ------------------------------------------------------------------ */

struct got {
	int n;
	char last[256];
};

static void
on_text(void *arg, const char *p, size_t n)
{
	struct got *g = arg;

	g->n++;
	snprintf(g->last, sizeof(g->last), "%.*s", (int)n, p);
}

/* A masked client frame (mask key 0x01020304) into out; returns length. */
static size_t
frame(unsigned char *out, int fin_op, const char *p, size_t n)
{
	static const unsigned char mask[4] = {1, 2, 3, 4};
	size_t h = 0, i;

	out[h++] = (unsigned char)fin_op;
	if (n < 126) {
		out[h++] = 0x80 | (unsigned char)n;
	} else if (n < 65536) {
		out[h++] = 0x80 | 126;
		out[h++] = (unsigned char)(n >> 8);
		out[h++] = (unsigned char)n;
	} else {
		out[h++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[h++] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	}
	memcpy(out + h, mask, 4);
	h += 4;
	for (i = 0; i < n; i++)
		out[h + i] = (unsigned char)p[i] ^ mask[i % 4];
	return h + n;
}

static void
test_ws_text_frame_is_delivered_once_complete(void **state)
{
	unsigned char f[64];
	struct got g = {0};
	struct ws *w = ws_new(on_text, &g, 0);
	size_t n = frame(f, 0x81, "{\"id\":1}", 8);

	(void)state;
	assert_int_equal(ws_feed(w, (char *)f, 3), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(ws_feed(w, (char *)f + 3, n - 3), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.last, "{\"id\":1}");
	ws_free(w);
}

static void
test_ws_ping_is_answered_with_pong(void **state)
{
	unsigned char f[64];
	struct got g = {0};
	struct ws *w = ws_new(on_text, &g, 0);
	const char *out;
	size_t n = frame(f, 0x89, "hi", 2);

	(void)state;
	assert_int_equal(ws_feed(w, (char *)f, n), 0);
	out = ws_output(w, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\x8a\x02hi", 4);
	ws_free(w);
}

static void
test_ws_binary_frames_are_dropped(void **state)
{
	unsigned char f[64];
	struct got g = {0};
	struct ws *w = ws_new(on_text, &g, 0);
	size_t n = frame(f, 0x82, "bin", 3);

	(void)state;
	assert_int_equal(ws_feed(w, (char *)f, n), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(ws_dropped_binary(w), 1);
	ws_free(w);
}

static void
test_ws_message_over_the_cap_is_closed_with_1009(void **state)
{
	unsigned char *f = malloc(2048);
	char big[1100];
	struct got g = {0};
	struct ws *w = ws_new(on_text, &g, 1024);
	const char *out;
	size_t n;

	(void)state;
	memset(big, 'a', sizeof(big));
	n = frame(f, 0x81, big, sizeof(big));
	ws_feed(w, (char *)f, n);
	assert_int_equal(g.n, 0);
	out = ws_output(w, &n);
	assert_true(n >= 4);
	assert_int_equal((unsigned char)out[0], 0x88);
	assert_int_equal(((unsigned char)out[2] << 8) | (unsigned char)out[3],
			 1009);
	free(f);
	ws_free(w);
}

static void
test_ws_close_is_echoed_and_finishes(void **state)
{
	unsigned char f[64];
	struct got g = {0};
	struct ws *w = ws_new(on_text, &g, 0);
	const char *out;
	size_t n = frame(f, 0x88, "\x03\xe8", 2);

	(void)state;
	assert_false(ws_finished(w));
	ws_feed(w, (char *)f, n);
	out = ws_output(w, &n);
	assert_true(n >= 2);
	assert_int_equal((unsigned char)out[0], 0x88);
	assert_true(ws_finished(w));
	assert_int_equal(ws_send_text(w, "x", 1), -1);
	ws_free(w);
}

static void
test_ws_unmasked_client_frame_is_a_protocol_error(void **state)
{
	struct got g = {0};
	struct ws *w = ws_new(on_text, &g, 0);
	const char *out;
	size_t n;

	(void)state;
	ws_feed(w, "\x81\x02hi", 4);
	assert_int_equal(g.n, 0);
	out = ws_output(w, &n);
	assert_true(n >= 4);
	assert_int_equal(((unsigned char)out[2] << 8) | (unsigned char)out[3],
			 1002);
	ws_free(w);
}

static void
test_ws_sent_text_is_an_unmasked_server_frame(void **state)
{
	struct got g = {0};
	struct ws *w = ws_new(on_text, &g, 0);
	const char *out;
	size_t n;

	(void)state;
	assert_int_equal(ws_send_text(w, "{}", 2), 0);
	out = ws_output(w, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\x81\x02{}", 4);
	ws_consume(w, n);
	out = ws_output(w, &n);
	assert_int_equal(n, 0);
	ws_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws_valid_upgrade_is_accepted_with_its_key_and_auth),
		cmocka_unit_test(test_ws_upgrade_without_authorization_has_null_auth),
		cmocka_unit_test(test_ws_any_origin_is_forbidden_even_on_readyz),
		cmocka_unit_test(test_ws_readyz_and_healthz_need_no_upgrade),
		cmocka_unit_test(test_ws_malformed_upgrades_are_bad_requests),
		cmocka_unit_test(test_ws_accept_key_matches_rfc6455_example),
		cmocka_unit_test(test_ws_http_responses_are_plain_text),
		cmocka_unit_test(test_ws_text_frame_is_delivered_once_complete),
		cmocka_unit_test(test_ws_ping_is_answered_with_pong),
		cmocka_unit_test(test_ws_binary_frames_are_dropped),
		cmocka_unit_test(test_ws_message_over_the_cap_is_closed_with_1009),
		cmocka_unit_test(test_ws_close_is_echoed_and_finishes),
		cmocka_unit_test(test_ws_unmasked_client_frame_is_a_protocol_error),
		cmocka_unit_test(test_ws_sent_text_is_an_unmasked_server_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
