/* unotify.h — the supervisor of a sandboxed command's connect() and sends.
 *
 * The command's seccomp filter (seccomp.h) hands connect(), sendto() with
 * an address, sendmsg() and sendmmsg() to a user-notification listener,
 * which airlock's process serves here, on its libuv loop. The supervisor
 * never lets a call continue after looking at it: another thread of the
 * command could change the memory it read, or the descriptor table, in
 * between. It performs every call itself instead, on the command's own
 * socket — taken with pidfd_getfd(2), so the same open file description
 * with the command's options and its network namespace — with its own copy
 * of the arguments read from the command's memory, and returns the
 * result (0 or -errno, as the kernel would) in its answer.
 *
 * A pathname unix address is resolved in the calling thread's own root
 * and working directory (unixpath.h); the call is made only when that
 * inode is a socket bound inside the sandbox (sock_diag of the sandbox's
 * network namespace lists it), a host socket the policy lists, or any
 * socket with allow_all — and then through /proc/self/fd/N of the O_PATH
 * descriptor that pinned it, so the kernel uses exactly that inode.
 * Otherwise the call fails with EACCES and the path is recorded
 * (unotify_refused). Abstract and unnamed unix addresses and IP addresses
 * go to the kernel as given: the command's socket belongs to the
 * sandbox's network namespace, which holds only its own loopback, its own
 * abstract names and airlock's listeners — save UDP to an address outside
 * the loopback, which the policy's refuse_udp turns away (below).
 *
 * A call that would block (a blocking socket whose connect is in
 * progress, a unix listener's full backlog, a full send buffer) is
 * finished later, on the loop, while the command waits in its call; the
 * command's socket is switched to non-blocking only for the moment of the
 * supervisor's own connect(). Every loop turn serves at most
 * UNOTIFY_BATCH notifications, and at most UNOTIFY_MAX_PENDING calls wait
 * at once (the listener is not read meanwhile: the command's further calls
 * wait in the kernel). A caller that dies is forgotten: its answer fails
 * with ENOENT, and while calls wait a sweep every 200 ms drops those whose
 * caller is gone and answers EINTR to those whose caller has a signal to
 * handle (the command waits killably: only a fatal signal would interrupt
 * it otherwise, and Ctrl-C must reach a program stuck connecting). Closing the listener (unotify_stop, or airlock's exit) makes
 * every pending and future call of the command fail with ENOSYS — never
 * hang, never pass unchecked. */
#ifndef AIRLOCK_SANDBOX_UNOTIFY_H
#define AIRLOCK_SANDBOX_UNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "sandbox/plan.h"
#include "sandbox/unixpath.h"

#define UNOTIFY_BATCH 32
#define UNOTIFY_MAX_PENDING 256
#define UNOTIFY_MAX_REFUSED 16 /* distinct paths remembered */
#define UNOTIFY_MAX_LOOPBACK 8 /* loopback ports remembered */

struct unotify;

/* A UDP datagram or association to dst the supervisor refused. */
typedef void unotify_udp_fn(void *arg, const struct sockaddr *dst);

struct unotify_policy {
	char *const *listed;         /* host sockets the command may reach:
				      * absolute paths, resolved at start */
	size_t n_listed;
	bool allow_all;              /* dangerously_allow_all_unix_sockets */
	/* Network granted: UDP leaves the sandbox only for its own
	 * loopback (the stub resolver is there); a connect() or send to any
	 * other address of a UDP socket fails with ECONNREFUSED at once,
	 * and on_udp(udp_arg, dst) is told (the proxy records it). The
	 * namespace's rules refuse such datagrams too (netrules.h): this is
	 * where they are refused with a reason. */
	bool refuse_udp;
	unotify_udp_fn *on_udp;
	void *udp_arg;
	uid_t uid;                   /* the command's, for write permission */
	gid_t gid;
	bool net_granted;            /* only for the wording of the hints */
};

/* A TCP port of the sandbox's own loopback that refused every connection
 * the command made to it: where a service of the host was probably meant
 * (unotify_summary says how to reach it). */
struct unotify_loopback {
	char addr[64];  /* "127.0.0.1:PORT" or "[::1]:PORT", as connected to */
	unsigned refused;
	bool answered;  /* a later connection got through: a server that
			 * started late, not a miss */
};

struct unotify_refusal {
	char path[256]; /* made absolute (symbolic links kept), cut at 255 */
	unsigned count;
};

/* Serves notify_fd (the command's seccomp listener) on loop, judging unix
 * paths with diag_fd (the sandbox's sock_diag socket; -1: nothing is
 * bound inside). Takes ownership of both descriptors, even on error.
 * NULL with err when it cannot start (the descriptors are then closed,
 * which fails the command's calls). The listed paths are resolved now,
 * in this process's view, and their inodes held open for the run (so
 * that no other file can get their numbers); one that is missing or not a
 * socket adds a line to warn (may be NULL) and stays unreachable. */
struct unotify *unotify_start(uv_loop_t *loop, int notify_fd, int diag_fd,
			      const struct unotify_policy *p,
			      struct errbuf *warn, struct errbuf *err);
/* Stops serving and closes everything; the memory goes when the loop has
 * closed the handles. u may be NULL. */
void unotify_stop(struct unotify *u);

/* The policy a plan gives (its unix_sockets, its uid and gid); borrows
 * the plan's strings. */
void unotify_policy_of_plan(const struct sandbox_plan *p,
			    struct unotify_policy *out);

/* The refused unix paths so far, distinct, in order of first refusal. */
size_t unotify_refused(const struct unotify *u,
		       const struct unotify_refusal **out);
/* Appends the refusals as lines for the end of a run (nothing when there
 * were none): which paths, how often, and the key that allows one. u may
 * be NULL. */
void unotify_summary(const struct unotify *u, struct buf *out);

#endif
