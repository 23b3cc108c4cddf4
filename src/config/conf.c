/* conf.c — struct conf: defaults, getters, options, requirement fallbacks.
 * Loading lives in layers.c, per-layer validation in conf_walk.c, output in
 * conf_show.c. */
#include "config/conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/conf_int.h"
#include "config/conf_rules_int.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

void
conf_opts_init(struct conf_opts *o)
{
	const char *e;
	char *cwd;

	memset(o, 0, sizeof(*o));
	e = getenv("AIRLOCK_HOME");
	if (e != NULL && *e != '\0')
		o->home = xstrdup(e);
	else if ((e = getenv("HOME")) != NULL && *e != '\0')
		o->home = xasprintf("%s/.airlock", e);
	else
		o->home = xstrdup("/.airlock");
	e = getenv("AIRLOCK_SYSTEM_DIR");
	o->system_dir = xstrdup(e != NULL && *e != '\0' ? e : "/etc/airlock");
	cwd = getcwd(NULL, 0);
	o->cwd = cwd != NULL ? cwd : xstrdup("/");
}

void
conf_opts_release(struct conf_opts *o)
{
	free(o->home);
	free(o->system_dir);
	free(o->config_file);
	free(o->cwd);
	free(o->overrides);
	memset(o, 0, sizeof(*o));
}

void
conf_opts_set_config(struct conf_opts *o, const char *path)
{
	o->loaded = NULL;
	free(o->config_file);
	o->config_file = xstrdup(path);
}

void
conf_opts_add_override(struct conf_opts *o, const char *kv)
{
	o->loaded = NULL;
	o->overrides = xreallocarray(o->overrides, o->n_overrides + 1,
				     sizeof(*o->overrides));
	o->overrides[o->n_overrides++] = kv;
}

void
conf_val_clear(struct conf_val *v)
{
	size_t i;

	free(v->s);
	for (i = 0; i < v->n; i++) {
		free(v->v[i]);
		free(v->item_origins[i]);
	}
	free(v->v);
	free(v->item_origins);
	free(v->origin);
	free(v->managed);
	memset(v, 0, sizeof(*v));
}

static void
val_default(struct conf_val *v, const struct schema_key *k)
{
	switch (k->type) {
	case SCHEMA_BOOL:
		v->b = strcmp(k->def, "true") == 0;
		break;
	case SCHEMA_INT:
		v->i = strtoll(k->def, NULL, 10);
		break;
	case SCHEMA_STRV:
	case SCHEMA_PATTERNV:
	case SCHEMA_PATHV:
	case SCHEMA_PATHSET:
	case SCHEMA_SOCKMAP:
		break;
	case SCHEMA_STRING:
	case SCHEMA_ENUM:
	case SCHEMA_LISTENER:
	case SCHEMA_UPSTREAM:
	case SCHEMA_PATH:
	case SCHEMA_APPROVAL:
		v->s = xstrdup(k->def);
		break;
	}
	v->origin = xstrdup("default");
}

struct conf *
conf_new_defaults(void)
{
	const struct schema_key *keys;
	struct conf *c;
	size_t i, n;

	keys = schema_keys(&n);
	c = xcalloc(1, sizeof(*c));
	c->refs = 1;
	c->vals = xcalloc(n, sizeof(*c->vals));
	c->nvals = n;
	for (i = 0; i < n; i++)
		val_default(&c->vals[i], &keys[i]);
	requirements_init(&c->req);
	return c;
}

struct conf *
conf_ref(struct conf *c)
{
	c->refs++;
	return c;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL || --c->refs > 0)
		return;
	for (i = 0; i < c->nvals; i++)
		conf_val_clear(&c->vals[i]);
	free(c->vals);
	for (i = 0; i < c->nprojects; i++) {
		free((char *)c->projects[i].path);
		free((char *)c->projects[i].trust_level);
		free((char *)c->projects[i].origin);
	}
	free(c->projects);
	free(c->project_dir);
	requirements_release(&c->req);
	conf_rules_free(c->rules);
	free(c);
}

/* The value of key, checking that the caller asks for a type the key has.
 * Asking for a key outside the schema is a bug in the caller: abort. */
static const struct conf_val *
lookup(const struct conf *c, const char *key, const char *want)
{
	const struct schema_key *k = schema_find(key);
	int ok = 0;

	if (k == NULL || strchr(key, '*') != NULL) {
		fprintf(stderr, "airlock: BUG: config key %s is not in the "
				"schema\n", key);
		abort();
	}
	switch (k->type) {
	case SCHEMA_BOOL: ok = strcmp(want, "bool") == 0; break;
	case SCHEMA_INT: ok = strcmp(want, "int") == 0; break;
	case SCHEMA_STRV:
	case SCHEMA_PATTERNV:
	case SCHEMA_PATHV:
	case SCHEMA_PATHSET: ok = strcmp(want, "strv") == 0; break;
	case SCHEMA_SOCKMAP: ok = strcmp(want, "strv") == 0; break;
	case SCHEMA_STRING:
	case SCHEMA_ENUM:
	case SCHEMA_LISTENER:
	case SCHEMA_UPSTREAM:
	case SCHEMA_PATH:
	case SCHEMA_APPROVAL: ok = strcmp(want, "str") == 0; break;
	}
	if (!ok && strcmp(want, "any") != 0) {
		fprintf(stderr, "airlock: BUG: config key %s is not a %s\n",
			key, want);
		abort();
	}
	return &c->vals[schema_index(k)];
}

