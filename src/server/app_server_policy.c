/* app_server_policy.c — network/policy/read, network/policy/update,
 * approval/policy/read, approval/policy/update, network/blocked/list,
 * config/read and the blocked-request ring.
 *
 * The runtime policy is held as `-c` overrides on a private copy of the
 * server's conf_opts (permissions.network.allowed_domains,
 * .denied_domains, .mode, and approval_policy), so every command's
 * embedded proxy, config/read and the validation of an update all go
 * through the one config loader: an update is validated exactly like
 * config. An accepted update is swapped into the proxies of the commands
 * already running too (app_exec_reload), as a reload does. The runtime
 * lists leave out the approvals file's entries, which that layer adds
 * back on every load (config/approvals.h): so an approval answered
 * "always", or revoked, while the server runs reaches later loads. Known
 * shortcut: managed config layers rank above -c overrides, so a list that
 * managed config sets cannot be changed at run time (the update succeeds
 * but has no effect); policy/read shows the effective lists, which says
 * so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/approvals.h"
#include "config/schema.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "policy/netpolicy.h"
#include "server/app_server_int.h"
#include "server/rpc.h"

#define PN "permissions.network."

/* --- the overrides ---------------------------------------------------------- */

/* `key=["a","b"]`. Patterns with quotes or backslashes cannot be valid,
 * so they are written as an empty string, which validation refuses. */
static char *
list_override(const char *key, const json_t *list)
{
	struct buf b;
	json_t *v;
	size_t i;

	buf_init(&b, 1 << 20);
	buf_printf(&b, "%s=[", key);
	json_array_foreach(list, i, v) {
		const char *p = json_string_value(v);

		buf_printf(&b, "%s\"%s\"", i ? "," : "",
			   strpbrk(p, "\"\\\n\r") ? "" : p);
	}
	buf_addch(&b, ']');
	return buf_detach(&b, NULL);
}

static void
set_overrides(struct app_server *s, const json_t *allowed,
	      const json_t *denied, const char *mode)
{
	size_t i;

	free(s->ov_allow);
	free(s->ov_deny);
	free(s->ov_mode);
	s->ov_allow = list_override(PN "allowed_domains", allowed);
	s->ov_deny = list_override(PN "denied_domains", denied);
	s->ov_mode = mode ? xasprintf(PN "mode=\"%s\"", mode) : NULL;
	free(s->opts.overrides);
	s->opts.overrides = NULL;
	s->opts.n_overrides = 0;
	for (i = 0; i < s->base->n_overrides; i++)
		conf_opts_add_override(&s->opts, s->base->overrides[i]);
	conf_opts_add_override(&s->opts, s->ov_allow);
	conf_opts_add_override(&s->opts, s->ov_deny);
	if (s->ov_mode != NULL)
		conf_opts_add_override(&s->opts, s->ov_mode);
	if (s->ov_approval != NULL)
		conf_opts_add_override(&s->opts, s->ov_approval);
}

static json_t *
strv_json(const struct conf *c, const char *key)
{
	const char *const *items;
	json_t *a = json_array();
	size_t i, n = conf_strv(c, key, &items);

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

/* The items of key that the user's layers set: not the approvals
 * file's, whose layer adds them again on every load. */
static json_t *
user_strv_json(const struct conf *c, const char *key, const char *home)
{
	char *file = approvals_path(home);
	const char *const *items;
	json_t *a = json_array();
	size_t i, n = conf_strv(c, key, &items), fl = strlen(file);

	for (i = 0; i < n; i++) {
		const char *o = conf_item_origin(c, key, i);

		if (strncmp(o, file, fl) == 0 && o[fl] == ':')
			continue;
		json_array_append_new(a, json_string(items[i]));
	}
	free(file);
	return a;
}

struct conf *
app_load_conf(struct app_server *s, struct errbuf *err)
{
	return conf_load(&s->opts, NULL, err);
}

int
app_policy_init(struct app_server *s, struct errbuf *err)
{
	const struct conf_opts *b = s->base;
	struct conf *c;

	s->opts.home = xstrdup(b->home);
	s->opts.system_dir = xstrdup(b->system_dir);
	s->opts.cwd = xstrdup(b->cwd);
	s->opts.config_file = b->config_file ? xstrdup(b->config_file) : NULL;
	s->opts.verbose = b->verbose;
	c = conf_load(b, NULL, err);
	if (c == NULL)
		return -1;
	s->allowed = user_strv_json(c, PN "allowed_domains", b->home);
	s->denied = user_strv_json(c, PN "denied_domains", b->home);
	conf_free(c);
	set_overrides(s, s->allowed, s->denied, NULL);
	return 0;
}

void
app_policy_release(struct app_server *s)
{
	conf_opts_release(&s->opts);
	free(s->ov_allow);
	free(s->ov_deny);
	free(s->ov_mode);
	free(s->ov_approval);
	free(s->mode);
	json_decref(s->allowed);
	json_decref(s->denied);
}

/* --- network/policy/read ---------------------------------------------------- */

static json_t *
req_json(const struct req_list *l)
{
	json_t *a;
	size_t i;

	if (!l->set)
		return json_null();
	a = json_array();
	for (i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->items[i]));
	return a;
}

