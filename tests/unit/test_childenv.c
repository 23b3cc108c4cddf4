/* test_childenv.c — the sandboxed command's environment
 * (sandbox/childenv.h), after the reference §20.9 cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "proxy/ca.h"
#include "sandbox/childenv.h"

static const char *const caller_env[] = {
	"PATH=/usr/bin", "HOME=/home/u", "HTTP_PROXY=http://evil:1",
	"https_proxy=http://evil:2", "NO_PROXY=*", "AIRLOCK_NETWORK_PROXY_ACTIVE=0",
	"SSL_CERT_FILE=/mine.pem", NULL};

static size_t
count_key(const struct childenv *e, const char *key)
{
	size_t i, n = 0, k = strlen(key);

	for (i = 0; i < e->n; i++)
		n += strncmp(e->v[i], key, k) == 0 && e->v[i][k] == '=';
	return n;
}

static void
test_childenv_socks_on_overwrites_every_proxy_key(void **state)
{
	struct childenv e;
	struct childenv_proxy p = {"127.0.0.1:3128", "127.0.0.1:8081", false};

	(void)state;
	childenv_init(&e, caller_env);
	childenv_apply_proxy(&e, &p);
	assert_string_equal(childenv_get(&e, "HTTP_PROXY"),
			    "http://127.0.0.1:3128");
	assert_string_equal(childenv_get(&e, "https_proxy"),
			    "http://127.0.0.1:3128");
	assert_string_equal(childenv_get(&e, "WS_PROXY"), "http://127.0.0.1:3128");
	assert_string_equal(childenv_get(&e, "WSS_PROXY"),
			    "http://127.0.0.1:3128");
	assert_string_equal(childenv_get(&e, "npm_config_proxy"),
			    "http://127.0.0.1:3128");
	assert_string_equal(childenv_get(&e, "ALL_PROXY"),
			    "socks5h://127.0.0.1:8081");
	assert_string_equal(childenv_get(&e, "FTP_PROXY"),
			    "socks5h://127.0.0.1:8081");
	assert_string_equal(childenv_get(&e, "AIRLOCK_NETWORK_PROXY_ACTIVE"), "1");
	assert_string_equal(
		childenv_get(&e, "AIRLOCK_NETWORK_ALLOW_LOCAL_BINDING"), "0");
	assert_string_equal(childenv_get(&e, "ELECTRON_GET_USE_PROXY"), "true");
	assert_string_equal(childenv_get(&e, "NODE_USE_ENV_PROXY"), "1");
	assert_int_equal(count_key(&e, "HTTP_PROXY"), 1);
	assert_int_equal(count_key(&e, "AIRLOCK_NETWORK_PROXY_ACTIVE"), 1);
	childenv_release(&e);
}

static void
test_childenv_http_keys_never_hold_a_socks_url(void **state)
{
	static const char *const keys[] = {
		"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
		"YARN_HTTP_PROXY", "NPM_CONFIG_HTTPS_PROXY", "BUNDLE_HTTP_PROXY",
		"PIP_PROXY", "DOCKER_HTTPS_PROXY", "ws_proxy", NULL};
	struct childenv e;
	struct childenv_proxy p = {"127.0.0.1:3128", "127.0.0.1:8081", false};
	size_t i;

	(void)state;
	childenv_init(&e, NULL);
	childenv_apply_proxy(&e, &p);
	for (i = 0; keys[i] != NULL; i++)
		assert_string_equal(childenv_get(&e, keys[i]),
				    "http://127.0.0.1:3128");
	childenv_release(&e);
}

static void
test_childenv_socks_off_local_binding_on(void **state)
{
	struct childenv e;
	struct childenv_proxy p = {"127.0.0.1:3128", NULL, true};

	(void)state;
	childenv_init(&e, caller_env);
	childenv_apply_proxy(&e, &p);
	assert_string_equal(childenv_get(&e, "ALL_PROXY"), "http://127.0.0.1:3128");
	assert_string_equal(childenv_get(&e, "all_proxy"), "http://127.0.0.1:3128");
	assert_string_equal(
		childenv_get(&e, "AIRLOCK_NETWORK_ALLOW_LOCAL_BINDING"), "1");
	childenv_release(&e);
}

/* [ours]: NO_PROXY names the sandbox's own loopback only, and a caller's
 * `NO_PROXY=*` cannot turn the proxy off. */
