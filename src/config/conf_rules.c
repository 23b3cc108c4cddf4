/* conf_rules.c — reads and validates request rules and request actions,
 * one layer at a time (see conf_rules.h). Layering and cross-checks are
 * in conf_rules_merge.c, output in conf_rules_show.c. */
#include "config/conf_rules_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

#define RT SCHEMA_RULES_TABLE
#define AT SCHEMA_ACTIONS_TABLE

static const char *const rule_keys[] = {
	"host", "methods", "path_prefixes", "query", "headers", "actions",
	NULL};
static const char *const action_keys[] = {
	"strip_request_headers", "inject_request_headers", NULL};
static const char *const inject_keys[] = {
	"name", "prefix", "secret_file", "secret_env_var", NULL};

bool
conf_rules_owns(const char *key)
{
	return strcmp(key, RT) == 0 || strcmp(key, AT) == 0;
}

/* --- query and headers ------------------------------------------------ */

static void
match_release(struct conf_rule_match *m, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(m[i].name);
		for (j = 0; j < m[i].n; j++)
			free(m[i].values[j]);
		free(m[i].values);
	}
	free(m);
}

/* query = { name = [values] } or headers = { name = [values] }. */
static int
read_matches(struct errbuf *err, const struct layer *L, const char *key,
	     const struct toml_value *v, bool headers,
	     struct conf_rule_match **out, size_t *nout)
{
	size_t i;
	int bad = 0;

	if (rules_want_type(err, L, key, v, TOML_TABLE, "a table of arrays"))
		return -1;
	*out = xcalloc(v->u.tab.n + 1, sizeof(**out));
	for (i = 0; i < v->u.tab.n; i++) {
		const struct toml_kv *kv = &v->u.tab.items[i];
		char *fk = xasprintf("%s.%s", key, kv->key);
		struct conf_rule_match *m = &(*out)[*nout];
		char *name = xstrndup(kv->key, kv->keylen);

		if (strlen(kv->key) != kv->keylen || *name == '\0' ||
		    rules_has_ctl(name)) {
			layer_error(err, L, kv->line, fk, "not a valid %s name",
				    headers ? "header" : "parameter");
			bad = 1;
		} else if (headers && !rules_is_token(name)) {
			bad |=
			    rules_bad_value(err, L, kv->line, fk, name,
					    "is not a valid header name") != 0;
		} else if (rules_read_strv(err, L, fk, kv->val, false,
					   rules_check_match_value, &m->values,
					   &m->n) == -1) {
			bad = 1;
		} else {
			if (headers)
				rules_lower(name);
			m->name = name;
			name = NULL;
			(*nout)++;
		}
		if (name != NULL) {
			/* a failed entry: free what read_strv kept */
			size_t j;

			for (j = 0; j < m->n; j++)
				free(m->values[j]);
			free(m->values);
			memset(m, 0, sizeof(*m));
		}
		free(name);
		free(fk);
	}
	return bad ? -1 : 0;
}

/* --- one rule --------------------------------------------------------- */

void
conf_reqrule_release(struct conf_reqrule *r)
{
	size_t i;

	free(r->name);
	free(r->host);
	for (i = 0; i < r->n_methods; i++)
		free(r->methods[i]);
	free(r->methods);
	for (i = 0; i < r->n_paths; i++)
		free(r->paths[i]);
	free(r->paths);
	match_release(r->query, r->n_query);
	match_release(r->headers, r->n_headers);
	for (i = 0; i < r->n_actions; i++)
		free(r->actions[i]);
	free(r->actions);
	free(r->origin);
	free(r->where);
	free(r->host_where);
	memset(r, 0, sizeof(*r));
}

/* Light checks only: the policy normalises the host (policy/host.h) and
 * reports what is left, naming this key's origin. */
