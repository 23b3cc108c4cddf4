/* hostport.c — see hostport.h. */
#include "lib/hostport.h"

#include <string.h>

/* The port at p[0..n): 1*5DIGIT up to 65535. -1 when it is not one. */
static int
parse_port(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= 65535 ? (int)v : -1;
}

/* Splits host[:port] at h[0..n) into out. */
static const char *
split_host(const char *h, size_t n, struct hostport *out)
{
	const char *end = h + n, *colon;

	if (n > 0 && *h == '[') {
		const char *rb = memchr(h, ']', n);

		if (rb == NULL)
			return "unterminated [";
		out->bracketed = true;
		out->host = slice_of(h + 1, (size_t)(rb - h - 1));
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return "junk after ]";
	} else {
		colon = memchr(h, ':', n);
		out->host = slice_of(h, (size_t)((colon ? colon : end) - h));
	}
	if (out->host.n == 0)
		return "missing host";
	if (colon == NULL)
		return NULL;
	if (colon + 1 == end)
		return "empty port";
	out->port = parse_port(colon + 1, (size_t)(end - colon - 1));
	return out->port < 0 ? "port must be 0..65535" : NULL;
}

const char *
hostport_parse(const char *s, size_t n, unsigned flags, struct hostport *out)
{
	const char *end, *at, *h;
	const char *why;

	memset(out, 0, sizeof(*out));
	out->port = -1;
	end = s;
	while (end < s + n && *end != '/' && *end != '?' && *end != '#')
		end++;
	if (end < s + n &&
	    !((flags & HOSTPORT_SLASH) && *end == '/' && end + 1 == s + n))
		return "unexpected path";
	at = memrchr(s, '@', (size_t)(end - s));
	if (at != NULL && !(flags & HOSTPORT_USERINFO))
		return "user info is not allowed";
	h = at != NULL ? at + 1 : s;
	if (at != NULL)
		out->userinfo = slice_of(s, (size_t)(at - s));
	why = split_host(h, (size_t)(end - h), out);
	if (why == NULL && out->port < 0 && (flags & HOSTPORT_PORT_REQUIRED))
		why = "missing port";
	return why;
}
