/* fuzz_socks5.c — every SOCKS5 parser on the same bytes, plus the
 * re-encode round trip for what parses: a parsed request or reply must
 * re-encode to exactly the bytes it was parsed from (modulo RSV), and a
 * parser must never claim more bytes than it was given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_len(int rc, size_t size)
{
	if (rc > 0 && (size_t)rc > size)
		abort();
}

static void
fuzz_request(const char *p, size_t n)
{
	struct socks5_request r;
	char out[SOCKS5_REQUEST_MAX];
	size_t len;
	int rc;

	rc = socks5_parse_request(p, n, &r);
	check_len(rc, n);
	if (rc <= 0)
		return;
	len = socks5_encode_request(r.cmd, &r.dst, out, sizeof(out));
	if (len != (size_t)rc || memcmp(out, p, 2) != 0 ||
	    memcmp(out + 3, p + 3, len - 3) != 0)
		abort();
}

static void
fuzz_reply(const char *p, size_t n)
{
	struct socks5_reply r;
	char out[SOCKS5_REQUEST_MAX];
	size_t len;
	int rc;

	rc = socks5_parse_reply(p, n, &r);
	check_len(rc, n);
	if (rc <= 0)
		return;
	len = socks5_encode_reply(r.rep, &r.bnd, out, sizeof(out));
	if (len != (size_t)rc || memcmp(out + 3, p + 3, len - 3) != 0)
		abort();
}

static void
fuzz_udp(const char *p, size_t n)
{
	struct socks5_udp_header h;
	char out[SOCKS5_UDP_HEADER_MAX];
	size_t len;
	int rc;

	rc = socks5_parse_udp(p, n, &h);
	check_len(rc, n);
	if (rc <= 0)
		return;
	if (h.data.p != p + rc || h.data.n != n - (size_t)rc)
		abort();
	len = socks5_encode_udp_header(&h.dst, out, sizeof(out));
	if (len != (size_t)rc || memcmp(out + 3, p + 3, len - 3) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct socks5_greeting g;
	unsigned char b;
	char out[SOCKS5_USERPASS_MAX];

	check_len(socks5_parse_greeting(p, size, &g), size);
	check_len(socks5_parse_method_reply(p, size, &b), size);
	check_len(socks5_parse_userpass_reply(p, size, &b), size);
	fuzz_request(p, size);
	fuzz_reply(p, size);
	fuzz_udp(p, size);
	/* The encoders on input-derived lengths must refuse, not overflow. */
	if (size >= 2) {
		size_t ulen = data[0], plen = data[1];

		if (2 + ulen + plen <= size)
			(void)socks5_encode_userpass(p + 2, ulen, p + 2 + ulen,
						     plen, out, sizeof(out));
		(void)socks5_encode_greeting(data + 1,
					     data[0] < size - 1 ? data[0]
								: size - 1,
					     out, sizeof(out));
	}
	return 0;
}
