/* audit_log.h — the JSONL audit log (`permissions.network.audit_log`).
 *
 * One line per decision (allow and deny) and one per closed tunnel, in the
 * shapes of audit_format_decision() / audit_format_tunnel_close() (see
 * audit.h). Each line is handed to one write(2) on an O_APPEND descriptor,
 * so a concurrent reader (tail -f, a log shipper) never sees half a line
 * unless the kernel itself splits the write; a short write is retried once
 * for the remainder and then counted as a failure. Known shortcut: when that
 * retry fails too, the file keeps the partial line and the next line starts
 * right after it; readers must skip lines that do not parse (disk-full is
 * the only realistic cause, and writing anything more would not help).
 *
 * The log never stops traffic: a failed write (disk full, EIO, a file that
 * went away) increments the failure counter and remembers the error text;
 * the proxy logs that once and exposes the counter in /metrics. A line
 * longer than AUDIT_LOG_LINE_MAX is not written and counts as a failure.
 *
 * The file is opened O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NOFOLLOW|
 * O_NONBLOCK with mode 0600: a symlink at the path is refused (so a
 * sandboxed process cannot redirect the log), and a FIFO without a reader
 * fails to open instead of blocking the loop. An existing file keeps its
 * mode. audit_log_reopen() (SIGHUP, after log rotation) opens the path
 * anew and swaps descriptors only when that succeeded. */
#ifndef AIRLOCK_AUDIT_LOG_H
#define AIRLOCK_AUDIT_LOG_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "proxy/audit.h"

#define AUDIT_LOG_LINE_MAX (64 * 1024)

struct audit_log {
	int fd;
	char *path;
	uint64_t lines;		/* lines written whole */
	uint64_t failures;	/* lines lost */
	char last_error[256];	/* "" until the first failure */
};

/* Opens path for appending; NULL with `path: problem` in err on failure. */
struct audit_log *audit_log_open(const char *path, struct errbuf *err);
/* Reopens the same path; on failure the old descriptor stays in use and
 * -1 is returned with the reason in err. */
int audit_log_reopen(struct audit_log *l, struct errbuf *err);
/* Closes and frees; NULL is accepted. */
void audit_log_free(struct audit_log *l);

/* Write one line each. 0 when the line was written whole, -1 when it was
 * counted as a failure. A NULL log is accepted and ignored (returns 0), so
 * callers need not test whether auditing is on. */
int audit_log_decision(struct audit_log *l, const struct audit_event *ev);
int audit_log_tunnel_close(struct audit_log *l, const struct audit_tunnel *t);

uint64_t audit_log_failures(const struct audit_log *l);
/* The last failure as `path: problem`, or "" when there was none. */
const char *audit_log_last_error(const struct audit_log *l);
/* Appends the Prometheus lines for airlock_audit_log_write_failures_total
 * (0 for a NULL log); -1 if out is full. */
int audit_log_render_metrics(const struct audit_log *l, struct buf *out);

#endif
