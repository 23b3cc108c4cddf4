/* test_jws.c — strict base64url and compact HS256 JWS: what is accepted,
 * every refusal on its own, and the clock-skew edges (reference §19.3). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/b64url.h"
#include "server/jws.h"

#define KEY "0123456789abcdef0123456789abcdef"
#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define NOW 1700000000

static const struct jws_key key = {(const unsigned char *)KEY,
				   sizeof(KEY) - 1};

/* ---- base64url ---------------------------------------------------------- */

static int
dec(const char *s, unsigned char *out, size_t *n)
{
	return b64url_decode(s, strlen(s), out, 64, n);
}

static void
test_b64url_encodes_rfc4648_vectors_without_padding(void **state)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob",
					 "fooba", "foobar"};
	static const char *const out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg",
					  "Zm9vYmE", "Zm9vYmFy"};
	char buf[16];
	size_t i;

	(void)state;
	for (i = 0; i < 7; i++) {
		b64url_encode((const unsigned char *)in[i], strlen(in[i]), buf);
		assert_string_equal(buf, out[i]);
		assert_int_equal(b64url_encoded_len(strlen(in[i])),
				 strlen(out[i]));
	}
}

static void
test_b64url_uses_dash_and_underscore(void **state)
{
	const unsigned char in[] = {0xfb, 0xff, 0xbf};
	unsigned char back[8];
	char buf[8];
	size_t n;

	(void)state;
	b64url_encode(in, 3, buf);
	assert_string_equal(buf, "-_-_");
	assert_int_equal(dec(buf, back, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(back, in, 3);
}

static void
test_b64url_refuses_padding(void **state)
{
	unsigned char out[64];
	size_t n;

	(void)state;
	assert_int_equal(dec("Zg==", out, &n), -1);
	assert_int_equal(dec("Zm8=", out, &n), -1);
}

static void
test_b64url_refuses_standard_alphabet_and_spaces(void **state)
{
	unsigned char out[64];
	size_t n;

	(void)state;
	assert_int_equal(dec("+/+/", out, &n), -1);
	assert_int_equal(dec("Zm9 v", out, &n), -1);
	assert_int_equal(dec("Zm9v\n", out, &n), -1);
}

static void
test_b64url_refuses_length_one_mod_four(void **state)
{
	unsigned char out[64];
	size_t n;

	(void)state;
	assert_int_equal(dec("Zm9vY", out, &n), -1);
}

static void
test_b64url_refuses_noncanonical_trailing_bits(void **state)
{
	unsigned char out[64];
	size_t n;

	(void)state;
	assert_int_equal(dec("Zh", out, &n), -1);   /* "Zg" is canonical */
	assert_int_equal(dec("Zm9", out, &n), -1);  /* "Zm8" is canonical */
	assert_int_equal(dec("Zg", out, &n), 0);
}

static void
test_b64url_refuses_output_that_does_not_fit(void **state)
{
	unsigned char out[2];
	size_t n;

	(void)state;
	assert_int_equal(b64url_decode("Zm9v", 4, out, sizeof(out), &n), -1);
}

/* ---- helpers ------------------------------------------------------------ */

static char *
mk(const char *header, const char *claims)
{
	return jws_sign_raw(header, strlen(header), claims, strlen(claims),
			    key);
}

static enum jws_status
judge(const char *tok, const char *iss, const char *aud, int64_t now)
{
	struct jws_checks c = {iss, aud, 30, now};

	return jws_verify(tok, strlen(tok), key, &c, NULL);
}

static enum jws_status
judge_pair(const char *header, const char *claims)
{
	char *tok = mk(header, claims);
	enum jws_status st = judge(tok, NULL, NULL, NOW);

	free(tok);
	return st;
}

static enum jws_status
judge_claims(const char *claims, const char *iss, const char *aud,
	     int64_t now)
{
	char *tok = mk(HS256, claims);
	enum jws_status st = judge(tok, iss, aud, now);

	free(tok);
	return st;
}

#define VALID "{\"exp\":1700000100}"

/* ---- acceptance --------------------------------------------------------- */

static void
test_jws_accepts_signed_token_and_returns_claims(void **state)
{
	struct jws_checks c = {"me", "you", 30, NOW};
	json_t *claims = NULL;
	char *tok;

	(void)state;
	tok = mk(HS256, "{\"iss\":\"me\",\"aud\":\"you\",\"exp\":1700000100,"
			"\"sub\":\"x\",\"jti\":\"j\",\"iat\":1}");
	assert_int_equal(jws_verify(tok, strlen(tok), key, &c, &claims),
			 JWS_OK);
	assert_non_null(claims);
	assert_string_equal(json_string_value(json_object_get(claims, "sub")),
			    "x");
	json_decref(claims);
	free(tok);
}

static void
test_jws_sign_round_trips_through_verify(void **state)
{
	json_t *c = json_pack("{s:I}", "exp", (json_int_t)NOW + 60);
	char *tok = jws_sign(c, key);

	(void)state;
	assert_non_null(tok);
	assert_int_equal(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
				 37), 0);
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_OK);
	free(tok);
	json_decref(c);
}

