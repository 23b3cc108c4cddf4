/* conf_managed.c — what the managed layers (managed_config.toml and the
 * managed preferences' config_toml_base64) impose beyond their values:
 * they beat user-level overrides (command-line flags, app-server params),
 * and their sandbox_mode / approval_policy / web_search also act as
 * requirements. See conf.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf_int.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

static const struct conf_val *
val(const struct conf *c, const char *key)
{
	return conf_val_of((struct conf *)c, key);
}

const char *
conf_managed_origin(const struct conf *c, const char *key)
{
	return val(c, key)->managed;
}

/* The effective value of key as text (`false`, `"full"`, `["a", "b"]`),
 * for messages. Heap string. */
static char *
value_text(const struct conf_val *v, const struct schema_key *k)
{
	struct buf b;

	if (k->type == SCHEMA_BOOL)
		return xstrdup(v->b ? "true" : "false");
	if (k->type == SCHEMA_INT)
		return xasprintf("%lld", (long long)v->i);
	if (v->s == NULL) /* the array types */
		return conf_list_text(v->v, v->n);
	buf_init(&b, 4096);
	buf_add_json_string(&b, v->s, strlen(v->s));
	return buf_detach(&b, NULL);
}

/* Whether value asks for what the managed value already is. */
static bool
same_value(const struct conf_val *v, const struct schema_key *k,
	   const char *value)
{
	char buf[32];
	size_t i;

	switch (k->type) {
	case SCHEMA_BOOL:
		return strcmp(value, v->b ? "true" : "false") == 0;
	case SCHEMA_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)v->i);
		return strcmp(value, buf) == 0;
	case SCHEMA_STRV:
	case SCHEMA_PATTERNV:
	case SCHEMA_PATHV:
	case SCHEMA_PATHSET:
	case SCHEMA_SOCKMAP:
		for (i = 0; i < v->n; i++)
			if (strcmp(v->v[i], value) == 0)
				return true;
		return false;
	default:
		return strcmp(v->s, value) == 0;
	}
}

int
conf_check_override(const struct conf *c, const char *key,
		    const char *value, struct errbuf *err)
{
	const struct schema_key *k = schema_find(key);
	const struct conf_val *v = val(c, key);
	char *text;

	if (v->managed == NULL || same_value(v, k, value))
		return 0;
	text = value_text(v, k);
	errbuf_add(err, "%s = %s is set by the managed config %s", key, text,
		   v->managed);
	free(text);
	return -1;
}

int
conf_check_override_list(const struct conf *c, const char *key,
			 const char *const *v, size_t n, struct errbuf *err)
{
	const struct schema_key *k = schema_find(key);
	const struct conf_val *cv = val(c, key);
	char *text;
	size_t i;

	if (cv->managed == NULL)
		return 0;
	for (i = 0; i < n && n == cv->n; i++)
		if (strcmp(cv->v[i], v[i]) != 0)
			break;
	if (n == cv->n && i == n)
		return 0;
	text = value_text(cv, k);
	errbuf_add(err, "%s = %s is set by the managed config %s", key, text,
		   cv->managed);
	free(text);
	return -1;
}

/* The reference reads the managed config's sandbox_mode, approval_policy
 * (and we its web_search) as requirements, so that no runtime change
 * (app-server, admin API) can move them either. */
void
conf_derive_managed_requirements(struct conf *c)
{
	const struct conf_val *v;
	const char *items[2];

	v = val(c, "sandbox_mode");
	if (v->managed != NULL) {
		items[0] = "read-only";
		items[1] = v->s;
		requirements_narrow(&c->req, "sandbox_mode", items, 2,
				    v->managed);
	}
	v = val(c, "approval_policy");
	items[0] = v->s;
	if (v->managed != NULL)
		requirements_narrow(&c->req, "approval_policy", items, 1,
				    v->managed);
	v = val(c, "web_search");
	items[0] = v->s;
	if (v->managed != NULL)
		requirements_narrow(&c->req, "web_search", items, 1,
				    v->managed);
}
