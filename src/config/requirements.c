/* requirements.c — reads requirements.toml documents into a struct
 * requirements, and checks runtime changes against it. */
#include "config/requirements.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

static const char *const sandbox_modes[] = {
	"read-only", "workspace-write", "danger-full-access", NULL};
static const char *const approvals[] = {
	"untrusted", "on-request", "never", "granular", NULL};
static const char *const web_modes[] = {"disabled", "cached", "live", NULL};
static const char *const net_modes[] = {"limited", "full", NULL};

#define PN "permissions.network."

void
requirements_init(struct requirements *r)
{
	memset(r, 0, sizeof(*r));
}

static void
list_release(struct req_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i]);
		free(l->origins[i]);
	}
	free(l->items);
	free(l->origins);
	free(l->origin);
	memset(l, 0, sizeof(*l));
}

static void
flag_release(struct req_flag *f)
{
	free(f->origin);
	memset(f, 0, sizeof(*f));
}

/* The flags of [permissions.network], by key, for table-driven code. */
static struct req_flag *
flag_of(struct requirements *r, const char *key)
{
	if (strcmp(key, "enabled") == 0)
		return &r->enabled;
	if (strcmp(key, "allowlist_expansion") == 0)
		return &r->allowlist_expansion;
	if (strcmp(key, "managed_allowed_domains_only") == 0)
		return &r->managed_allowed_domains_only;
	if (strcmp(key, "allow_local_binding") == 0)
		return &r->allow_local_binding;
	if (strcmp(key, "allow_upstream_proxy") == 0)
		return &r->allow_upstream_proxy;
	if (strcmp(key, "limited_allow_git_fetch") == 0)
		return &r->limited_allow_git_fetch;
	if (strcmp(key, "dangerously_allow_non_loopback_proxy") == 0)
		return &r->dangerously_allow_non_loopback_proxy;
	if (strcmp(key, "dangerously_allow_non_loopback_admin") == 0)
		return &r->dangerously_allow_non_loopback_admin;
	if (strcmp(key, "dangerously_allow_all_unix_sockets") == 0)
		return &r->dangerously_allow_all_unix_sockets;
	if (strcmp(key, "request_rules_managed_only") == 0)
		return &r->request_rules_managed_only;
	return NULL;
}

void
requirements_release(struct requirements *r)
{
	static const char *const flags[] = {
		"enabled", "allowlist_expansion",
		"managed_allowed_domains_only", "allow_local_binding",
		"allow_upstream_proxy", "dangerously_allow_non_loopback_proxy",
		"dangerously_allow_non_loopback_admin",
		"dangerously_allow_all_unix_sockets",
		"request_rules_managed_only", "limited_allow_git_fetch", NULL};
	size_t i;

	free(r->file);
	list_release(&r->sandbox_modes);
	list_release(&r->approval_policies);
	list_release(&r->web_search_modes);
	list_release(&r->workspace_roots);
	list_release(&r->hidden_paths);
	flag_release(&r->hidden_paths_defaults);
	list_release(&r->allowed_domains);
	list_release(&r->denied_domains);
	for (i = 0; flags[i] != NULL; i++)
		flag_release(flag_of(r, flags[i]));
	free(r->mode);
	free(r->mode_origin);
	flag_release(&r->setup_network_access);
	free(r->setup_mode);
	free(r->setup_mode_origin);
	list_release(&r->setup_allowed_domains);
	memset(r, 0, sizeof(*r));
}

const struct req_flag *
requirements_flag(const struct requirements *r, const char *key)
{
	if (strcmp(key, "sandbox.hidden_paths_defaults") == 0)
		return &r->hidden_paths_defaults;
	if (strncmp(key, PN, strlen(PN)) != 0)
		return NULL;
	return flag_of((struct requirements *)r, key + strlen(PN));
}

