/* unotify_send.c — sendto() with an address, sendmsg() and sendmmsg() on
 * the command's behalf. See unotify.h.
 *
 * The supervisor copies the message out of the command's memory (data,
 * address, control), judges a unix address (unotify_gate), replaces the
 * descriptors an SCM_RIGHTS message passes by its own copies of them
 * (pidfd_getfd: the same files), and sends its copy on the command's
 * socket. Known differences from the kernel's own call, written down in
 * doc/sandbox.md: SCM_CREDENTIALS is refused (EPERM: airlock cannot vouch
 * for the command's pid); a receiver that asks for credentials sees
 * airlock's pid (0 inside the sandbox) — except when airlock runs as
 * root, whose unix messages carry the caller's own credentials
 * (add_creds); one call carries at most
 * SEND_MAX_DATA bytes (a stream send is then short, a larger datagram
 * fails with EMSGSIZE, as it would past any socket's buffer). */
#include "sandbox/unotify_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/xalloc.h"

#define SEND_MAX_DATA (4u << 20)
#define SEND_MAX_CONTROL (64u << 10)
#define SEND_MAX_IOV 1024 /* UIO_MAXIOV */
#define SEND_MAX_FDS 253  /* SCM_MAX_FD */

/* One message as airlock sends it: everything in its own memory. */
struct out_msg {
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_storage name;
	char *data;
	size_t len, sent;
	char *control;
	int pin;           /* the unix address's inode, or -1 */
	int *fds;          /* airlock's copies of the passed descriptors */
	size_t n_fds;
	bool creds_tried;  /* add_creds ran for this message */
	size_t creds_at;   /* offset of its SCM_CREDENTIALS in control, or
			    * SIZE_MAX when none was added */
};

struct send_job {
	int nr;            /* __NR_sendto, __NR_sendmsg or __NR_sendmmsg */
	int flags;
	int blocking;      /* wait rather than answer EAGAIN: 1, 0, or -1
			    * not asked yet (is_blocking) */
	uint64_t vec;      /* sendmmsg: the caller's array */
	unsigned vlen, i;  /* sendmmsg: messages, the current one */
	bool ready;        /* m holds the current message */
	struct out_msg m;
};

static void
msg_release(struct out_msg *m)
{
	size_t i;

	for (i = 0; i < m->n_fds; i++)
		close(m->fds[i]);
	if (m->pin >= 0)
		close(m->pin);
	free(m->fds);
	free(m->data);
	free(m->control);
	memset(m, 0, sizeof(*m));
	m->pin = -1;
}

static void
job_free(void *arg)
{
	struct send_job *j = arg;

	msg_release(&j->m);
	free(j);
}

/* --- copying a message ----------------------------------------------------------- */

/* The data of the caller's iovecs riov[0..n): at most SEND_MAX_DATA bytes
 * (a stream send is then short; another socket gets EMSGSIZE). */
static long
copy_data(struct unotify_call *c, struct iovec *riov, size_t n,
	  struct out_msg *m)
{
	size_t i, total = 0;
	int r;

	for (i = 0; i < n; i++) {
		if (riov[i].iov_len > (size_t)SSIZE_MAX - total)
			return -EINVAL;
		if (total + riov[i].iov_len > SEND_MAX_DATA) {
			unotify_sockinfo(c);
			if (c->type != SOCK_STREAM)
				return -EMSGSIZE;
			riov[i].iov_len = SEND_MAX_DATA - total;
			n = i + 1;
		}
		total += riov[i].iov_len;
	}
	m->data = xmalloc(total + 1);
	m->len = total;
	r = unotify_readv(c, riov, n, m->data, total);
	return r < 0 ? r : 0;
}

static long
copy_name(struct unotify_call *c, uint64_t addr, int len, struct out_msg *m)
{
	socklen_t slen;
	int r;

	if (addr == 0 || len == 0)
		return 0;
	if (len < 0 || (size_t)len > sizeof(m->name))
		return -EINVAL;
	r = unotify_read(c, addr, &m->name, (size_t)len);
	if (r < 0)
		return r;
	slen = (socklen_t)len;
	/* Only a datagram socket sends to an address: a stream socket
	 * refuses one and a seqpacket socket ignores it, without a lookup. */
	unotify_sockinfo(c);
	if (c->type == SOCK_DGRAM || c->type == -1) {
		r = unotify_gate(c, &m->name, &slen, &m->pin);
		if (r != 0)
			return r;
	}
	m->mh.msg_name = &m->name;
	m->mh.msg_namelen = slen;
	return 0;
}

