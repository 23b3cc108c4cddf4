/* exchange_head.c — the checks of a request head before it is decided
 * (exchange.h, state HEAD): where it goes, and, inside an intercepted
 * tunnel, that it stays the tunnel's; and what the request rules see of
 * it and leave of it (policy/reqpolicy.h). Called by exchange.c; calls
 * nothing of it. */
#include "proxy/exchange_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "net/http_parse.h"
#include "policy/host.h"
#include "policy/reqpolicy.h"

static void
save_request(struct exchange *x)
{
	const struct http_head *h = x->head;

	x->is_connect = slice_eq_cstr(h->method, "CONNECT");
	snprintf(x->method, sizeof(x->method), "%.*s", (int)h->method.n,
		 h->method.p);
	x->req_is_head = slice_eq_cstr(h->method, "HEAD");
	x->req_keepalive = h->keep_alive;
	x->req_minor = h->version_minor;
}

/* The names of the loopback a client may use for a forwarded port of
 * the host's (transparent.h): whichever it wrote, it meant that port. */
static bool
loopback_name(const struct host *h)
{
	return strcmp(h->text, "127.0.0.1") == 0 ||
	       strcmp(h->text, "::1") == 0 || strcmp(h->text, "localhost") == 0;
}

/* True when the request names the tunnel's host (port aside, as the
 * reference compares). */
static bool
same_host(const struct intercept *t, struct slice host)
{
	struct host a, b;
	const char *why;

	if (host_normalize(host.p, host.n, HOST_NO_PORT, &a, &why) == -1 ||
	    host_normalize(t->host, strlen(t->host), HOST_NO_PORT, &b, &why) ==
		    -1)
		return false;
	if (loopback_name(&a) && loopback_name(&b))
		return true;
	return a.len > 0 && strcmp(a.text, b.text) == 0;
}

/* A request inside an intercepted tunnel (mitm.h): NULL, or the error
 * (and *status). */
static const char *
check_inner(struct exchange *x, int *status)
{
	const char *bad;

	*status = 400;
	if (x->is_connect) {
		*status = 405;
		return "CONNECT not supported inside MITM";
	}
	bad = http_msg_request_target(x->head, &x->target);
	if (bad != NULL)
		return bad;
	if (!same_host(x->mitm, x->target.host))
		return "host mismatch";
	if (x->head->framing == HTTP_FRAMING_CHUNKED &&
	    !http_parse_chunked_prefix_ok(x->rest, x->n_rest))
		return "invalid chunk framing";
	snprintf(x->host, sizeof(x->host), "%s", x->mitm->host);
	x->target.port = x->mitm->port;
	x->target.ipv6 = x->mitm->is_ip && strchr(x->host, ':') != NULL;
	return NULL;
}

/* A request on the proxy listener: NULL, or the error (and *status). */
static const char *
check_outer(struct exchange *x, int *status)
{
	const struct http_head *h = x->head;
	const char *bad;

	*status = 400;
	bad = x->is_connect ? http_msg_connect_target(h, &x->target)
			    : http_msg_request_target(h, &x->target);
	if (bad != NULL)
		return bad;
	if (x->target.https) {
		*status = 501;
		return "https:// targets need CONNECT";
	}
	/* A smuggling payload sent in one piece never reaches an origin. */
	if (h->framing == HTTP_FRAMING_CHUNKED &&
	    !http_parse_chunked_prefix_ok(x->rest, x->n_rest))
		return "invalid chunk framing";
	snprintf(x->host, sizeof(x->host), "%.*s", (int)x->target.host.n,
		 x->target.host.p);
	return NULL;
}

const char *
xh_check(struct exchange *x, int *status)
{
	save_request(x);
	return x->mitm != NULL ? check_inner(x, status)
			       : check_outer(x, status);
}

/* --- request rules ------------------------------------------------------- */

void
xh_rule_request(struct exchange *x)
{
	const struct http_head *h = x->head;
	size_t i;

	memset(&x->q, 0, sizeof(x->q));
	x->q.method = h->method;
	x->q.target = x->target.path;
	/* Only the headers of a request to a host with rules are matched. */
	if (h->nheaders == 0 ||
	    !reqpolicy_host_has_rules(x->st->reqpolicy, x->host))
		return;
	x->q_hdrs = xcalloc(h->nheaders, sizeof(*x->q_hdrs));
	for (i = 0; i < h->nheaders; i++) {
		x->q_hdrs[i].name = h->headers[i].name;
		x->q_hdrs[i].value = h->headers[i].value;
	}
	x->q.headers = x->q_hdrs;
	x->q.nheaders = h->nheaders;
}

/* The end-to-end headers of the head (what would be forwarded), in
 * in[0..); their count, or -1 when the head has too many. */
static long
end_to_end(const struct http_head *h, struct reqrule_hdr *in)
{
	bool hop[HTTP_MSG_MAX_HEADERS];
	size_t i, n = 0;

	if (http_msg_hop_marks(h, hop) == -1)
		return -1;
	for (i = 0; i < h->nheaders; i++) {
		if (hop[i])
			continue;
		in[n].name = h->headers[i].name;
		in[n].value = h->headers[i].value;
		n++;
	}
	return (long)n;
}

/* The hop-by-hop headers go first (a client's `Connection: authorization`
 * must not remove the injected header), then the actions: every strip,
 * then every inject. */
const char *
xh_rule_rewrite(struct exchange *x, int *status)
{
	const struct reqpolicy *rp = x->st->reqpolicy;
	const struct reqrule *rule = x->d.rule;
	const struct http_head *h = x->head;
	struct reqrule_hdr *in, *out = NULL;
	const char *bad = "request head too large to forward";
	long n, k = -1;
	size_t i, max = 0;

	if (rule == NULL)
		return NULL;
	*status = 431;
	in = xcalloc(h->nheaders + 1, sizeof(*in));
	n = end_to_end(h, in);
	if (n >= 0) {
		max = reqpolicy_rewrite_max(rp, rule, (size_t)n);
		out = xcalloc(max + 1, sizeof(*out));
		k = reqpolicy_rewrite(rp, rule, in, (size_t)n, out, max);
	}
	if (k >= 0 && k <= HTTP_MSG_MAX_HEADERS) {
		x->up_hdrs = xcalloc((size_t)k + 1, sizeof(*x->up_hdrs));
		for (i = 0; i < (size_t)k; i++) {
			x->up_hdrs[i].name = out[i].name;
			x->up_hdrs[i].value = out[i].value;
		}
		x->n_up_hdrs = (size_t)k;
		bad = NULL;
	}
	free(in);
	free(out);
	return bad;
}
