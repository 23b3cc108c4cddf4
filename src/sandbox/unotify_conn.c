/* unotify_conn.c — connect() on the command's behalf, and the unix
 * address check that sends share. See unotify.h. */
#include "sandbox/unotify_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "net/listen.h"
#include "sandbox/sockdiag.h"

#define MAX_GROUPS 256

/* --- the unix address check --------------------------------------------------- */

static bool
in_groups(gid_t g)
{
	gid_t v[MAX_GROUPS];
	int i, n = getgroups(MAX_GROUPS, v);

	for (i = 0; i < n; i++)
		if (v[i] == g)
			return true;
	return false;
}

/* Write permission on the socket file as the command holds it: its uid
 * and gids, no capability. Asked only when airlock runs as root, whose
 * own connect() would pass where the command's would not. */
static bool
may_write(const struct unotify *u, const struct stat *st)
{
	if (st->st_uid == u->uid)
		return (st->st_mode & S_IWUSR) != 0;
	if (st->st_gid == u->gid || in_groups(st->st_gid))
		return (st->st_mode & S_IWGRP) != 0;
	return (st->st_mode & S_IWOTH) != 0;
}

static bool
allowed(struct unotify_call *c, int fd)
{
	struct unotify *u = c->u;
	struct unixid id;
	size_t i;

	if (u->allow_all)
		return true;
	if (unixpath_id(fd, &u->mounts, c->tid, &id) == -1)
		return false; /* cannot tell: refuse */
	for (i = 0; i < u->n_listed; i++)
		if (u->listed[i].dev == id.dev && u->listed[i].ino == id.ino)
			return true;
	return u->diag_fd >= 0 &&
	       unixpath_bound_inside(u->diag_fd, &id, c->tid, unotify_rootfd(c),
				     &u->mounts) == 1;
}

/* The pinned inode as an address the kernel resolves in airlock's own
 * view: the magic link /proc/self/fd/N leads to exactly that inode. */
static void
rewrite(struct sockaddr_storage *ss, socklen_t *len, int fd)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	int n;

	memset(ss, 0, sizeof(*ss));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d",
		     fd);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			   (size_t)n + 1);
}

/* The sandbox's own: 127.0.0.0/8, ::1, the unspecified addresses (the
 * kernel sends to the local host) and IPv4-mapped forms of those. */
static bool
local_ip(const struct sockaddr_storage *ss, socklen_t len)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
	uint32_t v;

	if (ss->ss_family == AF_INET && len >= sizeof(*a4)) {
		v = ntohl(a4->sin_addr.s_addr);
		return (v >> 24) == 127 || v == INADDR_ANY;
	}
	if (ss->ss_family != AF_INET6 || len < sizeof(*a6))
		return true; /* the kernel refuses it as it is */
	if (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) ||
	    IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr))
		return true;
	if (!IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
		return false;
	memcpy(&v, a6->sin6_addr.s6_addr + 12, 4);
	v = ntohl(v);
	return (v >> 24) == 127 || v == INADDR_ANY;
}

/* UDP to an address outside the sandbox's loopback, with the network
 * granted: refused at once (unotify_policy.refuse_udp). */
static int
gate_udp(struct unotify_call *c, const struct sockaddr_storage *ss,
	 socklen_t len)
{
	if (!c->u->refuse_udp || local_ip(ss, len))
		return 0;
	unotify_sockinfo(c);
	if (c->type != SOCK_DGRAM ||
	    (c->domain != AF_INET && c->domain != AF_INET6))
		return 0;
	if (c->u->on_udp != NULL)
		c->u->on_udp(c->u->udp_arg, (const struct sockaddr *)ss);
	return -ECONNREFUSED;
}

int
unotify_gate(struct unotify_call *c, struct sockaddr_storage *ss,
	     socklen_t *len, int *pin)
{
	char path[UNIXPATH_MAX + 1];
	struct stat st;
	int r, fd;

	*pin = -1;
	if (*len >= sizeof(sa_family_t) &&
	    (ss->ss_family == AF_INET || ss->ss_family == AF_INET6))
		return gate_udp(c, ss, *len);
	if (*len < sizeof(sa_family_t) || ss->ss_family != AF_UNIX)
		return 0; /* no path */
	unotify_sockinfo(c);
	if (c->domain == -1)
		return -ENOTSOCK; /* what the kernel says; and never unchecked */
	if (c->domain != AF_UNIX)
		return 0; /* the kernel refuses it without a lookup */
	r = unixpath_of_addr((const struct sockaddr_un *)ss, *len, path);
	if (r <= 0)
		return r == 0 ? 0 : -EINVAL; /* abstract: per namespace */
	fd = unixpath_open(c->tid, unotify_rootfd(c), path);
	r = fd == -1 ? -errno : 0;
	if (!unotify_valid(c))
		r = (int)UNOTIFY_GONE;
	else if (r == 0 && (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)))
		r = -ECONNREFUSED; /* what connecting to a file says */
	else if (r == 0 && !allowed(c, fd)) {
		unotify_note_refusal(c, path);
		r = -EACCES;
	} else if (r == 0 && c->u->root && !may_write(c->u, &st))
		r = -EACCES;
	if (r != 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	rewrite(ss, len, fd);
	*pin = fd;
	return 0;
}

