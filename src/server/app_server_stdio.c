/* app_server_stdio.c — the stdio:// transport: one client, one JSON
 * message per line on stdin, replies one per line on out_fd. Lines
 * longer than WS_MAX_MSG are dropped whole, as an oversized WebSocket
 * message would be refused. See app_server.h.
 *
 * A pipe, socket or terminal is read as a libuv stream. A regular file or
 * a device such as /dev/null cannot be polled (epoll refuses it), so it is
 * read with uv_fs_read, one chunk at a time, on the thread pool. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "server/app_server.h"
#include "server/app_server_int.h"
#include "server/ws.h"

#define STDIO_CHUNK (64 * 1024)

struct app_stdio {
	struct app_server *s;
	uv_pipe_t in;           /* stream mode */
	int in_fd;
	int out_fd;
	struct app_conn *conn;
	struct buf line;
	bool skipping;          /* inside an oversized line */
	app_eof_fn *on_eof;
	void *arg;
	/* file mode: in_fd cannot be polled */
	bool file;
	uv_fs_t req;
	char *chunk;
	bool busy;              /* a read or its callback is under way */
	bool stopped;           /* app_stdio_stop() ran; free when not busy */
};

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the reader is gone; EOF on stdin follows */
		p += w;
		n -= (size_t)w;
	}
}

static void
stdio_send(void *arg, const char *msg, size_t n)
{
	struct app_stdio *t = arg;

	write_all(t->out_fd, msg, n);
	write_all(t->out_fd, "\n", 1);
}

static void
take(struct app_stdio *t, const char *p, size_t n)
{
	const char *nl;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		if (!t->skipping && buf_add(&t->line, p, k) == -1) {
			t->skipping = true;
			buf_reset(&t->line);
		}
		if (nl == NULL)
			return;
		if (!t->skipping && t->line.len > 0)
			app_conn_message(t->conn, t->line.p, t->line.len);
		buf_reset(&t->line);
		t->skipping = false;
		p += k + 1;
		n -= k + 1;
	}
}

static void
on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	struct app_stdio *t = h->data;

	if (nread < 0) {
		uv_read_stop(h);
		if (t->on_eof != NULL)
			t->on_eof(t->arg);
		return;
	}
	take(t, b->base, (size_t)nread);
}

/* --- file mode ----------------------------------------------------------------- */

static void
stdio_free(struct app_stdio *t)
{
	buf_release(&t->line);
	free(t->chunk);
	free(t);
}

static void file_read_next(struct app_stdio *t);

/* busy stays true while the chunk is handled, so that a stop from inside
 * a message handler only marks t and the free happens here. */
static void
on_file_read(uv_fs_t *req)
{
	struct app_stdio *t = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	if (!t->stopped && n > 0)
		take(t, t->chunk, (size_t)n);
	t->busy = false;
	if (t->stopped) {
		stdio_free(t);
		return;
	}
	if (n > 0) {
		file_read_next(t);
		return;
	}
	/* End of input, or a read error: the client is done either way. */
	if (t->on_eof != NULL)
		t->on_eof(t->arg);
}

static void
file_read_next(struct app_stdio *t)
{
	uv_buf_t b = uv_buf_init(t->chunk, STDIO_CHUNK);

	t->req.data = t;
	if (uv_fs_read(t->s->loop, &t->req, t->in_fd, &b, 1, -1,
		       on_file_read) == 0) {
		t->busy = true;
		return;
	}
	if (t->on_eof != NULL)
		t->on_eof(t->arg);
}

static int
file_start(struct app_stdio *t)
{
	t->file = true;
	t->chunk = xmalloc(STDIO_CHUNK);
	t->conn = app_conn_new(t->s, stdio_send, t);
	t->s->stdio = t;
	file_read_next(t);
	return 0;
}

/* --- start and stop ------------------------------------------------------------- */

int
app_stdio_start(struct app_server *s, int in_fd, int out_fd,
		app_eof_fn *on_eof, void *arg, struct errbuf *err)
{
	struct app_stdio *t = xcalloc(1, sizeof(*t));
	uv_handle_type type = uv_guess_handle(in_fd);
	int rc;

	t->s = s;
	t->in_fd = in_fd;
	t->out_fd = out_fd;
	t->on_eof = on_eof;
	t->arg = arg;
	buf_init(&t->line, WS_MAX_MSG);
	if (type == UV_FILE || type == UV_UNKNOWN_HANDLE)
		return file_start(t);
	uv_pipe_init(s->loop, &t->in, 0);
	t->in.data = t;
	rc = uv_pipe_open(&t->in, in_fd);
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&t->in, app_alloc_read, on_read);
	if (rc != 0) {
		errbuf_add(err, "stdin: %s", uv_strerror(rc));
		s->stdio = t;
		app_stdio_stop(s);
		return -1;
	}
	t->conn = app_conn_new(s, stdio_send, t);
	s->stdio = t;
	return 0;
}

static void
on_closed(uv_handle_t *h)
{
	stdio_free(h->data);
}

void
app_stdio_stop(struct app_server *s)
{
	struct app_stdio *t = s->stdio;

	if (t == NULL)
		return;
	s->stdio = NULL;
	app_conn_free(t->conn);
	t->conn = NULL;
	if (!t->file) {
		uv_close((uv_handle_t *)&t->in, on_closed);
		return;
	}
	t->stopped = true;
	if (!t->busy)
		stdio_free(t);
}