static void
test_jws_ignores_typ_and_extra_header_fields(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"HS256\",\"typ\":\"whatever\","
				    "\"kid\":\"k1\",\"x\":[1,{}]}", VALID),
			 JWS_OK);
	assert_int_equal(judge_pair("{\"alg\":\"HS256\"}", VALID), JWS_OK);
}

static void
test_jws_treats_null_optional_claims_as_absent(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":1700000100,\"nbf\":null,"
					   "\"iss\":null,\"aud\":null}"),
			 JWS_OK);
}

static void
test_jws_does_not_check_issuer_or_audience_unless_configured(void **state)
{
	(void)state;
	assert_int_equal(judge_claims("{\"exp\":1700000100,\"iss\":\"a\","
				      "\"aud\":[\"b\"]}", NULL, NULL, NOW),
			 JWS_OK);
}

/* ---- header refusals ---------------------------------------------------- */

static void
test_jws_refuses_alg_none(void **state)
{
	char *tok = mk("{\"alg\":\"none\"}", VALID);
	char *dot = strrchr(tok, '.');

	(void)state;
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_INVALID);
	dot[1] = '\0'; /* the unsecured form: empty signature */
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_INVALID);
	free(tok);
}

static void
test_jws_refuses_alg_hs384(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"HS384\"}", VALID), JWS_INVALID);
}

static void
test_jws_refuses_alg_hs512(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"HS512\"}", VALID), JWS_INVALID);
}

static void
test_jws_refuses_alg_rs256(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"RS256\"}", VALID), JWS_INVALID);
}

static void
test_jws_refuses_alg_es256(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"ES256\"}", VALID), JWS_INVALID);
}

static void
test_jws_refuses_alg_in_other_case(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"hs256\"}", VALID), JWS_INVALID);
}

static void
test_jws_refuses_missing_alg(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"typ\":\"JWT\"}", VALID), JWS_INVALID);
}

static void
test_jws_refuses_non_string_alg(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":[\"HS256\"]}", VALID),
			 JWS_INVALID);
}

static void
test_jws_refuses_crit(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"HS256\",\"crit\":[\"b64\"],"
				    "\"b64\":false}", VALID),
			 JWS_INVALID);
	assert_int_equal(judge_pair("{\"alg\":\"HS256\",\"crit\":[]}", VALID),
			 JWS_INVALID);
}

static void
test_jws_refuses_duplicate_header_keys(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
				    VALID),
			 JWS_INVALID);
	assert_int_equal(judge_pair("{\"alg\":\"none\",\"alg\":\"HS256\"}",
				    VALID),
			 JWS_INVALID);
}

static void
test_jws_refuses_header_that_is_not_an_object(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("[\"HS256\"]", VALID), JWS_INVALID);
	assert_int_equal(judge_pair("\"HS256\"", VALID), JWS_INVALID);
	assert_int_equal(judge_pair("", VALID), JWS_INVALID);
}

static void
test_jws_refuses_trailing_bytes_after_header_json(void **state)
{
	(void)state;
	assert_int_equal(judge_pair("{\"alg\":\"HS256\"}x", VALID),
			 JWS_INVALID);
}

/* ---- claims refusals ---------------------------------------------------- */

static void
test_jws_refuses_duplicate_claim_keys(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":1,\"exp\":1700000100}"),
			 JWS_INVALID);
}

static void
test_jws_refuses_missing_exp(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"nbf\":1}"), JWS_INVALID);
}

static void
test_jws_refuses_float_exp(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":1700000100.0}"),
			 JWS_INVALID);
	assert_int_equal(judge_pair(HS256, "{\"exp\":1.7e9}"), JWS_INVALID);
}

static void
test_jws_refuses_string_exp(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":\"1700000100\"}"),
			 JWS_INVALID);
}

static void
test_jws_refuses_null_exp(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":null}"), JWS_INVALID);
}

static void
test_jws_refuses_exp_beyond_64_bits(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":99999999999999999999}"),
			 JWS_INVALID);
}

