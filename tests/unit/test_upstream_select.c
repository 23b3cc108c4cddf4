/* test_upstream_select.c — upstream proxy URLs, the choice of upstream
 * for a target, no_proxy, and the CONNECT reply parser (net/upstream.h):
 * pure functions, no sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/errbuf.h"
#include "net/upstream.h"

/* --- URLs ------------------------------------------------------------------- */

static void
test_url_http_with_credentials_is_percent_decoded(void **state)
{
	struct upstream u;
	const char *why = NULL;
	const char *s = "http://us%40er:p%3Ass@Proxy.Corp.Example:3128/";

	(void)state;
	assert_int_equal(upstream_parse_url(s, strlen(s), false, &u, &why), 0);
	assert_int_equal(u.scheme, UPSTREAM_HTTP);
	assert_string_equal(u.host, "proxy.corp.example");
	assert_int_equal(u.port, 3128);
	assert_string_equal(u.user, "us@er");
	assert_string_equal(u.pass, "p:ss");
	upstream_release(&u);
}

static void
test_url_default_ports_by_scheme(void **state)
{
	struct upstream u;
	const char *why;

	(void)state;
	assert_int_equal(upstream_parse_url("http://p", 8, false, &u, &why), 0);
	assert_int_equal(u.port, 80);
	upstream_release(&u);
	assert_int_equal(upstream_parse_url("socks5h://p", 11, false, &u, &why),
			 0);
	assert_int_equal(u.scheme, UPSTREAM_SOCKS5H);
	assert_int_equal(u.port, 1080);
	assert_null(u.user);
	upstream_release(&u);
}

static void
test_url_ipv6_literal_in_brackets(void **state)
{
	struct upstream u;
	const char *why;
	char label[128];

	(void)state;
	assert_int_equal(upstream_parse_url("socks5://[::1]:1080", 19, false,
					    &u, &why), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(upstream_label(&u, label, sizeof(label)),
			    "socks5://[::1]:1080");
	upstream_release(&u);
}

static void
test_url_refuses_bad_inputs(void **state)
{
	static const char *const bad[] = {
		"https://p:1", "ftp://p:1", "socks4://p:1", "http://",
		"http://p:0", "http://p:99999", "http://p:1/path",
		"http://u%zz:x@p:1", "http://:pw@p:1", "http://u%00:x@p:1",
		"http://[::1:1",
	};
	struct upstream u;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(upstream_parse_url(bad[i], strlen(bad[i]),
						    false, &u, &why), -1);
		assert_non_null(why);
	}
}

static void
test_url_without_scheme_is_http_only_when_optional(void **state)
{
	struct upstream u;
	const char *why;

	(void)state;
	assert_int_equal(upstream_parse_url(" proxy:8080 ", 12, true, &u, &why),
			 0);
	assert_int_equal(u.scheme, UPSTREAM_HTTP);
	assert_int_equal(u.port, 8080);
	upstream_release(&u);
	assert_int_equal(upstream_parse_url("proxy:8080", 10, false, &u, &why),
			 -1);
}