/* --- loopback hints --------------------------------------------------------- */

/* Whether c connects a TCP socket to the sandbox's own loopback. */
static bool
loopback_tcp(struct unotify_call *c, const struct sockaddr_storage *ss,
	     socklen_t len)
{
	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    !local_ip(ss, len))
		return false;
	unotify_sockinfo(c);
	return c->type == SOCK_STREAM;
}

struct other_listener {
	int family;     /* the other family than the refused address's */
	uint16_t port;
	bool found;
};

static void
on_listener(void *arg, const struct sockdiag_tcp *t)
{
	static const unsigned char any[16], lo6[16] = {[15] = 1};
	struct other_listener *w = arg;

	if (t->state != TCP_LISTEN || t->sport != w->port)
		return;
	if (t->family == AF_INET ? t->src[0] == 127 || memcmp(t->src, any, 4) == 0
				 : memcmp(t->src, lo6, 16) == 0 ||
					   memcmp(t->src, any, 16) == 0)
		w->found = true;
}

/* Whether the sandbox listens on the port of the refused loopback address
 * ss on the other family's loopback (or any-address): a client that tries
 * both addresses of `localhost` in turn (node, Selenium's chromedriver
 * client) is refused on one before it reaches the server on the other,
 * and no service of the host is missing. */
static bool
other_family_listens(const struct unotify *u,
		     const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
	struct other_listener w;
	bool v4;

	if (u->diag_fd < 0)
		return false;
	memset(&w, 0, sizeof(w));
	if (ss->ss_family == AF_INET) {
		v4 = true;
		w.port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else {
		v4 = IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr);
		w.port = ntohs(a6->sin6_port);
	}
	w.family = v4 ? AF_INET6 : AF_INET;
	return sockdiag_dump_tcp(u->diag_fd, w.family, on_listener, &w) == 0 &&
	       w.found;
}

/* The outcome v (0 or -errno) of a TCP connect to the loopback address
 * ss: a refusal is remembered until a connection to the same address and
 * port gets through, unless the port listens on the other family's
 * loopback. */
static void
note_loopback(struct unotify *u, const struct sockaddr_storage *ss, long v)
{
	struct unotify_loopback *e;
	char addr[sizeof(e->addr)];
	size_t i;

	if (v != 0 && v != -ECONNREFUSED)
		return;
	if (v != 0 && other_family_listens(u, ss))
		return;
	listen_addr_str((const struct sockaddr *)ss, addr, sizeof(addr));
	for (i = 0; i < u->n_lo; i++)
		if (strcmp(u->lo[i].addr, addr) == 0)
			break;
	if (i == u->n_lo) {
		if (v == 0 || i == UNOTIFY_MAX_LOOPBACK)
			return;
		e = &u->lo[u->n_lo++];
		memset(e, 0, sizeof(*e));
		memcpy(e->addr, addr, sizeof(e->addr));
	}
	if (v == 0)
		u->lo[i].answered = true;
	else
		u->lo[i].refused++;
}

/* A non-blocking caller's connect in progress: on the loopback the
 * kernel has usually answered the SYN before connect() returns, and
 * TCP_INFO says how without taking the error the caller will read. -1
 * when it has not answered yet (nothing is noted then). */
static long
loopback_outcome(int sfd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return -1;
	if (ti.tcpi_state == TCP_ESTABLISHED)
		return 0;
	return ti.tcpi_state == TCP_CLOSE ? -ECONNREFUSED : -1;
}

void
unotify_loopback_summary(const struct unotify *u, struct buf *out)
{
	const struct unotify_loopback *e;
	size_t i;

	for (i = 0; i < u->n_lo; i++) {
		e = &u->lo[i];
		if (e->answered)
			continue;
		buf_printf(out,
			   "airlock: nothing listened on %s inside the "
			   "sandbox (%u connection(s) refused): the sandbox's "
			   "loopback is its own; a service of the host on that "
			   "port is reached with %s--allow %s "
			   "(permissions.network.allowed_domains)\n",
			   e->addr, e->refused,
			   u->net_granted ? "" : "--network ", e->addr);
	}
}

