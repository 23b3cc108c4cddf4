/* transparent_target.c — see transparent_target.h. */
#include "proxy/transparent_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The forward entry for port, preferring the destination's own family,
 * then localhost, then whatever names the port. */
static const struct proxy_forward *
find_forward(const struct proxy_forward *fw, size_t n, uint16_t port,
	     bool v6)
{
	const struct proxy_forward *any = NULL, *lh = NULL;
	const char *own = v6 ? "::1" : "127.0.0.1";
	size_t i;

	for (i = 0; i < n; i++) {
		if (fw[i].port != port)
			continue;
		if (strcmp(fw[i].host, own) == 0)
			return &fw[i];
		if (lh == NULL && strcmp(fw[i].host, "localhost") == 0)
			lh = &fw[i];
		if (any == NULL)
			any = &fw[i];
	}
	return lh != NULL ? lh : any;
}

static void
v4_target(const struct synth *m, const struct proxy_forward *fw, size_t n,
	  uint32_t a, struct transparent_target *out)
{
	const struct proxy_forward *f;
	const char *name;
	struct in_addr in;

	in.s_addr = htonl(a);
	inet_ntop(AF_INET, &in, out->host, sizeof(out->host));
	if (synth_in_range(a)) {
		name = m != NULL ? synth_name(m, a) : NULL;
		out->kind = name != NULL ? TT_NAME : TT_UNKNOWN_SYNTH;
		if (name != NULL)
			snprintf(out->host, sizeof(out->host), "%s", name);
		return;
	}
	if ((a >> 24) == 127) {
		/* The rules forward 127.0.0.1 only: another address of the
		 * loopback came here by being the listener's own. */
		f = a == INADDR_LOOPBACK ? find_forward(fw, n, out->port, false)
					 : NULL;
		out->kind = f != NULL ? TT_FORWARD : TT_LOOPBACK;
		if (f != NULL)
			snprintf(out->host, sizeof(out->host), "%s", f->host);
		return;
	}
	out->kind = TT_IP;
}

static void
v6_target(const struct proxy_forward *fw, size_t n,
	  const struct in6_addr *a, struct transparent_target *out)
{
	const struct proxy_forward *f;
	char text[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, text, sizeof(text));
	snprintf(out->host, sizeof(out->host), "[%s]", text);
	if (IN6_IS_ADDR_LOOPBACK(a)) {
		f = find_forward(fw, n, out->port, true);
		out->kind = f != NULL ? TT_FORWARD : TT_LOOPBACK;
		if (f != NULL)
			snprintf(out->host, sizeof(out->host), "%s", f->host);
		return;
	}
	out->kind = TT_IP;
}

int
transparent_target_of(const struct synth *m, const struct proxy_forward *fw,
		      size_t n, const struct sockaddr_storage *dst,
		      struct transparent_target *out)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)dst;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)dst;
	uint32_t a;

	memset(out, 0, sizeof(*out));
	if (dst->ss_family == AF_INET) {
		out->port = ntohs(v4->sin_port);
		v4_target(m, fw, n, ntohl(v4->sin_addr.s_addr), out);
		return 0;
	}
	if (dst->ss_family != AF_INET6)
		return -1;
	out->port = ntohs(v6->sin6_port);
	if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
		memcpy(&a, v6->sin6_addr.s6_addr + 12, 4);
		v4_target(m, fw, n, ntohl(a), out);
		return 0;
	}
	v6_target(fw, n, &v6->sin6_addr, out);
	return 0;
}