static void
test_jws_refuses_non_integer_nbf(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":1700000100,\"nbf\":1.5}"),
			 JWS_INVALID);
	assert_int_equal(judge_pair(HS256, "{\"exp\":1700000100,\"nbf\":\"1\"}"),
			 JWS_INVALID);
}

static void
test_jws_refuses_non_string_iss(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":1700000100,\"iss\":7}"),
			 JWS_INVALID);
}

static void
test_jws_refuses_aud_that_is_not_string_or_string_array(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":1700000100,\"aud\":7}"),
			 JWS_INVALID);
	assert_int_equal(judge_pair(HS256,
				    "{\"exp\":1700000100,\"aud\":[\"a\",7]}"),
			 JWS_INVALID);
	assert_int_equal(judge_pair(HS256, "{\"exp\":1700000100,\"aud\":{}}"),
			 JWS_INVALID);
}

static void
test_jws_refuses_claims_that_are_not_an_object(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "[{\"exp\":1700000100}]"),
			 JWS_INVALID);
	assert_int_equal(judge_pair(HS256, "not json"), JWS_INVALID);
}

static void
test_jws_refuses_nul_escape_in_claims(void **state)
{
	(void)state;
	assert_int_equal(judge_pair(HS256, "{\"exp\":1700000100,"
					   "\"iss\":\"a\\u0000b\"}"),
			 JWS_INVALID);
}

/* ---- shape and signature refusals --------------------------------------- */

static void
test_jws_refuses_wrong_key(void **state)
{
	struct jws_key other = {(const unsigned char *)KEY "x",
				sizeof(KEY)};
	struct jws_checks c = {NULL, NULL, 30, NOW};
	char *tok = mk(HS256, VALID);

	(void)state;
	assert_int_equal(jws_verify(tok, strlen(tok), other, &c, NULL),
			 JWS_INVALID);
	free(tok);
}

static void
test_jws_refuses_tampered_payload(void **state)
{
	char *tok = mk(HS256, VALID), *good = mk(HS256, "{\"exp\":1800000100}");
	char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
	char *g1 = strchr(good, '.'), *g2 = strrchr(good, '.');

	(void)state;
	/* Same length, so the payload can be swapped in place. */
	assert_int_equal(d2 - d1, g2 - g1);
	memcpy(d1, g1, (size_t)(g2 - g1));
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_INVALID);
	free(tok);
	free(good);
}

static void
test_jws_refuses_truncated_signature(void **state)
{
	char *tok = mk(HS256, VALID);

	(void)state;
	tok[strlen(tok) - 4] = '\0';
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_INVALID);
	free(tok);
}

static void
test_jws_refuses_padded_signature(void **state)
{
	char *tok = mk(HS256, VALID);
	char *padded;
	size_t n = strlen(tok);

	(void)state;
	padded = malloc(n + 2);
	memcpy(padded, tok, n);
	memcpy(padded + n, "=", 2);
	assert_int_equal(judge(padded, NULL, NULL, NOW), JWS_INVALID);
	free(padded);
	free(tok);
}

static void
test_jws_refuses_bad_base64_in_header(void **state)
{
	char *tok = mk(HS256, VALID);

	(void)state;
	tok[1] = '+';
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_INVALID);
	free(tok);
}

static void
test_jws_refuses_noncanonical_signature_bits(void **state)
{
	char *tok = mk(HS256, VALID);
	char *last = tok + strlen(tok) - 1;

	(void)state;
	/* 32 bytes = 43 chars; the last carries 2 unused bits. Setting one
	 * of them decodes to the same bytes in a lenient decoder. */
	*last = (char)(*last == 'A' ? 'B' : *last ^ 1);
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_INVALID);
	free(tok);
}

static void
test_jws_refuses_wrong_number_of_segments(void **state)
{
	char *tok = mk(HS256, VALID);
	char *four = malloc(strlen(tok) + 3);

	(void)state;
	assert_int_equal(judge("abc.def", NULL, NULL, NOW), JWS_INVALID);
	assert_int_equal(judge("", NULL, NULL, NOW), JWS_INVALID);
	memcpy(four, tok, strlen(tok));
	memcpy(four + strlen(tok), ".e", 3);
	assert_int_equal(judge(four, NULL, NULL, NOW), JWS_INVALID);
	free(four);
	free(tok);
}

