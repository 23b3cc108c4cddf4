/* test_auth_opts.c — the app-server's --ws-* flags, their
 * combinations, secret and token files and the clock skew (reference
 * §19.2): every message exactly. */
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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
