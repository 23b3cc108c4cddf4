/* auth_fixture.h — a scratch directory for secret and token files, and
 * short ways to make an auth and check a header, for the app-server auth
 * unit tests (test_auth_opts.c, test_auth_check.c). Header-only: each
 * test program includes it once and runs its group with setup() and
 * teardown(). */
#ifndef AIRLOCK_TEST_AUTH_FIXTURE_H
#define AIRLOCK_TEST_AUTH_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "server/auth.h"
#include "server/jws.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define NOW 1700000000
/* SHA-256("tok-123") */
#define TOK_SHA "c8963414bf6c4c869eeac5f8a057c3dc574d422f1b108397b66f67bab3d2f981"

static char dir[64];

static inline char *
path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Writes text to dir/name with mode; returns the path (heap). */
static inline char *
write_file(const char *name, const char *text, mode_t mode)
{
	char *p = path_of(name);
	int fd;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return p;
}

static inline int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/airlock-test-auth-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static inline int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc;

	(void)state;
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* auth_new on o (loopback) must fail with exactly msg. */
static inline void
refused_with(const struct auth_opts *o, bool loopback, const char *msg)
{
	struct errbuf err;
	struct auth *a;

	errbuf_init(&err);
	a = auth_new(o, loopback, "0.0.0.0:8765", &err);
	assert_null(a);
	assert_string_equal(errbuf_str(&err), msg);
	errbuf_release(&err);
}

static inline struct auth *
made(const struct auth_opts *o)
{
	struct errbuf err;
	struct auth *a;

	errbuf_init(&err);
	a = auth_new(o, true, "127.0.0.1:1", &err);
	if (a == NULL)
		fail_msg("%s", errbuf_str(&err));
	errbuf_release(&err);
	return a;
}

static inline struct auth *
signed_auth(const char *iss, const char *aud, const char *skew)
{
	char *secret = write_file("secret", SECRET "\n", 0600);
	struct auth_opts o = {.mode = "signed-bearer-token",
			      .secret_file = secret, .issuer = iss,
			      .audience = aud, .max_skew = skew};
	struct auth *a = made(&o);

	free(secret);
	return a;
}

static inline const char *
check(const struct auth *a, const char *header)
{
	return auth_check(a, header, header ? strlen(header) : 0, NOW);
}

/* "Bearer " + a token signed with SECRET over claims. */
static inline char *
bearer(const char *claims)
{
	struct jws_key k = {(const unsigned char *)SECRET, sizeof(SECRET) - 1};
	static const char h[] = "{\"alg\":\"HS256\"}";
	char *tok = jws_sign_raw(h, strlen(h), claims, strlen(claims), k);
	char *out = xasprintf("Bearer %s", tok);

	free(tok);
	return out;
}

static inline const char *
check_claims(const struct auth *a, const char *claims, int64_t now)
{
	char *h = bearer(claims);
	const char *r = auth_check(a, h, strlen(h), now);

	free(h);
	return r;
}

#endif /* AIRLOCK_TEST_AUTH_FIXTURE_H */
