/* audit_log.c — the JSONL audit log; see audit_log.h. */
#include "proxy/audit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

static int
open_path(const char *path, struct errbuf *err)
{
	int fd = open(path,
		      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			      O_NONBLOCK,
		      0600);

	if (fd == -1) {
		if (errno == ELOOP)
			errbuf_add(err, "%s: audit log is a symlink, refused",
				   path);
		else
			errbuf_add(err, "%s: cannot open audit log: %s", path,
				   strerror(errno));
	}
	return fd;
}

struct audit_log *
audit_log_open(const char *path, struct errbuf *err)
{
	struct audit_log *l;
	int fd;

	fd = open_path(path, err);
	if (fd == -1)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->path = xstrdup(path);
	return l;
}

int
audit_log_reopen(struct audit_log *l, struct errbuf *err)
{
	int fd = open_path(l->path, err);

	if (fd == -1)
		return -1;
	close(l->fd);
	l->fd = fd;
	return 0;
}

void
audit_log_free(struct audit_log *l)
{
	if (l == NULL)
		return;
	if (l->fd != -1)
		close(l->fd);
	free(l->path);
	free(l);
}

static void
fail(struct audit_log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fail(struct audit_log *l, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(l->last_error, sizeof(l->last_error), "%s: %s", l->path, why);
	if (l->failures != UINT64_MAX)
		l->failures++;
}

/* One write(2), and for a short write one more for the rest. EINTR counts
 * as the retry too; EAGAIN is a failure, as waiting would stall traffic. */
static int
write_line(struct audit_log *l, const char *p, size_t n)
{
	ssize_t w;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		w = write(l->fd, p, n);
		if (w == -1 && errno != EINTR) {
			fail(l, "write: %s", strerror(errno));
			return -1;
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
		if (n == 0) {
			l->lines++;
			return 0;
		}
	}
	fail(l, "short write: %zu bytes of a line lost", n);
	return -1;
}

/* Writes the line formatted into b (formatted is the formatter's result)
 * and releases b. */
static int
emit(struct audit_log *l, int formatted, struct buf *b)
{
	int rc = -1;

	if (formatted == -1)
		fail(l, "line longer than %d bytes not written",
		     AUDIT_LOG_LINE_MAX);
	else
		rc = write_line(l, b->p, b->len);
	buf_release(b);
	return rc;
}

int
audit_log_decision(struct audit_log *l, const struct audit_event *ev)
{
	struct buf b;

	if (l == NULL)
		return 0;
	buf_init(&b, AUDIT_LOG_LINE_MAX);
	return emit(l, audit_format_decision(ev, &b), &b);
}

int
audit_log_tunnel_close(struct audit_log *l, const struct audit_tunnel *t)
{
	struct buf b;

	if (l == NULL)
		return 0;
	buf_init(&b, AUDIT_LOG_LINE_MAX);
	return emit(l, audit_format_tunnel_close(t, &b), &b);
}

uint64_t
audit_log_failures(const struct audit_log *l)
{
	return l != NULL ? l->failures : 0;
}

const char *
audit_log_last_error(const struct audit_log *l)
{
	return l != NULL ? l->last_error : "";
}

int
audit_log_render_metrics(const struct audit_log *l, struct buf *out)
{
	return buf_printf(out,
			  "# HELP airlock_audit_log_write_failures_total Audit "
			  "log lines lost.\n"
			  "# TYPE airlock_audit_log_write_failures_total "
			  "counter\n"
			  "airlock_audit_log_write_failures_total %" PRIu64 "\n",
			  audit_log_failures(l));
}
