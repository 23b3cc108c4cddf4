/* socks5.c — SOCKS5 (RFC 1928) and RFC 1929 codec; see socks5.h. */
#include "net/socks5.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/slice.h"

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)(v & 0xff);
}

/* The bytes a domain may hold: those of host names (letters, digits,
 * `-`, `_`, `.`). Anything else — a `:` that would smuggle a port past
 * the decision, a NUL, brackets, `%`, spaces — makes the address
 * invalid. */
static bool
domain_chars_ok(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

/* Parses ATYP ADDR PORT at p[0..n). Returns its length, 0 for a valid
 * prefix, SOCKS5_EATYP or SOCKS5_EINVAL. */
static int
parse_addr(const unsigned char *p, size_t n, struct socks5_addr *out)
{
	size_t need, avail;

	if (n < 1)
		return SOCKS5_INCOMPLETE;
	memset(out, 0, sizeof(*out));
	out->atyp = p[0];
	switch (p[0]) {
	case SOCKS5_ATYP_IPV4:
		need = 1 + 4 + 2;
		if (n < need)
			return SOCKS5_INCOMPLETE;
		memcpy(out->ip, p + 1, 4);
		break;
	case SOCKS5_ATYP_IPV6:
		need = 1 + 16 + 2;
		if (n < need)
			return SOCKS5_INCOMPLETE;
		memcpy(out->ip, p + 1, 16);
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (n < 2)
			return SOCKS5_INCOMPLETE;
		if (p[1] == 0)
			return SOCKS5_EINVAL;
		need = 2 + (size_t)p[1] + 2;
		avail = n - 2 < p[1] ? n - 2 : p[1];
		if (!domain_chars_ok(p + 2, avail))
			return SOCKS5_EINVAL;
		if (n < need)
			return SOCKS5_INCOMPLETE;
		out->host = slice_of((const char *)p + 2, p[1]);
		break;
	default:
		return SOCKS5_EATYP;
	}
	out->port = get16(p + need - 2);
	return (int)need;
}

/* Writes ATYP ADDR PORT; returns its length or 0. */
static size_t
encode_addr(const struct socks5_addr *a, unsigned char *out, size_t cap)
{
	size_t len;

	switch (a->atyp) {
	case SOCKS5_ATYP_IPV4:
		len = 1 + 4 + 2;
		if (cap < len)
			return 0;
		memcpy(out + 1, a->ip, 4);
		break;
	case SOCKS5_ATYP_IPV6:
		len = 1 + 16 + 2;
		if (cap < len)
			return 0;
		memcpy(out + 1, a->ip, 16);
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (a->host.n == 0 || a->host.n > 255 ||
		    !domain_chars_ok((const unsigned char *)a->host.p,
				     a->host.n))
			return 0;
		len = 2 + a->host.n + 2;
		if (cap < len)
			return 0;
		out[1] = (unsigned char)a->host.n;
		memcpy(out + 2, a->host.p, a->host.n);
		break;
	default:
		return 0;
	}
	out[0] = a->atyp;
	put16(out + len - 2, a->port);
	return len;
}

void
socks5_addr_domain(struct socks5_addr *a, const char *host, size_t n,
		   uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->atyp = SOCKS5_ATYP_DOMAIN;
	a->host = slice_of(host, n);
	a->port = port;
}

void
socks5_addr_ip(struct socks5_addr *a, unsigned char atyp,
	       const unsigned char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->atyp = atyp;
	memcpy(a->ip, ip, atyp == SOCKS5_ATYP_IPV6 ? 16 : 4);
	a->port = port;
}

int
socks5_addr_from_sockaddr(struct socks5_addr *a, const struct sockaddr *sa)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		socks5_addr_ip(a, SOCKS5_ATYP_IPV4,
			       (const unsigned char *)&in4->sin_addr,
			       ntohs(in4->sin_port));
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		socks5_addr_ip(a, SOCKS5_ATYP_IPV6,
			       (const unsigned char *)&in6->sin6_addr,
			       ntohs(in6->sin6_port));
		return 0;
	}
	return -1;
}

