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
	bool ask;
	bool git_fetch;
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
	p->ask = o->ask;
	p->git_fetch = o->git_fetch;
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

#define GIT_UPLOAD_PACK "/git-upload-pack"
#define GIT_UPLOAD_PACK_TYPE "application/x-git-upload-pack-request"

/* The POST of a git smart-HTTP fetch (policy.h): git sends exactly this
 * method, this Content-Type without parameters, and a path without a
 * query. Anything looser would let other POSTs dress up as one. */
static bool
is_git_fetch(const struct policy_request *r)
{
	size_t n = strlen(GIT_UPLOAD_PACK);
	struct slice tail;

	if (r->method == NULL || strcmp(r->method, "POST") != 0 ||
	    r->path.n < n || r->path.p[0] != '/' ||
	    memchr(r->path.p, '?', r->path.n) != NULL)
		return false;
	tail = slice_of(r->path.p + r->path.n - n, n);
	return slice_eq_cstr(tail, GIT_UPLOAD_PACK) &&
	       slice_caseeq_cstr(slice_trim_ows(r->content_type),
				 GIT_UPLOAD_PACK_TYPE);
}

/* What limited mode lets through: a request that can only read — a safe
 * method and no body. A body on GET, HEAD or OPTIONS is legal HTTP and
 * carries data out just as well as a POST. The one exception is the POST
 * of a git fetch, when the options allow it: its body names the objects
 * wanted, and without it no repository can be cloned over HTTPS. */
static bool
limited_request_ok(const struct policy *p, const struct policy_request *r,
		   const struct policy_decision *d)
{
	if (r->rule_method_ok)
		return true; /* a request rule (policy/reqpolicy.h) allows it */
	if (is_safe_method(d->method) && !d->has_body)
		return true;
	return p->git_fetch && is_git_fetch(r);
}

/* Step 4: the limited-mode guard. True when it denied; a tunnel to 443
 * that interception can police passes with d->mitm set. A method a
 * matching request rule allows passes too. */
static bool
mode_guard(const struct policy *p, const struct policy_request *req,
	   struct policy_decision *d)
{
	enum policy_reason r;

	switch (d->protocol) {
	case POLICY_PROTO_HTTP:
	case POLICY_PROTO_HTTPS:
		if (limited_request_ok(p, req, d))
			return false;
		r = POLICY_METHOD_NOT_ALLOWED;
		break;
	case POLICY_PROTO_HTTPS_CONNECT:
	case POLICY_PROTO_SOCKS5_TCP:
	case POLICY_PROTO_TCP:
		if (d->port == 443 && p->mitm) {
			d->mitm = true;
			return false;
		}
		r = d->port == 443 || d->protocol == POLICY_PROTO_HTTPS_CONNECT
			    ? POLICY_MITM_REQUIRED
			    : POLICY_METHOD_NOT_ALLOWED;
		break;
	case POLICY_PROTO_SOCKS5_UDP:
	case POLICY_PROTO_DNS: /* policy_resolvable(): never reaches here */
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

/* The IP and CIDR entries of the deny list against ip and against every
 * IPv4 address ip embeds (NAT64, 6to4, Teredo, ...): a gateway that
 * translates `64:ff9b::9.9.9.9` reaches 9.9.9.9, so an entry for
 * 9.9.9.9 must stop it. The allow list gets no such widening: an
 * IPv4 allow entry does not allow its IPv6 spellings (they may take
 * another path), which errs on the side of refusing. */
static bool
deny_addr(const struct policy *p, const struct ipaddr *ip, int port,
	  struct pattern_match *m)
{
	uint32_t v4[IPCLASS_EMBEDDED_MAX];
	struct ipaddr e;
	size_t i, n;

	if (pattern_set_match_addr(p->deny, ip, port, m))
		return true;
	n = ipclass_embedded_v4(ip, v4, IPCLASS_EMBEDDED_MAX);
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.family = AF_INET;
		e.a[0] = (unsigned char)(v4[i] >> 24);
		e.a[1] = (unsigned char)(v4[i] >> 16);
		e.a[2] = (unsigned char)(v4[i] >> 8);
		e.a[3] = (unsigned char)v4[i];
		if (pattern_set_match_addr(p->deny, &e, port, m))
			return true;
	}
	return false;
}

/* The literal's own address, for deny_addr. */
static bool
deny_literal(const struct policy *p, const struct host *h, int port,
	     struct pattern_match *m)
{
	struct ipaddr ip;

