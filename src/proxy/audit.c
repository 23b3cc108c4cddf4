/* audit.c — blocked ring, decision counters, audit-line formatting; see
 * audit.h. */
#include "proxy/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/xalloc.h"

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static const char *
or_default(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

int64_t
audit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- blocked ring ------------------------------------------------------ */

static void
blocked_release(struct audit_blocked *b)
{
	free(b->host);
	free(b->reason);
	free(b->protocol);
	free(b->method);
	free(b->client);
	free(b->source);
	free(b->decision);
	free(b->mode);
	free(b->approval);
	free(b->answered_by);
	free(b->detail);
	memset(b, 0, sizeof(*b));
}

void
audit_ring_init(struct audit_ring *r)
{
	memset(r, 0, sizeof(*r));
}

void
audit_ring_clear(struct audit_ring *r)
{
	unsigned i;

	for (i = 0; i < r->len; i++)
		blocked_release(&r->items[(r->head + i) % AUDIT_BLOCKED_MAX]);
	r->head = 0;
	r->len = 0;
}

void
audit_ring_release(struct audit_ring *r)
{
	audit_ring_clear(r);
	r->total = 0;
}

void
audit_ring_record(struct audit_ring *r, const struct audit_event *ev)
{
	struct audit_blocked *b;

	if (r->len == AUDIT_BLOCKED_MAX) {
		/* Full: the slot of the oldest becomes the newest. */
		b = &r->items[r->head];
		blocked_release(b);
		r->head = (r->head + 1) % AUDIT_BLOCKED_MAX;
	} else {
		b = &r->items[(r->head + r->len) % AUDIT_BLOCKED_MAX];
		r->len++;
	}
	b->ts_ms = ev->ts_ms != 0 ? ev->ts_ms : audit_now_ms();
	b->host = xstrdup(or_default(ev->host, ""));
	b->port = ev->port;
	b->reason = xstrdup(or_default(ev->reason, ""));
	b->protocol = xstrdup(or_default(ev->protocol, ""));
	b->method = dup_or_null(ev->method);
	b->client = dup_or_null(ev->client);
	b->source = dup_or_null(ev->source);
	b->decision = dup_or_null(ev->decision);
	b->mode = dup_or_null(ev->mode);
	b->approval = dup_or_null(ev->approval);
	b->answered_by = ev->approval ? dup_or_null(ev->answered_by) : NULL;
	b->latency_ms = ev->approval ? ev->latency_ms : 0;
	b->detail = dup_or_null(ev->detail);
	if (r->total != UINT64_MAX)
		r->total++;
}

unsigned
audit_ring_count(const struct audit_ring *r)
{
	return r->len;
}

const struct audit_blocked *
audit_ring_get(const struct audit_ring *r, unsigned i)
{
	if (i >= r->len)
		return NULL;
	return &r->items[(r->head + i) % AUDIT_BLOCKED_MAX];
}

/* Appends ,"key":"value" (or null); first omits the comma. */
static int
add_field(struct buf *out, const char *key, const char *val, int first)
{
	if (buf_printf(out, "%s\"%s\":", first ? "" : ",", key) == -1)
		return -1;
	if (val == NULL)
		return buf_addstr(out, "null");
	return buf_add_json_string(out, val, strlen(val));
}

/* ,"approval":A,"answered_by":B,"latency_ms":N */
static int
add_approval(struct buf *out, const char *approval, const char *by,
	     int64_t latency_ms)
{
	if (add_field(out, "approval", approval, 0) == -1 ||
	    add_field(out, "answered_by", by, 0) == -1)
		return -1;
	return buf_printf(out, ",\"latency_ms\":%" PRId64, latency_ms);
}

static int
render_blocked(const struct audit_blocked *b, struct buf *out)
{
	int64_t secs = b->ts_ms / 1000;

	if (buf_addch(out, '{') == -1 ||
	    add_field(out, "host", b->host, 1) == -1 ||
	    add_field(out, "reason", b->reason, 0) == -1 ||
	    add_field(out, "client", b->client, 0) == -1 ||
	    add_field(out, "method", b->method, 0) == -1 ||
	    add_field(out, "mode", b->mode, 0) == -1 ||
	    add_field(out, "protocol", b->protocol, 0) == -1 ||
	    add_field(out, "decision", or_default(b->decision, "deny"), 0) == -1)
		return -1;
	if (b->source != NULL && add_field(out, "source", b->source, 0) == -1)
		return -1;
	if (buf_printf(out,
		       ",\"port\":%u,\"timestamp\":%" PRId64
		       ",\"timestamp_ms\":%" PRId64,
		       (unsigned)b->port, secs, b->ts_ms) == -1)
		return -1;
	if (b->approval != NULL && add_approval(out, b->approval,
						b->answered_by,
						b->latency_ms) == -1)
		return -1;
	return buf_addch(out, '}');
}

int
audit_ring_render_json(const struct audit_ring *r, struct buf *out)
{
	unsigned i;

	if (buf_addstr(out, "{\"blocked\":[") == -1)
		return -1;
	for (i = 0; i < r->len; i++) {
		if (i > 0 && buf_addch(out, ',') == -1)
			return -1;
		if (render_blocked(audit_ring_get(r, i), out) == -1)
			return -1;
	}
	return buf_printf(out, "],\"total\":%" PRIu64 "}", r->total);
}

/* --- decision counters ------------------------------------------------- */

void
audit_metrics_init(struct audit_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

void
audit_metrics_release(struct audit_metrics *m)
{
	unsigned i;

	for (i = 0; i < m->nreasons; i++)
		free(m->reasons[i].reason);
	memset(m, 0, sizeof(*m));
}

/* A linear scan: the table holds at most AUDIT_REASONS_MAX short names,
 * and in practice the seven policy reasons. */
static struct audit_reason_count *
metrics_find(const struct audit_metrics *m, const char *reason)
{
	unsigned i;

	for (i = 0; i < m->nreasons; i++)
		if (strcmp(m->reasons[i].reason, reason) == 0)
			return (struct audit_reason_count *)&m->reasons[i];
	return NULL;
}

void
audit_metrics_count(struct audit_metrics *m, const char *reason)
{
	struct audit_reason_count *c;

	reason = or_default(reason, "unknown");
	c = metrics_find(m, reason);
	if (c == NULL && m->nreasons < AUDIT_REASONS_MAX) {
		c = &m->reasons[m->nreasons++];
		c->reason = xstrdup(reason);
		c->n = 0;
	}
	if (c == NULL)
		m->other++;
	else if (c->n != UINT64_MAX)
		c->n++;
}

uint64_t
audit_metrics_get(const struct audit_metrics *m, const char *reason)
{
	const struct audit_reason_count *c = metrics_find(m, reason);

	return c != NULL ? c->n : 0;
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static int
add_label_value(struct buf *out, const char *s)
{
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		if (*s == '\\')
			rc = buf_addstr(out, "\\\\");
		else if (*s == '"')
			rc = buf_addstr(out, "\\\"");
		else if (*s == '\n')
			rc = buf_addstr(out, "\\n");
		else
			rc = buf_addch(out, *s);
	}
	return rc;
}

static int
render_reason(struct buf *out, const char *reason, uint64_t n)
{
	if (buf_addstr(out, "airlock_decisions_total{reason=\"") == -1 ||
	    add_label_value(out, reason) == -1)
		return -1;
	return buf_printf(out, "\"} %" PRIu64 "\n", n);
}

int
audit_metrics_render(const struct audit_metrics *m,
		     const struct audit_ring *r, struct buf *out)
{
	unsigned i;

	if (buf_addstr(out, "# HELP airlock_decisions_total Policy decisions "
			    "by reason.\n"
			    "# TYPE airlock_decisions_total counter\n") == -1)
		return -1;
	for (i = 0; i < m->nreasons; i++)
		if (render_reason(out, m->reasons[i].reason,
				  m->reasons[i].n) == -1)
			return -1;
	if (m->other > 0 && render_reason(out, "other", m->other) == -1)
		return -1;
	if (r == NULL)
		return 0;
	return buf_printf(out,
			  "# HELP airlock_blocked_total Blocked requests "
			  "recorded.\n"
			  "# TYPE airlock_blocked_total counter\n"
			  "airlock_blocked_total %" PRIu64 "\n",
			  r->total);
}

/* --- audit-log lines --------------------------------------------------- */

void
audit_format_time(int64_t ts_ms, char *out, size_t cap)
{
	time_t secs = (time_t)(ts_ms / 1000);
	int ms = (int)(ts_ms % 1000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ms);
}

static int
add_head(struct buf *out, int64_t ts_ms, const char *event)
{
	char ts[64];

	audit_format_time(ts_ms != 0 ? ts_ms : audit_now_ms(), ts, sizeof(ts));
	return buf_printf(out, "{\"ts\":\"%s\",\"event\":\"%s\"", ts, event);
}

static int
add_addresses(struct buf *out, const struct audit_event *ev)
{
	size_t i;

	if (buf_addstr(out, ",\"addresses\":[") == -1)
		return -1;
	for (i = 0; i < ev->n_addresses; i++)
		if ((i > 0 && buf_addch(out, ',') == -1) ||
		    buf_add_json_string(out, ev->addresses[i],
					strlen(ev->addresses[i])) == -1)
			return -1;
	return buf_addch(out, ']');
}

int
audit_format_decision(const struct audit_event *ev, struct buf *out)
{
	if (add_head(out, ev->ts_ms, "decision") == -1 ||
	    add_field(out, "decision", or_default(ev->decision, "deny"), 0) ==
		    -1 ||
	    add_field(out, "reason", or_default(ev->reason, ""), 0) == -1 ||
	    add_field(out, "host", or_default(ev->host, ""), 0) == -1 ||
	    buf_printf(out, ",\"port\":%u", (unsigned)ev->port) == -1 ||
	    add_field(out, "protocol", or_default(ev->protocol, ""), 0) == -1 ||
	    add_field(out, "method", or_default(ev->method, "none"), 0) == -1 ||
	    add_field(out, "client", or_default(ev->client, "unknown"), 0) ==
		    -1 ||
	    add_field(out, "source", ev->source, 0) == -1 ||
	    add_field(out, "matched", ev->matched, 0) == -1 ||
	    add_addresses(out, ev) == -1)
		return -1;
	if (ev->detail != NULL && add_field(out, "detail", ev->detail, 0) == -1)
		return -1;
	if (ev->approval != NULL &&
	    add_approval(out, ev->approval, ev->answered_by,
			 ev->latency_ms) == -1)
		return -1;
	if (ev->rules != NULL && buf_addstr(out, ev->rules) == -1)
		return -1;
	return buf_addstr(out, "}\n");
}

int
audit_format_tunnel_close(const struct audit_tunnel *t, struct buf *out)
{
	if (add_head(out, t->ts_ms, "tunnel_close") == -1 ||
	    add_field(out, "host", or_default(t->host, ""), 0) == -1 ||
	    buf_printf(out, ",\"port\":%u", (unsigned)t->port) == -1 ||
	    add_field(out, "protocol", or_default(t->protocol, ""), 0) == -1 ||
	    add_field(out, "client", or_default(t->client, "unknown"), 0) == -1)
		return -1;
	return buf_printf(out,
			  ",\"bytes_up\":%" PRIu64 ",\"bytes_down\":%" PRIu64
			  ",\"duration_ms\":%" PRIu64 "}\n",
			  t->bytes_up, t->bytes_down, t->duration_ms);
}
