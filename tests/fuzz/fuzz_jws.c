/* fuzz_jws.c — the JWS decoder and strict base64url. The first byte picks
 * a mode: 0 verifies the rest as a compact token; 1 splits the rest at the
 * first newline into header and claims JSON, signs them with the test key
 * and verifies (so the JSON and claim checks, which sit behind the
 * signature, are reached, and the `scope` reading of accepted claims);
 * 2 checks that strict base64url decoding and encoding are inverse (a
 * decoded text must re-encode to itself). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/b64url.h"
#include "server/auth.h"
#include "server/jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY "fuzz-key-fuzz-key-fuzz-key-fuzz!"

static const struct jws_key key = {(const unsigned char *)KEY,
				   sizeof(KEY) - 1};

/* Accepted claims also go through the app-server's `scope` reading:
 * a scope it accepts is a non-empty set of the two roles. */
static void
check_claims(enum jws_status st, json_t *claims)
{
	unsigned scope = 0;

	if ((st == JWS_OK) != (claims != NULL))
		abort();
	if (claims != NULL &&
	    !json_is_integer(json_object_get(claims, "exp")))
		abort();
	if (claims != NULL &&
	    auth_scope_claim(json_object_get(claims, "scope"), &scope) == 0 &&
	    (scope == 0 || (scope & ~AUTH_SCOPE_ALL) != 0))
		abort();
	json_decref(claims);
}

static void
fuzz_token(const char *p, size_t n)
{
	struct jws_checks c = {"iss", "aud", 30, 1700000000};
	json_t *claims = NULL;
	enum jws_status st = jws_verify(p, n, key, &c, &claims);

	check_claims(st, claims);
}

static void
fuzz_signed(const char *p, size_t n)
{
	struct jws_key other = {(const unsigned char *)KEY, 31};
	struct jws_checks c = {NULL, "aud", 30, 1700000000};
	const char *nl = memchr(p, '\n', n);
	size_t hn = nl != NULL ? (size_t)(nl - p) : n;
	const char *claims_p = nl != NULL ? nl + 1 : "";
	size_t cn = nl != NULL ? n - hn - 1 : 0;
	json_t *claims = NULL;
	enum jws_status st;
	char *tok;

	tok = jws_sign_raw(p, hn, claims_p, cn, key);
	if (tok == NULL)
		abort();
	st = jws_verify(tok, strlen(tok), key, &c, &claims);
	check_claims(st, claims);
	if (jws_verify(tok, strlen(tok), other, &c, NULL) != JWS_INVALID)
		abort();
	free(tok);
}

static void
fuzz_b64url(const char *p, size_t n)
{
	/* Room for decoding p (at most 3/4 of n) and for p's own bytes. */
	unsigned char *dec = malloc(n + 1);
	char *enc = malloc(b64url_encoded_len(n) + 1);
	size_t len;

	if (b64url_decode(p, n, dec, b64url_decoded_max(n), &len) == 0) {
		char *again = malloc(b64url_encoded_len(len) + 1);

		if (b64url_encode(dec, len, again) != n ||
		    memcmp(again, p, n) != 0)
			abort();
		free(again);
	}
	b64url_encode((const unsigned char *)p, n, enc);
	if (b64url_decode(enc, strlen(enc), dec, n, &len) != 0 || len != n ||
	    memcmp(dec, p, n) != 0)
		abort();
	free(enc);
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_token(p, size - 1);
		break;
	case 1:
		fuzz_signed(p, size - 1);
		break;
	default:
		fuzz_b64url(p, size - 1);
		break;
	}
	return 0;
}
