/* dns.c — the stub resolver's message codec. See dns.h. */
#include "net/dns.h"

#include <stdio.h>
#include <string.h>

#define FLAG_QR 0x80 /* in byte 2 */
#define FLAG_RD 0x01 /* in byte 2 */
#define FLAG_RA 0x80 /* in byte 3 */
#define OPT_RR_LEN 11 /* root owner, type, class, ttl, rdlength */

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static bool
is_host_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Appends one label to the text form; clears name_is_host on a byte that
 * has no safe text form. */
static void
add_label_text(struct dns_query *q, const unsigned char *l, size_t len)
{
	size_t i;

	if (!q->name_is_host)
		return;
	for (i = 0; i < len; i++) {
		if (!is_host_byte(l[i])) {
			q->name_is_host = false;
			q->name_len = 0;
			q->name[0] = '\0';
			return;
		}
	}
	if (q->name_len > 0)
		q->name[q->name_len++] = '.';
	for (i = 0; i < len; i++) {
		unsigned char c = l[i];

		q->name[q->name_len++] =
			(char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	q->name[q->name_len] = '\0';
}

/* Reads the question name at p[off..n). Returns the offset after it, or
 * -1 when it is malformed. The text form never overflows: 255 wire bytes
 * make at most 253 text bytes. */
static long
parse_name(const unsigned char *p, size_t n, size_t off, struct dns_query *q)
{
	size_t start = off;

	q->name_is_host = true;
	q->name_len = 0;
	q->name[0] = '\0';
	for (;;) {
		size_t len;

		if (off >= n)
			return -1;
		len = p[off];
		if (len == 0)
			break;
		/* 11xxxxxx is a compression pointer, 01/10 extended label
		 * types: none belongs in a question. */
		if (len > 63 || off + 1 + len >= n ||
		    off + 1 + len + 1 - start > DNS_WIRE_NAME_MAX)
			return -1;
		add_label_text(q, p + off + 1, len);
		off += 1 + len;
	}
	return (long)(off + 1);
}

/* One OPT record at p[off..n), which must end the message. */
static int
parse_opt(const unsigned char *p, size_t n, size_t off, struct dns_query *q)
{
	size_t rdlen, end;

	if (n - off < OPT_RR_LEN || p[off] != 0 ||
	    get16(p + off + 1) != DNS_TYPE_OPT)
		return DNS_FORMERR;
	q->edns_version = p[off + 6];
	rdlen = get16(p + off + 9);
	off += OPT_RR_LEN;
	end = off + rdlen;
	if (end != n)
		return DNS_FORMERR;
	while (off < end) {
		if (end - off < 4 || end - off - 4 < get16(p + off + 2))
			return DNS_FORMERR;
		off += 4 + (size_t)get16(p + off + 2);
	}
	q->edns = true;
	return q->edns_version != 0 ? DNS_BADVERS : 0;
}

int
dns_parse_query(const char *s, size_t n, struct dns_query *q)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t off = DNS_HEADER_LEN;
	uint16_t arcount;
	long end;
	int rc;

	memset(q, 0, sizeof(*q));
	if (n < DNS_HEADER_LEN || (p[2] & FLAG_QR))
		return DNS_DROP;
	q->id = get16(p);
	q->opcode = (uint8_t)((p[2] >> 3) & 0x0f);
	q->rd = (p[2] & FLAG_RD) != 0;
	if (q->opcode != 0)
		return DNS_NOTIMP;
	arcount = get16(p + 10);
	if (get16(p + 4) != 1 || get16(p + 6) != 0 || get16(p + 8) != 0 ||
	    arcount > 1)
		return DNS_FORMERR;
	end = parse_name(p, n, off, q);
	if (end < 0 || n - (size_t)end < 4)
		return DNS_FORMERR;
	off = (size_t)end;
	q->qtype = get16(p + off);
	q->qclass = get16(p + off + 2);
	off += 4;
	q->question = slice_of(s + DNS_HEADER_LEN, off - DNS_HEADER_LEN);
	q->has_question = true;
	if (arcount == 0)
		return off == n ? (int)n : DNS_FORMERR;
	rc = parse_opt(p, n, off, q);
	return rc < 0 ? rc : (int)n;
}

/* The OPT record of a reply: our payload size, the upper bits of the
 * rcode, version 0, no flags, no options. */
static void
put_opt(unsigned char *o, uint8_t rcode)
{
	o[0] = 0;
	put16(o + 1, DNS_TYPE_OPT);
	put16(o + 3, DNS_EDNS_PAYLOAD);
	o[5] = (uint8_t)(rcode >> 4);
	o[6] = 0;
	put16(o + 7, 0);
	put16(o + 9, 0);
}

/* One answer record owned by the question's name (offset 12). */
static size_t
put_answer(unsigned char *o, uint16_t type, const unsigned char *rdata,
	   size_t rdlen, uint32_t ttl)
{
	put16(o, 0xc000 | DNS_HEADER_LEN);
	put16(o + 2, type);
	put16(o + 4, DNS_CLASS_IN);
	put32(o + 6, ttl);
	put16(o + 10, (uint16_t)rdlen);
	memcpy(o + 12, rdata, rdlen);
	return 12 + rdlen;
}

size_t
dns_build_reply(const struct dns_query *q, const struct dns_reply *r,
		char *out, size_t cap)
{
	unsigned char *o = (unsigned char *)out;
	size_t qlen = q->has_question ? q->question.n : 0;
	size_t alen = r->a ? 16 : r->aaaa ? 28 : 0;
	size_t len = DNS_HEADER_LEN + qlen + (qlen ? alen : 0);
	uint8_t rcode = r->rcode;

	if (rcode > 15 && !q->edns)
		rcode = DNS_RCODE_FORMERR;
	if (len + (q->edns ? OPT_RR_LEN : 0) > cap)
		return 0;
	put16(o, q->id);
	o[2] = (unsigned char)(FLAG_QR | (q->opcode & 0x0f) << 3 |
			       (q->rd ? FLAG_RD : 0));
	o[3] = (unsigned char)(FLAG_RA | (rcode & 0x0f));
	put16(o + 4, qlen ? 1 : 0);
	put16(o + 6, qlen && alen ? 1 : 0);
	put16(o + 8, 0);
	put16(o + 10, q->edns ? 1 : 0);
	if (qlen > 0)
		memcpy(o + DNS_HEADER_LEN, q->question.p, qlen);
	if (qlen > 0 && alen > 0)
		put_answer(o + DNS_HEADER_LEN + qlen,
			   r->a ? DNS_TYPE_A : DNS_TYPE_AAAA,
			   r->a ? r->a : r->aaaa, r->a ? 4 : 16, r->ttl);
	if (q->edns) {
		put_opt(o + len, rcode);
		len += OPT_RR_LEN;
	}
	return len;
}

const char *
dns_type_str(uint16_t type, char *buf, size_t cap)
{
	static const struct {
		uint16_t type;
		const char *name;
	} names[] = {
		{DNS_TYPE_A, "A"},       {DNS_TYPE_NS, "NS"},
		{DNS_TYPE_CNAME, "CNAME"}, {DNS_TYPE_SOA, "SOA"},
		{DNS_TYPE_PTR, "PTR"},   {DNS_TYPE_MX, "MX"},
		{DNS_TYPE_TXT, "TXT"},   {DNS_TYPE_AAAA, "AAAA"},
		{DNS_TYPE_SRV, "SRV"},   {DNS_TYPE_SVCB, "SVCB"},
		{DNS_TYPE_HTTPS, "HTTPS"}, {DNS_TYPE_ANY, "ANY"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type) {
			snprintf(buf, cap, "%s", names[i].name);
			return buf;
		}
	snprintf(buf, cap, "TYPE%u", (unsigned)type);
	return buf;
}
