/* app_server.c — connections, dispatch and the initialize handshake of
 * the app-server. See app_server.h. */
#include "server/app_server.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "server/app_server_int.h"
#include "server/auth.h"
#include "server/rpc.h"

#define APP_USER_AGENT "airlock/0.1.0"

typedef void app_handler_fn(struct app_conn *c, const json_t *id,
			    const json_t *params);

static void handle_initialize(struct app_conn *c, const json_t *id,
			      const json_t *params);

#define EXEC AUTH_SCOPE_EXEC
#define APPROVE AUTH_SCOPE_APPROVE

/* The method table: every request the server answers, and the role a
 * connection needs for it (server/auth.h): running commands needs exec;
 * changing what commands may do needs approve, so that a client that only
 * runs commands (the agent) cannot widen its own policy. */
static const struct {
	const char *name;
	app_handler_fn *fn;
	unsigned needs;
} methods[] = {
	{"initialize", handle_initialize, 0},
	{"command/exec", app_exec_start, EXEC},
	/* {processId}: exec, the client's own; {pid}: approve, any command
	 * of the server. app_command_kill checks which. */
	{"command/kill", app_command_kill, 0},
	{"command/list", app_command_list, 0},
	{"network/policy/read", app_policy_read, 0},
	{"network/policy/update", app_policy_update, APPROVE},
	{"network/blocked/list", app_blocked_list, 0},
	{"config/read", app_config_read, 0},
	{"approval/policy/read", app_approval_policy_read, 0},
	{"approval/policy/update", app_approval_policy_update, APPROVE},
	{"approvals/list", app_approvals_list, APPROVE},
	{"approvals/revoke", app_approvals_revoke, APPROVE},
};

/* --- sending ------------------------------------------------------------- */

static void
send_owned(struct app_conn *c, char *msg)
{
	c->send(c->arg, msg, strlen(msg));
	free(msg);
}

void
app_send_result(struct app_conn *c, const json_t *id, json_t *result)
{
	send_owned(c, rpc_result(id, result));
}

void
app_send_error(struct app_conn *c, const json_t *id, int code,
	       const char *msg)
{
	send_owned(c, rpc_error(id, code, msg));
}

void
app_send_request(struct app_conn *c, const char *id, const char *method,
		 json_t *params)
{
	json_t *jid = json_string(id);

	send_owned(c, rpc_request(jid, method, params));
	json_decref(jid);
}

bool
app_conn_can(const struct app_conn *c, unsigned scope)
{
	return (c->scope & scope) == scope;
}

void
app_conn_set_scope(struct app_conn *c, unsigned scope)
{
	c->scope = scope;
}

void
app_request_done(struct app_server *s)
{
	if (s->in_flight > 0)
		s->in_flight--;
}

void
app_reply(struct app_conn *c, const json_t *id, json_t *result)
{
	app_send_result(c, id, result);
	app_request_done(c->s);
}

void
app_reply_error(struct app_conn *c, const json_t *id, int code,
		const char *msg)
{
	app_send_error(c, id, code, msg);
	app_request_done(c->s);
}

bool
app_conn_wants(const struct app_conn *c, const char *method)
{
	json_t *v;
	size_t i;

	if (!c->initialized)
		return false;
	json_array_foreach(c->opt_out, i, v) {
		if (strcmp(json_string_value(v), method) == 0)
			return false;
	}
	return true;
}

void
app_notify(struct app_conn *c, const char *method, json_t *params)
{
	if (!app_conn_wants(c, method)) {
		json_decref(params);
		return;
	}
	send_owned(c, rpc_notification(method, params));
}

void
app_broadcast(struct app_server *s, const char *method, json_t *params)
{
	struct app_conn *c, *next;

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		app_notify(c, method, json_incref(params));
	}
	json_decref(params);
}

/* --- initialize ---------------------------------------------------------- */

static int
read_client_info(const json_t *params, char **bad_name)
{
	json_t *info = json_object_get(params, "clientInfo");
	json_t *name = json_object_get(info, "name");

	*bad_name = NULL;
	if (!json_is_object(info) || !json_is_string(name))
		return -1;
	if (strlen(json_string_value(name)) != json_string_length(name) ||
	    !rpc_header_value_ok(json_string_value(name))) {
		*bad_name = rpc_bad_client_name(json_string_value(name));
		return -1;
	}
	return 0;
}

/* capabilities.optOutNotificationMethods: exact names; others ignored. */
static int
read_opt_out(struct app_conn *c, const json_t *params)
{
	json_t *caps = json_object_get(params, "capabilities");
	json_t *list = NULL;
	char why[RPC_WHY_MAX];

	if (caps != NULL && !json_is_null(caps) && !json_is_object(caps))
		return -1;
	if (rpc_param_strv(caps, "optOutNotificationMethods", &list, why) == -1)
		return -1;
	if (list != NULL)
		c->opt_out = json_deep_copy(list);
	return 0;
}

