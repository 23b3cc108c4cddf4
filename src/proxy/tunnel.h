/* tunnel.h — an allowed CONNECT or SOCKS5 stream in full mode: the relay
 * copies (splices) bytes both ways between client and destination, with
 * the client's first bytes held for the SNI check (sni_check.h) when the
 * state asks for it, and the closed tunnel is recorded (audit log
 * tunnel_close line, byte counters). Not for use outside src/proxy/.
 *
 * Used alike by the HTTP listener (client.c) and the SOCKS5 listener
 * (socks5_server.c), and by any listener that hands an accepted
 * connection straight to a destination. */
#ifndef AIRLOCK_PROXY_TUNNEL_H
#define AIRLOCK_PROXY_TUNNEL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "proxy/proxy_int.h"

struct tunnel;

/* The tunnel is over (recorded already); the struct is gone once this
 * returns. */
typedef void tunnel_done_fn(void *arg);

struct tunnel_opts {
	struct proxy *px;
	struct proxy_state *st;	/* the request's (borrowed for the call) */
	const char *host;	/* as judged */
	uint16_t port;
	const char *protocol;	/* static: "https_connect", "socks5_tcp" */
	const char *peer;	/* the client `ip:port` */
	const char *pre_up;	/* client bytes already read (copied) */
	size_t n_up;
	const char *pre_down;	/* the reply accepting the tunnel, then any
				 * bytes the destination sent (copied) */
	size_t n_down;
};

/* Relays between client and dest (both taken: malloc'd, connected, not
 * reading; closed and freed by the relay). done(arg) runs exactly once,
 * after both are closed, never from inside this call; tunnel_stop() ends
 * the tunnel early and done still follows. */
struct tunnel *tunnel_start(const struct tunnel_opts *o, uv_tcp_t *client,
			    uv_tcp_t *dest, tunnel_done_fn *done, void *arg);
/* Ends the tunnel now; done follows (not from inside this call). Must not
 * be called from done or after it. */
void tunnel_stop(struct tunnel *t);

#endif
