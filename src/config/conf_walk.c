/* conf_walk.c — validates one layer's TOML tree against the schema and
 * sets its values into a struct conf. Every problem is reported; a bad
 * value leaves the lower layer's value in place. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf_int.h"
#include "config/conf_rules_int.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

char *
layer_origin(const struct layer *L, int line)
{
	if (L->origin_lines && line > 0)
		return xasprintf("%s:%d", L->origin, line);
	return xstrdup(L->origin);
}

void
layer_error(struct errbuf *err, const struct layer *L, int line,
	    const char *key, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (line > 0 && L->lines)
		errbuf_add(err, "%s:%d: %s: %s", L->label, line, key,
			   msg ? msg : "?");
	else
		errbuf_add(err, "%s: %s: %s", L->label, key, msg ? msg : "?");
	free(msg);
}

/* `string "yes"`, `integer 3`, `table`: what the user wrote, for errors. */
static char *
describe(const struct toml_value *v)
{
	struct buf b;

	buf_init(&b, 256);
	switch (v->type) {
	case TOML_STRING:
		buf_addstr(&b, "string ");
		buf_add_json_string(&b, v->u.str.s,
				    v->u.str.len > 64 ? 64 : v->u.str.len);
		break;
	case TOML_INTEGER:
		buf_printf(&b, "integer %lld", (long long)v->u.i);
		break;
	case TOML_BOOL:
		buf_printf(&b, "boolean %s", v->u.b ? "true" : "false");
		break;
	case TOML_FLOAT:
		buf_printf(&b, "float %g", v->u.f);
		break;
	default:
		buf_addstr(&b, toml_type_name(v->type));
		break;
	}
	return buf_detach(&b, NULL);
}

static void
type_error(struct errbuf *err, const struct layer *L, const char *key,
	   const struct toml_value *v, const char *want)
{
	char *d = describe(v);

	layer_error(err, L, v->line, key, "expected %s, got %s", want, d);
	free(d);
}

static char *
quoted(const char *s)
{
	struct buf b;
	size_t n = strlen(s);

	buf_init(&b, 512);
	buf_add_json_string(&b, s, n > 200 ? 200 : n);
	return buf_detach(&b, NULL);
}

static char *
join_values(const char *const *values)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1024);
	for (i = 0; values[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", values[i]);
	return buf_detach(&b, NULL);
}

static bool
in_values(const char *const *values, const char *s)
{
	size_t i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], s) == 0)
			return true;
	return false;
}

/* A string value, or NULL after reporting why it is not one. */
static const char *
want_string(struct errbuf *err, const struct layer *L, const char *key,
	    const struct toml_value *v)
{
	if (v->type != TOML_STRING) {
		type_error(err, L, key, v, "a string");
		return NULL;
	}
	if (strlen(v->u.str.s) != v->u.str.len) {
		layer_error(err, L, v->line, key, "string contains a NUL byte");
		return NULL;
	}
	return v->u.str.s;
}

static char *
resolve_path(const struct layer *L, const char *p)
{
	if (p[0] == '\0' || p[0] == '/')
		return xstrdup(p);
	return xasprintf("%s/%s", L->dir, p);
}

/* Checks a string-typed value; returns the heap value to store or NULL. */
static char *
check_scalar_string(struct errbuf *err, const struct layer *L,
		    const struct schema_key *k, const char *key,
		    const struct toml_value *v)
{
	const char *s = want_string(err, L, key, v), *why = NULL;
	char *q, *vals;

	if (s == NULL)
		return NULL;
	if (k->type == SCHEMA_ENUM || k->type == SCHEMA_APPROVAL) {
		if (in_values(k->values, s))
			return xstrdup(s);
		q = quoted(s);
		vals = join_values(k->values);
		layer_error(err, L, v->line, key, "%s is not one of %s%s", q,
			    vals,
			    k->type == SCHEMA_APPROVAL ? ", { granular = {...} }"
						       : "");
		free(vals);
		free(q);
		return NULL;
	}
	if (k->type == SCHEMA_LISTENER)
		why = conf_check_listener(s);
	else if (k->type == SCHEMA_UPSTREAM)
		why = conf_check_upstream(s);
	if (why != NULL) {
		q = quoted(s);
		layer_error(err, L, v->line, key, "%s is not a valid %s: %s", q,
			    schema_type_name(k->type), why);
		free(q);
		return NULL;
	}
	if (k->type == SCHEMA_PATH)
		return resolve_path(L, s);
	return xstrdup(s);
}

