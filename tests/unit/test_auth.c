/* test_auth.c — the app-server's --ws-* flags, secret files and
 * Authorization checks (reference §19.2–19.3): every message exactly. */
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

static char *
path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Writes text to dir/name with mode; returns the path (heap). */
static char *
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

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/airlock-test-auth-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
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
static void
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

static struct auth *
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

static struct auth *
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

static const char *
check(const struct auth *a, const char *header)
{
	return auth_check(a, header, header ? strlen(header) : 0, NOW);
}

/* "Bearer " + a token signed with SECRET over claims. */
static char *
bearer(const char *claims)
{
	struct jws_key k = {(const unsigned char *)SECRET, sizeof(SECRET) - 1};
	static const char h[] = "{\"alg\":\"HS256\"}";
	char *tok = jws_sign_raw(h, strlen(h), claims, strlen(claims), k);
	char *out = xasprintf("Bearer %s", tok);

	free(tok);
	return out;
}

static const char *
check_claims(const struct auth *a, const char *claims, int64_t now)
{
	char *h = bearer(claims);
	const char *r = auth_check(a, h, strlen(h), now);

	free(h);
	return r;
}

/* ---- flag parsing -------------------------------------------------------- */

static void
test_opts_flag_takes_separate_and_joined_values(void **state)
{
	char *argv[] = {"x", "--ws-auth", "capability-token",
			"--ws-issuer=me", "--other", NULL};
	struct auth_opts o = {0};
	int i = 1;

	(void)state;
	assert_int_equal(auth_opts_flag(&o, 5, argv, &i, NULL), 1);
	assert_int_equal(i, 2);
	assert_string_equal(o.mode, "capability-token");
	i = 3;
	assert_int_equal(auth_opts_flag(&o, 5, argv, &i, NULL), 1);
	assert_string_equal(o.issuer, "me");
	i = 4;
	assert_int_equal(auth_opts_flag(&o, 5, argv, &i, NULL), 0);
}

static void
test_opts_flag_ignores_longer_names(void **state)
{
	char *argv[] = {"x", "--ws-authx", "v", NULL};
	struct auth_opts o = {0};
	int i = 1;

	(void)state;
	assert_int_equal(auth_opts_flag(&o, 3, argv, &i, NULL), 0);
	assert_null(o.mode);
}

static void
test_opts_flag_missing_value_is_an_error(void **state)
{
	char *argv[] = {"x", "--ws-token-file", NULL};
	struct auth_opts o = {0};
	struct errbuf err;
	int i = 1;

	(void)state;
	errbuf_init(&err);
	assert_int_equal(auth_opts_flag(&o, 2, argv, &i, &err), -1);
	assert_string_equal(errbuf_str(&err),
			    "a value is required for '--ws-token-file <PATH>' "
			    "but none was supplied");
	errbuf_release(&err);
}

/* ---- combinations ---------------------------------------------------------- */

static void
test_no_auth_on_loopback_accepts_everything(void **state)
{
	struct auth_opts o = {0};
	struct auth *a = made(&o);

	(void)state;
	assert_int_equal(auth_mode(a), AUTH_NONE);
	assert_null(check(a, NULL));
	assert_null(check(a, "garbage"));
	auth_free(a);
}

static void
test_non_loopback_without_auth_is_refused(void **state)
{
	struct auth_opts o = {0};

	(void)state;
	refused_with(&o, false,
		     "refusing to start non-loopback websocket listener "
		     "0.0.0.0:8765 without auth; configure `--ws-auth "
		     "capability-token` or `--ws-auth signed-bearer-token`");
}

static void
test_non_loopback_with_auth_is_allowed(void **state)
{
	struct auth_opts o = {.mode = "capability-token",
			      .token_sha256 = TOK_SHA};
	struct errbuf err;
	struct auth *a;

	(void)state;
	errbuf_init(&err);
	a = auth_new(&o, false, "0.0.0.0:1", &err);
	assert_non_null(a);
	auth_free(a);
	errbuf_release(&err);
}

static void
test_ws_flags_without_ws_auth_are_refused(void **state)
{
	static const char msg[] = "websocket auth flags require `--ws-auth "
				  "capability-token` or `--ws-auth "
				  "signed-bearer-token`";
	struct auth_opts o;
	size_t k;

	(void)state;
	for (k = 0; k < 6; k++) {
		memset(&o, 0, sizeof(o));
		switch (k) {
		case 0: o.token_file = "/t"; break;
		case 1: o.token_sha256 = TOK_SHA; break;
		case 2: o.secret_file = "/s"; break;
		case 3: o.issuer = "i"; break;
		case 4: o.audience = "a"; break;
		default: o.max_skew = "5"; break;
		}
		refused_with(&o, true, msg);
		refused_with(&o, false, msg);
	}
}

