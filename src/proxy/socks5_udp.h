/* socks5_udp.h — the UDP relay of one SOCKS5 UDP ASSOCIATE (RFC 1928 §7).
 * Internal to src/proxy/ (used by socks5_server.c).
 *
 * An association owns two kinds of UDP sockets: the relay socket, bound on
 * loopback, which the client sends its wrapped datagrams to and receives
 * wrapped replies from — under `airlock run` a copy of one of the sockets
 * of the proxy's pool (proxy_opts.udp_fds), bound on the sandbox's own
 * loopback where the client is, one association per pool socket at a
 * time (past that, the association fails: SOCKS5 reply 0x01); and outbound sockets (one per address family,
 * created on first use) that talk to targets. It lives exactly as long as
 * the TCP control connection that created it: the control connection
 * calls socks5_udp_close() when it ends, and watches
 * socks5_udp_last_activity() for the idle deadline.
 *
 * Rules (DESIGN §4.4, §5 [ours]):
 *   - only datagrams from the control connection's peer IP are accepted,
 *     and once one is, only from that exact ip:port (from the start when
 *     the ASSOCIATE request named a source port, RFC 1928 §7);
 *   - FRAG != 0, short or malformed headers, oversized datagrams: dropped
 *     (counted, logged at debug level);
 *   - every datagram is decided with POLICY_PROTO_SOCKS5_UDP through
 *     proxy_decide_start (a domain is judged by name before it is resolved,
 *     then the addresses are judged); a denied datagram is dropped and
 *     recorded, the association lives on;
 *   - an allowed payload is sent to the first vetted address, and that
 *     ip:port joins a bounded table of destinations (oldest replaced);
 *   - allowed decisions are cached per association, keyed by the
 *     destination as the client wrote it (bounded, oldest replaced): later
 *     datagrams to it go to the same vetted address without a new lookup
 *     or audit line. The association keeps the state it started with, so
 *     a reload affects new associations only. Denials are not cached:
 *     each denied datagram is recorded;
 *   - a datagram arriving on an outbound socket is forwarded, wrapped with
 *     its source as DST, to the client only when its source ip:port is in
 *     that table.
 * Bounds: SOCKS5_UDP_PENDING_MAX decisions in flight (each holds a copy of
 * its payload), SOCKS5_UDP_DEST_MAX table entries, SOCKS5_UDP_CACHE_MAX
 * cached decisions, SOCKS5_UDP_DGRAM_MAX bytes per datagram. Sends use
 * uv_udp_try_send: a datagram the kernel cannot take now is dropped, so
 * nothing queues in user space.
 *
 * Ownership: the association takes a reference on the state for its
 * lifetime (a reload affects new associations only) and frees itself in
 * its handles' close callbacks after socks5_udp_close(). */
#ifndef AIRLOCK_SOCKS5_UDP_H
#define AIRLOCK_SOCKS5_UDP_H

#include <stdint.h>
#include <sys/socket.h>

#include "proxy/proxy_int.h"

#define SOCKS5_UDP_PENDING_MAX 32
#define SOCKS5_UDP_DEST_MAX 64
#define SOCKS5_UDP_CACHE_MAX 16
#define SOCKS5_UDP_DGRAM_MAX (64 * 1024)

struct socks5_udp;

/* Counters of one association, for logs and tests. */
struct socks5_udp_stats {
	uint64_t in, out;      /* datagrams client → target, target → client */
	uint64_t dropped;      /* any reason, including policy denials */
	uint64_t fragments;    /* FRAG != 0 among dropped */
};

/* Starts an association for the client whose control connection comes
 * from peer (its IP filters datagrams) and was accepted on local (its
 * family picks 127.0.0.1 or ::1 for the relay socket). A non-zero
 * src_port (the request's DST.PORT) fixes the client's UDP port. client
 * is the peer's `ip:port` for records. On success, *bound is the relay
 * socket's address to put in the reply. NULL with a libuv error code in
 * *err. */
struct socks5_udp *socks5_udp_start(struct proxy *p, struct proxy_state *s,
				    const struct sockaddr_storage *local,
				    const struct sockaddr_storage *peer,
				    uint16_t src_port, const char *client,
				    struct sockaddr_storage *bound, int *err);
/* uv_now() when a datagram last moved either way (or the start). */
uint64_t socks5_udp_last_activity(const struct socks5_udp *u);
const struct socks5_udp_stats *socks5_udp_stats(const struct socks5_udp *u);
/* Cancels pending decisions, closes every socket; frees itself once libuv
 * lets go of them. u must not be used afterwards. NULL is fine. */
void socks5_udp_close(struct socks5_udp *u);

#endif