	if (h->kind != HOST_IPV6)
		return false;
	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET6;
	memcpy(ip.a, h->addr, 16);
	return deny_addr(p, &ip, port, m);
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
		d->addrs[0] = ip;
		d->n_addrs = 1;
	}
	if (local && !p->allow_local_binding && !explicit) {
		d->local = d->n_addrs > 0 ? 1u : 0u;
		deny(d, POLICY_NOT_ALLOWED_LOCAL, am->text);
	} else
		verdict(d, POLICY_VERDICT_ALLOW, POLICY_ALLOW,
			POLICY_SRC_BASELINE, am->text);
}

void
policy_resolvable(const struct policy *p, const char *name,
		  struct policy_decision *d)
{
	struct pattern_probe probe;
	struct pattern_match m;
	const char *why = NULL;
	const char *s = name ? name : "";

	d->port = 0;
	d->protocol = POLICY_PROTO_DNS;
	d->method = NULL;
	d->matched = NULL;
	d->mitm = false;
	d->approved = false;
	d->rule = NULL;
	d->n_addrs = 0;
	d->local = 0;
	if (host_normalize(s, strlen(s), 0, &d->host, &why) == -1) {
		bad_host(d, s);
		return;
	}
	if (d->host.len == 0 || d->host.kind != HOST_NAME) {
		deny(d, POLICY_NOT_ALLOWED, NULL);
		return;
	}
	pattern_probe_init(&probe, &d->host);
	if (pattern_set_match(p->deny, &probe, -1, &m)) {
		deny(d, POLICY_DENIED, m.text);
		return;
	}
	if (!pattern_set_match(p->allow, &probe, PATTERN_PORT_ANY, &m)) {
		verdict(d, p->ask ? POLICY_VERDICT_ASK : POLICY_VERDICT_DENY,
			POLICY_NOT_ALLOWED, POLICY_SRC_BASELINE, NULL);
		return;
	}
	verdict(d, POLICY_VERDICT_ALLOW, POLICY_ALLOW, POLICY_SRC_BASELINE,
		m.text);
}

/* Step 3 missed. With asking on, steps 4 and 5 run as for a host some
 * wildcard entry allowed (no exact entry: a local literal is refused);
 * when they would let the request on, the miss is ASK, or the approved
 * request goes on. Every other outcome is the plain not_allowed. */
static void
allowlist_miss(const struct policy *p, const struct policy_request *r,
	       struct policy_decision *d)
{
	struct pattern_match none;

	if (!p->ask) {
		deny(d, POLICY_NOT_ALLOWED, NULL);
		return;
	}
	memset(&none, 0, sizeof(none));
	none.kind = PATTERN_GLOBAL;
	if (p->mode == POLICY_MODE_LIMITED &&
	    mode_guard(p, r, d)) {
		d->mitm = false;
		deny(d, POLICY_NOT_ALLOWED, NULL);
		return;
	}
	destination(p, &none, d);
	if (d->verdict == POLICY_VERDICT_DENY) {
		d->mitm = false;
		deny(d, POLICY_NOT_ALLOWED, NULL);
		return;
	}
	if (r->approved) {
		d->approved = true;
		return;
	}
	d->mitm = false;
	verdict(d, POLICY_VERDICT_ASK, POLICY_NOT_ALLOWED, POLICY_SRC_BASELINE,
		NULL);
}

void
policy_decide(const struct policy *p, const struct policy_request *r,
	      struct policy_decision *d)
{
	struct pattern_probe probe;
	struct pattern_match m;
	const char *why = NULL;
	const char *hs = r->host ? r->host : "";

