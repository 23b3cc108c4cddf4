/* origdst.c — see origdst.h. */
#include "net/origdst.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

/* linux/netfilter_ipv4.h and linux/netfilter_ipv6/ip6_tables.h define
 * these; both headers drag in more than they are worth. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

int
origdst_get(int fd, struct sockaddr_storage *out)
{
	struct sockaddr_storage self;
	socklen_t len = sizeof(self);

	memset(out, 0, sizeof(*out));
	if (getsockname(fd, (struct sockaddr *)&self, &len) == -1)
		return -1;
	if (self.ss_family == AF_INET) {
		len = sizeof(struct sockaddr_in);
		return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, out, &len);
	}
	if (self.ss_family == AF_INET6) {
		len = sizeof(struct sockaddr_in6);
		return getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, out, &len);
	}
	errno = EAFNOSUPPORT;
	return -1;
}