static void
set_origin(struct conf_val *nv, const struct layer *L, int line)
{
	nv->set = true;
	nv->origin = layer_origin(L, line);
	if (L->kind == LAYER_MANAGED)
		nv->managed = L->lines && line > 0
				      ? xasprintf("%s:%d", L->label, line)
				      : xstrdup(L->label);
}

static bool
is_path_array(const struct schema_key *k)
{
	return k->type == SCHEMA_PATHV || k->type == SCHEMA_PATHSET;
}

static int
check_array(struct conf_val *nv, struct errbuf *err, const struct layer *L,
	    const struct schema_key *k, const char *key,
	    const struct toml_value *v)
{
	size_t i;
	int bad = 0;

	if (v->type != TOML_ARRAY) {
		type_error(err, L, key, v, "an array of strings");
		return -1;
	}
	nv->v = xcalloc(v->u.arr.n + 1, sizeof(*nv->v));
	nv->item_origins = xcalloc(v->u.arr.n + 1, sizeof(char *));
	for (i = 0; i < v->u.arr.n; i++) {
		const struct toml_value *it = v->u.arr.items[i];
		char *ikey = xasprintf("%s[%zu]", key, i);
		const char *s = want_string(err, L, ikey, it);

		if (s != NULL && is_path_array(k) && *s == '\0') {
			layer_error(err, L, it->line, ikey, "empty path");
			s = NULL;
		}
		if (s != NULL && k->type == SCHEMA_PATHSET && s[0] == '~' &&
		    s[1] != '\0' && s[1] != '/') {
			layer_error(err, L, it->line, ikey,
				    "%s: only `~` and `~/...` (the caller's "
				    "home) are understood", s);
			s = NULL;
		}
		free(ikey);
		if (s == NULL) {
			bad = 1;
			continue;
		}
		nv->v[nv->n] = !is_path_array(k) ? xstrdup(s)
			       : s[0] == '~' && k->type == SCHEMA_PATHSET
				       ? xstrdup(s)
				       : resolve_path(L, s);
		nv->item_origins[nv->n++] = layer_origin(L, it->line);
	}
	return bad ? -1 : 0;
}

static int
check_granular(struct conf_val *nv, struct errbuf *err, const struct layer *L,
	       const char *key, const struct toml_value *v)
{
	const struct toml_value *g;
	size_t i, j;
	int bad = 0;

	if (v->u.tab.n != 1 || strcmp(v->u.tab.items[0].key, "granular") != 0 ||
	    (g = v->u.tab.items[0].val)->type != TOML_TABLE) {
		layer_error(err, L, v->line, key,
			    "expected one of untrusted, on-request, never or "
			    "{ granular = { ... } }");
		return -1;
	}
	for (i = 0; i < g->u.tab.n; i++) {
		const struct toml_kv *kv = &g->u.tab.items[i];
		char *fk = xasprintf("%s.granular.%s", key, kv->key);

		for (j = 0; schema_granular_flags[j] != NULL; j++)
			if (strcmp(schema_granular_flags[j], kv->key) == 0)
				break;
		if (schema_granular_flags[j] == NULL) {
			layer_error(err, L, kv->line, fk, "unknown key "
				    "(expected one of sandbox_approval, rules, "
				    "skill_approval, request_permissions, "
				    "mcp_elicitations)");
			bad = 1;
		} else if (kv->val->type != TOML_BOOL) {
			type_error(err, L, fk, kv->val, "a boolean");
			bad = 1;
		} else {
			nv->gran[j] = kv->val->u.b;
		}
		free(fk);
	}
	nv->s = xstrdup("granular");
	return bad ? -1 : 0;
}