static void
test_proxy_authorization_is_basic_base64(void **state)
{
	struct upstream u;
	const char *why;
	char *h;

	(void)state;
	assert_int_equal(upstream_parse_url("http://Aladdin:open%20sesame@p:1",
					    32, false, &u, &why), 0);
	h = upstream_proxy_authorization(&u);
	assert_string_equal(h, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	free(h);
	upstream_release(&u);
	assert_int_equal(upstream_parse_url("http://p:1", 10, false, &u, &why),
			 0);
	assert_null(upstream_proxy_authorization(&u));
	upstream_release(&u);
}

/* --- selection ------------------------------------------------------------------ */

static void
test_select_config_proxy_serves_every_target(void **state)
{
	static const char *const env[] = {"HTTPS_PROXY=http://envp:1", NULL};
	struct upstream_cfg cfg;
	const struct upstream *u;

	(void)state;
	upstream_cfg_build(&cfg, true, "socks5h://corp:1080", NULL, 0, env,
			   NULL);
	u = upstream_select(&cfg, "pypi.org", true);
	assert_non_null(u);
	assert_string_equal(u->host, "corp");
	assert_string_equal(u->source, "network.proxy");
	assert_ptr_equal(upstream_select(&cfg, "pypi.org", false), u);
	upstream_cfg_release(&cfg);
}

static void
test_select_disallowed_is_always_direct(void **state)
{
	static const char *const env[] = {"ALL_PROXY=http://envp:1", NULL};
	struct upstream_cfg cfg;

	(void)state;
	upstream_cfg_build(&cfg, false, "http://corp:3128", NULL, 0, env, NULL);
	assert_null(upstream_select(&cfg, "pypi.org", true));
	assert_null(upstream_select(&cfg, "pypi.org", false));
	upstream_cfg_release(&cfg);
}

static void
test_disallowed_upstream_is_named_once_without_its_url(void **state)
{
	static const char *const env[] = {
		"HTTP_PROXY=http://user:pw@envp:1", NULL};
	static const char *const none[] = {"HTTPS_PROXY=  ", NULL};
	struct upstream_cfg cfg;
	struct errbuf warn;

	(void)state;
	errbuf_init(&warn);
	upstream_cfg_build(&cfg, false, "http://u:secret@corp:3128", NULL, 0,
			   env, &warn);
	assert_int_equal(warn.count, 1);
	assert_string_equal(errbuf_str(&warn),
			    "the upstream proxy in network.proxy is not used: "
			    "permissions.network.allow_upstream_proxy is false");
	upstream_cfg_release(&cfg);
	errbuf_clear(&warn);
	upstream_cfg_build(&cfg, false, "", NULL, 0, env, &warn);
	assert_int_equal(warn.count, 1);
	assert_non_null(strstr(errbuf_str(&warn), "in HTTP_PROXY is not used"));
	assert_null(strstr(errbuf_str(&warn), "pw"));
	upstream_cfg_release(&cfg);
	errbuf_clear(&warn);
	upstream_cfg_build(&cfg, false, "", NULL, 0, none, &warn);
	assert_int_equal(warn.count, 0);
	upstream_cfg_release(&cfg);
	errbuf_release(&warn);
}

struct env_case {
	const char *env[8];
	const char *tls_host;   /* expected upstream host for TLS, or NULL */
	const char *plain_host; /* for plain http, or NULL */
	unsigned warnings;
};

static void
test_select_environment_order_table(void **state)
{
	static const struct env_case cases[] = {
		{{"HTTPS_PROXY=http://s:1", "HTTP_PROXY=http://h:1",
		  "ALL_PROXY=http://a:1"}, "s", "h", 0},
		{{"https_proxy=http://s:1", "http_proxy=http://h:1"}, "s", "h",
		 0},
		{{"HTTPS_PROXY=http://S:1", "https_proxy=http://s2:1"}, "s",
		 NULL, 0},
		{{"HTTP_PROXY=http://h:1"}, "h", "h", 0},
		{{"ALL_PROXY=socks5h://a:1"}, "a", "a", 0},
		{{"all_proxy=socks5://a:1", "HTTPS_PROXY=  "}, "a", "a", 0},
		{{"HTTPS_PROXY=https://s:1", "HTTP_PROXY=http://h:1"}, "h",
		 "h", 1},
		{{"HTTP_PROXY=ftp://x:1", "ALL_PROXY=http://a:1"}, "a", "a",
		 1},
		{{"HTTP_PROXY= h:3128 "}, "h", "h", 0},
		{{"NO_PROXY=*"}, NULL, NULL, 0},
		{{NULL}, NULL, NULL, 0},
	};
	struct upstream_cfg cfg;
	const struct upstream *u;
	struct errbuf warn;
	size_t i;

	(void)state;
	errbuf_init(&warn);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct env_case *c = &cases[i];

		errbuf_clear(&warn);
		upstream_cfg_build(&cfg, true, "", NULL, 0, c->env, &warn);
		u = upstream_select(&cfg, "example.com", true);
		if (c->tls_host == NULL)
			assert_null(u);
		else
			assert_string_equal(u->host, c->tls_host);
		u = upstream_select(&cfg, "example.com", false);
		if (c->plain_host == NULL)
			assert_null(u);
		else
			assert_string_equal(u->host, c->plain_host);
		assert_int_equal(warn.count, c->warnings);
		upstream_cfg_release(&cfg);
	}
	errbuf_release(&warn);
}

