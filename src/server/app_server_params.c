/* app_server_params.c — the params of command/exec, checked and turned
 * into what the sandbox needs, and its output turned into JSON
 * (app_server_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "server/app_server_int.h"
#include "server/rpc.h"

int
exec_read_params(const json_t *p, struct exec_params *x, char *why)
{
	bool net = false;
	json_t *v;
	const char *k;
	size_t i;

	memset(x, 0, sizeof(*x));
	x->network = -1;
	if (rpc_param_strv(p, "command", &x->command, why) == -1)
		return -1;
	if (x->command == NULL || json_array_size(x->command) == 0) {
		snprintf(why, RPC_WHY_MAX, "command must be a non-empty array "
					   "of strings");
		return -1;
	}
	if (rpc_param_strv(p, "setup", &x->setup, why) == -1)
		return -1;
	for (i = 0; i < json_array_size(x->setup); i++)
		if (json_string_length(json_array_get(x->setup, i)) == 0) {
			snprintf(why, RPC_WHY_MAX, "setup must be an array of "
						   "non-empty command lines");
			return -1;
		}
	if (rpc_param_str(p, "cwd", &x->cwd, why) == -1 ||
	    rpc_param_str(p, "sandbox", &x->sandbox, why) == -1 ||
	    rpc_param_str(p, "processId", &x->process_id, why) == -1 ||
	    rpc_param_str(p, "justification", &x->justification, why) == -1 ||
	    rpc_param_bool(p, "stream", &x->stream, why) == -1 ||
	    rpc_param_int(p, "timeoutMs", 1, EXEC_MAX_TIMEOUT_MS,
			  &x->timeout_ms, why) == -1)
		return -1;
	if (json_object_get(p, "network") != NULL &&
	    !json_is_null(json_object_get(p, "network"))) {
		if (rpc_param_bool(p, "network", &net, why) == -1)
			return -1;
		x->network = net;
	}
	if (x->cwd != NULL && x->cwd[0] != '/') {
		snprintf(why, RPC_WHY_MAX, "cwd must be an absolute path");
		return -1;
	}
	x->env = json_object_get(p, "env");
	if (json_is_null(x->env))
		x->env = NULL;
	if (x->env != NULL && !json_is_object(x->env)) {
		snprintf(why, RPC_WHY_MAX, "env must be an object of strings");
		return -1;
	}
	json_object_foreach(x->env, k, v) {
		if (!json_is_string(v) || strchr(k, '=') != NULL || !*k) {
			snprintf(why, RPC_WHY_MAX,
				 "env must be an object of strings");
			return -1;
		}
	}
	return 0;
}

int
exec_check_managed(const struct conf *c, const struct exec_params *x,
		   struct errbuf *err)
{
	if (x->sandbox != NULL &&
	    conf_check_override(c, "sandbox_mode", x->sandbox, err) == -1)
		return -1;
	if (x->network != -1 &&
	    conf_check_override(c, "sandbox_workspace_write.network_access",
				x->network ? "true" : "false", err) == -1)
		return -1;
	if (x->setup != NULL) {
		size_t i, n = json_array_size(x->setup);
		const char **v = xreallocarray(NULL, n + 1, sizeof(*v));
		int rc;

		for (i = 0; i < n; i++)
			v[i] = json_string_value(json_array_get(x->setup, i));
		rc = conf_check_override_list(c, "setup.commands", v, n, err);
		free(v);
		return rc;
	}
	return 0;
}

/* The server's environment with params.env on top. */
char **
exec_build_env(char *const *base, const json_t *env)
{
	size_t n = 0, i, k = 0;
	const char *key;
	json_t *v;
	char **out;

	while (base != NULL && base[n] != NULL)
		n++;
	out = xreallocarray(NULL, n + json_object_size(env) + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		const char *eq = strchr(base[i], '=');
		size_t kl = eq ? (size_t)(eq - base[i]) : strlen(base[i]);
		char name[256];

		snprintf(name, sizeof(name), "%.*s", (int)kl, base[i]);
		if (env == NULL || json_object_get(env, name) == NULL)
			out[k++] = xstrdup(base[i]);
	}
	json_object_foreach((json_t *)env, key, v)
		out[k++] = xasprintf("%s=%s", key, json_string_value(v));
	out[k] = NULL;
	return out;
}

void
exec_free_env(char **env)
{
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* Bytes as a JSON string: invalid UTF-8 sequences become U+FFFD. */
json_t *
exec_text_json(const struct buf *b)
{
	json_t *j = json_stringn(b->p ? b->p : "", b->len);
	struct buf o;
	size_t i = 0;

	if (j != NULL)
		return j;
	buf_init(&o, 4 * b->len + 1);
	while (i < b->len) {
		size_t k;

		for (k = 1; k <= 4 && i + k <= b->len; k++)
			if ((j = json_stringn(b->p + i, k)) != NULL)
				break;
		if (j != NULL) {
			buf_add(&o, b->p + i, k);
			json_decref(j);
			j = NULL;
			i += k;
		} else {
			buf_addstr(&o, "\xef\xbf\xbd");
			i++;
		}
	}
	j = json_stringn(o.p ? o.p : "", o.len);
	buf_release(&o);
	return j;
}
