/* socks5_server.c — the SOCKS5 listener of the managed proxy (DESIGN §4.4,
 * §5; reference §9).
 *
 * One struct s5_conn per accepted connection, one state enum, one switch:
 *
 *   GREETING → REQUEST → DECIDING → CONNECTING → RELAY → CLOSING
 *                               └─→ UDP (ASSOCIATE) ───────┘
 *
 * Only the no-auth method is offered. CONNECT is decided on the host as
 * the client wrote it (a domain is judged by name, then resolved once by
 * proxy_decide_start); the connection dials exactly the vetted addresses
 * and hands both sockets to a tunnel (tunnel.h), the success reply riding
 * along as the first bytes to the client; in limited mode a connect to
 * 443 becomes an intercepted HTTP client connection (client.h). The one
 * timer takes its deadlines from deadline.h's table: the greeting and
 * request share HEAD; deciding has none (the decision bounds itself);
 * connecting has CONNECT (dial enforces connect_timeout_ms; the timer is a
 * backstop); the relay enforces idle_timeout_ms itself, and a UDP
 * association ends after TRANSFER (idle_timeout_ms) without a datagram
 * either way.
 *
 * Death: conn_close() cancels whatever is in flight and closes the handles
 * the conn still owns; the conn is freed when the last close callback ran
 * and no tunnel is left (the relay owns the client socket once started
 * and reports through the tunnel's done callback). Failure replies are written with a request
 * of their own and the close waits for their callback (uv_close would
 * cancel them). */
#include "proxy/proxy_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/dial.h"
#include "net/listen.h"
#include "net/socks5.h"
#include "net/stream.h"
#include "proxy/client.h"
#include "proxy/deadline.h"
#include "proxy/mitm.h"
#include "proxy/socks5_udp.h"
#include "proxy/tunnel.h"

/* A greeting (≤ 257 bytes) plus a request (≤ 262) always fits; what a
 * client sends early after its request is kept for the tunnel up to the
 * rest of the buffer, then reading pauses until the relay starts. */
#define S5_INBUF 600

enum s5_state {
	S5_ST_GREETING,
	S5_ST_REQUEST,
	S5_ST_DECIDING,
	S5_ST_CONNECTING,
	S5_ST_RELAY,
	S5_ST_UDP,
	S5_ST_CLOSING,
};

struct s5_conn {
	struct proxy_conn pc;	/* first: the hooks get this back */
	struct proxy *p;
	struct proxy_state *s;	/* taken at the request */
	enum s5_state st;
	bool admitted;		/* false: over the cap, refuse the request */
	bool reply_pending;	/* the client closes after a reply's write */
	int handles;		/* client socket and timer, until closed */
	uv_tcp_t *client;	/* NULL once the relay owns it */
	uv_timer_t timer;
	struct proxy_decide *dec;
	struct dial *dial;
	struct upstream_connect *up;
	struct tunnel *tunnel;
	struct socks5_udp *udp;
	char in[S5_INBUF];
	size_t n_in;
	size_t req_len;		/* greeting + request bytes consumed */
	char host[HOST_TEXT_MAX];
	uint16_t port;
	char peer[64];
};

struct s5_write {
	uv_write_t req;
	struct s5_conn *c;
	bool close_after;
	char data[SOCKS5_REQUEST_MAX];
};

static void conn_close(struct s5_conn *c);
static void on_deadline(uv_timer_t *t);

/* --- life cycle ------------------------------------------------------------ */

static void
conn_maybe_free(struct s5_conn *c)
{
	if (c->handles > 0 || c->tunnel != NULL)
		return;
	if (c->admitted)
		proxy_conn_release(c->p, &c->pc);
	proxy_state_unref(c->s);
	free(c);
}

static void
on_client_closed(uv_handle_t *h)
{
	struct s5_conn *c = h->data;

	free(h);
	c->handles--;
	conn_maybe_free(c);
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct s5_conn *c = h->data;

	c->handles--;
	conn_maybe_free(c);
}