/* --- server side ------------------------------------------------------- */

int
socks5_parse_greeting(const char *p, size_t n, struct socks5_greeting *out)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i, need;

	memset(out, 0, sizeof(*out));
	if (n < 1)
		return SOCKS5_INCOMPLETE;
	if (u[0] != SOCKS5_VERSION)
		return SOCKS5_EVERSION;
	if (n < 2)
		return SOCKS5_INCOMPLETE;
	if (u[1] == 0)
		return SOCKS5_EINVAL;
	need = 2 + (size_t)u[1];
	if (n < need)
		return SOCKS5_INCOMPLETE;
	out->nmethods = u[1];
	for (i = 2; i < need; i++) {
		if (u[i] == SOCKS5_METHOD_NOAUTH)
			out->offers_noauth = true;
		else if (u[i] == SOCKS5_METHOD_USERPASS)
			out->offers_userpass = true;
	}
	return (int)need;
}

size_t
socks5_encode_method_reply(unsigned char method, char *out, size_t cap)
{
	if (cap < 2)
		return 0;
	out[0] = SOCKS5_VERSION;
	out[1] = (char)method;
	return 2;
}

/* Requests and replies share VER x RSV ATYP ADDR PORT; the second byte is
 * CMD or REP. Checks the version and leaves the second byte to the
 * caller; returns the length, 0, or a negative code. */
static int
parse_frame(const unsigned char *u, size_t n, struct socks5_addr *addr,
	    bool is_request)
{
	int rc;

	if (n < 1)
		return SOCKS5_INCOMPLETE;
	if (u[0] != SOCKS5_VERSION)
		return SOCKS5_EVERSION;
	if (n < 2)
		return SOCKS5_INCOMPLETE;
	if (is_request && (u[1] < SOCKS5_CMD_CONNECT ||
			   u[1] > SOCKS5_CMD_UDP_ASSOCIATE))
		return SOCKS5_ECMD;
	if (n < 3)
		return SOCKS5_INCOMPLETE;
	rc = parse_addr(u + 3, n - 3, addr);
	if (rc <= 0)
		return rc;
	return rc + 3;
}

int
socks5_parse_request(const char *p, size_t n, struct socks5_request *out)
{
	const unsigned char *u = (const unsigned char *)p;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_frame(u, n, &out->dst, true);
	if (rc > 0)
		out->cmd = u[1];
	return rc;
}

size_t
socks5_encode_reply(unsigned char rep, const struct socks5_addr *bnd,
		    char *out, size_t cap)
{
	static const unsigned char zero[4];
	struct socks5_addr any;
	size_t len;

	if (bnd == NULL) {
		socks5_addr_ip(&any, SOCKS5_ATYP_IPV4, zero, 0);
		bnd = &any;
	}
	if (cap < 3)
		return 0;
	len = encode_addr(bnd, (unsigned char *)out + 3, cap - 3);
	if (len == 0)
		return 0;
	out[0] = SOCKS5_VERSION;
	out[1] = (char)rep;
	out[2] = 0;
	return len + 3;
}

unsigned char
socks5_rep_for_error(int rc)
{
	if (rc == SOCKS5_ECMD)
		return SOCKS5_REP_CMD_NOT_SUPPORTED;
	if (rc == SOCKS5_EATYP)
		return SOCKS5_REP_ATYP_NOT_SUPPORTED;
	return SOCKS5_REP_GENERAL_FAILURE;
}

/* --- UDP relay header -------------------------------------------------- */

int
socks5_parse_udp(const char *p, size_t n, struct socks5_udp_header *out)
{
	const unsigned char *u = (const unsigned char *)p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (n < 3)
		return SOCKS5_INCOMPLETE;
	out->frag = u[2];
	rc = parse_addr(u + 3, n - 3, &out->dst);
	if (rc <= 0)
		return rc;
	rc += 3;
	out->data = slice_of(p + rc, n - (size_t)rc);
	return rc;
}

