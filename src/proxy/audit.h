/* audit.h — what the proxy remembers about its decisions: the ring of the
 * last AUDIT_BLOCKED_MAX blocked requests (admin `GET /blocked`), the
 * per-reason decision counters (admin `GET /metrics`), and the JSON lines
 * of the audit log (written by audit_log.h).
 *
 * Nothing here does I/O. All functions run on the proxy's one loop thread;
 * there is no locking.
 *
 * Events are described by struct audit_event, whose strings are borrowed
 * for the duration of the call only: the ring and the counters copy what
 * they keep. A NULL method renders as JSON null in /blocked and as "none"
 * in the audit log; a NULL client as null / "unknown" (reference §13).
 *
 * `/blocked` JSON (reference §12, §13.1, field order as the reference
 * serializes it, with two **[ours]** additions, `timestamp_ms` per entry
 * and the running `total`):
 *
 *   {"blocked":[{"host":"example.com","reason":"not_allowed",
 *     "client":"127.0.0.1:50000"|null,"method":"GET"|null,
 *     "mode":"limited"|null,"protocol":"http","decision":"deny",
 *     "source":"baseline_policy","port":80,"timestamp":1735689600,
 *     "timestamp_ms":1735689600123}, ...],"total":205}
 *
 * Entries are oldest first. `source` is omitted when the event had none,
 * as the reference does; `decision` defaults to "deny". An entry for a
 * request a person was asked about (or could not be) ends with
 * `"approval":"deny","answered_by":"...","latency_ms":N` [ours]. */
#ifndef AIRLOCK_AUDIT_H
#define AIRLOCK_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define AUDIT_BLOCKED_MAX 200
/* Distinct reasons counted by name; further ones are counted as "other"
 * so a misbehaving decider cannot grow the table without bound. */
#define AUDIT_REASONS_MAX 32

struct audit_event {
	int64_t ts_ms;		/* unix ms; 0 means "now" where it is recorded */
	const char *decision;	/* "allow" | "deny" | "ask"; NULL = "deny" */
	const char *reason;	/* "allow" for allows, else a policy reason */
	const char *host;	/* normalized host */
	uint16_t port;
	const char *protocol;	/* "http", "https_connect", "socks5_tcp", ... */
	const char *method;	/* HTTP method, NULL when none */
	const char *client;	/* "ip:port", NULL when unknown */
	const char *source;	/* "baseline_policy", "mode_guard", ... or NULL */
	const char *matched;	/* the pattern that decided, or NULL */
	const char *mode;	/* "full" | "limited" for mode blocks, or NULL */
	/* When a person was (or could not be) asked (proxy/approval.h): the
	 * answer ("allow_once"... "timeout", "not_asked"), who gave it, and
	 * how long the request waited. approval NULL: none of the three. */
	const char *approval;
	const char *answered_by;
	int64_t latency_ms;
	/* The addresses the host resolved to (or an IP literal's own);
	 * none when nothing was resolved. */
	const char *const *addresses;
	size_t n_addresses;
	/* not_allowed_local: which address was local and how to allow it
	 * (policy_local_detail()); NULL otherwise. */
	const char *detail;
	/* A request to a host with request rules: the rule fields
	 * (reqpolicy_audit_json(), a JSON fragment starting with a comma,
	 * never a secret), appended to the audit line as they are; NULL
	 * otherwise. */
	const char *rules;
};

/* A tunnel (CONNECT, SOCKS5 TCP) that has just closed. */
struct audit_tunnel {
	int64_t ts_ms;		/* 0 means "now" */
	const char *host;
	uint16_t port;
	const char *protocol;
	const char *client;	/* NULL when unknown */
	uint64_t bytes_up;	/* client → target */
	uint64_t bytes_down;	/* target → client */
	uint64_t duration_ms;
};

/* One remembered block; all strings owned by the ring (NULL allowed where
 * struct audit_event allows it). */
