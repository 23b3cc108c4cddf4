/* jws.c — compact HS256 JWS and JWT claim checks (see jws.h). */
#include "server/jws.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/b64url.h"
#include "lib/slice.h"
#include "lib/xalloc.h"

static const char jws_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* A token split at its two dots: header, payload, signature (base64url)
 * and the signed part (header "." payload). */
struct jws_parts {
	struct slice h, p, s, signing_input;
};

static int
hs256(struct jws_key key, const char *p, size_t n,
      unsigned char out[JWS_HS256_LEN])
{
	static const unsigned char none = 0;
	unsigned int len = 0;

	if (HMAC(EVP_sha256(), key.n > 0 ? key.p : &none, (int)key.n,
		 (const unsigned char *)p, n, out, &len) == NULL ||
	    len != JWS_HS256_LEN)
		return -1;
	return 0;
}

static int
split(const char *tok, size_t n, struct jws_parts *out)
{
	const char *d1, *d2;

	d1 = memchr(tok, '.', n);
	if (d1 == NULL)
		return -1;
	d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - tok));
	if (d2 == NULL ||
	    memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - tok)) != NULL)
		return -1;
	out->h = slice_of(tok, (size_t)(d1 - tok));
	out->p = slice_of(d1 + 1, (size_t)(d2 - d1 - 1));
	out->s = slice_of(d2 + 1, n - (size_t)(d2 + 1 - tok));
	out->signing_input = slice_of(tok, (size_t)(d2 - tok));
	return 0;
}