	if (r->protocol == POLICY_PROTO_DNS) {
		policy_resolvable(p, hs, d);
		return;
	}
	d->port = r->port;
	d->protocol = r->protocol;
	d->method = r->method;
	d->has_body = r->has_body;
	d->matched = NULL;
	d->mitm = false;
	d->approved = false;
	d->rule = NULL;
	d->n_addrs = 0;
	d->local = 0;
	if (host_normalize(hs, strlen(hs), r->port_in_host ? 0 : HOST_NO_PORT,
			   &d->host, &why) == -1) {
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
			      &m) ||
	    deny_literal(p, &d->host, d->port > 0 ? d->port : -1, &m)) {
		deny(d, POLICY_DENIED, m.text);
		return;
	}
	if (!pattern_set_match(p->allow, &probe, d->port > 0 ? d->port : -1,
			       &m)) {
		allowlist_miss(p, r, d);
		return;
	}
	d->matched = m.text;
	if (p->mode == POLICY_MODE_LIMITED && mode_guard(p, r, d))
		return;
	destination(p, &m, d);
}

/* Keeps the addresses to be judged in d (the first POLICY_ADDRS_MAX),
 * for the record and for policy_local_detail(). -1 when one is not an
 * IP address at all. */
static int
keep_addrs(struct policy_decision *d, const struct sockaddr_storage *addrs,
	   size_t n)
{
	size_t i;

	d->n_addrs = 0;
	for (i = 0; i < n; i++) {
		struct ipaddr ip;

		if (ipaddr_from_sockaddr((const struct sockaddr *)&addrs[i],
					 &ip) == -1)
			return -1;
		if (d->n_addrs < POLICY_ADDRS_MAX)
			d->addrs[d->n_addrs++] = ip;
	}
	return 0;
}

