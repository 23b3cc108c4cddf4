/* transparent_target.h — what a connection the sandbox's rules routed to
 * the proxy is judged as, from its original destination. Pure: no I/O,
 * no allocation. Not for use outside src/proxy/.
 *
 *   destination                        judged as
 *   198.18.0.0/15, handed out by the   the name the stub resolver gave
 *     sandbox's stub resolver          that address (never the address)
 *   198.18.0.0/15, never handed out    nothing: refused (unknown_synthetic)
 *   127.0.0.1 or ::1, on a port an      the entry's host (127.0.0.1, ::1 or
 *     allow entry forwards             localhost): the entry for the
 *                                      destination's own family first, then
 *                                      localhost, then any other
 *   any other loopback destination     nothing: refused (the rules route no
 *                                      such connection; it was made to the
 *                                      transparent listener itself)
 *   any other address                  the IP literal (IPv6 in brackets):
 *                                      CIDR and exact entries, local
 *                                      address checks, as for any target
 * An IPv4-mapped IPv6 address is read as its IPv4 address. */
#ifndef AIRLOCK_TRANSPARENT_TARGET_H
#define AIRLOCK_TRANSPARENT_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/synth.h"
#include "policy/host.h"
#include "proxy/proxy.h"

enum transparent_kind {
	TT_NAME,	  /* a synthetic address: host is its name */
	TT_FORWARD,	  /* a forwarded loopback port: host is the entry's */
	TT_IP,		  /* host is the address as an IP literal */
	TT_UNKNOWN_SYNTH, /* refuse: host is the address */
	TT_LOOPBACK,	  /* refuse: host is the address */
};

struct transparent_target {
	enum transparent_kind kind;
	char host[HOST_TEXT_MAX];
	uint16_t port;
};

/* Maps dst (AF_INET or AF_INET6) through m (may be NULL: no stub) and
 * fw[0..n). -1 for another family. */
int transparent_target_of(const struct synth *m, const struct proxy_forward *fw,
			  size_t n, const struct sockaddr_storage *dst,
			  struct transparent_target *out);

#endif