/* --- connect -------------------------------------------------------------------- */

enum conn_wait { WAIT_NONE, WAIT_WRITABLE, WAIT_RETRY };

struct conn_state {
	struct sockaddr_storage ss;
	socklen_t len;
	int pin;
	bool loopback; /* TCP to the sandbox's loopback: note the outcome */
};

static void
conn_free(void *arg)
{
	struct conn_state *s = arg;

	if (s->pin >= 0)
		close(s->pin);
	free(s);
}

/* One connect() without blocking airlock: a blocking socket is made
 * non-blocking for the moment of the call (the command waits in its own
 * call meanwhile, so it does not notice), and what would have blocked is
 * said in *wait. */
static long
connect_once(struct unotify_call *c, const struct sockaddr_storage *ss,
	     socklen_t len, enum conn_wait *wait)
{
	int fl = fcntl(c->sfd, F_GETFL), r, e;

	*wait = WAIT_NONE;
	if (fl == -1)
		return -errno;
	if (fl & O_NONBLOCK) {
		r = connect(c->sfd, (const struct sockaddr *)ss, len);
		return r == 0 ? 0 : -errno;
	}
	if (fcntl(c->sfd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -errno;
	r = connect(c->sfd, (const struct sockaddr *)ss, len);
	e = errno;
	fcntl(c->sfd, F_SETFL, fl);
	if (r == 0)
		return 0;
	if (e == EINPROGRESS)
		*wait = WAIT_WRITABLE;
	else if (e == EAGAIN && (unotify_sockinfo(c), c->domain == AF_UNIX))
		*wait = WAIT_RETRY; /* the listener's backlog is full */
	return -e;
}

static void
resume_writable(struct unotify_op *op)
{
	struct conn_state *s = op->state;
	socklen_t l = sizeof(int);
	int e = 0;

	if (getsockopt(op->c.sfd, SOL_SOCKET, SO_ERROR, &e, &l) == -1)
		e = errno;
	if (s->loopback)
		note_loopback(op->c.u, &s->ss, -e);
	unotify_op_finish(op, -e);
}

static void
resume_retry(struct unotify_op *op)
{
	struct conn_state *s = op->state;
	enum conn_wait wait;
	long v;

	if (!unotify_valid(&op->c)) {
		unotify_op_finish(op, UNOTIFY_GONE);
		return;
	}
	v = connect_once(&op->c, &s->ss, s->len, &wait);
	if (wait == WAIT_RETRY) {
		unotify_op_retry(op);
	} else if (wait == WAIT_WRITABLE) {
		op->resume = resume_writable;
		unotify_op_wait_writable(op);
	} else {
		unotify_op_finish(op, v);
	}
}

long
unotify_connect(struct unotify_call *c)
{
	struct sockaddr_storage ss;
	struct conn_state *s;
	struct unotify_op *op;
	int len = (int)c->args[2], pin, r;
	socklen_t slen;
	enum conn_wait wait;
	bool loopback;
	long v;

	if (len < 0 || (size_t)len > sizeof(ss))
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	r = unotify_read(c, c->args[1], &ss, (size_t)len);
	if (!unotify_valid(c))
		return UNOTIFY_GONE;
	if (r < 0)
		return r;
	slen = (socklen_t)len;
	r = unotify_gate(c, &ss, &slen, &pin);
	if (r != 0)
		return r;
	loopback = loopback_tcp(c, &ss, slen);
	v = connect_once(c, &ss, slen, &wait);
	if (wait == WAIT_NONE) {
		if (pin >= 0)
			close(pin);
		if (loopback)
			note_loopback(c->u, &ss,
				      v == -EINPROGRESS
					      ? loopback_outcome(c->sfd)
					      : v);
		return v;
	}
	s = xmalloc(sizeof(*s));
	s->ss = ss;
	s->len = slen;
	s->pin = pin;
	s->loopback = loopback;
	op = unotify_op_new(c, wait == WAIT_RETRY ? resume_retry
						  : resume_writable,
			    s, conn_free);
	if (op == NULL) {
		conn_free(s);
		return -EAGAIN;
	}
	if (wait == WAIT_RETRY)
		unotify_op_retry(op);
	else
		unotify_op_wait_writable(op);
	return UNOTIFY_LATER;
}
