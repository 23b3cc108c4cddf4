/* summary.c — the blocked-request summary printed when a run ends. See
 * summary.h. */
#include "sandbox/summary.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

struct group {
	const struct audit_blocked *first; /* host, port, reason, method */
	bool dns; /* a name lookup the stub resolver refused: no port */
	unsigned count;
};

/* What a phase's advice names: the command line and keys of the command
 * itself, or the setup.* keys of the setup phase. */
struct words {
	const char *allow[2]; /* before and after the host */
	const char *local[2]; /* after the host */
	const char *full;
};

static const struct words command_words = {
	{"allow with --allow ", " or permissions.network.allowed_domains"},
	{" is a local address: allow it with --allow and the exact address, "
	 "or permissions.network.allow_local_binding = true", ""},
	"--mode full or permissions.network.mode = \"full\"",
};

static const struct words setup_words = {
	{"allow ", " with setup.allowed_domains"},
	{" is a local address: allow it with the exact address in "
	 "setup.allowed_domains, or permissions.network.allow_local_binding "
	 "= true", ""},
	"setup.mode = \"full\"",
};

static bool
is_dns(const struct audit_blocked *b)
{
	return b->protocol != NULL && strcmp(b->protocol, "dns") == 0;
}

static bool
is_socks(const struct audit_blocked *b)
{
	return b->protocol != NULL && strncmp(b->protocol, "socks5", 6) == 0;
}

/* A connection routed to the proxy by the sandbox's rules (transparent
 * routing, "tcp") or a datagram the supervisor refused ("udp"): the
 * summary says which, as host:port/tcp. */
static const char *
transport_of(const struct audit_blocked *b)
{
	if (b->protocol != NULL && (strcmp(b->protocol, "tcp") == 0 ||
				    strcmp(b->protocol, "udp") == 0))
		return b->protocol;
	return NULL;
}

/* method_not_allowed: name what was refused. */
static void
advise_method(const struct audit_blocked *b, const struct words *w,
	      struct buf *out)
{
	if (transport_of(b) != NULL && b->port != 443)
		buf_printf(out, "limited mode lets a connection to port %u "
				"through only as an HTTP request (GET, HEAD, "
				"OPTIONS): %s",
			   b->port, w->full);
	else if (transport_of(b) != NULL)
		buf_printf(out, "limited mode lets a connection to port 443 "
				"through only as TLS it can intercept: %s",
			   w->full);
	else if (is_socks(b) && strcmp(b->protocol, "socks5_udp") == 0)
		buf_printf(out, "limited mode refuses SOCKS5 UDP: %s", w->full);
	else if (is_socks(b))
		buf_printf(out, "limited mode intercepts port 443 only, and "
				"refused a SOCKS5 connection to port %u: %s",
			   b->port, w->full);
	else if (b->method == NULL)
		buf_printf(out, "limited mode allows GET, HEAD and OPTIONS "
				"only: %s",
			   w->full);
	else
		buf_printf(out, "limited mode allows GET, HEAD and OPTIONS "
				"only, and refused %s: %s",
			   b->method, w->full);
}

/* mitm_required: interception exists, but only for port 443. */
static void
advise_mitm(const struct audit_blocked *b, const struct words *w,
	    struct buf *out)
{
	if (b->port == 443)
		buf_printf(out, "HTTPS in limited mode needs TLS interception: "
				"%s",
			   w->full);
	else
		buf_printf(out, "limited mode intercepts HTTPS on port 443 "
				"only, and refused a tunnel to port %u: %s",
			   b->port, w->full);
}