static int
read_host(struct conf_reqrule *r, struct errbuf *err, const struct layer *L,
	  const char *key, const struct toml_value *v)
{
	const char *s = rules_want_string(err, L, key, v);

	if (s == NULL)
		return -1;
	if (strchr(s, '*') != NULL)
		return rules_bad_value(
		    err, L, v->line, key, s,
		    "holds a wildcard: a rule names one exact "
		    "host");
	if (strstr(s, "://") != NULL || strchr(s, '/') != NULL)
		return rules_bad_value(
		    err, L, v->line, key, s,
		    "is not a host name (write the host alone, "
		    "no scheme or path)");
	if (*s == '\0' || strchr(s, ' ') != NULL || rules_has_ctl(s))
		return rules_bad_value(err, L, v->line, key, s,
				       "is not a host name");
	free(r->host);
	free(r->host_where);
	r->host = xstrdup(s);
	r->host_where = rules_where(L, v->line, key);
	rules_lower(r->host);
	return 0;
}

static int
rule_key(struct conf_reqrule *r, struct errbuf *err, const struct layer *L,
	 const char *fk, const struct toml_kv *kv)
{
	const char *k = kv->key;

	if (strcmp(k, "host") == 0)
		return read_host(r, err, L, fk, kv->val);
	if (strcmp(k, "methods") == 0)
		return rules_read_strv(err, L, fk, kv->val, true,
				       rules_check_method, &r->methods,
				       &r->n_methods);
	if (strcmp(k, "path_prefixes") == 0)
		return rules_read_strv(err, L, fk, kv->val, true,
				       rules_check_path, &r->paths,
				       &r->n_paths);
	if (strcmp(k, "actions") == 0)
		return rules_read_strv(err, L, fk, kv->val, true,
				       rules_check_action_name, &r->actions,
				       &r->n_actions);
	if (strcmp(k, "query") == 0)
		return read_matches(err, L, fk, kv->val, false, &r->query,
				    &r->n_query);
	if (strcmp(k, "headers") == 0)
		return read_matches(err, L, fk, kv->val, true, &r->headers,
				    &r->n_headers);
	if (strcmp(k, "body") == 0) {
		layer_error(err, L, kv->line, fk,
			    "reserved: request bodies are not matched");
		return -1;
	}
	rules_unknown(err, L, kv->line, fk, rule_keys);
	return -1;
}

