/* splice_body.h — moves exactly n bytes from one connected socket to
 * another with splice(2) through a kernel pipe (pipe_pool.h), the way the
 * relay moves tunnels, for the bodies of plain HTTP messages whose
 * framing passes through unchanged (Content-Length): once the head is
 * forwarded, the body need not enter user space.
 *
 * The caller's libuv handles of both sockets must be idle meanwhile (not
 * reading, nothing queued): a uv_poll_t per socket drives the transfer
 * and libuv allows one watcher per fd. When done runs, both polls are
 * stopped already, so the caller may read or write the sockets from
 * inside it. done says UV_EEXIST when libuv kept watching an fd.
 *
 * With stop_on_dst_readable, the destination's peer speaking (an origin
 * answering before it has read the whole request body) interrupts the
 * transfer: nothing more is read from the source, the bytes already read
 * but not yet written are handed back, and the caller takes over.
 *
 * Without a pipe (fd limit), the bytes go through a 64 KiB buffer with
 * recv/send: the same behaviour, one copy more. */
#ifndef AIRLOCK_NET_SPLICE_BODY_H
#define AIRLOCK_NET_SPLICE_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* The transfer ended. status: 0 when all n bytes were written to dst;
 * UV_EOF when the source ended first; UV_ECANCELED when interrupted (see
 * above); else a libuv error. moved: bytes written to dst. left[0..n_left)
 * (only when interrupted) were read from src and not written: the caller
 * writes them; valid during the call. */
typedef void splice_body_fn(void *arg, int status, uint64_t moved,
			    const char *left, size_t n_left);
/* Bytes moved (for idle deadlines); may be NULL. */
typedef void splice_body_progress_fn(void *arg);

struct splice_body_opts {
	uv_loop_t *loop;
	int src, dst;		/* connected sockets */
	uint64_t n;		/* > 0 */
	bool stop_on_dst_readable;
	splice_body_fn *done;
	splice_body_progress_fn *progress;
	void *arg;
};

struct splice_body;

/* Starts moving (from the next loop turn: the polls are set up once libuv
 * has let go of the fds); done runs exactly once unless
 * splice_body_cancel() came first, never from inside this call. */
struct splice_body *splice_body_start(const struct splice_body_opts *o);
/* Stops at once; done does not run. NULL is ignored. */
void splice_body_cancel(struct splice_body *sb);

#endif
