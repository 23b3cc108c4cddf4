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

/* Writes the numeric form of a (no port) into out; returns out. */
const char *resolve_addr_str(const struct sockaddr_storage *a, char *out,
			     size_t outsz);

#endif