/* The one death path; safe to call more than once. */
static void
conn_close(struct s5_conn *c)
{
	if (c->st == S5_ST_CLOSING)
		return;
	c->st = S5_ST_CLOSING;
	proxy_decide_cancel(c->dec);
	c->dec = NULL;
	dial_cancel(c->dial);
	c->dial = NULL;
	upstream_connect_cancel(c->up);
	c->up = NULL;
	socks5_udp_close(c->udp);
	c->udp = NULL;
	tunnel_stop(c->tunnel);
	if (c->client != NULL && !c->reply_pending) {
		uv_close((uv_handle_t *)c->client, on_client_closed);
		c->client = NULL;
	}
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static void
on_drain(struct proxy_conn *pc)
{
	struct s5_conn *c = (struct s5_conn *)pc;

	if (c->st == S5_ST_GREETING || c->st == S5_ST_REQUEST)
		conn_close(c);
}

static void
on_kill(struct proxy_conn *pc)
{
	conn_close((struct s5_conn *)pc);
}

/* --- writing ------------------------------------------------------------- */

static void
on_written(uv_write_t *req, int status)
{
	struct s5_write *w = (struct s5_write *)req;
	struct s5_conn *c = w->c;

	(void)status;
	if (w->close_after && c->client != NULL) {
		c->reply_pending = false;
		uv_close((uv_handle_t *)c->client, on_client_closed);
		c->client = NULL;
	}
	free(w);
}

/* Writes n bytes to the client; with close_after the connection closes
 * once they are out (or failed). */
static void
conn_send(struct s5_conn *c, const char *p, size_t n, bool close_after)
{
	struct s5_write *w;
	uv_buf_t b;

	if (c->client == NULL || n > sizeof(w->data)) {
		conn_close(c);
		return;
	}
	w = xmalloc(sizeof(*w));
	w->c = c;
	w->close_after = close_after;
	memcpy(w->data, p, n);
	b = uv_buf_init(w->data, (unsigned)n);
	if (uv_write(&w->req, (uv_stream_t *)c->client, &b, 1, on_written) != 0) {
		free(w);
		conn_close(c);
		return;
	}
	if (close_after) {
		c->reply_pending = true;
		uv_read_stop((uv_stream_t *)c->client);
		conn_close(c);
	}
}

/* Answers the request with rep (and bnd, or 0.0.0.0:0) and closes. */
static void
conn_fail(struct s5_conn *c, unsigned char rep)
{
	char out[SOCKS5_REQUEST_MAX];
	size_t n = socks5_encode_reply(rep, NULL, out, sizeof(out));

	log_debug("socks5 %s: %s:%u: %s", c->peer, c->host, c->port,
		  socks5_rep_str(rep));
	conn_send(c, out, n, true);
}

static void
conn_deadline(struct s5_conn *c, enum deadline_wait w)
{
	uint64_t ms = deadline_ms(w, c->s);

	uv_timer_stop(&c->timer);
	if (ms > 0)
		uv_timer_start(&c->timer, on_deadline, ms, 0);
}

/* --- relay --------------------------------------------------------------- */

static void
on_tunnel_done(void *arg)
{
	struct s5_conn *c = arg;

	c->tunnel = NULL;
	conn_close(c);
	conn_maybe_free(c);
}

/* Replies success (with the local address of the outbound socket) and
 * hands both sockets to a tunnel. pre[0..n_pre) are destination bytes an
 * upstream proxy already sent; they follow the reply. */
static void
start_relay(struct s5_conn *c, uv_tcp_t *up, const char *pre, size_t n_pre)
{
	struct sockaddr_storage ss;
	struct socks5_addr bnd;
	char out[SOCKS5_REQUEST_MAX + UPSTREAM_HEAD_MAX];
	struct tunnel_opts o = {0};
	int len = sizeof(ss);
	size_t n;

	memset(&ss, 0, sizeof(ss));
	if (uv_tcp_getsockname(up, (struct sockaddr *)&ss, &len) != 0 ||
	    socks5_addr_from_sockaddr(&bnd, (struct sockaddr *)&ss) == -1)
		socks5_addr_ip(&bnd, SOCKS5_ATYP_IPV4,
			       (const unsigned char *)"\0\0\0\0", 0);
	n = socks5_encode_reply(SOCKS5_REP_SUCCEEDED, &bnd, out,
				SOCKS5_REQUEST_MAX);
	if (n_pre > sizeof(out) - n)
		n_pre = sizeof(out) - n; /* cannot happen: heads are capped */
	if (n_pre > 0)
		memcpy(out + n, pre, n_pre);
	c->st = S5_ST_RELAY;
	uv_timer_stop(&c->timer);
	o.px = c->p;
	o.st = c->s;
	o.host = c->host;
	o.port = c->port;
	o.protocol = "socks5_tcp";
	o.peer = c->peer;
	o.pre_up = c->in + c->req_len;
	o.n_up = c->n_in - c->req_len;
	o.pre_down = out;
	o.n_down = n + n_pre;
	c->tunnel = tunnel_start(&o, c->client, up, on_tunnel_done, c);
	c->client = NULL;
	c->handles--;	/* the relay closes and frees the client socket */
}

static void
on_dialed(void *arg, uv_tcp_t *up, int status)
{
	struct s5_conn *c = arg;

	c->dial = NULL;
	if (status != 0) {
		c->p->m.upstream_errors++;
		log_info("socks5 %s: connect %s:%u: %s", c->peer, c->host,
			 c->port, uv_strerror(status));
		conn_fail(c, socks5_rep_from_errno(status));
		return;
	}
	start_relay(c, up, NULL, 0);
}

static void
on_upstream(void *arg, uv_tcp_t *up, const char *pre, size_t n_pre,
	    int status, const char *why)
{
	struct s5_conn *c = arg;

	c->up = NULL;
	if (up == NULL) {
		c->p->m.upstream_errors++;
		log_info("socks5 %s: %s", c->peer, why);
		conn_fail(c, socks5_rep_from_errno(status));
		return;
	}
	start_relay(c, up, pre, n_pre);
}

/* Reaches host:port through the upstream proxy the state selects (policy
 * was applied exactly as without one), else dials the vetted addresses. */
static void
reach(struct s5_conn *c, const struct resolve_result *addrs)
{
	const struct upstream *u = upstream_select(&c->s->upstream, c->host, true);

	if (u != NULL) {
		c->up = upstream_connect_start(
			c->p->loop, u, c->host, c->port, addrs->addrs, addrs->n,
			UPSTREAM_TUNNEL, (int)c->s->connect_timeout_ms,
			on_upstream, c);
		if (c->up != NULL)
			return;
	}
	c->dial = dial_start(c->p->loop, addrs->addrs, addrs->n, c->port,
			     (int)c->s->connect_timeout_ms, on_dialed, c);
	if (c->dial == NULL)
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE);
}