struct audit_blocked {
	int64_t ts_ms;
	char *host;
	uint16_t port;
	char *reason;
	char *protocol;
	char *method;
	char *client;
	char *source;
	char *decision;
	char *mode;
	char *approval;		/* NULL when no one was asked */
	char *answered_by;
	int64_t latency_ms;
	char *detail; /* for the run's summary; not in the JSON below */
};

struct audit_ring {
	struct audit_blocked items[AUDIT_BLOCKED_MAX];
	unsigned head;		/* index of the oldest entry */
	unsigned len;
	uint64_t total;		/* every block ever recorded, saturating */
};

void audit_ring_init(struct audit_ring *r);
void audit_ring_release(struct audit_ring *r);
/* Copies ev in, evicting the oldest entry once AUDIT_BLOCKED_MAX are held,
 * and adds one to the total. */
void audit_ring_record(struct audit_ring *r, const struct audit_event *ev);
unsigned audit_ring_count(const struct audit_ring *r);
/* The i-th entry, oldest first (i < count). Reading does not consume. */
const struct audit_blocked *audit_ring_get(const struct audit_ring *r,
					   unsigned i);
/* Empties the ring; the total is kept (the reference's drain). */
void audit_ring_clear(struct audit_ring *r);
/* Appends the `/blocked` document above to out; -1 if out's cap is hit. */
int audit_ring_render_json(const struct audit_ring *r, struct buf *out);

struct audit_reason_count {
	char *reason;
	uint64_t n;
};

struct audit_metrics {
	struct audit_reason_count reasons[AUDIT_REASONS_MAX];
	unsigned nreasons;
	uint64_t other;		/* decisions past the AUDIT_REASONS_MAX-th reason */
};

void audit_metrics_init(struct audit_metrics *m);
void audit_metrics_release(struct audit_metrics *m);
/* Counts one decision under its reason ("allow" for allows). */
void audit_metrics_count(struct audit_metrics *m, const char *reason);
/* The count for one reason (0 when never seen). */
uint64_t audit_metrics_get(const struct audit_metrics *m, const char *reason);
/* Appends Prometheus text exposition lines to out, e.g.
 *   # HELP airlock_decisions_total Policy decisions by reason.
 *   # TYPE airlock_decisions_total counter
 *   airlock_decisions_total{reason="denied"} 3
 * and, when r is not NULL, airlock_blocked_total. -1 if out is full. */
int audit_metrics_render(const struct audit_metrics *m,
			 const struct audit_ring *r, struct buf *out);

/* The audit-log lines (JSON object + "\n"). ts_ms 0 is replaced by now.
 *   {"ts":"2026-01-01T00:00:00.123Z","event":"decision","decision":"deny",
 *    "reason":"denied","host":"h","port":443,"protocol":"http",
 *    "method":"GET"|"none","client":"ip:port"|"unknown",
 *    "source":"baseline_policy"|null,"matched":"pattern"|null}
 *   (followed by "approval", "answered_by" and "latency_ms" when the
 *   event has an approval; decision "ask" when a person is being asked)
 *    "source":"baseline_policy"|null,"matched":"pattern"|null,
 *    "addresses":["10.1.2.3",...]}
 *   (addresses [] when nothing was resolved; not_allowed_local adds
 *   "detail":"registry.example resolved to 10.1.2.3, a private address:
 *   allow it with --allow 10.1.2.3" at the end; a request to a host
 *   with request rules ends with "request_rule":NAME|null,
 *   "request_actions":[...],"request_headers_stripped":[...],
 *   "request_headers_injected":{"authorization":"[injected]"})
 *   {"ts":"...","event":"tunnel_close","host":"h","port":443,
 *    "protocol":"https_connect","client":"...","bytes_up":N,
 *    "bytes_down":N,"duration_ms":N}
 * -1 if out's cap is hit. */
int audit_format_decision(const struct audit_event *ev, struct buf *out);
int audit_format_tunnel_close(const struct audit_tunnel *t, struct buf *out);
/* RFC 3339 UTC with milliseconds into out (at least 25 bytes). */
void audit_format_time(int64_t ts_ms, char *out, size_t cap);
/* Current wall-clock time in unix milliseconds. */
int64_t audit_now_ms(void);

#endif
