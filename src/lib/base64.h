/* base64.h — RFC 4648 base64 decoding. Pure; no I/O. */
#ifndef AIRLOCK_BASE64_H
#define AIRLOCK_BASE64_H

#include <stddef.h>

/* Decodes s[0..n) into a fresh NUL-terminated heap buffer (*outlen bytes,
 * the NUL not counted). ASCII whitespace is skipped; padding is optional.
 * Returns NULL when s holds anything else or is truncated mid-byte. */
char *base64_decode(const char *s, size_t n, size_t *outlen);

#endif
