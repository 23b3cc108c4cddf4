/* mitm.h — limited mode over HTTPS: what TLS interception needs from the
 * managed CA (reference §8.2; doc/mitm.md). Not for use outside
 * src/proxy/. A leaf: it builds SSL objects and calls nothing above it.
 *
 * Flow (who does what). The policy allows a CONNECT or SOCKS5 connect to
 * port 443 in limited mode with decision.mitm set. The listener calls
 * mitm_prepare() (which loads or creates the CA on first use) before it
 * says yes to the client; the client connection (client.h) then wraps its
 * own stream in a TLS server stream made from mitm_server_ssl() (a leaf
 * for the CONNECT host from the LRU cache) and goes on serving HTTP
 * inside it. Each inner request is an exchange (exchange.h) that checks
 * it against the tunnel, decides with protocol https, and reaches the
 * origin (reach.h) through a TLS client stream made from
 * mitm_origin_ssl(): SNI and name (or IP) check for the CONNECT host,
 * verified against the system roots plus extra_ca_certificates, never
 * without verification.
 *
 * State. One process-wide context (CA, leaf cache, server context) made
 * on first use and kept until mitm_shutdown(). Upstream (client-side)
 * contexts are cached by what they are built from — the list of
 * extra_ca_certificates files with their identity and modification time
 * — not by proxy state, so reloads and several proxies in one process
 * (the app-server) share one as long as it would be the same. One loop
 * thread. */
#ifndef AIRLOCK_MITM_H
#define AIRLOCK_MITM_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "lib/errbuf.h"
#include "proxy/proxy_int.h"

/* Makes sure interception can run (CA loaded or created under
 * $AIRLOCK_HOME/proxy, trust bundle written). 0, or -1 with err. */
int mitm_prepare(struct proxy *px, struct errbuf *err);

/* A server-side SSL (accept state, TLS 1.2/1.3, ALPN http/1.1) that
 * presents a leaf for host (no brackets) signed by the CA. NULL when that
 * fails (logged). Only after mitm_prepare() succeeded. */
SSL *mitm_server_ssl(const char *host);

/* A client-side SSL (connect state) for an origin named host (no
 * brackets; is_ip for an IPv4 or IPv6 literal): SNI and host name check,
 * or the IP check, verified against st's trust. NULL on failure. */
SSL *mitm_origin_ssl(const struct proxy_state *st, const char *host,
		     bool is_ip);

/* True when host (no brackets) is an IPv4 or IPv6 literal. */
bool mitm_is_ip(const char *host);

/* Counters for tests and benchmarks. */
uint64_t mitm_leaves_minted(void);
/* Upstream contexts built since the process started. */
uint64_t mitm_origin_contexts_built(void);

/* Frees the process-wide context (tests, clean exits). */
void mitm_shutdown(void);

#endif
