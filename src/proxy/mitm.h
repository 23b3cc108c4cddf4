/* mitm.h — limited mode over HTTPS: TLS interception with the managed CA
 * (reference §8.2; DESIGN §5). Not for use outside src/proxy/.
 *
 * Flow. The policy allows a CONNECT or SOCKS5 connect to port 443 in
 * limited mode with decision.mitm set. The listener then calls
 * mitm_prepare() (which loads or creates the CA on first use) before it
 * says yes to the client, and hands the client socket to mitm_start():
 * a TLS server (TLS 1.2/1.3, ALPN http/1.1, leaf for the CONNECT target
 * from the LRU cache) terminates the client's TLS, and the plaintext goes
 * to an ordinary HTTP connection of the proxy (hc_adopt) marked with a
 * struct mitm_tunnel. Its requests take the usual path through
 * http_proxy.c until start_request, which hands them to
 * mitm_inner_start():
 *   1 CONNECT inside → 405 `CONNECT not supported inside MITM`;
 *   2 a Host (or absolute-form authority) that does not name the CONNECT
 *     host → 400 `host mismatch` (not recorded);
 *   3 proxy_decide_start with protocol https for the CONNECT host and
 *     port: lists, the limited-mode method check (403
 *     blocked-by-method-policy, recorded method_not_allowed) and the
 *     local/private check on freshly resolved addresses;
 *   4 a new TLS client connection to the vetted addresses (or through the
 *     upstream proxy), SNI and hostname check for the CONNECT host,
 *     verified against the system roots plus extra_ca_certificates; a
 *     failure is a 502 saying so; then http_forward.c streams the request
 *     and response as for plain HTTP, keep-alive included.
 * A client that does not speak TLS into the tunnel is logged and closed.
 *
 * State. One process-wide context (CA, leaf cache, TLS contexts) made on
 * first use and kept until mitm_shutdown(); the upstream TLS context is
 * rebuilt when the proxy state (config) changes. One loop thread. */
#ifndef AIRLOCK_MITM_H
#define AIRLOCK_MITM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/errbuf.h"
#include "proxy/proxy_int.h"

struct hconn;
struct mitm_tunnel;

/* Makes sure interception can run (CA loaded or created under
 * $AIRLOCK_HOME/proxy, trust bundle written). 0, or -1 with err. */
int mitm_prepare(struct proxy *px, struct errbuf *err);

/* Intercepts client (takes ownership: malloc'd, initialised, not
 * reading) for host:port. pre_in are client bytes already read (the start
 * of its TLS); pre_out is the reply that accepts the tunnel (CONNECT 200,
 * SOCKS5 success), written before any TLS byte. peer is `ip:port`.
 * approved: a person allowed the tunnel once (its decision's approved), so
 * its requests are judged as approved too. Call only after
 * mitm_prepare() succeeded. */
void mitm_start(struct proxy *px, uv_tcp_t *client, const char *host,
		uint16_t port, const char *pre_in, size_t n_in,
		const char *pre_out, size_t n_out, const char *peer,
		bool approved);

/* start_request's hook for a connection inside a tunnel (c->mitm set):
 * runs steps 1–3 above; step 4 follows from the decision. */
void mitm_inner_start(struct hconn *c);

/* hc_close's hook: cancels a pending upstream handshake. */
void mitm_inner_close(struct hconn *c);

/* hc_free's hook: frees the tunnel description. NULL is ignored. */
void mitm_tunnel_free(struct mitm_tunnel *t);

/* Counters for tests and benchmarks. */
uint64_t mitm_leaves_minted(void);

/* Frees the process-wide context (tests, clean exits). */
void mitm_shutdown(void);

#endif
