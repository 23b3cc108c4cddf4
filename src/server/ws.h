/* ws.h — the app-server's WebSocket layer (RFC 6455, reference §19.3–19.4).
 *
 * Two pure parts; the sockets live in app_server_ws.c.
 *
 * The handshake. ws_judge() looks at one parsed HTTP request head
 * (net/http1.h did the strict parsing) and says what to answer: any
 * Origin header → 403 (checked first, on every path); GET /readyz and
 * GET /healthz → 200 with no auth; anything else must be a proper
 * upgrade (GET, HTTP/1.1, `Upgrade: websocket`, a `Connection` list
 * naming upgrade, `Sec-WebSocket-Version: 13`, a 16-byte base64
 * `Sec-WebSocket-Key`) or gets 400. For an upgrade the caller
 * authenticates the Authorization header (server/auth.h) *before*
 * answering 101 with ws_accept_key().
 *
 * The frame engine. A struct ws wraps a wslay server context whose
 * input and output are memory: ws_feed() hands it received bytes, it
 * calls on_text once per complete text message, answers pings with
 * pongs and closes by itself (a message over max_msg bytes is closed
 * with 1009, protocol errors with 1002); binary messages are dropped
 * (counted in ws->dropped_binary). Bytes to send accumulate in an output
 * buffer capped at WS_MAX_OUTPUT; the caller writes them out and calls
 * ws_consume(). Nothing here does I/O or logs. */
#ifndef AIRLOCK_WS_H
#define AIRLOCK_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/slice.h"
#include "net/http_msg.h"

#define WS_MAX_MSG (1024 * 1024)
#define WS_MAX_OUTPUT (64u * 1024 * 1024)
#define WS_ACCEPT_LEN 28

enum ws_verdict {
	WS_UPGRADE = 0,  /* authenticate, then 101 */
	WS_HEALTH = 200,
	WS_BAD = 400,
	WS_FORBIDDEN = 403,
};

struct ws_upgrade {
	struct slice key;           /* Sec-WebSocket-Key */
	const char *auth;           /* Authorization value, NULL if absent */
	size_t auth_len;
};

enum ws_verdict ws_judge(const struct http_head *h, struct ws_upgrade *u);
/* Whether a request target is path, alone or followed by a query. */
bool ws_target_is(struct slice target, const char *path);
/* The upgrade checks of ws_judge() alone, without its Origin and path
 * rules (the web console's sessions, server/console.h, have an Origin):
 * WS_UPGRADE with u filled, or WS_BAD. */
enum ws_verdict ws_judge_upgrade(const struct http_head *h,
				 struct ws_upgrade *u);

/* base64(SHA-1(key + GUID)) into out (WS_ACCEPT_LEN chars + NUL). */
void ws_accept_key(struct slice key, char out[WS_ACCEPT_LEN + 1]);

/* Appends a complete plain-text response (connection: close). */
int ws_http_response(struct buf *out, int status, const char *text);
/* The reason phrase of the statuses the app-server answers with ("Error"
 * for any other). */
const char *ws_http_status_text(int status);
/* Appends the 101 Switching Protocols answer, naming the subprotocol the
 * server chose (NULL: none). */
int ws_http_switch(struct buf *out, const char accept[WS_ACCEPT_LEN + 1],
		   const char *protocol);

typedef void ws_text_fn(void *arg, const char *p, size_t n);

struct ws;

/* max_msg 0 means WS_MAX_MSG. */
struct ws *ws_new(ws_text_fn *on_text, void *arg, size_t max_msg);
void ws_free(struct ws *w);
/* Parses p[0..n) (all of it is taken). 0, or -1 once the connection
 * must end (protocol error or close handshake finished, output pending
 * may still hold a close frame to send). */
int ws_feed(struct ws *w, const char *p, size_t n);
/* Queues one text message. 0, or -1 when closing or output is full. */
int ws_send_text(struct ws *w, const char *p, size_t n);
/* Queues a close frame with code (e.g. 1001 going away). */
void ws_close(struct ws *w, uint16_t code);
/* Bytes waiting to be written, and dropping n of them once written. */
const char *ws_output(struct ws *w, size_t *n);
void ws_consume(struct ws *w, size_t n);
/* True when neither side will send anything more (close done or fatal
 * error): write out what is pending, then close the socket. */
bool ws_finished(const struct ws *w);
/* Binary messages dropped so far. */
uint64_t ws_dropped_binary(const struct ws *w);

#endif