static void
test_unknown_ws_auth_mode_is_refused(void **state)
{
	struct auth_opts o = {.mode = "password"};

	(void)state;
	refused_with(&o, true, "invalid value 'password' for '--ws-auth "
		     "<MODE>' [possible values: capability-token, "
		     "signed-bearer-token, none]");
}

static void
test_ws_auth_none_is_no_auth_on_loopback_only(void **state)
{
	struct auth_opts o = {.mode = "none"};
	struct auth *a = made(&o);

	(void)state;
	assert_int_equal(auth_mode(a), AUTH_NONE);
	assert_null(check(a, NULL));
	auth_free(a);
	refused_with(&o, false, "`--ws-auth none` is only allowed on a "
		     "loopback listener, not 0.0.0.0:8765; configure "
		     "`--ws-auth capability-token` or `--ws-auth "
		     "signed-bearer-token`");
	o.token_sha256 = TOK_SHA;
	refused_with(&o, true, "websocket auth flags require `--ws-auth "
		     "capability-token` or `--ws-auth signed-bearer-token`");
}

static void
test_opts_empty_only_without_any_flag(void **state)
{
	struct auth_opts o = {0};

	(void)state;
	assert_true(auth_opts_empty(&o));
	o.issuer = "i";
	assert_false(auth_opts_empty(&o));
	memset(&o, 0, sizeof(o));
	o.mode = "none";
	assert_false(auth_opts_empty(&o));
}

static void
test_generated_token_is_written_0600_and_accepted(void **state)
{
	char tmp[] = "/tmp/airlock-auth-XXXXXX";
	char path[64], line[128], hdr[160];
	struct errbuf err;
	struct auth *a;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/app-server.token", tmp);
	errbuf_init(&err);
	a = auth_new_generated(path, &err);
	assert_non_null(a);
	assert_int_equal(auth_mode(a), AUTH_CAPABILITY_TOKEN);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(strlen(line), 43);
	assert_non_null(check(a, NULL));
	assert_non_null(check(a, "Bearer wrong"));
	snprintf(hdr, sizeof(hdr), "Bearer %s", line);
	assert_null(check(a, hdr));
	auth_free(a);
	errbuf_release(&err);
	unlink(path);
	rmdir(tmp);
}

static void
test_capability_token_refuses_signed_bearer_flags(void **state)
{
	static const char msg[] = "`--ws-shared-secret-file`, `--ws-issuer`, "
				  "`--ws-audience`, and "
				  "`--ws-max-clock-skew-seconds` require "
				  "`--ws-auth signed-bearer-token`";
	struct auth_opts o = {.mode = "capability-token",
			      .token_sha256 = TOK_SHA};

	(void)state;
	o.secret_file = "/s";
	refused_with(&o, true, msg);
	o.secret_file = NULL;
	o.issuer = "";
	refused_with(&o, true, msg);
	o.issuer = NULL;
	o.audience = "a";
	refused_with(&o, true, msg);
	o.audience = NULL;
	o.max_skew = "1";
	refused_with(&o, true, msg);
}

static void
test_capability_token_file_and_sha256_are_exclusive(void **state)
{
	struct auth_opts o = {.mode = "capability-token", .token_file = "/t",
			      .token_sha256 = TOK_SHA};

	(void)state;
	refused_with(&o, true, "`--ws-token-file` and `--ws-token-sha256` are "
		     "mutually exclusive");
}

static void
test_capability_token_needs_a_source(void **state)
{
	struct auth_opts o = {.mode = "capability-token"};

	(void)state;
	refused_with(&o, true, "`--ws-token-file` or `--ws-token-sha256` is "
		     "required when `--ws-auth capability-token` is set");
}

static void
test_signed_bearer_refuses_token_file(void **state)
{
	struct auth_opts o = {.mode = "signed-bearer-token",
			      .token_file = "/t", .secret_file = "/s"};

	(void)state;
	refused_with(&o, true, "`--ws-token-file` and `--ws-token-sha256` "
		     "require `--ws-auth capability-token`, not "
		     "`signed-bearer-token`");
}

static void
test_signed_bearer_refuses_token_sha256(void **state)
{
	struct auth_opts o = {.mode = "signed-bearer-token",
			      .token_sha256 = TOK_SHA};

	(void)state;
	refused_with(&o, true, "`--ws-token-file` and `--ws-token-sha256` "
		     "require `--ws-auth capability-token`, not "
		     "`signed-bearer-token`");
}

static void
test_signed_bearer_needs_secret_file(void **state)
{
	struct auth_opts o = {.mode = "signed-bearer-token", .issuer = "i"};

	(void)state;
	refused_with(&o, true, "`--ws-shared-secret-file` is required when "
		     "`--ws-auth signed-bearer-token` is set");
}

