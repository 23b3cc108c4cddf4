/* app_server_ws.c — the ws:// transport: TCP accept, the HTTP request
 * before the upgrade (Origin 403, /readyz and /healthz 200, auth 401,
 * 101), then WebSocket frames to and from an app_conn. See app_server.h
 * and ws.h.
 *
 * A client is closed when its frames say so (close handshake, protocol
 * error, a message over 1 MiB closed with 1009), when its output passes
 * WS_MAX_OUTPUT, or when the handshake request is refused or too slow
 * (WS_PREAUTH_MS).
 *
 * Pre-authentication connections (accepted, not yet upgraded with valid
 * credentials; answered-and-lingering ones included) are few and short-
 * lived, so that half-open sockets cannot lock an authorised client out:
 * at most WS_PREAUTH_PER_PEER per peer address and WS_PREAUTH_MAX in all,
 * each for WS_PREAUTH_MS. A connection past a cap evicts the oldest
 * pre-authentication connection (of its peer, or of all), never the new
 * one — but first the oldest's pending bytes are read and judged: a
 * client whose complete, authorised upgrade request is already waiting
 * is upgraded instead of evicted. Every client on loopback shares one
 * peer address, so this is what lets a client in while an attacker holds
 * the cap: it gets in as long as its request arrives before
 * WS_PREAUTH_PER_PEER newer connections from its address. Upgraded
 * clients are capped apart (WS_MAX_CLIENTS, 503 past it) and never
 * evicted.
 *
 * The web console (server/console.h) judges each request first: its page,
 * its login and its sessions' upgrades; what it leaves goes to ws.h's
 * rules (so any other Origin is still 403). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/ownlisten.h"
#include "net/http1.h"
#include "server/app_server.h"
#include "server/app_server_int.h"
#include "server/auth.h"
#include "server/console.h"
#include "server/ws.h"

#define WS_PREAUTH_MS 5000
#define WS_PREAUTH_PER_PEER 32
#define WS_PREAUTH_MAX 128
#define WS_LINGER_MS 2000
#define WS_LINGER_MAX_BYTES (16 * 1024 * 1024)
#define WS_MAX_CLIENTS 512 /* upgraded */

struct app_ws {
	struct app_server *s;
	const struct auth *auth;
	struct console *console; /* the web console, or NULL */
	uv_tcp_t tcp;
	struct ws_client *clients;
	struct ws_client *pa_head, *pa_tail; /* pre-auth, oldest first */
	size_t npreauth;
	size_t nupgraded;
	int reg;                /* our entry in the listener registry */
};

struct ws_client {
	struct ws_client *prev, *next;
	struct ws_client *pa_prev, *pa_next;
	bool preauth;           /* on the pre-auth list */
	struct sockaddr_storage peer;
	struct app_ws *l;
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct http1 *http;     /* until the request head is judged */
	struct buf reply;       /* the HTTP answer, once judged */
	bool upgrade;           /* reply is a 101 */
	unsigned scope;         /* its token's roles (AUTH_SCOPE_*) */
	struct ws *ws;          /* after the upgrade */
	struct app_conn *conn;
	size_t writes;          /* uv_write requests in flight */
	uv_shutdown_t shut;
	bool lingering;         /* our side is done; draining the peer's */
	size_t drained;         /* bytes dropped while lingering */
	bool closing;
	int closes;             /* handles still to close */
};

static void client_close(struct ws_client *c);
static void client_linger(struct ws_client *c);
static void on_handshake_timeout(uv_timer_t *t);

/* --- writing ------------------------------------------------------------------- */

struct wreq {
	uv_write_t req;
	struct ws_client *c;
	size_t n;
	char data[];
};

static void
on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct ws_client *c = w->c;

	/* A handshake answer may hold a console session's cookie and key. */
	if (c->ws == NULL)
		explicit_bzero(w->data, w->n);
	free(w);
	c->writes--;
	if (status < 0)
		client_close(c);
	else if (c->writes == 0 && (c->ws == NULL || ws_finished(c->ws)))
		client_linger(c);
}