static void
advise(const struct audit_blocked *b, const struct words *w, struct buf *out)
{
	const char *reason = b->reason, *host = b->host;

	if (strcmp(reason, "not_allowed") == 0)
		buf_printf(out, "%s%s%s", w->allow[0], host, w->allow[1]);
	else if (strcmp(reason, "not_allowed_local") == 0 &&
		 b->detail != NULL && w == &command_words)
		buf_addstr(out, b->detail);
	else if (strcmp(reason, "not_allowed_local") == 0)
		buf_printf(out, "%s%s%s", host, w->local[0], w->local[1]);
	else if (strcmp(reason, "denied") == 0)
		buf_addstr(out, "denied by permissions.network.denied_domains "
				"(or requirements.toml); deny always wins");
	else if (strcmp(reason, "method_not_allowed") == 0)
		advise_method(b, w, out);
	else if (strcmp(reason, "mitm_required") == 0)
		advise_mitm(b, w, out);
	else if (strcmp(reason, "airlock_listener") == 0)
		buf_addstr(out, "an airlock control plane (app-server, admin "
				"API or proxy port): never reachable through "
				"the proxy");
	else if (strcmp(reason, "sni_mismatch") == 0)
		buf_addstr(out, "a tunnel's TLS server name was not the host it "
				"was allowed for (domain fronting?); "
				"permissions.network.require_sni_match = false "
				"turns the check off");
	else if (strcmp(reason, "request_rule_not_matched") == 0)
		buf_addstr(out, "this host takes only requests a rule matches: "
				"see permissions.network.request_rules (try "
				"`airlock policy check --path`)");
	else if (strcmp(reason, "unknown_synthetic") == 0)
		buf_addstr(out, "an address of 198.18.0.0/15 the sandbox's "
				"resolver never handed out: connect by name");
	else if (strcmp(reason, "udp_not_proxied") == 0)
		buf_addstr(out, "UDP leaves the sandbox only to its own "
				"loopback and resolver; use SOCKS5 UDP "
				"(permissions.network.enable_socks5_udp)");
	else if (strcmp(reason, "proxy_disabled") == 0)
		buf_addstr(out, "the proxy is disabled: "
				"permissions.network.enabled = true");
	else
		buf_addstr(out, "see permissions.network in the config");
}

void
summary_advice(const struct audit_blocked *b, struct buf *out)
{
	advise(b, &command_words, out);
}

/* What became of asking a person about it (proxy/approval.h). */
static void
approval_note(const struct audit_blocked *b, struct buf *out)
{
	const char *by = b->answered_by ? b->answered_by : "?";

	if (b->approval == NULL)
		return;
	if (strcmp(b->approval, "not_asked") == 0)
		buf_printf(out, " (not asked: %s)", by);
	else if (strcmp(b->approval, "timeout") == 0)
		buf_printf(out, " (asked; %s)", by);
	else if (strcmp(b->approval, "deny") == 0 ||
		 strcmp(b->approval, "deny_always") == 0)
		buf_printf(out, " (asked; %s by %s)", b->approval, by);
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Refused methods are grouped apart: a POST and a PUT need saying. */
static struct group *
find(struct group *g, size_t n, const struct audit_blocked *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].dns == is_dns(b) && g[i].first->port == b->port &&
		    strcmp(g[i].first->host, b->host) == 0 &&
		    strcmp(g[i].first->reason, b->reason) == 0 &&
		    same_str(transport_of(g[i].first), transport_of(b)) &&
		    (strcmp(b->reason, "method_not_allowed") != 0 ||
		     same_str(g[i].first->method, b->method)))
			return &g[i];
	return NULL;
}

static void
format(const struct audit_ring *r, const char *setup, struct buf *out)
{
	const struct words *w = setup ? &setup_words : &command_words;
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
			hit->first = b;
			hit->dns = is_dns(b);
		}
		hit->count++;
	}
	buf_addstr(out, "airlock: ");
	if (setup != NULL)
		buf_printf(out, "setup `%s`: ", setup);
	buf_printf(out, "%llu request(s) blocked%s:\n",
		   (unsigned long long)r->total,
		   r->total > n ? " (the last ones shown)" : "");
	for (i = 0; i < ng; i++) {
		const struct audit_blocked *b = g[i].first;

		if (g[i].dns)
			buf_printf(out, "  %s (dns lookup) %s", b->host,
				   b->reason);
		else if (transport_of(b) != NULL)
			buf_printf(out, "  %s:%u/%s %s", b->host, b->port,
				   transport_of(b), b->reason);
		else
			buf_printf(out, "  %s:%u %s", b->host, b->port,
				   b->reason);
		if (strcmp(b->reason, "method_not_allowed") == 0 &&
		    b->method != NULL && !is_socks(b) && !g[i].dns)
			buf_printf(out, " %s", b->method);
		buf_printf(out, " (%ux): ", g[i].count);
		advise(b, w, out);
		approval_note(b, out);
		buf_addch(out, '\n');
	}
	free(g);
}

void
summary_format(const struct audit_ring *r, struct buf *out)
{
	format(r, NULL, out);
}

void
summary_format_setup(const struct audit_ring *r, const char *command,
		     struct buf *out)
{
	format(r, command, out);
}