/* An additive layer's array joins the value below it: the lower items
 * first, each keeping its origin, then nv's. The value's origin names
 * both layers (`lower + approvals.toml:N`), or nv's alone over a
 * default. */
static void
join_array(struct conf_val *old, struct conf_val *nv)
{
	size_t i, n = old->n + nv->n;
	char **v = xcalloc(n + 1, sizeof(*v));
	char **o = xcalloc(n + 1, sizeof(*o));

	for (i = 0; i < old->n; i++) {
		v[i] = old->v[i];
		o[i] = old->item_origins[i];
	}
	for (i = 0; i < nv->n; i++) {
		v[old->n + i] = nv->v[i];
		o[old->n + i] = nv->item_origins[i];
	}
	free(old->v);
	free(old->item_origins);
	free(nv->v);
	free(nv->item_origins);
	old->v = v;
	old->item_origins = o;
	old->n = n;
	nv->v = nv->item_origins = NULL;
	nv->n = 0;
	if (!old->set) {
		free(old->origin);
		old->origin = nv->origin;
		nv->origin = NULL;
		old->set = true;
	} else {
		char *both = xasprintf("%s + %s", old->origin, nv->origin);

		free(old->origin);
		old->origin = both;
	}
	conf_val_clear(nv);
}

/* SCHEMA_PATHSET: the lower layers' items go first into nv, the new
 * layer's after them, each path once (the first origin kept); a managed
 * layer below stays named in nv->managed. */
static void
join_lower(struct conf_val *nv, const struct conf_val *old)
{
	size_t n = old->n + nv->n, i, j, k = 0;
	char **v = xcalloc(n + 1, sizeof(*v));
	char **o = xcalloc(n + 1, sizeof(*o));

	for (i = 0; i < old->n + nv->n; i++) {
		const char *s = i < old->n ? old->v[i] : nv->v[i - old->n];
		const char *so = i < old->n ? old->item_origins[i]
					    : nv->item_origins[i - old->n];

		for (j = 0; j < k && strcmp(v[j], s) != 0; j++)
			;
		if (j < k)
			continue;
		v[k] = xstrdup(s);
		o[k++] = xstrdup(so);
	}
	for (i = 0; i < nv->n; i++) {
		free(nv->v[i]);
		free(nv->item_origins[i]);
	}
	free(nv->v);
	free(nv->item_origins);
	nv->v = v;
	nv->item_origins = o;
	nv->n = k;
	if (nv->managed == NULL && old->managed != NULL)
		nv->managed = xstrdup(old->managed);
}

/* `{ "/abs/path" = "allow", ... }`: the paths, added to what lower layers
 * listed (the only value is "allow", so a table merge is a union). */
