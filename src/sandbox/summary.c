/* summary.c — the blocked-request summary printed when a run ends. See
 * summary.h. */
#include "sandbox/summary.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

struct group {
	const char *host;
	unsigned port;
	const char *reason;
	unsigned count;
};

void
summary_advice(const char *reason, const char *host, struct buf *out)
{
	if (strcmp(reason, "not_allowed") == 0)
		buf_printf(out, "allow with --allow %s or "
				"permissions.network.allowed_domains",
			   host);
	else if (strcmp(reason, "not_allowed_local") == 0)
		buf_printf(out, "a local address: allow with --allow %s (the "
				"exact address) or "
				"permissions.network.allow_local_binding = true",
			   host);
	else if (strcmp(reason, "denied") == 0)
		buf_addstr(out, "denied by permissions.network.denied_domains "
				"(or requirements.toml); deny always wins");
	else if (strcmp(reason, "method_not_allowed") == 0)
		buf_addstr(out, "limited mode allows GET, HEAD and OPTIONS only: "
				"--mode full or permissions.network.mode = "
				"\"full\"");
	else if (strcmp(reason, "mitm_required") == 0)
		buf_addstr(out, "HTTPS in limited mode needs TLS interception: "
				"--mode full or permissions.network.mode = "
				"\"full\"");
	else if (strcmp(reason, "airlock_listener") == 0)
		buf_addstr(out, "an airlock control plane (app-server, admin "
				"API or proxy port): never reachable through "
				"the proxy");
	else if (strcmp(reason, "request_rule_not_matched") == 0)
		buf_addstr(out, "this host takes only requests a rule matches: "
				"see permissions.network.request_rules (try "
				"`airlock policy check --path`)");
	else if (strcmp(reason, "proxy_disabled") == 0)
		buf_addstr(out, "the proxy is disabled: "
				"permissions.network.enabled = true");
	else
		buf_addstr(out, "see permissions.network in the config");
}

static struct group *
find(struct group *g, size_t n, const struct audit_blocked *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].port == b->port && strcmp(g[i].host, b->host) == 0 &&
		    strcmp(g[i].reason, b->reason) == 0)
			return &g[i];
	return NULL;
}

void
summary_format(const struct audit_ring *r, struct buf *out)
{
	unsigned i, n = audit_ring_count(r);
	struct group *g, *hit;
	size_t ng = 0;

	if (n == 0)
		return;
	g = xcalloc(n, sizeof(*g));
	for (i = 0; i < n; i++) {
		const struct audit_blocked *b = audit_ring_get(r, i);

		if (b->host == NULL || b->reason == NULL)
			continue;
		hit = find(g, ng, b);
		if (hit == NULL) {
			hit = &g[ng++];
			hit->host = b->host;
			hit->port = b->port;
			hit->reason = b->reason;
		}
		hit->count++;
	}
	buf_printf(out, "airlock: %llu request(s) blocked%s:\n",
		   (unsigned long long)r->total,
		   r->total > n ? " (the last ones shown)" : "");
	for (i = 0; i < ng; i++) {
		buf_printf(out, "  %s:%u %s (%ux): ", g[i].host, g[i].port,
			   g[i].reason, g[i].count);
		summary_advice(g[i].reason, g[i].host, out);
		buf_addch(out, '\n');
	}
	free(g);
}
