/* stream.c — the stream interface (stream.h) and its TCP kind.
 *
 * TCP writes try the kernel first (uv_try_write) and copy only what it
 * did not take into a write request of their own; reads land in one
 * static buffer (one loop, one thread) and are handed on at once, so an
 * idle stream holds no buffer. Requests in flight are counted in
 * `pending`: libuv completes them (with UV_ECANCELED if need be) before
 * the close callback, which frees the stream. A detached stream has given
 * its handle away and lives on only until its last request completes. */
#include "net/stream.h"
#include "net/stream_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/xalloc.h"

#define STREAM_READ_SIZE (64 * 1024)

struct stream_tcp {
	struct stream base;
	uv_tcp_t *tcp;	/* NULL once detached */
	int pending;	/* write and shutdown requests in flight */
	bool reading;
	bool eof;
	bool detached;
};

struct tcp_write {
	uv_write_t req;
	struct stream_tcp *t;
	char data[];
};

static char tcp_rbuf[STREAM_READ_SIZE];

/* --- the interface ------------------------------------------------------- */

void
stream_set_owner(struct stream *s, void *arg, stream_read_fn *read,
		 stream_write_fn *write)
{
	s->arg = arg;
	s->on_read = read;
	s->on_write = write;
}

void
stream_emit_read(struct stream *s, ssize_t n, const char *p)
{
	if (!s->closed && s->on_read != NULL)
		s->on_read(s->arg, n, p);
}

void
stream_emit_write(struct stream *s, int status)
{
	if (!s->closed && s->on_write != NULL)
		s->on_write(s->arg, status);
}

void
stream_emit_shut(struct stream *s, int status)
{
	stream_write_fn *cb = s->on_shut;

	s->on_shut = NULL;
	if (!s->closed && cb != NULL)
		cb(s->arg, status);
}

int
stream_read_start(struct stream *s)
{
	return s->closed ? UV_EINVAL : s->ops->read_start(s);
}

void
stream_read_stop(struct stream *s)
{
	if (!s->closed)
		s->ops->read_stop(s);
}

int
stream_write(struct stream *s, const char *p, size_t n)
{
	if (s->closed)
		return UV_EINVAL;
	return n == 0 ? 0 : s->ops->write(s, p, n);
}

size_t
stream_write_queued(const struct stream *s)
{
	return s->closed ? 0 : s->ops->queued(s);
}

int
stream_shutdown(struct stream *s, stream_write_fn *cb)
{
	if (s->closed || s->on_shut != NULL)
		return UV_EINVAL;
	s->on_shut = cb;
	return s->ops->shutdown(s);
}

void
stream_close(struct stream *s)
{
	if (s == NULL || s->closed)
		return;
	s->closed = true;
	s->ops->close(s);
}

int
stream_fd(const struct stream *s)
{
	return s->closed ? -1 : s->ops->fd(s);
}

bool
stream_quiet(const struct stream *s)
{
	int fd = s->closed ? -1 : s->ops->raw_fd(s);
	char c;

	if (fd < 0)
		return false;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == -1 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

int
stream_peer(const struct stream *s, struct sockaddr_storage *ss)
{
	return s->ops->peer(s, ss);
}

bool
stream_is_tls(const struct stream *s)
{
	return s->ops == &stream_tls_ops;
}

/* --- TCP ----------------------------------------------------------------- */

static struct stream_tcp *
tcp_of(const struct stream *s)
{
	return (struct stream_tcp *)s;
}

/* A detached stream goes once nothing of libuv points at it. */
static void
tcp_maybe_free_detached(struct stream_tcp *t)
{
	if (t->detached && t->pending == 0)
		free(t);
}

static void
tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	*b = uv_buf_init(tcp_rbuf, sizeof(tcp_rbuf));
}

static void
tcp_read_cb(uv_stream_t *u, ssize_t n, const uv_buf_t *b)
{
	struct stream_tcp *t = u->data;

	if (n == 0 || n == UV_ENOBUFS)
		return;
	if (n < 0) {
		t->eof = true;
		t->reading = false;
		uv_read_stop(u);
	}
	stream_emit_read(&t->base, n, b->base);
}

static int
tcp_read_start(struct stream *s)
{
	struct stream_tcp *t = tcp_of(s);
	int rc;

	if (t->eof || t->reading)
		return 0; /* the owner has had its EOF, or reads already */
	rc = uv_read_start((uv_stream_t *)t->tcp, tcp_alloc, tcp_read_cb);
	t->reading = rc == 0;
	return rc;
}

