#include "policy/netpolicy.h"
#include "lib/xalloc.h"
#include "policy/pattern.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_ALLOW "permissions.network.allowed_domains"
#define KEY_DENY "permissions.network.denied_domains"
#define KEY_PRESET "permissions.network.preset"
#define KEY_SETUP_ALLOW "setup.allowed_domains"
#define KEY_SETUP_PRESET "setup.preset"

/* A growing list of entries whose origin strings it owns. */
struct entries {
	struct policy_entry *v;
	char **owned;
	size_t n, cap;
};

static void
entries_add(struct entries *e, const char *pattern, char *origin)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
		e->owned = xreallocarray(e->owned, e->cap, sizeof(*e->owned));
	}
	e->v[e->n].pattern = pattern;
	e->v[e->n].origin = origin;
	e->owned[e->n] = origin;
	e->n++;
}

static void
entries_release(struct entries *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->owned[i]);
	free(e->owned);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* Entries of a config array key, each named `origin: key[i]`. */
static void
add_conf_list(struct entries *e, const struct conf *c, const char *key)
{
	const char *const *items;
	size_t i, n = conf_strv(c, key, &items);

	for (i = 0; i < n; i++)
		entries_add(e, items[i],
			    xasprintf("%s: %s[%zu]", conf_item_origin(c, key, i),
				      key, i));
}

static void
add_req_list(struct entries *e, const struct req_list *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		entries_add(e, l->items[i],
			    xasprintf("%s: %s[%zu] (requirements)",
				      l->origins[i], key, i));
}

static void
add_extra(struct entries *e, const char *const *v, size_t n, const char *flag)
{
	size_t i;

	for (i = 0; i < n; i++)
		entries_add(e, v[i], xasprintf("%s %s", flag, v[i]));
}

static void
add_preset(struct entries *e, const struct conf *c, const char *key,
	   enum preset_id id)
{
	const struct preset_entry *pe;
	char *origin;
	size_t i, n;

	pe = preset_entries(id, &n);
	if (n == 0)
		return;
	/* One origin text for the whole preset, copied per entry (a preset
	 * has about a hundred). */
	origin = xasprintf("%s: %s %s", conf_origin(c, key), key,
			   preset_name(id));
	for (i = 0; i + 1 < n; i++)
		entries_add(e, pe[i].pattern, xstrdup(origin));
	entries_add(e, pe[i].pattern, origin);
}

bool
netpolicy_managed_covers(const struct req_list *managed, const char *pattern)
{
	size_t i;

	for (i = 0; i < managed->n; i++)
		if (pattern_covers(managed->items[i], pattern))
			return true;
	return false;
}

/* The managed allowlist is compiled on its own first, without `*`, so a
 * global wildcard there is refused with its own origin. */
static int
check_managed(const struct req_list *l, const char *key, struct errbuf *err)
{
	struct entries e = {0};
	struct policy_options o = {0};
	struct policy *p;

	add_req_list(&e, l, key);
	o.allow = e.v;
	o.n_allow = e.n;
	o.allow_global = false;
	p = policy_new(&o, err);
	entries_release(&e);
	if (p == NULL)
		return -1;
	policy_free(p);
	return 0;
}

/* The managed allowlist that bounds a phase, and its two flags. */
struct managed {
	const struct req_list *list;
	const char *key;
	bool only, expand;
	const char *only_origin;
};

static void
managed_of(const struct requirements *r, bool setup, struct managed *m)
{
	m->list = setup ? requirements_setup_allowlist(r) : &r->allowed_domains;
	m->key = setup && r->setup_allowed_domains.set ? KEY_SETUP_ALLOW
						      : KEY_ALLOW;
	m->only_origin = r->managed_allowed_domains_only.origin;
	m->only = false;
	m->expand = false;
	if (m->list != &r->allowed_domains)
		return; /* [setup] allowed_domains: covered entries only */
	m->only = r->managed_allowed_domains_only.set &&
		  r->managed_allowed_domains_only.value;
	m->expand = r->allowlist_expansion.set && r->allowlist_expansion.value;
}

/* Entries of one origin that a requirement drops are said in one line past
 * this many (a preset's thirty names are one warning, not thirty). */
#define DROPPED_SHOWN 3

