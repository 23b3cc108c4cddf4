/* socks5_udp.c — the UDP relay of one SOCKS5 association (socks5_udp.h). */
#include "proxy/socks5_udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/socks5.h"

/* One datagram waiting for its decision (a copy of its payload). */
struct pending {
	struct pending *prev, *next;
	struct socks5_udp *u;
	struct proxy_decide *dec;
	char host[HOST_TEXT_MAX];	/* as the client wrote it */
	uint16_t port;
	size_t len;
	char data[];
};

/* An allowed destination as the client wrote it, and the vetted address
 * it was sent to. */
struct cached {
	char host[HOST_TEXT_MAX];
	uint16_t port;
	struct sockaddr_storage addr;
};

struct socks5_udp {
	struct proxy *p;
	struct proxy_state *s;
	uv_udp_t relay;			/* loopback, faces the client */
	int slot;			/* the proxy's pool socket, or -1 */
	uv_udp_t out4, out6;		/* face targets, opened on first use */
	bool have4, have6;
	int handles;			/* open handles */
	bool closing;
	struct sockaddr_storage client;	/* the client's IP, then ip:port */
	bool client_locked;
	char client_str[64];
	struct pending pending;		/* list head */
	size_t npending;
	struct sockaddr_storage dest[SOCKS5_UDP_DEST_MAX];
	size_t ndest, dest_next;
	struct cached cache[SOCKS5_UDP_CACHE_MAX];
	size_t ncache, cache_next;
	uint64_t last;
	struct socks5_udp_stats st;
};

/* Datagrams are handled to completion inside the receive callback on the
 * loop's one thread, so one receive buffer and one send buffer serve all
 * associations. */
static char rx_buf[SOCKS5_UDP_DGRAM_MAX];
static char tx_buf[SOCKS5_UDP_HEADER_MAX + SOCKS5_UDP_DGRAM_MAX];

/* --- addresses -------------------------------------------------------------- */

static bool
same_ip(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->sa_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a->ss_family == AF_INET6 &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

static uint16_t
port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	return same_ip(a, b) &&
	       port_of((const struct sockaddr *)a) == port_of(b);
}

static socklen_t
addr_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					: sizeof(struct sockaddr_in);
}

static bool
dest_known(const struct socks5_udp *u, const struct sockaddr *sa)
{
	size_t i;

	for (i = 0; i < u->ndest; i++)
		if (same_addr(&u->dest[i], sa))
			return true;
	return false;
}

/* Remembers an allowed destination; past the cap the oldest goes. */
static void
dest_add(struct socks5_udp *u, const struct sockaddr_storage *sa)
{
	if (dest_known(u, (const struct sockaddr *)sa))
		return;
	memset(&u->dest[u->dest_next], 0, sizeof(u->dest[0]));
	memcpy(&u->dest[u->dest_next], sa, addr_len(sa));
	u->dest_next = (u->dest_next + 1) % SOCKS5_UDP_DEST_MAX;
	if (u->ndest < SOCKS5_UDP_DEST_MAX)
		u->ndest++;
}

static const struct cached *
cache_find(const struct socks5_udp *u, const char *host, uint16_t port)
{
	size_t i;

	for (i = 0; i < u->ncache; i++)
		if (u->cache[i].port == port &&
		    strcmp(u->cache[i].host, host) == 0)
			return &u->cache[i];
	return NULL;
}

/* Remembers an allowed decision; past the cap the oldest goes. */
static void
cache_add(struct socks5_udp *u, const char *host, uint16_t port,
	  const struct sockaddr_storage *addr)
{
	struct cached *e;

	if (cache_find(u, host, port) != NULL)
		return;
	e = &u->cache[u->cache_next];
	snprintf(e->host, sizeof(e->host), "%s", host);
	e->port = port;
	e->addr = *addr;
	u->cache_next = (u->cache_next + 1) % SOCKS5_UDP_CACHE_MAX;
	if (u->ncache < SOCKS5_UDP_CACHE_MAX)
		u->ncache++;
}