static void
test_select_warning_never_shows_credentials(void **state)
{
	static const char *const env[] = {
		"HTTPS_PROXY=https://user:hunter2@s:1", NULL};
	struct upstream_cfg cfg;
	struct errbuf warn;

	(void)state;
	errbuf_init(&warn);
	upstream_cfg_build(&cfg, true, NULL, NULL, 0, env, &warn);
	assert_int_equal(warn.count, 1);
	assert_non_null(strstr(errbuf_str(&warn), "ignoring HTTPS_PROXY"));
	assert_null(strstr(errbuf_str(&warn), "hunter2"));
	upstream_cfg_release(&cfg);
	errbuf_release(&warn);
}

/* --- no_proxy ------------------------------------------------------------------------ */

struct np_case {
	const char *host;
	bool bypass;
};

static void
test_no_proxy_matching_table(void **state)
{
	static const char *const list[] = {
		"localhost", "127.0.0.1", ".internal.example", "*.corp.example",
		"bare.example", "10.0.0.0/8", "fd00::/8", "[::1]",
		"host.example:8080",
	};
	static const struct np_case cases[] = {
		{"localhost", true},
		{"LOCALHOST.", true},
		{"127.0.0.1", true},
		{"127.0.0.2", false},
		{"internal.example", true},
		{"a.internal.example", true},
		{"a.b.internal.example", true},
		{"xinternal.example", false},
		{"corp.example", true},
		{"git.corp.example", true},
		{"bare.example", true},
		{"www.bare.example", true},
		{"notbare.example", false},
		{"10.1.2.3", true},
		{"11.1.2.3", false},
		{"fd00::1", true},
		{"[fd12::1]:443", true},
		{"::1", true},
		{"::2", false},
		{"host.example", true},
		{"pypi.org", false},
		{"10.example", false},
		{"", false},
	};
	struct upstream_cfg cfg;
	struct errbuf warn;
	size_t i;

	(void)state;
	errbuf_init(&warn);
	upstream_cfg_build(&cfg, true, "http://corp:3128", list,
			   sizeof(list) / sizeof(list[0]), NULL, &warn);
	assert_int_equal(warn.count, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (upstream_bypassed(&cfg, cases[i].host) != cases[i].bypass)
			fail_msg("no_proxy: %s should%s bypass", cases[i].host,
				 cases[i].bypass ? "" : " not");
		assert_true((upstream_select(&cfg, cases[i].host, true) ==
			     NULL) == cases[i].bypass);
	}
	upstream_cfg_release(&cfg);
	errbuf_release(&warn);
}

static void
test_no_proxy_star_bypasses_everything(void **state)
{
	static const char *const list[] = {"*"};
	struct upstream_cfg cfg;

	(void)state;
	upstream_cfg_build(&cfg, true, "http://corp:3128", list, 1, NULL, NULL);
	assert_null(upstream_select(&cfg, "pypi.org", true));
	assert_null(upstream_select(&cfg, "1.2.3.4", false));
	upstream_cfg_release(&cfg);
}

