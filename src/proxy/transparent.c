/* transparent.c — the transparent listener: connections that the rules in
 * the sandbox's network namespace redirect to the proxy (doc/sandbox.md,
 * "The sandbox's network"). A client that knows nothing of proxies
 * connects to an address; the kernel's nat table sends the connection here
 * and remembers where it was going (origdst.h), and the connection gets
 * the same decision as a CONNECT or a SOCKS5 connect (decide.c), with
 * protocol tcp:
 *
 *   accept ─> TARGET ─(limited mode, port ≠ 443)─> client_fixed (client.h):
 *     │          plain HTTP requests for that destination, protocol http
 *     │       ─(refused: unknown synthetic address, the loopback)─> CLOSING
 *     v
 *   DECIDING ─(deny, lookup failed)──────────────────────────────> CLOSING
 *     │  └─(allow, mitm: limited mode, 443)─> HELLO ─(SNI is the name)─>
 *     │          client_intercept (client.h), requests judged as https
 *     v
 *   CONNECTING (reach.h) ─> RELAY (tunnel.h: splice, SNI check) ─> CLOSING
 *
 * The target (transparent_target.h): a synthetic address is judged as the
 * name the stub resolver gave it, a forwarded loopback port as its allow
 * entry, any other address as the IP literal. A refused connection is
 * reset (the client sees ECONNRESET at once, not a time-out).
 *
 * One timer, deadlines from deadline.h: none while deciding (the
 * decision bounds itself; a person being asked has the approval timeout),
 * CONNECT while connecting, HEAD for the ClientHello; the relay and the
 * client connection have their own.
 *
 * Death: conn_close() cancels what is in flight and closes the handles
 * the conn still owns; the conn is freed when the last close callback
 * has run and no tunnel is left. */
#include "proxy/proxy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/listen.h"
#include "net/origdst.h"
#include "net/relay.h"
#include "net/stream.h"
#include "proxy/client.h"
#include "proxy/deadline.h"
#include "proxy/mitm.h"
#include "proxy/reach.h"
#include "proxy/sni_check.h"
#include "proxy/transparent_target.h"
#include "proxy/tunnel.h"

#define TP_PROTOCOL "tcp"

enum tp_state {
	TP_DECIDING,
	TP_CONNECTING,
	TP_HELLO,
	TP_RELAY,
	TP_CLOSING,
};

struct tp_conn {
	struct proxy_conn pc;	/* first: the hooks get this back */
	struct proxy *p;
	struct proxy_state *s;
	enum tp_state st;
	int handles;		/* client socket and timer, until closed */
	uv_tcp_t *client;	/* NULL once handed on */
	uv_timer_t timer;
	struct proxy_decide *dec;
	struct reach *reach;
	struct tunnel *tunnel;
	char *hello;		/* HELLO: the client's first bytes */
	size_t n_hello;
	struct sni_check sni;
	bool approved;		/* a person allowed it (interception) */
	char host[HOST_TEXT_MAX];
	uint16_t port;
	char peer[64];
};

static void conn_close(struct tp_conn *c, bool reset);

/* --- life cycle ---------------------------------------------------------- */

static void
conn_maybe_free(struct tp_conn *c)
{
	if (c->handles > 0 || c->tunnel != NULL)
		return;
	proxy_conn_release(c->p, &c->pc);
	proxy_state_unref(c->s);
	free(c->hello);
	free(c);
}

static void
on_client_closed(uv_handle_t *h)
{
	struct tp_conn *c = h->data;

	free(h);
	c->handles--;
	conn_maybe_free(c);
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct tp_conn *c = h->data;

	c->handles--;
	conn_maybe_free(c);
}

/* The one death path; safe to call more than once. A refusal resets the
 * client's connection so that it fails at once. */
