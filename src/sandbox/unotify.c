/* unotify.c — the supervisor's loop: notifications in, answers out, calls
 * that wait. See unotify.h. */
#include "sandbox/unotify_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/xalloc.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "unotify: unknown native architecture"
#endif

#define PIDFD_THREAD_FLAG O_EXCL /* PIDFD_THREAD, Linux 6.9 */
#define SWEEP_MS 200
#define RETRY_FIRST_MS 10
#define RETRY_MAX_MS 250

/* --- the caller ---------------------------------------------------------------- */

bool
unotify_valid(const struct unotify_call *c)
{
	uint64_t id = c->id;

	return ioctl(c->u->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

int
unotify_read(const struct unotify_call *c, uint64_t addr, void *p, size_t n)
{
	struct iovec remote = {(void *)(uintptr_t)addr, n};

	return unotify_readv(c, &remote, 1, p, n);
}

int
unotify_readv(const struct unotify_call *c, const struct iovec *remote,
	      size_t nremote, void *p, size_t n)
{
	struct iovec local = {p, n};
	ssize_t got;

	if (n == 0)
		return 0;
	got = process_vm_readv(c->tid, &local, 1, remote, nremote, 0);
	if (got == -1)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return (size_t)got == n ? 0 : -EFAULT;
}

int
unotify_write(const struct unotify_call *c, uint64_t addr, const void *p,
	      size_t n)
{
	char name[64];
	ssize_t put;
	int fd, e;

	snprintf(name, sizeof(name), "/proc/%d/mem", (int)c->tid);
	fd = open(name, O_RDWR | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	/* Opened, then checked: a pid reused since is caught here, and the
	 * descriptor holds the memory it was opened on. */
	if (!unotify_valid(c)) {
		close(fd);
		return -ESRCH;
	}
	put = pwrite(fd, p, n, (off_t)addr);
	e = errno;
	close(fd);
	if (put == -1)
		return -e;
	return (size_t)put == n ? 0 : -EFAULT;
}

void
unotify_note_refusal(const struct unotify_call *c, const char *rel)
{
	char buf[PATH_MAX];
	struct unotify *u = c->u;
	const char *path = unixpath_absolute(c->tid, rel, buf, sizeof(buf));
	size_t i;

	if (path == NULL)
		path = rel;
	for (i = 0; i < u->n_refused; i++)
		if (strcmp(u->refused[i].path, path) == 0)
			break;
	if (i == u->n_refused) {
		if (i == UNOTIFY_MAX_REFUSED)
			return;
		snprintf(u->refused[i].path, sizeof(u->refused[i].path), "%.*s",
			 (int)sizeof(u->refused[i].path) - 1, path);
		u->n_refused++;
	}
	u->refused[i].count++;
}

size_t
unotify_refused(const struct unotify *u, const struct unotify_refusal **out)
{
	*out = u ? u->refused : NULL;
	return u ? u->n_refused : 0;
}

void
unotify_summary(const struct unotify *u, struct buf *out)
{
	unsigned total = 0;
	size_t i;

	if (u == NULL)
		return;
	unotify_loopback_summary(u, out);
	if (u->n_refused == 0)
		return;
	for (i = 0; i < u->n_refused; i++)
		total += u->refused[i].count;
	buf_printf(out, "airlock: %u connection(s) to unix sockets bound "
			"outside the sandbox refused:\n",
		   total);
	for (i = 0; i < u->n_refused; i++)
		buf_printf(out, "  %s (%ux): allow with "
				"permissions.network.unix_sockets = "
				"{ \"%s\" = \"allow\" }\n",
			   u->refused[i].path, u->refused[i].count,
			   u->refused[i].path);
}

void
unotify_policy_of_plan(const struct sandbox_plan *p,
		       struct unotify_policy *out)
{
	memset(out, 0, sizeof(*out));
	out->listed = p->unix_sockets;
	out->n_listed = p->n_unix_sockets;
	out->allow_all = p->unix_sockets_all;
	out->uid = p->uid;
	out->gid = p->gid;
	out->net_granted = p->net == SANDBOX_NET_PROXY;
}

/* --- answers ---------------------------------------------------------------------- */

/* v: a result >= 0, or -errno. ENOENT: the caller died, or a fatal
 * signal took it out of the call; nothing to do. */
static void
answer(struct unotify *u, uint64_t id, long v)
{
	struct seccomp_notif_resp r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	if (v >= 0)
		r.val = v;
	else
		r.error = (int32_t)v;
	while (ioctl(u->fd, SECCOMP_IOCTL_NOTIF_SEND, &r) == -1 &&
	       errno == EINTR)
		;
}

static void
call_release(struct unotify_call *c)
{
	if (c->sfd >= 0)
		close(c->sfd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->sfd = c->pidfd = -1;
}

static long
dispatch(struct unotify_call *c)
{
	switch (c->nr) {
	case __NR_connect:
		return unotify_connect(c);
	case __NR_sendto:
		return unotify_sendto(c);
	case __NR_sendmsg:
		return unotify_sendmsg(c);
	case __NR_sendmmsg:
		return unotify_sendmmsg(c);
	default:
		return -ENOSYS;
	}
}

/* The thread group of tid, from /proc/TID/status; -1 when unknown. */
static pid_t
tgid_of(pid_t tid)
{
	char name[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "/proc/%d/status", (int)tid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nTgid:\t");
	return p ? (pid_t)strtol(p + 7, NULL, 10) : -1;
}

pid_t
unotify_tgid(struct unotify_call *c)
{
	if (c->tgid == 0)
		c->tgid = tgid_of(c->tid);
	return c->tgid;
}

/* A pidfd of the calling thread; before Linux 6.9 (no PIDFD_THREAD), of
 * its thread group, which shares its descriptor table. */
static int
pidfd_of(pid_t tid)
{
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD_FLAG);
	pid_t tgid;

	if (fd >= 0 || errno != EINVAL || (tgid = tgid_of(tid)) <= 0)
		return fd;
	return (int)syscall(SYS_pidfd_open, tgid, 0);
}

/* Takes the caller's socket: pidfd_getfd(2) on a pidfd checked to be the
 * caller's. -errno, or UNOTIFY_GONE. */
static long
take_socket(struct unotify_call *c)
{
	int e;

	c->pidfd = pidfd_of(c->tid);
	e = errno;
	if (!unotify_valid(c))
		return UNOTIFY_GONE;
	if (c->pidfd == -1)
		return -e;
	c->sfd = (int)syscall(SYS_pidfd_getfd, c->pidfd, (int)c->args[0], 0);
	if (c->sfd == -1)
		return errno == ESRCH ? UNOTIFY_GONE : -errno;
	return 0;
}

void
unotify_sockinfo(struct unotify_call *c)
{
	socklen_t len = sizeof(int);

	if (c->domain != -2)
		return;
	if (getsockopt(c->sfd, SOL_SOCKET, SO_DOMAIN, &c->domain, &len) == -1)
		c->domain = -1;
	len = sizeof(int);
	if (getsockopt(c->sfd, SOL_SOCKET, SO_TYPE, &c->type, &len) == -1)
		c->type = -1;
}

int
unotify_rootfd(struct unotify_call *c)
{
	char name[64];
	int fd;

	if (c->u->rootfd >= 0)
		return c->u->rootfd;
	snprintf(name, sizeof(name), "/proc/%d/root", (int)c->tid);
	fd = open(name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !unotify_valid(c)) {
		close(fd);
		fd = -1;
	}
	c->u->rootfd = fd;
	return fd;
}

static void
serve(struct unotify *u, const struct seccomp_notif *n)
{
	struct unotify_call c;
	long v;

	memset(&c, 0, sizeof(c));
	c.u = u;
	c.id = n->id;
	c.tid = (pid_t)n->pid;
	c.nr = n->data.nr;
	memcpy(c.args, n->data.args, sizeof(c.args));
	c.pidfd = c.sfd = -1;
	c.domain = c.type = -2;
	if (n->data.arch != NATIVE_ARCH)
		v = -ENOSYS;
	else if ((v = take_socket(&c)) == 0)
		v = dispatch(&c);
	if (v == UNOTIFY_LATER)
		return; /* an op owns the call now */
	if (v != UNOTIFY_GONE)
		answer(u, c.id, v);
	call_release(&c);
}

/* --- the listener --------------------------------------------------------------- */

static void on_readable(uv_poll_t *h, int status, int events);

static void
set_reading(struct unotify *u, bool on)
{
	if (u->stopped || on == u->reading)
		return;
	u->reading = on;
	if (on)
		uv_poll_start(&u->poll, UV_READABLE, on_readable);
	else
		uv_poll_stop(&u->poll);
}

/* One notification is there (POLLIN) — RECV would block otherwise — or
 * none can come any more (POLLHUP: no process uses the filter). */
static int
pending_notification(struct unotify *u)
{
	struct pollfd pfd = {u->fd, POLLIN, 0};

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & POLLIN)
		return 1;
	return (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) ? -1 : 0;
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct unotify *u = h->data;
	struct seccomp_notif n;
	int i, r = 0;

	(void)events;
	for (i = 0; status == 0 && i < UNOTIFY_BATCH &&
		    u->n_ops < UNOTIFY_MAX_PENDING;
	     i++) {
		r = pending_notification(u);
		if (r <= 0)
			break;
		memset(&n, 0, sizeof(n));
		if (ioctl(u->fd, SECCOMP_IOCTL_NOTIF_RECV, &n) == -1) {
			if (errno == EINTR || errno == ENOENT)
				continue; /* the caller went away meanwhile */
			r = -1;
			break;
		}
		serve(u, &n);
	}
	if (status < 0 || r < 0) {
		u->hup = true; /* for good: nobody can call any more */
		set_reading(u, false);
	} else if (u->n_ops >= UNOTIFY_MAX_PENDING)
		set_reading(u, false); /* until a waiting call is done */
}

/* --- calls that wait -------------------------------------------------------------- */

static void on_sweep(uv_timer_t *t);

static void
op_closed(uv_handle_t *h)
{
	struct unotify_op *op = h->data;

	if (--op->handles > 0)
		return;
	call_release(&op->c);
	if (op->free_state != NULL)
		op->free_state(op->state);
	free(op);
}

static void
on_op_writable(uv_poll_t *h, int status, int events)
{
	struct unotify_op *op = h->data;

	(void)status;
	(void)events;
	uv_poll_stop(h);
	op->resume(op);
}

static void
on_op_timer(uv_timer_t *t)
{
	struct unotify_op *op = t->data;

	op->resume(op);
}

struct unotify_op *
unotify_op_new(struct unotify_call *c, unotify_resume_fn *resume,
	       void *state, unotify_free_fn *free_state)
{
	struct unotify *u = c->u;
	struct unotify_op *op;

	int fl;

	if (u->n_ops >= UNOTIFY_MAX_PENDING)
		return NULL;
	op = xcalloc(1, sizeof(*op));
	/* uv_poll_init makes the descriptor non-blocking: it is the
	 * command's own open file description, so its flags go back. */
	fl = fcntl(c->sfd, F_GETFL);
	if (uv_poll_init(u->loop, &op->poll, c->sfd) != 0) {
		free(op);
		return NULL;
	}
	if (fl != -1)
		fcntl(c->sfd, F_SETFL, fl);
	uv_timer_init(u->loop, &op->timer);
	op->poll.data = op->timer.data = op;
	op->handles = 2;
	op->c = *c;
	c->pidfd = c->sfd = -1;
	op->resume = resume;
	op->state = state;
	op->free_state = free_state;
	op->next = u->ops;
	if (op->next != NULL)
		op->next->prev = op;
	u->ops = op;
	u->n_ops++;
	if (!uv_is_active((uv_handle_t *)&u->sweep))
		uv_timer_start(&u->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
	return op;
}

void
unotify_op_wait_writable(struct unotify_op *op)
{
	uv_poll_start(&op->poll, UV_WRITABLE, on_op_writable);
}

void
unotify_op_retry(struct unotify_op *op)
{
	op->backoff_ms = op->backoff_ms == 0 ? RETRY_FIRST_MS
					     : op->backoff_ms * 2;
	if (op->backoff_ms > RETRY_MAX_MS)
		op->backoff_ms = RETRY_MAX_MS;
	uv_timer_start(&op->timer, on_op_timer, op->backoff_ms, 0);
}

void
unotify_op_finish(struct unotify_op *op, long v)
{
	struct unotify *u = op->c.u;

	if (op->done)
		return;
	op->done = true;
	if (v != UNOTIFY_GONE && v != UNOTIFY_LATER)
		answer(u, op->c.id, v);
	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		u->ops = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	u->n_ops--;
	uv_close((uv_handle_t *)&op->poll, op_closed);
	uv_close((uv_handle_t *)&op->timer, op_closed);
	if (!u->hup && u->n_ops < UNOTIFY_MAX_PENDING)
		set_reading(u, true);
}

/* The hex mask after `key` in a /proc/TID/status text; 0 when absent. */
static uint64_t
status_mask(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

/* Whether a signal the thread handles is pending for it: then the kernel
 * would interrupt its blocking call (EINTR). The supervisor's own wait
 * cannot be interrupted (WAIT_KILLABLE_RECV), so it answers EINTR itself,
 * and Ctrl-C reaches a program stuck connecting. */
static bool
signal_pending(pid_t tid)
{
	char name[64], buf[2048];
	uint64_t pending;
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "/proc/%d/status", (int)tid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	pending = status_mask(buf, "\nSigPnd:\t") | status_mask(buf, "\nShdPnd:\t");
	return (pending & ~status_mask(buf, "\nSigBlk:\t") &
		status_mask(buf, "\nSigCgt:\t")) != 0;
}

/* While calls wait: those whose caller died (killed while it waited) are
 * dropped, and those whose caller has a signal to handle are answered
 * EINTR, as the kernel would have. */
static void
on_sweep(uv_timer_t *t)
{
	struct unotify *u = t->data;
	struct unotify_op *op, *next;

	for (op = u->ops; op != NULL; op = next) {
		next = op->next;
		if (!unotify_valid(&op->c))
			unotify_op_finish(op, UNOTIFY_GONE);
		else if (signal_pending(op->c.tid))
			unotify_op_finish(op, -EINTR);
	}
	if (u->ops == NULL)
		uv_timer_stop(t);
}

/* --- life cycle ------------------------------------------------------------------- */

static void
resolve_listed(struct unotify *u, const struct unotify_policy *p,
	       struct errbuf *warn)
{
	struct unixpath_mounts m = {NULL, 0};
	struct stat st;
	size_t i;
	int fd;

	u->listed = xcalloc(p->n_listed + 1, sizeof(*u->listed));
	u->pins = xcalloc(p->n_listed + 1, sizeof(*u->pins));
	for (i = 0; i < p->n_listed; i++) {
		fd = open(p->listed[i], O_PATH | O_CLOEXEC);
		if (fd == -1 || fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
		    unixpath_id(fd, &m, 0, &u->listed[u->n_listed]) == -1) {
			errbuf_add(warn, "permissions.network.unix_sockets: %s: "
				   "%s; unreachable for this run",
				   p->listed[i],
				   fd == -1 ? strerror(errno) : "not a socket");
			if (fd >= 0)
				close(fd);
			continue;
		}
		u->pins[u->n_listed++] = fd;
	}
	unixpath_mounts_release(&m);
}

struct unotify *
unotify_start(uv_loop_t *loop, int notify_fd, int diag_fd,
	      const struct unotify_policy *p, struct errbuf *warn,
	      struct errbuf *err)
{
	struct timeval tv = {1, 0};
	struct unotify *u = xcalloc(1, sizeof(*u));

	u->loop = loop;
	u->fd = notify_fd;
	u->diag_fd = diag_fd;
	u->allow_all = p->allow_all;
	u->refuse_udp = p->refuse_udp;
	u->on_udp = p->on_udp;
	u->udp_arg = p->udp_arg;
	u->rootfd = -1;
	u->root = geteuid() == 0;
	u->send_creds = u->root;
	u->uid = p->uid;
	u->gid = p->gid;
	u->net_granted = p->net_granted;
	/* A dump that never answers must not hang the loop. */
	if (diag_fd >= 0)
		setsockopt(diag_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	resolve_listed(u, p, warn);
	if (uv_poll_init(loop, &u->poll, notify_fd) != 0) {
		errbuf_add(err, "seccomp supervisor: cannot poll the listener");
		close(notify_fd);
		if (diag_fd >= 0)
			close(diag_fd);
		u->fd = u->diag_fd = -1;
		u->stopped = true;
		unotify_stop(u);
		return NULL;
	}
	u->poll.data = u;
	uv_timer_init(loop, &u->sweep);
	u->sweep.data = u;
	uv_unref((uv_handle_t *)&u->sweep);
	u->handles = 2;
	set_reading(u, true);
	return u;
}

static void
release(struct unotify *u)
{
	size_t i;

	for (i = 0; i < u->n_listed; i++)
		close(u->pins[i]);
	free(u->pins);
	free(u->listed);
	unixpath_mounts_release(&u->mounts);
	if (u->rootfd >= 0)
		close(u->rootfd);
	if (u->fd >= 0)
		close(u->fd);
	if (u->diag_fd >= 0)
		close(u->diag_fd);
	free(u);
}

static void
handle_closed(uv_handle_t *h)
{
	struct unotify *u = h->data;

	if (--u->handles == 0)
		release(u);
}

void
unotify_stop(struct unotify *u)
{
	if (u == NULL)
		return;
	if (u->handles == 0) { /* never started */
		release(u);
		return;
	}
	u->stopped = true;
	while (u->ops != NULL)
		unotify_op_finish(u->ops, UNOTIFY_GONE);
	uv_close((uv_handle_t *)&u->poll, handle_closed);
	uv_close((uv_handle_t *)&u->sweep, handle_closed);
}