void
policy_finish(const struct policy *p, struct policy_decision *d,
	      const struct sockaddr_storage *addrs, size_t n)
{
	struct pattern_match m;
	struct ipaddr ip;
	int port = d->port > 0 ? d->port : -1;
	bool refused = false;
	size_t i;

	if (d->verdict != POLICY_VERDICT_RESOLVE)
		return;
	d->local = 0;
	if (n == 0 || keep_addrs(d, addrs, n) == -1) {
		deny(d, POLICY_NOT_ALLOWED_LOCAL, d->matched);
		return;
	}
	for (i = 0; i < n; i++) {
		ipaddr_from_sockaddr((const struct sockaddr *)&addrs[i], &ip);
		if (deny_addr(p, &ip, port, &m)) {
			deny(d, POLICY_DENIED, m.text);
			return;
		}
	}
	/* Every local address is noted, not only the first: the detail
	 * names them all, so that one allow entry per address is enough. */
	for (i = 0; i < n && !p->allow_local_binding; i++) {
		ipaddr_from_sockaddr((const struct sockaddr *)&addrs[i], &ip);
		if (!ipclass_nonpublic(&ip) ||
		    pattern_set_match_addr(p->allow, &ip, port, &m))
			continue;
		refused = true;
		if (i < POLICY_ADDRS_MAX)
			d->local |= 1u << i;
	}
	if (refused) {
		deny(d, POLICY_NOT_ALLOWED_LOCAL, d->matched);
		return;
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
	"http", "https_connect", "socks5_tcp", "socks5_udp", "https", "dns",
	"tcp"};

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

/* "A, a private address, and B, a loopback address": the local ones. */
static int
local_list(const struct policy_decision *d, struct buf *b, size_t *count)
{
	char text[POLICY_ADDR_TEXT];
	size_t i;
	int rc = 0;

	*count = 0;
	for (i = 0; i < d->n_addrs && rc == 0; i++) {
		const char *what;

		if ((d->local & (1u << i)) == 0)
			continue;
		what = ipclass_describe(&d->addrs[i]);
		ipaddr_format(&d->addrs[i], text, sizeof(text));
		rc = buf_printf(b, "%s%s, %s", *count > 0 ? ", and " : "",
				text, what != NULL ? what : "a local address");
		(*count)++;
	}
	return rc;
}

/* ": allow it with --allow A" (each local address). */
static int
allow_advice(const struct policy_decision *d, struct buf *b, size_t count)
{
	char text[POLICY_ADDR_TEXT];
	size_t i;
	int rc;

	rc = buf_printf(b, ": allow %s with", count > 1 ? "them" : "it");
	for (i = 0; i < d->n_addrs && rc == 0; i++) {
		if ((d->local & (1u << i)) == 0)
			continue;
		ipaddr_format(&d->addrs[i], text, sizeof(text));
		rc = buf_printf(b, " --allow %s", text);
	}
	return rc;
}

int
policy_local_detail(const struct policy_decision *d, struct buf *b)
{
	const char *host = d->host.text;
	size_t count = 0;

	if (d->reason != POLICY_NOT_ALLOWED_LOCAL)
		return 0;
	if (d->host.kind == HOST_NAME && d->n_addrs == 0)
		return host_is_localhost(&d->host)
			       ? buf_printf(b, "%s is a loopback name: allow "
					       "it with --allow %s",
					    host, host)
			       : buf_printf(b, "%s resolved to no usable "
					       "address",
					    host);
	if (d->host.kind != HOST_NAME && d->n_addrs > 0) {
		const char *what = ipclass_describe(&d->addrs[0]);

		if (buf_printf(b, "%s is %s", host,
			       what != NULL ? what : "a local address") == -1)
			return -1;
		return allow_advice(d, b, 1);
	}
	if (buf_printf(b, "%s resolved to ", host) == -1 ||
	    local_list(d, b, &count) == -1)
		return -1;
	if (count == 0)
		return buf_addstr(b, "a local address beyond the first "
				     "ones looked at");
	return allow_advice(d, b, count);
}

static int
addrs_json(const struct policy_decision *d, struct buf *b)
{
	char text[POLICY_ADDR_TEXT];
	size_t i;

	if (buf_addstr(b, ",\"addresses\":[") == -1)
		return -1;
	for (i = 0; i < d->n_addrs; i++) {
		ipaddr_format(&d->addrs[i], text, sizeof(text));
		if (buf_printf(b, "%s\"%s\"", i ? "," : "", text) == -1)
			return -1;
	}
	return buf_addch(b, ']');
}

static int
detail_json(const struct policy_decision *d, struct buf *b)
{
	struct buf t;
	int rc = 0;

	if (d->reason != POLICY_NOT_ALLOWED_LOCAL)
		return 0;
	buf_init(&t, 4096);
	if (policy_local_detail(d, &t) == -1 ||
	    buf_addstr(b, ",\"detail\":") == -1 ||
	    buf_add_json_string(b, t.p ? t.p : "", t.len) == -1)
		rc = -1;
	buf_release(&t);
	return rc;
}

int
policy_denied_message(const char *reason, const char *host, struct buf *b)
{
	static const struct {
		const char *reason, *detail;
	} details[] = {
		{"denied", "domain is explicitly denied by policy and cannot "
			   "be approved from this prompt"},
		{"not_allowed", "domain is not on the allowlist for the "
				"current sandbox mode"},
		{"not_allowed_local", "local/private network addresses are "
				      "blocked by the sandbox policy"},
		{"method_not_allowed", "request method is blocked by the "
				       "current network mode"},
		{"mitm_required", "request method is blocked by the current "
				  "network mode"},
		{"proxy_disabled", "network proxy is disabled"},
	};
	const char *detail = "request is blocked by network policy";
	size_t i;

	for (i = 0; reason != NULL && i < sizeof(details) / sizeof(details[0]);
	     i++)
		if (strcmp(reason, details[i].reason) == 0)
			detail = details[i].detail;
	if (buf_addstr(b, "Network access to ") == -1 ||
	    buf_add_json_string(b, host ? host : "", host ? strlen(host) : 0) ||
	    buf_printf(b, " was blocked: %s.", detail) == -1)
		return -1;
	return 0;
}

int
policy_decision_json(const struct policy_decision *d, struct buf *b)
{
	const char *dec = d->verdict == POLICY_VERDICT_DENY  ? "deny"
			  : d->verdict == POLICY_VERDICT_ASK ? "ask"
							     : "allow";

	if (buf_printf(b, "{\"decision\":\"%s\",\"reason\":\"%s\",\"host\":",
		       dec, policy_reason_str(d->reason)) == -1 ||
	    buf_add_json_string(b, d->host.text, d->host.len) == -1 ||
	    buf_printf(b, ",\"port\":%d,\"protocol\":\"%s\",\"method\":",
		       d->port, policy_protocol_str(d->protocol)) == -1 ||
	    json_str_or_null(b, d->method) == -1 ||
	    buf_printf(b, ",\"source\":\"%s\",\"matched\":",
		       policy_source_str(d->source)) == -1 ||
	    json_str_or_null(b, d->matched) == -1 || addrs_json(d, b) == -1 ||
	    detail_json(d, b) == -1 || buf_addch(b, '}') == -1)
		return -1;
	return 0;
}
