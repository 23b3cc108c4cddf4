/* ws.c — WebSocket handshake checks and the in-memory wslay frame engine.
 * See ws.h. */
#include "server/ws.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "lib/xalloc.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* --- handshake ----------------------------------------------------------- */

static bool
slice_is(struct slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static bool
lit_eq(struct slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* True when the comma-separated list s holds token (any case). */
static bool
list_has(struct slice s, const char *token)
{
	size_t i = 0, start, end;

	while (i < s.n) {
		while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\t' ||
				   s.p[i] == ','))
			i++;
		start = i;
		while (i < s.n && s.p[i] != ',')
			i++;
		end = i;
		while (end > start && (s.p[end - 1] == ' ' ||
				       s.p[end - 1] == '\t'))
			end--;
		if (end > start &&
		    slice_is((struct slice){s.p + start, end - start}, token))
			return true;
	}
	return false;
}

static const struct slice *
header(const struct http_head *h, const char *name)
{
	const struct http_header *x = http_msg_find(h, name);

	return x != NULL ? &x->value : NULL;
}

/* A Sec-WebSocket-Key must decode to 16 bytes: 22 base64 chars + "==". */
static bool
key_ok(struct slice k)
{
	size_t i;

	if (k.n != 24 || k.p[22] != '=' || k.p[23] != '=')
		return false;
	for (i = 0; i < 22; i++) {
		char c = k.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return false;
	}
	return true;
}

bool
ws_target_is(struct slice target, const char *path)
{
	size_t n = strlen(path);

	return target.n >= n && memcmp(target.p, path, n) == 0 &&
	       (target.n == n || target.p[n] == '?');
}

enum ws_verdict
ws_judge_upgrade(const struct http_head *h, struct ws_upgrade *u)
{
	const struct slice *up, *conn, *ver, *key;
	const struct http_header *auth;

	memset(u, 0, sizeof(*u));
	if (!lit_eq(h->method, "GET"))
		return WS_BAD;
	up = header(h, "upgrade");
	conn = header(h, "connection");
	ver = header(h, "sec-websocket-version");
	key = header(h, "sec-websocket-key");
	if (h->version_minor != 1 || up == NULL || !list_has(*up, "websocket") ||
	    conn == NULL || !list_has(*conn, "upgrade") || ver == NULL ||
	    !lit_eq(*ver, "13") || key == NULL || !key_ok(*key))
		return WS_BAD;
	u->key = *key;
	auth = http_msg_find(h, "authorization");
	if (auth != NULL) {
		u->auth = auth->value.p != NULL ? auth->value.p : "";
		u->auth_len = auth->value.n;
	}
	return WS_UPGRADE;
}

enum ws_verdict
ws_judge(const struct http_head *h, struct ws_upgrade *u)
{
	memset(u, 0, sizeof(*u));
	if (http_msg_find(h, "origin") != NULL)
		return WS_FORBIDDEN;
	if (!lit_eq(h->method, "GET"))
		return WS_BAD;
	if (ws_target_is(h->target, "/readyz") ||
	    ws_target_is(h->target, "/healthz"))
		return WS_HEALTH;
	return ws_judge_upgrade(h, u);
}

void
ws_accept_key(struct slice key, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	char in[64 + sizeof(WS_GUID)];
	size_t n = key.n < 64 ? key.n : 64;

	memcpy(in, key.p, n);
	memcpy(in + n, WS_GUID, sizeof(WS_GUID) - 1);
	SHA1((const unsigned char *)in, n + sizeof(WS_GUID) - 1, md);
	EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
	out[WS_ACCEPT_LEN] = '\0';
}

const char *
ws_http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

int
ws_http_response(struct buf *out, int status, const char *text)
{
	size_t n = text != NULL ? strlen(text) : 0;

	return buf_printf(out,
			  "HTTP/1.1 %d %s\r\ncontent-type: text/plain; "
			  "charset=utf-8\r\ncontent-length: %zu\r\n"
			  "connection: close\r\n\r\n%s",
			  status, ws_http_status_text(status), n, n ? text : "");
}

