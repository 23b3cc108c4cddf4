/* tls_hello.c — see tls_hello.h. */
#include "net/tls_hello.h"

#include <stdint.h>
#include <string.h>

#define REC_HANDSHAKE 22
#define REC_MAX 16384
#define HS_CLIENT_HELLO 1
#define EXT_SERVER_NAME 0
#define NAME_HOST 0
/* More input than any ClientHello needs (16 KiB split into the smallest
 * records is 6 × that); also keeps the returned length an int. */
#define TLS_HELLO_INPUT_MAX (1u << 20)

enum { RD_OK = 0, RD_MORE = 1 }; /* else TLS_HELLO_INVALID */

/* Reads the handshake stream out of the records in p[0..n) without
 * copying: record headers are stepped over as they come. Reading stops
 * for good at the first problem (err), and reads then return 0, so a
 * caller may read a whole field and judge it once. */
struct rd {
	const unsigned char *p;
	size_t n, off;
	size_t rec_left; /* payload bytes left in the current record */
	size_t msg_left; /* bytes left in the part being read */
	int err;
};

static int
next_record(struct rd *r)
{
	const unsigned char *h = r->p + r->off;
	size_t len;

	if (r->off >= r->n)
		return RD_MORE;
	if (h[0] != REC_HANDSHAKE)
		return TLS_HELLO_INVALID; /* no other record mid-hello */
	if (r->n - r->off < 5)
		return RD_MORE;
	len = (size_t)h[3] << 8 | h[4];
	if (len == 0 || len > REC_MAX)
		return TLS_HELLO_INVALID;
	r->off += 5;
	r->rec_left = len;
	return RD_OK;
}

static unsigned
rd_u8(struct rd *r)
{
	if (r->err != RD_OK)
		return 0;
	if (r->msg_left == 0) {
		r->err = TLS_HELLO_INVALID; /* a field runs past its message */
		return 0;
	}
	while (r->rec_left == 0) {
		r->err = next_record(r);
		if (r->err != RD_OK)
			return 0;
	}
	if (r->off >= r->n) {
		r->err = RD_MORE;
		return 0;
	}
	r->rec_left--;
	r->msg_left--;
	return r->p[r->off++];
}

static unsigned
rd_u16(struct rd *r)
{
	unsigned hi = rd_u8(r);

	return hi << 8 | rd_u8(r);
}

static void
rd_skip(struct rd *r, size_t n)
{
	while (n-- > 0 && r->err == RD_OK)
		(void)rd_u8(r);
}

/* True when reading must stop: an earlier problem, or cond (a field
 * whose value is wrong) on a clean read. */
static bool
stop(struct rd *r, bool cond)
{
	if (r->err == RD_OK && cond)
		r->err = TLS_HELLO_INVALID;
	return r->err != RD_OK;
}

/* The server_name extension body (elen bytes): one host_name entry. */
static void
read_sni(struct rd *r, size_t elen, struct tls_hello *out)
{
	size_t list, hlen, i;
	unsigned c;

	if (stop(r, out->has_sni || elen < 6))
		return; /* a second server_name, or no room for one entry */
	list = rd_u16(r);
	if (stop(r, list != elen - 2))
		return;
	if (stop(r, rd_u8(r) != NAME_HOST))
		return;
	hlen = rd_u16(r);
	if (stop(r, hlen == 0 || hlen > TLS_HELLO_NAME_MAX || hlen != list - 3))
		return;
	for (i = 0; i < hlen; i++) {
		c = rd_u8(r);
		if (stop(r, c == 0))
			return;
		out->sni[i] = (char)c;
	}
	out->sni[hlen] = '\0';
	out->sni_len = hlen;
	out->has_sni = true;
}

static void
read_extensions(struct rd *r, struct tls_hello *out)
{
	size_t total, type, elen;

	total = rd_u16(r);
	if (stop(r, total != r->msg_left))
		return;
	while (r->msg_left > 0 && r->err == RD_OK) {
		type = rd_u16(r);
		elen = rd_u16(r);
		if (stop(r, elen > r->msg_left))
			return;
		if (type == EXT_SERVER_NAME)
			read_sni(r, elen, out);
		else
			rd_skip(r, elen);
	}
}

static void
read_hello(struct rd *r, struct tls_hello *out)
{
	size_t len;

	r->msg_left = 4;
	if (stop(r, rd_u8(r) != HS_CLIENT_HELLO))
		return;
	len = rd_u8(r) << 16;
	len |= rd_u16(r);
	if (r->err == RD_OK && len > TLS_HELLO_MAX)
		r->err = TLS_HELLO_TOO_BIG;
	if (r->err != RD_OK)
		return;
	r->msg_left = len;
	rd_skip(r, 2 + 32); /* legacy_version, random */
	len = rd_u8(r);     /* session id */
	if (stop(r, len > 32))
		return;
	rd_skip(r, len);
	len = rd_u16(r); /* cipher suites */
	if (stop(r, len < 2 || len % 2 != 0))
		return;
	rd_skip(r, len);
	len = rd_u8(r); /* compression methods */
	if (stop(r, len < 1))
		return;
	rd_skip(r, len);
	if (r->err == RD_OK && r->msg_left > 0)
		read_extensions(r, out);
}

int
tls_hello_parse(const char *p, size_t n, struct tls_hello *out)
{
	struct rd r;
	unsigned char t;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return TLS_HELLO_INCOMPLETE;
	t = (unsigned char)p[0];
	if (t != REC_HANDSHAKE)
		return t >= 20 && t <= 23 ? TLS_HELLO_INVALID
					  : TLS_HELLO_NOT_TLS;
	memset(&r, 0, sizeof(r));
	r.p = (const unsigned char *)p;
	r.n = n < TLS_HELLO_INPUT_MAX ? n : TLS_HELLO_INPUT_MAX;
	read_hello(&r, out);
	if (r.err == RD_OK)
		return (int)r.off;
	memset(out, 0, sizeof(*out));
	return r.err == RD_MORE ? TLS_HELLO_INCOMPLETE : r.err;
}