static int
check_sockmap(struct conf_val *nv, const struct conf_val *old,
	      struct errbuf *err, const struct layer *L, const char *key,
	      const struct toml_value *v)
{
	size_t i, j;
	int bad = 0;

	if (v->type != TOML_TABLE) {
		type_error(err, L, key, v, "a table of absolute path = \"allow\"");
		return -1;
	}
	nv->v = xcalloc(old->n + v->u.tab.n + 1, sizeof(*nv->v));
	nv->item_origins = xcalloc(old->n + v->u.tab.n + 1, sizeof(char *));
	for (i = 0; i < old->n; i++) {
		nv->v[nv->n] = xstrdup(old->v[i]);
		nv->item_origins[nv->n++] = xstrdup(old->item_origins[i]);
	}
	for (i = 0; i < v->u.tab.n; i++) {
		const struct toml_kv *kv = &v->u.tab.items[i];
		char *ikey = xasprintf("%s.\"%s\"", key, kv->key);

		if (strlen(kv->key) != kv->keylen || kv->key[0] != '/') {
			layer_error(err, L, kv->line, ikey,
				    "a unix socket path must be absolute");
			bad = 1;
		} else if (kv->val->type != TOML_STRING ||
			   strcmp(kv->val->u.str.s, "allow") != 0) {
			layer_error(err, L, kv->line, ikey,
				    "expected \"allow\" (the only value: "
				    "leave a socket out to keep it "
				    "unreachable)");
			bad = 1;
		} else {
			for (j = 0; j < nv->n; j++)
				if (strcmp(nv->v[j], kv->key) == 0)
					break;
			if (j == nv->n) {
				nv->v[nv->n] = xstrdup(kv->key);
				nv->item_origins[nv->n++] =
					layer_origin(L, kv->line);
			}
		}
		free(ikey);
	}
	return bad ? -1 : 0;
}

/* Validates v for row k; on success replaces the value in c. */
static void
set_value(struct conf *c, const struct layer *L, const struct schema_key *k,
	  const char *key, const struct toml_value *v, struct errbuf *err)
{
	struct conf_val nv;
	int ok = 0;

	memset(&nv, 0, sizeof(nv));
	switch (k->type) {
	case SCHEMA_BOOL:
		if (v->type == TOML_BOOL) {
			nv.b = v->u.b;
			ok = 1;
		} else {
			type_error(err, L, key, v, "a boolean");
		}
		break;
	case SCHEMA_INT:
		if (v->type != TOML_INTEGER)
			type_error(err, L, key, v, "an integer");
		else if (v->u.i < k->min || v->u.i > k->max)
			layer_error(err, L, v->line, key,
				    "%lld is out of range %lld..%lld",
				    (long long)v->u.i, (long long)k->min,
				    (long long)k->max);
		else
			ok = 1;
		nv.i = v->u.i;
		break;
	case SCHEMA_STRV:
	case SCHEMA_PATTERNV:
	case SCHEMA_PATHV:
	case SCHEMA_PATHSET:
		ok = check_array(&nv, err, L, k, key, v) == 0;
		break;
	case SCHEMA_SOCKMAP:
		ok = check_sockmap(&nv, &c->vals[schema_index(k)], err, L, key,
				   v) == 0;
		break;
	case SCHEMA_APPROVAL:
		if (v->type == TOML_TABLE) {
			ok = check_granular(&nv, err, L, key, v) == 0;
			break;
		}
		/* fall through */
	case SCHEMA_STRING:
	case SCHEMA_ENUM:
	case SCHEMA_LISTENER:
	case SCHEMA_UPSTREAM:
	case SCHEMA_PATH:
		nv.s = check_scalar_string(err, L, k, key, v);
		ok = nv.s != NULL;
		break;
	}
	if (!ok) {
		conf_val_clear(&nv);
		return;
	}
	set_origin(&nv, L, v->line);
	if (L->additive) {
		join_array(&c->vals[schema_index(k)], &nv);
		return;
	}
	if (k->type == SCHEMA_PATHSET)
		join_lower(&nv, &c->vals[schema_index(k)]);
	conf_val_clear(&c->vals[schema_index(k)]);
	c->vals[schema_index(k)] = nv;
}

/* What an additive layer may set: the two domain arrays. */
static bool
additive_key_ok(const char *key)
{
	return strcmp(key, "permissions.network.allowed_domains") == 0 ||
	       strcmp(key, "permissions.network.denied_domains") == 0;
}

static void
unknown_key(struct errbuf *err, const struct layer *L, int line,
	    const char *key)
{
	const char *s = schema_suggest(key);

	if (s != NULL)
		layer_error(err, L, line, key,
			    "unknown key (did you mean %s?)", s);
	else
		layer_error(err, L, line, key, "unknown key");
}

