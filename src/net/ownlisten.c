/* ownlisten.c — airlock's own listeners as abstract AF_UNIX names (see
 * ownlisten.h). */
#include "net/ownlisten.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#define NAME_PREFIX "airlock-listener:tcp:"

/* A copy of a with an IPv4-mapped IPv6 address turned into IPv4. */
static void
unmap(const struct sockaddr_storage *a, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;

	*out = *a;
	if (a->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
		return;
	memset(out, 0, sizeof(*out));
	v4->sin_family = AF_INET;
	v4->sin_port = v6->sin6_port;
	memcpy(&v4->sin_addr, &v6->sin6_addr.s6_addr[12], 4);
}

size_t
ownlisten_name(const struct sockaddr_storage *addr, uint16_t port,
	       char out[OWNLISTEN_NAME_MAX])
{
	struct sockaddr_storage a;
	char ip[INET6_ADDRSTRLEN];
	const void *raw;
	int n;

	unmap(addr, &a);
	if (a.ss_family == AF_INET)
		raw = &((const struct sockaddr_in *)&a)->sin_addr;
	else if (a.ss_family == AF_INET6)
		raw = &((const struct sockaddr_in6 *)&a)->sin6_addr;
	else
		return 0;
	if (inet_ntop(a.ss_family, raw, ip, sizeof(ip)) == NULL)
		return 0;
	/* out[0] stays NUL: the abstract namespace. */
	n = snprintf(out + 1, OWNLISTEN_NAME_MAX - 1,
		     a.ss_family == AF_INET6 ? NAME_PREFIX "[%s]:%u"
					     : NAME_PREFIX "%s:%u",
		     ip, (unsigned)port);
	out[0] = '\0';
	if (n < 0 || (size_t)n >= OWNLISTEN_NAME_MAX - 1)
		return 0;
	return (size_t)n + 1;
}

static socklen_t
unix_addr(const char *name, size_t n, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

int
ownlisten_add(const struct sockaddr_storage *bound, struct errbuf *err)
{
	char name[OWNLISTEN_NAME_MAX];
	struct sockaddr_un sun;
	socklen_t len;
	uint16_t port;
	size_t n;
	int fd;

	port = ntohs(bound->ss_family == AF_INET6
			     ? ((const struct sockaddr_in6 *)bound)->sin6_port
			     : ((const struct sockaddr_in *)bound)->sin_port);
	n = ownlisten_name(bound, port, name);
	if (n == 0) {
		errbuf_add(err, "listener registry: not an IP listener");
		return -1;
	}
	len = unix_addr(name, n, &sun);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, len) == -1) {
		/* EADDRINUSE: someone else holds our name. Running anyway
		 * would leave the listener registered only for as long as
		 * they please. */
		errbuf_add(err, "listener registry: %.*s: %s", (int)n - 1,
			   name + 1,
			   errno == EADDRINUSE ? "name already taken by another "
						 "process"
					       : strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

void
ownlisten_remove(int reg)
{
	if (reg >= 0)
		close(reg);
}

/* Whether the name of addr:port is bound. The probe socket is created
 * once and reconnected for every lookup (one system call each). */
static bool
registered(const struct sockaddr_storage *addr, uint16_t port)
{
	static int probe = -1;
	char name[OWNLISTEN_NAME_MAX];
	struct sockaddr_un sun;
	socklen_t len;
	size_t n;

	n = ownlisten_name(addr, port, name);
	if (n == 0)
		return false;
	if (probe == -1)
		probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe == -1)
		return true;
	len = unix_addr(name, n, &sun);
	if (connect(probe, (struct sockaddr *)&sun, len) == 0)
		return true;
	return errno != ECONNREFUSED;
}

static void
set_v4(struct sockaddr_storage *a, uint32_t host_order)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)a;

	memset(a, 0, sizeof(*a));
	v4->sin_family = AF_INET;
	v4->sin_addr.s_addr = htonl(host_order);
}

static void
set_v6(struct sockaddr_storage *a, const struct in6_addr *ip)
{
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;

	memset(a, 0, sizeof(*a));
	v6->sin6_family = AF_INET6;
	v6->sin6_addr = *ip;
}

/* The destination as the kernel will connect it: unmapped, and the
 * unspecified address replaced by loopback. */
static void
destination(const struct sockaddr_storage *in, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *v6;
	const struct sockaddr_in *v4;

	unmap(in, out);
	v4 = (const struct sockaddr_in *)out;
	v6 = (const struct sockaddr_in6 *)out;
	if (out->ss_family == AF_INET && v4->sin_addr.s_addr == INADDR_ANY)
		set_v4(out, INADDR_LOOPBACK);
	else if (out->ss_family == AF_INET6 &&
		 IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
		set_v6(out, &in6addr_loopback);
}

/* Whether a is an address of this host: loopback, or one it can bind
 * (EADDRNOTAVAIL otherwise). Any other outcome counts as local. */
static bool
is_local(const struct sockaddr_storage *a)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
	struct sockaddr_storage b = *a;
	socklen_t len;
	int fd, rc, e;

	if (a->ss_family == AF_INET && (ntohl(v4->sin_addr.s_addr) >> 24) == 127)
		return true;
	if (a->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
		return true;
	len = a->ss_family == AF_INET ? sizeof(struct sockaddr_in)
				      : sizeof(struct sockaddr_in6);
	((struct sockaddr_in *)&b)->sin_port = 0; /* same offset in v6 */
	fd = socket(a->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return true;
	rc = bind(fd, (struct sockaddr *)&b, len);
	e = errno;
	close(fd);
	return rc == 0 || e != EADDRNOTAVAIL;
}

bool
ownlisten_find(const struct sockaddr_storage *addr, uint16_t port)
{
	struct sockaddr_storage d, any4, any6;
	bool wildcard;

	if (addr->ss_family != AF_INET && addr->ss_family != AF_INET6)
		return false;
	destination(addr, &d);
	if (registered(&d, port))
		return true;
	set_v4(&any4, INADDR_ANY);
	set_v6(&any6, &in6addr_any);
	wildcard = registered(&any6, port) ||
		   (d.ss_family == AF_INET && registered(&any4, port));
	return wildcard && is_local(&d);
}
