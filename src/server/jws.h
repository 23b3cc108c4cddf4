/* jws.h — compact JWS (RFC 7515) with HS256 only, and the JWT claim checks
 * of the app-server's signed bearer tokens (reference §19.3). Pure: no
 * I/O, no logging; allocation only through jansson and the returned
 * strings.
 *
 * Verification order: the token's shape (three base64url segments, strict
 * decoding, at most JWS_MAX_TOKEN bytes), the HMAC-SHA256 signature
 * (constant-time compare; computed before any JSON is parsed, so the JSON
 * parser only ever sees bytes signed with the key), the header (a JSON
 * object, `alg` exactly "HS256", no `crit`; other members such as `typ`
 * ignored), then the claims (a JSON object; `exp` required JSON integer,
 * `nbf` optional integer, `iss` optional string, `aud` optional string or
 * array of strings; null counts as absent for the optional ones, as in the
 * reference's serde claims). Duplicate member names anywhere are refused.
 * Every failure up to here is JWS_INVALID. Then, in order: expiry
 * (now > exp + skew), not-before (now < nbf - skew), issuer (exact) and
 * audience, each only when the caller configured it. Skew arithmetic
 * saturates instead of overflowing. */
#ifndef AIRLOCK_JWS_H
#define AIRLOCK_JWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define JWS_MAX_TOKEN (8 * 1024)
#define JWS_HS256_LEN 32

enum jws_status {
	JWS_OK,
	JWS_INVALID,
	JWS_EXPIRED,
	JWS_NOT_YET_VALID,
	JWS_ISSUER_MISMATCH,
	JWS_AUDIENCE_MISMATCH,
};

struct jws_key {
	const unsigned char *p;
	size_t n;
};

struct jws_checks {
	const char *issuer;   /* NULL: not checked */
	const char *audience; /* NULL: not checked */
	int64_t skew;         /* seconds, >= 0 */
	int64_t now;          /* unix seconds */
};

/* Verifies the compact token tok[0..n) against key and c. On JWS_OK and
 * claims != NULL, *claims gets the claims object (caller json_decref()s);
 * otherwise *claims is set to NULL. */
enum jws_status jws_verify(const char *tok, size_t n, struct jws_key key,
			   const struct jws_checks *c, json_t **claims);
/* The 401 text of a status ("invalid websocket jwt", ...); NULL for OK. */
const char *jws_status_text(enum jws_status s);

/* Signs header and payload bytes as given (no validation: tests and the
 * fuzzer use it to make tokens with odd headers). Returns the compact
 * token as a heap string. */
char *jws_sign_raw(const char *header, size_t hn, const char *payload,
		   size_t pn, struct jws_key key);
/* Signs claims with the header {"alg":"HS256","typ":"JWT"}. */
char *jws_sign(const json_t *claims, struct jws_key key);

#endif