/* Warns that the n entries of u from i on (all of one origin) are ignored. */
static void
warn_dropped(const struct entries *u, size_t i, size_t n,
	     const struct managed *m, struct errbuf *warn)
{
	const char *why = m->only ? "managed_allowed_domains_only = true"
				  : "not covered by the managed allowed_domains";
	const char *where = m->only ? m->only_origin : m->list->origin;
	const char *v = u->v[i].pattern;

	if (n <= DROPPED_SHOWN) {
		for (; n > 0; n--, i++)
			errbuf_add(warn,
				   "%s: \"%s\" is disallowed by requirements; "
				   "ignoring it. Details: %s (%s)",
				   u->v[i].origin, u->v[i].pattern, why, where);
		return;
	}
	errbuf_add(warn,
		   "%s: %zu entries (\"%s\", \"%s\", \"%s\" and %zu more) are "
		   "disallowed by requirements; ignoring them. Details: %s (%s)",
		   u->v[i].origin, n, v, u->v[i + 1].pattern,
		   u->v[i + 2].pattern, n - DROPPED_SHOWN, why, where);
}

static bool
same_origin(const struct entries *u, size_t i, size_t j)
{
	return strcmp(u->v[i].origin, u->v[j].origin) == 0;
}

/* Moves the user entries u into the allowlist a as the requirements say. */
static void
apply_allow_requirements(struct entries *a, struct entries *u,
			 const struct managed *m, struct errbuf *warn)
{
	size_t i, first = 0, n_dropped = 0;

	add_req_list(a, m->list, m->key);
	for (i = 0; i < u->n; i++) {
		const char *pat = u->v[i].pattern;

		if (!m->only &&
		    (m->expand || netpolicy_managed_covers(m->list, pat))) {
			entries_add(a, pat, u->owned[i]);
			u->owned[i] = NULL;
			continue;
		}
		/* A run of dropped entries of one origin ends here. */
		if (n_dropped > 0 &&
		    (first + n_dropped != i || !same_origin(u, first, i))) {
			warn_dropped(u, first, n_dropped, m, warn);
			n_dropped = 0;
		}
		if (n_dropped++ == 0)
			first = i;
	}
	if (n_dropped > 0)
		warn_dropped(u, first, n_dropped, m, warn);
}

/* The allow and deny entries of c (+extra) in the order they are
 * compiled, requirements applied. A problem the build must refuse goes to
 * err and makes it return -1; the entries are filled either way. */
static int
collect(const struct conf *c, const struct netpolicy_extra *extra,
	bool with_preset, struct entries *allow, struct entries *deny,
	struct errbuf *warn, struct errbuf *err)
{
	const struct requirements *r = conf_requirements(c);
	bool setup = extra != NULL && extra->setup;
	const char *preset_key = setup ? KEY_SETUP_PRESET : KEY_PRESET;
	struct entries user = {0};
	enum preset_id preset = PRESET_NONE;
	struct managed m;
	int rc = 0;
	size_t i;

	if (preset_parse(conf_str(c, preset_key), &preset)) {
		rc = -1;
		errbuf_add(err, "%s: %s: unknown preset",
			   conf_origin(c, preset_key), preset_key);
	}
	add_conf_list(&user, c, setup ? KEY_SETUP_ALLOW : KEY_ALLOW);
	if (extra)
		add_extra(&user, extra->allow, extra->n_allow, "--allow");
	if (with_preset)
		add_preset(&user, c, preset_key, preset);
	managed_of(r, setup, &m);
	if (m.list->set || m.only) {
		if (check_managed(m.list, m.key, err) == -1)
			rc = -1;
		apply_allow_requirements(allow, &user, &m, warn);
	} else {
		for (i = 0; i < user.n; i++) {
			entries_add(allow, user.v[i].pattern, user.owned[i]);
			user.owned[i] = NULL;
		}
	}
	add_req_list(deny, &r->denied_domains, KEY_DENY);
	add_conf_list(deny, c, KEY_DENY);
	if (extra)
		add_extra(deny, extra->deny, extra->n_deny, "--deny");
	entries_release(&user);
	return rc;
}

const char *
netpolicy_mode(const struct conf *c, const struct netpolicy_extra *extra)
{
	if (extra != NULL && extra->mode != NULL)
		return extra->mode;
	if (extra != NULL && extra->setup)
		return conf_str(c, "setup.mode");
	return conf_str(c, "permissions.network.mode");
}

