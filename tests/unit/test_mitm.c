/* test_mitm.c — the upstream TLS contexts of interception (proxy/mitm.h):
 * one per trust configuration, shared by every proxy state that has it,
 * rebuilt when a trust file changes on disk; and what the origin-side
 * SSL objects check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config/conf.h"
#include "lib/errbuf.h"
#include "lib/xalloc.h"
#include "proxy/mitm.h"
#include "proxy/proxy_int.h"

/* A proxy state from config text (extra_ca_certificates = [ca] when ca
 * is given). */
static struct proxy_state *
state(const char *ca)
{
	char text[512];
	struct errbuf warn, err;
	struct proxy_state *s;
	struct conf *c;

	snprintf(text, sizeof(text),
		 "[permissions.network]\nmode = \"limited\"\n"
		 "allowed_domains = [\"a.test\"]\n%s%s%s",
		 ca ? "extra_ca_certificates = [\"" : "", ca ? ca : "",
		 ca ? "\"]\n" : "");
	errbuf_init(&warn);
	errbuf_init(&err);
	c = conf_load_text(text, strlen(text), NULL, 0, &warn, &err);
	assert_non_null(c);
	s = proxy_state_new(c, NULL, &warn, &err);
	assert_non_null(s);
	errbuf_release(&warn);
	errbuf_release(&err);
	return s;
}

static SSL_CTX *
ctx_of(const struct proxy_state *s)
{
	SSL *ssl = mitm_origin_ssl(s, "a.test", false);
	SSL_CTX *ctx;

	assert_non_null(ssl);
	ctx = SSL_get_SSL_CTX(ssl);
	SSL_free(ssl);
	return ctx;
}

/* Two states of the same config (two commands of the app-server, or a
 * reload) share one context: the system trust store is read once. */
static void
test_mitm_states_with_the_same_trust_share_a_context(void **st)
{
	struct proxy_state *a = state(NULL), *b = state(NULL);
	uint64_t built = mitm_origin_contexts_built();
	SSL_CTX *ca, *cb;

	(void)st;
	ca = ctx_of(a);
	cb = ctx_of(b);
	assert_ptr_equal(ca, cb);
	assert_ptr_equal(ctx_of(a), ca);
	assert_int_equal(mitm_origin_contexts_built() - built, 1);
	proxy_state_unref(a);
	proxy_state_unref(b);
	mitm_shutdown();
}

/* Another extra CA file is another context; the same file rewritten
 * (a new inode, as an atomic replace makes) is rebuilt. */
static void
test_mitm_trust_file_change_builds_a_new_context(void **st)
{
	char dir[] = "/tmp/airlock-test-mitm-XXXXXX", path[64], tmp[80];
	struct proxy_state *plain, *with, *again;
	uint64_t built;
	FILE *f;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	snprintf(tmp, sizeof(tmp), "%s/ca.pem.new", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a certificate\n", f);
	fclose(f);
	plain = state(NULL);
	with = state(path);
	built = mitm_origin_contexts_built();
	assert_ptr_not_equal(ctx_of(plain), ctx_of(with));
	assert_int_equal(mitm_origin_contexts_built() - built, 2);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs("still not a certificate\n", f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
	again = state(path);
	built = mitm_origin_contexts_built();
	(void)ctx_of(again);
	assert_int_equal(mitm_origin_contexts_built() - built, 1);
	proxy_state_unref(plain);
	proxy_state_unref(with);
	proxy_state_unref(again);
	mitm_shutdown();
	unlink(path);
	rmdir(dir);
}

/* The origin side checks the name, or the address of an IP literal. */
static void
test_mitm_origin_ssl_checks_name_or_ip(void **st)
{
	struct proxy_state *s = state(NULL);
	SSL *ssl;

	(void)st;
	ssl = mitm_origin_ssl(s, "a.test", false);
	assert_string_equal(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name),
			    "a.test");
	assert_int_equal(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER,
			 SSL_VERIFY_PEER);
	SSL_free(ssl);
	ssl = mitm_origin_ssl(s, "192.0.2.1", true);
	assert_non_null(ssl);
	assert_null(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
	SSL_free(ssl);
	assert_true(mitm_is_ip("::1") && mitm_is_ip("192.0.2.1") &&
		    !mitm_is_ip("a.test"));
	proxy_state_unref(s);
	mitm_shutdown();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mitm_states_with_the_same_trust_share_a_context),
		cmocka_unit_test(test_mitm_trust_file_change_builds_a_new_context),
		cmocka_unit_test(test_mitm_origin_ssl_checks_name_or_ip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
