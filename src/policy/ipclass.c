/* ipclass.c — see ipclass.h. */
#include "policy/ipclass.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

struct v4range {
	uint32_t net;
	unsigned plen;
	const char *what; /* ipclass_describe() */
};

#define V4_PRIVATE "a private address"
#define V4_DOC "a documentation (TEST-NET) address"

static const struct v4range v4_nonpublic[] = {
	/* 0/8 "this network", incl. 0.0.0.0 */
	{0x00000000u, 8, "an unspecified (\"this network\") address"},
	{0x0a000000u, 8, V4_PRIVATE},  /* 10/8 RFC 1918 */
	{0x64400000u, 10, "a CGNAT address"}, /* 100.64/10 */
	{0x7f000000u, 8, "a loopback address"}, /* 127/8 */
	/* 169.254/16 link-local, cloud metadata */
	{0xa9fe0000u, 16, "a link-local address"},
	{0xac100000u, 12, V4_PRIVATE}, /* 172.16/12 RFC 1918 */
	/* 192.0.0/24 IETF protocol assignments */
	{0xc0000000u, 24, "an IETF protocol assignment address"},
	{0xc0000200u, 24, V4_DOC},     /* 192.0.2/24 TEST-NET-1 */
	{0xc0a80000u, 16, V4_PRIVATE}, /* 192.168/16 RFC 1918 */
	{0xc6120000u, 15, "a benchmarking address"}, /* 198.18/15 */
	{0xc6336400u, 24, V4_DOC},     /* 198.51.100/24 TEST-NET-2 */
	{0xcb007100u, 24, V4_DOC},     /* 203.0.113/24 TEST-NET-3 */
	{0xe0000000u, 4, "a multicast address"}, /* 224/4 */
	/* 240/4 reserved, incl. broadcast */
	{0xf0000000u, 4, "a reserved address"},
};

/* The row of v4_nonpublic holding v4, or NULL when it is public. */
static const struct v4range *
v4_range(uint32_t v4)
{
	size_t i;

	for (i = 0; i < sizeof(v4_nonpublic) / sizeof(v4_nonpublic[0]); i++) {
		uint32_t mask = 0xffffffffu << (32 - v4_nonpublic[i].plen);
		if ((v4 & mask) == v4_nonpublic[i].net)
			return &v4_nonpublic[i];
	}
	return NULL;
}

bool
ipclass_v4_nonpublic(uint32_t v4)
{
	return v4_range(v4) != NULL;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static bool
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Finds an IPv4 address embedded in a, returning true and setting *v4. */
static bool
embedded_v4(const unsigned char *a, uint32_t *v4)
{
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	static const unsigned char siit[12] = {0, 0, 0, 0, 0, 0,
					       0, 0, 0xff, 0xff, 0, 0};

	if ((all_zero(a, 10) && a[10] == 0xff && a[11] == 0xff) || /* mapped */
	    memcmp(a, siit, 12) == 0 || memcmp(a, nat64, 12) == 0 ||
	    all_zero(a, 12)) { /* compatible */
		*v4 = get32(a + 12);
		return true;
	}
	if (a[0] == 0x20 && a[1] == 0x02) { /* 6to4 */
		*v4 = get32(a + 2);
		return true;
	}
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
		*v4 = get32(a + 12) ^ 0xffffffffu; /* Teredo client */
		return true;
	}
	return false;
}

/* RFC 6052 §2.2: where a prefix of length plen puts the IPv4 address
 * (skipping bits 64..71, the `u` octet). */
static uint32_t
rfc6052_v4(const unsigned char *a, unsigned plen)
{
	unsigned char v4[4];
	unsigned i, at = plen / 8;

	if (plen == 96)
		return get32(a + 12);
	for (i = 0; i < 4; i++, at++) {
		if (at == 8)
			at++;
		v4[i] = a[at];
	}
	return get32(v4);
}

size_t
ipclass_embedded_v4(const struct ipaddr *ip, uint32_t *out, size_t max)
{
	static const unsigned char nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
	static const unsigned plens[] = {48, 56, 64, 96};
	const unsigned char *a = ip->a;
	size_t n = 0, i;
	uint32_t v4;

	if (ip->family != AF_INET6 || max == 0)
		return 0;
	if (all_zero(a, 15) && a[15] <= 1)
		return 0; /* :: and ::1 are not IPv4-compatible addresses */
	if (embedded_v4(a, &v4)) {
		out[n++] = v4;
		return n;
	}
	if (memcmp(a, nat64_local, 6) != 0)
		return 0;
	/* The local-use NAT64 prefix may be used at any RFC 6052 length
	 * within it, and nothing tells which: every reading counts. */
	for (i = 0; i < sizeof(plens) / sizeof(plens[0]) && n < max; i++)
		out[n++] = rfc6052_v4(a, plens[i]);
	return n;
}