static void
drop(struct socks5_udp *u, const char *why)
{
	u->st.dropped++;
	log_debug("socks5 udp %s: datagram dropped: %s", u->client_str, why);
}

/* --- target → client ---------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	*b = uv_buf_init(rx_buf, sizeof(rx_buf));
}

static void
on_target(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
	  unsigned flags)
{
	struct socks5_udp *u = h->data;
	struct socks5_addr src;
	uv_buf_t out;
	size_t hl;

	if (n < 0 || from == NULL || u->closing)
		return;
	if ((flags & UV_UDP_PARTIAL) != 0) {
		drop(u, "reply too large");
		return;
	}
	if (!dest_known(u, from) || !u->client_locked) {
		drop(u, "reply from a source the client never sent to");
		return;
	}
	if (socks5_addr_from_sockaddr(&src, from) == -1)
		return;
	hl = socks5_encode_udp_header(&src, tx_buf, SOCKS5_UDP_HEADER_MAX);
	if (hl == 0)
		return;
	memcpy(tx_buf + hl, b->base, (size_t)n);
	out = uv_buf_init(tx_buf, (unsigned)(hl + (size_t)n));
	if (uv_udp_try_send(&u->relay, &out, 1,
			    (const struct sockaddr *)&u->client) < 0) {
		drop(u, "client socket busy");
		return;
	}
	u->st.out++;
	u->last = uv_now(u->p->loop);
}

/* --- client → target ------------------------------------------------------------ */

static uv_udp_t *
out_socket(struct socks5_udp *u, int family)
{
	bool *have = family == AF_INET6 ? &u->have6 : &u->have4;
	uv_udp_t *h = family == AF_INET6 ? &u->out6 : &u->out4;

	if (*have)
		return h;
	if (uv_udp_init_ex(u->p->loop, h, (unsigned)family) != 0)
		return NULL;
	*have = true;
	u->handles++;
	h->data = u;
	if (uv_udp_recv_start(h, on_alloc, on_target) != 0)
		return h;	/* sends still work; replies will not */
	return h;
}

static void
send_to_target(struct socks5_udp *u, const struct sockaddr_storage *dst,
	       const char *p, size_t n)
{
	uv_udp_t *h = out_socket(u, dst->ss_family);
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);

	if (h == NULL ||
	    uv_udp_try_send(h, &b, 1, (const struct sockaddr *)dst) < 0) {
		drop(u, "send to target failed");
		return;
	}
	dest_add(u, dst);
	u->st.in++;
	u->last = uv_now(u->p->loop);
}

static void
pending_unlink(struct pending *x)
{
	x->prev->next = x->next;
	x->next->prev = x->prev;
	x->u->npending--;
}

static void
on_decided(void *arg, const struct policy_decision *d,
	   const struct resolve_result *addrs, const char *why)
{
	struct pending *x = arg;
	struct socks5_udp *u = x->u;

	pending_unlink(x);
	if (d == NULL)
		drop(u, why ? why : "could not resolve host");
	else if (!policy_allowed(d) || addrs == NULL || addrs->n == 0)
		drop(u, policy_reason_str(d->reason));
	else {
		cache_add(u, x->host, x->port, &addrs->addrs[0]);
		send_to_target(u, &addrs->addrs[0], x->data, x->len);
	}
	free(x);
}

