/* client.h — one client connection of the HTTP proxy (or an intercepted
 * tunnel handed over by the SOCKS5 listener). Not for use outside
 * src/proxy/.
 *
 * The client connection keeps only what belongs to the client: its
 * stream, the bytes it sent that are not parsed yet, the request parser,
 * keep-alive, draining, the one deadline timer, and the origin parked for
 * its next request (origin_pool.h). Each request head becomes an exchange
 * (exchange.h), at most one at a time; pipelined requests wait in the
 * input buffer and are answered in order.
 *
 *   HEAD ──(head)──> EXCHANGE ──(next)──> HEAD
 *    │                  ├──(close)──> FLUSH ──> CLOSING
 *    │                  ├──(tunnel)──> TUNNEL ──> CLOSING
 *    │                  └──(intercept)──> HANDSHAKE ──> HEAD (inside TLS)
 *    └──(deadline, EOF, error, drain)──> CLOSING
 *
 *   HEAD       waiting for a head: the header deadline runs from its first
 *              byte (from the accept for the first), armed once per head;
 *              between requests the keep-alive deadline;
 *   EXCHANGE   the exchange owns the timer and the request's body;
 *   HANDSHAKE  CONNECT to 443 in limited mode was answered 200: the
 *              connection wraps its own stream in TLS (mitm.h) and, once
 *              the client's handshake is done, serves the requests inside
 *              it the same way (no socketpair, no second connection);
 *   TUNNEL     a relay owns both sockets (tunnel.h);
 *   FLUSH      the answer is being written; then the connection closes;
 *   CLOSING    client_close() ran: everything is cancelled and the struct
 *              goes when its timer and any relay are closed.
 *
 * The reason a connection closes is logged at debug level. */
#ifndef AIRLOCK_PROXY_CLIENT_H
#define AIRLOCK_PROXY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/stream.h"
#include "proxy/proxy_int.h"

/* Serves HTTP proxy requests on an accepted stream (taken). peer names
 * the client. -1 when over the connection cap: the stream is not taken
 * then (the caller refuses it). */
int client_serve(struct proxy *px, struct stream *s, const char *peer);

/* Serves plain HTTP requests for one destination, host:port, on an
 * accepted stream (taken): a connection the sandbox's rules routed to the
 * proxy, in limited mode, to a port other than 443. Each request must be
 * an HTTP/1 request naming host (Host header or absolute form); it is
 * judged as protocol http (so by the method filter) and sent to host:port
 * only. When the first bytes are not a request head (another protocol,
 * or none before the header deadline), the connection is recorded with
 * proxy_record_raw_refusal() under st (a reference is taken) and closed.
 * -1 when over the connection cap: the stream is not taken then. */
int client_fixed(struct proxy *px, struct stream *s, const char *host,
		 uint16_t port, struct proxy_state *st, const char *peer);

/* Serves an intercepted tunnel to host:port on an accepted stream
 * (taken); approved: a person allowed the tunnel (its decision's
 * approved), so its requests are judged as approved too. Writes
 * reply[0..n_reply) (the SOCKS5 success), then accepts
 * the client's TLS, pre_in[0..n_in) being bytes of it already read, and
 * serves the requests inside like a CONNECT intercepted on the HTTP
 * listener. Only after mitm_prepare() succeeded. -1 when over the
 * connection cap: the stream is not taken then. */
int client_intercept(struct proxy *px, struct stream *s, const char *host,
		     uint16_t port, bool approved, const char *pre_in,
		     size_t n_in, const char *reply, size_t n_reply,
		     const char *peer);

#endif