int
ws_http_switch(struct buf *out, const char accept[WS_ACCEPT_LEN + 1],
	       const char *protocol)
{
	if (buf_printf(out,
		       "HTTP/1.1 101 Switching Protocols\r\n"
		       "upgrade: websocket\r\nconnection: Upgrade\r\n"
		       "sec-websocket-accept: %s\r\n",
		       accept) == -1 ||
	    (protocol != NULL &&
	     buf_printf(out, "sec-websocket-protocol: %s\r\n", protocol) == -1))
		return -1;
	return buf_addstr(out, "\r\n");
}

/* --- frames ------------------------------------------------------------------ */

struct ws {
	wslay_event_context_ptr ctx;
	ws_text_fn *on_text;
	void *arg;
	const char *in;       /* the bytes ws_feed is handing over */
	size_t in_len;
	struct buf out;
	bool fatal;
	uint64_t dropped_binary;
};

static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *data, size_t len, int flags,
	void *user)
{
	struct ws *w = user;
	size_t n = len < w->in_len ? len : w->in_len;

	(void)flags;
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	memcpy(data, w->in, n);
	w->in += n;
	w->in_len -= n;
	return (ssize_t)n;
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
	int flags, void *user)
{
	struct ws *w = user;

	(void)flags;
	if (buf_add(&w->out, data, len) == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static void
msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
       void *user)
{
	struct ws *w = user;

	(void)ctx;
	if (a->opcode == WSLAY_TEXT_FRAME)
		w->on_text(w->arg, (const char *)a->msg, a->msg_length);
	else if (a->opcode == WSLAY_BINARY_FRAME)
		w->dropped_binary++;
}

struct ws *
ws_new(ws_text_fn *on_text, void *arg, size_t max_msg)
{
	static const struct wslay_event_callbacks cbs = {
		.recv_callback = recv_cb,
		.send_callback = send_cb,
		.on_msg_recv_callback = msg_cb,
	};
	struct ws *w = xmalloc(sizeof(*w));

	memset(w, 0, sizeof(*w));
	w->on_text = on_text;
	w->arg = arg;
	buf_init(&w->out, WS_MAX_OUTPUT);
	if (wslay_event_context_server_init(&w->ctx, &cbs, w) != 0)
		abort(); /* only on allocation failure */
	wslay_event_config_set_max_recv_msg_length(
		w->ctx, max_msg ? max_msg : WS_MAX_MSG);
	return w;
}

void
ws_free(struct ws *w)
{
	if (w == NULL)
		return;
	wslay_event_context_free(w->ctx);
	buf_release(&w->out);
	free(w);
}

static void
flush(struct ws *w)
{
	if (!w->fatal && wslay_event_want_write(w->ctx) &&
	    wslay_event_send(w->ctx) != 0)
		w->fatal = true;
}

int
ws_feed(struct ws *w, const char *p, size_t n)
{
	w->in = p;
	w->in_len = n;
	if (!w->fatal && wslay_event_want_read(w->ctx) &&
	    wslay_event_recv(w->ctx) != 0)
		w->fatal = true;
	w->in = NULL;
	w->in_len = 0;
	flush(w);
	return w->fatal ? -1 : 0;
}

int
ws_send_text(struct ws *w, const char *p, size_t n)
{
	struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)p, n};

	if (w->fatal || w->out.len + n > WS_MAX_OUTPUT ||
	    wslay_event_queue_msg(w->ctx, &m) != 0)
		return -1;
	flush(w);
	return w->fatal ? -1 : 0;
}

void
ws_close(struct ws *w, uint16_t code)
{
	if (!w->fatal)
		wslay_event_queue_close(w->ctx, code, NULL, 0);
	flush(w);
}

const char *
ws_output(struct ws *w, size_t *n)
{
	*n = w->out.len;
	return w->out.p;
}

void
ws_consume(struct ws *w, size_t n)
{
	buf_consume(&w->out, n);
}

bool
ws_finished(const struct ws *w)
{
	return w->fatal || (!wslay_event_want_read(w->ctx) &&
			    !wslay_event_want_write(w->ctx));
}

uint64_t
ws_dropped_binary(const struct ws *w)
{
	return w->dropped_binary;
}