/* Starts the decision for one datagram for dst carrying payload. */
static void
decide(struct socks5_udp *u, const struct socks5_addr *dst,
       const struct slice *payload)
{
	struct policy_request r = {0};
	const struct cached *hit;
	struct pending *x;
	struct proxy_decide *dec;
	char host[HOST_TEXT_MAX], ip[INET6_ADDRSTRLEN];

	if (dst->atyp == SOCKS5_ATYP_DOMAIN) {
		snprintf(host, sizeof(host), "%.*s", (int)dst->host.n,
			 dst->host.p);
	} else if (dst->atyp == SOCKS5_ATYP_IPV4) {
		inet_ntop(AF_INET, dst->ip, ip, sizeof(ip));
		snprintf(host, sizeof(host), "%s", ip);
	} else {
		inet_ntop(AF_INET6, dst->ip, ip, sizeof(ip));
		snprintf(host, sizeof(host), "[%s]", ip);
	}
	hit = cache_find(u, host, dst->port);
	if (hit != NULL) {
		send_to_target(u, &hit->addr, payload->p, payload->n);
		return;
	}
	if (u->npending >= SOCKS5_UDP_PENDING_MAX) {
		drop(u, "too many datagrams waiting for a decision");
		return;
	}
	x = xmalloc(sizeof(*x) + payload->n);
	x->u = u;
	x->dec = NULL;
	snprintf(x->host, sizeof(x->host), "%s", host);
	x->port = dst->port;
	x->len = payload->n;
	memcpy(x->data, payload->p, payload->n);
	x->next = u->pending.next;
	x->prev = &u->pending;
	u->pending.next->prev = x;
	u->pending.next = x;
	u->npending++;
	r.host = host;
	r.port = dst->port;
	r.protocol = POLICY_PROTO_SOCKS5_UDP;
	dec = proxy_decide_start(u->p, u->s, &r, u->client_str, on_decided, x);
	if (dec != NULL)
		x->dec = dec;	/* else x is already gone */
}

/* The client's source filter: its IP always, its first port after. */
static bool
from_client(struct socks5_udp *u, const struct sockaddr *from)
{
	if (!u->client_locked) {
		if (!same_ip(&u->client, from))
			return false;
		memset(&u->client, 0, sizeof(u->client));
		memcpy(&u->client, from,
		       from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : sizeof(struct sockaddr_in));
		u->client_locked = true;
		return true;
	}
	return same_addr(&u->client, from);
}

static void
on_client(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
	  unsigned flags)
{
	struct socks5_udp *u = h->data;
	struct socks5_udp_header hd;
	int rc;

	if (n <= 0 || from == NULL || u->closing)
		return;
	if (!from_client(u, from)) {
		drop(u, "datagram from a stranger");
		return;
	}
	if ((flags & UV_UDP_PARTIAL) != 0) {
		drop(u, "datagram too large");
		return;
	}
	u->last = uv_now(u->p->loop);
	rc = socks5_parse_udp(b->base, (size_t)n, &hd);
	if (rc <= 0) {
		drop(u, "malformed header");
		return;
	}
	if (hd.frag != 0) {
		u->st.fragments++;
		drop(u, "fragment (FRAG != 0)");
		return;
	}
	decide(u, &hd.dst, &hd.data);
}

/* --- life cycle --------------------------------------------------------------- */

static void
on_closed(uv_handle_t *h)
{
	struct socks5_udp *u = h->data;

	if (--u->handles > 0)
		return;
	log_debug("socks5 udp %s: closed: %llu in, %llu out, %llu dropped "
		  "(%llu fragments)",
		  u->client_str, (unsigned long long)u->st.in,
		  (unsigned long long)u->st.out,
		  (unsigned long long)u->st.dropped,
		  (unsigned long long)u->st.fragments);
	proxy_state_unref(u->s);
	free(u);
}

/* A copy of a free socket of the proxy's pool (bound in the sandbox's
 * namespace, where the client is), its stale datagrams dropped; -1 with
 * *rc when every one is taken. */
