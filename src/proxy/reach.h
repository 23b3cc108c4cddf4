/* reach.h — reaching an allowed destination: a parked origin that fits,
 * the upstream proxy the state selects for it, or a dial of exactly the
 * vetted addresses; for interception, a verified TLS client stream on
 * top. Not for use outside src/proxy/.
 *
 * The result is a struct stream * to the destination. The policy was
 * applied before (DESIGN §4.4): reach never resolves the destination's
 * name and dials nothing but the addresses it is given (an upstream
 * proxy hop is exempt, as the upstream module says). */
#ifndef AIRLOCK_PROXY_REACH_H
#define AIRLOCK_PROXY_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/resolve.h"
#include "net/stream.h"
#include "net/upstream.h"
#include "proxy/origin_pool.h"
#include "proxy/proxy_int.h"

struct reach_opts {
	struct proxy *px;
	struct proxy_state *st;	/* the request's state (borrowed) */
	const char *host;	/* as judged (copied) */
	uint16_t port;
	const struct resolve_result *addrs; /* vetted, never empty (copied) */
	bool tunnel;		/* a byte stream (CONNECT, TLS to the origin)
				 * rather than plain HTTP forwarding */
	bool tls;		/* interception: TLS client stream on top */
	const char *tls_host;	/* its name (no brackets) */
	bool tls_is_ip;
	struct origin_pool *pool; /* may hand a parked origin; NULL: never */
	const char *peer;	/* the client, for logs */
};

struct reach_result {
	struct stream *s;	/* the destination (the callee owns it), or
				 * NULL when it could not be reached */
	const char *pre;	/* bytes an upstream already sent from it */
	size_t n_pre;
	bool direct;		/* dialled straight to addr: may be parked */
	bool reused;		/* taken from the pool */
	struct sockaddr_storage addr; /* the peer, when direct */
	/* An HTTP upstream that takes absolute-form requests (with its
	 * Proxy-Authorization) over s; NULL for any other hop. Valid as long
	 * as the state. */
	const struct upstream *via;
	const char *why;	/* failure: the text of the 502 */
};

/* Called exactly once unless reach_cancel() came first; r is valid during
 * the call. May be called from inside reach_start (a parked origin). */
typedef void reach_fn(void *arg, const struct reach_result *r);

struct reach;

/* Starts reaching o->host:o->port. Returns the pending reach, or NULL
 * when cb has already been called. */
struct reach *reach_start(const struct reach_opts *o, reach_fn *cb, void *arg);
/* Abandons a reach in progress (NULL is ignored); cb is not called. */
void reach_cancel(struct reach *r);

#endif
