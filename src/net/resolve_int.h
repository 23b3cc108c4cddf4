/* resolve_int.h — what resolve.c and resolve_pool.c share. Not for use
 * outside them. */
#ifndef AIRLOCK_RESOLVE_INT_H
#define AIRLOCK_RESOLVE_INT_H

#include <netdb.h>

#include "net/resolve.h"

/* Appends the IPv4 and IPv6 addresses of ai to out, dropping duplicates,
 * up to RESOLVE_MAX_ADDRS. */
void resolve_collect(struct resolve_result *out, const struct addrinfo *ai);

#endif
