/* tunnel.c — see tunnel.h. */
#include "proxy/tunnel.h"

#include <stdlib.h>

#include "lib/xalloc.h"
#include "net/relay.h"
#include "proxy/sni_check.h"

struct tunnel {
	struct proxy *px;
	struct relay *relay;
	struct sni_check sni;	/* must outlive the relay */
	char *host;		/* for the record; exact-size copies, an idle */
	char *peer;		/* tunnel is all memory */
	uint16_t port;
	const char *protocol;
	tunnel_done_fn *done;
	void *arg;
};

static void
on_relay_done(void *arg, const struct relay_stats *st)
{
	struct tunnel *t = arg;

	t->relay = NULL;
	proxy_record_tunnel(t->px, t->host, t->port, t->protocol, t->peer,
			    st->up, st->down, st->duration_ms);
	t->done(t->arg);
	free(t->host);
	free(t->peer);
	free(t);
}

struct tunnel *
tunnel_start(const struct tunnel_opts *o, uv_tcp_t *client, uv_tcp_t *dest,
	     tunnel_done_fn *done, void *arg)
{
	struct tunnel *t = xcalloc(1, sizeof(*t));
	const struct relay_hold *hold;
	struct relay_hold h;

	t->px = o->px;
	t->host = xstrdup(o->host);
	t->port = o->port;
	t->protocol = o->protocol;
	t->peer = xstrdup(o->peer);
	t->done = done;
	t->arg = arg;
	hold = sni_check_hold(&t->sni, &h, o->px, o->st, o->host, o->port,
			      o->protocol, o->peer);
	t->relay = relay_start_held(o->px->loop, (uv_stream_t *)client,
				    (uv_stream_t *)dest, o->pre_up, o->n_up,
				    o->pre_down, o->n_down,
				    (int)o->st->idle_timeout_ms, hold,
				    on_relay_done, t);
	return t;
}

void
tunnel_stop(struct tunnel *t)
{
	if (t != NULL && t->relay != NULL)
		relay_stop(t->relay);
}