struct conf_val *
conf_val_of(struct conf *c, const char *key)
{
	return (struct conf_val *)lookup(c, key, "any");
}

bool
conf_bool(const struct conf *c, const char *key)
{
	return lookup(c, key, "bool")->b;
}

int64_t
conf_int(const struct conf *c, const char *key)
{
	return lookup(c, key, "int")->i;
}

const char *
conf_str(const struct conf *c, const char *key)
{
	return lookup(c, key, "str")->s;
}

size_t
conf_strv(const struct conf *c, const char *key, const char *const **items)
{
	const struct conf_val *v = lookup(c, key, "strv");

	*items = (const char *const *)v->v;
	return v->n;
}

const char *
conf_origin(const struct conf *c, const char *key)
{
	return lookup(c, key, "any")->origin;
}

const char *
conf_item_origin(const struct conf *c, const char *key, size_t i)
{
	const struct conf_val *v = lookup(c, key, "strv");

	if (i >= v->n) {
		fprintf(stderr, "airlock: BUG: %s has no item %zu\n", key, i);
		abort();
	}
	return v->item_origins[i];
}

bool
conf_is_set(const struct conf *c, const char *key)
{
	return lookup(c, key, "any")->set;
}

bool
conf_granular(const struct conf *c, const char *flag)
{
	const struct conf_val *v = lookup(c, "approval_policy", "str");
	size_t i;

	if (strcmp(v->s, "granular") != 0)
		return false;
	for (i = 0; schema_granular_flags[i] != NULL; i++)
		if (strcmp(schema_granular_flags[i], flag) == 0)
			return v->gran[i];
	fprintf(stderr, "airlock: BUG: no granular approval flag %s\n", flag);
	abort();
}

size_t
conf_projects(const struct conf *c, const struct conf_project **out)
{
	*out = c->projects;
	return c->nprojects;
}

const char *
conf_project_dir(const struct conf *c)
{
	return c->project_dir;
}

const struct requirements *
conf_requirements(const struct conf *c)
{
	return &c->req;
}

/* --- requirement fallbacks ------------------------------------------- */

char *
conf_list_text(char *const *items, size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, 64 * 1024);
	buf_addch(&b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(&b, ", ");
		buf_add_json_string(&b, items[i], strlen(items[i]));
	}
	buf_addch(&b, ']');
	return buf_detach(&b, NULL);
}

static char *
list_text(const struct req_list *l)
{
	return conf_list_text(l->items, l->n);
}

/* Replaces the string value of key by required, warning when the user
 * had configured it explicitly. */
static void
fall_back(struct conf *c, const char *key, const char *required,
	  const char *details, const char *origin, struct errbuf *warn)
{
	struct conf_val *v = &c->vals[schema_index(schema_find(key))];

	if (v->set)
		errbuf_add(warn,
			   "Configured value for `%s` is disallowed by "
			   "requirements; falling back to required value %s. "
			   "Details: %s (%s)",
			   key, required, details, origin);
	if (v->s != NULL) {
		free(v->s);
		v->s = xstrdup(required);
		memset(v->gran, 0, sizeof(v->gran));
	} else {
		v->b = strcmp(required, "true") == 0;
	}
	free(v->origin);
	v->origin = xstrdup(origin);
}

static void
apply_list(struct conf *c, const char *key, const struct req_list *l,
	   const char *reqkey, const char *fallback, struct errbuf *warn)
{
	const char *cur = conf_str(c, key);
	char *lt, *details;

	if (!l->set || req_list_allows(l, cur))
		return;
	lt = list_text(l);
	details = xasprintf("%s = %s", reqkey, lt);
	fall_back(c, key, fallback, details, l->origin, warn);
	free(details);
	free(lt);
}

static const char *
web_search_fallback(const struct req_list *l)
{
	if (req_list_allows(l, "cached"))
		return "cached";
	if (req_list_allows(l, "live"))
		return "live";
	return "disabled";
}

static void
apply_pin(struct conf *c, const char *key, const struct req_flag *f,
	  bool pin_true_too, struct errbuf *warn)
{
	char *details;

	if (!f->set || conf_bool(c, key) == f->value)
		return;
	if (f->value && !pin_true_too)
		return;
	details = xasprintf("%s = %s", key, f->value ? "true" : "false");
	fall_back(c, key, f->value ? "true" : "false", details, f->origin,
		  warn);
	free(details);
}

/* The seed: danger-full-access switches web search from cached to live,
 * unless the user chose a mode or requirements forbid live (then their
 * fallback, announced like any other). */