bool
req_list_allows(const struct req_list *l, const char *value)
{
	size_t i;

	if (!l->set)
		return true;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i], value) == 0)
			return true;
	return false;
}

static bool
one_of(const char *const *values, const char *s)
{
	size_t i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], s) == 0)
			return true;
	return false;
}

static char *
where(const char *label, int line)
{
	return xasprintf("%s:%d", label, line);
}

/* Reads an array of strings (each one of values[], unless values is NULL)
 * into a fresh list replacing l. */
static int
read_list(struct req_list *l, const struct toml_kv *kv, const char *key,
	  const char *const *values, const char *label, struct errbuf *err)
{
	const struct toml_value *v = kv->val;
	struct req_list nl;
	size_t i;
	int bad = 0;

	if (v->type != TOML_ARRAY) {
		errbuf_add(err, "%s:%d: %s: expected an array of strings, got "
			   "%s", label, v->line, key, toml_type_name(v->type));
		return -1;
	}
	memset(&nl, 0, sizeof(nl));
	nl.items = xcalloc(v->u.arr.n + 1, sizeof(char *));
	nl.origins = xcalloc(v->u.arr.n + 1, sizeof(char *));
	for (i = 0; i < v->u.arr.n; i++) {
		const struct toml_value *it = v->u.arr.items[i];

		if (it->type != TOML_STRING ||
		    strlen(it->u.str.s) != it->u.str.len) {
			errbuf_add(err, "%s:%d: %s[%zu]: expected a string, "
				   "got %s", label, it->line, key, i,
				   toml_type_name(it->type));
			bad = 1;
		} else if (values != NULL && !one_of(values, it->u.str.s)) {
			errbuf_add(err, "%s:%d: %s[%zu]: \"%.64s\" is not a "
				   "valid value", label, it->line, key, i,
				   it->u.str.s);
			bad = 1;
		} else {
			nl.items[nl.n] = xstrdup(it->u.str.s);
			nl.origins[nl.n++] = where(label, it->line);
		}
	}
	nl.set = true;
	nl.origin = where(label, kv->line);
	if (bad) {
		list_release(&nl);
		return -1;
	}
	list_release(l);
	*l = nl;
	return 0;
}

static int
read_flag(struct req_flag *f, const struct toml_kv *kv, const char *key,
	  const char *label, struct errbuf *err)
{
	if (kv->val->type != TOML_BOOL) {
		errbuf_add(err, "%s:%d: %s: expected a boolean, got %s", label,
			   kv->val->line, key, toml_type_name(kv->val->type));
		return -1;
	}
	flag_release(f);
	f->set = true;
	f->value = kv->val->u.b;
	f->origin = where(label, kv->line);
	return 0;
}

/* A `mode` requirement: "limited" or "full", the maximum. */
static int
read_mode(bool *set, char **mode, char **origin, const struct toml_kv *kv,
	  const char *key, const char *label, struct errbuf *err)
{
	if (kv->val->type != TOML_STRING ||
	    !one_of(net_modes, kv->val->u.str.s)) {
		errbuf_add(err, "%s:%d: %s: expected \"limited\" or \"full\"",
			   label, kv->line, key);
		return -1;
	}
	free(*mode);
	free(*origin);
	*set = true;
	*mode = xstrdup(kv->val->u.str.s);
	*origin = where(label, kv->line);
	return 0;
}

static int
read_setup(struct requirements *r, const struct toml_value *t,
	   const char *label, struct errbuf *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < t->u.tab.n; i++) {
		const struct toml_kv *kv = &t->u.tab.items[i];
		char *key = xasprintf("setup.%s", kv->key);

		if (strcmp(kv->key, "network_access") == 0) {
			rc |= read_flag(&r->setup_network_access, kv, key, label,
					err);
		} else if (strcmp(kv->key, "allowed_domains") == 0) {
			rc |= read_list(&r->setup_allowed_domains, kv, key, NULL,
					label, err);
		} else if (strcmp(kv->key, "mode") == 0) {
			rc |= read_mode(&r->setup_mode_set, &r->setup_mode,
					&r->setup_mode_origin, kv, key, label,
					err);
		} else {
			errbuf_add(err, "%s:%d: %s: unknown requirement "
				   "(expected network_access, mode or "
				   "allowed_domains)",
				   label, kv->line, key);
			rc = -1;
		}
		free(key);
	}
	return rc;
}

