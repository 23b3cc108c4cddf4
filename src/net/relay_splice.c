/* relay_splice.c — the relay's zero-copy path between two TCP sockets.
 *
 * Each direction (relay_flow) moves bytes socket → pipe → socket with
 * splice(2), so they never enter user space. A uv_poll_t per socket fd
 * drives it; the uv_tcp handles stay open (they own the fds and are closed
 * by relay_close) but are neither read nor written while polled.
 *
 * Backpressure is the holder itself: a source is read only while its
 * flow's holder is empty and a destination is polled for writability only
 * while the holder has bytes, so at most one holder (one pipe, at most
 * RELAY_PIPE_SIZE) per direction sits in the relay.
 *
 * Pipes are taken from the process-wide pool (pipe_pool.h) when a read is
 * about to happen and given back as soon as they are empty, so idle
 * tunnels hold no pipe (no fds, no pipe pages counted against the user's
 * pipe limits).
 * When no pipe can be made (fd limit), a flow uses a heap buffer with
 * recv/send instead: the same behaviour, one copy more. The pool is not
 * locked: relays run on one loop in one thread.
 *
 * Like libuv's own writes, splice to a socket whose peer is gone raises
 * SIGPIPE: the program must ignore it (the proxy does). */
#include "net/relay.h"
#include "net/relay_int.h"
#include "lib/xalloc.h"
#include "net/pipe_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* Fill/drain rounds per poll event, so one busy tunnel cannot starve the
 * loop; level-triggered polling brings it back. */
#define RELAY_PUMP_ROUNDS 16
#define RELAY_SPLICE_FLAGS (SPLICE_F_MOVE | SPLICE_F_NONBLOCK)

static bool force_copy;

void
relay_force_copy(bool on)
{
	force_copy = on;
}

static bool
would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Gives f an empty pipe. Returns 0 or -1. */
static int
flow_take_pipe(struct relay_flow *f)
{
	struct pipe_pool_pipe p;

	if (pipe_pool_take(&p) == -1)
		return -1;
	f->pipe[0] = p.fd[0];
	f->pipe[1] = p.fd[1];
	f->pipe_cap = p.cap;
	return 0;
}

/* Returns f's pipe to the pool if it is empty, else closes it. */
static void
flow_give_pipe(struct relay_flow *f)
{
	struct pipe_pool_pipe p = {{f->pipe[0], f->pipe[1]}, f->pipe_cap};

	pipe_pool_give(&p, f->n);
	f->pipe[0] = f->pipe[1] = -1;
}

void
relay_splice_pool_flush(void)
{
	pipe_pool_flush();
}

static void
flow_count(struct relay_side *dst, size_t n)
{
	struct relay *r = dst->r;

	if (dst == &r->s)
		r->up += n;
	else
		r->down += n;
	relay_touch(r);
}

/* Reads what src has into its (empty) flow holder. Returns 1 when bytes
 * or EOF came, 0 when nothing can be read now, -1 after closing the
 * relay. */
static int
flow_fill(struct relay_side *src)
{
	struct relay_flow *f = &src->flow;
	ssize_t k;

	if (f->pipe[0] < 0 && flow_take_pipe(f) == -1 && f->buf == NULL)
		f->buf = xmalloc(RELAY_READ_SIZE);
	if (f->pipe[0] >= 0)
		k = splice(src->fd, NULL, f->pipe[1], NULL, f->pipe_cap,
			   RELAY_SPLICE_FLAGS);
	else
		k = recv(src->fd, f->buf, RELAY_READ_SIZE, 0);
	if (k > 0) {
		f->n = (size_t)k;
		f->off = 0;
		relay_touch(src->r);
		return 1;
	}
	if (k == 0) {
		f->eof = 1;
		return 1;
	}
	if (would_block())
		return 0;
	relay_close(src->r, -errno);
	return -1;
}

/* Writes what src's flow holds to the other side. Returns 1 when bytes
 * moved, 0 when the destination is full, -1 after closing the relay. */
static int
flow_drain(struct relay_side *src)
{
	struct relay_flow *f = &src->flow;
	struct relay_side *dst = src->peer;
	ssize_t k;

	if (f->pipe[0] >= 0)
		k = splice(f->pipe[0], NULL, dst->fd, NULL, f->n,
			   RELAY_SPLICE_FLAGS);
	else
		k = send(dst->fd, f->buf + f->off, f->n, MSG_NOSIGNAL);
	if (k > 0) {
		f->n -= (size_t)k;
		f->off += (size_t)k;
		flow_count(dst, (size_t)k);
		return 1;
	}
	if (k < 0 && would_block())
		return 0;
	relay_close(src->r, k < 0 ? -errno : UV_EIO);
	return -1;
}

/* After EOF from src and once its flow is empty: half-closes the other
 * side; the relay ends when both directions got here. Returns -1 if the
 * relay was closed. */
