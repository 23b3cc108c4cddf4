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

/* The event-loop form, for the proxy: resolves host on libuv's thread pool
 * and calls cb exactly once on the loop thread — with status 0 and the
 * addresses, or -1 and a message (`could not resolve host <host>: <why>`,
 * including `timed out after N ms` when the deadline passes first) —
 * unless resolve_cancel() was called before. res and why are valid only
 * during the call. The request frees itself after cb (or after a cancel,
 * once libuv lets go of it). */
struct uv_loop_s;
struct resolve_req;
typedef void resolve_cb(void *arg, int status, const struct resolve_result *res,
			const char *why);
struct resolve_req *resolve_start(struct uv_loop_s *loop, const char *host,
				  uint16_t port, int timeout_ms, resolve_cb *cb,
				  void *arg);
/* Stops a pending lookup: cb will not be called. */
void resolve_cancel(struct resolve_req *r);

/* Writes the numeric form of a (no port) into out; returns out. */
const char *resolve_addr_str(const struct sockaddr_storage *a, char *out,
			     size_t outsz);

#endif
