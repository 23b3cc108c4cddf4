/* reach.c — see reach.h. One struct reach per attempt: at most one of
 * dial, upstream connect and TLS handshake is in flight at a time. */
#include "proxy/reach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/dial.h"
#include "net/http_msg.h"
#include "proxy/mitm.h"

struct reach {
	struct proxy *px;
	struct proxy_state *st;
	char host[HTTP_MSG_MAX_HOST + 1];
	uint16_t port;
	struct resolve_result addrs;
	bool tunnel, tls, tls_is_ip;
	char tls_host[HTTP_MSG_MAX_HOST + 1];
	char peer[64];
	struct dial *dial;
	struct upstream_connect *up;
	struct stream *hs;	/* the origin's TLS, handshaking */
	struct reach_result res;
	reach_fn *cb;
	void *arg;
};

static void
finish(struct reach *r)
{
	r->cb(r->arg, &r->res);
	free(r);
}

static void
fail(struct reach *r, const char *why)
{
	r->px->m.upstream_errors++;
	r->res.s = NULL;
	r->res.why = why;
	finish(r);
}

static void
on_handshake(void *arg, int status, const char *why)
{
	struct reach *r = arg;
	char msg[HTTP_MSG_MAX_HOST + 400];
	struct stream *s = r->hs;

	r->hs = NULL;
	if (status == 0) {
		r->res.s = s;
		finish(r);
		return;
	}
	stream_close(s);
	snprintf(msg, sizeof(msg), "mitm upstream error: %s:%u: %s", r->host,
		 r->port, why);
	log_info("mitm %s: %s", r->peer, msg);
	fail(r, msg);
}

/* tcp reaches the destination; pre[0..n_pre) came from it already. */
static void
connected(struct reach *r, uv_tcp_t *tcp, const char *pre, size_t n_pre)
{
	struct stream *s = stream_tcp_new(r->px->loop, tcp);
	SSL *ssl;

	if (!r->tls) {
		r->res.s = s;
		r->res.pre = pre;
		r->res.n_pre = n_pre;
		finish(r);
		return;
	}
	ssl = mitm_origin_ssl(r->st, r->tls_host, r->tls_is_ip);
	if (ssl == NULL) {
		stream_close(s);
		fail(r, "mitm upstream error: cannot set up tls");
		return;
	}
	r->hs = stream_tls_new(s, ssl, pre, n_pre,
			       (int)r->st->connect_timeout_ms, on_handshake, r);
}

static void
on_dialed(void *arg, uv_tcp_t *tcp, int status)
{
	struct reach *r = arg;
	char msg[HTTP_MSG_MAX_HOST + 128];
	int len = (int)sizeof(r->res.addr);

	r->dial = NULL;
	if (tcp == NULL) {
		snprintf(msg, sizeof(msg), "upstream connect %s:%u: %s",
			 r->host, r->port, uv_strerror(status));
		fail(r, msg);
		return;
	}
	r->res.direct = uv_tcp_getpeername(tcp, (struct sockaddr *)&r->res.addr,
					   &len) == 0;
	connected(r, tcp, NULL, 0);
}

static void
on_upstream(void *arg, uv_tcp_t *tcp, const char *pre, size_t n_pre,
	    int status, const char *why)
{
	struct reach *r = arg;

	(void)status;
	r->up = NULL;
	if (tcp == NULL) {
		fail(r, why);
		return;
	}
	connected(r, tcp, pre, n_pre);
}

/* A parked origin that fits, unless an upstream proxy would carry the
 * request now (then the parked one is dropped). */
static struct stream *
take_parked(struct reach *r, const struct reach_opts *o,
	    const struct upstream *u)
{
	if (o->pool == NULL)
		return NULL;
	if (u != NULL) {
		origin_pool_drop(o->pool);
		return NULL;
	}
	return origin_pool_take(o->pool, r->host, r->port, r->tls, &r->addrs,
				r->st->keepalive_timeout_ms, &r->res.addr);
}

static struct reach *
reach_new(const struct reach_opts *o, reach_fn *cb, void *arg)
{
	struct reach *r = xcalloc(1, sizeof(*r));

	r->px = o->px;
	r->st = o->st;
	snprintf(r->host, sizeof(r->host), "%s", o->host);
	r->port = o->port;
	r->addrs = *o->addrs;
	r->tunnel = o->tunnel;
	r->tls = o->tls;
	r->tls_is_ip = o->tls_is_ip;
	snprintf(r->tls_host, sizeof(r->tls_host), "%s",
		 o->tls_host ? o->tls_host : "");
	snprintf(r->peer, sizeof(r->peer), "%s", o->peer ? o->peer : "");
	r->cb = cb;
	r->arg = arg;
	return r;
}

struct reach *
reach_start(const struct reach_opts *o, reach_fn *cb, void *arg)
{
	struct reach *r = reach_new(o, cb, arg);
	const struct upstream *u;
	enum upstream_kind kind = o->tunnel ? UPSTREAM_TUNNEL
					    : UPSTREAM_HTTP_FORWARD;
	int ms = (int)r->st->connect_timeout_ms;

	u = upstream_select(&r->st->upstream, r->host, o->tunnel);
	r->res.s = take_parked(r, o, u);
	if (r->res.s != NULL) {
		r->res.direct = r->res.reused = true;
		finish(r);
		return NULL;
	}
	if (u != NULL) {
		r->res.via = upstream_absolute_form(u, kind) ? u : NULL;
		r->up = upstream_connect_start(r->px->loop, u, r->host, r->port,
					       r->addrs.addrs, r->addrs.n, kind,
					       ms, on_upstream, r);
		if (r->up != NULL)
			return r;
		r->res.via = NULL;
	}
	r->dial = dial_start(r->px->loop, r->addrs.addrs, r->addrs.n, r->port,
			     ms, on_dialed, r);
	if (r->dial == NULL) {
		fail(r, "upstream connect: no address");
		return NULL;
	}
	return r;
}

void
reach_cancel(struct reach *r)
{
	if (r == NULL)
		return;
	dial_cancel(r->dial);
	upstream_connect_cancel(r->up);
	stream_close(r->hs);
	free(r);
}
