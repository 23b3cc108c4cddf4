/* conf_show.c — the effective config as TOML-like text or JSON, in schema
 * order, for `airlock config show`. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf_int.h"
#include "config/conf_rules.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define SHOW_MAX (8 * 1024 * 1024)

static void
add_str(struct buf *b, const char *s)
{
	buf_add_json_string(b, s, strlen(s));
}

static void
add_value(struct buf *b, const struct schema_key *k, const struct conf_val *v)
{
	size_t i;

	switch (k->type) {
	case SCHEMA_BOOL:
		buf_addstr(b, v->b ? "true" : "false");
		break;
	case SCHEMA_INT:
		buf_printf(b, "%lld", (long long)v->i);
		break;
	case SCHEMA_STRV:
	case SCHEMA_PATTERNV:
	case SCHEMA_PATHV:
	case SCHEMA_PATHSET:
		buf_addch(b, '[');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addstr(b, ", ");
			add_str(b, v->v[i]);
		}
		buf_addch(b, ']');
		break;
	case SCHEMA_SOCKMAP:
		buf_addch(b, '{');
		for (i = 0; i < v->n; i++) {
			buf_addstr(b, i > 0 ? ", " : " ");
			add_str(b, v->v[i]);
			buf_addstr(b, " = \"allow\"");
		}
		buf_addstr(b, v->n > 0 ? " }" : "}");
		break;
	case SCHEMA_APPROVAL:
		if (strcmp(v->s, "granular") == 0) {
			buf_addstr(b, "{ granular = { ");
			for (i = 0; schema_granular_flags[i] != NULL; i++)
				buf_printf(b, "%s%s = %s", i ? ", " : "",
					   schema_granular_flags[i],
					   v->gran[i] ? "true" : "false");
			buf_addstr(b, " } }");
			break;
		}
		/* fall through */
	case SCHEMA_STRING:
	case SCHEMA_ENUM:
	case SCHEMA_LISTENER:
	case SCHEMA_UPSTREAM:
	case SCHEMA_PATH:
		add_str(b, v->s);
		break;
	}
}

/* The table part of a dotted key ("" for top-level keys). */
static size_t
table_len(const char *key)
{
	const char *dot = strrchr(key, '.');

	return dot ? (size_t)(dot - key) : 0;
}

static void
show_projects(struct buf *b, const struct conf *c, bool with_origins)
{
	size_t i;

	for (i = 0; i < c->nprojects; i++) {
		const struct conf_project *p = &c->projects[i];

		if (with_origins) {
			buf_addstr(b, "projects.");
			add_str(b, p->path);
			buf_addstr(b, ".trust_level = ");
			add_str(b, p->trust_level);
			buf_printf(b, "  # %s\n", p->origin);
			continue;
		}
		buf_addstr(b, "\n[projects.");
		add_str(b, p->path);
		buf_addstr(b, "]\ntrust_level = ");
		add_str(b, p->trust_level);
		buf_addch(b, '\n');
	}
}

char *
conf_show(const struct conf *c, bool with_origins)
{
	const struct schema_key *keys;
	const char *table = "";
	struct buf b;
	size_t i, n, tl, cur = 0;

	keys = schema_keys(&n);
	buf_init(&b, SHOW_MAX);
	for (i = 0; i < n; i++) {
		const char *key = keys[i].key;

		if (strchr(key, '*') != NULL)
			continue;
		tl = table_len(key);
		if (with_origins) {
			buf_printf(&b, "%s = ", key);
		} else {
			if (tl != cur || strncmp(table, key, tl) != 0) {
				buf_printf(&b, "\n[%.*s]\n", (int)tl, key);
				table = key;
				cur = tl;
			}
			buf_printf(&b, "%s = ", key + (tl ? tl + 1 : 0));
		}
		add_value(&b, &keys[i], &c->vals[i]);
		if (with_origins)
			buf_printf(&b, "  # %s", c->vals[i].origin);
		buf_addch(&b, '\n');
	}
	show_projects(&b, c, with_origins);
	conf_rules_show(&b, c, with_origins);
	return buf_detach(&b, NULL);
}

/* The object at dotted table path key[0..tl) under root, created on
 * demand. */
static json_t *
json_table(json_t *root, const char *key, size_t tl)
{
	const char *p = key, *dot;
	json_t *t = root, *next;
	char *name;

	while (p < key + tl) {
		dot = memchr(p, '.', (size_t)(key + tl - p));
		if (dot == NULL)
			dot = key + tl;
		name = xstrndup(p, (size_t)(dot - p));
		next = json_object_get(t, name);
		if (next == NULL) {
			next = json_object();
			json_object_set_new(t, name, next);
		}
		free(name);
		t = next;
		p = dot + 1;
	}
	return t;
}

static json_t *
json_value(const struct schema_key *k, const struct conf_val *v)
{
	json_t *a, *g;
	size_t i;

	switch (k->type) {
	case SCHEMA_BOOL:
		return json_boolean(v->b);
	case SCHEMA_INT:
		return json_integer((json_int_t)v->i);
	case SCHEMA_STRV:
	case SCHEMA_PATTERNV:
	case SCHEMA_PATHV:
	case SCHEMA_PATHSET:
		a = json_array();
		for (i = 0; i < v->n; i++)
			json_array_append_new(a, json_string(v->v[i]));
		return a;
	case SCHEMA_SOCKMAP:
		a = json_object();
		for (i = 0; i < v->n; i++)
			json_object_set_new(a, v->v[i], json_string("allow"));
		return a;
	case SCHEMA_APPROVAL:
		if (strcmp(v->s, "granular") != 0)
			return json_string(v->s);
		g = json_object();
		for (i = 0; schema_granular_flags[i] != NULL; i++)
			json_object_set_new(g, schema_granular_flags[i],
					    json_boolean(v->gran[i]));
		a = json_object();
		json_object_set_new(a, "granular", g);
		return a;
	case SCHEMA_STRING:
	case SCHEMA_ENUM:
	case SCHEMA_LISTENER:
	case SCHEMA_UPSTREAM:
	case SCHEMA_PATH:
		break;
	}
	return json_string(v->s);
}

char *
conf_json(const struct conf *c)
{
	const struct schema_key *keys;
	json_t *root = json_object(), *t, *projects, *p;
	size_t i, n, tl;
	char *out, *copy;

	keys = schema_keys(&n);
	for (i = 0; i < n; i++) {
		if (strchr(keys[i].key, '*') != NULL)
			continue;
		tl = table_len(keys[i].key);
		t = json_table(root, keys[i].key, tl);
		json_object_set_new(t, keys[i].key + (tl ? tl + 1 : 0),
				    json_value(&keys[i], &c->vals[i]));
	}
	projects = json_object();
	for (i = 0; i < c->nprojects; i++) {
		p = json_object();
		json_object_set_new(p, "trust_level",
				    json_string(c->projects[i].trust_level));
		json_object_set_new(projects, c->projects[i].path, p);
	}
	json_object_set_new(root, "projects", projects);
	conf_rules_json(root, c);
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	copy = xstrdup(out ? out : "{}");
	free(out);
	return copy;
}