bool
netpolicy_may_ask(const struct conf *c, const char **why)
{
	return netpolicy_may_ask_as(c, NULL, why);
}

bool
netpolicy_may_ask_as(const struct conf *c, const char *approval_policy,
		     const char **why)
{
	const struct requirements *r = conf_requirements(c);
	const char *ap = approval_policy != NULL
				 ? approval_policy
				 : conf_str(c, "approval_policy");
	const char *no = NULL;

	if (strcmp(ap, "never") == 0)
		no = "approval_policy = \"never\"";
	else if (strcmp(ap, "granular") == 0 &&
		 !conf_granular(c, "sandbox_approval"))
		no = "approval_policy granular.sandbox_approval = false";
	else if (r->managed_allowed_domains_only.set &&
		 r->managed_allowed_domains_only.value)
		no = "requirements: managed_allowed_domains_only = true";
	else if (r->allowed_domains.set &&
		 !(r->allowlist_expansion.set && r->allowlist_expansion.value))
		no = "requirements: a managed allowed_domains without "
		     "allowlist_expansion";
	if (why != NULL)
		*why = no;
	return no == NULL;
}

/* The policy of c (+extra); with_preset false leaves the built-in preset
 * out (it is ours, always valid, and a hundred patterns to compile). */
static struct policy *
build(const struct conf *c, const struct netpolicy_extra *extra,
      bool with_preset, struct errbuf *warn, struct errbuf *err)
{
	struct entries allow = {0}, deny = {0};
	struct policy_options o = {0};
	struct policy *p = NULL;

	if (collect(c, extra, with_preset, &allow, &deny, warn, err) == 0) {
		o.allow = allow.v;
		o.n_allow = allow.n;
		o.deny = deny.v;
		o.n_deny = deny.n;
		o.mode = strcmp(netpolicy_mode(c, extra), "full") == 0
				 ? POLICY_MODE_FULL
				 : POLICY_MODE_LIMITED;
		o.allow_local_binding =
			conf_bool(c, "permissions.network.allow_local_binding");
		o.preset = PRESET_NONE; /* already expanded into the entries */
		o.allow_global = true;
		/* The proxy terminates TLS whenever limited mode meets port 443
		 * (reference §8.1: interception is on whenever mode is
		 * limited). */
		o.mitm = true;
		o.ask = netpolicy_may_ask(c, NULL);
		o.git_fetch = conf_bool(
			c, "permissions.network.limited_allow_git_fetch");
		p = policy_new(&o, err);
	}
	entries_release(&allow);
	entries_release(&deny);
	return p;
}

struct policy *
netpolicy_build(const struct conf *c, const struct netpolicy_extra *extra,
		struct errbuf *warn, struct errbuf *err)
{
	return build(c, extra, true, warn, err);
}

int
netpolicy_validate(const struct conf *c, const struct netpolicy_extra *extra,
		   struct errbuf *err)
{
	struct policy *p = build(c, extra, false, NULL, err);

	policy_free(p);
	return p != NULL ? 0 : -1;
}

void
netpolicy_patterns(const struct conf *c, const struct netpolicy_extra *extra,
		   netpolicy_pattern_fn *fn, void *arg)
{
	struct entries allow = {0}, deny = {0};
	size_t i;

	collect(c, extra, true, &allow, &deny, NULL, NULL);
	for (i = 0; i < allow.n; i++)
		fn(arg, allow.v[i].pattern, false);
	for (i = 0; i < deny.n; i++)
		fn(arg, deny.v[i].pattern, true);
	entries_release(&allow);
	entries_release(&deny);
}

struct forwards_ctx {
	netpolicy_forward_fn *fn;
	void *arg;
};

static void
forward_one(void *arg, const char *pattern, bool deny)
{
	struct forwards_ctx *x = arg;
	struct pattern_parsed pp;
	char why[160];

	if (deny || pattern_parse(pattern, PATTERN_ALLOW_GLOBAL, &pp, why,
				  sizeof(why)) == -1 ||
	    pp.port <= 0 || pp.kind != PATTERN_EXACT)
		return;
	if (strcmp(pp.h.text, "127.0.0.1") == 0 ||
	    strcmp(pp.h.text, "::1") == 0 ||
	    strcmp(pp.h.text, "localhost") == 0)
		x->fn(x->arg, pp.h.text, pp.port);
}

