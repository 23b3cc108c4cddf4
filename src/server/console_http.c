/* console_http.c — request pieces and answers of the web console. See
 * console_http.h. */
#include "server/console_http.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "lib/hostport.h"
#include "server/ws.h"

/* --- Host and Origin ---------------------------------------------------- */

/* An address literal of family af in s (copied: inet_pton wants a C
 * string). */
static bool
is_literal(int af, struct slice s)
{
	unsigned char addr[16];
	char text[64];

	if (s.n == 0 || s.n >= sizeof(text))
		return false;
	memcpy(text, s.p, s.n);
	text[s.n] = '\0';
	return inet_pton(af, text, addr) == 1;
}

bool
console_host_ok(struct slice host, unsigned *port)
{
	struct hostport hp;
	bool named;

	*port = 80;
	if (host.n == 0 || hostport_parse(host.p, host.n, 0, &hp) != NULL ||
	    hp.port == 0)
		return false;
	named = !hp.bracketed && hp.host.n == 9 &&
		strncasecmp(hp.host.p, "localhost", 9) == 0;
	if (!named && !is_literal(hp.bracketed ? AF_INET6 : AF_INET, hp.host))
		return false;
	if (hp.port > 0)
		*port = (unsigned)hp.port;
	return true;
}

bool
console_origin_matches(struct slice origin, struct slice host)
{
	static const char scheme[] = "http://";
	size_t k = sizeof(scheme) - 1;

	return origin.n == k + host.n && host.n > 0 &&
	       memcmp(origin.p, scheme, k) == 0 &&
	       memcmp(origin.p + k, host.p, host.n) == 0;
}

/* --- Cookie and token lists ---------------------------------------------- */

static struct slice
trim(struct slice s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

/* The item of a sep-separated list at *pos, trimmed; *pos moves past it
 * and its separator. False at the end. */
static bool
next_item(struct slice list, char sep, size_t *pos, struct slice *item)
{
	const char *end;
	size_t start = *pos;

	if (start >= list.n)
		return false;
	end = memchr(list.p + start, sep, list.n - start);
	if (end == NULL)
		end = list.p + list.n;
	*item = trim(slice_of(list.p + start, (size_t)(end - list.p) - start));
	*pos = (size_t)(end - list.p) + 1;
	return true;
}

bool
console_cookie_next(struct slice header, const char *name, size_t *pos,
		    struct slice *value)
{
	size_t n = strlen(name);
	struct slice it;

	while (next_item(header, ';', pos, &it)) {
		if (it.n > n && memcmp(it.p, name, n) == 0 && it.p[n] == '=') {
			*value = trim(slice_of(it.p + n + 1, it.n - n - 1));
			return true;
		}
	}
	return false;
}

bool
console_list_has(struct slice list, const char *token)
{
	struct slice it;
	size_t pos = 0;

	while (next_item(list, ',', &pos, &it))
		if (slice_eq_cstr(it, token))
			return true;
	return false;
}

bool
console_list_prefixed(struct slice list, const char *prefix,
		      struct slice *rest)
{
	size_t n = strlen(prefix), pos = 0;
	struct slice it;

	while (next_item(list, ',', &pos, &it)) {
		if (it.n >= n && memcmp(it.p, prefix, n) == 0) {
			*rest = slice_of(it.p + n, it.n - n);
			return true;
		}
	}
	return false;
}

/* --- assets ----------------------------------------------------------------- */

const struct console_asset *
console_asset_for(struct slice target)
{
	const struct console_asset *a;
	struct slice path = target;
	const char *q;

	if (target.n == 0 || target.p[0] != '/')
		return NULL;
	q = memchr(target.p, '?', target.n);
	if (q != NULL)
		path.n = (size_t)(q - target.p);
	if (path.n == 1)
		path = slice_cstr("/index.html");
	for (a = console_assets; a->name != NULL; a++)
		if (path.n == strlen(a->name) + 1 &&
		    memcmp(path.p + 1, a->name, path.n - 1) == 0)
			return a;
	return NULL;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

const char *
console_mime(const char *name)
{
	if (ends_with(name, ".html"))
		return "text/html; charset=utf-8";
	if (ends_with(name, ".css"))
		return "text/css; charset=utf-8";
	if (ends_with(name, ".js"))
		return "text/javascript; charset=utf-8";
	if (ends_with(name, ".svg"))
		return "image/svg+xml";
	if (ends_with(name, ".png"))
		return "image/png";
	return "application/octet-stream";
}

/* --- answers ------------------------------------------------------------------ */

int
console_response(struct buf *out, int status, const char *type,
		 const char *extra, const void *body, size_t n)
{
	if (buf_printf(out,
		       "HTTP/1.1 %d %s\r\n"
		       "content-security-policy: " CONSOLE_CSP "\r\n"
		       "x-frame-options: DENY\r\n"
		       "referrer-policy: no-referrer\r\n"
		       "cache-control: no-store\r\n"
		       "x-content-type-options: nosniff\r\n"
		       "cross-origin-opener-policy: same-origin\r\n"
		       "cross-origin-resource-policy: same-origin\r\n"
		       "%s"
		       "content-type: %s\r\n"
		       "content-length: %zu\r\n"
		       "connection: close\r\n\r\n",
		       status, ws_http_status_text(status), extra ? extra : "", type,
		       n) == -1)
		return -1;
	return buf_add(out, body, n);
}

int
console_text(struct buf *out, int status, const char *text)
{
	return console_response(out, status, "text/plain; charset=utf-8", NULL,
				text, strlen(text));
}
