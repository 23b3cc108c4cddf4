/* resolve.h — resolve a host name once, with a deadline.
 *
 * airlock resolves a name exactly once per decision and then dials the
 * addresses it vetted (DESIGN §4.4 step 6): the result of a resolution is a
 * plain list of addresses the caller keeps. This synchronous form is for
 * command-line tools (`airlock policy check`); the proxy's event-loop form
 * lives beside it. */
#ifndef AIRLOCK_RESOLVE_H
#define AIRLOCK_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/errbuf.h"

#define RESOLVE_MAX_ADDRS 16
#define RESOLVE_TIMEOUT_MS 2000

struct resolve_result {
	struct sockaddr_storage addrs[RESOLVE_MAX_ADDRS];
	size_t n;
};

/* Resolves host for TCP on port within timeout_ms. Returns 0 with at least
 * one address, or -1 adding `could not resolve host <host>: <why>` to err.
 * Duplicate addresses are dropped; at most RESOLVE_MAX_ADDRS are kept. */
int resolve_sync(const char *host, uint16_t port, int timeout_ms,
		 struct resolve_result *out, struct errbuf *err);

/* The event-loop form, for the proxy (resolve_pool.c): resolves host on a
 * pool of resolver threads of our own and calls cb exactly once on the
 * loop thread — with status 0 and the addresses, or -1 and a message
 * (`could not resolve host <host>: <why>`, including `timed out after N
 * ms` when the deadline passes first, and the caps below) — unless
 * resolve_cancel() was called before. res and why are valid only during
 * the call; cb never runs inside resolve_start. The request frees itself
 * after cb (or after a cancel).
 *
 * A slow lookup never delays another: identical lookups (same host and
 * port) in flight share one getaddrinfo() call; different ones run in
 * parallel on up to RESOLVE_THREADS_MAX threads. client names who asks
 * (the proxy passes the peer address; NULL is the process itself): one
 * client may have at most RESOLVE_CLIENT_MAX different lookups in flight,
 * and past that, or when the pool holds too many lookups in all, the
 * request fails at once with `too many lookups in flight` / `resolver
 * busy` rather than waiting. */
#define RESOLVE_THREADS_MAX 32
#define RESOLVE_CLIENT_MAX 16
struct uv_loop_s;
struct resolve_req;
typedef void resolve_cb(void *arg, int status, const struct resolve_result *res,
			const char *why);
struct resolve_req *resolve_start_for(struct uv_loop_s *loop, const char *host,
				      uint16_t port, int timeout_ms,
				      const char *client, resolve_cb *cb,
				      void *arg);
/* The same for the process itself (client NULL). */
struct resolve_req *resolve_start(struct uv_loop_s *loop, const char *host,
				  uint16_t port, int timeout_ms, resolve_cb *cb,
				  void *arg);
/* Stops a pending lookup: cb will not be called. */
void resolve_cancel(struct resolve_req *r);
/* Changes the pool's caps for lookups started from now on (tests): the
 * threads, the lookups per client, and how long after its last request
 * gave up a lookup still running stops counting against its client
 * (30 s). A cap of 0, or a negative abandon_ms, means the default. */
void resolve_pool_limits(unsigned threads_max, unsigned client_max,
			 int abandon_ms);

/* Writes the numeric form of a (no port) into out; returns out. */
const char *resolve_addr_str(const struct sockaddr_storage *a, char *out,
			     size_t outsz);

#endif