/* --- interception ------------------------------------------------------------ */

/* Limited mode: a connect to 443 is intercepted (mitm.h): the client
 * socket becomes an HTTP client connection inside TLS (client.h); the
 * success reply rides ahead of the TLS handshake. */
static void
start_mitm(struct s5_conn *c, bool approved)
{
	char out[SOCKS5_REQUEST_MAX];
	struct socks5_addr bnd;
	struct errbuf err;
	struct stream *s;
	size_t n;

	errbuf_init(&err);
	if (mitm_prepare(c->p, &err) == -1) {
		log_warn("socks5 %s: %s", c->peer, errbuf_first(&err));
		errbuf_release(&err);
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE);
		return;
	}
	errbuf_release(&err);
	socks5_addr_ip(&bnd, SOCKS5_ATYP_IPV4, (const unsigned char *)"\0\0\0\0",
		       0);
	n = socks5_encode_reply(SOCKS5_REP_SUCCEEDED, &bnd, out, sizeof(out));
	uv_read_stop((uv_stream_t *)c->client);
	/* Our slot goes to the client connection that takes over. */
	proxy_conn_release(c->p, &c->pc);
	s = stream_tcp_new(c->p->loop, c->client);
	if (client_intercept(c->p, s, c->host, c->port, approved,
			     c->in + c->req_len, c->n_in - c->req_len, out, n,
			     c->peer) == -1) {
		stream_close(s); /* over the cap meanwhile */
	}
	c->client = NULL;
	c->handles--; /* the stream owns the socket now */
	conn_close(c);
}

/* --- deciding --------------------------------------------------------------- */

static void
on_decided(void *arg, const struct policy_decision *d,
	   const struct resolve_result *addrs, const char *why)
{
	struct s5_conn *c = arg;

	c->dec = NULL;
	if (d == NULL) {
		log_info("socks5 %s: %s", c->peer, why ? why : "resolve failed");
		conn_fail(c, SOCKS5_REP_HOST_UNREACHABLE);
		return;
	}
	if (!policy_allowed(d) || addrs == NULL || addrs->n == 0) {
		conn_fail(c, SOCKS5_REP_NOT_ALLOWED);
		return;
	}
	/* From here on, exactly what was judged: the normalized host and
	 * its port (dial, upstream, interception, the tunnel's record). */
	snprintf(c->host, sizeof(c->host), "%s", d->host.text);
	c->port = (uint16_t)d->port;
	if (d->mitm) {
		start_mitm(c, d->approved);
		return;
	}
	c->st = S5_ST_CONNECTING;
	conn_deadline(c, DL_CONNECT);
	reach(c, addrs);
}

