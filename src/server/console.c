/* console.c — the web console's routes, login code and sessions. See
 * console.h; the request pieces and answers are console_http.c's.
 *
 * Routes (only these; everything else is left to ws.h's rules):
 *   GET /, /console.js, ... (any asset)  the page; a request with no
 *                                         Origin or with the own one
 *   POST /login                           the own Origin and a login code
 *   a WebSocket upgrade with an Origin    the own Origin and a session
 * A request with an Origin that is not its own is never the console's,
 * so ws.h answers 403 as it always did. */
#include "server/console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "lib/b64url.h"
#include "lib/xalloc.h"
#include "server/auth.h"
#include "server/console_http.h"
#include "server/ws.h"

#define DIGEST SHA256_DIGEST_LENGTH
#define ORIGIN_MAX 300 /* "http://" + a Host that passed console_host_ok */
#define COOKIE_PREFIX "airlock_console_"
#define PROTO_CONSOLE "airlock.console"
#define PROTO_KEY "airlock.key."
#define LOGIN_HEADER "x-airlock-login"

struct console_session {
	uint64_t serial;            /* 0: free; the smallest is the oldest */
	unsigned char cookie[DIGEST]; /* SHA-256 of the cookie's value */
	unsigned char key[DIGEST];    /* SHA-256 of the page's key */
	char origin[ORIGIN_MAX];
};

struct console {
	unsigned roles;
	bool code_set;
	unsigned char code[DIGEST]; /* SHA-256 of the login code */
	int64_t code_expires_ms;
	struct console_session sessions[CONSOLE_MAX_SESSIONS];
	uint64_t next_serial;
};

struct console *
console_new(unsigned roles)
{
	struct console *c = xcalloc(1, sizeof(*c));

	c->roles = roles;
	return c;
}

