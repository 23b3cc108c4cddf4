/* base64.c — RFC 4648 base64 decoding. */
#include "lib/base64.h"

#include <stdlib.h>

#include "lib/xalloc.h"

static int
sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *
base64_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = xmalloc(n / 4 * 3 + 4);
	unsigned long acc = 0;
	size_t i, o = 0, pad = 0;
	int bits = 0, d;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_space(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (d = sextet(c)) < 0)
			goto bad;
		acc = (acc << 6) | (unsigned long)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* Leftover bits must be the zero padding of a 2- or 3-char group. */
	if (bits >= 6 || (acc & ((1ul << bits) - 1)) != 0 || pad > 2)
		goto bad;
	out[o] = '\0';
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}
