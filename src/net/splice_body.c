/* splice_body.c — see splice_body.h.
 *
 * Bytes go src → holder → dst, the holder being a pipe from the pool
 * (or a heap buffer). src is read only while the holder is empty and
 * bytes are still owed; dst is polled for writability only while the
 * holder has bytes. The two poll handles are counted in `open`; the
 * struct is freed when both have closed. */
#include "net/splice_body.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "net/pipe_pool.h"

#define SB_BUF (64 * 1024)
/* libuv lets one watcher hold an fd: a stream whose write callback is
 * running still holds it until that callback returns. The polls are set
 * up on the next loop turns, tried this many times. */
#define SB_SETUP_TRIES 50
#define SB_ROUNDS 16	/* fill/drain rounds per event: no starving the loop */
#define SB_FLAGS (SPLICE_F_MOVE | SPLICE_F_NONBLOCK)

struct splice_body {
	struct splice_body_opts o;
	uv_poll_t *psrc, *pdst;
	uv_timer_t *setup;	/* sets the polls up; NULL once done */
	int tries;
	int open;		/* handles not yet closed */
	int ev_src, ev_dst;	/* events being polled */
	struct pipe_pool_pipe pipe;
	char *buf;		/* the holder when there is no pipe */
	size_t off;		/* buf: first unsent byte */
	size_t held;		/* bytes in the holder */
	uint64_t to_read;	/* bytes still to read from src */
	uint64_t moved;		/* bytes written to dst */
	bool src_eof;
	bool interrupted;
	bool finished;
};

static void
on_closed(uv_handle_t *h)
{
	struct splice_body *sb = h->data;

	free(h);
	if (--sb->open == 0) {
		free(sb->buf);
		free(sb);
	}
}

/* Stops both polls (synchronously, as far as the fds go) and lets the
 * handles go; the struct follows them. */
static void
sb_close(struct splice_body *sb)
{
	sb->finished = true;
	pipe_pool_give(&sb->pipe, sb->held);
	if (sb->setup != NULL)
		uv_close((uv_handle_t *)sb->setup, on_closed);
	sb->setup = NULL;
	if (sb->psrc != NULL)
		uv_close((uv_handle_t *)sb->psrc, on_closed);
	if (sb->pdst != NULL)
		uv_close((uv_handle_t *)sb->pdst, on_closed);
	sb->psrc = sb->pdst = NULL;
}

static void
finish(struct splice_body *sb, int status)
{
	char *left = NULL;
	size_t n_left = 0;
	ssize_t k;

	/* Interrupted with bytes held: hand them back. */
	if (status == UV_ECANCELED && sb->held > 0) {
		if (sb->pipe.fd[0] >= 0) {
			left = xmalloc(sb->held);
			k = read(sb->pipe.fd[0], left, sb->held);
			n_left = k > 0 ? (size_t)k : 0;
			sb->held -= n_left;
			/* Cannot happen: a pipe reads whole. */
			if (sb->held > 0)
				status = UV_EIO;
		} else {
			left = xmalloc(sb->held);
			memcpy(left, sb->buf + sb->off, sb->held);
			n_left = sb->held;
			sb->held = 0;
		}
	}
	sb_close(sb);
	sb->o.done(sb->o.arg, status, sb->moved, left, n_left);
	free(left);
}

static bool
would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Reads into the (empty) holder. 1 bytes or EOF came, 0 nothing now,
 * -1 error (finished). */
static int
fill(struct splice_body *sb)
{
	size_t want;
	ssize_t k;

	if (sb->pipe.fd[0] < 0 && sb->buf == NULL &&
	    pipe_pool_take(&sb->pipe) == -1)
		sb->buf = xmalloc(SB_BUF);
	if (sb->pipe.fd[0] >= 0) {
		want = sb->to_read < sb->pipe.cap ? (size_t)sb->to_read
						  : sb->pipe.cap;
		k = splice(sb->o.src, NULL, sb->pipe.fd[1], NULL, want,
			   SB_FLAGS);
	} else {
		want = sb->to_read < SB_BUF ? (size_t)sb->to_read : SB_BUF;
		k = recv(sb->o.src, sb->buf, want, 0);
		sb->off = 0;
	}
	if (k > 0) {
		sb->held = (size_t)k;
		sb->to_read -= (uint64_t)k;
		return 1;
	}
	if (k == 0) {
		sb->src_eof = true;
		return 1;
	}
	if (would_block())
		return 0;
	finish(sb, -errno);
	return -1;
}