static void
handle_initialize(struct app_conn *c, const json_t *id, const json_t *params)
{
	char *bad = NULL;

	if (c->initialized) {
		app_reply_error(c, id, RPC_INVALID_REQUEST,
				RPC_MSG_ALREADY_INITIALIZED);
		return;
	}
	if (!json_is_object(params) || read_client_info(params, &bad) == -1) {
		app_reply_error(c, id, RPC_INVALID_REQUEST,
				bad != NULL ? bad
					    : "Invalid request: initialize "
					      "needs params.clientInfo.name");
		free(bad);
		return;
	}
	if (read_opt_out(c, params) == -1) {
		app_reply_error(c, id, RPC_INVALID_PARAMS,
				"capabilities.optOutNotificationMethods must "
				"be an array of strings");
		return;
	}
	c->initialized = true;
	c->name = xstrdup(json_string_value(json_object_get(
		json_object_get(params, "clientInfo"), "name")));
	app_reply(c, id,
		  json_pack("{s:s,s:s,s:s,s:s}", "userAgent", APP_USER_AGENT,
			    "airlockHome", c->s->base->home, "platformFamily",
			    "unix", "platformOs", "linux"));
	app_approval_conn_ready(c);
}

/* --- dispatch --------------------------------------------------------------- */

static app_handler_fn *
find_method(const char *name, unsigned *needs)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(methods[i].name, name) == 0) {
			*needs = methods[i].needs;
			return methods[i].fn;
		}
	}
	return NULL;
}

void
app_reply_scope(struct app_conn *c, const json_t *id, const char *method,
		unsigned needs)
{
	char *msg = xasprintf("%s needs the %s scope; this connection's token "
			      "does not carry it",
			      method, needs == EXEC ? "exec" : "approve");

	app_reply_error(c, id, RPC_INVALID_REQUEST, msg);
	free(msg);
}

static void
dispatch(struct app_conn *c, const struct rpc_msg *m)
{
	struct app_server *s = c->s;
	app_handler_fn *fn;
	unsigned needs = 0;

	if (s->in_flight >= s->max_in_flight) {
		app_send_error(c, m->id, RPC_OVERLOADED, RPC_MSG_OVERLOADED);
		return;
	}
	s->in_flight++;
	fn = find_method(m->method, &needs);
	if (fn != handle_initialize && !c->initialized)
		app_reply_error(c, m->id, RPC_INVALID_REQUEST,
				RPC_MSG_NOT_INITIALIZED);
	else if (fn == NULL)
		app_reply_error(c, m->id, RPC_METHOD_NOT_FOUND,
				"Method not found");
	else if (!app_conn_can(c, needs))
		app_reply_scope(c, m->id, m->method, needs);
	else if (m->params != NULL && !json_is_object(m->params) &&
		 !json_is_null(m->params))
		app_reply_error(c, m->id, RPC_INVALID_PARAMS,
				"params must be an object");
	else
		fn(c, m->id, m->params);
}

void
app_conn_message(struct app_conn *c, const char *p, size_t n)
{
	struct rpc_msg m;

	rpc_parse(p, n, &m);
	/* Notifications (`initialized`) and responses need no answer; bad
	 * JSON is ignored, as the reference does. */
	if (m.kind == RPC_REQUEST)
		dispatch(c, &m);
	else if (m.kind == RPC_RESPONSE)
		app_approval_response(c, &m);
	rpc_msg_release(&m);
}

/* --- life cycle -------------------------------------------------------------- */

struct app_conn *
app_conn_new(struct app_server *s, app_send_fn *send, void *arg)
{
	struct app_conn *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->send = send;
	c->arg = arg;
	c->scope = AUTH_SCOPE_ALL;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	return c;
}

/* Ends c's part in the server: its commands are killed, its asks
 * cancelled, and it leaves the list. c->s is NULL afterwards. */
static void
conn_detach(struct app_conn *c)
{
	struct app_server *s = c->s;

	app_exec_drop(s, c);
	app_approval_conn_gone(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	c->s = NULL;
}

void
app_conn_free(struct app_conn *c)
{
	if (c == NULL)
		return;
	if (c->s != NULL)
		conn_detach(c);
	json_decref(c->opt_out);
	free(c->name);
	free(c);
}

struct app_server *
app_server_new(uv_loop_t *loop, const struct app_server_opts *o,
	       struct errbuf *err)
{
	struct app_server *s = xcalloc(1, sizeof(*s));

	s->loop = loop;
	s->base = o->conf;
	s->envp = o->envp;
	s->allow_escalation = o->allow_escalation;
	s->max_in_flight = o->max_in_flight ? o->max_in_flight
					    : APP_SERVER_MAX_IN_FLIGHT;
	audit_ring_init(&s->ring);
	if (app_policy_init(s, err) == -1 || app_approval_init(s) == -1) {
		app_server_free(s);
		return NULL;
	}
	return s;
}

void
app_server_free(struct app_server *s)
{
	if (s == NULL)
		return;
	/* A transport frees its conns, maybe later than now (a WebSocket
	 * client whose close is still under way): the server only lets go of
	 * them, and app_conn_free() of a detached conn just frees it. */
	while (s->conns != NULL)
		conn_detach(s->conns);
	app_exec_drop(s, NULL);
	app_approval_release(s);
	app_policy_release(s);
	audit_ring_release(&s->ring);
	free(s);
}

bool
app_server_busy(const struct app_server *s)
{
	return s->execs != NULL;
}

void
app_alloc_read(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	/* One loop, one thread: every read is consumed before the next. */
	static char chunk[64 * 1024];

	(void)h;
	(void)hint;
	b->base = chunk;
	b->len = sizeof(chunk);
}
