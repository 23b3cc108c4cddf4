/* exchange_head.c — the checks of a request head before it is decided
 * (exchange.h, state HEAD): where it goes, and, inside an intercepted
 * tunnel, that it stays the tunnel's. Called by exchange.c; calls nothing
 * of it. */
#include "proxy/exchange_int.h"

#include <stdio.h>
#include <string.h>

#include "net/http_parse.h"
#include "policy/host.h"

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
