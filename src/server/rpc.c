/* rpc.c — JSON-RPC message codec. See rpc.h. */
#include "server/rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

static bool
id_ok(const json_t *id)
{
	return json_is_integer(id) || json_is_string(id);
}

void
rpc_parse(const char *p, size_t n, struct rpc_msg *m)
{
	json_t *method, *id;

	memset(m, 0, sizeof(*m));
	m->root = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			     NULL);
	if (m->root == NULL || !json_is_object(m->root))
		return;
	method = json_object_get(m->root, "method");
	id = json_object_get(m->root, "id");
	m->params = json_object_get(m->root, "params");
	if (json_is_string(method)) {
		m->method = json_string_value(method);
		if (strlen(m->method) != json_string_length(method))
			return;
		if (id == NULL) {
			m->kind = RPC_NOTIFICATION;
		} else if (id_ok(id)) {
			m->id = id;
			m->kind = RPC_REQUEST;
		}
		return;
	}
	if (method == NULL && id_ok(id) &&
	    (json_object_get(m->root, "result") != NULL ||
	     json_object_get(m->root, "error") != NULL)) {
		m->id = id;
		m->kind = RPC_RESPONSE;
	}
}

void
rpc_msg_release(struct rpc_msg *m)
{
	json_decref(m->root);
	memset(m, 0, sizeof(*m));
}

static char *
dump(json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(doc);
	if (s == NULL)
		abort(); /* only on allocation failure */
	return s;
}

static json_t *
id_copy(const json_t *id)
{
	return id != NULL ? json_deep_copy(id) : json_null();
}

char *
rpc_result(const json_t *id, json_t *result)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "id", id_copy(id));
	json_object_set_new(doc, "result", result != NULL ? result
							  : json_null());
	return dump(doc);
}

char *
rpc_error(const json_t *id, int code, const char *msg)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "id", id_copy(id));
	json_object_set_new(doc, "error", json_pack("{s:i,s:s}", "code", code,
						    "message", msg));
	return dump(doc);
}

char *
rpc_notification(const char *method, json_t *params)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "method", json_string(method));
	if (params != NULL)
		json_object_set_new(doc, "params", params);
	return dump(doc);
}

char *
rpc_request(const json_t *id, const char *method, json_t *params)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "id", id_copy(id));
	json_object_set_new(doc, "method", json_string(method));
	if (params != NULL)
		json_object_set_new(doc, "params", params);
	return dump(doc);
}

bool
rpc_header_value_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return false;
	}
	return true;
}

char *
rpc_bad_client_name(const char *name)
{
	return xasprintf("Invalid clientInfo.name: '%s'. Must be a valid HTTP "
			 "header value.",
			 name);
}

/* The member, or NULL when params has none (JSON null counts as none). */
static json_t *
member(const json_t *params, const char *key)
{
	json_t *v = json_is_object(params)
			    ? json_object_get(params, key)
			    : NULL;

	return json_is_null(v) ? NULL : v;
}

static int
wrong(char *why, const char *key, const char *what)
{
	snprintf(why, RPC_WHY_MAX, "%s must be %s", key, what);
	return -1;
}

int
rpc_param_str(const json_t *params, const char *key, const char **out,
	      char *why)
{
	json_t *v = member(params, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return wrong(why, key, "a string");
	*out = json_string_value(v);
	return 0;
}

int
rpc_param_bool(const json_t *params, const char *key, bool *out, char *why)
{
	json_t *v = member(params, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return wrong(why, key, "a boolean");
	*out = json_is_true(v);
	return 0;
}

int
rpc_param_int(const json_t *params, const char *key, json_int_t lo,
	      json_int_t hi, json_int_t *out, char *why)
{
	json_t *v = member(params, key);
	json_int_t x;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return wrong(why, key, "an integer");
	x = json_integer_value(v);
	if (x < lo || x > hi) {
		snprintf(why, RPC_WHY_MAX, "%s must be between %lld and %lld",
			 key, (long long)lo, (long long)hi);
		return -1;
	}
	*out = x;
	return 0;
}

int
rpc_param_strv(const json_t *params, const char *key, json_t **out,
	       char *why)
{
	json_t *v = member(params, key), *item;
	size_t i;

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return wrong(why, key, "an array of strings");
	json_array_foreach(v, i, item) {
		if (!json_is_string(item) ||
		    strlen(json_string_value(item)) !=
			    json_string_length(item))
			return wrong(why, key, "an array of strings");
	}
	*out = v;
	return 0;
}
