/* http_msg.c — request-target parsing, Host checks, hop-by-hop stripping
 * and head serialisation. See http_msg.h for the contract. */
#include "net/http_msg.h"

#include <stdint.h>
#include <string.h>

#include "net/http_parse.h"

static bool
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool
slice_has_prefix_case(struct slice s, const char *pfx)
{
	size_t n = strlen(pfx);

	return s.n >= n && slice_caseeq(slice_of(s.p, n), slice_of(pfx, n));
}

/* Letters, digits and the unreserved punctuation of RFC 3986, which is
 * all a DNS name or IPv4 literal needs. Percent-encoding and sub-delims
 * in a host are refused: no real client sends them to a proxy. */
static bool
is_host_char(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Inside brackets: hex digits, ':' and '.', plus a zone id after '%'. */
static bool
is_v6_char(unsigned char c)
{
	return is_alnum(c) || c == ':' || c == '.' || c == '%' || c == '-' ||
	    c == '_' || c == '~';
}

/* 1..65535, digits only, at most five of them. */
static int
parse_port(struct slice s, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (s.n == 0 || s.n > 5)
		return -1;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s.p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int
parse_v6_host(struct slice s, struct slice *host, struct slice *rest)
{
	const char *end = memchr(s.p, ']', s.n);
	size_t i, colons = 0;

	if (end == NULL)
		return -1;
	*host = slice_of(s.p + 1, (size_t)(end - s.p) - 1);
	*rest = slice_of(end + 1, s.n - (size_t)(end - s.p) - 1);
	for (i = 0; i < host->n; i++) {
		if (!is_v6_char((unsigned char)host->p[i]))
			return -1;
		colons += host->p[i] == ':';
	}
	return colons >= 2 ? 0 : -1;
}

static int
parse_name_host(struct slice s, struct slice *host, struct slice *rest)
{
	size_t i = 0;

	while (i < s.n && s.p[i] != ':') {
		if (!is_host_char((unsigned char)s.p[i]))
			return -1;
		i++;
	}
	*host = slice_of(s.p, i);
	*rest = slice_of(s.p + i, s.n - i);
	return 0;
}

int
http_msg_parse_authority(struct slice s, bool port_required,
    uint16_t default_port, struct http_target *out)
{
	struct slice host, rest;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s.n == 0)
		return -1;
	out->ipv6 = s.p[0] == '[';
	if (out->ipv6)
		rc = parse_v6_host(s, &host, &rest);
	else
		rc = parse_name_host(s, &host, &rest);
	if (rc == -1 || host.n == 0 || host.n > HTTP_MSG_MAX_HOST)
		return -1;
	out->host = host;
	out->port = default_port;
	if (rest.n == 0)
		return port_required ? -1 : 0;
	if (rest.p[0] != ':' ||
	    parse_port(slice_of(rest.p + 1, rest.n - 1), &out->port) == -1)
		return -1;
	out->port_explicit = true;
	return 0;
}

int
http_msg_parse_absolute(struct slice target, struct http_target *out)
{
	struct slice auth, path;
	bool https;
	size_t skip, i;

	memset(out, 0, sizeof(*out));
	if (slice_has_prefix_case(target, "http://")) {
		https = false;
		skip = 7;
	} else if (slice_has_prefix_case(target, "https://")) {
		https = true;
		skip = 8;
	} else {
		return -1;
	}
	for (i = skip; i < target.n; i++)
		if (target.p[i] == '/' || target.p[i] == '?' ||
		    target.p[i] == '#')
			break;
	auth = slice_of(target.p + skip, i - skip);
	path = slice_of(target.p + i, target.n - i);
	if (memchr(path.p, '#', path.n) != NULL)
		return -1;
	if (http_msg_parse_authority(auth, false, https ? 443 : 80, out) == -1)
		return -1;
	out->https = https;
	out->path = path;
	return 0;
}

enum http_target_form
http_msg_target_form(struct slice method, struct slice target)
{
	bool connect = slice_eq_cstr(method, "CONNECT");
	struct http_target t;

	if (target.n == 0)
		return HTTP_TARGET_INVALID;
	if (connect)
		return http_msg_parse_authority(target, true, 0, &t) == 0 ?
		    HTTP_TARGET_AUTHORITY : HTTP_TARGET_INVALID;
	if (target.p[0] == '/')
		return HTTP_TARGET_ORIGIN;
	if (target.n == 1 && target.p[0] == '*')
		return slice_eq_cstr(method, "OPTIONS") ?
		    HTTP_TARGET_ASTERISK : HTTP_TARGET_INVALID;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) "://" */
	for (size_t i = 0; i < target.n; i++) {
		unsigned char c = (unsigned char)target.p[i];

		if (c == ':')
			return i > 0 && target.n - i > 2 &&
			    target.p[i + 1] == '/' && target.p[i + 2] == '/' ?
			    HTTP_TARGET_ABSOLUTE : HTTP_TARGET_INVALID;
		if (!is_alnum(c) && c != '+' && c != '-' && c != '.')
			break;
		if (i == 0 && !(lower(c) >= 'a' && lower(c) <= 'z'))
			break;
	}
	return HTTP_TARGET_INVALID;
}

