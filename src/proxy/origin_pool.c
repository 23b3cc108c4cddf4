/* origin_pool.c — see origin_pool.h. */
#include "proxy/origin_pool.h"

#include <string.h>

static uint64_t reuses;

uint64_t
origin_pool_reuses(void)
{
	return reuses;
}

void
origin_pool_init(struct origin_pool *p, uv_loop_t *loop)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
}

void
origin_pool_drop(struct origin_pool *p)
{
	stream_close(p->s);
	p->s = NULL;
}

/* Anything from a parked origin — a byte nobody asked for, EOF, an
 * error — makes it unfit. */
static void
on_parked_read(void *arg, ssize_t n, const char *buf)
{
	(void)n;
	(void)buf;
	origin_pool_drop(arg);
}

/* Normalized host into out (HOST_TEXT_MAX); -1 if it has none. */
static int
normal_host(const char *host, char *out)
{
	struct host h;
	const char *why;

	if (host_normalize(host, strlen(host), HOST_NO_PORT, &h, &why) == -1 ||
	    h.len == 0)
		return -1;
	memcpy(out, h.text, h.len + 1);
	return 0;
}

void
origin_pool_park(struct origin_pool *p, struct stream *s, const char *host,
		 uint16_t port, bool tls, const struct sockaddr_storage *addr)
{
	origin_pool_drop(p);
	if (normal_host(host, p->host) == -1) {
		stream_close(s);
		return;
	}
	stream_set_owner(s, p, on_parked_read, NULL);
	if (stream_read_start(s) != 0) {
		stream_close(s);
		return;
	}
	p->s = s;
	p->port = port;
	p->tls = tls;
	p->addr = *addr;
	p->since = uv_now(p->loop);
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0 &&
		       a6->sin6_scope_id == b6->sin6_scope_id;
	return false;
}

static bool
fits(const struct origin_pool *p, const char *host, uint16_t port, bool tls,
     const struct resolve_result *addrs, uint64_t max_age_ms)
{
	char h[HOST_TEXT_MAX];
	size_t i;

	if (p->s == NULL || p->port != port || p->tls != tls ||
	    uv_now(p->loop) - p->since > max_age_ms ||
	    /* an EOF or a byte that came since the loop last looked */
	    !stream_quiet(p->s) ||
	    normal_host(host, h) == -1 || strcmp(h, p->host) != 0)
		return false;
	for (i = 0; i < addrs->n; i++)
		if (same_addr(&addrs->addrs[i], &p->addr))
			return true;
	return false;
}

struct stream *
origin_pool_take(struct origin_pool *p, const char *host, uint16_t port,
		 bool tls, const struct resolve_result *addrs,
		 uint64_t max_age_ms, struct sockaddr_storage *addr)
{
	struct stream *s;

	if (!fits(p, host, port, tls, addrs, max_age_ms)) {
		origin_pool_drop(p);
		return NULL;
	}
	s = p->s;
	p->s = NULL;
	stream_read_stop(s);
	stream_set_owner(s, NULL, NULL, NULL);
	*addr = p->addr;
	reuses++;
	return s;
}