/* The proxy is off: refuse, and record it as the reference does. */
static void
record_disabled(struct s5_conn *c, const char *protocol)
{
	proxy_record_disabled(c->p, c->host, c->port, protocol, NULL, c->peer);
}

static void
start_connect(struct s5_conn *c)
{
	struct policy_request r = {0};
	struct proxy_decide *x;

	if (!c->s->enabled) {
		record_disabled(c, "socks5_tcp");
		conn_fail(c, SOCKS5_REP_NOT_ALLOWED);
		return;
	}
	r.host = c->host;
	r.port = c->port;
	r.protocol = POLICY_PROTO_SOCKS5_TCP;
	r.method = NULL;
	c->st = S5_ST_DECIDING;
	conn_deadline(c, DL_DECIDE);
	x = proxy_decide_start(c->p, c->s, &r, c->peer, on_decided, c);
	if (x != NULL)
		c->dec = x;
	if (proxy_decide_wait_ms(x) > 0) /* a person is asked */
		conn_deadline(c, DL_APPROVAL);
}

static void
start_udp(struct s5_conn *c)
{
	struct sockaddr_storage local, peer, bound;
	struct socks5_addr bnd;
	char out[SOCKS5_REQUEST_MAX];
	int ll = sizeof(local), pl = sizeof(peer), err = 0;
	size_t n;

	if (!c->s->enabled) {
		record_disabled(c, "socks5_udp");
		conn_fail(c, SOCKS5_REP_NOT_ALLOWED);
		return;
	}
	memset(&local, 0, sizeof(local));
	memset(&peer, 0, sizeof(peer));
	if (uv_tcp_getsockname(c->client, (struct sockaddr *)&local, &ll) != 0 ||
	    uv_tcp_getpeername(c->client, (struct sockaddr *)&peer, &pl) != 0) {
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE);
		return;
	}
	c->udp = socks5_udp_start(c->p, c->s, &local, &peer, c->port, c->peer,
				  &bound, &err);
	if (c->udp == NULL ||
	    socks5_addr_from_sockaddr(&bnd, (struct sockaddr *)&bound) == -1) {
		log_warn("socks5 %s: udp associate: %s", c->peer,
			 uv_strerror(err));
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE);
		return;
	}
	n = socks5_encode_reply(SOCKS5_REP_SUCCEEDED, &bnd, out, sizeof(out));
	c->st = S5_ST_UDP;
	conn_deadline(c, DL_TRANSFER);
	conn_send(c, out, n, false);
}

/* --- parsing ------------------------------------------------------------- */

/* Copies the destination into c->host / c->port as policy text. */
static void
take_dst(struct s5_conn *c, const struct socks5_addr *a)
{
	char ip[INET6_ADDRSTRLEN];

	c->port = a->port;
	if (a->atyp == SOCKS5_ATYP_DOMAIN) {
		snprintf(c->host, sizeof(c->host), "%.*s", (int)a->host.n,
			 a->host.p);
	} else if (a->atyp == SOCKS5_ATYP_IPV4) {
		inet_ntop(AF_INET, a->ip, ip, sizeof(ip));
		snprintf(c->host, sizeof(c->host), "%s", ip);
	} else {
		inet_ntop(AF_INET6, a->ip, ip, sizeof(ip));
		snprintf(c->host, sizeof(c->host), "[%s]", ip);
	}
}

/* Greeting: answers no-auth or 0xFF. Returns 1 to go on parsing, 0 to
 * wait for more bytes, -1 when the connection is done. */
static int
step_greeting(struct s5_conn *c)
{
	struct socks5_greeting g;
	char out[2];
	int rc = socks5_parse_greeting(c->in, c->n_in, &g);

	if (rc == SOCKS5_INCOMPLETE)
		return 0;
	if (rc < 0) {
		conn_close(c);
		return -1;
	}
	if (!g.offers_noauth) {
		socks5_encode_method_reply(SOCKS5_METHOD_NONE_ACCEPTABLE, out,
					   sizeof(out));
		conn_send(c, out, 2, true);
		return -1;
	}
	socks5_encode_method_reply(SOCKS5_METHOD_NOAUTH, out, sizeof(out));
	c->req_len = (size_t)rc;
	c->st = S5_ST_REQUEST;
	/* A send that fails closes the connection: it must stay closed. */
	conn_send(c, out, 2, false);
	return c->st == S5_ST_REQUEST ? 1 : -1;
}