static void
tcp_read_stop(struct stream *s)
{
	struct stream_tcp *t = tcp_of(s);

	if (!t->reading)
		return;
	t->reading = false;
	uv_read_stop((uv_stream_t *)t->tcp);
}

static void
tcp_written(uv_write_t *w, int status)
{
	struct tcp_write *r = (struct tcp_write *)w;
	struct stream_tcp *t = r->t;

	free(r);
	t->pending--;
	if (t->detached) {
		tcp_maybe_free_detached(t);
		return;
	}
	stream_emit_write(&t->base, status);
}

static int
tcp_write(struct stream *s, const char *p, size_t n)
{
	struct stream_tcp *t = tcp_of(s);
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
	struct tcp_write *r;
	int k, rc;

	k = uv_try_write((uv_stream_t *)t->tcp, &b, 1);
	if (k == UV_EAGAIN)
		k = 0;
	else if (k < 0)
		return k;
	if ((size_t)k == n)
		return 0;
	r = xmalloc(sizeof(*r) + n - (size_t)k);
	r->t = t;
	memcpy(r->data, p + k, n - (size_t)k);
	b = uv_buf_init(r->data, (unsigned)(n - (size_t)k));
	rc = uv_write(&r->req, (uv_stream_t *)t->tcp, &b, 1, tcp_written);
	if (rc != 0) {
		free(r);
		return rc;
	}
	t->pending++;
	return 0;
}

static size_t
tcp_queued(const struct stream *s)
{
	return uv_stream_get_write_queue_size(
		(const uv_stream_t *)tcp_of(s)->tcp);
}

static void
tcp_shut_cb(uv_shutdown_t *r, int status)
{
	struct stream_tcp *t = r->data;

	free(r);
	t->pending--;
	if (t->detached) {
		tcp_maybe_free_detached(t);
		return;
	}
	stream_emit_shut(&t->base, status);
}

static int
tcp_shutdown(struct stream *s)
{
	struct stream_tcp *t = tcp_of(s);
	uv_shutdown_t *r = xcalloc(1, sizeof(*r));
	int rc;

	r->data = t;
	rc = uv_shutdown(r, (uv_stream_t *)t->tcp, tcp_shut_cb);
	if (rc != 0) {
		free(r);
		s->on_shut = NULL;
		return rc;
	}
	t->pending++;
	return 0;
}

static void
tcp_closed(uv_handle_t *h)
{
	struct stream_tcp *t = h->data;

	free(h);
	free(t);
}

static void
tcp_close(struct stream *s)
{
	struct stream_tcp *t = tcp_of(s);

	t->tcp->data = t;
	uv_close((uv_handle_t *)t->tcp, tcp_closed);
}

static int
tcp_fd(const struct stream *s)
{
	uv_os_fd_t fd;

	if (uv_fileno((const uv_handle_t *)tcp_of(s)->tcp, &fd) != 0)
		return -1;
	return fd;
}

static int
tcp_peer(const struct stream *s, struct sockaddr_storage *ss)
{
	int len = sizeof(*ss);

	if (tcp_of(s)->tcp == NULL)
		return -1;
	memset(ss, 0, sizeof(*ss));
	return uv_tcp_getpeername(tcp_of(s)->tcp, (struct sockaddr *)ss,
				  &len) == 0 ? 0 : -1;
}

static const struct stream_ops tcp_ops = {
	tcp_read_start, tcp_read_stop, tcp_write, tcp_queued, tcp_shutdown,
	tcp_close,	tcp_fd,	       tcp_fd,	  tcp_peer,
};

struct stream *
stream_tcp_new(uv_loop_t *loop, uv_tcp_t *tcp)
{
	struct stream_tcp *t = xcalloc(1, sizeof(*t));

	t->base.ops = &tcp_ops;
	t->base.loop = loop;
	t->tcp = tcp;
	tcp->data = t;
	return &t->base;
}

uv_tcp_t *
stream_tcp_detach(struct stream *s)
{
	struct stream_tcp *t;
	uv_tcp_t *tcp;

	if (s->ops != &tcp_ops || s->closed)
		return NULL;
	t = tcp_of(s);
	tcp = t->tcp;
	uv_read_stop((uv_stream_t *)tcp);
	tcp->data = NULL;
	t->tcp = NULL;
	s->closed = true;
	t->detached = true;
	tcp_maybe_free_detached(t);
	return tcp;
}
