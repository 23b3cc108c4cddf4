/* test_console.c — the web console's request judging (server/console.h,
 * server/console_http.h): Host and Origin forms, cookie and subprotocol
 * lists, the one-time login code (right, wrong, spent, expired) and the
 * session's upgrade, which needs its cookie, its key and its origin. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http1.h"
#include "server/auth.h"
#include "server/console.h"
#include "server/console_http.h"

#define S(lit) slice_cstr(lit)

/* --- pieces -------------------------------------------------------------- */

static void
test_console_host_accepts_only_literals_and_localhost(void **state)
{
	static const char *const good[] = {
		"127.0.0.1:8765", "localhost", "LOCALHOST:1", "[::1]:443",
		"10.0.0.5:80", "[fe80::1]"};
	static const char *const bad[] = {
		"", "evil.test:8765", "localhost.:1", "sub.localhost:1",
		"127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "[::1",
		"[::1]x", "127.0.0.1:80x", "[127.0.0.1]:1", "::1", "1.2.3:4"};
	unsigned port;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(console_host_ok(S(good[i]), &port));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(console_host_ok(S(bad[i]), &port));
	assert_true(console_host_ok(S("127.0.0.1:8765"), &port));
	assert_int_equal(port, 8765);
	assert_true(console_host_ok(S("localhost"), &port));
	assert_int_equal(port, 80);
}

static void
test_console_origin_must_be_http_and_the_host_exactly(void **state)
{
	(void)state;
	assert_true(console_origin_matches(S("http://127.0.0.1:1"),
					   S("127.0.0.1:1")));
	assert_false(console_origin_matches(S("https://127.0.0.1:1"),
					    S("127.0.0.1:1")));
	assert_false(console_origin_matches(S("http://127.0.0.1:12"),
					    S("127.0.0.1:1")));
	assert_false(console_origin_matches(S("http://localhost:1"),
					    S("127.0.0.1:1")));
	assert_false(console_origin_matches(S("null"), S("127.0.0.1:1")));
	assert_false(console_origin_matches(S("http://"), S("")));
}

static void
test_console_cookie_values_are_found_each_time_named(void **state)
{
	struct slice h = S("a=1; airlock_console_1=x;b=2;  airlock_console_1 = "
			   "; airlock_console_1=y ;airlock_console_12=z");
	struct slice v;
	size_t pos = 0;

	(void)state;
	assert_true(console_cookie_next(h, "airlock_console_1", &pos, &v));
	assert_true(slice_eq_cstr(v, "x"));
	assert_true(console_cookie_next(h, "airlock_console_1", &pos, &v));
	assert_true(slice_eq_cstr(v, "y"));
	assert_false(console_cookie_next(h, "airlock_console_1", &pos, &v));
	pos = 0;
	assert_false(console_cookie_next(S(""), "a", &pos, &v));
}

static void
test_console_protocol_lists(void **state)
{
	struct slice l = S("airlock.console, airlock.key.K1 ,x"), rest;

	(void)state;
	assert_true(console_list_has(l, "airlock.console"));
	assert_false(console_list_has(l, "airlock"));
	assert_true(console_list_prefixed(l, "airlock.key.", &rest));
	assert_true(slice_eq_cstr(rest, "K1"));
	assert_false(console_list_prefixed(S("airlock.console"), "airlock.key.",
					   &rest));
}

static void
test_console_assets_by_path(void **state)
{
	const struct console_asset *a;

	(void)state;
	a = console_asset_for(S("/"));
	assert_non_null(a);
	assert_string_equal(a->name, "index.html");
	a = console_asset_for(S("/console.js?v=1"));
	assert_non_null(a);
	assert_string_equal(console_mime(a->name),
			    "text/javascript; charset=utf-8");
	assert_null(console_asset_for(S("/../console.js")));
	assert_null(console_asset_for(S("/nope")));
	assert_null(console_asset_for(S("console.js")));
	assert_null(console_asset_for(S("")));
}

/* --- judging whole requests ------------------------------------------------ */

struct judged {
	struct console *c;
	int64_t now;
	enum console_verdict v;
	struct buf out;
	unsigned scope;
	struct console_note note;
};

static int
on_head(void *arg, const struct http_head *h)
{
	struct judged *j = arg;

	j->v = console_judge(j->c, h, j->now, &j->out, &j->scope, &j->note);
	return 0;
}

static enum console_verdict
judge(struct judged *j, const char *req)
{
	static const struct http1_callbacks cb = {.on_head = on_head};
	struct http1 *p = http1_new(HTTP1_REQUEST, &cb, j, 0);

	buf_reset(&j->out);
	j->v = -1;
	assert_true(http1_feed(p, req, strlen(req)) >= 0);
	http1_free(p);
	return j->v;
}

static const char *
header(struct judged *j, const char *name, char *out, size_t cap)
{
	const char *p = strstr(j->out.p, name);
	size_t n;

	if (p == NULL)
		return NULL;
	p += strlen(name);
	n = strcspn(p, ";\r");
	snprintf(out, cap, "%.*s", (int)n, p);
	return out;
}

#define ORIGIN "Host: 127.0.0.1:8765\r\nOrigin: http://127.0.0.1:8765\r\n"
#define UPGRADE                                                              \
	"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"    \
	"Sec-WebSocket-Version: 13\r\n"                                      \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"

/* Logs in with code: true with the cookie and key it got. */
static bool
login(struct judged *j, const char *code, char *cookie, char *key)
{
	char req[512], *k;

	snprintf(req, sizeof(req),
		 "POST /login HTTP/1.1\r\n" ORIGIN "X-Airlock-Login: %s\r\n"
		 "Content-Length: 0\r\n\r\n",
		 code);
	if (judge(j, req) != CONSOLE_REPLY || strncmp(j->out.p, "HTTP/1.1 200",
						       12) != 0)
		return false;
	header(j, "set-cookie: airlock_console_8765=", cookie, 64);
	k = strstr(j->out.p, "{\"key\":\"");
	assert_non_null(k);
	snprintf(key, 64, "%.*s", CONSOLE_SECRET_LEN, k + 8);
	return true;
}

static enum console_verdict
upgrade(struct judged *j, const char *origin, const char *cookie,
	const char *key)
{
	char req[1024];

	snprintf(req, sizeof(req),
		 UPGRADE "Host: 127.0.0.1:8765\r\nOrigin: %s\r\n"
		 "Cookie: other=1; airlock_console_8765=%s\r\n"
		 "Sec-WebSocket-Protocol: airlock.console, airlock.key.%s\r\n\r\n",
		 origin, cookie, key);
	return judge(j, req);
}

/* A new code of j's console, into code[64]. */
static void
new_code(struct judged *j, char *code)
{
	char url[256];

	assert_int_equal(console_new_code(j->c, "127.0.0.1:8765", j->now, url,
					  sizeof(url)),
			 0);
	assert_true(strncmp(url, "http://127.0.0.1:8765/#code=", 28) == 0);
	assert_int_equal(strlen(url + 28), CONSOLE_SECRET_LEN);
	memcpy(code, url + 28, CONSOLE_SECRET_LEN + 1);
}

static void
fresh(struct judged *j, char *code)
{
	memset(j, 0, sizeof(*j));
	j->c = console_new(AUTH_SCOPE_APPROVE);
	j->now = 1000;
	buf_init(&j->out, CONSOLE_MAX_REPLY);
	new_code(j, code);
}

static void
done(struct judged *j)
{
	console_free(j->c);
	buf_release(&j->out);
}

static void
test_console_code_logs_in_once_and_makes_a_session(void **state)
{
	char code[64], cookie[64], key[64];
	struct judged j;

	(void)state;
	fresh(&j, code);
	assert_true(login(&j, code, cookie, key));
	assert_non_null(strstr(j.out.p, "; Path=/; HttpOnly; SameSite=Strict"));
	assert_non_null(strstr(j.out.p, "\"roles\":[\"approve\"]"));
	assert_int_equal(strlen(cookie), CONSOLE_SECRET_LEN);
	assert_string_not_equal(cookie, key);
	assert_false(login(&j, code, cookie, key));
	assert_non_null(strstr(j.out.p, "HTTP/1.1 403"));
	assert_true(j.note.refused);

	assert_int_equal(upgrade(&j, "http://127.0.0.1:8765", cookie, key),
			 CONSOLE_UPGRADE);
	assert_int_equal(j.scope, AUTH_SCOPE_APPROVE);
	assert_non_null(strstr(j.out.p, "sec-websocket-protocol: "
					"airlock.console\r\n"));
	done(&j);
}

static void
test_console_upgrade_needs_cookie_key_and_origin_together(void **state)
{
	char code[64], cookie[64], key[64], cookie2[64], key2[64];
	struct judged j;

	(void)state;
	fresh(&j, code);
	assert_true(login(&j, code, cookie, key));
	assert_int_equal(upgrade(&j, "http://127.0.0.1:8765", cookie, cookie),
			 CONSOLE_REPLY);
	assert_non_null(strstr(j.out.p, "HTTP/1.1 403"));
	assert_int_equal(upgrade(&j, "http://127.0.0.1:8765", key, key),
			 CONSOLE_REPLY);
	/* Another origin with the right pair is not the console's at all:
	 * ws.h answers it 403. */
	assert_int_equal(upgrade(&j, "http://127.0.0.1:1", cookie, key),
			 CONSOLE_PASS);
	/* A second login's key does not go with the first's cookie. */
	new_code(&j, code);
	assert_true(login(&j, code, cookie2, key2));
	assert_int_equal(upgrade(&j, "http://127.0.0.1:8765", cookie, key2),
			 CONSOLE_REPLY);
	assert_non_null(strstr(j.out.p, "HTTP/1.1 403"));
	assert_int_equal(upgrade(&j, "http://127.0.0.1:8765", cookie2, key2),
			 CONSOLE_UPGRADE);
	assert_int_equal(upgrade(&j, "http://127.0.0.1:8765", cookie, key),
			 CONSOLE_UPGRADE);
	done(&j);
}

static void
test_console_code_expires(void **state)
{
	char code[64], cookie[64], key[64];
	struct judged j;

	(void)state;
	fresh(&j, code);
	j.now += CONSOLE_CODE_TTL_MS;
	assert_false(login(&j, code, cookie, key));
	assert_non_null(strstr(j.out.p, "HTTP/1.1 403"));
	j.now -= 1; /* still before the deadline: it works */
	assert_true(login(&j, code, cookie, key));
	done(&j);
}

static void
test_console_login_needs_the_own_origin_and_no_body(void **state)
{
	char code[64], req[512];
	struct judged j;

	(void)state;
	fresh(&j, code);
	snprintf(req, sizeof(req),
		 "POST /login HTTP/1.1\r\nHost: 127.0.0.1:8765\r\n"
		 "X-Airlock-Login: %s\r\nContent-Length: 0\r\n\r\n", code);
	assert_int_equal(judge(&j, req), CONSOLE_REPLY);
	assert_non_null(strstr(j.out.p, "HTTP/1.1 403"));
	snprintf(req, sizeof(req),
		 "POST /login HTTP/1.1\r\nHost: evil.test:8765\r\nOrigin: "
		 "http://evil.test:8765\r\nX-Airlock-Login: %s\r\n"
		 "Content-Length: 0\r\n\r\n", code);
	assert_int_equal(judge(&j, req), CONSOLE_PASS);
	snprintf(req, sizeof(req),
		 "POST /login HTTP/1.1\r\n" ORIGIN "Content-Length: %zu\r\n\r\n%s",
		 strlen(code), code);
	assert_int_equal(judge(&j, req), CONSOLE_REPLY);
	assert_non_null(strstr(j.out.p, "HTTP/1.1 400"));
	done(&j);
}

static void
test_console_page_and_what_it_leaves_to_ws(void **state)
{
	char code[64];
	struct judged j;

	(void)state;
	fresh(&j, code);
	assert_int_equal(judge(&j, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8765\r\n"
				   "\r\n"),
			 CONSOLE_REPLY);
	assert_true(strncmp(j.out.p, "HTTP/1.1 200", 12) == 0);
	assert_non_null(strstr(j.out.p, "content-security-policy: " CONSOLE_CSP
					"\r\n"));
	assert_non_null(strstr(j.out.p, "x-frame-options: DENY\r\n"));
	assert_int_equal(judge(&j, "GET / HTTP/1.1\r\nHost: evil.test:8765\r\n"
				   "\r\n"),
			 CONSOLE_REPLY);
	assert_non_null(strstr(j.out.p, "HTTP/1.1 403"));
	/* Bearer upgrades, health checks, unknown paths, other origins. */
	assert_int_equal(judge(&j, UPGRADE "Host: 127.0.0.1:8765\r\n\r\n"),
			 CONSOLE_PASS);
	assert_int_equal(judge(&j, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"),
			 CONSOLE_PASS);
	assert_int_equal(judge(&j, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8765\r\n"
				   "Origin: http://evil.example\r\n\r\n"),
			 CONSOLE_PASS);
	assert_int_equal(judge(&j, "GET / HTTP/1.1\r\n" ORIGIN "\r\n"),
			 CONSOLE_REPLY);
	done(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_host_accepts_only_literals_and_localhost),
		cmocka_unit_test(test_console_origin_must_be_http_and_the_host_exactly),
		cmocka_unit_test(test_console_cookie_values_are_found_each_time_named),
		cmocka_unit_test(test_console_protocol_lists),
		cmocka_unit_test(test_console_assets_by_path),
		cmocka_unit_test(test_console_code_logs_in_once_and_makes_a_session),
		cmocka_unit_test(test_console_upgrade_needs_cookie_key_and_origin_together),
		cmocka_unit_test(test_console_code_expires),
		cmocka_unit_test(test_console_login_needs_the_own_origin_and_no_body),
		cmocka_unit_test(test_console_page_and_what_it_leaves_to_ws),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
