/* upstream_conn.c — reaching a target through an upstream proxy (libuv).
 *
 * One struct upstream_connect per attempt, one state enum in protocol
 * order, one deadline timer for the whole attempt. Every outgoing message
 * is built at start, so the struct upstream need not outlive the call.
 *
 * Teardown: the connect owns at most one resolve, one dial, the socket,
 * the timer and one write in flight. finish() cancels the resolve and the
 * dial (neither calls back afterwards), closes the timer and (on failure)
 * the socket — their close callbacks only free the handle — and detaches
 * the write, whose callback then only frees itself. So the struct can be
 * freed at once, with no callback left that could reach it.
 *
 * The SOCKS5 codec (net/socks5.h) sits in net/ rather than proxy/, where
 * DESIGN §2 lists it: both this client and the proxy's SOCKS5 server use
 * it, and net/ may not include proxy/ headers. */
#include "net/upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "net/dial.h"
#include "net/resolve.h"
#include "net/socks5.h"

#define UC_WHY_MAX 512

enum uc_state {
	UC_RESOLVING,
	UC_DIALING,
	UC_HTTP_CONNECT,   /* CONNECT sent, reading the head */
	UC_SOCKS_METHOD,   /* greeting sent, reading VER METHOD */
	UC_SOCKS_AUTH,     /* RFC 1929 login sent, reading VER STATUS */
	UC_SOCKS_REPLY,    /* request sent, reading the reply */
};

struct uc_write {
	uv_write_t w;
	struct upstream_connect *uc; /* NULL once the connect is gone */
	size_t n;
	char data[];
};

struct upstream_connect {
	uv_loop_t *loop;
	enum uc_state state;
	enum upstream_scheme scheme;
	enum upstream_kind kind;
	char *host;         /* the upstream proxy's host */
	uint16_t port;      /* the upstream proxy's port */
	char label[300];    /* e.g. http://127.0.0.1:3128, for messages */
	char target[300];   /* host:port we are reaching, for messages */
	bool has_user;
	struct buf first;   /* CONNECT request, or SOCKS5 greeting */
	struct buf login;   /* RFC 1929 message (secret) */
	struct buf request; /* SOCKS5 CONNECT request */
	struct resolve_req *resolve;
	struct dial *dial;
	uv_tcp_t *tcp;
	uv_timer_t *timer;
	struct uc_write *write;
	uint64_t deadline;  /* uv_now() value */
	int timeout_ms;
	char in[UPSTREAM_HEAD_MAX];
	size_t n_in;
	upstream_connect_cb *cb;
	void *arg;
};

/* --- teardown ------------------------------------------------------------- */

static void
free_handle(uv_handle_t *h)
{
	free(h);
}

static void
uc_free(struct upstream_connect *uc)
{
	free(uc->host);
	buf_release(&uc->first);
	if (uc->login.p != NULL)
		explicit_bzero(uc->login.p, uc->login.len);
	buf_release(&uc->login);
	buf_release(&uc->request);
	free(uc);
}

/* Releases everything but the socket; returns the socket (or NULL). */
static uv_tcp_t *
uc_teardown(struct upstream_connect *uc)
{
	uv_tcp_t *tcp = uc->tcp;

	if (uc->resolve != NULL)
		resolve_cancel(uc->resolve);
	if (uc->dial != NULL)
		dial_cancel(uc->dial);
	if (uc->write != NULL)
		uc->write->uc = NULL;
	uv_close((uv_handle_t *)uc->timer, free_handle);
	uc->resolve = NULL;
	uc->dial = NULL;
	uc->write = NULL;
	uc->timer = NULL;
	uc->tcp = NULL;
	if (tcp != NULL)
		uv_read_stop((uv_stream_t *)tcp);
	return tcp;
}

static void
close_tcp(uv_tcp_t *tcp)
{
	if (tcp != NULL)
		uv_close((uv_handle_t *)tcp, free_handle);
}

void
upstream_connect_cancel(struct upstream_connect *uc)
{
	if (uc == NULL)
		return;
	close_tcp(uc_teardown(uc));
	uc_free(uc);
}