/* SCM_RIGHTS descriptors become airlock's copies of the same files. */
static long
take_rights(struct unotify_call *c, struct cmsghdr *cm, struct out_msg *m)
{
	size_t i, k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	int fd, mine;

	if (m->n_fds + k > SEND_MAX_FDS)
		return -EINVAL;
	m->fds = xreallocarray(m->fds, m->n_fds + k + 1, sizeof(int));
	for (i = 0; i < k; i++) {
		memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		mine = (int)syscall(SYS_pidfd_getfd, c->pidfd, fd, 0);
		if (mine == -1)
			return errno == ESRCH ? UNOTIFY_GONE : -EBADF;
		m->fds[m->n_fds++] = mine;
		memcpy(CMSG_DATA(cm) + i * sizeof(int), &mine, sizeof(int));
	}
	return 0;
}

static long
copy_control(struct unotify_call *c, uint64_t addr, size_t len,
	     struct out_msg *m)
{
	struct msghdr walk;
	struct cmsghdr *cm;
	long r;

	if (addr == 0 || len == 0)
		return 0;
	if (len > SEND_MAX_CONTROL)
		return -ENOBUFS;
	m->control = xcalloc(1, len);
	r = unotify_read(c, addr, m->control, len);
	if (r < 0)
		return r;
	unotify_sockinfo(c);
	memset(&walk, 0, sizeof(walk));
	walk.msg_control = m->control;
	walk.msg_controllen = len;
	for (cm = CMSG_FIRSTHDR(&walk); cm != NULL && c->domain == AF_UNIX;
	     cm = CMSG_NXTHDR(&walk, cm)) {
		if (cm->cmsg_len < sizeof(*cm) ||
		    cm->cmsg_len > len - (size_t)((char *)cm - m->control))
			return -EINVAL;
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS)
			return -EPERM;
		if (cm->cmsg_type == SCM_RIGHTS &&
		    (r = take_rights(c, cm, m)) != 0)
			return r;
	}
	m->mh.msg_control = m->control;
	m->mh.msg_controllen = len;
	return 0;
}

/* The caller's struct msghdr rm (its pointers are the caller's) into m. */
static long
copy_msghdr(struct unotify_call *c, const struct msghdr *rm,
	    struct out_msg *m)
{
	struct iovec *riov = NULL;
	long r;

	memset(m, 0, sizeof(*m));
	m->pin = -1;
	if (rm->msg_iovlen > SEND_MAX_IOV)
		return -EMSGSIZE;
	if (rm->msg_iovlen > 0) {
		riov = xcalloc(rm->msg_iovlen, sizeof(*riov));
		r = unotify_read(c, (uintptr_t)rm->msg_iov, riov,
				 rm->msg_iovlen * sizeof(*riov));
		if (r == 0)
			r = copy_data(c, riov, rm->msg_iovlen, m);
		free(riov);
		if (r != 0)
			return r;
	}
	r = copy_name(c, (uintptr_t)rm->msg_name, (int)rm->msg_namelen, m);
	if (r == 0)
		r = copy_control(c, (uintptr_t)rm->msg_control,
				 rm->msg_controllen, m);
	return r;
}

/* --- sending ---------------------------------------------------------------------- */

#define CREDS_SPACE CMSG_SPACE(sizeof(struct ucred))

/* The caller's thread group for add_creds (unix sockets only), read
 * before the check that the caller is still in its call: a thread id
 * then cannot have been reused by another process meanwhile. */
static void
caller_tgid(struct unotify_call *c)
{
	if (c->u->send_creds && (unotify_sockinfo(c), c->domain == AF_UNIX))
		(void)unotify_tgid(c);
}

/* As root, a unix message carries the caller's own credentials (its
 * thread group and the uid and gid every process of the sandbox has), as
 * the kernel attaches them when a process sends for itself: a receiver
 * with SO_PASSCRED (Chromium's zygote, which learns its children's pids
 * so) sees the caller, not airlock's pid 0. Naming another process's pid
 * takes CAP_SYS_ADMIN over airlock's pid namespace, which only root has;
 * these are exactly the caller's, so nothing is claimed that the caller
 * could not have sent itself. Appended to the caller's control data. */