static int
step_request(struct s5_conn *c)
{
	struct socks5_request r;
	int rc = socks5_parse_request(c->in + c->req_len, c->n_in - c->req_len,
				      &r);

	if (rc == SOCKS5_INCOMPLETE)
		return 0;
	if (rc == SOCKS5_EVERSION) {
		conn_close(c);
		return -1;
	}
	if (rc < 0) {
		conn_fail(c, socks5_rep_for_error(rc));
		return -1;
	}
	c->req_len += (size_t)rc;
	take_dst(c, &r.dst);
	if (!c->admitted) {
		conn_fail(c, SOCKS5_REP_GENERAL_FAILURE);
		return -1;
	}
	c->s = proxy_state_ref(c->p);
	if (r.cmd == SOCKS5_CMD_CONNECT)
		start_connect(c);
	else if (r.cmd != SOCKS5_CMD_UDP_ASSOCIATE || !c->s->enable_socks5_udp)
		conn_fail(c, SOCKS5_REP_CMD_NOT_SUPPORTED);
	else if (r.dst.atyp == SOCKS5_ATYP_DOMAIN)
		conn_fail(c, SOCKS5_REP_ATYP_NOT_SUPPORTED);
	else
		start_udp(c);
	return -1;
}

/* Runs the state machine over the bytes in c->in. */
static void
conn_advance(struct s5_conn *c)
{
	int rc = 1;

	while (rc > 0) {
		switch (c->st) {
		case S5_ST_GREETING:
			rc = step_greeting(c);
			break;
		case S5_ST_REQUEST:
			rc = step_request(c);
			break;
		case S5_ST_DECIDING:
		case S5_ST_CONNECTING:
			/* Early tunnel bytes wait in c->in; once it is full,
			 * the client waits for the relay. */
			if (c->n_in == sizeof(c->in))
				uv_read_stop((uv_stream_t *)c->client);
			rc = 0;
			break;
		case S5_ST_UDP:
			/* The control connection carries nothing more. */
			c->n_in = c->req_len;
			rc = 0;
			break;
		case S5_ST_RELAY:
		case S5_ST_CLOSING:
			rc = 0;
			break;
		}
	}
}

/* --- reading and deadlines ------------------------------------------------ */

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct s5_conn *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->in + c->n_in, (unsigned)(sizeof(c->in) - c->n_in));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct s5_conn *c = s->data;

	(void)b;
	if (nread == 0 || c->st == S5_ST_CLOSING || c->reply_pending)
		return;
	if (nread < 0) {
		/* EOF or error, or a full buffer before a whole request
		 * (UV_ENOBUFS; cannot happen with S5_INBUF ≥ 519). */
		conn_close(c);
		return;
	}
	c->n_in += (size_t)nread;
	conn_advance(c);
}

static void
on_deadline(uv_timer_t *t)
{
	struct s5_conn *c = t->data;

	if (c->st == S5_ST_UDP && c->udp != NULL) {
		uint64_t quiet = uv_now(c->p->loop) -
				 socks5_udp_last_activity(c->udp);

		if (quiet < c->s->idle_timeout_ms) {
			uv_timer_start(&c->timer, on_deadline,
				       c->s->idle_timeout_ms - quiet, 0);
			return;
		}
	}
	log_debug("socks5 %s: deadline passed in state %d", c->peer, (int)c->st);
	conn_close(c);
}

void
socks5_server_accept(uv_stream_t *listener, int status)
{
	struct proxy *p = listener->data;
	struct s5_conn *c;

	if (status != 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->p = p;
	c->pc.drain = on_drain;
	c->pc.kill = on_kill;
	c->client = xmalloc(sizeof(*c->client));
	uv_tcp_init(p->loop, c->client);
	c->client->data = c;
	uv_timer_init(p->loop, &c->timer);
	c->timer.data = c;
	c->handles = 2;
	c->st = S5_ST_GREETING;
	c->admitted = proxy_conn_admit(p, &c->pc);
	if (uv_accept(listener, (uv_stream_t *)c->client) != 0) {
		conn_close(c);
		return;
	}
	listen_peer(c->client, c->peer, sizeof(c->peer));
	uv_timer_start(&c->timer, on_deadline,
		       deadline_ms(DL_HEAD, p->state), 0);
	if (uv_read_start((uv_stream_t *)c->client, on_alloc, on_read) != 0)
		conn_close(c);
}
