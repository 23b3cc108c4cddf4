/* netns.c — lo, listeners and descriptor passing. See netns.h. */
#include "sandbox/netns.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int
netns_lo_up(struct errbuf *err)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd == -1) {
		errbuf_add(err, "network namespace: socket: %m");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	errbuf_add(err, "network namespace: bring up lo: %m");
out:
	close(fd);
	return rc;
}

int
netns_listen(uint16_t port, uint16_t *bound, struct errbuf *err)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1) {
		errbuf_add(err, "listen 127.0.0.1:%u: socket: %m",
			   (unsigned)port);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 511) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1) {
		errbuf_add(err, "listen 127.0.0.1:%u: %m", (unsigned)port);
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

static int
listen_v6(uint16_t port, struct errbuf *err)
{
	struct sockaddr_in6 sa;
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1; /* no IPv6 in this kernel */
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons(port);
	sa.sin6_addr = in6addr_loopback;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ==
		    -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		/* ::1 is missing when IPv6 is disabled: IPv4 only then. */
		close(fd);
		return -1;
	}
	if (listen(fd, 511) == -1) {
		errbuf_add(err, "listen [::1]:%u: %m", (unsigned)port);
		close(fd);
		return -2;
	}
	return fd;
}

int
netns_listen_transparent(uint16_t port, int fds[2], struct errbuf *err)
{
	uint16_t bound;

	fds[1] = -1;
	fds[0] = netns_listen(port, &bound, err);
	if (fds[0] == -1)
		return -1;
	fds[1] = listen_v6(port, err);
	if (fds[1] == -2) {
		close(fds[0]);
		return -1;
	}
	return fds[1] >= 0 ? 2 : 1;
}

int
netns_udp(struct errbuf *err)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd == -1) {
		errbuf_add(err, "udp relay socket: %m");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		errbuf_add(err, "udp relay socket: bind 127.0.0.1: %m");
		close(fd);
		return -1;
	}
	return fd;
}

int
netns_bind_dns(struct errbuf *err)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd == -1) {
		errbuf_add(err, "stub resolver: socket: %m");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(NETNS_DNS_PORT);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		errbuf_add(err, "stub resolver: bind 127.0.0.1:%d/udp: %m",
			   NETNS_DNS_PORT);
		close(fd);
		return -1;
	}
	return fd;
}

int
netns_diag(struct errbuf *err)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd == -1)
		errbuf_add(err, "network namespace: sock_diag socket: %m");
	return fd;
}

int
netns_msg_fd(const struct netns_msg *m, const int *fds, enum netns_fd_kind k)
{
	int i;

	for (i = 0; i < m->nfds && i < NETNS_MAX_FDS; i++)
		if (m->kinds[i] == k)
			return fds[i];
	return -1;
}

int
netns_send(int sock, const struct netns_msg *m, const int *fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * NETNS_MAX_FDS)];
	struct iovec iov = {(void *)m, sizeof(*m)};
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (m->nfds > 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)m->nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)m->nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)m->nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

static void
close_all(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

ssize_t
netns_recv(int sock, struct netns_msg *m, int *fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * NETNS_MAX_FDS)];
	struct iovec iov = {m, sizeof(*m)};
	struct msghdr mh;
	struct cmsghdr *cm;
	int got_fds[NETNS_MAX_FDS];
	size_t got = 0;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > NETNS_MAX_FDS - got)
			k = NETNS_MAX_FDS - got;
		memcpy(got_fds + got, CMSG_DATA(cm), sizeof(int) * k);
		got += k;
	}
	if (n != (ssize_t)sizeof(*m) && !(mh.msg_flags & MSG_TRUNC)) {
		close_all(got_fds, got);
		return n; /* another kind of message: its bytes are in m */
	}
	if ((mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || m->nfds < 0 ||
	    m->nfds > NETNS_MAX_FDS || got != (size_t)m->nfds) {
		close_all(got_fds, got);
		errno = EBADMSG;
		return -1;
	}
	memcpy(fds, got_fds, sizeof(int) * got);
	m->error[sizeof(m->error) - 1] = '\0';
	return n;
}
