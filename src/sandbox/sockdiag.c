/* sockdiag.c — AF_UNIX and TCP sock_diag dumps. See sockdiag.h. */
#include "sandbox/sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
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

struct unix_ctx {
	sockdiag_fn *fn;
	void *arg;
};

/* One unix_diag_msg (ctx: a struct unix_ctx). */
static int
unix_one(const unsigned char *p, size_t len, void *ctx)
{
	const struct unix_ctx *u = ctx;
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
		u->fn(u->arg, &e);
	return 0;
}

/* One SOCK_DIAG_BY_FAMILY message p[0..len): -1 when malformed. */
typedef int message_fn(const unsigned char *p, size_t len, void *ctx);

/* The netlink messages in p[0..n) answering seq, each to one(). */
static int
parse_messages(const void *buf, size_t n, uint32_t seq, message_fn *one,
	       void *ctx)
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
			    one(p, h.nlmsg_len, ctx) == -1)
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

int
sockdiag_parse(const void *buf, size_t n, uint32_t seq, sockdiag_fn *fn,
	       void *arg)
{
	struct unix_ctx u = {fn, arg};

	return parse_messages(buf, n, seq, unix_one, &u);
}

struct tcp_ctx {
	sockdiag_tcp_fn *fn;
	void *arg;
};

/* One inet_diag_msg: its attributes are not asked for, nor read. */
static int
tcp_one(const unsigned char *p, size_t len, void *ctx)
{
	const struct tcp_ctx *c = ctx;
	struct inet_diag_msg m;
	struct sockdiag_tcp t;

	if (len < NLMSG_LENGTH(sizeof(m)))
		return -1;
	memcpy(&m, p + NLMSG_HDRLEN, sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return -1;
	memset(&t, 0, sizeof(t));
	t.family = m.idiag_family;
	t.state = m.idiag_state;
	memcpy(t.src, m.id.idiag_src, m.idiag_family == AF_INET ? 4 : 16);
	t.sport = ntohs(m.id.idiag_sport);
	t.ino = m.idiag_inode;
	c->fn(c->arg, &t);
	return 0;
}

int
sockdiag_parse_tcp(const void *buf, size_t n, uint32_t seq,
		   sockdiag_tcp_fn *fn, void *arg)
{
	struct tcp_ctx c = {fn, arg};

	return parse_messages(buf, n, seq, tcp_one, &c);
}

static int
send_request(int fd, const void *req, size_t len)
{
	struct sockaddr_nl sa;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	do
		n = sendto(fd, req, len, 0, (struct sockaddr *)&sa,
			   sizeof(sa));
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* Sends req (whose header is set here) and reads the whole answer, each
 * of its messages to one(). */
static int
dump(int fd, struct nlmsghdr *req, size_t len, message_fn *one, void *ctx)
{
	static uint32_t seq;
	/* Aligned for the netlink headers read through memcpy anyway. */
	static unsigned char buf[32768] __attribute__((aligned(8)));
	size_t total = 0;
	ssize_t n;
	int r;

	req->nlmsg_len = (uint32_t)len;
	req->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->nlmsg_seq = ++seq;
	if (send_request(fd, req, len) == -1)
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
		r = parse_messages(buf, (size_t)n, seq, one, ctx);
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

int
sockdiag_dump(int fd, uint32_t states, bool names, sockdiag_fn *fn,
	      void *arg)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req;
	struct unix_ctx u = {fn, arg};

	memset(&req, 0, sizeof(req));
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = states;
	req.r.udiag_show = UDIAG_SHOW_VFS | (names ? UDIAG_SHOW_NAME : 0);
	return dump(fd, &req.h, sizeof(req), unix_one, &u);
}

int
sockdiag_dump_tcp(int fd, int family, sockdiag_tcp_fn *fn, void *arg)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	struct tcp_ctx c = {fn, arg};

	memset(&req, 0, sizeof(req));
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	return dump(fd, &req.h, sizeof(req), tcp_one, &c);
}