static int
take_slot(struct socks5_udp *u, int *rc)
{
	struct proxy *p = u->p;
	char junk[1];
	size_t i;
	int k, fd;

	for (i = 0; i < p->n_udp_pool && p->udp_busy[i]; i++)
		;
	if (i == p->n_udp_pool) {
		*rc = UV_EBUSY;
		return -1;
	}
	/* Left over from an association before: a bounded drain. */
	for (k = 0; k < 256; k++)
		if (recv(p->udp_pool[i], junk, sizeof(junk), MSG_DONTWAIT) < 0)
			break;
	fd = fcntl(p->udp_pool[i], F_DUPFD_CLOEXEC, 3);
	if (fd == -1) {
		*rc = uv_translate_sys_error(errno);
		return -1;
	}
	p->udp_busy[i] = true;
	u->slot = (int)i;
	return fd;
}

static int
bind_relay(struct socks5_udp *u, const struct sockaddr_storage *local,
	   struct sockaddr_storage *bound)
{
	struct sockaddr_storage ss;
	int len = sizeof(*bound), rc = 0, fd = -1;

	memset(&ss, 0, sizeof(ss));
	if (local->ss_family == AF_INET6)
		uv_ip6_addr("::1", 0, (struct sockaddr_in6 *)&ss);
	else
		uv_ip4_addr("127.0.0.1", 0, (struct sockaddr_in *)&ss);
	if (u->p->n_udp_pool > 0 && (fd = take_slot(u, &rc)) == -1)
		return rc;
	rc = uv_udp_init(u->p->loop, &u->relay);
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	u->handles++;
	u->relay.data = u;
	if (fd >= 0) {
		rc = uv_udp_open(&u->relay, fd);
		if (rc != 0)
			close(fd);
	} else {
		rc = uv_udp_bind(&u->relay, (const struct sockaddr *)&ss, 0);
	}
	if (rc == 0)
		rc = uv_udp_getsockname(&u->relay, (struct sockaddr *)bound,
					&len);
	if (rc == 0)
		rc = uv_udp_recv_start(&u->relay, on_alloc, on_client);
	return rc;
}

struct socks5_udp *
socks5_udp_start(struct proxy *p, struct proxy_state *s,
		 const struct sockaddr_storage *local,
		 const struct sockaddr_storage *peer, uint16_t src_port,
		 const char *client, struct sockaddr_storage *bound, int *err)
{
	struct socks5_udp *u = xcalloc(1, sizeof(*u));

	u->p = p;
	u->s = s;
	u->slot = -1;
	s->refs++;
	u->pending.next = u->pending.prev = &u->pending;
	u->client = *peer;
	if (src_port != 0) {
		if (peer->ss_family == AF_INET6)
			((struct sockaddr_in6 *)&u->client)->sin6_port =
				htons(src_port);
		else
			((struct sockaddr_in *)&u->client)->sin_port =
				htons(src_port);
		u->client_locked = true;
	}
	snprintf(u->client_str, sizeof(u->client_str), "%s", client);
	u->last = uv_now(p->loop);
	memset(bound, 0, sizeof(*bound));
	*err = bind_relay(u, local, bound);
	if (*err != 0) {
		socks5_udp_close(u);
		return NULL;
	}
	return u;
}

uint64_t
socks5_udp_last_activity(const struct socks5_udp *u)
{
	return u->last;
}

const struct socks5_udp_stats *
socks5_udp_stats(const struct socks5_udp *u)
{
	return &u->st;
}

void
socks5_udp_close(struct socks5_udp *u)
{
	struct pending *x;

	if (u == NULL || u->closing)
		return;
	u->closing = true;
	/* uv_close closes our copy at once: the slot is free again. */
	if (u->slot >= 0)
		u->p->udp_busy[u->slot] = false;
	while ((x = u->pending.next) != &u->pending) {
		pending_unlink(x);
		proxy_decide_cancel(x->dec);
		free(x);
	}
	if (u->handles == 0) {
		proxy_state_unref(u->s);
		free(u);
		return;
	}
	uv_close((uv_handle_t *)&u->relay, on_closed);
	if (u->have4)
		uv_close((uv_handle_t *)&u->out4, on_closed);
	if (u->have6)
		uv_close((uv_handle_t *)&u->out6, on_closed);
}
