/* console.h — the app-server's web console on its WebSocket listener
 * (doc/console.md): the page, the login that turns a one-time code into a
 * browser session, and the sessions' WebSocket upgrades.
 *
 * Login model. console_new_code() makes a login code (CONSOLE_SECRET_BYTES
 * random bytes, base64url) valid for CONSOLE_CODE_TTL_MS and for one
 * login; making a new one retires the old. Only its SHA-256 is kept. The
 * page reads it from the URL fragment (never sent to a server) and posts
 * it in the `X-Airlock-Login` header of `POST /login`. A right code makes
 * a session: a cookie (`airlock_console_PORT`, HttpOnly, SameSite=Strict,
 * Path=/, no expiry: it dies with the browser session, and the server
 * forgets it when it stops) and a key the page keeps in its own tab
 * (sessionStorage is scoped to scheme, host *and port*, cookies are not:
 * any other server on the same host would be sent the cookie). A
 * WebSocket upgrade of the session must carry both: the cookie, and the
 * key as the subprotocol `airlock.key.KEY` next to `airlock.console`.
 * Sessions keep only the SHA-256 of each, compared in constant time.
 *
 * Origins. A browser names the page's origin in `Origin`; the console
 * accepts a request with one only when it is exactly `http://` + the
 * request's own Host, and that Host is an IP literal or `localhost` (so no
 * DNS name can be rebound onto the listener). A login records that
 * origin; its session's upgrades must come from the same one. Every other
 * request with an Origin is left to ws.h's rule: 403.
 *
 * Nothing here does I/O. Nothing here logs a secret: the code, cookies
 * and keys are wiped when they are no longer needed. */
#ifndef AIRLOCK_CONSOLE_H
#define AIRLOCK_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "net/http_msg.h"

#define CONSOLE_SECRET_BYTES 32
#define CONSOLE_SECRET_LEN 43 /* base64url of CONSOLE_SECRET_BYTES */
#define CONSOLE_CODE_TTL_MS (5 * 60 * 1000)
#define CONSOLE_MAX_SESSIONS 16
#define CONSOLE_MAX_REPLY (512 * 1024) /* the largest response, page included */

struct console;

/* roles: the AUTH_SCOPE_* bits (server/auth.h) every session gets. */
struct console *console_new(unsigned roles);
void console_free(struct console *c);

/* Makes a fresh login code (the previous one stops working) valid from
 * now_ms for CONSOLE_CODE_TTL_MS, and writes the login URL
 * `http://BOUND/#code=CODE` into url (bound is the listener's `ip:port`,
 * an IPv6 address bracketed). -1 when no random bytes could be had or the
 * URL does not fit. The caller shows it once and wipes it. */
int console_new_code(struct console *c, const char *bound, int64_t now_ms,
		     char *url, size_t cap);

enum console_verdict {
	CONSOLE_PASS,    /* not the console's: ws.h's rules decide */
	CONSOLE_REPLY,   /* out holds the complete answer */
	CONSOLE_UPGRADE, /* out holds the 101; *scope the session's roles */
};

/* What is worth a line on stderr about a request (never a secret):
 * text is static, NULL when nothing; refused says it was refused. */
struct console_note {
	const char *text;
	bool refused;
};

/* What c says to one request head; note gets what to log. c may be NULL
 * (no console): always CONSOLE_PASS. */
enum console_verdict console_judge(struct console *c, const struct http_head *h,
				   int64_t now_ms, struct buf *out,
				   unsigned *scope, struct console_note *note);

#endif
