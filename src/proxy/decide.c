/* decide.c — one whole decision for the proxy: policy and request rules,
 * a person's answer when the policy says ASK, one resolution, the verdict
 * on the addresses, and the record of it (proxy_int.h). */
#include "proxy/proxy_int.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "net/ownlisten.h"
#include "policy/reqpolicy.h"
#include "proxy/approval.h"

struct proxy_decide {
	struct proxy *p;
	struct proxy_state *s;
	struct policy_decision d;
	struct policy_request r; /* kept to judge it again once approved */
	struct reqrule_request q; /* an HTTP request: the caller's */
	char *host;              /* r.host */
	char method[32];
	char client[64];
	struct resolve_req *rr;
	struct approval_wait *aw; /* a person is being asked */
	/* The outcome of asking, for the record (noted set). */
	bool noted;
	char approval[16];
	char answered_by[128];
	int64_t latency_ms;
	proxy_decide_cb *cb;
	void *arg;
};

static void
add_v4(struct resolve_result *res, const unsigned char *a, uint16_t port)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&res->addrs[res->n++];

	memset(v4, 0, sizeof(res->addrs[0]));
	v4->sin_family = AF_INET;
	v4->sin_port = htons(port);
	memcpy(&v4->sin_addr, a, 4);
}

static void
add_v6(struct resolve_result *res, const unsigned char *a, uint16_t port,
       const char *scope)
{
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&res->addrs[res->n++];

	memset(v6, 0, sizeof(res->addrs[0]));
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons(port);
	memcpy(&v6->sin6_addr, a, 16);
	if (scope != NULL)
		v6->sin6_scope_id = if_nametoindex(scope);
}

/* The addresses of an allowed literal (or `localhost`): no lookup. */
static void
literal_addrs(const struct policy_decision *d, struct resolve_result *res)
{
	static const unsigned char lo4[4] = {127, 0, 0, 1};
	const struct host *h = &d->host;
	const char *scope = NULL;

	res->n = 0;
	if (h->kind == HOST_IPV4) {
		add_v4(res, h->addr, (uint16_t)d->port);
	} else if (h->kind == HOST_IPV6) {
		if (h->unscoped_len < h->len)
			scope = h->text + h->unscoped_len + 1;
		add_v6(res, h->addr, (uint16_t)d->port, scope);
	} else {
		add_v4(res, lo4, (uint16_t)d->port);
		add_v6(res, in6addr_loopback.s6_addr, (uint16_t)d->port, NULL);
	}
}

/* Whatever the policy said, a TCP destination that is one of airlock's
 * own listeners (the app-server, an admin API, a proxy port) is refused:
 * reaching one from the sandbox is a way out of it. */
static void
refuse_own_listeners(struct policy_decision *d,
		     const struct resolve_result *addrs)
{
	size_t i;

	if (!policy_allowed(d) || d->protocol == POLICY_PROTO_SOCKS5_UDP)
		return;
	for (i = 0; i < addrs->n; i++) {
		if (!ownlisten_find(&addrs->addrs[i], (uint16_t)d->port))
			continue;
		d->verdict = POLICY_VERDICT_DENY;
		d->reason = POLICY_AIRLOCK_LISTENER;
		d->matched = NULL;
		d->mitm = false;
		return;
	}
}

/* Who a lookup is charged to (resolve.h): the client's address without
 * its port, so that every connection of one sandbox or one host shares
 * one quota of lookups in flight. */
static void
client_key(const char *client, char *out, size_t outsz)
{
	const char *colon = strrchr(client, ':');
	size_t n = strlen(client);

	if (colon != NULL && colon != client && colon[-1] != ':')
		n = (size_t)(colon - client);
	snprintf(out, outsz, "%.*s", (int)n, client);
}

static void
decide_free(struct proxy_decide *x)
{
	proxy_state_unref(x->s);
	free(x->host);
	free(x);
}

static bool
is_request(enum policy_protocol p)
{
	return p == POLICY_PROTO_HTTP || p == POLICY_PROTO_HTTPS;
}

/* The record of x's decision; a request to a host with rules carries the
 * rule fields (names only, never a secret). */
static void
record(struct proxy_decide *x)
{
	struct proxy_approval_note n = {x->approval, x->answered_by,
					x->latency_ms};
	const struct reqpolicy *rp = x->s->reqpolicy;
	struct buf rules;

	buf_init(&rules, 16 * 1024);
	if (is_request(x->d.protocol) &&
	    reqpolicy_host_has_rules(rp, x->d.host.text) &&
	    reqpolicy_audit_json(rp, x->d.rule, &rules) == -1)
		buf_reset(&rules);
	proxy_record_decision(x->p, &x->d, x->client, NULL,
			      x->noted ? &n : NULL,
			      rules.len > 0 ? rules.p : NULL);
	buf_release(&rules);
}

static void
finish(struct proxy_decide *x, const struct resolve_result *addrs,
       const char *why)
{
	if (why != NULL) {
		x->p->m.upstream_errors++;
		x->cb(x->arg, NULL, NULL, why);
	} else {
		refuse_own_listeners(&x->d, addrs);
		record(x);
		x->cb(x->arg, &x->d, policy_allowed(&x->d) ? addrs : NULL, NULL);
	}
	decide_free(x);
}

static void
on_resolved(void *arg, int status, const struct resolve_result *res,
	    const char *why)
{
	struct proxy_decide *x = arg;

	x->rr = NULL;
	if (status != 0) {
		finish(x, NULL, why);
		return;
	}
	policy_finish(x->s->policy, &x->d, res->addrs, res->n);
	finish(x, res, NULL);
}

