/* proxy_state.c — the proxy's state (proxy_int.h): building one from a
 * loaded config, references, swapping, and reloading. */
#include "proxy/proxy_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/secret.h"
#include "lib/xalloc.h"
#include "policy/netpolicy.h"
#include "policy/reqpolicy.h"
#include "proxy/admin_token.h"

/* --- state --------------------------------------------------------------- */

/* The upstream hop is read from config and, as the reference does, from
 * the proxy process's own environment (HTTPS_PROXY and friends). */
static void
build_upstream(struct proxy_state *s, struct errbuf *warn)
{
	const char *const *np;
	size_t n = conf_strv(s->conf, "network.no_proxy", &np);

	upstream_cfg_build(&s->upstream, s->allow_upstream_proxy,
			   conf_str(s->conf, "network.proxy"), np, n,
			   (const char *const *)environ, warn);
}

/* A process that holds request-rule secrets makes itself non-dumpable
 * (lib/secret.h): no core dump, and its memory and environment are
 * closed to other processes of the same user. It stays so: a reload that
 * drops every rule does not undo it. The sandboxes such a process
 * creates afterwards make themselves dumpable again before they write
 * their id maps (sandbox/apply.c). */
static int
protect_secrets(const struct reqpolicy *rp, struct errbuf *err)
{
	if (!reqpolicy_active(rp) || secret_protect_process() == 0)
		return 0;
	errbuf_add(err, "request rules: cannot make the process "
		   "non-dumpable: %s", strerror(errno));
	return -1;
}

struct proxy_state *
proxy_state_new(struct conf *c, const char *mode, struct errbuf *warn,
		struct errbuf *err)
{
	return proxy_state_new_extra(c, NULL, mode, warn, err);
}

