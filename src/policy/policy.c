/* policy.c — see policy.h. */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "policy/ipclass.h"
#include "policy/pattern.h"

struct policy {
	struct pattern_set *allow;
	struct pattern_set *deny;
	enum policy_mode mode;
	bool allow_local_binding;
	bool mitm;
};

struct policy *
policy_new(const struct policy_options *o, struct errbuf *err)
{
	const struct preset_entry *pe;
	struct pattern_src *src;
	struct policy *p = NULL;
	struct pattern_set *allow = NULL, *deny = NULL;
	char *preset_origin = NULL;
	unsigned flags = o->allow_global ? PATTERN_ALLOW_GLOBAL : 0;
	size_t npre = 0, i;

	pe = preset_entries(o->preset, &npre);
	if (o->preset == PRESET_ALL)
		flags |= PATTERN_ALLOW_GLOBAL;
	preset_origin = xasprintf("preset %s", preset_name(o->preset));
	src = xcalloc(o->n_allow + npre + 1, sizeof(*src));
	for (i = 0; i < o->n_allow; i++) {
		src[i].pattern = o->allow[i].pattern;
		src[i].origin = o->allow[i].origin;
	}
	for (i = 0; i < npre; i++) {
		src[o->n_allow + i].pattern = pe[i].pattern;
		src[o->n_allow + i].origin = preset_origin;
	}
	allow = pattern_set_new(src, o->n_allow + npre, flags, err);
	free(src);
	src = xcalloc(o->n_deny + 1, sizeof(*src));
	for (i = 0; i < o->n_deny; i++) {
		src[i].pattern = o->deny[i].pattern;
		src[i].origin = o->deny[i].origin;
	}
	deny = pattern_set_new(src, o->n_deny, 0, err);
	free(src);
	if (allow == NULL || deny == NULL)
		goto out;
	p = xcalloc(1, sizeof(*p));
	p->allow = allow;
	p->deny = deny;
	p->mode = o->mode;
	p->allow_local_binding = o->allow_local_binding;
	p->mitm = o->mitm;
	allow = deny = NULL;
out:
	pattern_set_free(allow);
	pattern_set_free(deny);
	free(preset_origin);
	return p;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	pattern_set_free(p->allow);
	pattern_set_free(p->deny);
	free(p);
}

static void
verdict(struct policy_decision *d, enum policy_verdict v,
	enum policy_reason r, enum policy_source s, const char *matched)
{
	d->verdict = v;
	d->reason = r;
	d->source = s;
	d->matched = matched;
}

static void
deny(struct policy_decision *d, enum policy_reason r, const char *matched)
{
	verdict(d, POLICY_VERDICT_DENY, r, POLICY_SRC_BASELINE, matched);
}

static bool
is_safe_method(const char *m)
{
	return m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
			     strcmp(m, "OPTIONS") == 0);
}

/* Step 4: the limited-mode guard. True when it denied; a tunnel to 443
 * that interception can police passes with d->mitm set. A method a
 * matching request rule allows passes too. */
static bool
mode_guard(const struct policy *p, bool rule_ok, struct policy_decision *d)
{
	enum policy_reason r;

	switch (d->protocol) {
	case POLICY_PROTO_HTTP:
	case POLICY_PROTO_HTTPS:
		if (is_safe_method(d->method) || rule_ok)
			return false;
		r = POLICY_METHOD_NOT_ALLOWED;
		break;
	case POLICY_PROTO_HTTPS_CONNECT:
	case POLICY_PROTO_SOCKS5_TCP:
		if (d->port == 443 && p->mitm) {
			d->mitm = true;
			return false;
		}
		r = d->port == 443 || d->protocol == POLICY_PROTO_HTTPS_CONNECT
			    ? POLICY_MITM_REQUIRED
			    : POLICY_METHOD_NOT_ALLOWED;
		break;
	case POLICY_PROTO_SOCKS5_UDP:
	default:
		r = POLICY_METHOD_NOT_ALLOWED;
		break;
	}
	verdict(d, POLICY_VERDICT_DENY, r, POLICY_SRC_MODE_GUARD, d->matched);
	return true;
}

static void
bad_host(struct policy_decision *d, const char *s)
{
	size_t n = s ? strnlen(s, HOST_TEXT_MAX - 1) : 0;

	memcpy(d->host.text, s ? s : "", n);
	d->host.text[n] = '\0';
	d->host.len = d->host.unscoped_len = n;
	d->host.kind = HOST_NAME;
	deny(d, POLICY_NOT_ALLOWED, NULL);
}

/* Step 5 for IP literals and `localhost`; host names wait for DNS. */
static void
destination(const struct policy *p, const struct pattern_match *am,
	    struct policy_decision *d)
{
	const struct host *h = &d->host;
	bool explicit = am->kind == PATTERN_EXACT || am->kind == PATTERN_CIDR;
	bool local;
	struct ipaddr ip;

	if (h->kind == HOST_NAME && !host_is_localhost(h)) {
		verdict(d, POLICY_VERDICT_RESOLVE, POLICY_ALLOW,
			POLICY_SRC_BASELINE, am->text);
		return;
	}
	if (h->kind == HOST_NAME) {
		local = true;
	} else {
		memset(&ip, 0, sizeof(ip));
		ip.family = h->kind == HOST_IPV4 ? AF_INET : AF_INET6;
		memcpy(ip.a, h->addr, 16);
		local = ipclass_nonpublic(&ip);
	}
	if (local && !p->allow_local_binding && !explicit)
		deny(d, POLICY_NOT_ALLOWED_LOCAL, am->text);
	else
		verdict(d, POLICY_VERDICT_ALLOW, POLICY_ALLOW,
			POLICY_SRC_BASELINE, am->text);
}