static void
test_jws_refuses_tokens_over_8_kib(void **state)
{
	char claims[JWS_MAX_TOKEN];
	char *tok;

	(void)state;
	memset(claims, 'a', sizeof(claims));
	memcpy(claims, "{\"exp\":1700000100,\"x\":\"", 23);
	memcpy(claims + 6200, "\"}", 3);
	tok = mk(HS256, claims);
	assert_true(strlen(tok) > JWS_MAX_TOKEN);
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_INVALID);
	free(tok);
	memcpy(claims + 5000, "\"}", 3);
	tok = mk(HS256, claims);
	assert_true(strlen(tok) <= JWS_MAX_TOKEN);
	assert_int_equal(judge(tok, NULL, NULL, NOW), JWS_OK);
	free(tok);
}

/* ---- time, issuer, audience --------------------------------------------- */

static void
test_jws_accepts_exactly_at_exp_plus_skew(void **state)
{
	(void)state;
	assert_int_equal(judge_claims(VALID, NULL, NULL, 1700000130), JWS_OK);
}

static void
test_jws_refuses_one_second_after_exp_plus_skew(void **state)
{
	(void)state;
	assert_int_equal(judge_claims(VALID, NULL, NULL, 1700000131),
			 JWS_EXPIRED);
}

static void
test_jws_accepts_exactly_at_nbf_minus_skew(void **state)
{
	(void)state;
	assert_int_equal(judge_claims("{\"exp\":1700000100,\"nbf\":1700000050}",
				      NULL, NULL, 1700000020),
			 JWS_OK);
}

static void
test_jws_refuses_one_second_before_nbf_minus_skew(void **state)
{
	(void)state;
	assert_int_equal(judge_claims("{\"exp\":1700000100,\"nbf\":1700000050}",
				      NULL, NULL, 1700000019),
			 JWS_NOT_YET_VALID);
}

static void
test_jws_checks_expiry_before_not_before(void **state)
{
	(void)state;
	assert_int_equal(judge_claims("{\"exp\":1,\"nbf\":1800000000}", NULL,
				      NULL, NOW),
			 JWS_EXPIRED);
}

static void
test_jws_skew_saturates_instead_of_overflowing(void **state)
{
	struct jws_checks c = {NULL, NULL, INT64_MAX, INT64_MIN};
	char *tok = mk(HS256, "{\"exp\":9223372036854775807,"
			      "\"nbf\":-9223372036854775808}");

	(void)state;
	assert_int_equal(jws_verify(tok, strlen(tok), key, &c, NULL), JWS_OK);
	c.now = INT64_MAX;
	assert_int_equal(jws_verify(tok, strlen(tok), key, &c, NULL), JWS_OK);
	free(tok);
}

static void
test_jws_issuer_mismatch(void **state)
{
	(void)state;
	assert_int_equal(judge_claims("{\"exp\":1700000100,\"iss\":\"Me\"}",
				      "me", NULL, NOW),
			 JWS_ISSUER_MISMATCH);
}

static void
test_jws_issuer_missing_is_mismatch(void **state)
{
	(void)state;
	assert_int_equal(judge_claims(VALID, "me", NULL, NOW),
			 JWS_ISSUER_MISMATCH);
}

static void
test_jws_audience_string_matches(void **state)
{
	(void)state;
	assert_int_equal(judge_claims("{\"exp\":1700000100,\"aud\":\"you\"}",
				      NULL, "you", NOW),
			 JWS_OK);
}

static void
test_jws_audience_array_containing_it_matches(void **state)
{
	(void)state;
	assert_int_equal(judge_claims("{\"exp\":1700000100,"
				      "\"aud\":[\"a\",\"you\"]}",
				      NULL, "you", NOW),
			 JWS_OK);
}

static void
test_jws_audience_mismatch(void **state)
{
	(void)state;
	assert_int_equal(judge_claims("{\"exp\":1700000100,\"aud\":\"your\"}",
				      NULL, "you", NOW),
			 JWS_AUDIENCE_MISMATCH);
	assert_int_equal(judge_claims("{\"exp\":1700000100,\"aud\":[]}", NULL,
				      "you", NOW),
			 JWS_AUDIENCE_MISMATCH);
}

static void
test_jws_audience_missing_is_mismatch(void **state)
{
	(void)state;
	assert_int_equal(judge_claims(VALID, NULL, "you", NOW),
			 JWS_AUDIENCE_MISMATCH);
}