static int
read_network(struct requirements *r, const struct toml_value *t,
	     const char *label, struct errbuf *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < t->u.tab.n; i++) {
		const struct toml_kv *kv = &t->u.tab.items[i];
		char *key = xasprintf(PN "%s", kv->key);
		struct req_flag *f = flag_of(r, kv->key);

		if (f != NULL) {
			rc |= read_flag(f, kv, key, label, err);
		} else if (strcmp(kv->key, "allowed_domains") == 0) {
			rc |= read_list(&r->allowed_domains, kv, key, NULL,
					label, err);
		} else if (strcmp(kv->key, "denied_domains") == 0) {
			rc |= read_list(&r->denied_domains, kv, key, NULL,
					label, err);
		} else if (strcmp(kv->key, "mode") == 0) {
			rc |= read_mode(&r->mode_set, &r->mode, &r->mode_origin,
					kv, key, label, err);
		} else {
			errbuf_add(err, "%s:%d: %s: unknown requirement", label,
				   kv->line, key);
			rc = -1;
		}
		free(key);
	}
	return rc;
}

/* allowed_workspace_roots: absolute paths, kept as written (they are
 * canonicalised where they are used, as the workspace is). */
static int
read_roots(struct requirements *r, const struct toml_kv *kv,
	   const char *label, struct errbuf *err)
{
	struct req_list nl;
	size_t i;
	int rc = 0;

	memset(&nl, 0, sizeof(nl));
	if (read_list(&nl, kv, kv->key, NULL, label, err) == -1)
		return -1;
	for (i = 0; i < nl.n; i++) {
		if (nl.items[i][0] == '/')
			continue;
		errbuf_add(err, "%s: %s[%zu]: \"%.64s\" is not an absolute "
			   "path", nl.origins[i], kv->key, i, nl.items[i]);
		rc = -1;
	}
	if (rc == 0) {
		list_release(&r->workspace_roots);
		r->workspace_roots = nl;
	} else {
		list_release(&nl);
	}
	return rc;
}

/* [sandbox]: hidden_paths (absolute or `~/...`) and
 * hidden_paths_defaults, which may only be required true (the default
 * list kept in force). */
static int
read_sandbox(struct requirements *r, const struct toml_value *t,
	     const char *label, struct errbuf *err)
{
	struct req_list nl;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < t->u.tab.n; i++) {
		const struct toml_kv *kv = &t->u.tab.items[i];
		char *key = xasprintf("sandbox.%s", kv->key);

		memset(&nl, 0, sizeof(nl));
		if (strcmp(kv->key, "hidden_paths_defaults") == 0) {
			if (read_flag(&r->hidden_paths_defaults, kv, key, label,
				      err) == -1) {
				rc = -1;
			} else if (!r->hidden_paths_defaults.value) {
				errbuf_add(err, "%s:%d: %s: only true can be "
					   "required (it keeps the default "
					   "credential locations hidden)",
					   label, kv->line, key);
				rc = -1;
			}
		} else if (strcmp(kv->key, "hidden_paths") == 0 &&
			   read_list(&nl, kv, key, NULL, label, err) == 0) {
			for (j = 0; j < nl.n; j++) {
				const char *s = nl.items[j];

				if (s[0] == '/' || strcmp(s, "~") == 0 ||
				    strncmp(s, "~/", 2) == 0)
					continue;
				errbuf_add(err, "%s: %s[%zu]: \"%.64s\" is not "
					   "an absolute path (or ~/...)",
					   nl.origins[j], key, j, s);
				rc = -1;
			}
			if (rc == 0) {
				list_release(&r->hidden_paths);
				r->hidden_paths = nl;
				memset(&nl, 0, sizeof(nl));
			}
		} else if (strcmp(kv->key, "hidden_paths") == 0) {
			rc = -1;
		} else {
			errbuf_add(err, "%s:%d: %s: unknown requirement "
				   "(expected hidden_paths or "
				   "hidden_paths_defaults)",
				   label, kv->line, key);
			rc = -1;
		}
		list_release(&nl);
		free(key);
	}
	return rc;
}