static json_t *
policy_doc(const struct conf *c)
{
	const struct requirements *r = conf_requirements(c);

	return json_pack(
		"{s:b,s:s,s:o,s:o,s:b,s:{s:o,s:o,s:s?}}", "enabled",
		conf_bool(c, PN "enabled"), "mode", conf_str(c, PN "mode"),
		"allowedDomains", strv_json(c, PN "allowed_domains"),
		"deniedDomains", strv_json(c, PN "denied_domains"),
		"allowLocalBinding", conf_bool(c, PN "allow_local_binding"),
		"requirements", "allowedDomains", req_json(&r->allowed_domains),
		"deniedDomains", req_json(&r->denied_domains), "file", r->file);
}

/* Answers a read method (network/policy, approval/policy) with doc of
 * the config loaded afresh. */
static void
reply_doc(struct app_conn *c, const json_t *id,
	  json_t *(*doc)(const struct conf *))
{
	struct errbuf err;
	struct conf *conf;

	errbuf_init(&err);
	conf = app_load_conf(c->s, &err);
	if (conf == NULL)
		app_reply_error(c, id, RPC_INTERNAL_ERROR, errbuf_str(&err));
	else
		app_reply(c, id, doc(conf));
	conf_free(conf);
	errbuf_release(&err);
}

void
app_policy_read(struct app_conn *c, const json_t *id, const json_t *params)
{
	(void)params;
	reply_doc(c, id, policy_doc);
}

/* --- network/policy/update -------------------------------------------------- */

