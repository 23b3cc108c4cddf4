/* policy_rules.c — `airlock policy check --path/--header`: request rules
 * in the dry run (see policy_rules.h). */
#include "cmd/policy_rules.h"

#include <stdio.h>
#include <string.h>

#define MAX_HEADERS 64

/* Splits "Name: value" into slices; -1 when it is not a header line. */
static int
split_header(const char *s, struct reqrule_hdr *h)
{
	const char *colon = strchr(s, ':'), *p;

	if (colon == NULL || colon == s)
		return -1;
	for (p = s; p < colon; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
		    strchr("\"(),/:;<=>?@[\\]{}", *p) != NULL)
			return -1;
	for (p = colon + 1; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return -1;
	h->name = slice_of(s, (size_t)(colon - s));
	h->value = slice_trim_ows(slice_cstr(colon + 1));
	return 0;
}

int
policy_rules_check_headers(const struct policy_rules_args *a)
{
	struct reqrule_hdr h;
	size_t i;

	if (a->nheaders > MAX_HEADERS) {
		fprintf(stderr, "airlock: policy check: at most %d --header\n",
			MAX_HEADERS);
		return -1;
	}
	for (i = 0; i < a->nheaders; i++) {
		if (split_header(a->headers[i], &h) == 0)
			continue;
		fprintf(stderr, "airlock: policy check: --header %s: expected "
				"\"Name: value\"\n",
			a->headers[i]);
		return -1;
	}
	return 0;
}

static bool
is_tunnel(enum policy_protocol p)
{
	return p == POLICY_PROTO_HTTPS_CONNECT ||
	       p == POLICY_PROTO_SOCKS5_TCP || p == POLICY_PROTO_SOCKS5_UDP ||
	       p == POLICY_PROTO_TCP;
}

/* The request inside the tunnel (or the plain request). */
static const struct reqrule *
decide_request(const struct policy *p, const struct reqpolicy *rp,
	       struct policy_request *r, const struct policy_rules_args *a,
	       struct policy_decision *d)
{
	struct reqrule_hdr h[MAX_HEADERS];
	struct reqrule_request q;
	size_t i, j;

	memset(&q, 0, sizeof(q));
	for (i = 0; i < a->nheaders && i < MAX_HEADERS; i++)
		split_header(a->headers[i], &h[i]);
	q.method = slice_cstr(r->method ? r->method : "GET");
	q.target = slice_cstr(a->path ? a->path : "/");
	q.headers = h;
	q.nheaders = i;
	/* What limited mode's git-fetch exception reads, as the proxy
	 * fills it (policy.h). */
	r->path = q.target;
	for (j = i; j-- > 0;) /* the first one wins, as in the proxy */
		if (slice_caseeq_cstr(h[j].name, "content-type"))
			r->content_type = h[j].value;
	return reqpolicy_decide_request(p, rp, r, &q, d);
}

void
policy_rules_decide(const struct policy *p, const struct reqpolicy *rp,
		    struct policy_request *r, const struct policy_rules_args *a,
		    struct policy_decision *d, const struct reqrule **rule,
		    bool *show)
{
	bool has = reqpolicy_host_has_rules(rp, r->host);

	*rule = NULL;
	*show = has || a->path_given;
	if (!is_tunnel(r->protocol)) {
		*rule = decide_request(p, rp, r, a, d);
		return;
	}
	/* The proxy creates its interception state whenever rules exist. */
	reqpolicy_decide_tunnel(p, rp, r, true, d);
	if (!(a->path_given || (has && a->path != NULL)) ||
	    r->protocol != POLICY_PROTO_HTTPS_CONNECT ||
	    d->verdict == POLICY_VERDICT_DENY)
		return;
	r->protocol = POLICY_PROTO_HTTPS;
	r->method = a->method ? a->method : "GET";
	*rule = decide_request(p, rp, r, a, d);
}

int
policy_rules_json(const struct policy_decision *d, const struct reqpolicy *rp,
		  const struct reqrule *rule, bool show, struct buf *out)
{
	if (policy_decision_json(d, out) == -1)
		return -1;
	if (!show)
		return 0;
	if (out->len == 0 || out->p[out->len - 1] != '}')
		return -1;
	out->len--; /* the closing brace; the rule fields go before it */
	if (reqpolicy_audit_json(rp, rule, out) == -1)
		return -1;
	return buf_addch(out, '}');
}