static void
write_bytes(struct ws_client *c, const char *p, size_t n)
{
	struct wreq *w;
	uv_buf_t b;

	if (n == 0 || c->closing)
		return;
	w = xmalloc(sizeof(*w) + n);
	w->c = c;
	w->n = n;
	memcpy(w->data, p, n);
	b = uv_buf_init(w->data, (unsigned)n);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0) {
		free(w);
		client_close(c);
		return;
	}
	c->writes++;
}

static void
flush(struct ws_client *c)
{
	const char *p;
	size_t n;

	if (c->ws == NULL || c->closing)
		return;
	p = ws_output(c->ws, &n);
	write_bytes(c, p, n);
	ws_consume(c->ws, n);
	if (c->writes == 0 && ws_finished(c->ws))
		client_linger(c);
}

static void
on_text(void *arg, const char *p, size_t n)
{
	struct ws_client *c = arg;

	app_conn_message(c->conn, p, n);
}

static void
conn_send(void *arg, const char *msg, size_t n)
{
	struct ws_client *c = arg;

	if (c->closing || c->ws == NULL)
		return;
	if (ws_send_text(c->ws, msg, n) == -1) {
		client_close(c);
		return;
	}
	flush(c);
}

/* --- the HTTP request ------------------------------------------------------------ */

/* A web page tried to reach the server (or a client sent Origin): say so
 * once per request, with the Origin made printable and short. */
static void
log_origin_refusal(const struct http_head *h)
{
	const struct http_header *o = http_msg_find(h, "origin");
	char text[101];
	size_t i, n = o != NULL ? o->value.n : 0;

	if (n > sizeof(text) - 1)
		n = sizeof(text) - 1;
	for (i = 0; i < n; i++)
		text[i] = o->value.p[i] >= 0x20 && o->value.p[i] < 0x7f
				  ? o->value.p[i]
				  : '?';
	text[n] = '\0';
	log_warn("app-server: refused a request with Origin: %s (browsers "
		 "may not connect)", text);
}

/* The web console's answer, when the request is the console's. */
static bool
console_head(struct ws_client *c, const struct http_head *h)
{
	struct console_note note;
	enum console_verdict v;

	/* The loop's monotonic clock: the code's lifetime does not move
	 * with the wall clock. */
	v = console_judge(c->l->console, h, (int64_t)uv_now(c->l->s->loop),
			  &c->reply,
			  &c->scope, &note);
	if (note.text != NULL && note.refused)
		log_warn("app-server: %s", note.text);
	else if (note.text != NULL)
		log_info("app-server: %s", note.text);
	if (v == CONSOLE_UPGRADE && c->l->nupgraded >= WS_MAX_CLIENTS) {
		buf_reset(&c->reply);
		ws_http_response(&c->reply, 503, "too many clients");
		return true;
	}
	c->upgrade = v == CONSOLE_UPGRADE;
	return v != CONSOLE_PASS;
}

static int
on_head(void *arg, const struct http_head *h)
{
	struct ws_client *c = arg;
	char accept[WS_ACCEPT_LEN + 1];
	struct ws_upgrade u;
	const char *why;

	if (console_head(c, h))
		return HTTP1_PAUSE;
	switch (ws_judge(h, &u)) {
	case WS_FORBIDDEN:
		log_origin_refusal(h);
		ws_http_response(&c->reply, 403,
				 "requests with an Origin header are refused: "
				 "browsers may not connect to the app-server");
		break;
	case WS_HEALTH:
		ws_http_response(&c->reply, 200, NULL);
		break;
	case WS_BAD:
		ws_http_response(&c->reply, 400, "bad websocket upgrade");
		break;
	case WS_UPGRADE:
		why = auth_check_scope(c->l->auth, u.auth, u.auth_len,
				       (int64_t)time(NULL), &c->scope);
		if (why != NULL) {
			ws_http_response(&c->reply, 401, why);
			break;
		}
		if (c->l->nupgraded >= WS_MAX_CLIENTS) {
			ws_http_response(&c->reply, 503, "too many clients");
			break;
		}
		ws_accept_key(u.key, accept);
		ws_http_switch(&c->reply, accept, NULL);
		c->upgrade = true;
		break;
	}
	return HTTP1_PAUSE;
}

/* --- pre-authentication connections ---------------------------------------- */