void
policy_decide(const struct policy *p, const struct policy_request *r,
	      struct policy_decision *d)
{
	struct pattern_probe probe;
	struct pattern_match m;
	const char *why = NULL;
	const char *hs = r->host ? r->host : "";

	d->port = r->port;
	d->protocol = r->protocol;
	d->method = r->method;
	d->matched = NULL;
	d->mitm = false;
	if (host_normalize(hs, strlen(hs), 0, &d->host, &why) == -1) {
		bad_host(d, hs);
		return;
	}
	if (d->host.port != -1)
		d->port = d->host.port;
	if (d->host.len == 0) {
		deny(d, POLICY_NOT_ALLOWED, NULL);
		return;
	}
	pattern_probe_init(&probe, &d->host);
	pattern_set_prefetch(p->deny, &probe);
	pattern_set_prefetch(p->allow, &probe);
	if (pattern_set_match(p->deny, &probe, d->port > 0 ? d->port : -1,
			      &m)) {
		deny(d, POLICY_DENIED, m.text);
		return;
	}
	if (!pattern_set_match(p->allow, &probe, d->port > 0 ? d->port : -1,
			       &m)) {
		deny(d, POLICY_NOT_ALLOWED, NULL);
		return;
	}
	d->matched = m.text;
	if (p->mode == POLICY_MODE_LIMITED &&
	    mode_guard(p, r->rule_method_ok, d))
		return;
	destination(p, &m, d);
}

void
policy_finish(const struct policy *p, struct policy_decision *d,
	      const struct sockaddr_storage *addrs, size_t n)
{
	struct pattern_match m;
	struct ipaddr ip;
	int port = d->port > 0 ? d->port : -1;
	size_t i;

	if (d->verdict != POLICY_VERDICT_RESOLVE)
		return;
	if (n == 0) {
		deny(d, POLICY_NOT_ALLOWED_LOCAL, d->matched);
		return;
	}
	for (i = 0; i < n; i++) {
		if (ipaddr_from_sockaddr((const struct sockaddr *)&addrs[i],
					 &ip) == -1) {
			deny(d, POLICY_NOT_ALLOWED_LOCAL, d->matched);
			return;
		}
		if (pattern_set_match_addr(p->deny, &ip, port, &m)) {
			deny(d, POLICY_DENIED, m.text);
			return;
		}
	}
	for (i = 0; i < n && !p->allow_local_binding; i++) {
		ipaddr_from_sockaddr((const struct sockaddr *)&addrs[i], &ip);
		if (ipclass_nonpublic(&ip) &&
		    !pattern_set_match_addr(p->allow, &ip, port, &m)) {
			deny(d, POLICY_NOT_ALLOWED_LOCAL, d->matched);
			return;
		}
	}
	verdict(d, POLICY_VERDICT_ALLOW, POLICY_ALLOW, POLICY_SRC_BASELINE,
		d->matched);
}

bool
policy_allowed(const struct policy_decision *d)
{
	return d->verdict == POLICY_VERDICT_ALLOW;
}

const char *
policy_reason_str(enum policy_reason r)
{
	switch (r) {
	case POLICY_ALLOW:
		return "allow";
	case POLICY_DENIED:
		return "denied";
	case POLICY_NOT_ALLOWED:
		return "not_allowed";
	case POLICY_NOT_ALLOWED_LOCAL:
		return "not_allowed_local";
	case POLICY_METHOD_NOT_ALLOWED:
		return "method_not_allowed";
	case POLICY_MITM_REQUIRED:
		return "mitm_required";
	case POLICY_AIRLOCK_LISTENER:
		return "airlock_listener";
	case POLICY_REQUEST_RULE_NOT_MATCHED:
		return "request_rule_not_matched";
	}
	return "not_allowed";
}

static const char *const protocol_names[] = {
	"http", "https_connect", "socks5_tcp", "socks5_udp", "https"};

const char *
policy_protocol_str(enum policy_protocol p)
{
	if ((unsigned)p < sizeof(protocol_names) / sizeof(protocol_names[0]))
		return protocol_names[p];
	return "http";
}

int
policy_protocol_parse(const char *s, enum policy_protocol *out)
{
	unsigned i;

	for (i = 0; i < sizeof(protocol_names) / sizeof(protocol_names[0]);
	     i++) {
		if (strcmp(s, protocol_names[i]) == 0) {
			*out = (enum policy_protocol)i;
			return 0;
		}
	}
	return -1;
}

const char *
policy_source_str(enum policy_source s)
{
	switch (s) {
	case POLICY_SRC_MODE_GUARD:
		return "mode_guard";
	case POLICY_SRC_REQUEST_RULE:
		return "request_rule";
	case POLICY_SRC_BASELINE:
		break;
	}
	return "baseline_policy";
}

static int
json_str_or_null(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_addstr(b, "null");
	return buf_add_json_string(b, s, strlen(s));
}

int
policy_decision_json(const struct policy_decision *d, struct buf *b)
{
	const char *dec = d->verdict == POLICY_VERDICT_DENY ? "deny" : "allow";

	if (buf_printf(b, "{\"decision\":\"%s\",\"reason\":\"%s\",\"host\":",
		       dec, policy_reason_str(d->reason)) == -1 ||
	    buf_add_json_string(b, d->host.text, d->host.len) == -1 ||
	    buf_printf(b, ",\"port\":%d,\"protocol\":\"%s\",\"method\":",
		       d->port, policy_protocol_str(d->protocol)) == -1 ||
	    json_str_or_null(b, d->method) == -1 ||
	    buf_printf(b, ",\"source\":\"%s\",\"matched\":",
		       policy_source_str(d->source)) == -1 ||
	    json_str_or_null(b, d->matched) == -1 || buf_addch(b, '}') == -1)
		return -1;
	return 0;
}