static void
set_project(struct conf *c, const struct layer *L, const char *path,
	    const struct toml_value *v)
{
	size_t i;

	for (i = 0; i < c->nprojects; i++)
		if (strcmp(c->projects[i].path, path) == 0)
			break;
	if (i == c->nprojects) {
		c->projects = xreallocarray(c->projects, c->nprojects + 1,
					    sizeof(*c->projects));
		c->projects[i].path = xstrdup(path);
		c->nprojects++;
	} else {
		free((char *)c->projects[i].trust_level);
		free((char *)c->projects[i].origin);
	}
	c->projects[i].trust_level = xstrdup(v->u.str.s);
	c->projects[i].origin = layer_origin(L, v->line);
}

static void
walk_project(struct conf *c, const struct layer *L, const struct toml_kv *p,
	     struct errbuf *err)
{
	const struct schema_key *k = schema_find(SCHEMA_PROJECTS_KEY);
	char *pkey = xasprintf("projects.\"%s\"", p->key);
	size_t i;

	if (strlen(p->key) != p->keylen || p->key[0] != '/') {
		layer_error(err, L, p->line, pkey,
			    "project path must be absolute");
		goto out;
	}
	if (p->val->type != TOML_TABLE) {
		type_error(err, L, pkey, p->val, "a table");
		goto out;
	}
	for (i = 0; i < p->val->u.tab.n; i++) {
		const struct toml_kv *kv = &p->val->u.tab.items[i];
		char *fk = xasprintf("%s.%s", pkey, kv->key);
		char *s = NULL;

		if (strcmp(kv->key, "trust_level") != 0)
			layer_error(err, L, kv->line, fk,
				    "unknown key (did you mean "
				    "projects.\"%s\".trust_level?)", p->key);
		else if ((s = check_scalar_string(err, L, k, fk, kv->val)))
			set_project(c, L, p->key, kv->val);
		free(s);
		free(fk);
	}
out:
	free(pkey);
}

static void
walk_table(struct conf *c, const struct layer *L, const struct toml_value *t,
	   const char *prefix, struct errbuf *err)
{
	size_t i;

	for (i = 0; i < t->u.tab.n; i++) {
		const struct toml_kv *kv = &t->u.tab.items[i];
		char *key = prefix ? xasprintf("%s.%s", prefix, kv->key)
				   : xstrdup(kv->key);
		const struct schema_key *k = schema_find(key);

		if (strlen(kv->key) != kv->keylen) {
			unknown_key(err, L, kv->line, key);
		} else if (L->additive && !additive_key_ok(key) &&
			   strcmp(key, "permissions") != 0 &&
			   strcmp(key, "permissions.network") != 0) {
			layer_error(err, L, kv->line, key,
				    "only permissions.network.allowed_domains "
				    "and denied_domains belong in this file");
		} else if (prefix == NULL && strcmp(key, "projects") == 0) {
			size_t j;

			if (kv->val->type != TOML_TABLE)
				type_error(err, L, key, kv->val, "a table");
			else
				for (j = 0; j < kv->val->u.tab.n; j++)
					walk_project(c, L,
						     &kv->val->u.tab.items[j],
						     err);
		} else if (conf_rules_owns(key)) {
			conf_rules_walk(c, L, key, kv->val, err);
		} else if (k != NULL && strchr(key, '*') == NULL) {
			set_value(c, L, k, key, kv->val, err);
		} else if (schema_is_table(key)) {
			if (kv->val->type == TOML_TABLE)
				walk_table(c, L, kv->val, key, err);
			else
				type_error(err, L, key, kv->val, "a table");
		} else {
			unknown_key(err, L, kv->line, key);
		}
		free(key);
	}
}

void
conf_walk_layer(struct conf *c, const struct layer *L, struct errbuf *err)
{
	if (L->doc != NULL && L->doc->type == TOML_TABLE)
		walk_table(c, L, L->doc, NULL, err);
}