static void
test_jws_status_texts_are_the_reference_401_bodies(void **state)
{
	(void)state;
	assert_null(jws_status_text(JWS_OK));
	assert_string_equal(jws_status_text(JWS_INVALID),
			    "invalid websocket jwt");
	assert_string_equal(jws_status_text(JWS_EXPIRED),
			    "expired websocket jwt");
	assert_string_equal(jws_status_text(JWS_NOT_YET_VALID),
			    "websocket jwt is not valid yet");
	assert_string_equal(jws_status_text(JWS_ISSUER_MISMATCH),
			    "websocket jwt issuer mismatch");
	assert_string_equal(jws_status_text(JWS_AUDIENCE_MISMATCH),
			    "websocket jwt audience mismatch");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_encodes_rfc4648_vectors_without_padding),
		cmocka_unit_test(test_b64url_uses_dash_and_underscore),
		cmocka_unit_test(test_b64url_refuses_padding),
		cmocka_unit_test(test_b64url_refuses_standard_alphabet_and_spaces),
		cmocka_unit_test(test_b64url_refuses_length_one_mod_four),
		cmocka_unit_test(test_b64url_refuses_noncanonical_trailing_bits),
		cmocka_unit_test(test_b64url_refuses_output_that_does_not_fit),
		cmocka_unit_test(test_jws_accepts_signed_token_and_returns_claims),
		cmocka_unit_test(test_jws_sign_round_trips_through_verify),
		cmocka_unit_test(test_jws_ignores_typ_and_extra_header_fields),
		cmocka_unit_test(test_jws_treats_null_optional_claims_as_absent),
		cmocka_unit_test(test_jws_does_not_check_issuer_or_audience_unless_configured),
		cmocka_unit_test(test_jws_refuses_alg_none),
		cmocka_unit_test(test_jws_refuses_alg_hs384),
		cmocka_unit_test(test_jws_refuses_alg_hs512),
		cmocka_unit_test(test_jws_refuses_alg_rs256),
		cmocka_unit_test(test_jws_refuses_alg_es256),
		cmocka_unit_test(test_jws_refuses_alg_in_other_case),
		cmocka_unit_test(test_jws_refuses_missing_alg),
		cmocka_unit_test(test_jws_refuses_non_string_alg),
		cmocka_unit_test(test_jws_refuses_crit),
		cmocka_unit_test(test_jws_refuses_duplicate_header_keys),
		cmocka_unit_test(test_jws_refuses_header_that_is_not_an_object),
		cmocka_unit_test(test_jws_refuses_trailing_bytes_after_header_json),
		cmocka_unit_test(test_jws_refuses_duplicate_claim_keys),
		cmocka_unit_test(test_jws_refuses_missing_exp),
		cmocka_unit_test(test_jws_refuses_float_exp),
		cmocka_unit_test(test_jws_refuses_string_exp),
		cmocka_unit_test(test_jws_refuses_null_exp),
		cmocka_unit_test(test_jws_refuses_exp_beyond_64_bits),
		cmocka_unit_test(test_jws_refuses_non_integer_nbf),
		cmocka_unit_test(test_jws_refuses_non_string_iss),
		cmocka_unit_test(test_jws_refuses_aud_that_is_not_string_or_string_array),
		cmocka_unit_test(test_jws_refuses_claims_that_are_not_an_object),
		cmocka_unit_test(test_jws_refuses_nul_escape_in_claims),
		cmocka_unit_test(test_jws_refuses_wrong_key),
		cmocka_unit_test(test_jws_refuses_tampered_payload),
		cmocka_unit_test(test_jws_refuses_truncated_signature),
		cmocka_unit_test(test_jws_refuses_padded_signature),
		cmocka_unit_test(test_jws_refuses_bad_base64_in_header),
		cmocka_unit_test(test_jws_refuses_noncanonical_signature_bits),
		cmocka_unit_test(test_jws_refuses_wrong_number_of_segments),
		cmocka_unit_test(test_jws_refuses_tokens_over_8_kib),
		cmocka_unit_test(test_jws_accepts_exactly_at_exp_plus_skew),
		cmocka_unit_test(test_jws_refuses_one_second_after_exp_plus_skew),
		cmocka_unit_test(test_jws_accepts_exactly_at_nbf_minus_skew),
		cmocka_unit_test(test_jws_refuses_one_second_before_nbf_minus_skew),
		cmocka_unit_test(test_jws_checks_expiry_before_not_before),
		cmocka_unit_test(test_jws_skew_saturates_instead_of_overflowing),
		cmocka_unit_test(test_jws_issuer_mismatch),
		cmocka_unit_test(test_jws_issuer_missing_is_mismatch),
		cmocka_unit_test(test_jws_audience_string_matches),
		cmocka_unit_test(test_jws_audience_array_containing_it_matches),
		cmocka_unit_test(test_jws_audience_mismatch),
		cmocka_unit_test(test_jws_audience_missing_is_mismatch),
		cmocka_unit_test(test_jws_status_texts_are_the_reference_401_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
