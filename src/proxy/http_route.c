/* http_route.c — where an allowed request goes (http_conn.h): straight to
 * the vetted addresses, or through the upstream proxy the state selects;
 * then a CONNECT becomes a tunnel and anything else is forwarded. A
 * refused request gets its block response here. */
#include "proxy/http_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/dial.h"
#include "net/relay.h"
#include "proxy/block.h"
#include "proxy/mitm.h"

static const char connect_ok[] = "HTTP/1.1 200 OK\r\n\r\n";

static void
on_tunnel_done(void *arg, const struct relay_stats *st)
{
	struct hconn *c = arg;

	proxy_record_tunnel(c->px, c->host, c->target.port, "https_connect",
			    c->peer, st->up, st->down, st->duration_ms);
	c->relay = NULL;
	c->state = HC_TUNNEL; /* hc_close will not stop the relay again */
	hc_close(c, "tunnel done");
}

/* Hands both sockets to a relay. pre[0..n_pre) are bytes an upstream
 * proxy already sent from the destination; they follow our 200. */
static void
start_tunnel(struct hconn *c, uv_tcp_t *origin, const char *pre, size_t n_pre)
{
	uv_tcp_t *client = c->client;
	const struct relay_hold *hold;
	struct relay_hold h;
	struct buf down;

	hold = sni_check_hold(&c->sni, &h, c->px, c->st, c->host, c->target.port,
			      "https_connect", c->peer);
	buf_init(&down, sizeof(connect_ok) + UPSTREAM_HEAD_MAX);
	buf_add(&down, connect_ok, sizeof(connect_ok) - 1);
	if (n_pre > 0)
		buf_add(&down, pre, n_pre);
	hc_client_read(c, false);
	uv_timer_stop(c->timer);
	c->client = NULL;
	c->handles--; /* the relay closes and frees the client socket */
	c->state = HC_TUNNEL;
	c->relay = relay_start_held(c->px->loop, (uv_stream_t *)client,
				    (uv_stream_t *)origin, c->in.p, c->in.len,
				    down.p, down.len,
				    (int)c->st->idle_timeout_ms, hold,
				    on_tunnel_done, c);
	buf_reset(&c->in);
	buf_release(&down);
}

static void
connected(struct hconn *c, uv_tcp_t *tcp, const char *pre, size_t n_pre)
{
	if (c->is_connect)
		start_tunnel(c, tcp, pre, n_pre);
	else
		hf_start(c, tcp);
}

/* A direct dial: remember whom we reached, for parking (http_conn.h). */
static void
note_origin(struct hconn *c, uv_tcp_t *tcp)
{
	int len = (int)sizeof(c->origin_addr);

	c->origin_direct = uv_tcp_getpeername(tcp, (struct sockaddr *)
					      &c->origin_addr, &len) == 0;
}

/* The parked origin, when it fits this request and no upstream proxy
 * would carry it now: straight to forwarding. */
static bool
reuse_parked(struct hconn *c, const struct resolve_result *addrs, bool tunnel)
{
	uv_tcp_t *tcp;

	if (c->is_connect ||
	    upstream_select(&c->st->upstream, c->host, tunnel) != NULL) {
		hf_drop_parked(c);
		return false;
	}
	tcp = hf_take_parked(c, addrs, c->mitm != NULL);
	if (tcp == NULL)
		return false;
	c->via = NULL;
	hf_start(c, tcp);
	hc_pump(c);
	return true;
}

static void
on_dialed(void *arg, uv_tcp_t *tcp, int status)
{
	struct hconn *c = arg;
	char msg[HTTP_MSG_MAX_HOST + 128];

	c->dial = NULL;
	if (tcp == NULL) {
		c->px->m.upstream_errors++;
		snprintf(msg, sizeof(msg), "upstream connect %s:%u: %s", c->host,
			 c->target.port, uv_strerror(status));
		hc_error(c, 502, msg);
	} else {
		note_origin(c, tcp);
		c->reached(c, tcp, NULL, 0);
	}
	hc_pump(c);
}

static void
on_upstream(void *arg, uv_tcp_t *tcp, const char *pre, size_t n_pre,
	    int status, const char *why)
{
	struct hconn *c = arg;

	(void)status;
	c->up = NULL;
	if (tcp == NULL) {
		c->px->m.upstream_errors++;
		hc_error(c, 502, why);
	} else {
		c->reached(c, tcp, pre, n_pre);
	}
	hc_pump(c);
}

void
hr_reach(struct hconn *c, const struct resolve_result *addrs, bool tunnel,
	 hc_reached_fn *reached)
{
	const struct upstream *u;
	enum upstream_kind kind = tunnel ? UPSTREAM_TUNNEL
					 : UPSTREAM_HTTP_FORWARD;

	c->state = HC_CONNECTING;
	c->reached = reached;
	c->origin_direct = false;
	if (reuse_parked(c, addrs, tunnel))
		return;
	u = upstream_select(&c->st->upstream, c->host, tunnel);
	if (u != NULL) {
		c->via = upstream_absolute_form(u, kind) ? u : NULL;
		c->up = upstream_connect_start(
			c->px->loop, u, c->host, c->target.port, addrs->addrs,
			addrs->n, kind, (int)c->st->connect_timeout_ms,
			on_upstream, c);
		if (c->up != NULL)
			return;
		c->via = NULL;
	}
	c->dial = dial_start(c->px->loop, addrs->addrs, addrs->n, c->target.port,
			     (int)c->st->connect_timeout_ms, on_dialed, c);
}

/* Limited mode: CONNECT to 443 is intercepted instead of tunnelled
 * (mitm.h). The 200 rides ahead of the TLS handshake. */
static void
start_mitm(struct hconn *c, bool approved)
{
	uv_tcp_t *client = c->client;
	struct errbuf err;

	errbuf_init(&err);
	if (mitm_prepare(c->px, &err) == -1) {
		hc_error(c, 502, errbuf_first(&err));
		errbuf_release(&err);
		return;
	}
	errbuf_release(&err);
	hc_client_read(c, false);
	c->client = NULL;
	c->handles--; /* the interception owns the socket now */
	mitm_start(c->px, client, c->host, c->target.port, c->in.p, c->in.len,
		   connect_ok, sizeof(connect_ok) - 1, c->peer, approved);
	buf_reset(&c->in);
	hc_close(c, "intercepted");
}

void
hr_refuse(struct hconn *c, const struct policy_decision *d, bool text)
{
	/* A client that asked to close gets its close. */
	bool close = c->is_connect || !c->req_keepalive;
	struct buf b;

	hf_drop_parked(c);
	buf_init(&b, 8192);
	block_for_decision(&b, d, text, close);
	hc_reply(c, &b, close);
	buf_release(&b);
}

void
hr_decided(void *arg, const struct policy_decision *d,
	   const struct resolve_result *addrs, const char *why)
{
	struct hconn *c = arg;

	c->decide = NULL;
	if (d == NULL) {
		hc_error(c, 502, why);
	} else if (!policy_allowed(d)) {
		hr_refuse(c, d, c->is_connect);
	} else if (d->mitm && c->is_connect) {
		start_mitm(c, d->approved);
		return;
	} else {
		hr_reach(c, addrs, c->is_connect, connected);
		return;
	}
	hc_pump(c);
}