static void
full_access_web_search(struct conf *c, struct errbuf *warn)
{
	struct conf_val *v = conf_val_of(c, "web_search");
	const struct req_list *l = &c->req.web_search_modes;
	const char *to = "live";
	char *lt;

	if (strcmp(conf_str(c, "sandbox_mode"), "danger-full-access") != 0 ||
	    v->set || strcmp(v->s, "cached") != 0)
		return;
	if (!req_list_allows(l, "live")) {
		to = web_search_fallback(l);
		lt = list_text(l);
		errbuf_add(warn,
			   "Value live for `web_search` (the default in "
			   "danger-full-access) is disallowed by requirements; "
			   "falling back to required value %s. Details: "
			   "allowed_web_search_modes = %s (%s)",
			   to, lt, l->origin);
		free(lt);
	}
	free(v->s);
	v->s = xstrdup(to);
	free(v->origin);
	v->origin = xstrdup(strcmp(to, "live") == 0
				    ? "default for danger-full-access"
				    : l->origin);
}

/* The setup phase ([setup] and its fallbacks, requirements.h). */
static void
apply_setup_requirements(struct conf *c, struct errbuf *warn)
{
	struct requirements *r = &c->req;
	const char *origin, *max = requirements_setup_mode(r, &origin);
	char *details;

	apply_list(c, "setup.sandbox_mode", &r->sandbox_modes,
		   "allowed_sandbox_modes", "read-only", warn);
	apply_pin(c, "setup.network_access", &r->setup_network_access, false,
		  warn);
	if (max != NULL && strcmp(max, "limited") == 0 &&
	    strcmp(conf_str(c, "setup.mode"), "full") == 0) {
		details = xasprintf("%s = \"limited\"",
				    r->setup_mode_set ? "setup.mode"
						      : "permissions.network.mode");
		fall_back(c, "setup.mode", "limited", details, origin, warn);
		free(details);
	}
}

/* requirements.toml's [sandbox] hidden_paths join the config's: they
 * show in `config show`, with the requirement file as their origin. */
static void
join_required_paths(struct conf *c, const struct req_list *l)
{
	struct conf_val *v = conf_val_of(c, "sandbox.hidden_paths");
	size_t i, j;

	if (!l->set)
		return;
	for (i = 0; i < l->n; i++) {
		for (j = 0; j < v->n && strcmp(v->v[j], l->items[i]) != 0; j++)
			;
		if (j < v->n)
			continue;
		v->v = xreallocarray(v->v, v->n + 2, sizeof(*v->v));
		v->item_origins = xreallocarray(v->item_origins, v->n + 2,
						sizeof(*v->item_origins));
		v->v[v->n] = xstrdup(l->items[i]);
		v->item_origins[v->n++] = xstrdup(l->origins[i]);
		v->v[v->n] = NULL;
	}
	if (!v->set) {
		free(v->origin);
		v->origin = xstrdup(l->origin);
		v->set = true;
	}
	if (v->managed == NULL)
		v->managed = xstrdup(l->origin);
}

void
conf_apply_requirements(struct conf *c, struct errbuf *warn)
{
	static const char *const pins[] = {
		"permissions.network.allow_local_binding",
		"permissions.network.allow_upstream_proxy",
		"permissions.network.dangerously_allow_non_loopback_proxy",
		"permissions.network.dangerously_allow_non_loopback_admin",
		"permissions.network.dangerously_allow_all_unix_sockets",
		"permissions.network.limited_allow_git_fetch",
		NULL};
	struct requirements *r = &c->req;
	size_t i;

	apply_list(c, "sandbox_mode", &r->sandbox_modes,
		   "allowed_sandbox_modes", "read-only", warn);
	full_access_web_search(c, warn);
	if (r->approval_policies.n > 0)
		apply_list(c, "approval_policy", &r->approval_policies,
			   "allowed_approval_policies",
			   r->approval_policies.items[0], warn);
	if (r->web_search_modes.set &&
	    strcmp(conf_str(c, "web_search"), "disabled") != 0)
		apply_list(c, "web_search", &r->web_search_modes,
			   "allowed_web_search_modes",
			   web_search_fallback(&r->web_search_modes), warn);
	apply_pin(c, "permissions.network.enabled", &r->enabled, true, warn);
	if (r->mode_set && strcmp(r->mode, "limited") == 0 &&
	    strcmp(conf_str(c, "permissions.network.mode"), "full") == 0)
		fall_back(c, "permissions.network.mode", "limited",
			  "permissions.network.mode = \"limited\"",
			  r->mode_origin, warn);
	for (i = 0; pins[i] != NULL; i++)
		apply_pin(c, pins[i], requirements_flag(r, pins[i]), false,
			  warn);
	apply_pin(c, "sandbox.hidden_paths_defaults", &r->hidden_paths_defaults,
		  true, warn);
	join_required_paths(c, &r->hidden_paths);
	apply_setup_requirements(c, warn);
}
