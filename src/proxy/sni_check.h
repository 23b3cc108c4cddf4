/* sni_check.h — full-mode tunnels: the server name (SNI) a TLS client
 * sends must be the host the tunnel was allowed for. Not for use outside
 * src/proxy/.
 *
 * Why: after `CONNECT good.example:443` a client can send a ClientHello
 * for `evil.example`; a CDN that serves both routes by that name, so the
 * policy would have judged one host and the bytes would reach another
 * (domain fronting). With permissions.network.require_sni_match (on by
 * default) every CONNECT and SOCKS5 tunnel is relayed with its client's
 * first bytes held (relay_start_held) until they are judged:
 *   - not TLS (first byte is not a TLS record): passed unjudged;
 *   - a ClientHello (read whole, across records, up to SNI_CHECK_HOLD_MAX
 *     bytes within header_timeout_ms) without SNI: passed;
 *   - a ClientHello whose SNI, normalized like any host, is the tunnel's
 *     normalized host: passed. An IP-literal tunnel therefore passes only
 *     a ClientHello without SNI or naming that same address;
 *   - anything else — another name, an unreadable or oversized hello —
 *     is refused: the tunnel (already answered 200 / SOCKS5 success) is
 *     closed before any client byte reached the destination, and the
 *     refusal is recorded (reason `sni_mismatch`, source `tls_sni`, the
 *     host being the name the client sent when it is a valid host name,
 *     else the tunnel's host) in the audit log, the metrics and the
 *     blocked list.
 * Limited mode intercepts TLS instead; only a transparent connection
 * checks its name there too (sni_check_judge). */
#ifndef AIRLOCK_SNI_CHECK_H
#define AIRLOCK_SNI_CHECK_H

#include <stdint.h>

#include "net/relay.h"
#include "policy/host.h"
#include "proxy/proxy_int.h"

#define SNI_CHECK_HOLD_MAX (64 * 1024)

/* Lives in the tunnel's connection (it must outlive the relay). */
struct sni_check {
	struct proxy *px;
	char host[HOST_TEXT_MAX]; /* normalized tunnel host */
	uint16_t port;
	const char *protocol;     /* static: "https_connect", "socks5_tcp" */
	char client[64];
};

/* Prepares k for a connection to host:port (protocol static). -1 when
 * host is not a valid host. */
int sni_check_init(struct sni_check *k, struct proxy *px, const char *host,
		   uint16_t port, const char *protocol, const char *client);
/* Judges the client's first bytes p[0..n) (k as arg): RELAY_HOLD_PASS,
 * RELAY_HOLD_MORE (up to SNI_CHECK_HOLD_MAX bytes), or RELAY_HOLD_REFUSE
 * once the refusal is recorded. Also used by a transparent connection in
 * limited mode, which checks the name whatever require_sni_match says
 * (transparent.h). */
int sni_check_judge(void *arg, const char *p, size_t n);
/* Prepares k for a tunnel to host:port and returns the hold to pass to
 * relay_start_held (filled into *hold), or NULL when st does not require
 * the check (or host is not a valid host). */
const struct relay_hold *sni_check_hold(struct sni_check *k,
					struct relay_hold *hold,
					struct proxy *px,
					const struct proxy_state *st,
					const char *host, uint16_t port,
					const char *protocol,
					const char *client);

#endif
