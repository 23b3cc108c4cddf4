/* test_auth_check.c — the app-server's Authorization checks
 * (reference §19.3): the header, capability and signed tokens, and the
 * roles a token grants. */
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

#include "lib/xalloc.h"
#include "server/auth.h"
#include "server/jws.h"

#include "auth_fixture.h"

/* ---- Authorization header ------------------------------------------------ */

static struct auth *
capability_by_digest(const char *hex)
{
	struct auth_opts o = {.mode = "capability-token",
			      .token_sha256 = hex};

	return made(&o);
}

static void
test_missing_header_is_missing_token(void **state)
{
	struct auth *a = capability_by_digest(TOK_SHA);

	(void)state;
	assert_string_equal(check(a, NULL), "missing websocket bearer token");
	auth_free(a);
}

static void
test_header_without_space_is_invalid(void **state)
{
	struct auth *a = capability_by_digest(TOK_SHA);

	(void)state;
	assert_string_equal(check(a, "Bearer"), "invalid authorization header");
	assert_string_equal(check(a, ""), "invalid authorization header");
	auth_free(a);
}

static void
test_header_with_other_scheme_is_invalid(void **state)
{
	struct auth *a = capability_by_digest(TOK_SHA);

	(void)state;
	assert_string_equal(check(a, "Basic dG9rLTEyMw=="),
			    "invalid authorization header");
	assert_string_equal(check(a, " Bearer tok-123"),
			    "invalid authorization header");
	auth_free(a);
}

static void
test_header_with_empty_token_is_invalid(void **state)
{
	struct auth *a = capability_by_digest(TOK_SHA);

	(void)state;
	assert_string_equal(check(a, "Bearer    "),
			    "invalid authorization header");
	auth_free(a);
}

static void
test_header_with_non_visible_ascii_is_invalid(void **state)
{
	struct auth *a = capability_by_digest(TOK_SHA);

	(void)state;
	assert_string_equal(check(a, "Bearer tok\x01"),
			    "invalid authorization header");
	assert_string_equal(check(a, "Bearer t\xc3\xa9"),
			    "invalid authorization header");
	assert_string_equal(auth_check(a, "Bearer t\0k", 10, NOW),
			    "invalid authorization header");
	auth_free(a);
}

static void
test_scheme_is_case_insensitive_and_token_trimmed(void **state)
{
	char *p = write_file("tok", "tok-123\n", 0600);
	struct auth_opts o = {.mode = "capability-token", .token_file = p};
	struct auth *a = made(&o);

	(void)state;
	assert_null(check(a, "bEaReR tok-123"));
	assert_null(check(a, "Bearer  \ttok-123 \t"));
	auth_free(a);
	free(p);
}

static void
test_capability_token_by_file_accepts_and_refuses(void **state)
{
	char *p = write_file("tok", "  tok-123\n", 0600);
	struct auth_opts o = {.mode = "capability-token", .token_file = p};
	struct auth *a = made(&o);

	(void)state;
	assert_int_equal(auth_mode(a), AUTH_CAPABILITY_TOKEN);
	assert_null(check(a, "Bearer tok-123"));
	assert_string_equal(check(a, "Bearer tok-124"),
			    "invalid websocket bearer token");
	assert_string_equal(check(a, "Bearer tok-12"),
			    "invalid websocket bearer token");
	auth_free(a);
	free(p);
}

static void
test_capability_token_by_digest_is_case_insensitive(void **state)
{
	char upper[65];
	struct auth *a;
	size_t i;

	(void)state;
	for (i = 0; i < 64; i++)
		upper[i] = (char)(TOK_SHA[i] >= 'a' ? TOK_SHA[i] - 32
						    : TOK_SHA[i]);
	upper[64] = '\0';
	a = capability_by_digest(upper);
	assert_null(check(a, "Bearer tok-123"));
	auth_free(a);
	a = capability_by_digest("  " TOK_SHA "\n");
	assert_null(check(a, "Bearer tok-123"));
	assert_string_equal(check(a, "Bearer tok-1234"),
			    "invalid websocket bearer token");
	auth_free(a);
}

