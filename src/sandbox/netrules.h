/* netrules.h — the rules of the sandbox's network namespace that route
 * every TCP connection to the proxy (transparent routing).
 *
 * In the namespace (which belongs to the sandbox's user namespace, so
 * its first process may change it without any privilege outside):
 *
 *   table inet airlock
 *     chain nat (type nat, hook output, priority -100):
 *       for each forwarded port P:
 *         ip daddr 127.0.0.1 tcp dport P redirect to :TPORT
 *         ip6 daddr ::1 tcp dport P redirect to :TPORT
 *       meta l4proto tcp ip daddr != 127.0.0.0/8 redirect to :TPORT
 *       meta l4proto tcp ip6 daddr != ::1 redirect to :TPORT
 *     chain filter (type filter, hook output, priority 0):
 *       meta l4proto udp ip daddr != 127.0.0.0/8 reject
 *       meta l4proto udp ip6 daddr != ::1 reject
 *   default routes over lo (IPv4 with source 127.0.0.1, and IPv6 when
 *   the kernel has it), so that a connect() to any address gets as far
 *   as the nat rule instead of failing with ENETUNREACH.
 *
 * TPORT is where the proxy's transparent listeners (127.0.0.1 and ::1)
 * wait; redirect rewrites the destination to the loopback address of the
 * packet's family and the kernel's connection tracking keeps the original
 * one for SO_ORIGINAL_DST (net/origdst.h).
 *
 * Split in two for the sandbox's launch: netrules_build() runs in the
 * parent and writes every netlink message (an nf_tables batch and the
 * rtnetlink routes) into the fixed buffers of a struct netrules;
 * netrules_apply() runs in the namespace's first process, which may not
 * allocate or take a lock: it only opens two netlink sockets, sends the
 * bytes and reads the acknowledgements into a stack buffer. */
#ifndef AIRLOCK_SANDBOX_NETRULES_H
#define AIRLOCK_SANDBOX_NETRULES_H

#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"

#define NETRULES_FORWARDS_MAX 32
#define NETRULES_NFT_MAX (48 * 1024)
#define NETRULES_ROUTE_MAX 256

struct netrules {
	char nft[NETRULES_NFT_MAX];	/* the nf_tables batch */
	size_t nft_len;
	unsigned nft_acks;		/* acknowledgements it asks for */
	char route[NETRULES_ROUTE_MAX];	/* RTM_NEWROUTE, IPv4 then IPv6 */
	size_t route_len;
	size_t route6_off;		/* where the IPv6 route starts */
};

/* Writes the messages for listeners on port tport and the forwarded
 * loopback ports[0..n) (at most NETRULES_FORWARDS_MAX; duplicates are
 * written once). -1 with err when they do not fit. */
int netrules_build(struct netrules *r, uint16_t tport, const uint16_t *ports,
		   size_t n, struct errbuf *err);

/* Sends the messages in the current network namespace and checks every
 * acknowledgement. 0, or -1 with `network rules: what: why` in err. */
int netrules_apply(const struct netrules *r, struct errbuf *err);

#endif