static void
test_no_proxy_env_list_applies_only_with_env_upstream(void **state)
{
	static const char *const env[] = {
		"HTTP_PROXY=http://h:1", "NO_PROXY=a.example, .b.example,,10.0.0.0/8",
		NULL};
	struct upstream_cfg cfg;

	(void)state;
	upstream_cfg_build(&cfg, true, NULL, NULL, 0, env, NULL);
	assert_null(upstream_select(&cfg, "a.example", true));
	assert_null(upstream_select(&cfg, "x.b.example", false));
	assert_null(upstream_select(&cfg, "10.9.9.9", false));
	assert_non_null(upstream_select(&cfg, "c.example", true));
	upstream_cfg_release(&cfg);
	upstream_cfg_build(&cfg, true, "http://corp:1", NULL, 0, env, NULL);
	assert_non_null(upstream_select(&cfg, "a.example", true));
	upstream_cfg_release(&cfg);
}

static void
test_no_proxy_bad_entries_are_dropped_with_a_warning(void **state)
{
	static const char *const list[] = {"10.0.0.1/8", "bad..name", "ok.example"};
	struct upstream_cfg cfg;
	struct errbuf warn;

	(void)state;
	errbuf_init(&warn);
	upstream_cfg_build(&cfg, true, "http://corp:1", list, 3, NULL, &warn);
	assert_int_equal(warn.count, 2);
	assert_int_equal(cfg.n_np, 1);
	assert_null(upstream_select(&cfg, "ok.example", true));
	upstream_cfg_release(&cfg);
	errbuf_release(&warn);
}

/* --- the CONNECT reply parser ----------------------------------------------------------- */

static void
test_connect_reply_parser(void **state)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n"
				 "Via: x\r\n\r\nrest";
	int status = 0;
	size_t line = 0;

	(void)state;
	assert_int_equal(upstream_parse_connect_reply(ok, sizeof(ok) - 1,
						      &status, &line),
			 (int)sizeof(ok) - 1 - 4);
	assert_int_equal(status, 200);
	assert_int_equal(line, strlen("HTTP/1.1 200 Connection established"));
	assert_int_equal(upstream_parse_connect_reply("HTTP/1.0 200\r\n\r\n",
						      16, &status, &line), 16);
	assert_int_equal(upstream_parse_connect_reply("HTTP/1.1 200 OK\r\n",
						      17, &status, &line), 0);
	assert_int_equal(upstream_parse_connect_reply("HTTP/1", 6, &status,
						      &line), 0);
	assert_int_equal(upstream_parse_connect_reply("SSH-2.0", 7, &status,
						      &line), -1);
	assert_int_equal(upstream_parse_connect_reply("HTTP/1.1 2000\r\n\r\n",
						      17, &status, &line), -1);
	assert_int_equal(upstream_parse_connect_reply("HTTP/2.0 200\r\n\r\n",
						      16, &status, &line), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_http_with_credentials_is_percent_decoded),
		cmocka_unit_test(test_url_default_ports_by_scheme),
		cmocka_unit_test(test_url_ipv6_literal_in_brackets),
		cmocka_unit_test(test_url_refuses_bad_inputs),
		cmocka_unit_test(test_url_without_scheme_is_http_only_when_optional),
		cmocka_unit_test(test_proxy_authorization_is_basic_base64),
		cmocka_unit_test(test_select_config_proxy_serves_every_target),
		cmocka_unit_test(test_select_disallowed_is_always_direct),
		cmocka_unit_test(test_disallowed_upstream_is_named_once_without_its_url),
		cmocka_unit_test(test_select_environment_order_table),
		cmocka_unit_test(test_select_warning_never_shows_credentials),
		cmocka_unit_test(test_no_proxy_matching_table),
		cmocka_unit_test(test_no_proxy_star_bypasses_everything),
		cmocka_unit_test(test_no_proxy_env_list_applies_only_with_env_upstream),
		cmocka_unit_test(test_no_proxy_bad_entries_are_dropped_with_a_warning),
		cmocka_unit_test(test_connect_reply_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