static void
uc_fail(struct upstream_connect *uc, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
uc_fail(struct upstream_connect *uc, int status, const char *fmt, ...)
{
	char why[UC_WHY_MAX + 320], detail[UC_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(why, sizeof(why), "upstream proxy %s: %s", uc->label, detail);
	close_tcp(uc_teardown(uc));
	uc->cb(uc->arg, NULL, NULL, 0, status, why);
	uc_free(uc);
}

/* Hands the socket over with in[skip..n_in) as pre-read bytes. */
static void
uc_succeed(struct upstream_connect *uc, size_t skip)
{
	uv_tcp_t *tcp = uc_teardown(uc);

	tcp->data = NULL;
	uc->cb(uc->arg, tcp, uc->in + skip, uc->n_in - skip, 0, NULL);
	uc_free(uc);
}

/* --- deadline ----------------------------------------------------------------- */

static int
remaining_ms(struct upstream_connect *uc)
{
	uint64_t now = uv_now(uc->loop);

	return now >= uc->deadline ? 1 : (int)(uc->deadline - now);
}

static void
on_deadline(uv_timer_t *t)
{
	struct upstream_connect *uc = t->data;

	uc_fail(uc, UV_ETIMEDOUT, "timed out after %d ms", uc->timeout_ms);
}

/* --- writing and reading --------------------------------------------------------- */

static void
on_written(uv_write_t *w, int status)
{
	struct uc_write *wr = (struct uc_write *)w;
	struct upstream_connect *uc = wr->uc;

	explicit_bzero(wr->data, wr->n);
	free(wr);
	if (uc == NULL)
		return;
	uc->write = NULL;
	if (status < 0)
		uc_fail(uc, status, "write failed: %s", uv_strerror(status));
}

/* Sends b; the next message is only sent after the answer to this one,
 * so at most one write is in flight. -1 when it failed: uc is gone. */
static int
uc_send(struct upstream_connect *uc, const struct buf *b)
{
	struct uc_write *wr = xmalloc(sizeof(*wr) + b->len);
	uv_buf_t ub;
	int rc;

	wr->uc = uc;
	wr->n = b->len;
	memcpy(wr->data, b->p, b->len);
	ub = uv_buf_init(wr->data, (unsigned)b->len);
	rc = uv_write(&wr->w, (uv_stream_t *)uc->tcp, &ub, 1, on_written);
	if (rc != 0) {
		explicit_bzero(wr->data, wr->n);
		free(wr);
		uc_fail(uc, rc, "write failed: %s", uv_strerror(rc));
		return -1;
	}
	uc->write = wr;
	return 0;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct upstream_connect *uc = h->data;

	(void)hint;
	*b = uv_buf_init(uc->in + uc->n_in,
			 (unsigned)(sizeof(uc->in) - uc->n_in));
}

/* Drops the first n bytes of the input (a message that was handled). */
static void
consume(struct upstream_connect *uc, size_t n)
{
	memmove(uc->in, uc->in + n, uc->n_in - n);
	uc->n_in -= n;
}

/* --- HTTP CONNECT ---------------------------------------------------------------- */

/* Returns 1 when the connect finished (either way), 0 for more bytes. */
static int
http_step(struct upstream_connect *uc)
{
	size_t line_len = 0;
	int status = 0;
	int n = upstream_parse_connect_reply(uc->in, uc->n_in, &status,
					     &line_len);

	if (n < 0) {
		uc_fail(uc, UV_EPROTO, "CONNECT %s: not an HTTP response",
			uc->target);
		return 1;
	}
	if (n == 0) {
		if (uc->n_in < sizeof(uc->in))
			return 0;
		uc_fail(uc, UV_EPROTO, "CONNECT %s: response head over %d bytes",
			uc->target, UPSTREAM_HEAD_MAX);
		return 1;
	}
	if (status >= 200 && status <= 299) {
		uc_succeed(uc, (size_t)n);
		return 1;
	}
	/* tinyproxy answers a bad login with 401, not 407. */
	uc_fail(uc, status == 407 || status == 401 ? UV_EACCES : UV_EPROTO,
		"CONNECT %s refused: %.*s", uc->target,
		(int)(line_len > 200 ? 200 : line_len), uc->in);
	return 1;
}

/* --- SOCKS5 ---------------------------------------------------------------------- */

static int
socks_status(unsigned char rep)
{
	switch (rep) {
	case SOCKS5_REP_NOT_ALLOWED: return UV_EACCES;
	case SOCKS5_REP_NET_UNREACHABLE: return UV_ENETUNREACH;
	case SOCKS5_REP_HOST_UNREACHABLE: return UV_EHOSTUNREACH;
	case SOCKS5_REP_CONN_REFUSED: return UV_ECONNREFUSED;
	case SOCKS5_REP_TTL_EXPIRED: return UV_ETIMEDOUT;
	default: return UV_EPROTO;
	}
}

static int
socks_method(struct upstream_connect *uc)
{
	unsigned char method = 0;
	int n = socks5_parse_method_reply(uc->in, uc->n_in, &method);

	if (n == 0)
		return 0;
	if (n < 0) {
		uc_fail(uc, UV_EPROTO, "not a SOCKS5 server");
		return 1;
	}
	consume(uc, (size_t)n);
	if (method == SOCKS5_METHOD_USERPASS && uc->has_user) {
		uc->state = UC_SOCKS_AUTH;
		return uc_send(uc, &uc->login) == -1;
	} else if (method == SOCKS5_METHOD_NOAUTH) {
		uc->state = UC_SOCKS_REPLY;
		return uc_send(uc, &uc->request) == -1;
	} else {
		uc_fail(uc, UV_EACCES, "%s",
			uc->has_user ? "no acceptable authentication method"
				     : "authentication required");
		return 1;
	}
	return 0;
}

static int
socks_auth(struct upstream_connect *uc)
{
	unsigned char status = 0;
	int n = socks5_parse_userpass_reply(uc->in, uc->n_in, &status);

	if (n == 0)
		return 0;
	if (n < 0 || status != 0) {
		uc_fail(uc, UV_EACCES, "authentication failed");
		return 1;
	}
	consume(uc, (size_t)n);
	uc->state = UC_SOCKS_REPLY;
	return uc_send(uc, &uc->request) == -1;
}

static int
socks_reply(struct upstream_connect *uc)
{
	struct socks5_reply r;
	int n = socks5_parse_reply(uc->in, uc->n_in, &r);

	if (n == 0)
		return 0;
	if (n < 0) {
		uc_fail(uc, UV_EPROTO, "CONNECT %s: bad SOCKS5 reply",
			uc->target);
		return 1;
	}
	if (r.rep != SOCKS5_REP_SUCCEEDED) {
		uc_fail(uc, socks_status(r.rep), "CONNECT %s refused: %s",
			uc->target, socks5_rep_str(r.rep));
		return 1;
	}
	uc_succeed(uc, (size_t)n);
	return 1;
}

/* Handles the answer to the message in flight. The upstream cannot
 * answer a message before it has it, so one step per read is enough; the
 * steps free uc when they finish the connect. */
static void
uc_advance(struct upstream_connect *uc)
{
	switch (uc->state) {
	case UC_HTTP_CONNECT: http_step(uc); break;
	case UC_SOCKS_METHOD: socks_method(uc); break;
	case UC_SOCKS_AUTH: socks_auth(uc); break;
	case UC_SOCKS_REPLY: socks_reply(uc); break;
	case UC_RESOLVING:
	case UC_DIALING: break;
	}
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct upstream_connect *uc = s->data;

	(void)b;
	if (n == 0)
		return;
	if (n < 0) {
		uc_fail(uc, n == UV_EOF ? UV_EPROTO : (int)n,
			"connection closed during the handshake%s%s",
			n == UV_EOF ? "" : ": ",
			n == UV_EOF ? "" : uv_strerror((int)n));
		return;
	}
	uc->n_in += (size_t)n;
	uc_advance(uc);
}

/* --- dialing ------------------------------------------------------------------------ */

static void
on_dialed(void *arg, uv_tcp_t *tcp, int status)
{
	struct upstream_connect *uc = arg;

	uc->dial = NULL;
	if (tcp == NULL) {
		uc_fail(uc, status, "%s", uv_strerror(status));
		return;
	}
	uc->tcp = tcp;
	tcp->data = uc;
	if (uc->scheme == UPSTREAM_HTTP && uc->kind == UPSTREAM_HTTP_FORWARD) {
		uc_succeed(uc, 0);
		return;
	}
	uc->state = uc->scheme == UPSTREAM_HTTP ? UC_HTTP_CONNECT
						: UC_SOCKS_METHOD;
	if (uc_send(uc, &uc->first) == -1)
		return;
	status = uv_read_start((uv_stream_t *)tcp, on_alloc, on_read);
	if (status != 0)
		uc_fail(uc, status, "%s", uv_strerror(status));
}

static void
uc_dial(struct upstream_connect *uc, const struct sockaddr_storage *addrs,
	size_t n)
{
	uc->state = UC_DIALING;
	uc->dial = dial_start(uc->loop, addrs, n, uc->port, remaining_ms(uc),
			      on_dialed, uc);
	if (uc->dial == NULL)
		uc_fail(uc, UV_EAI_NONAME, "no address to dial");
}

static void
on_resolved(void *arg, int status, const struct resolve_result *res,
	    const char *why)
{
	struct upstream_connect *uc = arg;

	uc->resolve = NULL;
	if (status != 0) {
		uc_fail(uc, UV_EAI_NONAME, "%s", why);
		return;
	}
	uc_dial(uc, res->addrs, res->n);
}

/* An IP-literal upstream needs no lookup: fills *ss and returns 0. */
static int
literal_addr(const char *host, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

/* --- the messages ------------------------------------------------------------------- */

static int
build_http(struct upstream_connect *uc, const struct upstream *u)
{
	char *auth = upstream_proxy_authorization(u);
	int rc;

	rc = buf_printf(&uc->first, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n",
			uc->target, uc->target);
	if (rc == 0 && auth != NULL)
		rc = buf_printf(&uc->first, "Proxy-Authorization: %s\r\n",
				auth);
	if (rc == 0)
		rc = buf_addstr(&uc->first, "\r\n");
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	return rc;
}

static int
build_socks(struct upstream_connect *uc, const struct upstream *u,
	    const char *host, uint16_t port,
	    const struct sockaddr_storage *vetted, size_t n_vetted)
{
	static const unsigned char noauth[] = {SOCKS5_METHOD_NOAUTH};
	static const unsigned char both[] = {SOCKS5_METHOD_NOAUTH,
					     SOCKS5_METHOD_USERPASS};
	char msg[SOCKS5_USERPASS_MAX];
	struct socks5_addr a;
	size_t n;

	n = uc->has_user ? socks5_encode_greeting(both, 2, msg, sizeof(msg))
			 : socks5_encode_greeting(noauth, 1, msg, sizeof(msg));
	if (n == 0 || buf_add(&uc->first, msg, n) == -1)
		return -1;
	if (uc->has_user) {
		n = socks5_encode_userpass(u->user, strlen(u->user), u->pass,
					   strlen(u->pass), msg, sizeof(msg));
		if (n == 0 || buf_add(&uc->login, msg, n) == -1)
			return -1;
		explicit_bzero(msg, sizeof(msg));
	}
	if (u->scheme == UPSTREAM_SOCKS5H) {
		socks5_addr_domain(&a, host, strlen(host), port);
	} else {
		if (n_vetted == 0 ||
		    socks5_addr_from_sockaddr(&a, (const struct sockaddr *)
						      &vetted[0]) == -1)
			return -1;
		a.port = port;
	}
	n = socks5_encode_request(SOCKS5_CMD_CONNECT, &a, msg, sizeof(msg));
	if (n == 0 || buf_add(&uc->request, msg, n) == -1)
		return -1;
	return 0;
}

static struct upstream_connect *
uc_new(uv_loop_t *loop, const struct upstream *u, const char *host,
       uint16_t port, enum upstream_kind kind, int timeout_ms)
{
	struct upstream_connect *uc = xcalloc(1, sizeof(*uc));
	bool v6 = strchr(host, ':') != NULL;

	uc->loop = loop;
	uc->scheme = u->scheme;
	uc->kind = kind;
	uc->host = xstrdup(u->host);
	uc->port = u->port;
	uc->has_user = u->user != NULL;
	uc->timeout_ms = timeout_ms;
	upstream_label(u, uc->label, sizeof(uc->label));
	snprintf(uc->target, sizeof(uc->target), "%s%s%s:%u", v6 ? "[" : "",
		 host, v6 ? "]" : "", (unsigned)port);
	buf_init(&uc->first, 8192);
	buf_init(&uc->login, SOCKS5_USERPASS_MAX);
	buf_init(&uc->request, SOCKS5_REQUEST_MAX);
	return uc;
}

struct upstream_connect *
upstream_connect_start(uv_loop_t *loop, const struct upstream *u,
		       const char *host, uint16_t port,
		       const struct sockaddr_storage *vetted, size_t n_vetted,
		       enum upstream_kind kind, int timeout_ms,
		       upstream_connect_cb *cb, void *arg)
{
	struct upstream_connect *uc;
	struct sockaddr_storage ss;
	int rc;

	if (strlen(host) > 255)
		return NULL;
	uc = uc_new(loop, u, host, port, kind, timeout_ms);
	uc->cb = cb;
	uc->arg = arg;
	rc = u->scheme == UPSTREAM_HTTP
		     ? build_http(uc, u)
		     : build_socks(uc, u, host, port, vetted, n_vetted);
	if (rc == -1) {
		uc_free(uc);
		return NULL;
	}
	uc->deadline = uv_now(loop) + (uint64_t)timeout_ms;
	uc->timer = xcalloc(1, sizeof(*uc->timer));
	uv_timer_init(loop, uc->timer);
	uc->timer->data = uc;
	uv_timer_start(uc->timer, on_deadline, (uint64_t)timeout_ms, 0);
	if (literal_addr(uc->host, &ss) == 0) {
		uc_dial(uc, &ss, 1);
		return uc;
	}
	uc->state = UC_RESOLVING;
	uc->resolve = resolve_start(loop, uc->host, uc->port,
				    timeout_ms < RESOLVE_TIMEOUT_MS
					    ? timeout_ms
					    : RESOLVE_TIMEOUT_MS,
				    on_resolved, uc);
	return uc;
}
