/* test_ca.c — the managed MITM CA and its leaves (proxy/ca.h,
 * proxy/mitm_leaf.h). Each test works in a fresh temporary directory. */
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

#include <openssl/x509v3.h>

#include "lib/errbuf.h"
#include "lib/fdutil.h"
#include "lib/xalloc.h"
#include <fcntl.h>
#include <time.h>
#include "proxy/ca.h"
#include "proxy/mitm_leaf.h"

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/airlock-test-ca-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xasprintf("%s/proxy", d);
}

static void
rmtree(char *dir)
{
	char *cmd;

	*strrchr(dir, '/') = '\0'; /* the mkdtemp directory */
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

static struct ca *
load(const char *dir, struct errbuf *err)
{
	errbuf_clear(err);
	return ca_load_or_create(dir, err);
}

static void
test_ca_is_created_once_with_private_key_mode(void **state)
{
	char *dir = tmpdir();
	char *key = xasprintf("%s/ca.key", dir);
	struct errbuf err;
	struct ca *a, *b;
	struct stat st;

	(void)state;
	errbuf_init(&err);
	a = load(dir, &err);
	assert_non_null(a);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	b = load(dir, &err);
	assert_non_null(b);
	assert_int_equal(X509_cmp(ca_cert(a), ca_cert(b)), 0);
	assert_int_equal(X509_check_ca(ca_cert(a)), 1);
	ca_free(a);
	ca_free(b);
	errbuf_release(&err);
	free(key);
	rmtree(dir);
}

static void
test_ca_key_with_group_bits_is_refused(void **state)
{
	char *dir = tmpdir();
	char *key = xasprintf("%s/ca.key", dir);
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	ca_free(load(dir, &err));
	assert_int_equal(chmod(key, 0640), 0);
	assert_null(load(dir, &err));
	assert_non_null(strstr(errbuf_str(&err),
			       "must not be group/world accessible (mode=640; "
			       "expected <= 600)"));
	errbuf_release(&err);
	free(key);
	rmtree(dir);
}

static void
test_ca_key_symlink_is_refused(void **state)
{
	char *dir = tmpdir();
	char *key = xasprintf("%s/ca.key", dir);
	char *real = xasprintf("%s/real.key", dir);
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	ca_free(load(dir, &err));
	assert_int_equal(rename(key, real), 0);
	assert_int_equal(symlink(real, key), 0);
	assert_null(load(dir, &err));
	assert_non_null(strstr(errbuf_str(&err), "must not be a symlink"));
	errbuf_release(&err);
	free(key);
	free(real);
	rmtree(dir);
}

static void
test_ca_key_that_is_a_directory_is_refused(void **state)
{
	char *dir = tmpdir();
	char *key = xasprintf("%s/ca.key", dir);
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	ca_free(load(dir, &err));
	assert_int_equal(unlink(key), 0);
	assert_int_equal(mkdir(key, 0700), 0);
	assert_null(load(dir, &err));
	assert_non_null(strstr(errbuf_str(&err), "must be a regular file"));
	errbuf_release(&err);
	free(key);
	rmtree(dir);
}

static void
test_ca_needs_both_files(void **state)
{
	char *dir = tmpdir();
	char *cert = xasprintf("%s/ca.pem", dir);
	struct errbuf err;

	(void)state;
	errbuf_init(&err);
	ca_free(load(dir, &err));
	assert_int_equal(unlink(cert), 0);
	assert_null(load(dir, &err));
	assert_non_null(strstr(errbuf_str(&err),
			       "both managed MITM CA files must exist"));
	errbuf_release(&err);
	free(cert);
	rmtree(dir);
}

static void
test_ca_bundle_ends_with_the_ca(void **state)
{
	char *dir = tmpdir();
	struct errbuf err;
	struct ca *ca;
	char *path, *text;
	size_t n;

	(void)state;
	errbuf_init(&err);
	ca = load(dir, &err);
	assert_non_null(ca);
	path = ca_write_bundle(ca, dir, &err);
	assert_non_null(path);
	text = read_file_capped(path, 64 << 20, &n, &err);
	assert_non_null(text);
	assert_non_null(strstr(text, "# " CA_COMMON_NAME));
	/* Writing again with the same content is a no-op, not an error. */
	free(ca_write_bundle(ca, dir, &err));
	assert_int_equal(err.count, 0);
	free(text);
	free(path);
	ca_free(ca);
	errbuf_release(&err);
	rmtree(dir);
}

static void
test_ca_bundle_fast_path_only_when_fresh(void **state)
{
	char *dir = tmpdir();
	struct errbuf err;
	struct ca *ca;
	char *path, *fast, *cert, *key;
	struct timespec later[2] = {{0, UTIME_OMIT}, {0, 0}};

	(void)state;
	errbuf_init(&err);
	assert_null(ca_bundle_fast(dir, &err)); /* nothing there yet */
	assert_int_equal(err.count, 0);
	ca = load(dir, &err);
	path = ca_write_bundle(ca, dir, &err);
	fast = ca_bundle_fast(dir, &err);
	assert_non_null(fast);
	assert_string_equal(fast, path);
	free(fast);
	/* A CA file newer than the bundle: rebuild. */
	cert = xasprintf("%s/%s", dir, CA_CERT_FILE);
	later[1].tv_sec = time(NULL) + 100;
	assert_int_equal(utimensat(AT_FDCWD, cert, later, 0), 0);
	assert_null(ca_bundle_fast(dir, &err));
	assert_int_equal(err.count, 0);
	/* A key others can read is refused even on the fast path. */
	free(ca_write_bundle(ca, dir, &err));
	key = xasprintf("%s/%s", dir, CA_KEY_FILE);
	assert_int_equal(chmod(key, 0644), 0);
	assert_null(ca_bundle_fast(dir, &err));
	assert_non_null(strstr(errbuf_str(&err), "group/world"));
	free(key);
	free(cert);
	free(path);
	ca_free(ca);
	errbuf_release(&err);
	rmtree(dir);
}

static bool
leaf_has(X509 *cert, const char *host)
{
	return X509_check_host(cert, host, 0, 0, NULL) == 1 ||
	       X509_check_ip_asc(cert, host, 0) == 1;
}

static void
test_leaf_is_signed_by_the_ca_for_the_host(void **state)
{
	char *dir = tmpdir();
	struct errbuf err;
	struct ca *ca;
	X509 *cert;
	EVP_PKEY *key;

	(void)state;
	errbuf_init(&err);
	ca = load(dir, &err);
	assert_int_equal(mitm_leaf_mint(ca, "pypi.org", &cert, &key, &err), 0);
	assert_true(leaf_has(cert, "pypi.org"));
	assert_false(leaf_has(cert, "evil.example"));
	assert_int_equal(X509_verify(cert, X509_get0_pubkey(ca_cert(ca))), 1);
	assert_int_equal(X509_check_ca(cert), 0);
	X509_free(cert);
	EVP_PKEY_free(key);
	assert_int_equal(mitm_leaf_mint(ca, "10.1.2.3", &cert, &key, &err), 0);
	assert_int_equal(X509_check_ip_asc(cert, "10.1.2.3", 0), 1);
	X509_free(cert);
	EVP_PKEY_free(key);
	assert_int_equal(mitm_leaf_mint(ca, "bad,host", &cert, &key, &err), -1);
	ca_free(ca);
	errbuf_release(&err);
	rmtree(dir);
}

static void
test_leaf_cache_reuses_and_evicts_least_recent(void **state)
{
	char *dir = tmpdir();
	struct errbuf err;
	struct ca *ca;
	struct mitm_leaf_cache *lc;
	X509 *a, *b, *c;
	EVP_PKEY *k;

	(void)state;
	errbuf_init(&err);
	ca = load(dir, &err);
	lc = mitm_leaf_cache_new(ca, 2);
	assert_int_equal(mitm_leaf_get(lc, "a.example", &a, &k, &err), 0);
	assert_int_equal(mitm_leaf_get(lc, "a.example", &b, &k, &err), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(mitm_leaf_minted(lc), 1);
	assert_int_equal(mitm_leaf_hits(lc), 1);
	assert_int_equal(mitm_leaf_get(lc, "b.example", &b, &k, &err), 0);
	assert_int_equal(mitm_leaf_get(lc, "a.example", &c, &k, &err), 0);
	/* a is the most recent: c.example evicts b.example. */
	assert_int_equal(mitm_leaf_get(lc, "c.example", &c, &k, &err), 0);
	assert_int_equal(mitm_leaf_count(lc), 2);
	assert_int_equal(mitm_leaf_get(lc, "a.example", &c, &k, &err), 0);
	assert_int_equal(mitm_leaf_minted(lc), 3);
	assert_int_equal(mitm_leaf_get(lc, "b.example", &c, &k, &err), 0);
	assert_int_equal(mitm_leaf_minted(lc), 4);
	mitm_leaf_cache_free(lc);
	ca_free(ca);
	errbuf_release(&err);
	rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_is_created_once_with_private_key_mode),
		cmocka_unit_test(test_ca_bundle_fast_path_only_when_fresh),
		cmocka_unit_test(test_ca_key_with_group_bits_is_refused),
		cmocka_unit_test(test_ca_key_symlink_is_refused),
		cmocka_unit_test(test_ca_key_that_is_a_directory_is_refused),
		cmocka_unit_test(test_ca_needs_both_files),
		cmocka_unit_test(test_ca_bundle_ends_with_the_ca),
		cmocka_unit_test(test_leaf_is_signed_by_the_ca_for_the_host),
		cmocka_unit_test(test_leaf_cache_reuses_and_evicts_least_recent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