size_t
socks5_encode_udp_header(const struct socks5_addr *dst, char *out, size_t cap)
{
	size_t len;

	if (cap < 3)
		return 0;
	len = encode_addr(dst, (unsigned char *)out + 3, cap - 3);
	if (len == 0)
		return 0;
	out[0] = 0;
	out[1] = 0;
	out[2] = 0;
	return len + 3;
}

/* --- client side (upstream chaining) ----------------------------------- */

size_t
socks5_encode_greeting(const unsigned char *methods, size_t nmethods,
		       char *out, size_t cap)
{
	if (nmethods == 0 || nmethods > 255 || cap < 2 + nmethods)
		return 0;
	out[0] = SOCKS5_VERSION;
	out[1] = (char)nmethods;
	memcpy(out + 2, methods, nmethods);
	return 2 + nmethods;
}

int
socks5_parse_method_reply(const char *p, size_t n, unsigned char *method)
{
	const unsigned char *u = (const unsigned char *)p;

	if (n < 1)
		return SOCKS5_INCOMPLETE;
	if (u[0] != SOCKS5_VERSION)
		return SOCKS5_EVERSION;
	if (n < 2)
		return SOCKS5_INCOMPLETE;
	*method = u[1];
	return 2;
}

size_t
socks5_encode_userpass(const char *user, size_t ulen, const char *pass,
		       size_t plen, char *out, size_t cap)
{
	size_t len = 3 + ulen + plen;

	if (ulen == 0 || ulen > 255 || plen > 255 || cap < len)
		return 0;
	out[0] = SOCKS5_USERPASS_VERSION;
	out[1] = (char)ulen;
	memcpy(out + 2, user, ulen);
	out[2 + ulen] = (char)plen;
	if (plen > 0)
		memcpy(out + 3 + ulen, pass, plen);
	return len;
}

int
socks5_parse_userpass_reply(const char *p, size_t n, unsigned char *status)
{
	const unsigned char *u = (const unsigned char *)p;

	if (n < 1)
		return SOCKS5_INCOMPLETE;
	if (u[0] != SOCKS5_USERPASS_VERSION && u[0] != SOCKS5_VERSION)
		return SOCKS5_EVERSION;
	if (n < 2)
		return SOCKS5_INCOMPLETE;
	*status = u[1];
	return 2;
}

size_t
socks5_encode_request(unsigned char cmd, const struct socks5_addr *dst,
		      char *out, size_t cap)
{
	size_t len;

	if (cap < 3)
		return 0;
	len = encode_addr(dst, (unsigned char *)out + 3, cap - 3);
	if (len == 0)
		return 0;
	out[0] = SOCKS5_VERSION;
	out[1] = (char)cmd;
	out[2] = 0;
	return len + 3;
}

int
socks5_parse_reply(const char *p, size_t n, struct socks5_reply *out)
{
	const unsigned char *u = (const unsigned char *)p;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_frame(u, n, &out->bnd, false);
	if (rc > 0)
		out->rep = u[1];
	return rc;
}

/* --- reply codes ------------------------------------------------------- */

unsigned char
socks5_rep_from_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case ECONNREFUSED:
		return SOCKS5_REP_CONN_REFUSED;
	case ENETUNREACH:
	case ENETDOWN:
		return SOCKS5_REP_NET_UNREACHABLE;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return SOCKS5_REP_HOST_UNREACHABLE;
	case ETIMEDOUT:
		return SOCKS5_REP_TTL_EXPIRED;
	case EACCES:
	case EPERM:
		return SOCKS5_REP_NOT_ALLOWED;
	default:
		return SOCKS5_REP_GENERAL_FAILURE;
	}
}

const char *
socks5_rep_str(unsigned char rep)
{
	static const char *const names[] = {
		"succeeded",
		"general failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"ttl expired",
		"command not supported",
		"address type not supported",
	};

	if (rep < sizeof(names) / sizeof(names[0]))
		return names[rep];
	return "unknown reply code";
}