static int
read_top(struct requirements *r, const struct toml_kv *kv, const char *label,
	 struct errbuf *err)
{
	const struct toml_value *perm, *net;

	if (strcmp(kv->key, "allowed_sandbox_modes") == 0)
		return read_list(&r->sandbox_modes, kv, kv->key, sandbox_modes,
				 label, err);
	if (strcmp(kv->key, "allowed_approval_policies") == 0)
		return read_list(&r->approval_policies, kv, kv->key, approvals,
				 label, err);
	if (strcmp(kv->key, "allowed_web_search_modes") == 0)
		return read_list(&r->web_search_modes, kv, kv->key, web_modes,
				 label, err);
	if (strcmp(kv->key, "allowed_workspace_roots") == 0)
		return read_roots(r, kv, label, err);
	if (strcmp(kv->key, "sandbox") == 0 && kv->val->type == TOML_TABLE)
		return read_sandbox(r, kv->val, label, err);
	perm = kv->val;
	if (strcmp(kv->key, "setup") == 0 && perm->type == TOML_TABLE)
		return read_setup(r, perm, label, err);
	if (strcmp(kv->key, "permissions") == 0 && perm->type == TOML_TABLE &&
	    perm->u.tab.n == 1 &&
	    strcmp(perm->u.tab.items[0].key, "network") == 0 &&
	    (net = perm->u.tab.items[0].val)->type == TOML_TABLE)
		return read_network(r, net, label, err);
	errbuf_add(err, "%s:%d: %s: unknown requirement (expected "
		   "allowed_sandbox_modes, allowed_approval_policies, "
		   "allowed_web_search_modes, allowed_workspace_roots, "
		   "[sandbox], [permissions.network] or [setup])",
		   label, kv->line, kv->key);
	return -1;
}

int
requirements_merge(struct requirements *r, const struct toml_value *doc,
		   const char *label, struct errbuf *err)
{
	char *file;
	size_t i;
	int rc = 0;

	for (i = 0; i < doc->u.tab.n; i++)
		rc |= read_top(r, &doc->u.tab.items[i], label, err);
	if (r->sandbox_modes.set &&
	    !req_list_allows(&r->sandbox_modes, "read-only")) {
		errbuf_add(err, "%s: allowed_sandbox_modes: must contain "
			   "\"read-only\"", r->sandbox_modes.origin);
		rc = -1;
	}
	if (r->approval_policies.set && r->approval_policies.n == 0) {
		errbuf_add(err, "%s: allowed_approval_policies: must not be "
			   "empty", r->approval_policies.origin);
		rc = -1;
	}
	file = r->file ? xasprintf("%s, %s", r->file, label) : xstrdup(label);
	free(r->file);
	r->file = file;
	return rc ? -1 : 0;
}

/* --- managed values as requirements ---------------------------------- */

static struct req_list *
list_of(struct requirements *r, const char *key)
{
	if (strcmp(key, "sandbox_mode") == 0)
		return &r->sandbox_modes;
	if (strcmp(key, "approval_policy") == 0)
		return &r->approval_policies;
	if (strcmp(key, "web_search") == 0)
		return &r->web_search_modes;
	return NULL;
}