static void
test_capability_token_over_8_kib_is_refused(void **state)
{
	char *big = xmalloc(AUTH_MAX_TOKEN + 9);
	char *p;
	struct auth_opts o = {.mode = "capability-token"};
	struct auth *a;

	(void)state;
	memset(big, 'a', AUTH_MAX_TOKEN + 8);
	big[AUTH_MAX_TOKEN + 8] = '\0';
	p = write_file("bigtok", big + 7, 0600); /* AUTH_MAX_TOKEN + 1 */
	o.token_file = p;
	a = made(&o);
	memcpy(big, "Bearer ", 7);
	assert_string_equal(check(a, big), "invalid websocket bearer token");
	auth_free(a);
	free(p);
	free(big);
}

static void
test_signed_token_accepted(void **state)
{
	struct auth *a = signed_auth("me", "you", NULL);

	(void)state;
	assert_null(check_claims(a, "{\"exp\":1700000100,\"iss\":\"me\","
				 "\"aud\":[\"x\",\"you\"]}", NOW));
	auth_free(a);
}

static void
test_signed_garbage_is_invalid_jwt(void **state)
{
	struct auth *a = signed_auth(NULL, NULL, NULL);

	(void)state;
	assert_string_equal(check(a, "Bearer a.b.c"), "invalid websocket jwt");
	assert_string_equal(check(a, "Bearer tok-123"),
			    "invalid websocket jwt");
	auth_free(a);
}

static void
test_signed_issuer_and_audience_mismatch(void **state)
{
	struct auth *a = signed_auth("me", "you", NULL);

	(void)state;
	assert_string_equal(check_claims(a, "{\"exp\":1700000100,"
					 "\"iss\":\"ME\",\"aud\":\"you\"}",
					 NOW),
			    "websocket jwt issuer mismatch");
	assert_string_equal(check_claims(a, "{\"exp\":1700000100,"
					 "\"iss\":\"me\",\"aud\":\"yo\"}",
					 NOW),
			    "websocket jwt audience mismatch");
	auth_free(a);
}

static void
test_blank_issuer_and_audience_are_unset(void **state)
{
	struct auth *a = signed_auth("  ", "", NULL);

	(void)state;
	assert_null(check_claims(a, "{\"exp\":1700000100}", NOW));
	auth_free(a);
}

static void
test_issuer_flag_is_trimmed(void **state)
{
	struct auth *a = signed_auth(" me\t", NULL, NULL);

	(void)state;
	assert_null(check_claims(a, "{\"exp\":1700000100,\"iss\":\"me\"}",
				 NOW));
	auth_free(a);
}

static void
test_signed_token_over_8_kib_is_invalid_jwt(void **state)
{
	char *claims = xmalloc(7000);
	struct auth *a = signed_auth(NULL, NULL, NULL);

	(void)state;
	memset(claims, 'a', 7000);
	memcpy(claims, "{\"exp\":1700000100,\"x\":\"", 23);
	memcpy(claims + 6990, "\"}", 3);
	assert_string_equal(check_claims(a, claims, NOW),
			    "invalid websocket jwt");
	auth_free(a);
	free(claims);
}

/* ---- roles ------------------------------------------------------------ */

static unsigned
scope_of(const struct auth *a, const char *header)
{
	unsigned scope = 99;
	const char *why = auth_check_scope(a, header, strlen(header), NOW,
					   &scope);

	return why == NULL ? scope : 0;
}

static void
test_approver_token_splits_the_roles(void **state)
{
	char *tok = write_file("tok", "tok-123\n", 0600);
	char *appr = write_file("appr", "appr-456\n", 0600);
	struct auth_opts o = {.mode = "capability-token", .token_file = tok};
	struct auth *a;

	(void)state;
	a = made(&o);
	assert_false(auth_has_approver(a));
	assert_int_equal(scope_of(a, "Bearer tok-123"), AUTH_SCOPE_ALL);
	auth_free(a);
	o.approver_token_file = appr;
	a = made(&o);
	assert_true(auth_has_approver(a));
	assert_int_equal(scope_of(a, "Bearer tok-123"), AUTH_SCOPE_EXEC);
	assert_int_equal(scope_of(a, "Bearer appr-456"), AUTH_SCOPE_APPROVE);
	assert_int_equal(scope_of(a, "Bearer other"), 0);
	assert_string_equal(check(a, "Bearer other"),
			    "invalid websocket bearer token");
	auth_free(a);
	free(tok);
	free(appr);
}

