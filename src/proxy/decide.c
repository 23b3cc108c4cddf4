/* decide.c — one whole decision for the proxy: policy, one resolution,
 * the verdict on the addresses, and the record of it (proxy_int.h). */
#include "proxy/proxy_int.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "net/ownlisten.h"

struct proxy_decide {
	struct proxy *p;
	struct proxy_state *s;
	struct policy_decision d;
	char method[32];
	char client[64];
	struct resolve_req *rr;
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
finish(struct proxy_decide *x, const struct resolve_result *addrs,
       const char *why)
{
	if (why != NULL) {
		x->p->m.upstream_errors++;
		x->cb(x->arg, NULL, NULL, why);
	} else {
		refuse_own_listeners(&x->d, addrs);
		proxy_record(x->p, &x->d, x->client, NULL);
		x->cb(x->arg, &x->d, policy_allowed(&x->d) ? addrs : NULL, NULL);
	}
	proxy_state_unref(x->s);
	free(x);
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

struct proxy_decide *
proxy_decide_start(struct proxy *p, struct proxy_state *s,
		   const struct policy_request *r, const char *client,
		   proxy_decide_cb *cb, void *arg)
{
	struct proxy_decide *x = xcalloc(1, sizeof(*x));
	struct resolve_result lit;
	char key[64];

	x->p = p;
	x->s = s;
	s->refs++;
	x->cb = cb;
	x->arg = arg;
	snprintf(x->client, sizeof(x->client), "%s", client ? client : "unknown");
	policy_decide(s->policy, r, &x->d);
	if (r->method != NULL) {
		snprintf(x->method, sizeof(x->method), "%s", r->method);
		x->d.method = x->method;
	}
	if (x->d.verdict != POLICY_VERDICT_RESOLVE) {
		literal_addrs(&x->d, &lit);
		finish(x, &lit, NULL);
		return NULL;
	}
	client_key(x->client, key, sizeof(key));
	x->rr = resolve_start_for(p->loop, x->d.host.text, (uint16_t)x->d.port,
				  RESOLVE_TIMEOUT_MS, key, on_resolved, x);
	return x;
}

void
proxy_decide_cancel(struct proxy_decide *x)
{
	if (x == NULL)
		return;
	if (x->rr != NULL)
		resolve_cancel(x->rr);
	proxy_state_unref(x->s);
	free(x);
}
