#include "net/listen.h"
#include "lib/hostport.h"
#include "lib/xalloc.h"
#include "net/ownlisten.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Splits "[v6]:port" or "host:port" (after the scheme) into host and
 * port. Returns a reason or NULL. */
static const char *
split(const char *s, char *host, size_t hostsz, long *port)
{
	struct hostport hp;
	const char *why = hostport_parse(s, strlen(s),
					 HOSTPORT_PORT_REQUIRED | HOSTPORT_SLASH,
					 &hp);

	if (why != NULL)
		return why;
	if (hp.host.n >= hostsz)
		return "bad host";
	memcpy(host, hp.host.p, hp.host.n);
	host[hp.host.n] = '\0';
	*port = hp.port;
	return NULL;
}

int
listen_parse(const char *url, const char *key, struct sockaddr_storage *addr,
	     struct errbuf *err)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
	const char *s = url, *why;
	char host[64];
	long port = 0;

	memset(addr, 0, sizeof(*addr));
	if (strncasecmp(s, "http://", 7) == 0)
		s += 7;
	why = split(s, host, sizeof(host), &port);
	if (why == NULL) {
		if (strcasecmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
			v4->sin_family = AF_INET;
			v4->sin_port = htons((uint16_t)port);
		} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons((uint16_t)port);
		} else {
			why = "host must be an IP literal or localhost";
		}
	}
	if (why != NULL) {
		errbuf_add(err, "%s: %s: %s", key, url, why);
		return -1;
	}
	return 0;
}

bool
listen_is_loopback(const struct sockaddr_storage *addr)
{
	if (addr->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	}
	if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 =
			(const struct sockaddr_in6 *)addr;
		return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
	}
	return false;
}

const char *
listen_addr_str(const struct sockaddr *sa, char *out, size_t outsz)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
		snprintf(out, outsz, "%s:%u", ip, ntohs(v4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outsz, "[%s]:%u", ip, ntohs(v6->sin6_port));
	} else {
		snprintf(out, outsz, "unknown");
	}
	return out;
}

const char *
listen_bound(const uv_tcp_t *t, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_tcp_getsockname(t, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(out, outsz, "unknown");
		return out;
	}
	return listen_addr_str((struct sockaddr *)&ss, out, outsz);
}

const char *
listen_peer(const uv_tcp_t *t, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(out, outsz, "unknown");
		return out;
	}
	return listen_addr_str((struct sockaddr *)&ss, out, outsz);
}

/* A listener and its entry in the registry of airlock's own listeners
 * (ownlisten.h); tcp comes first, so the handle is the whole. */
struct listener {
	uv_tcp_t tcp;
	int reg; /* -1: not registered (adopted from the sandbox) */
};

static void
free_handle(uv_handle_t *h)
{
	struct listener *l = (struct listener *)h;

	ownlisten_remove(l->reg);
	free(l);
}

void
listen_close(uv_tcp_t *t)
{
	if (t != NULL && !uv_is_closing((uv_handle_t *)t))
		uv_close((uv_handle_t *)t, free_handle);
}

/* Registers what t is bound to; -1 with err. */
static int
register_bound(struct listener *l, struct errbuf *err)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len) != 0) {
		errbuf_add(err, "listener registry: cannot read the bound "
				"address");
		return -1;
	}
	l->reg = ownlisten_add(&ss, err);
	return l->reg == -1 ? -1 : 0;
}

uv_tcp_t *
listen_tcp(uv_loop_t *loop, const struct sockaddr_storage *addr, int fd,
	   const char *key, uv_connection_cb cb, void *data,
	   struct errbuf *err)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	uv_tcp_t *t = &l->tcp;
	char where[80];
	int rc;

	l->reg = -1;
	uv_tcp_init(loop, t);
	t->data = data;
	if (fd >= 0) {
		rc = uv_tcp_open(t, fd);
		snprintf(where, sizeof(where), "fd %d", fd);
	} else {
		rc = uv_tcp_bind(t, (const struct sockaddr *)addr, 0);
		listen_addr_str((const struct sockaddr *)addr, where,
				sizeof(where));
	}
	/* Registered before it listens, so no proxy can reach it before it
	 * is known. A socket adopted from the sandbox listens in the
	 * sandbox's network namespace: no address of ours reaches it. */
	if (rc == 0 && fd < 0 && register_bound(l, err) == -1)
		goto fail;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)t, 1024, cb);
	if (rc != 0) {
		errbuf_add(err, "%s: listen on %s: %s", key, where,
			   uv_strerror(rc));
		goto fail;
	}
	return t;
fail:
	uv_close((uv_handle_t *)t, free_handle);
	return NULL;
}