static void
conn_close(struct tp_conn *c, bool reset)
{
	if (c->st == TP_CLOSING)
		return;
	c->st = TP_CLOSING;
	proxy_decide_cancel(c->dec);
	c->dec = NULL;
	reach_cancel(c->reach);
	c->reach = NULL;
	tunnel_stop(c->tunnel);
	if (c->client != NULL) {
		if (!reset || uv_tcp_close_reset(c->client, on_client_closed) != 0)
			uv_close((uv_handle_t *)c->client, on_client_closed);
		c->client = NULL;
	}
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static void
on_drain(struct proxy_conn *pc)
{
	struct tp_conn *c = (struct tp_conn *)pc;

	if (c->st != TP_RELAY)
		conn_close(c, true);
}

static void
on_kill(struct proxy_conn *pc)
{
	conn_close((struct tp_conn *)pc, true);
}

static void
on_deadline(uv_timer_t *t)
{
	struct tp_conn *c = t->data;

	log_debug("tcp %s: %s:%u: deadline passed in state %d", c->peer,
		  c->host, c->port, (int)c->st);
	if (c->st == TP_HELLO)
		proxy_record_raw_refusal(c->p, c->s, c->host, c->port, false,
					 c->peer);
	conn_close(c, true);
}

static void
conn_deadline(struct tp_conn *c, enum deadline_wait w)
{
	uint64_t ms = deadline_ms(w, c->s);

	uv_timer_stop(&c->timer);
	if (ms > 0)
		uv_timer_start(&c->timer, on_deadline, ms, 0);
}

/* --- RELAY (full mode) --------------------------------------------------- */

static void
on_tunnel_done(void *arg)
{
	struct tp_conn *c = arg;

	c->tunnel = NULL;
	conn_close(c, false);
	conn_maybe_free(c);
}

static void
on_reached(void *arg, const struct reach_result *r)
{
	struct tp_conn *c = arg;
	struct tunnel_opts o = {0};
	uv_tcp_t *dest;

	c->reach = NULL;
	if (r->s == NULL) {
		c->p->m.upstream_errors++;
		log_info("tcp %s: %s:%u: %s", c->peer, c->host, c->port,
			 r->why);
		conn_close(c, true);
		return;
	}
	dest = stream_tcp_detach(r->s);
	if (dest == NULL) { /* reach without TLS gives TCP: cannot happen */
		stream_close(r->s);
		conn_close(c, true);
		return;
	}
	c->st = TP_RELAY;
	uv_timer_stop(&c->timer);
	o.px = c->p;
	o.st = c->s;
	o.host = c->host;
	o.port = c->port;
	o.protocol = TP_PROTOCOL;
	o.peer = c->peer;
	o.pre_down = r->pre;
	o.n_down = r->n_pre;
	c->tunnel = tunnel_start(&o, c->client, dest, on_tunnel_done, c);
	c->client = NULL;
	c->handles--; /* the relay closes and frees the client socket */
}

static void
start_reach(struct tp_conn *c, const struct resolve_result *addrs)
{
	struct reach_opts o = {0};

	c->st = TP_CONNECTING;
	conn_deadline(c, DL_CONNECT);
	o.px = c->p;
	o.st = c->s;
	o.host = c->host;
	o.port = c->port;
	o.addrs = addrs;
	o.tunnel = true;
	o.peer = c->peer;
	c->reach = reach_start(&o, on_reached, c);
}

/* --- HELLO (limited mode, 443) ------------------------------------------- */

/* The client's TLS is terminated by the interception (client.h), which
 * serves the requests inside. */
static void
start_intercept(struct tp_conn *c)
{
	struct errbuf err;
	struct stream *s;

	errbuf_init(&err);
	if (mitm_prepare(c->p, &err) == -1) {
		log_warn("tcp %s: %s", c->peer, errbuf_first(&err));
		errbuf_release(&err);
		conn_close(c, true);
		return;
	}
	errbuf_release(&err);
	uv_read_stop((uv_stream_t *)c->client);
	uv_timer_stop(&c->timer);
	/* Our slot goes to the client connection that takes over. */
	proxy_conn_release(c->p, &c->pc);
	s = stream_tcp_new(c->p->loop, c->client);
	if (client_intercept(c->p, s, c->host, c->port, c->approved,
			     c->hello, c->n_hello, "", 0, c->peer) == -1)
		stream_close(s); /* over the cap meanwhile */
	c->client = NULL;
	c->handles--; /* the stream owns the socket now */
	conn_close(c, false);
}

static void
judge_hello(struct tp_conn *c)
{
	switch (sni_check_judge(&c->sni, c->hello, c->n_hello)) {
	case RELAY_HOLD_MORE:
		return;
	case RELAY_HOLD_REFUSE:
		conn_close(c, true);
		return;
	default:
		break;
	}
	if ((unsigned char)c->hello[0] != 22) { /* not a TLS handshake */
		proxy_record_raw_refusal(c->p, c->s, c->host, c->port, false,
					 c->peer);
		conn_close(c, true);
		return;
	}
	start_intercept(c);
}

static void
on_hello_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct tp_conn *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->hello + c->n_hello,
			 (unsigned)(SNI_CHECK_HOLD_MAX - c->n_hello));
}

static void
on_hello_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct tp_conn *c = s->data;

	(void)b;
	if (n == 0 || c->st != TP_HELLO)
		return;
	if (n < 0) {
		if (c->n_hello > 0)
			proxy_record_raw_refusal(c->p, c->s, c->host, c->port,
						 false, c->peer);
		conn_close(c, true);
		return;
	}
	c->n_hello += (size_t)n;
	judge_hello(c);
}

/* Limited mode, port 443: the TLS server name the client asks for must be
 * the name the connection was judged as, whatever require_sni_match says
 * (the interception would otherwise present a leaf for one name to a
 * client that asked for another). */
static void
start_hello(struct tp_conn *c)
{
	if (sni_check_init(&c->sni, c->p, c->host, c->port, TP_PROTOCOL,
			   c->peer) == -1) {
		conn_close(c, true);
		return;
	}
	c->st = TP_HELLO;
	c->hello = xmalloc(SNI_CHECK_HOLD_MAX);
	conn_deadline(c, DL_HEAD);
	if (uv_read_start((uv_stream_t *)c->client, on_hello_alloc,
			  on_hello_read) != 0)
		conn_close(c, true);
}

/* --- DECIDING ------------------------------------------------------------ */

