/* host.c — see host.h. */
#include "policy/host.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define SCOPE_MAX 64

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int
host_parse_port(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return (v >= 1 && v <= 65535) ? (int)v : -1;
}

bool
host_is_localhost(const struct host *h)
{
	return h->kind == HOST_NAME && h->len == 9 &&
	       memcmp(h->text, "localhost", 9) == 0;
}

int
host_split_port(const char **sp, size_t *np, int *port, const char **why)
{
	const char *s = *sp, *colon = NULL;
	size_t n = *np, i, colons = 0;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		size_t rest;

		if (close == NULL) {
			*why = "missing ']' after an IPv6 address";
			return -1;
		}
		rest = n - (size_t)(close + 1 - s);
		if (rest > 0) {
			if (close[1] != ':') {
				*why = "unexpected text after ']'";
				return -1;
			}
			*port = host_parse_port(close + 2, rest - 1);
			if (*port == -1) {
				*why = "port must be a number from 1 to 65535";
				return -1;
			}
		}
		*sp = s + 1;
		*np = (size_t)(close - s - 1);
		if (*np == 0 || memchr(*sp, ':', *np) == NULL) {
			*why = "brackets are only for IPv6 addresses";
			return -1;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == ':') {
			colons++;
			colon = s + i;
		}
	}
	if (colons != 1)
		return 0;
	*port = host_parse_port(colon + 1, n - (size_t)(colon + 1 - s));
	if (*port == -1) {
		*why = "port must be a number from 1 to 65535";
		return -1;
	}
	*np = (size_t)(colon - s);
	return 0;
}

static bool
is_numeric_label(const char *p, size_t n)
{
	size_t i = 0;

	if (n >= 2 && p[0] == '0' && p[1] == 'x') {
		for (i = 2; i < n; i++) {
			char c = p[i];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return false;
		}
		return true;
	}
	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static void
set_ipv4(struct host *out, const unsigned char a[4])
{
	memset(out->addr, 0, sizeof(out->addr));
	memcpy(out->addr, a, 4);
	inet_ntop(AF_INET, a, out->text, sizeof(out->text));
	out->len = out->unscoped_len = strlen(out->text);
	out->kind = HOST_IPV4;
}

/* Validates a (lowercased, dot-stripped) host name in out->text and turns
 * legacy IPv4 spellings into dotted quads. */
static int
finish_name(struct host *out, unsigned flags, const char **why)
{
	const char *p = out->text, *label = p, *last = p;
	size_t i, n = out->len;
	struct in_addr a;

	if (n > HOST_NAME_MAX_LEN) {
		*why = "host name longer than 253 bytes";
		return -1;
	}
	for (i = 0; i <= n; i++) {
		char c = p[i];

		if (i == n || c == '.') {
			size_t ln = (size_t)(p + i - label);
			if (ln == 0) {
				*why = "empty label in host name";
				return -1;
			}
			if (ln > 63) {
				*why = "label longer than 63 bytes";
				return -1;
			}
			last = label;
			label = p + i + 1;
			continue;
		}
		if (c == '*' && (flags & HOST_WILDCARD)) {
			out->wildcard = true;
			continue;
		}
		if ((unsigned char)c >= 0x80) {
			*why = "non-ASCII host name; write it in punycode (xn--...)";
			return -1;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_')) {
			*why = "invalid character in host name";
			return -1;
		}
	}
	out->kind = HOST_NAME;
	out->unscoped_len = n;
	if (!is_numeric_label(last, (size_t)(p + n - last)))
		return 0;
	if (out->wildcard || inet_aton(p, &a) == 0) {
		*why = "host name ends in a number but is not an IPv4 address";
		return -1;
	}
	set_ipv4(out, (const unsigned char *)&a.s_addr);
	return 0;
}

/* Parses IPv6 text addr[0..n) with an optional scope id. */
static int
finish_ipv6(struct host *out, const char *s, size_t n, const char **why)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
						 0, 0, 0, 0, 0xff, 0xff};
	char tmp[INET6_ADDRSTRLEN], scopebuf[SCOPE_MAX];
	const char *pct = memchr(s, '%', n);
	const char *scope = NULL;
	size_t an = pct ? (size_t)(pct - s) : n, sn = 0, i;

	if (pct != NULL) {
		scope = pct + 1;
		sn = n - an - 1;
		if (sn > 2 && scope[0] == '2' && scope[1] == '5') {
			scope += 2;
			sn -= 2;
			/* `%2525x` would print as `%25x`, which reads back as
			 * `x`: refuse rather than have two meanings. */
			if (sn > 2 && scope[0] == '2' && scope[1] == '5') {
				*why = "ambiguous IPv6 scope id";
				return -1;
			}
		}
		if (sn == 0 || sn > SCOPE_MAX) {
			*why = "invalid IPv6 scope id";
			return -1;
		}
		for (i = 0; i < sn; i++) {
			char c = scope[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			      c == '-' || c == '_' || c == '.')) {
				*why = "invalid IPv6 scope id";
				return -1;
			}
		}
		/* s may alias out->text, which is rewritten below. */
		memcpy(scopebuf, scope, sn);
		scope = scopebuf;
	}
	if (an == 0 || an >= sizeof(tmp)) {
		*why = "invalid IPv6 address";
		return -1;
	}
	memcpy(tmp, s, an);
	tmp[an] = '\0';
	if (inet_pton(AF_INET6, tmp, out->addr) != 1) {
		*why = "invalid IPv6 address";
		return -1;
	}
	if (memcmp(out->addr, mapped, 12) == 0) {
		unsigned char v4[4];
		if (scope != NULL) {
			*why = "scope id on an IPv4-mapped address";
			return -1;
		}
		memcpy(v4, out->addr + 12, 4);
		set_ipv4(out, v4);
		return 0;
	}
	inet_ntop(AF_INET6, out->addr, out->text, sizeof(out->text));
	out->kind = HOST_IPV6;
	out->len = out->unscoped_len = strlen(out->text);
	if (scope != NULL) {
		out->text[out->len++] = '%';
		memcpy(out->text + out->len, scope, sn);
		out->len += sn;
		out->text[out->len] = '\0';
	}
	return 0;
}

int
host_normalize(const char *s, size_t n, unsigned flags, struct host *out,
	       const char **why)
{
	size_t i;

	out->len = out->unscoped_len = 0;
	out->text[0] = '\0';
	out->kind = HOST_NAME;
	out->port = -1;
	out->wildcard = false;
	while (n > 0 && is_space(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (host_split_port(&s, &n, &out->port, why) == -1)
		return -1;
	if (out->port != -1 && (flags & HOST_NO_PORT)) {
		*why = "a port is not allowed here";
		return -1;
	}
	while (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0) {
		if (out->port != -1) {
			*why = "missing host before the port";
			return -1;
		}
		return 0;
	}
	if (n >= HOST_TEXT_MAX) {
		*why = "host name longer than 253 bytes";
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '\0') {
			*why = "invalid character in host name";
			return -1;
		}
		out->text[i] = lower(s[i]);
	}
	out->text[n] = '\0';
	if (memchr(out->text, ':', n) != NULL)
		return finish_ipv6(out, out->text, n, why);
	if (memchr(out->text, '%', n) != NULL) {
		*why = "a scope id is only allowed on IPv6 addresses";
		return -1;
	}
	out->len = n;
	return finish_name(out, flags, why);
}
