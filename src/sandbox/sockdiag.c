/* sockdiag.c — AF_UNIX sock_diag dumps. See sockdiag.h. */
#include "sandbox/sockdiag.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* The attributes of one unix_diag_msg at a[0..n), aligned. */
static int
parse_attrs(const unsigned char *a, size_t n, struct sockdiag_entry *e,
	    bool *has_vfs)
{
	struct unix_diag_vfs v;
	struct rtattr ra;
	size_t len;

	while (n >= sizeof(ra)) {
		memcpy(&ra, a, sizeof(ra));
		if (ra.rta_len < sizeof(ra) || ra.rta_len > n)
			return -1;
		len = ra.rta_len - sizeof(ra);
		if (ra.rta_type == UNIX_DIAG_VFS && len >= sizeof(v)) {
			memcpy(&v, a + sizeof(ra), sizeof(v));
			e->dev = v.udiag_vfs_dev;
			e->ino = v.udiag_vfs_ino;
			*has_vfs = true;
		} else if (ra.rta_type == UNIX_DIAG_NAME) {
			e->name = (const char *)a + sizeof(ra);
			e->name_len = len;
			while (e->name_len > 0 && e->name[e->name_len - 1] == 0)
				e->name_len--;
		}
		len = RTA_ALIGN(ra.rta_len);
		if (len >= n)
			break;
		a += len;
		n -= len;
	}
	return 0;
}

static int
parse_one(const unsigned char *p, size_t len, sockdiag_fn *fn, void *arg)
{
	struct sockdiag_entry e;
	bool has_vfs = false;
	size_t hdr = NLMSG_LENGTH(sizeof(struct unix_diag_msg));

	if (len < hdr)
		return -1;
	memset(&e, 0, sizeof(e));
	if (parse_attrs(p + NLMSG_ALIGN(hdr), len > NLMSG_ALIGN(hdr)
						      ? len - NLMSG_ALIGN(hdr)
						      : 0,
			&e, &has_vfs) == -1)
		return -1;
	if (has_vfs)
		fn(arg, &e);
	return 0;
}

int
sockdiag_parse(const void *buf, size_t n, uint32_t seq, sockdiag_fn *fn,
	       void *arg)
{
	const unsigned char *p = buf;
	struct nlmsghdr h;
	size_t step;

	while (n >= sizeof(h)) {
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > n)
			return SOCKDIAG_BAD;
		if (h.nlmsg_seq == seq) {
			if (h.nlmsg_type == NLMSG_DONE)
				return SOCKDIAG_DONE;
			if (h.nlmsg_type == NLMSG_ERROR)
				return SOCKDIAG_BAD;
			if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			    parse_one(p, h.nlmsg_len, fn, arg) == -1)
				return SOCKDIAG_BAD;
		}
		step = NLMSG_ALIGN(h.nlmsg_len);
		if (step >= n)
			break;
		p += step;
		n -= step;
	}
	return SOCKDIAG_MORE;
}

static int
send_request(int fd, uint32_t states, bool names, uint32_t seq)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req;
	struct sockaddr_nl sa;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = states;
	req.r.udiag_show = UDIAG_SHOW_VFS | (names ? UDIAG_SHOW_NAME : 0);
	do
		n = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
			   sizeof(sa));
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(req) ? 0 : -1;
}

int
sockdiag_dump(int fd, uint32_t states, bool names, sockdiag_fn *fn,
	      void *arg)
{
	static uint32_t seq;
	/* Aligned for the netlink headers read through memcpy anyway. */
	static unsigned char buf[32768] __attribute__((aligned(8)));
	size_t total = 0;
	ssize_t n;
	int r;

	if (send_request(fd, states, names, ++seq) == -1)
		return -1;
	for (;;) {
		do
			n = recv(fd, buf, sizeof(buf), 0);
		while (n == -1 && errno == EINTR);
		if (n <= 0) {
			if (n == 0)
				errno = EPROTO;
			return -1;
		}
		total += (size_t)n;
		r = sockdiag_parse(buf, (size_t)n, seq, fn, arg);
		if (r == SOCKDIAG_DONE)
			return 0;
		if (r == SOCKDIAG_BAD) {
			errno = EPROTO;
			return -1;
		}
		if (total > SOCKDIAG_MAX_BYTES) {
			errno = EMSGSIZE;
			return -1;
		}
	}
}