static int
parse_rule(struct conf_reqrule *r, struct errbuf *err, const struct layer *L,
	   const char *key, const struct toml_value *t)
{
	static const char *const required[] = {
	    "host", "methods", "path_prefixes", "actions", NULL};
	size_t i;
	int bad = 0;

	for (i = 0; i < t->u.tab.n; i++) {
		const struct toml_kv *kv = &t->u.tab.items[i];
		char *fk = xasprintf("%s.%s", key, kv->key);

		if (strlen(kv->key) != kv->keylen)
			bad |=
			    -1 == rules_bad_value(err, L, kv->line, fk, kv->key,
						  "is not a valid key");
		else
			bad |= rule_key(r, err, L, fk, kv) == -1;
		free(fk);
	}
	for (i = 0; required[i] != NULL; i++) {
		if (toml_get(t, required[i]) != NULL)
			continue;
		layer_error(err, L, t->line, key, "missing required key %s",
			    required[i]);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* --- one action ------------------------------------------------------- */

void
conf_reqaction_release(struct conf_reqaction *a)
{
	size_t i;

	free(a->name);
	for (i = 0; i < a->n_strip; i++)
		free(a->strip[i]);
	free(a->strip);
	for (i = 0; i < a->n_inject; i++) {
		free(a->inject[i].name);
		free(a->inject[i].prefix);
		free(a->inject[i].secret_file);
		free(a->inject[i].secret_env_var);
		free(a->inject[i].where);
	}
	free(a->inject);
	free(a->origin);
	free(a->where);
	memset(a, 0, sizeof(*a));
}

static int
inject_key(struct conf_inject *in, struct errbuf *err, const struct layer *L,
	   const char *fk, const struct toml_kv *kv)
{
	const char *s;
	char *copy;

	if (strcmp(kv->key, "name") != 0 && strcmp(kv->key, "prefix") != 0 &&
	    strcmp(kv->key, "secret_file") != 0 &&
	    strcmp(kv->key, "secret_env_var") != 0) {
		rules_unknown(err, L, kv->line, fk, inject_keys);
		return -1;
	}
	if ((s = rules_want_string(err, L, fk, kv->val)) == NULL)
		return -1;
	copy = xstrdup(s);
	if (strcmp(kv->key, "name") == 0) {
		if (rules_check_header_name(err, L, kv->val->line, fk, copy) ==
		    -1)
			goto bad;
		in->name = copy;
	} else if (strcmp(kv->key, "prefix") == 0) {
		if (rules_has_ctl(copy)) {
			rules_bad_value(err, L, kv->val->line, fk, copy,
					"holds a control character");
			goto bad;
		}
		in->prefix = copy;
	} else if (strcmp(kv->key, "secret_file") == 0) {
		if (copy[0] != '/') {
			rules_bad_value(err, L, kv->val->line, fk, copy,
					"is not an absolute path");
			goto bad;
		}
		in->secret_file = copy;
	} else {
		if (!rules_is_env_name(copy)) {
			rules_bad_value(err, L, kv->val->line, fk, copy,
					"is not an environment variable name");
			goto bad;
		}
		in->secret_env_var = copy;
	}
	return 0;
bad:
	free(copy);
	return -1;
}

static int
parse_inject(struct conf_inject *in, struct errbuf *err, const struct layer *L,
	     const char *key, const struct toml_value *t)
{
	size_t i;
	int bad = 0;

	if (rules_want_type(
		err, L, key, t, TOML_TABLE,
		"a table { name, prefix, secret_file | secret_env_var }"))
		return -1;
	for (i = 0; i < t->u.tab.n; i++) {
		const struct toml_kv *kv = &t->u.tab.items[i];
		char *fk = xasprintf("%s.%s", key, kv->key);

		bad |= inject_key(in, err, L, fk, kv) == -1;
		free(fk);
	}
	if (bad)
		return -1;
	if (in->name == NULL) {
		layer_error(err, L, t->line, key, "missing required key name");
		return -1;
	}
	if ((in->secret_file == NULL) == (in->secret_env_var == NULL)) {
		layer_error(err, L, t->line, key,
			    "needs exactly one of secret_file and "
			    "secret_env_var");
		return -1;
	}
	if (in->prefix == NULL)
		in->prefix = xstrdup("");
	in->where = rules_where(L, t->line, key);
	return 0;
}

static int
read_injects(struct conf_reqaction *a, struct errbuf *err,
	     const struct layer *L, const char *key, const struct toml_value *v)
{
	size_t i, j;
	int bad = 0;

	if (rules_want_type(err, L, key, v, TOML_ARRAY, "an array of tables"))
		return -1;
	a->inject = xcalloc(v->u.arr.n + 1, sizeof(*a->inject));
	for (i = 0; i < v->u.arr.n; i++) {
		char *ik = xasprintf("%s[%zu]", key, i);
		struct conf_inject *in = &a->inject[a->n_inject++];

		if (parse_inject(in, err, L, ik, v->u.arr.items[i]) == -1) {
			bad = 1;
		} else {
			for (j = 0; j + 1 < a->n_inject; j++) {
				if (a->inject[j].name == NULL ||
				    strcmp(a->inject[j].name, in->name) != 0)
					continue;
				layer_error(err, L, v->u.arr.items[i]->line, ik,
					    "header %s is injected twice",
					    in->name);
				bad = 1;
				break;
			}
		}
		free(ik);
	}
	return bad ? -1 : 0;
}

static int
parse_action(struct conf_reqaction *a, struct errbuf *err,
	     const struct layer *L, const char *key, const struct toml_value *t)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < t->u.tab.n; i++) {
		const struct toml_kv *kv = &t->u.tab.items[i];
		char *fk = xasprintf("%s.%s", key, kv->key);

		if (strcmp(kv->key, "strip_request_headers") == 0)
			bad |= rules_read_strv(err, L, fk, kv->val, false,
					       rules_check_header_name,
					       &a->strip, &a->n_strip) == -1;
		else if (strcmp(kv->key, "inject_request_headers") == 0)
			bad |= read_injects(a, err, L, fk, kv->val) == -1;
		else {
			rules_unknown(err, L, kv->line, fk, action_keys);
			bad = 1;
		}
		free(fk);
	}
	if (!bad && a->n_strip == 0 && a->n_inject == 0) {
		layer_error(err, L, t->line, key,
			    "does nothing: give strip_request_headers or "
			    "inject_request_headers");
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* --- setting entries into the conf ------------------------------------ */

static struct conf_rules *
rules_of(struct conf *c)
{
	if (c->rules == NULL)
		c->rules = xcalloc(1, sizeof(*c->rules));
	return c->rules;
}

void
conf_rules_free(struct conf_rules *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrules; i++)
		conf_reqrule_release(&r->rules[i]);
	free(r->rules);
	for (i = 0; i < r->nactions; i++)
		conf_reqaction_release(&r->actions[i]);
	free(r->actions);
	free(r);
}

/* A higher layer's entry replaces the lower one in its place. */
static void
set_rule(struct conf *c, struct conf_reqrule *nr)
{
	struct conf_rules *R = rules_of(c);
	size_t i;

	for (i = 0; i < R->nrules; i++) {
		if (strcmp(R->rules[i].name, nr->name) == 0) {
			conf_reqrule_release(&R->rules[i]);
			R->rules[i] = *nr;
			return;
		}
	}
	R->rules = xreallocarray(R->rules, R->nrules + 1, sizeof(*R->rules));
	R->rules[R->nrules++] = *nr;
}

static void
set_action(struct conf *c, struct conf_reqaction *na)
{
	struct conf_rules *R = rules_of(c);
	size_t i;

	for (i = 0; i < R->nactions; i++) {
		if (strcmp(R->actions[i].name, na->name) == 0) {
			conf_reqaction_release(&R->actions[i]);
			R->actions[i] = *na;
			return;
		}
	}
	R->actions =
	    xreallocarray(R->actions, R->nactions + 1, sizeof(*R->actions));
	R->actions[R->nactions++] = *na;
}

static void
walk_entry(struct conf *c, const struct layer *L, bool rules, const char *key,
	   const struct toml_kv *e, struct errbuf *err)
{
	char *ek = xasprintf("%s.%s", key, e->key);
	struct conf_reqaction a;
	struct conf_reqrule r;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&a, 0, sizeof(a));
	if (!rules_is_name(e->key, e->keylen)) {
		rules_bad_value(
		    err, L, e->line, ek, e->key,
		    rules ? "is not a rule name (letters, digits, _ "
			    "and -)"
			  : "is not an action name (letters, digits, _ "
			    "and -)");
		goto out;
	}
	if (rules_want_type(err, L, ek, e->val, TOML_TABLE, "a table") == -1)
		goto out;
	rc = rules ? parse_rule(&r, err, L, ek, e->val)
		   : parse_action(&a, err, L, ek, e->val);
	if (rc == -1)
		goto out;
	if (rules) {
		r.name = xstrdup(e->key);
		r.origin = layer_origin(L, e->val->line);
		r.where = rules_where(L, e->val->line, ek);
		r.managed = L->kind == LAYER_MANAGED;
		set_rule(c, &r);
		memset(&r, 0, sizeof(r));
	} else {
		a.name = xstrdup(e->key);
		a.origin = layer_origin(L, e->val->line);
		a.where = rules_where(L, e->val->line, ek);
		a.managed = L->kind == LAYER_MANAGED;
		set_action(c, &a);
		memset(&a, 0, sizeof(a));
	}
out:
	conf_reqrule_release(&r);
	conf_reqaction_release(&a);
	free(ek);
}

void
conf_rules_walk(struct conf *c, const struct layer *L, const char *key,
		const struct toml_value *v, struct errbuf *err)
{
	bool rules = strcmp(key, RT) == 0;
	size_t i;

	if (L->kind == LAYER_PROJECT) {
		layer_error(err, L, v->line, key,
			    "not accepted in a project's config: request "
			    "rules and actions (which can send your secrets) "
			    "belong in your user config or the managed one");
		return;
	}
	if (rules_want_type(err, L, key, v, TOML_TABLE,
			    "a table of named tables"))
		return;
	for (i = 0; i < v->u.tab.n; i++)
		walk_entry(c, L, rules, key, &v->u.tab.items[i], err);
}