void
console_free(struct console *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/* A fresh secret: its text (CONSOLE_SECRET_LEN + NUL) and its digest. */
static int
make_secret(char text[CONSOLE_SECRET_LEN + 1], unsigned char digest[DIGEST])
{
	unsigned char raw[CONSOLE_SECRET_BYTES];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	b64url_encode(raw, sizeof(raw), text);
	explicit_bzero(raw, sizeof(raw));
	SHA256((const unsigned char *)text, CONSOLE_SECRET_LEN, digest);
	return 0;
}

static bool
digest_is(struct slice s, const unsigned char want[DIGEST])
{
	unsigned char d[DIGEST];
	bool same;

	SHA256((const unsigned char *)s.p, s.n, d);
	same = CRYPTO_memcmp(d, want, DIGEST) == 0;
	explicit_bzero(d, sizeof(d));
	return same;
}

int
console_new_code(struct console *c, const char *bound, int64_t now_ms,
		 char *url, size_t cap)
{
	char code[CONSOLE_SECRET_LEN + 1];
	int n, rc = -1;

	c->code_set = false;
	if (make_secret(code, c->code) == -1)
		goto out;
	n = snprintf(url, cap, "http://%s/#code=%s", bound, code);
	if (n < 0 || (size_t)n >= cap)
		goto out;
	c->code_set = true;
	c->code_expires_ms = now_ms + CONSOLE_CODE_TTL_MS;
	rc = 0;
out:
	explicit_bzero(code, sizeof(code));
	return rc;
}

/* --- login ------------------------------------------------------------------ */

static struct console_session *
session_slot(struct console *c)
{
	struct console_session *s, *oldest = &c->sessions[0];

	for (s = c->sessions; s < c->sessions + CONSOLE_MAX_SESSIONS; s++) {
		if (s->serial == 0)
			return s;
		if (s->serial < oldest->serial)
			oldest = s;
	}
	return oldest; /* the oldest session ends */
}

static void
roles_json(struct buf *b, unsigned roles)
{
	buf_addstr(b, "[\"approve\"");
	if (roles & AUTH_SCOPE_EXEC)
		buf_addstr(b, ",\"exec\"");
	buf_addch(b, ']');
}

/* A right code: a session for origin; the answer sets its cookie and
 * hands the page its key. */
static void
login_ok(struct console *c, struct slice origin, unsigned port,
	 struct buf *out)
{
	struct console_session *s = session_slot(c);
	char cookie[CONSOLE_SECRET_LEN + 1], key[CONSOLE_SECRET_LEN + 1];
	char extra[256];
	struct buf body;

	c->code_set = false; /* one login per code */
	explicit_bzero(c->code, sizeof(c->code));
	buf_init(&body, 1024);
	if (make_secret(cookie, s->cookie) == -1 ||
	    make_secret(key, s->key) == -1) {
		s->serial = 0;
		console_text(out, 503, "no random bytes for a session");
		goto out;
	}
	s->serial = ++c->next_serial;
	snprintf(s->origin, sizeof(s->origin), "%.*s", (int)origin.n,
		 origin.p);
	snprintf(extra, sizeof(extra),
		 "set-cookie: " COOKIE_PREFIX "%u=%s; Path=/; HttpOnly; "
		 "SameSite=Strict\r\n",
		 port, cookie);
	buf_printf(&body, "{\"key\":\"%s\",\"roles\":", key);
	roles_json(&body, c->roles);
	buf_addch(&body, '}');
	console_response(out, 200, "application/json", extra, body.p,
			 body.len);
out:
	explicit_bzero(cookie, sizeof(cookie));
	explicit_bzero(key, sizeof(key));
	explicit_bzero(extra, sizeof(extra));
	if (body.p != NULL)
		explicit_bzero(body.p, body.len);
	buf_release(&body);
}

static enum console_verdict
login(struct console *c, const struct http_head *h, struct slice origin,
      unsigned port, int64_t now_ms, struct buf *out, struct console_note *note)
{
	const struct http_header *code = http_msg_find(h, LOGIN_HEADER);

	if (h->framing == HTTP_FRAMING_CHUNKED ||
	    (h->framing == HTTP_FRAMING_LENGTH && h->content_length > 0)) {
		console_text(out, 400, "the login code goes in the "
				       "X-Airlock-Login header, not the body");
		return CONSOLE_REPLY;
	}
	if (code == NULL || !c->code_set || now_ms >= c->code_expires_ms ||
	    code->value.n != CONSOLE_SECRET_LEN ||
	    !digest_is(code->value, c->code)) {
		note->text = "console login refused: the code is wrong, "
			     "used or expired";
		note->refused = true;
		console_text(out, 403, "login refused: the code is wrong, "
				       "already used or expired; ask the "
				       "app-server for a new login URL");
		return CONSOLE_REPLY;
	}
	note->text = "console login: a new browser session";
	login_ok(c, origin, port, out);
	return CONSOLE_REPLY;
}

/* --- WebSocket upgrades of a session ----------------------------------------- */

static bool
is_cookie(const struct http_header *x)
{
	return x->name.n == 6 && strncasecmp(x->name.p, "cookie", 6) == 0;
}

/* The session whose cookie (a value of cookie name in a Cookie header)
 * and key both match, from origin; NULL when none. At most
 * CONSOLE_MAX_COOKIES values are tried, so a request naming the cookie a
 * thousand times costs no more than one naming it a few times. */
#define CONSOLE_MAX_COOKIES 8
static const struct console_session *
find_session(const struct console *c, const struct http_head *h,
	     const char *name, struct slice key, struct slice origin)
{
	const struct console_session *s, *found = NULL;
	unsigned char kd[DIGEST], cd[DIGEST];
	size_t i, pos, tried = 0;
	struct slice v;

	SHA256((const unsigned char *)key.p, key.n, kd);
	for (i = 0; i < h->nheaders && found == NULL; i++) {
		if (!is_cookie(&h->headers[i]))
			continue;
		pos = 0;
		while (found == NULL && tried < CONSOLE_MAX_COOKIES &&
		       console_cookie_next(h->headers[i].value, name, &pos,
					   &v)) {
			tried++;
			SHA256((const unsigned char *)v.p, v.n, cd);
			for (s = c->sessions;
			     s < c->sessions + CONSOLE_MAX_SESSIONS; s++)
				if (s->serial != 0 &&
				    CRYPTO_memcmp(cd, s->cookie, DIGEST) == 0 &&
				    CRYPTO_memcmp(kd, s->key, DIGEST) == 0 &&
				    slice_eq_cstr(origin, s->origin))
					found = s;
		}
	}
	explicit_bzero(kd, sizeof(kd));
	explicit_bzero(cd, sizeof(cd));
	return found;
}

static enum console_verdict
upgrade(const struct console *c, const struct http_head *h,
	struct slice origin, unsigned port, struct buf *out, unsigned *scope,
	struct console_note *note)
{
	const struct http_header *proto =
		http_msg_find(h, "sec-websocket-protocol");
	char accept[WS_ACCEPT_LEN + 1], name[64];
	struct slice key = {NULL, 0};
	struct ws_upgrade u;

	if (ws_judge_upgrade(h, &u) != WS_UPGRADE) {
		console_text(out, 400, "bad websocket upgrade");
		return CONSOLE_REPLY;
	}
	snprintf(name, sizeof(name), COOKIE_PREFIX "%u", port);
	if (proto == NULL || !console_list_has(proto->value, PROTO_CONSOLE) ||
	    !console_list_prefixed(proto->value, PROTO_KEY, &key) ||
	    find_session(c, h, name, key, origin) == NULL) {
		note->text = "console WebSocket refused: no valid session";
		note->refused = true;
		console_text(out, 403, "no console session: open the login URL "
				       "airlock app-server printed");
		return CONSOLE_REPLY;
	}
	*scope = c->roles;
	ws_accept_key(u.key, accept);
	ws_http_switch(out, accept, PROTO_CONSOLE);
	return CONSOLE_UPGRADE;
}

/* --- routes ---------------------------------------------------------------------- */

static bool
method_is(const struct http_head *h, const char *m)
{
	return slice_eq_cstr(h->method, m);
}

static enum console_verdict
serve(const struct console_asset *a, struct buf *out)
{
	console_response(out, 200, console_mime(a->name), NULL, a->data,
			 a->len);
	return CONSOLE_REPLY;
}

/* A request that names its page's origin: the console's only when that
 * origin is the request's own. */
static enum console_verdict
judge_browser(struct console *c, const struct http_head *h,
	      struct slice origin, int64_t now_ms, struct buf *out,
	      unsigned *scope, struct console_note *note)
{
	const struct http_header *host = http_msg_find(h, "host");
	const struct console_asset *a;
	unsigned port;

	if (host == NULL || !console_host_ok(host->value, &port) ||
	    !console_origin_matches(origin, host->value) ||
	    origin.n >= ORIGIN_MAX)
		return CONSOLE_PASS;
	if (http_msg_find(h, "upgrade") != NULL)
		return upgrade(c, h, origin, port, out, scope, note);
	if (method_is(h, "POST") && ws_target_is(h->target, "/login"))
		return login(c, h, origin, port, now_ms, out, note);
	if (method_is(h, "GET") && (a = console_asset_for(h->target)) != NULL)
		return serve(a, out);
	return CONSOLE_PASS;
}

enum console_verdict
console_judge(struct console *c, const struct http_head *h, int64_t now_ms,
	      struct buf *out, unsigned *scope, struct console_note *note)
{
	const struct http_header *origin, *host;
	const struct console_asset *a;
	unsigned port;

	*scope = 0;
	note->text = NULL;
	note->refused = false;
	if (c == NULL)
		return CONSOLE_PASS;
	origin = http_msg_find(h, "origin");
	if (origin != NULL)
		return judge_browser(c, h, origin->value, now_ms, out, scope,
				     note);
	/* No Origin: not from a page's script. Upgrades are the bearer
	 * clients' (ws.h); a login must name its origin (CSRF). */
	if (http_msg_find(h, "upgrade") != NULL)
		return CONSOLE_PASS;
	if (method_is(h, "POST") && ws_target_is(h->target, "/login")) {
		console_text(out, 403, "login refused: no Origin header");
		return CONSOLE_REPLY;
	}
	if (!method_is(h, "GET") || (a = console_asset_for(h->target)) == NULL)
		return CONSOLE_PASS;
	host = http_msg_find(h, "host");
	if (host == NULL || !console_host_ok(host->value, &port)) {
		console_text(out, 403, "open the console at the listener's IP "
				       "address or at localhost, not by a "
				       "host name");
		return CONSOLE_REPLY;
	}
	return serve(a, out);
}