static void
test_childenv_no_proxy_is_the_loopback(void **state)
{
	struct childenv e;
	struct childenv_proxy p = {"127.0.0.1:3128", NULL, false};

	(void)state;
	childenv_init(&e, caller_env);
	childenv_apply_proxy(&e, &p);
	assert_string_equal(childenv_get(&e, "NO_PROXY"),
			    "localhost,127.0.0.1,::1");
	assert_string_equal(childenv_get(&e, "no_proxy"),
			    "localhost,127.0.0.1,::1");
	assert_string_equal(childenv_get(&e, "npm_config_noproxy"),
			    "localhost,127.0.0.1,::1");
	assert_string_equal(childenv_get(&e, "YARN_NO_PROXY"),
			    "localhost,127.0.0.1,::1");
	childenv_release(&e);
}

static void
test_childenv_keeps_unrelated_keys(void **state)
{
	struct childenv e;
	struct childenv_proxy p = {"127.0.0.1:3128", NULL, false};

	(void)state;
	childenv_init(&e, caller_env);
	childenv_apply_proxy(&e, &p);
	assert_string_equal(childenv_get(&e, "PATH"), "/usr/bin");
	assert_string_equal(childenv_get(&e, "HOME"), "/home/u");
	assert_string_equal(childenv_get(&e, "SSL_CERT_FILE"), "/mine.pem");
	assert_null(childenv_get(&e, "GIT_SSH_COMMAND"));
	childenv_release(&e);
}

static void
test_childenv_network_off_removes_proxy_keys(void **state)
{
	struct childenv e;

	(void)state;
	childenv_init(&e, caller_env);
	childenv_apply_network_off(&e);
	assert_null(childenv_get(&e, "HTTP_PROXY"));
	assert_null(childenv_get(&e, "https_proxy"));
	assert_null(childenv_get(&e, "NO_PROXY"));
	assert_null(childenv_get(&e, "AIRLOCK_NETWORK_PROXY_ACTIVE"));
	assert_string_equal(childenv_get(&e, "AIRLOCK_SANDBOX_NETWORK_DISABLED"),
			    "1");
	assert_string_equal(childenv_get(&e, "PATH"), "/usr/bin");
	childenv_release(&e);
}

static void
test_childenv_ca_bundle_hook_sets_all_ten_keys(void **state)
{
	static const char *const keys[] = {
		"AIRLOCK_CA_CERTIFICATE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
		"CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO",
		"PIP_CERT", "BUNDLE_SSL_CA_CERT", "npm_config_cafile",
		"NPM_CONFIG_CAFILE", NULL};
	struct childenv e;
	size_t i;

	(void)state;
	childenv_init(&e, caller_env);
	childenv_set_ca_bundle(&e, "/h/ca-bundle.pem");
	for (i = 0; keys[i] != NULL; i++) {
		assert_string_equal(childenv_get(&e, keys[i]),
				    "/h/ca-bundle.pem");
		assert_int_equal(count_key(&e, keys[i]), 1);
	}
	childenv_release(&e);
}

static void
test_childenv_set_unset_and_detach(void **state)
{
	static const char *const env[] = {"A=1", "A=2", "B=3", "junk", NULL};
	struct childenv e;
	char **v;

	(void)state;
	childenv_init(&e, env);
	assert_int_equal(e.n, 3);
	childenv_set(&e, "A", "x");
	assert_int_equal(count_key(&e, "A"), 1);
	assert_string_equal(childenv_get(&e, "A"), "x");
	childenv_unset(&e, "B");
	assert_null(childenv_get(&e, "B"));
	assert_null(childenv_get(&e, "AB"));
	v = childenv_detach(&e);
	assert_string_equal(v[0], "A=x");
	assert_null(v[1]);
	assert_null(e.v);
	childenv_free_array(v);
}