static void
preauth_unlink(struct ws_client *c)
{
	struct app_ws *l = c->l;

	if (!c->preauth)
		return;
	if (c->pa_prev != NULL)
		c->pa_prev->pa_next = c->pa_next;
	else
		l->pa_head = c->pa_next;
	if (c->pa_next != NULL)
		c->pa_next->pa_prev = c->pa_prev;
	else
		l->pa_tail = c->pa_prev;
	c->pa_prev = c->pa_next = NULL;
	c->preauth = false;
	l->npreauth--;
}

static void
preauth_append(struct ws_client *c)
{
	struct app_ws *l = c->l;

	c->pa_prev = l->pa_tail;
	if (l->pa_tail != NULL)
		l->pa_tail->pa_next = c;
	else
		l->pa_head = c;
	l->pa_tail = c;
	c->preauth = true;
	l->npreauth++;
}

static bool
same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      16) == 0;
	return true; /* unknown families share one bucket */
}

static void handshake(struct ws_client *c, const char *p, size_t n);

/* Reads and judges whatever c's peer already sent, as on_read would have
 * in a moment: an authorised request waiting there upgrades c. */
static void
preauth_catch_up(struct ws_client *c)
{
	char buf[4096];
	uv_os_fd_t fd;
	ssize_t n;

	if (uv_fileno((const uv_handle_t *)&c->tcp, &fd) != 0)
		return;
	while (c->preauth && !c->closing && !c->lingering &&
	       c->reply.len == 0) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			return;
		handshake(c, buf, (size_t)n);
	}
}

/* Makes room for one more pre-auth connection: the oldest one of peer
 * (peer NULL: of all) leaves the list, upgraded if its request was
 * waiting, else closed. */
static void
preauth_evict(struct app_ws *l, const struct sockaddr_storage *peer)
{
	struct ws_client *c;

	for (c = l->pa_head; c != NULL; c = c->pa_next) {
		if (peer != NULL && !same_peer(&c->peer, peer))
			continue;
		preauth_catch_up(c);
		if (c->preauth)
			client_close(c);
		return;
	}
}

static size_t
preauth_count(const struct app_ws *l, const struct sockaddr_storage *peer)
{
	const struct ws_client *c;
	size_t n = 0;

	for (c = l->pa_head; c != NULL; c = c->pa_next)
		n += same_peer(&c->peer, peer);
	return n;
}

/* Holds the caps after c (the newest) joined the list. */
static void
preauth_enforce(struct app_ws *l, const struct ws_client *c)
{
	size_t tries;

	for (tries = 0; tries <= WS_PREAUTH_MAX &&
			preauth_count(l, &c->peer) > WS_PREAUTH_PER_PEER;
	     tries++)
		preauth_evict(l, &c->peer);
	for (tries = 0; tries <= WS_PREAUTH_MAX &&
			l->npreauth > WS_PREAUTH_MAX;
	     tries++)
		preauth_evict(l, NULL);
}

/* --- upgrade ---------------------------------------------------------------------- */

static void
upgrade(struct ws_client *c, const char *rest, size_t n)
{
	uv_timer_stop(&c->timer);
	preauth_unlink(c);
	c->l->nupgraded++;
	c->ws = ws_new(on_text, c, WS_MAX_MSG);
	c->conn = app_conn_new(c->l->s, conn_send, c);
	app_conn_set_scope(c->conn, c->scope);
	if (n > 0)
		ws_feed(c->ws, rest, n);
	flush(c);
}

static void
handshake(struct ws_client *c, const char *p, size_t n)
{
	static const struct http1_callbacks cb = {.on_head = on_head};
	ssize_t used;

	if (c->http == NULL)
		c->http = http1_new(HTTP1_REQUEST, &cb, c, 16 * 1024);
	used = http1_feed(c->http, p, n);
	if (used < 0) {
		ws_http_response(&c->reply, http1_error_status(c->http),
				 http1_error_text(c->http));
	} else if (c->reply.len == 0) {
		return; /* need more of the head */
	}
	http1_free(c->http);
	c->http = NULL;
	write_bytes(c, c->reply.p, c->reply.len);
	if (!c->upgrade)
		return; /* closed once the answer is written */
	upgrade(c, p + used, n - (size_t)used);
}

/* --- reading ------------------------------------------------------------------- */