const struct http_header *
http_msg_find(const struct http_head *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nheaders; i++)
		if (slice_caseeq_cstr(h->headers[i].name, name))
			return &h->headers[i];
	return NULL;
}

/* §7.2 step 4: only the host, and the port when either side names one. */
static const char *
check_host_header(const struct http_header *hh, const struct http_target *t)
{
	uint16_t dflt = t->https ? 443 : 80;
	struct http_target ht;

	if (http_msg_parse_authority(hh->value, false, dflt, &ht) == -1)
		return "invalid Host header";
	if (ht.ipv6 != t->ipv6 || !slice_caseeq(ht.host, t->host))
		return "Host header does not match request target";
	if (ht.port_explicit && ht.port != t->port)
		return "Host header does not match request target";
	if (!ht.port_explicit && t->port != dflt)
		return "Host header does not match request target";
	return NULL;
}

const char *
http_msg_request_target(const struct http_head *h, struct http_target *out)
{
	const struct http_header *hh = http_msg_find(h, "host");

	memset(out, 0, sizeof(*out));
	switch (http_msg_target_form(h->method, h->target)) {
	case HTTP_TARGET_ABSOLUTE:
		if (http_msg_parse_absolute(h->target, out) == -1)
			return "missing host";
		return hh != NULL ? check_host_header(hh, out) : NULL;
	case HTTP_TARGET_ORIGIN:
	case HTTP_TARGET_ASTERISK:
		if (hh == NULL ||
		    http_msg_parse_authority(hh->value, false, 80, out) == -1)
			return "missing host";
		out->path = h->target;
		return NULL;
	case HTTP_TARGET_AUTHORITY:
	case HTTP_TARGET_INVALID:
		break;
	}
	return "missing host";
}

const char *
http_msg_connect_target(const struct http_head *h, struct http_target *out)
{
	struct slice t = h->target;

	if (http_msg_parse_authority(t, true, 0, out) == 0)
		return NULL;
	/* An authority whose host part is empty is an invalid host; any
	 * other failure means there was no usable authority at all. */
	if ((t.n > 0 && t.p[0] == ':') || (t.n > 1 && t.p[0] == '[' &&
	    t.p[1] == ']'))
		return "invalid host";
	return "missing authority";
}

static bool
fixed_hop_by_hop(const struct http_head *h, struct slice name)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection",
		"proxy-authorization", "te", "trailer", "transfer-encoding",
		"upgrade", "content-length",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (slice_caseeq_cstr(name, names[i]))
			return true;
	return !h->is_request && slice_caseeq_cstr(name, "proxy-authenticate");
}

/* True when the comma-separated list v contains name. */
static bool
list_has(struct slice v, struct slice name)
{
	struct http_list it;
	struct slice item;

	http_list_init(&it, v);
	while (http_list_next(&it, &item))
		if (slice_caseeq(item, name))
			return true;
	return false;
}

bool
http_msg_is_hop_by_hop(const struct http_head *h, struct slice name)
{
	size_t i;

	if (fixed_hop_by_hop(h, name))
		return true;
	if (slice_caseeq_cstr(name, "host"))
		return false;
	for (i = 0; i < h->nheaders; i++)
		if (slice_caseeq_cstr(h->headers[i].name, "connection") &&
		    list_has(h->headers[i].value, name))
			return true;
	return false;
}

int
http_msg_content_length(const struct http_head *h, uint64_t *out)
{
	const struct http_header *cl = http_msg_find(h, "content-length");

	if (cl == NULL)
		return -1;
	return http_parse_content_length(cl->value, out);
}

/* --- marking every hop-by-hop header at once ------------------------- */

#define NAME_SLOTS 256	/* a power of two above 2 * HTTP_MSG_MAX_HEADERS */

/* FNV-1a over the lower-cased name. */
static uint32_t
name_hash(struct slice s)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < s.n; i++) {
		h ^= lower((unsigned char)s.p[i]);
		h *= 16777619u;
	}
	return h;
}

/* Header names of a head, each distinct name once, with the headers that
 * carry it chained through same[]. */
struct name_table {
	short slot[NAME_SLOTS];		/* first header of a name + 1, or 0 */
	short same[HTTP_MSG_MAX_HEADERS]; /* next header of that name + 1 */
};

static void
table_add(struct name_table *t, const struct http_head *h, size_t i)
{
	uint32_t k = name_hash(h->headers[i].name) & (NAME_SLOTS - 1);
	short j;

	while ((j = t->slot[k]) != 0) {
		if (slice_caseeq(h->headers[j - 1].name, h->headers[i].name)) {
			while (t->same[j - 1] != 0)
				j = t->same[j - 1];
			t->same[j - 1] = (short)(i + 1);
			return;
		}
		k = (k + 1) & (NAME_SLOTS - 1);
	}
	t->slot[k] = (short)(i + 1);
}

