/* console_http.h — the pieces of a request the web console judges
 * (console.h), and the answers it writes. Pure: no I/O, no allocation but
 * into a caller's struct buf, no logging.
 *
 * Every answer carries the console's security headers: a
 * Content-Security-Policy that allows only the console's own script,
 * style, images and connections (no inline script or style, no framing,
 * no base or form targets elsewhere), `X-Frame-Options: DENY`,
 * `Referrer-Policy: no-referrer`, `Cache-Control: no-store`,
 * `X-Content-Type-Options: nosniff` and same-origin opener and resource
 * policies; and `connection: close`. */
#ifndef AIRLOCK_CONSOLE_HTTP_H
#define AIRLOCK_CONSOLE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/slice.h"
#include "server/console_assets.h"

#define CONSOLE_CSP                                                          \
	"default-src 'none'; script-src 'self'; style-src 'self'; "          \
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'; form-action 'self'"

/* True when host (a Host header value) is an IPv4 literal, a bracketed
 * IPv6 literal or `localhost` (any case), with an optional `:PORT`
 * (1..65535); *port gets it (80 when absent). */
bool console_host_ok(struct slice host, unsigned *port);

/* True when origin is exactly `http://` followed by host. */
bool console_origin_matches(struct slice origin, struct slice host);

/* The next value of cookie name in a Cookie header value, from *pos on
 * (start at 0; a header may name a cookie twice). True with *value set
 * and *pos advanced, false when there is no more. */
bool console_cookie_next(struct slice header, const char *name, size_t *pos,
			 struct slice *value);

/* True when the comma-separated token list holds token exactly. */
bool console_list_has(struct slice list, const char *token);
/* True when the list holds an item starting with prefix; *rest gets what
 * follows the prefix in the first such item. */
bool console_list_prefixed(struct slice list, const char *prefix,
			   struct slice *rest);

/* The asset a GET of target serves (`/` is index.html; a query is
 * ignored), or NULL. */
const struct console_asset *console_asset_for(struct slice target);
/* The Content-Type for an asset name, by its extension. */
const char *console_mime(const char *name);

/* Appends a complete response: status, the security headers, extra
 * (header lines each ending in CRLF, or NULL), content-type and body.
 * -1 when out's maximum is hit. */
int console_response(struct buf *out, int status, const char *type,
		     const char *extra, const void *body, size_t n);
/* The same with a plain-text body. */
int console_text(struct buf *out, int status, const char *text);

#endif
