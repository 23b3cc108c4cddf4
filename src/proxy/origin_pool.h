/* origin_pool.h — the origin connection of a finished exchange, kept for
 * the client connection's next request (origin keep-alive). Not for use
 * outside src/proxy/.
 *
 * At most one parked origin per client connection (a pool lives in its
 * struct client), never shared between clients. A parked origin is read:
 * any byte or EOF from it (for TLS, any application data, close_notify or
 * error) drops it, and taking it first peeks at its socket, so an EOF the
 * loop has not yet read (an origin that closed right after answering)
 * drops it too. It is taken only by a request that was allowed, names
 * the same normalized host, port and kind (plain or TLS), within
 * keepalive_timeout_ms of parking, and whose freshly vetted addresses
 * include the parked peer's address; any other request drops it. The
 * owner drops it when the client connection closes. */
#ifndef AIRLOCK_PROXY_ORIGIN_POOL_H
#define AIRLOCK_PROXY_ORIGIN_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "net/resolve.h"
#include "net/stream.h"
#include "policy/host.h"

struct origin_pool {
	struct stream *s;	   /* NULL when empty */
	uv_loop_t *loop;
	char host[HOST_TEXT_MAX];  /* normalized host it was reached as */
	uint16_t port;
	bool tls;
	struct sockaddr_storage addr;
	uint64_t since;		   /* uv_now() when parked */
};

void origin_pool_init(struct origin_pool *p, uv_loop_t *loop);
/* Parks s (taken: closed if it cannot be parked), which reached host
 * (any spelling host_normalize takes) on port, at addr. Drops the one
 * parked before. */
void origin_pool_park(struct origin_pool *p, struct stream *s,
		      const char *host, uint16_t port, bool tls,
		      const struct sockaddr_storage *addr);
/* The parked origin when it fits (see above; max_age_ms is the keep-alive
 * deadline), handed to the caller with its address in *addr; else NULL,
 * and the parked one, if any, is closed. */
struct stream *origin_pool_take(struct origin_pool *p, const char *host,
				uint16_t port, bool tls,
				const struct resolve_result *addrs,
				uint64_t max_age_ms,
				struct sockaddr_storage *addr);
/* Closes the parked origin, if any. */
void origin_pool_drop(struct origin_pool *p);
/* Origin connections reused since the process started (all proxies). */
uint64_t origin_pool_reuses(void);

#endif