struct proxy_state *
proxy_state_new_extra(struct conf *c, const struct netpolicy_extra *x,
		      const char *mode, struct errbuf *warn, struct errbuf *err)
{
	struct netpolicy_extra extra = {0};
	struct proxy_state *s;
	struct reqpolicy *rp;
	struct policy *pol;

	if (x != NULL)
		extra = *x;
	if (mode != NULL)
		extra.mode = mode;
	pol = netpolicy_build(c, &extra, warn, err);
	rp = pol != NULL ? reqpolicy_build(c, err) : NULL;
	if (rp == NULL || protect_secrets(rp, err) == -1) {
		reqpolicy_free(rp);
		policy_free(pol);
		conf_free(c);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->refs = 1;
	s->conf = c;
	s->policy = pol;
	s->reqpolicy = rp;
	s->enabled = conf_bool(c, "permissions.network.enabled");
	s->limited = strcmp(netpolicy_mode(c, &extra), "limited") == 0;
	s->enable_socks5_udp = conf_bool(c, "permissions.network.enable_socks5_udp");
	s->allow_upstream_proxy =
		conf_bool(c, "permissions.network.allow_upstream_proxy");
	s->allow_local_binding =
		conf_bool(c, "permissions.network.allow_local_binding");
	s->require_sni_match =
		conf_bool(c, "permissions.network.require_sni_match");
	s->header_timeout_ms =
		(uint64_t)conf_int(c, "permissions.network.header_timeout_ms");
	s->keepalive_timeout_ms =
		(uint64_t)conf_int(c, "permissions.network.keepalive_timeout_ms");
	s->connect_timeout_ms =
		(uint64_t)conf_int(c, "permissions.network.connect_timeout_ms");
	s->idle_timeout_ms =
		(uint64_t)conf_int(c, "permissions.network.idle_timeout_ms");
	s->approval_timeout_ms = (uint64_t)conf_int(c, "approval_timeout_ms");
	build_upstream(s, warn);
	return s;
}

struct proxy_state *
proxy_state_ref(struct proxy *p)
{
	p->state->refs++;
	return p->state;
}

void
proxy_state_unref(struct proxy_state *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	upstream_cfg_release(&s->upstream);
	reqpolicy_free(s->reqpolicy);
	policy_free(s->policy);
	conf_free(s->conf);
	free(s);
}

void
proxy_set_state(struct proxy *p, struct proxy_state *s)
{
	struct proxy_state *old = p->state;

	p->state = s;
	proxy_state_unref(old);
}

/* A state from o's config: c when given (owned), else loaded now. */
static struct proxy_state *
state_of(const struct conf_opts *o, struct conf *c,
	 const struct netpolicy_extra *extra, struct errbuf *err)
{
	struct errbuf warn;
	struct proxy_state *s = NULL;

	errbuf_init(&warn);
	if (c == NULL)
		c = conf_load(o, &warn, err);
	if (c != NULL)
		s = proxy_state_new_extra(c, extra, NULL, &warn, err);
	if (warn.count > 0)
		log_warn("%s", errbuf_str(&warn));
	errbuf_release(&warn);
	return s;
}

struct proxy_state *
proxy_state_load(const struct conf_opts *o, const struct netpolicy_extra *extra,
	   struct errbuf *err)
{
	return state_of(o, NULL, extra, err);
}

struct proxy_state *
proxy_state_first(const struct conf_opts *o,
		  const struct netpolicy_extra *extra, struct errbuf *err)
{
	return state_of(o, o->loaded != NULL ? conf_ref(o->loaded) : NULL,
			extra, err);
}

void
proxy_set_admin_token(struct proxy *p, char *tok, size_t len)
{
	if (p->admin_token != NULL) {
		explicit_bzero(p->admin_token, p->admin_token_len);
		free(p->admin_token);
	}
	p->admin_token = tok;
	p->admin_token_len = len;
}

/* The token c names; with none named, the one generated at start (made
 * now if there is none yet). Nothing changes on failure. */
int
proxy_load_admin_token(struct proxy *p, const struct conf *c, struct errbuf *err)
{
	bool generated = false;
	char *tok, *path;
	size_t len;

	if (admin_token_read(c, &tok, &len, err) == -1)
		return -1;
	if (tok == NULL && !p->no_admin) {
		if (p->admin_token_generated)
			return 0;
		if (admin_token_generate(p->conf_opts->home, &tok, &len, &path,
					 err) == -1)
			return -1;
		log_info("admin API: bearer token in %s", path);
		free(path);
		generated = true;
	}
	proxy_set_admin_token(p, tok, len);
	p->admin_token_generated = generated;
	return 0;
}

/* --- what only a restart applies ----------------------------------------- */

#define PN "permissions.network."

/* Read once, when the proxy binds its listeners and opens its log. */
static const struct restart_key {
	const char *key;
	char kind; /* s string, b bool, i integer */
} restart_keys[] = {
	{PN "proxy_url", 's'},
	{PN "admin_url", 's'},
	{PN "socks_url", 's'},
	{PN "enable_socks5", 'b'},
	{PN "dangerously_allow_non_loopback_proxy", 'b'},
	{PN "dangerously_allow_non_loopback_admin", 'b'},
	{PN "dangerously_allow_all_unix_sockets", 'b'},
	{PN "audit_log", 's'},
	{PN "max_connections", 'i'},
};

#define N_RESTART_KEYS (sizeof(restart_keys) / sizeof(restart_keys[0]))

bool
proxy_restart_key(const char *key)
{
	size_t i;

	for (i = 0; i < N_RESTART_KEYS; i++)
		if (strcmp(restart_keys[i].key, key) == 0)
			return true;
	return false;
}

static bool
same_value(const struct conf *a, const struct conf *b,
	   const struct restart_key *k)
{
	switch (k->kind) {
	case 's':
		return strcmp(conf_str(a, k->key), conf_str(b, k->key)) == 0;
	case 'b':
		return conf_bool(a, k->key) == conf_bool(b, k->key);
	default:
		return conf_int(a, k->key) == conf_int(b, k->key);
	}
}

/* Reports (and logs) the keys of next that differ from what is in force. */
static void
report_restart_keys(const struct proxy *p, const struct conf *next,
		    struct proxy_reload_report *r)
{
	const struct conf *now = p->started->conf;
	size_t i;

	for (i = 0; i < N_RESTART_KEYS; i++) {
		if (same_value(now, next, &restart_keys[i]))
			continue;
		log_warn("reload: %s changed: needs restart (the value in "
			 "force is kept until then)", restart_keys[i].key);
		if (r != NULL && r->n < PROXY_RESTART_KEYS_MAX)
			r->needs_restart[r->n++] = restart_keys[i].key;
	}
}

int
proxy_reload(struct proxy *p, struct errbuf *err)
{
	return proxy_reload_report(p, NULL, err);
}

int
proxy_reload_report(struct proxy *p, struct proxy_reload_report *report,
		    struct errbuf *err)
{
	struct proxy_state *s = proxy_state_load(p->conf_opts, p->extra, err);

	if (report != NULL)
		report->n = 0;
	if (s == NULL)
		return -1;
	/* The token file is part of the config: a bad one fails the reload. */
	if (proxy_load_admin_token(p, s->conf, err) == -1) {
		proxy_state_unref(s);
		return -1;
	}
	report_restart_keys(p, s->conf, report);
	proxy_set_state(p, s);
	if (p->log != NULL && audit_log_reopen(p->log, err) == -1)
		log_warn("audit log: %s", errbuf_first(err));
	return 0;
}
