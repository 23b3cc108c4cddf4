/* admin_routes.h — what the admin API answers (reference §12, DESIGN §5).
 * admin.c owns the connections and the HTTP framing; this module turns
 * one complete request into one complete response. Not for use outside
 * src/proxy/.
 *
 * Routing is exact on (method, path); the query string is ignored;
 * anything else, wrong methods included, is 404 `not found`:
 *   GET  /health   200 `ok` (text/plain)
 *   GET  /config   200 {"network":{...}} (reference §12 keys; `mode` is
 *                  the mode in force, which POST /mode may have changed)
 *   GET  /patterns 200 {"allowed":[...],"denied":[...]}: the effective
 *                  lists the policy was built from (config, preset and
 *                  requirements applied as policy/netpolicy.h says)
 *   GET  /blocked  200 the blocked-ring snapshot (proxy/audit.h)
 *   GET  /metrics  200 Prometheus text exposition, version 0.0.4
 *   POST /mode     {"mode":"full"|"limited"} → 200
 *                  {"status":"ok","mode":"<mode>"}; 400 `missing body`,
 *                  400 `invalid json`, 500 `mode update failed` (refused
 *                  by requirements, or the config no longer loads; the
 *                  reason is logged)
 *   POST /reload   200 {"status":"reloaded"}; 500 `reload failed: <why>`
 *                  (the old config stays; the reason is also logged)
 *
 * Mode changes are runtime state: POST /mode re-reads the config from
 * disk (there is no way to copy a loaded conf) and builds a new state with
 * the mode override, so it also picks up config edits. A reload (POST
 * /reload or SIGHUP) re-reads the config without an override: it resets
 * the mode to the config's value.
 *
 * Auth: when the proxy has an admin token, every request must carry
 * `Authorization: Bearer <token>`; the comparison is of SHA-256 digests
 * with CRYPTO_memcmp, so neither the content nor the length of the token
 * leaks through timing. The token is never logged. */
#ifndef AIRLOCK_PROXY_ADMIN_ROUTES_H
#define AIRLOCK_PROXY_ADMIN_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "net/http_msg.h"
#include "proxy/proxy_int.h"

#define ADMIN_MAX_BODY (8 * 1024)

/* One complete request; strings are NUL-terminated and borrowed. */
struct admin_request {
	const char *method;
	const char *path;	/* request-target without the query */
	const char *body;
	size_t body_len;
	bool close;		/* answer with connection: close */
};

/* True when h carries the right bearer token (or no token is set). */
bool admin_authorized(const struct proxy *p, const struct http_head *h);

/* Appends the response to rq to out (which should allow at least a few
 * MiB: /blocked and /metrics grow with the proxy's history). May change
 * the proxy's state (POST /mode, POST /reload). */
void admin_route(struct proxy *p, const struct admin_request *rq,
		 struct buf *out);

/* Appends a whole response: status line, content-type, the extra header
 * lines (each ending in CRLF, or NULL), content-length, connection: close
 * when close is set, the blank line and body. 0, or -1 when out is full. */
int admin_respond(struct buf *out, int status, const char *ctype,
		  const char *extra, const char *body, size_t n, bool close);

/* 401 `unauthorized` with `www-authenticate: Bearer`. */
int admin_unauthorized(struct buf *out, bool close);

#endif