static void
test_relative_token_file_is_refused(void **state)
{
	struct auth_opts o = {.mode = "capability-token",
			      .token_file = "tok"};

	(void)state;
	refused_with(&o, true, "--ws-token-file must be an absolute path");
}

static void
test_relative_secret_file_is_refused(void **state)
{
	struct auth_opts o = {.mode = "signed-bearer-token",
			      .secret_file = "./secret"};

	(void)state;
	refused_with(&o, true,
		     "--ws-shared-secret-file must be an absolute path");
}

static void
test_sha256_of_wrong_length_is_refused(void **state)
{
	struct auth_opts o = {.mode = "capability-token",
			      .token_sha256 = "abcd"};

	(void)state;
	refused_with(&o, true, "--ws-token-sha256 must be a 64-character hex "
		     "SHA-256 digest");
}

static void
test_sha256_with_non_hex_is_refused(void **state)
{
	struct auth_opts o = {.mode = "capability-token",
			      .token_sha256 = "g8963414bf6c4c869eeac5f8a057c3dc574d422f1b108397b66f67bab3d2f981"};

	(void)state;
	refused_with(&o, true, "--ws-token-sha256 must be a 64-character hex "
		     "SHA-256 digest");
}

/* ---- files ------------------------------------------------------------------ */

static void
test_missing_secret_file_is_reported_with_os_error(void **state)
{
	char *p = path_of("nope");
	char *msg = xasprintf("failed to read websocket auth secret %s: No such "
			      "file or directory (os error 2)", p);
	struct auth_opts o = {.mode = "signed-bearer-token", .secret_file = p};

	(void)state;
	refused_with(&o, true, msg);
	free(msg);
	free(p);
}

static void
test_blank_token_file_is_refused(void **state)
{
	char *p = write_file("blank", " \n\t\n", 0600);
	char *msg = xasprintf("websocket auth secret %s must not be empty", p);
	struct auth_opts o = {.mode = "capability-token", .token_file = p};

	(void)state;
	refused_with(&o, true, msg);
	free(msg);
	free(p);
}

static void
test_group_writable_secret_is_refused(void **state)
{
	char *p = write_file("gw", SECRET, 0620);
	char *msg = xasprintf("websocket auth secret %s must not be group- or "
			      "world-writable", p);
	struct auth_opts o = {.mode = "signed-bearer-token", .secret_file = p};

	(void)state;
	refused_with(&o, true, msg);
	free(msg);
	free(p);
}

static void
test_world_writable_token_file_is_refused(void **state)
{
	char *p = write_file("ww", "tok-123", 0602);
	char *msg = xasprintf("websocket auth secret %s must not be group- or "
			      "world-writable", p);
	struct auth_opts o = {.mode = "capability-token", .token_file = p};

	(void)state;
	refused_with(&o, true, msg);
	free(msg);
	free(p);
}

static void
test_group_or_world_readable_token_file_is_refused(void **state)
{
	static const mode_t modes[] = {0640, 0604, 0644};
	struct auth_opts o = {.mode = "capability-token"};
	char *p, *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		p = write_file("readable", "tok-123", modes[i]);
		msg = xasprintf("websocket auth secret %s must not be group- or "
				"world-readable (chmod 600 it)", p);
		o.token_file = p;
		refused_with(&o, true, msg);
		free(msg);
		free(p);
	}
}

static void
test_secret_of_31_bytes_after_trimming_is_refused(void **state)
{
	char *p = write_file("short", "  0123456789abcdef0123456789abcde\n",
			     0600);
	char *msg = xasprintf("signed websocket bearer secret %s must be at "
			      "least 32 bytes", p);
	struct auth_opts o = {.mode = "signed-bearer-token", .secret_file = p};

	(void)state;
	refused_with(&o, true, msg);
	free(msg);
	free(p);
}

static void
test_secret_of_32_bytes_is_accepted(void **state)
{
	struct auth *a = signed_auth(NULL, NULL, NULL);

	(void)state;
	assert_int_equal(auth_mode(a), AUTH_SIGNED_BEARER);
	auth_free(a);
}

static void
test_read_secret_trims_whitespace(void **state)
{
	char *p = write_file("trim", "\t secret value \r\n", 0600);
	size_t n = 0;
	char *s = auth_read_secret(p, &n, NULL);

	(void)state;
	assert_non_null(s);
	assert_int_equal(n, 12);
	assert_string_equal(s, "secret value");
	auth_secret_free(s, n);
	free(p);
}

/* ---- skew ---------------------------------------------------------------- */