static void
add_creds(struct unotify_call *c, struct out_msg *m)
{
	size_t old = CMSG_ALIGN(m->mh.msg_controllen);
	struct cmsghdr *cm;
	struct ucred uc;
	char *ctl;

	m->creds_tried = true;
	m->creds_at = SIZE_MAX;
	if (!c->u->send_creds || (unotify_sockinfo(c), c->domain != AF_UNIX) ||
	    (uc.pid = unotify_tgid(c)) <= 0)
		return;
	uc.uid = getuid();
	uc.gid = getgid();
	ctl = xcalloc(1, old + CREDS_SPACE);
	if (m->mh.msg_controllen > 0)
		memcpy(ctl, m->mh.msg_control, m->mh.msg_controllen);
	cm = (struct cmsghdr *)(ctl + old);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(uc));
	memcpy(CMSG_DATA(cm), &uc, sizeof(uc));
	free(m->control);
	m->control = ctl;
	m->mh.msg_control = ctl;
	m->mh.msg_controllen = old + CREDS_SPACE;
	m->creds_at = old;
}

/* The kernel refused the credentials (root without CAP_SYS_ADMIN, in a
 * container): the message goes without them, and so do later ones. */
static void
drop_creds(struct unotify_call *c, struct out_msg *m)
{
	c->u->send_creds = false;
	if (m->mh.msg_control != m->control || m->creds_at == 0) {
		m->mh.msg_control = NULL; /* a stream's rest: nothing else */
		m->mh.msg_controllen = 0;
	} else {
		m->mh.msg_controllen = m->creds_at;
	}
	m->creds_at = SIZE_MAX;
}