/* The rewrite is one pass over the environment; its result is exactly
 * that of setting (or unsetting) each key in turn: the caller's other
 * entries keep their order, every entry for a rewritten key goes (even
 * repeated ones, and never one whose key only starts like it), and the set
 * keys follow in the order they are set. */
static void
test_childenv_rewrite_equals_setting_each_key_in_turn(void **state)
{
	static const char *const env[] = {
		"PATH=/usr/bin", "HTTP_PROXY=a", "HTTP_PROXY=b",
		"HTTP_PROXYX=keep", "AIRLOCK_SANDBOX_NETWORK_DISABLED=1",
		"npm_config_http_proxy=stale", "X=HTTP_PROXY=keep", "=odd",
		"SSL_CERT_FILE=/mine.pem", "no_proxy=*", NULL};
	static const char *const http[] = {
		"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
		"YARN_HTTP_PROXY", "YARN_HTTPS_PROXY", "npm_config_https_proxy",
		"npm_config_proxy", "NPM_CONFIG_HTTPS_PROXY", "NPM_CONFIG_PROXY",
		"BUNDLE_HTTP_PROXY", "BUNDLE_HTTPS_PROXY", "PIP_PROXY",
		"DOCKER_HTTP_PROXY", "DOCKER_HTTPS_PROXY", "WS_PROXY",
		"WSS_PROXY", "ws_proxy", "wss_proxy", NULL};
	static const char *const all[] = {"ALL_PROXY", "all_proxy", "FTP_PROXY",
					  "ftp_proxy", NULL};
	static const char *const nop[] = {
		"NO_PROXY", "no_proxy", "npm_config_noproxy",
		"NPM_CONFIG_NOPROXY", "YARN_NO_PROXY", "BUNDLE_NO_PROXY", NULL};
	struct childenv_proxy p = {"127.0.0.1:3128", "127.0.0.1:8081", true};
	struct childenv got, want;
	size_t i;

	(void)state;
	childenv_init(&got, env);
	childenv_apply_proxy(&got, &p);
	childenv_set_ca_bundle(&got, "/h/ca-bundle.pem");
	childenv_init(&want, env);
	childenv_unset(&want, "AIRLOCK_SANDBOX_NETWORK_DISABLED");
	childenv_unset(&want, "npm_config_http_proxy");
	childenv_unset(&want, "NPM_CONFIG_HTTP_PROXY");
	for (i = 0; http[i] != NULL; i++)
		childenv_set(&want, http[i], "http://127.0.0.1:3128");
	for (i = 0; all[i] != NULL; i++)
		childenv_set(&want, all[i], "socks5h://127.0.0.1:8081");
	for (i = 0; nop[i] != NULL; i++)
		childenv_set(&want, nop[i], CHILDENV_NO_PROXY);
	childenv_set(&want, "AIRLOCK_NETWORK_PROXY_ACTIVE", "1");
	childenv_set(&want, "AIRLOCK_NETWORK_ALLOW_LOCAL_BINDING", "1");
	childenv_set(&want, "ELECTRON_GET_USE_PROXY", "true");
	childenv_set(&want, "NODE_USE_ENV_PROXY", "1");
	for (i = 0; ca_env_keys[i] != NULL; i++)
		childenv_set(&want, ca_env_keys[i], "/h/ca-bundle.pem");
	assert_int_equal(got.n, want.n);
	for (i = 0; i < want.n; i++)
		assert_string_equal(got.v[i], want.v[i]);
	assert_null(got.v[got.n]);
	childenv_release(&got);
	childenv_release(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_childenv_socks_on_overwrites_every_proxy_key),
		cmocka_unit_test(test_childenv_http_keys_never_hold_a_socks_url),
		cmocka_unit_test(test_childenv_socks_off_local_binding_on),
		cmocka_unit_test(test_childenv_no_proxy_is_the_loopback),
		cmocka_unit_test(test_childenv_keeps_unrelated_keys),
		cmocka_unit_test(test_childenv_network_off_removes_proxy_keys),
		cmocka_unit_test(test_childenv_ca_bundle_hook_sets_all_ten_keys),
		cmocka_unit_test(test_childenv_set_unset_and_detach),
		cmocka_unit_test(
			test_childenv_rewrite_equals_setting_each_key_in_turn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