static bool
holds(const json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static void
add_all(json_t *to, const json_t *from)
{
	json_t *v;
	size_t i;

	json_array_foreach(from, i, v) {
		if (!holds(to, json_string_value(v)))
			json_array_append(to, v);
	}
}

static void
remove_all(json_t *from, const json_t *what)
{
	size_t i = 0;

	while (i < json_array_size(from)) {
		if (holds(what, json_string_value(json_array_get(from, i))))
			json_array_remove(from, i);
		else
			i++;
	}
}

/* A pattern the managed allowlist does not cover, when expansion is off
 * (netpolicy.h): refused here rather than silently dropped. */
static int
check_managed(const struct requirements *r, const json_t *added,
	      struct errbuf *err)
{
	bool only = r->managed_allowed_domains_only.set &&
		    r->managed_allowed_domains_only.value;
	bool expand = r->allowlist_expansion.set && r->allowlist_expansion.value;
	json_t *v;
	size_t i;

	if (!only && (expand || !r->allowed_domains.set))
		return 0;
	json_array_foreach(added, i, v) {
		const char *p = json_string_value(v);
		bool ok = !only && netpolicy_managed_covers(&r->allowed_domains, p);

		if (!ok) {
			errbuf_add(err,
				   "%s: %s: network.allowed_domains constrained "
				   "by managed config (%s)",
				   only ? "managed_allowed_domains_only"
					: "allowed_domains",
				   p, r->allowed_domains.origin
					      ? r->allowed_domains.origin
					      : r->file ? r->file : "requirements");
			return -1;
		}
	}
	return 0;
}

struct update {
	const char *mode;
	json_t *add_allow, *add_deny, *remove_allow, *remove_deny;
};

static int
read_update(const json_t *params, struct update *u, char *why)
{
	memset(u, 0, sizeof(*u));
	if (rpc_param_str(params, "mode", &u->mode, why) == -1 ||
	    rpc_param_strv(params, "addAllowedDomains", &u->add_allow, why) ||
	    rpc_param_strv(params, "addDeniedDomains", &u->add_deny, why) ||
	    rpc_param_strv(params, "removeAllowedDomains", &u->remove_allow,
			   why) ||
	    rpc_param_strv(params, "removeDeniedDomains", &u->remove_deny,
			   why))
		return -1;
	if (u->mode != NULL && strcmp(u->mode, "limited") != 0 &&
	    strcmp(u->mode, "full") != 0) {
		snprintf(why, RPC_WHY_MAX, "mode must be limited or full");
		return -1;
	}
	return 0;
}

/* Validates the proposed state by loading it: 0, or -1 with err and
 * *code set (-32602 for bad patterns, -32600 for requirements). */
static int
validate(struct app_server *s, const struct update *u, struct errbuf *err,
	 int *code)
{
	struct conf *c;
	int rc = -1;

	*code = RPC_INVALID_PARAMS;
	c = app_load_conf(s, err);
	if (c == NULL || netpolicy_check(c, NULL, err) == -1)
		goto out;
	*code = RPC_INVALID_REQUEST;
	if (u->mode != NULL &&
	    requirements_check_change(conf_requirements(c), PN "mode", u->mode,
				      err) == -1)
		goto out;
	if (u->add_allow != NULL &&
	    check_managed(conf_requirements(c), u->add_allow, err) == -1)
		goto out;
	rc = 0;
out:
	conf_free(c);
	return rc;
}

static void
apply_update(struct app_conn *c, const json_t *id, const struct update *u)
{
	struct app_server *s = c->s;
	json_t *allowed = json_deep_copy(s->allowed);
	json_t *denied = json_deep_copy(s->denied);
	const char *mode = u->mode ? u->mode : s->mode;
	struct errbuf err;
	char *msg;
	int code;

	errbuf_init(&err);
	if (u->remove_allow)
		remove_all(allowed, u->remove_allow);
	if (u->add_allow)
		add_all(allowed, u->add_allow);
	if (u->remove_deny)
		remove_all(denied, u->remove_deny);
	if (u->add_deny)
		add_all(denied, u->add_deny);
	set_overrides(s, allowed, denied, mode);
	if (validate(s, u, &err, &code) == -1) {
		set_overrides(s, s->allowed, s->denied, s->mode);
		msg = xasprintf("network policy update refused: %s",
				errbuf_str(&err));
		app_reply_error(c, id, code, msg);
		free(msg);
		json_decref(allowed);
		json_decref(denied);
	} else {
		json_decref(s->allowed);
		json_decref(s->denied);
		s->allowed = allowed;
		s->denied = denied;
		if (u->mode != NULL) {
			free(s->mode);
			s->mode = xstrdup(u->mode);
		}
		app_exec_reload(s);
		app_policy_read(c, id, NULL);
	}
	errbuf_release(&err);
}

void
app_policy_update(struct app_conn *c, const json_t *id,
		  const json_t *params)
{
	char why[RPC_WHY_MAX];
	struct update u;

	if (read_update(params, &u, why) == -1) {
		app_reply_error(c, id, RPC_INVALID_PARAMS, why);
		return;
	}
	apply_update(c, id, &u);
}

/* --- approval/policy/read, approval/policy/update --------------------- */

/* "on-request", or {"granular":{"sandbox_approval":true,...}}. */
static json_t *
approval_json(const struct conf *c)
{
	const char *ap = conf_str(c, "approval_policy");
	json_t *g;
	size_t i;

	if (strcmp(ap, "granular") != 0)
		return json_string(ap);
	g = json_object();
	for (i = 0; schema_granular_flags[i] != NULL; i++)
		json_object_set_new(g, schema_granular_flags[i],
				    json_boolean(conf_granular(
					    c, schema_granular_flags[i])));
	return json_pack("{s:o}", "granular", g);
}

static json_t *
approval_doc(const struct conf *c)
{
	const struct requirements *r = conf_requirements(c);

	return json_pack("{s:o,s:s,s:I,s:{s:o,s:s?}}", "approvalPolicy",
			 approval_json(c), "origin",
			 conf_origin(c, "approval_policy"), "approvalTimeoutMs",
			 (json_int_t)conf_int(c, "approval_timeout_ms"),
			 "requirements", "allowedApprovalPolicies",
			 req_json(&r->approval_policies), "file", r->file);
}

void
app_approval_policy_read(struct app_conn *c, const json_t *id,
			 const json_t *params)
{
	(void)params;
	reply_doc(c, id, approval_doc);
}

/* params.approvalPolicy as a `-c` override (heap), its name in *name
 * ("never", "granular"...); NULL with why when it is no policy. */
static char *
approval_override(const json_t *params, const char **name, char *why)
{
	const json_t *v = json_object_get(params, "approvalPolicy"), *g, *b;
	const char *k;
	struct buf o;

	*name = NULL;
	if (json_is_string(v)) {
		*name = json_string_value(v);
		if (strcmp(*name, "untrusted") == 0 ||
		    strcmp(*name, "on-request") == 0 ||
		    strcmp(*name, "never") == 0)
			return xasprintf("approval_policy=\"%s\"", *name);
	} else if (json_is_object(v) && json_object_size(v) == 1 &&
		   json_is_object(g = json_object_get(v, "granular"))) {
		*name = "granular";
		buf_init(&o, 4096);
		buf_addstr(&o, "approval_policy={granular={");
		json_object_foreach((json_t *)g, k, b) {
			size_t i;

			for (i = 0; schema_granular_flags[i] != NULL; i++)
				if (strcmp(schema_granular_flags[i], k) == 0)
					break;
			if (schema_granular_flags[i] == NULL ||
			    !json_is_boolean(b)) {
				buf_release(&o);
				goto bad;
			}
			buf_printf(&o, "%s%s=%s",
				   o.p[o.len - 1] == '{' ? "" : ",", k,
				   json_is_true(b) ? "true" : "false");
		}
		buf_addstr(&o, "}}");
		return buf_detach(&o, NULL);
	}
bad:
	snprintf(why, RPC_WHY_MAX,
		 "approvalPolicy must be untrusted, on-request, never or "
		 "{\"granular\":{FLAG:bool,...}}");
	return NULL;
}

/* Requirements and managed config bound a runtime change as they bound
 * config: -1 with the refusal in err. */
static int
approval_allowed(struct app_server *s, const char *name, struct errbuf *err)
{
	struct conf *c = app_load_conf(s, err);
	int rc = -1;

	if (c != NULL &&
	    requirements_check_change(conf_requirements(c), "approval_policy",
				      name, err) == 0 &&
	    conf_check_override(c, "approval_policy", name, err) == 0)
		rc = 0;
	conf_free(c);
	return rc;
}

void
app_approval_policy_update(struct app_conn *c, const json_t *id,
			   const json_t *params)
{
	struct app_server *s = c->s;
	char why[RPC_WHY_MAX], *ov, *old, *msg;
	const char *name;
	struct errbuf err;
	struct conf *conf;

	ov = approval_override(params, &name, why);
	if (ov == NULL) {
		app_reply_error(c, id, RPC_INVALID_PARAMS, why);
		return;
	}
	errbuf_init(&err);
	if (approval_allowed(s, name, &err) == -1) {
		msg = xasprintf("approval policy update refused: %s",
				errbuf_str(&err));
		app_reply_error(c, id, RPC_INVALID_REQUEST, msg);
		free(msg);
		free(ov);
		errbuf_release(&err);
		return;
	}
	old = s->ov_approval;
	s->ov_approval = ov;
	set_overrides(s, s->allowed, s->denied, s->mode);
	conf = app_load_conf(s, &err);
	if (conf == NULL) {
		s->ov_approval = old;
		set_overrides(s, s->allowed, s->denied, s->mode);
		free(ov);
		app_reply_error(c, id, RPC_INVALID_PARAMS, errbuf_str(&err));
	} else {
		free(old);
		app_exec_reload(s);
		app_reply(c, id, approval_doc(conf));
	}
	conf_free(conf);
	errbuf_release(&err);
}

/* --- blocked requests -------------------------------------------------------- */

/* An entry; a request a person was asked about (or could not be) adds
 * approval, answeredBy and latencyMs; every entry carries the message a
 * person is shown. */
static json_t *
blocked_json(const struct audit_blocked *b)
{
	json_t *j = json_pack("{s:s,s:i,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:I}",
			      "host", b->host, "port", (int)b->port, "reason",
			      b->reason, "protocol", b->protocol, "method",
			      b->method, "client", b->client, "source",
			      b->source, "mode", b->mode, "timestampMs",
			      (json_int_t)b->ts_ms);
	struct buf msg;

	buf_init(&msg, 1024);
	policy_denied_message(b->reason, b->host, &msg);
	json_object_set_new(j, "message", json_string(msg.p ? msg.p : ""));
	buf_release(&msg);
	if (b->approval != NULL) {
		json_object_set_new(j, "approval", json_string(b->approval));
		json_object_set_new(j, "answeredBy",
				    json_string(b->answered_by ? b->answered_by
							       : ""));
		json_object_set_new(j, "latencyMs",
				    json_integer((json_int_t)b->latency_ms));
	}
	return j;
}

void
app_policy_blocked(struct app_server *s, const struct audit_event *ev)
{
	struct audit_event copy = *ev;
	unsigned n;

	if (copy.ts_ms == 0)
		copy.ts_ms = audit_now_ms();
	audit_ring_record(&s->ring, &copy);
	n = audit_ring_count(&s->ring);
	app_broadcast(s, "network/blocked",
		      blocked_json(audit_ring_get(&s->ring, n - 1)));
}

void
app_blocked_list(struct app_conn *c, const json_t *id, const json_t *params)
{
	const struct audit_ring *r = &c->s->ring;
	json_int_t limit = AUDIT_BLOCKED_MAX;
	char why[RPC_WHY_MAX];
	unsigned n = audit_ring_count(r), i;
	json_t *a;

	if (rpc_param_int(params, "limit", 0, AUDIT_BLOCKED_MAX, &limit,
			  why) == -1) {
		app_reply_error(c, id, RPC_INVALID_PARAMS, why);
		return;
	}
	a = json_array();
	for (i = n > (unsigned)limit ? n - (unsigned)limit : 0; i < n; i++)
		json_array_append_new(a, blocked_json(audit_ring_get(r, i)));
	app_reply(c, id, json_pack("{s:o,s:I}", "blocked", a, "total",
				   (json_int_t)r->total));
}

/* --- config/read ------------------------------------------------------------- */

void
app_config_read(struct app_conn *c, const json_t *id, const json_t *params)
{
	const struct schema_key *keys;
	struct errbuf err;
	struct conf *conf;
	json_t *config, *origins;
	size_t i, n;
	char *text;

	(void)params;
	errbuf_init(&err);
	conf = app_load_conf(c->s, &err);
	if (conf == NULL) {
		app_reply_error(c, id, RPC_INTERNAL_ERROR, errbuf_str(&err));
		errbuf_release(&err);
		return;
	}
	text = conf_json(conf);
	config = json_loads(text, 0, NULL);
	origins = json_object();
	keys = schema_keys(&n);
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].key, SCHEMA_PROJECTS_KEY) != 0)
			json_object_set_new(origins, keys[i].key,
					    json_string(conf_origin(conf,
								    keys[i].key)));
	app_reply(c, id, json_pack("{s:o,s:o}", "config",
				   config ? config : json_object(), "origins",
				   origins));
	free(text);
	conf_free(conf);
	errbuf_release(&err);
}
