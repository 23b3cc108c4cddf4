/* b64url.h — base64url (RFC 4648 §5) without padding, as JWS uses it
 * (RFC 7515 §2). Pure; no I/O, no allocation.
 *
 * Decoding is strict so that one byte string has exactly one text form:
 * padding ('='), whitespace and characters outside [A-Za-z0-9_-] are
 * refused, a length of 1 mod 4 is refused, and the unused low bits of the
 * last character must be zero (non-canonical encodings are refused). */
#ifndef AIRLOCK_B64URL_H
#define AIRLOCK_B64URL_H

#include <stddef.h>

/* Characters b64url_encode() writes for n bytes (without the NUL). */
size_t b64url_encoded_len(size_t n);
/* Largest decoded size of n characters of text. */
size_t b64url_decoded_max(size_t n);
/* Encodes p[0..n) into out, which must hold b64url_encoded_len(n) + 1
 * bytes; out is NUL-terminated. Returns the length written. */
size_t b64url_encode(const unsigned char *p, size_t n, char *out);
/* Decodes s[0..n) into out (cap bytes). Returns 0 with *outlen set, or -1
 * when the text is not canonical unpadded base64url or does not fit. */
int b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap,
		  size_t *outlen);

#endif