/* Marks every header called name. */
static void
table_mark(const struct name_table *t, const struct http_head *h,
    struct slice name, bool *hop)
{
	uint32_t k = name_hash(name) & (NAME_SLOTS - 1);
	short j;

	while ((j = t->slot[k]) != 0) {
		if (slice_caseeq(h->headers[j - 1].name, name)) {
			for (; j != 0; j = t->same[j - 1])
				hop[j - 1] = true;
			return;
		}
		k = (k + 1) & (NAME_SLOTS - 1);
	}
}

int
http_msg_hop_marks(const struct http_head *h, bool hop[HTTP_MSG_MAX_HEADERS])
{
	struct name_table t;
	struct http_list it;
	struct slice tok;
	size_t i;

	if (h->nheaders > HTTP_MSG_MAX_HEADERS)
		return -1;
	memset(&t, 0, sizeof(t));
	for (i = 0; i < h->nheaders; i++) {
		hop[i] = fixed_hop_by_hop(h, h->headers[i].name);
		table_add(&t, h, i);
	}
	for (i = 0; i < h->nheaders; i++) {
		if (!slice_caseeq_cstr(h->headers[i].name, "connection"))
			continue;
		http_list_init(&it, h->headers[i].value);
		while (http_list_next(&it, &tok))
			if (!slice_caseeq_cstr(tok, "host"))
				table_mark(&t, h, tok, hop);
	}
	return 0;
}

static int
add_slice(struct buf *out, struct slice s)
{
	return buf_add(out, s.p, s.n);
}

static int
write_host(struct buf *out, const struct http_target *t)
{
	uint16_t dflt = t->https ? 443 : 80;
	int rc = buf_addstr(out, "Host: ");

	if (rc == 0 && t->ipv6)
		rc = buf_addch(out, '[');
	if (rc == 0)
		rc = add_slice(out, t->host);
	if (rc == 0 && t->ipv6)
		rc = buf_addch(out, ']');
	if (rc == 0 && t->port != dflt)
		rc = buf_printf(out, ":%u", (unsigned)t->port);
	if (rc == 0)
		rc = buf_addstr(out, "\r\n");
	return rc;
}

/* The end-to-end headers of h, in received order. */
static int
write_headers(struct buf *out, const struct http_head *h)
{
	bool hop[HTTP_MSG_MAX_HEADERS];
	size_t i;

	if (http_msg_hop_marks(h, hop) == -1)
		return -1;
	for (i = 0; i < h->nheaders; i++) {
		const struct http_header *x = &h->headers[i];

		if (hop[i])
			continue;
		if (add_slice(out, x->name) == -1 ||
		    buf_addstr(out, ": ") == -1 ||
		    add_slice(out, x->value) == -1 ||
		    buf_addstr(out, "\r\n") == -1)
			return -1;
	}
	return 0;
}

static int
write_tail(struct buf *out, enum http_framing framing, uint64_t len,
    bool close)
{
	int rc = 0;

	if (framing == HTTP_FRAMING_LENGTH)
		rc = buf_printf(out, "Content-Length: %llu\r\n",
		    (unsigned long long)len);
	else if (framing == HTTP_FRAMING_CHUNKED)
		rc = buf_addstr(out, "Transfer-Encoding: chunked\r\n");
	if (rc == 0 && (close || framing == HTTP_FRAMING_EOF))
		rc = buf_addstr(out, "Connection: close\r\n");
	if (rc == 0)
		rc = buf_addstr(out, "\r\n");
	return rc;
}

int
http_msg_write_request(struct buf *out, const struct http_head *h,
    const struct http_target *t, enum http_framing framing,
    uint64_t content_length, bool close)
{
	struct slice path = t->path;
	bool slash = path.n == 0 || (path.p[0] != '/' && !slice_eq_cstr(path, "*"));

	if (add_slice(out, h->method) == -1 || buf_addch(out, ' ') == -1 ||
	    (slash && buf_addch(out, '/') == -1) ||
	    add_slice(out, path) == -1 ||
	    buf_addstr(out, " HTTP/1.1\r\n") == -1)
		return -1;
	if (http_msg_find(h, "host") == NULL && write_host(out, t) == -1)
		return -1;
	if (write_headers(out, h) == -1)
		return -1;
	return write_tail(out, framing, content_length, close);
}

int
http_msg_write_response(struct buf *out, const struct http_head *h,
    enum http_framing framing, uint64_t content_length, bool close)
{
	if (buf_printf(out, "HTTP/1.1 %03d ", h->status) == -1 ||
	    add_slice(out, h->reason) == -1 || buf_addstr(out, "\r\n") == -1)
		return -1;
	if (write_headers(out, h) == -1)
		return -1;
	return write_tail(out, framing, content_length, close);
}