static void
on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	struct ws_client *c = h->data;

	if (nread < 0) {
		client_close(c);
		return;
	}
	if (c->lingering && nread > 0) {
		/* The peer is still sending (say, the rest of an oversized
		 * message): keep draining while bytes keep coming, up to a
		 * bound, so it reads our close frame instead of a reset. */
		c->drained += (size_t)nread;
		if (c->drained <= WS_LINGER_MAX_BYTES)
			uv_timer_start(&c->timer, on_handshake_timeout,
				       WS_LINGER_MS, 0);
		return;
	}
	if (c->closing || c->lingering || nread == 0)
		return;
	if (c->ws != NULL) {
		ws_feed(c->ws, b->base, (size_t)nread);
		flush(c);
	} else if (c->reply.len == 0) {
		handshake(c, b->base, (size_t)nread);
	}
}

/* --- life cycle ----------------------------------------------------------------- */

static void
on_client_closed(uv_handle_t *h)
{
	struct ws_client *c = h->data;

	if (--c->closes > 0)
		return;
	app_conn_free(c->conn);
	ws_free(c->ws);
	http1_free(c->http);
	if (c->reply.p != NULL)
		explicit_bzero(c->reply.p, c->reply.len);
	buf_release(&c->reply);
	free(c);
}

static void
client_close(struct ws_client *c)
{
	struct app_ws *l = c->l;

	if (c->closing && c->closes > 0)
		return;
	c->closing = true;
	c->closes = 2;
	preauth_unlink(c);
	if (c->conn != NULL)
		l->nupgraded--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	uv_close((uv_handle_t *)&c->tcp, on_client_closed);
	uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void
on_handshake_timeout(uv_timer_t *t)
{
	client_close(t->data);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

/* Everything we had to say is written: send FIN, then read and drop what
 * the peer still sends until it closes, or WS_LINGER_MS pass without a
 * byte, or WS_LINGER_MAX_BYTES were dropped. Closing at
 * once would reset a peer that is still sending (e.g. the rest of an
 * oversized message), and it would lose our close frame. */
static void
client_linger(struct ws_client *c)
{
	if (c->lingering || c->closing)
		return;
	c->lingering = true;
	if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_handshake_timeout, WS_LINGER_MS, 0);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct app_ws *l = server->data;
	struct ws_client *c;

	if (status < 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->l = l;
	buf_init(&c->reply, CONSOLE_MAX_REPLY);
	uv_tcp_init(l->s->loop, &c->tcp);
	uv_timer_init(l->s->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->next = l->clients;
	if (c->next != NULL)
		c->next->prev = c;
	l->clients = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer,
			       &(int){sizeof(c->peer)}) < 0) {
		client_close(c);
		return;
	}
	preauth_append(c);
	uv_timer_start(&c->timer, on_handshake_timeout, WS_PREAUTH_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, app_alloc_read, on_read) != 0) {
		client_close(c);
		return;
	}
	preauth_enforce(l, c);
}

static void
on_listener_closed(uv_handle_t *h)
{
	struct app_ws *l = h->data;

	ownlisten_remove(l->reg);
	free(l);
}

struct app_ws *
app_ws_listen(struct app_server *s, const struct sockaddr *addr,
	      const struct auth *a, struct console *console, char *bound,
	      size_t cap, struct errbuf *err)
{
	struct app_ws *l = xcalloc(1, sizeof(*l));
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;
	char ip[64];

	l->s = s;
	l->auth = a;
	l->console = console;
	uv_tcp_init(s->loop, &l->tcp);
	l->tcp.data = l;
	l->reg = -1;
	rc = uv_tcp_bind(&l->tcp, addr, 0);
	if (rc == 0)
		rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
	/* Known to every airlock proxy before a client can connect: no
	 * sandboxed command may reach us through one (net/ownlisten.h). */
	if (rc == 0 && (l->reg = ownlisten_add(&ss, err)) == -1) {
		uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
		return NULL;
	}
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, 128, on_connection);
	if (rc != 0) {
		errbuf_add(err, "listen: %s", uv_strerror(rc));
		uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
		return NULL;
	}
	if (ss.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
		snprintf(bound, cap, "[%s]:%u", ip,
			 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
		snprintf(bound, cap, "%s:%u", ip,
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	return l;
}

void
app_ws_close(struct app_ws *l)
{
	if (l == NULL)
		return;
	while (l->clients != NULL)
		client_close(l->clients);
	uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
}