static void
on_decided(void *arg, const struct policy_decision *d,
	   const struct resolve_result *addrs, const char *why)
{
	struct tp_conn *c = arg;

	c->dec = NULL;
	if (d == NULL) {
		log_info("tcp %s: %s:%u: %s", c->peer, c->host, c->port,
			 why ? why : "resolve failed");
		conn_close(c, true);
		return;
	}
	if (!policy_allowed(d) || addrs == NULL || addrs->n == 0) {
		conn_close(c, true);
		return;
	}
	snprintf(c->host, sizeof(c->host), "%s", d->host.text);
	c->port = (uint16_t)d->port;
	c->approved = d->approved;
	if (d->mitm)
		start_hello(c);
	else
		start_reach(c, addrs);
}

static void
start_decide(struct tp_conn *c)
{
	struct policy_request r = {0};
	struct proxy_decide *x;

	r.host = c->host;
	r.port = c->port;
	r.protocol = POLICY_PROTO_TCP;
	c->st = TP_DECIDING;
	conn_deadline(c, DL_DECIDE);
	x = proxy_decide_start(c->p, c->s, &r, c->peer, on_decided, c);
	if (x != NULL)
		c->dec = x;
	if (proxy_decide_wait_ms(x) > 0) /* a person is asked */
		conn_deadline(c, DL_APPROVAL);
}

/* --- accepting ----------------------------------------------------------- */

static void
on_refused_closed(uv_handle_t *h)
{
	free(h);
}

/* Closes an accepted socket that no conn owns, with a reset. */
static void
refuse(uv_tcp_t *tcp)
{
	if (uv_tcp_close_reset(tcp, on_refused_closed) != 0)
		uv_close((uv_handle_t *)tcp, on_refused_closed);
}

/* Where the connection was going, as a target; false when refused (and
 * recorded where there is something to say). */
static bool
target_of(struct proxy *p, uv_tcp_t *tcp, const char *peer,
	  struct transparent_target *t)
{
	struct sockaddr_storage dst;
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)tcp, &fd) != 0 ||
	    origdst_get(fd, &dst) == -1 ||
	    transparent_target_of(p->synth, p->forwards, p->n_forwards, &dst,
				  t) == -1) {
		log_info("tcp %s: no original destination", peer);
		return false;
	}
	if (t->kind == TT_UNKNOWN_SYNTH) {
		log_info("tcp %s: %s:%u: a synthetic address the sandbox's "
			 "resolver never handed out", peer, t->host, t->port);
		proxy_note_refusal(p, t->host, t->port, TP_PROTOCOL,
				   "unknown_synthetic", peer);
		return false;
	}
	if (t->kind == TT_LOOPBACK) {
		log_debug("tcp %s: %s:%u: the sandbox's loopback, not forwarded",
			  peer, t->host, t->port);
		return false;
	}
	return true;
}

/* Limited mode, a port other than 443: plain HTTP for the destination. */
static void
serve_fixed(struct proxy *p, uv_tcp_t *tcp, const struct transparent_target *t,
	    struct proxy_state *st, const char *peer)
{
	struct stream *s = stream_tcp_new(p->loop, tcp);

	if (client_fixed(p, s, t->host, t->port, st, peer) == -1)
		stream_close(s);
}

static void
start_conn(struct proxy *p, uv_tcp_t *tcp, const struct transparent_target *t,
	   struct proxy_state *st, const char *peer)
{
	struct tp_conn *c = xcalloc(1, sizeof(*c));

	c->p = p;
	c->s = st;
	c->pc.drain = on_drain;
	c->pc.kill = on_kill;
	if (!proxy_conn_admit(p, &c->pc)) {
		proxy_state_unref(st);
		free(c);
		refuse(tcp);
		return;
	}
	c->client = tcp;
	tcp->data = c;
	uv_timer_init(p->loop, &c->timer);
	c->timer.data = c;
	c->handles = 2;
	snprintf(c->host, sizeof(c->host), "%s", t->host);
	c->port = t->port;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	start_decide(c);
}

void
transparent_accept(uv_stream_t *listener, int status)
{
	struct proxy *p = listener->data;
	struct transparent_target t;
	struct proxy_state *st;
	uv_tcp_t *tcp;
	char peer[64];

	if (status < 0)
		return;
	tcp = xcalloc(1, sizeof(*tcp));
	uv_tcp_init(p->loop, tcp);
	if (uv_accept(listener, (uv_stream_t *)tcp) != 0) {
		uv_close((uv_handle_t *)tcp, on_refused_closed);
		return;
	}
	uv_tcp_nodelay(tcp, 1);
	listen_peer(tcp, peer, sizeof(peer));
	if (!target_of(p, tcp, peer, &t)) {
		refuse(tcp);
		return;
	}
	st = proxy_state_ref(p);
	if (!st->enabled) {
		proxy_record_disabled(p, t.host, t.port, TP_PROTOCOL, NULL, peer);
		proxy_state_unref(st);
		refuse(tcp);
		return;
	}
	if (st->limited && t.port != 443) {
		serve_fixed(p, tcp, &t, st, peer);
		proxy_state_unref(st);
		return;
	}
	start_conn(p, tcp, &t, st, peer);
}