static int
signature_ok(const struct jws_parts *t, struct jws_key key)
{
	unsigned char want[JWS_HS256_LEN], got[JWS_HS256_LEN];
	size_t len;
	int ok;

	if (b64url_decode(t->s.p, t->s.n, got, sizeof(got), &len) == -1 ||
	    len != sizeof(got))
		return 0;
	if (hs256(key, t->signing_input.p, t->signing_input.n, want) == -1)
		return 0;
	ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

/* Decodes one base64url segment and parses it as a JSON object. */
static json_t *
segment_object(struct slice seg)
{
	unsigned char buf[JWS_MAX_TOKEN];
	json_error_t jerr;
	json_t *v;
	size_t len;

	if (b64url_decode(seg.p, seg.n, buf, sizeof(buf), &len) == -1)
		return NULL;
	v = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int
header_ok(const json_t *h)
{
	const json_t *alg = json_object_get(h, "alg");

	if (!json_is_string(alg) ||
	    !slice_eq_cstr(slice_of(json_string_value(alg),
				    json_string_length(alg)),
			   "HS256"))
		return 0;
	/* We understand no extension, so any `crit` must be refused
	 * (RFC 7515 §4.1.11). */
	return json_object_get(h, "crit") == NULL;
}

/* An optional claim: NULL when absent or JSON null. */
static json_t *
claim(json_t *claims, const char *name)
{
	json_t *v = json_object_get(claims, name);

	return json_is_null(v) ? NULL : v;
}

static int
aud_ok(const json_t *aud)
{
	size_t i;
	json_t *v;

	if (aud == NULL || json_is_string(aud))
		return 1;
	if (!json_is_array(aud))
		return 0;
	json_array_foreach(aud, i, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

/* Types of the claims we read; everything else is ignored. */
static int
claims_typed(json_t *claims)
{
	const json_t *nbf = claim(claims, "nbf"), *iss = claim(claims, "iss");

	if (!json_is_integer(json_object_get(claims, "exp")))
		return 0;
	if (nbf != NULL && !json_is_integer(nbf))
		return 0;
	if (iss != NULL && !json_is_string(iss))
		return 0;
	return aud_ok(claim(claims, "aud"));
}

static int
str_eq(const json_t *s, const char *want)
{
	return slice_eq_cstr(slice_of(json_string_value(s), json_string_length(s)),
			     want);
}

static int
aud_matches(const json_t *aud, const char *want)
{
	size_t i;
	json_t *v;

	if (aud == NULL)
		return 0;
	if (json_is_string(aud))
		return str_eq(aud, want);
	json_array_foreach(aud, i, v)
		if (str_eq(v, want))
			return 1;
	return 0;
}

static enum jws_status
claims_judge(json_t *claims, const struct jws_checks *c)
{
	int64_t exp = json_integer_value(json_object_get(claims, "exp"));
	int64_t skew = c->skew < 0 ? 0 : c->skew;
	const json_t *nbf = claim(claims, "nbf"), *iss = claim(claims, "iss");
	int64_t lim;

	lim = exp > INT64_MAX - skew ? INT64_MAX : exp + skew;
	if (c->now > lim)
		return JWS_EXPIRED;
	if (nbf != NULL) {
		lim = json_integer_value(nbf);
		lim = lim < INT64_MIN + skew ? INT64_MIN : lim - skew;
		if (c->now < lim)
			return JWS_NOT_YET_VALID;
	}
	if (c->issuer != NULL && (iss == NULL || !str_eq(iss, c->issuer)))
		return JWS_ISSUER_MISMATCH;
	if (c->audience != NULL &&
	    !aud_matches(claim(claims, "aud"), c->audience))
		return JWS_AUDIENCE_MISMATCH;
	return JWS_OK;
}

enum jws_status
jws_verify(const char *tok, size_t n, struct jws_key key,
	   const struct jws_checks *c, json_t **claims)
{
	enum jws_status st = JWS_INVALID;
	json_t *h = NULL, *cl = NULL;
	struct jws_parts t;

	if (claims != NULL)
		*claims = NULL;
	if (n > JWS_MAX_TOKEN || split(tok, n, &t) == -1 ||
	    !signature_ok(&t, key))
		goto out;
	h = segment_object(t.h);
	if (h == NULL || !header_ok(h))
		goto out;
	cl = segment_object(t.p);
	if (cl == NULL || !claims_typed(cl))
		goto out;
	st = claims_judge(cl, c);
	if (st == JWS_OK && claims != NULL) {
		*claims = cl;
		cl = NULL;
	}
out:
	json_decref(h);
	json_decref(cl);
	return st;
}

const char *
jws_status_text(enum jws_status s)
{
	switch (s) {
	case JWS_OK:
		return NULL;
	case JWS_EXPIRED:
		return "expired websocket jwt";
	case JWS_NOT_YET_VALID:
		return "websocket jwt is not valid yet";
	case JWS_ISSUER_MISMATCH:
		return "websocket jwt issuer mismatch";
	case JWS_AUDIENCE_MISMATCH:
		return "websocket jwt audience mismatch";
	case JWS_INVALID:
		break;
	}
	return "invalid websocket jwt";
}

char *
jws_sign_raw(const char *header, size_t hn, const char *payload, size_t pn,
	     struct jws_key key)
{
	unsigned char mac[JWS_HS256_LEN];
	size_t hl = b64url_encoded_len(hn), pl = b64url_encoded_len(pn);
	size_t sl = b64url_encoded_len(sizeof(mac));
	char *out = xmalloc(hl + pl + sl + 3);

	b64url_encode((const unsigned char *)header, hn, out);
	out[hl] = '.';
	b64url_encode((const unsigned char *)payload, pn, out + hl + 1);
	if (hs256(key, out, hl + 1 + pl, mac) == -1) {
		free(out);
		return NULL;
	}
	out[hl + 1 + pl] = '.';
	b64url_encode(mac, sizeof(mac), out + hl + pl + 2);
	OPENSSL_cleanse(mac, sizeof(mac));
	return out;
}

char *
jws_sign(const json_t *claims, struct jws_key key)
{
	char *payload = json_dumps(claims, JSON_COMPACT);
	char *tok;

	if (payload == NULL)
		return NULL;
	tok = jws_sign_raw(jws_header, strlen(jws_header), payload,
			   strlen(payload), key);
	free(payload);
	return tok;
}