static long
send_now(struct unotify_call *c, struct out_msg *m, int flags)
{
	ssize_t r;

	if (!m->creds_tried)
		add_creds(c, m);
	m->iov.iov_base = m->data + m->sent;
	m->iov.iov_len = m->len - m->sent;
	m->mh.msg_iov = &m->iov;
	m->mh.msg_iovlen = 1;
	r = sendmsg(c->sfd, &m->mh, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r == -1 && errno == EPERM && m->creds_at != SIZE_MAX) {
		drop_creds(c, m);
		r = sendmsg(c->sfd, &m->mh, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	return r >= 0 ? (long)r : -errno;
}

/* The current message of j, read from the caller (sendmmsg). */
static long
prepare_next(struct unotify_call *c, struct send_job *j)
{
	struct mmsghdr rm;
	long r;

	r = unotify_read(c, j->vec + (uint64_t)j->i * sizeof(rm), &rm,
			 sizeof(rm));
	if (r == 0)
		r = copy_msghdr(c, &rm.msg_hdr, &j->m);
	caller_tgid(c);
	if (r == 0 && !unotify_valid(c))
		r = UNOTIFY_GONE;
	j->ready = r == 0;
	return r;
}

/* Whether the call blocks: the socket's own flag and the call's. Asked
 * only when it matters (a full buffer), which saves a system call on
 * every send that goes through at once. */
static bool
is_blocking(struct unotify_call *c, struct send_job *j)
{
	int fl;

	if (j->blocking < 0) {
		fl = fcntl(c->sfd, F_GETFL);
		j->blocking = fl != -1 && !(fl & O_NONBLOCK) &&
			      !(j->flags & MSG_DONTWAIT);
	}
	return j->blocking == 1;
}

/* One message as far as it goes: its byte count, -EAGAIN when it must
 * wait, or -errno. A blocking stream send goes on until all is sent. */
static long
send_message(struct unotify_call *c, struct send_job *j)
{
	struct out_msg *m = &j->m;
	long r;

	for (;;) {
		r = send_now(c, m, j->flags);
		if (r < 0)
			return r == -EAGAIN || m->sent == 0 ? r
							    : (long)m->sent;
		m->sent += (size_t)r;
		if (m->sent >= m->len || !is_blocking(c, j) ||
		    (unotify_sockinfo(c), c->type != SOCK_STREAM))
			return (long)m->sent;
		/* The rest carries no descriptors and no address again;
		 * the caller's credentials, when added, still. */
		m->mh.msg_control = m->creds_at != SIZE_MAX
					    ? m->control + m->creds_at
					    : NULL;
		m->mh.msg_controllen = m->creds_at != SIZE_MAX ? CREDS_SPACE
							       : 0;
		m->mh.msg_name = NULL;
		m->mh.msg_namelen = 0;
	}
}

/* The whole call as far as it goes without blocking: its result, or
 * UNOTIFY_LATER when it must wait for the socket (then *wait is set). */
static long
run(struct unotify_call *c, struct send_job *j, bool *wait)
{
	unsigned len;
	long r;

	*wait = false;
	for (;;) {
		if (!j->ready && (r = prepare_next(c, j)) != 0)
			return j->i > 0 && r != UNOTIFY_GONE ? (long)j->i : r;
		r = send_message(c, j);
		if (r == -EAGAIN && is_blocking(c, j) &&
		    (j->m.sent > 0 || j->i == 0)) {
			*wait = true;
			return UNOTIFY_LATER;
		}
		if (j->nr != __NR_sendmmsg)
			return r;
		if (r < 0)
			return j->i > 0 ? (long)j->i : r;
		len = (unsigned)r;
		msg_release(&j->m);
		j->ready = false;
		if (unotify_write(c, j->vec + (uint64_t)j->i * sizeof(struct mmsghdr) +
					     offsetof(struct mmsghdr, msg_len),
				  &len, sizeof(len)) != 0)
			return j->i > 0 ? (long)j->i : -EFAULT;
		if (++j->i == j->vlen)
			return (long)j->i;
	}
}

static void
sigpipe(struct unotify_call *c, const struct send_job *j, long r)
{
	if (r == -EPIPE && !(j->flags & MSG_NOSIGNAL))
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGPIPE, NULL, 0);
}

static void
resume(struct unotify_op *op)
{
	struct send_job *j = op->state;
	bool wait;
	long r;

	if (!unotify_valid(&op->c)) {
		unotify_op_finish(op, UNOTIFY_GONE);
		return;
	}
	r = run(&op->c, j, &wait);
	if (wait) {
		unotify_op_wait_writable(op);
		return;
	}
	sigpipe(&op->c, j, r);
	unotify_op_finish(op, r);
}

static long
start(struct unotify_call *c, struct send_job *j)
{
	struct unotify_op *op;
	bool wait;
	long r;

	r = run(c, j, &wait);
	if (wait) {
		op = unotify_op_new(c, resume, j, job_free);
		if (op != NULL) {
			unotify_op_wait_writable(op);
			return UNOTIFY_LATER;
		}
		r = -EAGAIN;
	}
	sigpipe(c, j, r);
	job_free(j);
	return r;
}

static struct send_job *
job_new(struct unotify_call *c)
{
	struct send_job *j = xcalloc(1, sizeof(*j));

	j->nr = c->nr;
	j->blocking = -1;
	j->m.pin = -1;
	return j;
}

long
unotify_sendto(struct unotify_call *c)
{
	struct send_job *j = job_new(c);
	struct iovec riov = {(void *)(uintptr_t)c->args[1], c->args[2]};
	long r;

	j->flags = (int)c->args[3];
	r = copy_data(c, &riov, 1, &j->m);
	if (r == 0)
		r = copy_name(c, c->args[4], (int)c->args[5], &j->m);
	caller_tgid(c);
	if (!unotify_valid(c))
		r = UNOTIFY_GONE;
	if (r != 0) {
		job_free(j);
		return r;
	}
	j->ready = true;
	return start(c, j);
}

long
unotify_sendmsg(struct unotify_call *c)
{
	struct send_job *j = job_new(c);
	struct msghdr rm;
	long r;

	j->flags = (int)c->args[2];
	r = unotify_read(c, c->args[1], &rm, sizeof(rm));
	if (r == 0)
		r = copy_msghdr(c, &rm, &j->m);
	caller_tgid(c);
	if (!unotify_valid(c))
		r = UNOTIFY_GONE;
	if (r != 0) {
		job_free(j);
		return r;
	}
	j->ready = true;
	return start(c, j);
}

long
unotify_sendmmsg(struct unotify_call *c)
{
	struct send_job *j;

	if ((unsigned)c->args[2] == 0)
		return 0;
	j = job_new(c);
	j->vec = c->args[1];
	j->vlen = (unsigned)c->args[2];
	if (j->vlen > SEND_MAX_IOV)
		j->vlen = SEND_MAX_IOV;
	j->flags = (int)c->args[3];
	return start(c, j);
}
