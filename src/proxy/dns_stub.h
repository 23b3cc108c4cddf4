/* dns_stub.h — the sandbox's stub resolver, served by the embedded proxy.
 *
 * The sandbox's /etc/resolv.conf names 127.0.0.1, where the namespace's
 * first process bound a UDP socket on port 53 and handed it to the proxy
 * (proxy_opts.dns_fd). The stub answers every query itself, from the
 * proxy's current state taken per query (a reload applies to the next
 * query), and never sends a query anywhere: there is no upstream and no
 * code that could forward one.
 *
 * Answers (the question name judged by policy_resolvable()):
 *   allowed name, A        one A record from the proxy's synthetic map
 *                          (synth.h), DNS_STUB_TTL seconds; SERVFAIL when
 *                          the map is full (logged once)
 *   allowed name, AAAA or  NOERROR with no record (NODATA): the sandbox
 *     any other type       reaches names through IPv4 synthetic addresses
 *   denied or not allowed  NXDOMAIN, recorded like every refusal: audit
 *                          log, blocked ring, `airlock run`'s summary,
 *                          protocol "dns", port 0, method = query type
 *   proxy disabled         NXDOMAIN, recorded as proxy_disabled
 *   localhost, *.localhost 127.0.0.1 / ::1, not recorded (the sandbox's
 *                          own loopback, RFC 6761)
 *   *.arpa (reverse),      NXDOMAIN, not recorded (.invalid exists
 *     *.invalid            nowhere, RFC 6761; resolv.conf's search
 *                          domain is under it)
 *   the root, class not IN REFUSED, not recorded
 *   a name with bytes no   NXDOMAIN, not recorded (no host name can have
 *     host name has        them, so no request could reach it either)
 *   malformed / opcode /   FORMERR / NOTIMP / BADVERS; responses and
 *     EDNS version         datagrams shorter than a header get nothing
 * Allowed lookups go to the audit log as allow decisions.
 *
 * Ownership: dns_stub_new() takes fd, even on error. dns_stub_close()
 * stops serving; the memory is freed by libuv's close callback, which
 * touches nothing but the stub, so the proxy may be freed right after. */
#ifndef AIRLOCK_DNS_STUB_H
#define AIRLOCK_DNS_STUB_H

#include "lib/errbuf.h"

/* Short, since the answer only lasts while the policy says so: a reload
 * that denies a name takes effect in the sandbox within this time. */
#define DNS_STUB_TTL 10

struct proxy;
struct dns_stub;

/* Serves the bound UDP socket fd for p. NULL with a message in err. */
struct dns_stub *dns_stub_new(struct proxy *p, int fd, struct errbuf *err);
/* Stops serving and frees the stub (after the loop's close callback).
 * NULL is fine. */
void dns_stub_close(struct dns_stub *s);

#endif