static void
test_approver_token_flags_are_checked(void **state)
{
	char *tok = write_file("tok", "tok-123\n", 0600);
	char *secret = write_file("secret", SECRET "\n", 0600);
	struct auth_opts o = {.mode = "capability-token", .token_file = tok,
			      .approver_token_file = tok};

	(void)state;
	refused_with(&o, true, "the approver token must differ from the "
			       "`--ws-token-file` token: a client holding both "
			       "could approve its own requests");
	o.approver_token_file = "rel/appr";
	refused_with(&o, true, "--ws-approver-token-file must be an absolute "
			       "path");
	o.approver_token_file = NULL;
	o.approver_token_sha256 = "xyz";
	refused_with(&o, true, "--ws-approver-token-sha256 must be a "
			       "64-character hex SHA-256 digest");
	o.approver_token_sha256 = TOK_SHA; /* the same token, by digest */
	refused_with(&o, true, "the approver token must differ from the "
			       "`--ws-token-file` token: a client holding both "
			       "could approve its own requests");
	memset(&o, 0, sizeof(o));
	o.mode = "signed-bearer-token";
	o.secret_file = secret;
	o.approver_token_file = tok;
	refused_with(&o, true,
		     "`--ws-approver-token-file` and "
		     "`--ws-approver-token-sha256` require `--ws-auth "
		     "capability-token`; signed tokens carry a `scope` claim "
		     "instead");
	memset(&o, 0, sizeof(o));
	o.approver_token_file = tok;
	refused_with(&o, true, "websocket auth flags require `--ws-auth "
			       "capability-token` or `--ws-auth "
			       "signed-bearer-token`");
	free(tok);
	free(secret);
}

static void
test_scope_claim_sets_the_roles(void **state)
{
	struct auth *a = signed_auth(NULL, NULL, NULL);
	static const struct {
		const char *claim;
		unsigned scope;
	} cases[] = {
		{"", AUTH_SCOPE_ALL},
		{",\"scope\":null", AUTH_SCOPE_ALL},
		{",\"scope\":\"exec\"", AUTH_SCOPE_EXEC},
		{",\"scope\":\"approve\"", AUTH_SCOPE_APPROVE},
		{",\"scope\":\"exec approve\"", AUTH_SCOPE_ALL},
		{",\"scope\":[\"approve\",\"exec\"]", AUTH_SCOPE_ALL},
		{",\"scope\":[\"approve\"]", AUTH_SCOPE_APPROVE},
		{",\"scope\":\"admin\"", 0},
		{",\"scope\":\"exec admin\"", 0},
		{",\"scope\":[]", 0},
		{",\"scope\":\"\"", 0},
		{",\"scope\":[\"exec\",1]", 0},
		{",\"scope\":true", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *claims = xasprintf("{\"exp\":%d%s}", NOW + 60,
					 cases[i].claim);
		char *h = bearer(claims);

		if (scope_of(a, h) != cases[i].scope)
			fail_msg("claims %s: scope %u", claims, scope_of(a, h));
		if (cases[i].scope == 0)
			assert_string_equal(check(a, h),
					    "invalid websocket jwt");
		free(h);
		free(claims);
	}
	auth_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_header_is_missing_token),
		cmocka_unit_test(test_header_without_space_is_invalid),
		cmocka_unit_test(test_header_with_other_scheme_is_invalid),
		cmocka_unit_test(test_header_with_empty_token_is_invalid),
		cmocka_unit_test(test_header_with_non_visible_ascii_is_invalid),
		cmocka_unit_test(test_scheme_is_case_insensitive_and_token_trimmed),
		cmocka_unit_test(test_capability_token_by_file_accepts_and_refuses),
		cmocka_unit_test(test_capability_token_by_digest_is_case_insensitive),
		cmocka_unit_test(test_capability_token_over_8_kib_is_refused),
		cmocka_unit_test(test_signed_token_accepted),
		cmocka_unit_test(test_signed_garbage_is_invalid_jwt),
		cmocka_unit_test(test_signed_issuer_and_audience_mismatch),
		cmocka_unit_test(test_blank_issuer_and_audience_are_unset),
		cmocka_unit_test(test_issuer_flag_is_trimmed),
		cmocka_unit_test(test_signed_token_over_8_kib_is_invalid_jwt),
		cmocka_unit_test(test_approver_token_splits_the_roles),
		cmocka_unit_test(test_approver_token_flags_are_checked),
		cmocka_unit_test(test_scope_claim_sets_the_roles),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
