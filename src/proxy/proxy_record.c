/* proxy_record.c — recording decisions and tunnels (proxy_int.h): the
 * audit log, the metrics, the blocked ring and its observer. */
#include "proxy/proxy_int.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"

static void
report_log_failures(struct proxy *p)
{
	uint64_t f = audit_log_failures(p->log);

	if (f > p->m.log_failures_seen) {
		log_error("audit log: %llu line(s) lost: %s",
			  (unsigned long long)(f - p->m.log_failures_seen),
			  audit_log_last_error(p->log));
		p->m.log_failures_seen = f;
	}
}

void
proxy_record_event(struct proxy *p, const struct audit_event *ev)
{
	bool ask = ev->decision != NULL && strcmp(ev->decision, "ask") == 0;
	bool denied = !ask && (ev->decision == NULL ||
			       strcmp(ev->decision, "allow") != 0);

	/* An ask is no decision yet: its answer is counted and, when it
	 * denies, remembered as a block. */
	if (!ask)
		audit_metrics_count(&p->decisions, ev->reason);
	if (denied)
		audit_ring_record(&p->ring, ev);
	if (denied && p->on_blocked != NULL)
		p->on_blocked(p->on_blocked_arg, ev);
	if (!ask && p->on_decision != NULL)
		p->on_decision(p->on_decision_arg, ev);
	if (p->log != NULL) {
		audit_log_decision(p->log, ev);
		report_log_failures(p);
	}
}

void
proxy_observe_blocked(struct proxy *p, proxy_blocked_fn *fn, void *arg)
{
	p->on_blocked = fn;
	p->on_blocked_arg = arg;
}

void
proxy_observe_decisions(struct proxy *p, proxy_blocked_fn *fn, void *arg)
{
	p->on_decision = fn;
	p->on_decision_arg = arg;
}

void
proxy_record(struct proxy *p, const struct policy_decision *d,
	     const char *client, const char *mode)
{
	proxy_record_noted(p, d, client, mode, NULL);
}

void
proxy_record_noted(struct proxy *p, const struct policy_decision *d,
		   const char *client, const char *mode,
		   const struct proxy_approval_note *n)
{
	proxy_record_decision(p, d, client, mode, n, NULL);
}

void
proxy_record_decision(struct proxy *p, const struct policy_decision *d,
		      const char *client, const char *mode,
		      const struct proxy_approval_note *n, const char *rules)
{
	char text[POLICY_ADDRS_MAX][POLICY_ADDR_TEXT];
	const char *addrs[POLICY_ADDRS_MAX];
	struct audit_event ev = {0};
	bool allowed = policy_allowed(d) || d->verdict == POLICY_VERDICT_RESOLVE;
	struct buf detail;
	size_t i;

	for (i = 0; i < d->n_addrs && i < POLICY_ADDRS_MAX; i++) {
		ipaddr_format(&d->addrs[i], text[i], sizeof(text[i]));
		addrs[i] = text[i];
	}
	ev.addresses = addrs;
	ev.n_addresses = i;
	buf_init(&detail, 4096);
	policy_local_detail(d, &detail);
	ev.detail = detail.len > 0 ? detail.p : NULL;
	ev.decision = d->verdict == POLICY_VERDICT_ASK ? "ask"
		      : allowed			 ? "allow"
							 : "deny";
	if (n != NULL) {
		ev.approval = n->approval;
		ev.answered_by = n->answered_by;
		ev.latency_ms = n->latency_ms;
	}
	ev.reason = policy_reason_str(d->reason);
	ev.host = d->host.text;
	ev.port = (uint16_t)d->port;
	ev.protocol = policy_protocol_str(d->protocol);
	ev.method = d->method;
	ev.client = client;
	ev.source = policy_source_str(d->source);
	ev.matched = d->matched;
	ev.mode = mode;
	ev.rules = rules;
	proxy_record_event(p, &ev);
	buf_release(&detail);
}

void
proxy_record_disabled(struct proxy *p, const char *host, uint16_t port,
		      const char *protocol, const char *method,
		      const char *client)
{
	struct audit_event ev = {0};

	ev.decision = "deny";
	ev.reason = "proxy_disabled";
	ev.host = host;
	ev.port = port;
	ev.protocol = protocol;
	ev.method = method;
	ev.client = client;
	ev.source = "proxy_state";
	proxy_record_event(p, &ev);
}

void
proxy_record_tunnel(struct proxy *p, const char *host, uint16_t port,
		    const char *protocol, const char *client, uint64_t up,
		    uint64_t down, uint64_t duration_ms)
{
	struct audit_tunnel t = {0};

	p->m.bytes_up += up;
	p->m.bytes_down += down;
	if (p->log == NULL)
		return;
	t.host = host;
	t.port = port;
	t.protocol = protocol;
	t.client = client;
	t.bytes_up = up;
	t.bytes_down = down;
	t.duration_ms = duration_ms;
	audit_log_tunnel_close(p->log, &t);
	report_log_failures(p);
}

void
proxy_record_raw_refusal(struct proxy *p, const struct proxy_state *s,
			 const char *host, uint16_t port, bool tls,
			 const char *client)
{
	struct policy_request r = {0};
	struct policy_decision d;

	r.host = host;
	r.port = port;
	r.protocol = POLICY_PROTO_TCP;
	policy_decide(s->policy, &r, &d);
	if (d.verdict != POLICY_VERDICT_DENY) {
		/* The destination would do; what the client sent would not. */
		d.verdict = POLICY_VERDICT_DENY;
		d.reason = POLICY_METHOD_NOT_ALLOWED;
		d.source = POLICY_SRC_MODE_GUARD;
		d.mitm = false;
	}
	if (tls && d.reason == POLICY_METHOD_NOT_ALLOWED)
		d.reason = POLICY_MITM_REQUIRED;
	proxy_record(p, &d, client, NULL);
}

void
proxy_note_refusal(struct proxy *p, const char *host, uint16_t port,
		   const char *protocol, const char *reason,
		   const char *client)
{
	struct audit_event ev = {0};

	ev.decision = "deny";
	ev.reason = reason;
	ev.host = host;
	ev.port = port;
	ev.protocol = protocol;
	ev.client = client;
	ev.source = "baseline_policy";
	proxy_record_event(p, &ev);
}