void
requirements_narrow(struct requirements *r, const char *key,
		    const char *const *items, size_t n, const char *origin)
{
	struct req_list *l = list_of(r, key), nl;
	size_t i;

	if (l == NULL || n == 0)
		return;
	for (i = 0; i < n; i++)
		if (!req_list_allows(l, items[i]))
			return;
	memset(&nl, 0, sizeof(nl));
	nl.set = true; /* so that req_list_allows() finds duplicates */
	nl.items = xcalloc(n + 1, sizeof(char *));
	nl.origins = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		if (req_list_allows(&nl, items[i]))
			continue;
		nl.items[nl.n] = xstrdup(items[i]);
		nl.origins[nl.n++] = xstrdup(origin);
	}
	nl.origin = xstrdup(origin);
	list_release(l);
	*l = nl;
}

const char *
requirements_setup_mode(const struct requirements *r, const char **origin)
{
	if (r->setup_mode_set) {
		*origin = r->setup_mode_origin;
		return r->setup_mode;
	}
	*origin = r->mode_origin;
	return r->mode_set ? r->mode : NULL;
}

const struct req_list *
requirements_setup_allowlist(const struct requirements *r)
{
	return r->setup_allowed_domains.set ? &r->setup_allowed_domains
					    : &r->allowed_domains;
}

/* --- runtime changes -------------------------------------------------- */

static int
refuse(struct errbuf *err, const char *key, const char *value,
       const char *allowed, const char *origin)
{
	errbuf_add(err, "invalid value for %s: %s (allowed %s) (%s)", key,
		   value, allowed, origin ? origin : "requirements");
	return -1;
}

static int
check_list(const struct req_list *l, const char *key, const char *value,
	   struct errbuf *err)
{
	struct buf b;
	size_t i;
	int rc;

	if (req_list_allows(l, value))
		return 0;
	buf_init(&b, 64 * 1024);
	for (i = 0; i < l->n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", l->items[i]);
	rc = refuse(err, key, value, b.len ? b.p : "nothing", l->origin);
	buf_release(&b);
	return rc;
}

int
requirements_check_change(const struct requirements *r, const char *key,
			  const char *value, struct errbuf *err)
{
	const struct req_flag *f;

	if (strcmp(key, "sandbox_mode") == 0)
		return check_list(&r->sandbox_modes, key, value, err);
	if (strcmp(key, "approval_policy") == 0)
		return check_list(&r->approval_policies, key, value, err);
	if (strcmp(key, "web_search") == 0)
		return strcmp(value, "disabled") == 0
			       ? 0
			       : check_list(&r->web_search_modes, key, value,
					    err);
	if (strcmp(key, PN "mode") == 0 && r->mode_set &&
	    strcmp(r->mode, "limited") == 0 && strcmp(value, "full") == 0)
		return refuse(err, key, value, "limited or more restrictive",
			      r->mode_origin);
	if (strcmp(key, "setup.sandbox_mode") == 0)
		return check_list(&r->sandbox_modes, key, value, err);
	if (strcmp(key, "setup.mode") == 0) {
		const char *origin, *max = requirements_setup_mode(r, &origin);

		if (max != NULL && strcmp(max, "limited") == 0 &&
		    strcmp(value, "full") == 0)
			return refuse(err, key, value,
				      "limited or more restrictive", origin);
		return 0;
	}
	if (strcmp(key, "setup.network_access") == 0)
		f = &r->setup_network_access;
	else
		f = requirements_flag(r, key);
	if (f == NULL || !f->set)
		return 0;
	if ((strcmp(key, PN "enabled") == 0 ||
	     strcmp(key, "sandbox.hidden_paths_defaults") == 0) &&
	    strcmp(value, f->value ? "true" : "false") != 0)
		return refuse(err, key, value, f->value ? "true" : "false",
			      f->origin);
	if (!f->value && strcmp(value, "true") == 0)
		return refuse(err, key, value, "false", f->origin);
	return 0;
}
