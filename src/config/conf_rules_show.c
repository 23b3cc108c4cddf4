/* conf_rules_show.c — request rules and actions in `airlock config show`
 * (TOML, with origins, JSON). Only what the config holds is shown: file
 * paths and variable names, never a secret (none is ever read here). */
#include <jansson.h>
#include <string.h>

#include "config/conf_rules_int.h"

static void
add_str(struct buf *b, const char *s)
{
	buf_add_json_string(b, s, strlen(s));
}

static void
add_strv(struct buf *b, char *const *v, size_t n)
{
	size_t i;

	buf_addch(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(b, ", ");
		add_str(b, v[i]);
	}
	buf_addch(b, ']');
}

static void
add_matches(struct buf *b, const struct conf_rule_match *m, size_t n)
{
	size_t i;

	buf_addstr(b, "{ ");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(b, ", ");
		add_str(b, m[i].name);
		buf_addstr(b, " = ");
		add_strv(b, m[i].values, m[i].n);
	}
	buf_addstr(b, n ? " }" : "}");
}

static void
add_injects(struct buf *b, const struct conf_inject *in, size_t n)
{
	size_t i;

	buf_addch(b, '[');
	for (i = 0; i < n; i++) {
		buf_addstr(b, i ? ", { name = " : "{ name = ");
		add_str(b, in[i].name);
		buf_addstr(b, ", prefix = ");
		add_str(b, in[i].prefix);
		if (in[i].secret_file != NULL) {
			buf_addstr(b, ", secret_file = ");
			add_str(b, in[i].secret_file);
		} else {
			buf_addstr(b, ", secret_env_var = ");
			add_str(b, in[i].secret_env_var);
		}
		buf_addstr(b, " }");
	}
	buf_addch(b, ']');
}

/* One `key = ` opening: a full dotted key with origins, else a table
 * line's key. */
static void
leaf(struct buf *b, bool with_origins, const char *table, const char *name,
     const char *key)
{
	if (with_origins)
		buf_printf(b, "%s.%s.%s = ", table, name, key);
	else
		buf_printf(b, "%s = ", key);
}

static void
leaf_end(struct buf *b, bool with_origins, const char *origin)
{
	if (with_origins)
		buf_printf(b, "  # %s", origin);
	buf_addch(b, '\n');
}

static void
show_rule(struct buf *b, const struct conf_reqrule *r, bool o)
{
	const char *t = SCHEMA_RULES_TABLE;

	if (!o)
		buf_printf(b, "\n[%s.%s]\n", t, r->name);
	leaf(b, o, t, r->name, "host");
	add_str(b, r->host);
	leaf_end(b, o, r->origin);
	leaf(b, o, t, r->name, "methods");
	add_strv(b, r->methods, r->n_methods);
	leaf_end(b, o, r->origin);
	leaf(b, o, t, r->name, "path_prefixes");
	add_strv(b, r->paths, r->n_paths);
	leaf_end(b, o, r->origin);
	leaf(b, o, t, r->name, "query");
	add_matches(b, r->query, r->n_query);
	leaf_end(b, o, r->origin);
	leaf(b, o, t, r->name, "headers");
	add_matches(b, r->headers, r->n_headers);
	leaf_end(b, o, r->origin);
	leaf(b, o, t, r->name, "actions");
	add_strv(b, r->actions, r->n_actions);
	leaf_end(b, o, r->origin);
}

static void
show_action(struct buf *b, const struct conf_reqaction *a, bool o)
{
	const char *t = SCHEMA_ACTIONS_TABLE;

	if (!o)
		buf_printf(b, "\n[%s.%s]\n", t, a->name);
	leaf(b, o, t, a->name, "strip_request_headers");
	add_strv(b, a->strip, a->n_strip);
	leaf_end(b, o, a->origin);
	leaf(b, o, t, a->name, "inject_request_headers");
	add_injects(b, a->inject, a->n_inject);
	leaf_end(b, o, a->origin);
}

void
conf_rules_show(struct buf *b, const struct conf *c, bool with_origins)
{
	const struct conf_reqaction *a;
	const struct conf_reqrule *r;
	size_t i, n;

	n = conf_request_rules(c, &r);
	for (i = 0; i < n; i++)
		show_rule(b, &r[i], with_origins);
	n = conf_request_actions(c, &a);
	for (i = 0; i < n; i++)
		show_action(b, &a[i], with_origins);
}

/* --- JSON ------------------------------------------------------------- */

static json_t *
json_strv(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
json_matches(const struct conf_rule_match *m, size_t n)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, m[i].name,
				    json_strv(m[i].values, m[i].n));
	return o;
}

static json_t *
json_rule(const struct conf_reqrule *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "host", json_string(r->host));
	json_object_set_new(o, "methods", json_strv(r->methods, r->n_methods));
	json_object_set_new(o, "path_prefixes",
			    json_strv(r->paths, r->n_paths));
	json_object_set_new(o, "query", json_matches(r->query, r->n_query));
	json_object_set_new(o, "headers",
			    json_matches(r->headers, r->n_headers));
	json_object_set_new(o, "actions", json_strv(r->actions, r->n_actions));
	return o;
}

static json_t *
json_action(const struct conf_reqaction *a)
{
	json_t *o = json_object(), *inj = json_array(), *e;
	size_t i;

	for (i = 0; i < a->n_inject; i++) {
		const struct conf_inject *in = &a->inject[i];

		e = json_object();
		json_object_set_new(e, "name", json_string(in->name));
		json_object_set_new(e, "prefix", json_string(in->prefix));
		if (in->secret_file != NULL)
			json_object_set_new(e, "secret_file",
					    json_string(in->secret_file));
		else
			json_object_set_new(e, "secret_env_var",
					    json_string(in->secret_env_var));
		json_array_append_new(inj, e);
	}
	json_object_set_new(o, "strip_request_headers",
			    json_strv(a->strip, a->n_strip));
	json_object_set_new(o, "inject_request_headers", inj);
	return o;
}

/* root.permissions.network, created when missing. */
static json_t *
network_object(json_t *root)
{
	json_t *perm = json_object_get(root, "permissions"), *net;

	if (perm == NULL) {
		perm = json_object();
		json_object_set_new(root, "permissions", perm);
	}
	net = json_object_get(perm, "network");
	if (net == NULL) {
		net = json_object();
		json_object_set_new(perm, "network", net);
	}
	return net;
}

void
conf_rules_json(void *root, const struct conf *c)
{
	json_t *net = network_object(root), *rules = json_object();
	json_t *actions = json_object();
	const struct conf_reqaction *a;
	const struct conf_reqrule *r;
	size_t i, n;

	n = conf_request_rules(c, &r);
	for (i = 0; i < n; i++)
		json_object_set_new(rules, r[i].name, json_rule(&r[i]));
	n = conf_request_actions(c, &a);
	for (i = 0; i < n; i++)
		json_object_set_new(actions, a[i].name, json_action(&a[i]));
	json_object_set_new(net, "request_rules", rules);
	json_object_set_new(net, "request_actions", actions);
}