/* Writes from the holder. 1 bytes moved, 0 dst full, -1 finished. */
static int
drain(struct splice_body *sb)
{
	ssize_t k;

	if (sb->pipe.fd[0] >= 0)
		k = splice(sb->pipe.fd[0], NULL, sb->o.dst, NULL, sb->held,
			   SB_FLAGS);
	else
		k = send(sb->o.dst, sb->buf + sb->off, sb->held, MSG_NOSIGNAL);
	if (k > 0) {
		sb->held -= (size_t)k;
		sb->off += (size_t)k;
		sb->moved += (uint64_t)k;
		if (sb->o.progress != NULL)
			sb->o.progress(sb->o.arg);
		return 1;
	}
	if (k < 0 && would_block())
		return 0;
	finish(sb, k < 0 ? -errno : UV_EIO);
	return -1;
}

/* Moves what it can. -1 once finished. */
static int
pump(struct splice_body *sb)
{
	int i, k;

	for (i = 0; i < SB_ROUNDS; i++) {
		if (sb->held == 0 && sb->to_read > 0 && !sb->src_eof &&
		    !sb->interrupted) {
			k = fill(sb);
			if (k < 0)
				return -1;
			if (k == 0)
				break;
		}
		if (sb->held > 0) {
			k = drain(sb);
			if (k < 0)
				return -1;
			if (k == 0)
				break;
		}
		if (sb->held > 0)
			continue;
		if (sb->moved == sb->o.n) {
			finish(sb, 0);
			return -1;
		}
		if (sb->src_eof) {
			finish(sb, UV_EOF);
			return -1;
		}
		if (sb->interrupted) {
			finish(sb, UV_ECANCELED);
			return -1;
		}
	}
	if (sb->held == 0)
		pipe_pool_give(&sb->pipe, 0);
	return 0;
}

static void on_poll(uv_poll_t *h, int status, int events);

static int
watch(uv_poll_t *h, int *cur, int ev)
{
	int rc;

	if (ev == *cur)
		return 0;
	*cur = ev;
	rc = ev != 0 ? uv_poll_start(h, ev, on_poll) : uv_poll_stop(h);
	return rc;
}

/* Polls for what the transfer needs now. 0 or a libuv error. */
static int
rewatch(struct splice_body *sb)
{
	int src = 0, dst = 0, rc;

	if (sb->held == 0 && sb->to_read > 0 && !sb->interrupted)
		src |= UV_READABLE;
	if (sb->held > 0)
		dst |= UV_WRITABLE;
	if (sb->o.stop_on_dst_readable && !sb->interrupted)
		dst |= UV_READABLE;
	rc = watch(sb->psrc, &sb->ev_src, src);
	return rc != 0 ? rc : watch(sb->pdst, &sb->ev_dst, dst);
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct splice_body *sb = h->data;

	if (sb->finished)
		return;
	if (status < 0) {
		finish(sb, status);
		return;
	}
	if (h == sb->pdst && (events & UV_READABLE) &&
	    sb->o.stop_on_dst_readable)
		sb->interrupted = true;
	if (pump(sb) == 0 && (status = rewatch(sb)) != 0)
		finish(sb, status);
}

static int
poll_new(struct splice_body *sb, int fd, uv_poll_t **out)
{
	uv_poll_t *h = xmalloc(sizeof(*h));
	int rc = uv_poll_init(sb->o.loop, h, fd);

	if (rc != 0) {
		free(h);
		return rc;
	}
	h->data = sb;
	sb->open++;
	*out = h;
	return 0;
}

static void
on_setup(uv_timer_t *t)
{
	struct splice_body *sb = t->data;
	int rc = 0;

	if (sb->psrc == NULL)
		rc = poll_new(sb, sb->o.src, &sb->psrc);
	if (rc == 0 && sb->pdst == NULL)
		rc = poll_new(sb, sb->o.dst, &sb->pdst);
	if (rc == UV_EEXIST && ++sb->tries < SB_SETUP_TRIES) {
		uv_timer_start(t, on_setup, 1, 0);
		return;
	}
	if (rc == 0) {
		uv_close((uv_handle_t *)t, on_closed);
		sb->setup = NULL;
		rc = rewatch(sb);
	}
	if (rc != 0)
		finish(sb, rc);
}

struct splice_body *
splice_body_start(const struct splice_body_opts *o)
{
	struct splice_body *sb = xcalloc(1, sizeof(*sb));

	sb->o = *o;
	sb->to_read = o->n;
	sb->pipe.fd[0] = sb->pipe.fd[1] = -1;
	sb->setup = xmalloc(sizeof(*sb->setup));
	uv_timer_init(o->loop, sb->setup);
	sb->setup->data = sb;
	sb->open = 1;
	uv_timer_start(sb->setup, on_setup, 0, 0);
	return sb;
}

void
splice_body_cancel(struct splice_body *sb)
{
	if (sb != NULL && !sb->finished)
		sb_close(sb);
}