static bool
v6_nonpublic(const unsigned char *a)
{
	static const unsigned char nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
	uint32_t v4;

	if (all_zero(a, 15) && a[15] <= 1) /* :: and ::1 */
		return true;
	if (embedded_v4(a, &v4))
		return ipclass_v4_nonpublic(v4);
	if ((a[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 */
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) /* fec0::/10 */
		return true;
	if (a[0] == 0xff) /* multicast */
		return true;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return true; /* documentation */
	return memcmp(a, nat64_local, 6) == 0;
}

bool
ipclass_nonpublic(const struct ipaddr *ip)
{
	if (ip->family == AF_INET)
		return ipclass_v4_nonpublic(get32(ip->a));
	if (ip->family == AF_INET6)
		return v6_nonpublic(ip->a);
	return true;
}

static const char *
v4_describe(uint32_t v4)
{
	const struct v4range *r = v4_range(v4);

	if (v4 == 0xa9fea9feu)
		return "the cloud metadata address (link-local)";
	if (v4 == 0xffffffffu)
		return "the broadcast address";
	return r != NULL ? r->what : NULL;
}

/* The same tests as v6_nonpublic(), naming what they found. */
static const char *
v6_describe(const unsigned char *a)
{
	uint32_t v4;

	if (all_zero(a, 16))
		return "the unspecified address";
	if (all_zero(a, 15) && a[15] == 1)
		return "a loopback address";
	if (embedded_v4(a, &v4))
		return v4_describe(v4);
	if ((a[0] & 0xfe) == 0xfc)
		return "a unique local (private) address";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "a link-local address";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return "a site-local address";
	if (a[0] == 0xff)
		return "a multicast address";
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return "a documentation address";
	if (v6_nonpublic(a))
		return "a NAT64 local-use address";
	return NULL;
}

const char *
ipclass_describe(const struct ipaddr *ip)
{
	if (ip->family == AF_INET)
		return v4_describe(get32(ip->a));
	if (ip->family == AF_INET6)
		return v6_describe(ip->a);
	return "an address of an unknown family";
}

void
ipaddr_format(const struct ipaddr *ip, char *out, size_t n)
{
	int af = ip->family == AF_INET ? AF_INET : AF_INET6;

	if (n == 0)
		return;
	if (inet_ntop(af, ip->a, out, (socklen_t)n) == NULL)
		snprintf(out, n, "?");
}

static void
unmap(struct ipaddr *ip)
{
	if (ip->family == AF_INET6 && all_zero(ip->a, 10) &&
	    ip->a[10] == 0xff && ip->a[11] == 0xff) {
		memmove(ip->a, ip->a + 12, 4);
		memset(ip->a + 4, 0, 12);
		ip->family = AF_INET;
	}
}

int
ipaddr_from_sockaddr(const struct sockaddr *sa, struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		out->family = AF_INET;
		memcpy(out->a, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;
		out->family = AF_INET6;
		memcpy(out->a, &in6->sin6_addr, 16);
		unmap(out);
		return 0;
	}
	return -1;
}

int
ipaddr_parse(const char *s, size_t n, struct ipaddr *out)
{
	char tmp[INET6_ADDRSTRLEN];

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(tmp) || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out->a) == 1) {
		out->family = AF_INET6;
		unmap(out);
		return 0;
	}
	return -1;
}

void
ipaddr_mask(struct ipaddr *ip, unsigned plen)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		ip->a[i] &= (unsigned char)(0xff00u >> plen);
		plen = 0;
	}
}

static int
parse_plen(const char *s, size_t n, unsigned max)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (n > 1 && s[0] == '0')
		return -1;
	return v <= max ? (int)v : -1;
}

int
cidr_parse(const char *s, size_t n, struct cidr *out, char *why, size_t whyn)
{
	const char *slash = memchr(s, '/', n);
	struct ipaddr masked;
	char text[INET6_ADDRSTRLEN];
	int plen;

	if (slash == NULL ||
	    ipaddr_parse(s, (size_t)(slash - s), &out->base) == -1) {
		snprintf(why, whyn, "malformed CIDR: expected ADDRESS/LENGTH");
		return -1;
	}
	/* A mapped address came back as IPv4; its /len was written for the
	 * 128-bit form, which would be confusing, so refuse it. */
	if (out->base.family == AF_INET && memchr(s, ':', n) != NULL) {
		snprintf(why, whyn, "malformed CIDR: write IPv4 ranges "
				    "as a.b.c.d/len");
		return -1;
	}
	plen = parse_plen(slash + 1, n - (size_t)(slash + 1 - s),
			  out->base.family == AF_INET ? 32 : 128);
	if (plen == -1) {
		snprintf(why, whyn, "malformed CIDR: prefix length must be "
				    "0..%d",
			 out->base.family == AF_INET ? 32 : 128);
		return -1;
	}
	out->plen = (unsigned)plen;
	masked = out->base;
	ipaddr_mask(&masked, out->plen);
	if (memcmp(masked.a, out->base.a, 16) != 0) {
		inet_ntop(masked.family, masked.a, text, sizeof(text));
		snprintf(why, whyn, "CIDR has host bits set; did you mean %s/%u?",
			 text, out->plen);
		return -1;
	}
	return 0;
}

bool
cidr_contains(const struct cidr *c, const struct ipaddr *ip)
{
	struct ipaddr m;

	if (c->base.family != ip->family)
		return false;
	m = *ip;
	ipaddr_mask(&m, c->plen);
	return memcmp(m.a, c->base.a, 16) == 0;
}