/* Runs the policy on x->r (again, once approved), through the request
 * rules: the one decision path for every listener. A tunnel to a host
 * with rules is intercepted (the proxy can always make its interception
 * state: mitm_prepare() creates the CA on first use) or refused; a
 * request to one must match a rule. */
static void
judge(struct proxy_decide *x)
{
	const struct policy *pol = x->s->policy;
	const struct reqpolicy *rp = x->s->reqpolicy;

	switch (x->r.protocol) {
	case POLICY_PROTO_HTTPS_CONNECT:
	case POLICY_PROTO_SOCKS5_TCP:
	case POLICY_PROTO_SOCKS5_UDP:
		reqpolicy_decide_tunnel(pol, rp, &x->r, true, &x->d);
		break;
	case POLICY_PROTO_HTTP:
	case POLICY_PROTO_HTTPS:
		reqpolicy_decide_request(pol, rp, &x->r, &x->q, &x->d);
		break;
	case POLICY_PROTO_DNS:
	default:
		policy_decide(pol, &x->r, &x->d);
		break;
	}
	if (x->r.method != NULL)
		x->d.method = x->method;
}

/* After the policy (and any answer): a lookup for a host name, or the
 * end. True when x is finished (and freed). */
static bool
proceed(struct proxy_decide *x)
{
	struct resolve_result lit;
	char key[64];

	if (x->d.verdict == POLICY_VERDICT_ASK) /* no one asked: a miss */
		x->d.verdict = POLICY_VERDICT_DENY;
	if (x->d.verdict != POLICY_VERDICT_RESOLVE) {
		literal_addrs(&x->d, &lit);
		finish(x, &lit, NULL);
		return true;
	}
	client_key(x->client, key, sizeof(key));
	x->rr = resolve_start_for(x->p->loop, x->d.host.text,
				  (uint16_t)x->d.port, RESOLVE_TIMEOUT_MS, key,
				  on_resolved, x);
	return false;
}

/* Applies a person's answer (or its absence): an allow judges the
 * request again as approved; anything else leaves the miss a denial. */
static void
answered(struct proxy_decide *x, const struct approval_outcome *o)
{
	x->noted = true;
	snprintf(x->approval, sizeof(x->approval), "%s",
		 approval_answer_str(o->answer));
	snprintf(x->answered_by, sizeof(x->answered_by), "%s",
		 o->answered_by ? o->answered_by : "");
	x->latency_ms = (int64_t)o->latency_ms;
	if (approval_answer_allows(o->answer)) {
		x->r.approved = true;
		judge(x);
	} else {
		x->d.verdict = POLICY_VERDICT_DENY;
	}
}

static void
on_answer(void *arg, const struct approval_outcome *o)
{
	struct proxy_decide *x = arg;

	x->aw = NULL;
	answered(x, o);
	proceed(x);
}

/* Puts an ASK to the broker. True while a person is being asked; false
 * when it was settled at once (remembered, or no one to ask), x->d then
 * holds the outcome. Without a broker the miss stays a plain denial. */
static bool
ask(struct proxy_decide *x)
{
	struct approval_request rq = {0};
	struct approval_outcome o;
	struct proxy *p = x->p;
	struct buf msg;
	bool waiting;

	if (p->approvals == NULL)
		return false;
	buf_init(&msg, 1024);
	policy_denied_message("not_allowed", x->d.host.text, &msg);
	rq.protocol = policy_protocol_str(x->d.protocol);
	rq.host = x->d.host.text;
	rq.port = x->d.port;
	rq.method = x->d.method;
	rq.reason = policy_reason_str(x->d.reason);
	rq.message = msg.p;
	rq.command = p->approval_command;
	rq.process_id = p->approval_process_id;
	rq.who = p->whois;
	rq.who_arg = p->whois_arg;
	rq.client = x->client;
	rq.timeout_ms = x->s->approval_timeout_ms;
	waiting = approval_ask(p->approvals, &rq, on_answer, x, &x->aw,
			       &o) == 0;
	buf_release(&msg);
	if (waiting)
		proxy_record(p, &x->d, x->client, NULL); /* decision "ask" */
	else
		answered(x, &o);
	return waiting;
}

struct proxy_decide *
proxy_decide_start(struct proxy *p, struct proxy_state *s,
		   const struct policy_request *r, const char *client,
		   proxy_decide_cb *cb, void *arg)
{
	return proxy_decide_request(p, s, r, NULL, client, cb, arg);
}

struct proxy_decide *
proxy_decide_request(struct proxy *p, struct proxy_state *s,
		     const struct policy_request *r,
		     const struct reqrule_request *q, const char *client,
		     proxy_decide_cb *cb, void *arg)
{
	struct proxy_decide *x = xcalloc(1, sizeof(*x));

	x->p = p;
	x->s = s;
	s->refs++;
	x->cb = cb;
	x->arg = arg;
	snprintf(x->client, sizeof(x->client), "%s", client ? client : "unknown");
	x->r = *r;
	if (q != NULL)
		x->q = *q; /* without one, no rule matches: a host with rules
			    * refuses the request */
	x->host = xstrdup(r->host ? r->host : "");
	x->r.host = x->host;
	if (r->method != NULL) {
		snprintf(x->method, sizeof(x->method), "%s", r->method);
		x->r.method = x->method;
	}
	judge(x);
	if (x->d.verdict == POLICY_VERDICT_ASK && ask(x))
		return x;
	return proceed(x) ? NULL : x;
}

uint64_t
proxy_decide_wait_ms(const struct proxy_decide *x)
{
	return x != NULL && x->aw != NULL ? x->s->approval_timeout_ms : 0;
}

void
proxy_decide_cancel(struct proxy_decide *x)
{
	if (x == NULL)
		return;
	if (x->rr != NULL)
		resolve_cancel(x->rr);
	approval_wait_cancel(x->aw);
	decide_free(x);
}