static void
test_skew_beyond_i64_is_refused(void **state)
{
	char *p = write_file("secret", SECRET, 0600);
	struct auth_opts o = {.mode = "signed-bearer-token", .secret_file = p,
			      .max_skew = "9223372036854775808"};

	(void)state;
	refused_with(&o, true, "websocket auth clock skew must fit in a signed "
		     "64-bit integer");
	free(p);
}

static void
test_skew_that_is_not_a_number_is_refused(void **state)
{
	struct auth_opts o = {.mode = "signed-bearer-token",
			      .secret_file = "/s", .max_skew = "-1"};

	(void)state;
	refused_with(&o, true, "invalid value '-1' for "
		     "'--ws-max-clock-skew-seconds <SECONDS>': invalid digit "
		     "found in string");
	o.max_skew = "";
	refused_with(&o, true, "invalid value '' for "
		     "'--ws-max-clock-skew-seconds <SECONDS>': cannot parse "
		     "integer from empty string");
	o.max_skew = "18446744073709551616";
	refused_with(&o, true, "invalid value '18446744073709551616' for "
		     "'--ws-max-clock-skew-seconds <SECONDS>': number too "
		     "large to fit in target type");
}

static void
test_skew_defaults_to_30_seconds_both_ways(void **state)
{
	struct auth *a = signed_auth(NULL, NULL, NULL);

	(void)state;
	assert_null(check_claims(a, "{\"exp\":1700000000}", NOW + 30));
	assert_string_equal(check_claims(a, "{\"exp\":1700000000}", NOW + 31),
			    "expired websocket jwt");
	assert_null(check_claims(a, "{\"exp\":1800000000,\"nbf\":1700000000}",
				 NOW - 30));
	assert_string_equal(check_claims(a, "{\"exp\":1800000000,"
					 "\"nbf\":1700000000}", NOW - 31),
			    "websocket jwt is not valid yet");
	auth_free(a);
}

static void
test_configured_skew_is_applied(void **state)
{
	struct auth *a = signed_auth(NULL, NULL, "0");

	(void)state;
	assert_null(check_claims(a, "{\"exp\":1700000000}", NOW));
	assert_string_equal(check_claims(a, "{\"exp\":1700000000}", NOW + 1),
			    "expired websocket jwt");
	auth_free(a);
}

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
		cmocka_unit_test(test_opts_flag_takes_separate_and_joined_values),
		cmocka_unit_test(test_opts_flag_ignores_longer_names),
		cmocka_unit_test(test_opts_flag_missing_value_is_an_error),
		cmocka_unit_test(test_no_auth_on_loopback_accepts_everything),
		cmocka_unit_test(test_non_loopback_without_auth_is_refused),
		cmocka_unit_test(test_non_loopback_with_auth_is_allowed),
		cmocka_unit_test(test_ws_flags_without_ws_auth_are_refused),
		cmocka_unit_test(test_unknown_ws_auth_mode_is_refused),
		cmocka_unit_test(test_ws_auth_none_is_no_auth_on_loopback_only),
		cmocka_unit_test(test_opts_empty_only_without_any_flag),
		cmocka_unit_test(test_generated_token_is_written_0600_and_accepted),
		cmocka_unit_test(test_capability_token_refuses_signed_bearer_flags),
		cmocka_unit_test(test_capability_token_file_and_sha256_are_exclusive),
		cmocka_unit_test(test_capability_token_needs_a_source),
		cmocka_unit_test(test_signed_bearer_refuses_token_file),
		cmocka_unit_test(test_signed_bearer_refuses_token_sha256),
		cmocka_unit_test(test_signed_bearer_needs_secret_file),
		cmocka_unit_test(test_relative_token_file_is_refused),
		cmocka_unit_test(test_relative_secret_file_is_refused),
		cmocka_unit_test(test_sha256_of_wrong_length_is_refused),
		cmocka_unit_test(test_sha256_with_non_hex_is_refused),
		cmocka_unit_test(test_missing_secret_file_is_reported_with_os_error),
		cmocka_unit_test(test_blank_token_file_is_refused),
		cmocka_unit_test(test_group_writable_secret_is_refused),
		cmocka_unit_test(test_world_writable_token_file_is_refused),
		cmocka_unit_test(test_group_or_world_readable_token_file_is_refused),
		cmocka_unit_test(test_secret_of_31_bytes_after_trimming_is_refused),
		cmocka_unit_test(test_secret_of_32_bytes_is_accepted),
		cmocka_unit_test(test_read_secret_trims_whitespace),
		cmocka_unit_test(test_skew_beyond_i64_is_refused),
		cmocka_unit_test(test_skew_that_is_not_a_number_is_refused),
		cmocka_unit_test(test_skew_defaults_to_30_seconds_both_ways),
		cmocka_unit_test(test_configured_skew_is_applied),
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