static int
flow_finish(struct relay_side *src)
{
	struct relay_flow *f = &src->flow;
	struct relay *r = src->r;

	if (!f->eof || f->n > 0 || f->shut)
		return 0;
	f->shut = 1;
	if (shutdown(src->peer->fd, SHUT_WR) == -1) {
		relay_close(r, -errno);
		return -1;
	}
	if (r->c.flow.shut && r->s.flow.shut) {
		relay_close(r, 0);
		return -1;
	}
	return 0;
}

/* Moves bytes from src to its peer until either blocks, EOF, or the round
 * budget is spent. */
static void
flow_pump(struct relay_side *src)
{
	struct relay_flow *f = &src->flow;
	int i, k;

	for (i = 0; i < RELAY_PUMP_ROUNDS; i++) {
		if (f->n == 0 && !f->eof) {
			k = flow_fill(src);
			if (k < 0)
				return;
			if (k == 0)
				break;
		}
		if (f->n > 0) {
			k = flow_drain(src);
			if (k < 0)
				return;
			if (k == 0)
				break;
		}
		if (f->eof) {
			if (flow_finish(src) < 0)
				return;
			break;
		}
	}
	if (f->n == 0)
		flow_give_pipe(f);
}

static void relay_polled(uv_poll_t *h, int status, int events);

/* Polls side's fd for what its flows need now: readable while the flow
 * from it is empty and open, writable while the flow towards it holds
 * bytes. */
static void
side_watch(struct relay_side *side)
{
	struct relay *r = side->r;
	int ev = 0;
	int rc;

	if (r->closing || side->poll == NULL)
		return;
	if (!side->flow.eof && side->flow.n == 0)
		ev |= UV_READABLE;
	if (side->peer->flow.n > 0)
		ev |= UV_WRITABLE;
	if (ev == side->events)
		return;
	side->events = ev;
	if (ev != 0)
		rc = uv_poll_start(side->poll, ev, relay_polled);
	else
		rc = uv_poll_stop(side->poll);
	if (rc != 0)
		relay_close(r, rc);
}

/* libuv reports a socket error (POLLERR) as UV_EBADF and stops the
 * handle; the socket knows the real one. */
static int
side_error(struct relay_side *side, int status)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(side->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	    err != 0)
		return -err;
	return status;
}

static void
relay_polled(uv_poll_t *h, int status, int events)
{
	struct relay_side *side = h->data;
	struct relay *r = side->r;

	if (r->closing)
		return;
	if (status < 0) {
		relay_close(r, side_error(side, status));
		return;
	}
	if (events & UV_READABLE)
		flow_pump(side);
	if (!r->closing && (events & UV_WRITABLE))
		flow_pump(side->peer);
	side_watch(&r->c);
	side_watch(&r->s);
}

static int
side_fd(struct relay_side *side)
{
	uv_os_fd_t fd;

	if (side->s->type != UV_TCP ||
	    uv_fileno((uv_handle_t *)side->s, &fd) != 0)
		return -1;
	side->fd = fd;
	return 0;
}

bool
relay_splice_possible(struct relay *r)
{
	struct relay_flow probe = { .pipe = { -1, -1 } };

	if (force_copy || side_fd(&r->c) == -1 || side_fd(&r->s) == -1)
		return false;
	/* A pipe now means the fd table has room (it goes back to the pool,
	 * ready for the first read). */
	if (flow_take_pipe(&probe) == -1)
		return false;
	flow_give_pipe(&probe);
	return true;
}

static int
side_poll_init(struct relay_side *side)
{
	uv_poll_t *h = xmalloc(sizeof(*h));

	if (uv_poll_init(side->r->loop, h, side->fd) != 0) {
		free(h);
		return -1;
	}
	h->data = side;
	side->poll = h;
	side->r->open++;
	return 0;
}

static void
side_poll_close(struct relay_side *side)
{
	if (side->poll == NULL)
		return;
	uv_close((uv_handle_t *)side->poll, relay_handle_closed);
	side->poll = NULL;
	side->events = 0;
}

void
relay_splice_begin(struct relay *r)
{
	r->mode = RELAY_SPLICE;
	/* uv_poll_init refuses (UV_EEXIST) an fd libuv still watches for its
	 * stream, e.g. a write the caller queued before relay_start. */
	if (side_poll_init(&r->c) == -1 || side_poll_init(&r->s) == -1) {
		side_poll_close(&r->c);
		side_poll_close(&r->s);
		relay_copy_begin(r);
		return;
	}
	side_watch(&r->c);
	side_watch(&r->s);
}

static void
side_splice_close(struct relay_side *side)
{
	flow_give_pipe(&side->flow);
	free(side->flow.buf);
	side->flow.buf = NULL;
	side_poll_close(side);
}

void
relay_splice_close(struct relay *r)
{
	side_splice_close(&r->c);
	side_splice_close(&r->s);
}