void
netpolicy_forwards(const struct conf *c, const struct netpolicy_extra *extra,
		   netpolicy_forward_fn *fn, void *arg)
{
	struct forwards_ctx x = {fn, arg};

	netpolicy_patterns(c, extra, forward_one, &x);
}

static bool
loopback_ip(const struct ipaddr *ip, unsigned plen)
{
	static const unsigned char one[16] = {[15] = 1};

	if (ip->family == AF_INET)
		return plen >= 8 && ip->a[0] == 127;
	return plen == 128 && memcmp(ip->a, one, 16) == 0;
}

static bool
loopback_name(const char *t, size_t n)
{
	static const char lh[] = "localhost";

	return (n == sizeof(lh) - 1 && memcmp(t, lh, n) == 0) ||
	       (n > sizeof(lh) && t[n - sizeof(lh)] == '.' &&
		memcmp(t + n - (sizeof(lh) - 1), lh, sizeof(lh) - 1) == 0);
}

/* Does pattern name only the loopback, and no port? *form gets the port
 * form to suggest ("" for a CIDR). */
static bool
loopback_without_port(const char *pattern, char *form, size_t n)
{
	struct pattern_parsed pp;
	struct ipaddr ip;
	char why[160];

	if (pattern_parse(pattern, PATTERN_ALLOW_GLOBAL, &pp, why,
			  sizeof(why)) == -1 ||
	    pp.port != -1)
		return false;
	snprintf(form, n, pp.h.kind == HOST_IPV6 ? "[%s]:PORT" : "%s:PORT",
		 pp.h.text);
	switch (pp.kind) {
	case PATTERN_CIDR:
		return loopback_ip(&pp.cidr.base, pp.cidr.plen);
	case PATTERN_EXACT:
		if (!pp.is_ip)
			return loopback_name(pp.h.text, pp.h.len);
		memset(&ip, 0, sizeof(ip));
		ip.family = pp.h.kind == HOST_IPV4 ? AF_INET : AF_INET6;
		memcpy(ip.a, pp.h.addr, sizeof(ip.a));
		return loopback_ip(&ip, ip.family == AF_INET ? 32 : 128);
	case PATTERN_SUB:
	case PATTERN_BOTH:
	case PATTERN_MID:
		return loopback_name(pp.h.text, pp.h.len);
	case PATTERN_GLOBAL:
		break;
	}
	return false;
}

int
netpolicy_check_loopback(const struct conf *c,
			 const struct netpolicy_extra *extra,
			 struct errbuf *err)
{
	struct entries user = {0};
	char form[HOST_TEXT_MAX + 16];
	const char *p;
	bool flag;
	size_t i;
	int rc = 0;

	add_conf_list(&user, c,
		      extra != NULL && extra->setup ? KEY_SETUP_ALLOW
						    : KEY_ALLOW);
	if (extra)
		add_extra(&user, extra->allow, extra->n_allow, "--allow");
	for (i = 0; i < user.n; i++) {
		p = user.v[i].pattern;
		if (!loopback_without_port(p, form, sizeof(form)))
			continue;
		rc = -1;
		/* A flag's origin is the flag with the entry already. */
		flag = strncmp(user.v[i].origin, "--allow ", 8) == 0;
		errbuf_add(err, "%s%s%s: inside the sandbox the loopback is the "
			   "command's own; %s%s%s",
			   user.v[i].origin, flag ? "" : ": ", flag ? "" : p,
			   strchr(p, '/') != NULL
				   ? "a service on the host's loopback is "
				     "allowed by its port, one entry each, "
				     "like "
				   : "to reach a service on the host's "
				     "loopback, name its port: ",
			   flag ? "--allow " : "",
			   strchr(p, '/') != NULL ? "127.0.0.1:PORT" : form);
	}
	entries_release(&user);
	return rc;
}

int
netpolicy_check(const struct conf *c, struct errbuf *warn, struct errbuf *err)
{
	struct netpolicy_extra setup = {0};
	struct policy *p = netpolicy_build(c, NULL, warn, err), *ps;

	setup.setup = true;
	ps = netpolicy_build(c, &setup, warn, err);
	policy_free(p);
	policy_free(ps);
	return p == NULL || ps == NULL ? -1 : 0;
}
