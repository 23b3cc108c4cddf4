/* unotify_int.h — private to the supervisor (unotify.c, unotify_conn.c,
 * unotify_send.c): one call being served, and calls that wait. */
#ifndef AIRLOCK_SANDBOX_UNOTIFY_INT_H
#define AIRLOCK_SANDBOX_UNOTIFY_INT_H

#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "sandbox/unotify.h"

/* Returned by a handler that handed its call to a waiting op (which
 * answers later), or whose caller is gone (nothing to answer). */
#define UNOTIFY_LATER (-1000000L)
#define UNOTIFY_GONE (-1000001L)

struct unotify_op;

struct unotify {
	uv_loop_t *loop;
	uv_poll_t poll;      /* the listener */
	uv_timer_t sweep;    /* drops waiting calls whose caller died */
	int fd;              /* the listener */
	int diag_fd;
	bool allow_all;
	bool refuse_udp;     /* unotify_policy's */
	unotify_udp_fn *on_udp;
	void *udp_arg;
	uid_t uid;
	gid_t gid;
	struct unixid *listed; /* host sockets the policy lists */
	int *pins;             /* their inodes, held open */
	size_t n_listed;
	struct unixpath_mounts mounts;
	int rootfd;          /* the sandbox's root directory, once known */
	bool root;           /* airlock runs as root */
	bool send_creds;     /* unix messages carry the caller's credentials
			      * (root; off after the kernel refused them) */
	struct unotify_op *ops;
	size_t n_ops;
	bool reading;        /* the listener is polled */
	bool hup;            /* no process uses the filter any more */
	bool stopped;
	int handles;         /* open uv handles; freed at 0 after stop */
	struct unotify_refusal refused[UNOTIFY_MAX_REFUSED];
	size_t n_refused;
	bool net_granted;
	struct unotify_loopback lo[UNOTIFY_MAX_LOOPBACK];
	size_t n_lo;
};

/* One notification: who called, what, and the caller's socket. */
struct unotify_call {
	struct unotify *u;
	uint64_t id;
	pid_t tid;           /* the calling thread, in airlock's pid namespace */
	int nr;
	uint64_t args[6];
	int pidfd;           /* of the calling thread */
	int sfd;             /* the caller's socket, dup'd here */
	int domain, type;    /* of sfd (unotify_sockinfo): -2 not asked yet,
			      * -1 not a socket */
	pid_t tgid;          /* the caller's thread group (unotify_tgid);
			      * 0 not asked yet */
};

typedef void unotify_resume_fn(struct unotify_op *op);
typedef void unotify_free_fn(void *state);

/* A call that waits: its descriptors move here from the call; resume runs
 * when sfd is writable (op_wait_writable) or a timer fires (op_retry). */
struct unotify_op {
	struct unotify_op *prev, *next;
	struct unotify_call c;
	uv_poll_t poll;
	uv_timer_t timer;
	int handles;
	unsigned backoff_ms;
	unotify_resume_fn *resume;
	unotify_free_fn *free_state;
	void *state;
	bool done;
};

/* --- unotify.c ------------------------------------------------------------- */

/* Fills c->domain and c->type on first use. */
void unotify_sockinfo(struct unotify_call *c);
/* The sandbox's root directory (O_PATH), taken from c's thread the first
 * time (every sandboxed process has the same: chroot and pivot_root are
 * refused); -1 when it cannot be had. */
int unotify_rootfd(struct unotify_call *c);
/* The caller's thread group, in airlock's pid namespace; -1 when unknown
 * (read once per call). */
pid_t unotify_tgid(struct unotify_call *c);
/* Whether the caller is still in the notified call (so that what was read
 * from /proc/TID or its memory was the caller's). */
bool unotify_valid(const struct unotify_call *c);
/* Reads n bytes at the caller's address addr into p. 0, or -errno. */
int unotify_read(const struct unotify_call *c, uint64_t addr, void *p,
		 size_t n);
/* Reads the caller's memory described by remote iovecs into p (n bytes
 * in all). 0, or -errno (EFAULT when short). */
int unotify_readv(const struct unotify_call *c, const struct iovec *remote,
		  size_t nremote, void *p, size_t n);
/* Writes n bytes to the caller's address addr: through /proc/TID/mem,
 * opened and then checked to be the caller's. 0 or -errno. */
int unotify_write(const struct unotify_call *c, uint64_t addr, const void *p,
		  size_t n);
/* Moves c (its descriptors) into a new waiting op; NULL when too many
 * wait (then c is untouched). */
struct unotify_op *unotify_op_new(struct unotify_call *c,
				  unotify_resume_fn *resume, void *state,
				  unotify_free_fn *free_state);
void unotify_op_wait_writable(struct unotify_op *op);
/* Runs resume after a growing delay (10 ms doubling up to 250 ms). */
void unotify_op_retry(struct unotify_op *op);
/* Answers op's call with v (a result >= 0 or -errno) and frees op. */
void unotify_op_finish(struct unotify_op *op, long v);
/* Remembers a refused path, made absolute against c's working directory
 * (for unotify_refused). */
void unotify_note_refusal(const struct unotify_call *c, const char *path);

/* --- unotify_conn.c --------------------------------------------------------- */

/* The unix address check: for an AF_UNIX socket and a pathname address,
 * resolves, judges and rewrites *ss to /proc/self/fd/N of the pinned
 * inode (*pin = N, to close once the call is done). 0 when the call may
 * go on with *ss, -errno when refused. */
int unotify_gate(struct unotify_call *c, struct sockaddr_storage *ss,
		 socklen_t *len, int *pin);
long unotify_connect(struct unotify_call *c);
/* Lines for the loopback ports that refused every connection (nothing when
 * none did), each naming the allow entry that forwards the host's port. */
void unotify_loopback_summary(const struct unotify *u, struct buf *out);

/* --- unotify_send.c --------------------------------------------------------- */

long unotify_sendto(struct unotify_call *c);
long unotify_sendmsg(struct unotify_call *c);
long unotify_sendmmsg(struct unotify_call *c);

#endif
