/* app_server_approval.c — approval requests to the app-server's approver
 * clients (app_server_int.h): network/approval for the proxies' approval
 * broker (proxy/approval.h), exec/approval for command/exec, the answers,
 * and the resolved notifications.
 *
 * Every ask is one struct app_ask on the server's list, whatever number
 * of approvers it went to. A network ask lives from the broker's ask() to
 * its resolved(); an exec ask from app_ask_exec() to its answer, its
 * timeout or its asking connection's end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "proxy/approval.h"
#include "server/app_server_int.h"
#include "server/auth.h"
#include "server/rpc.h"

struct app_ask {
	struct app_ask *prev, *next;
	struct app_server *s;
	bool network;
	char id[32];             /* approvalId, and the request's id */
	uint64_t broker_id;      /* network: the broker's id */
	json_t *params;
	struct app_conn *origin; /* exec: the connection that asked to run */
	struct app_conn *answerer; /* while its answer settles the ask */
	uv_timer_t *timer;       /* exec: approval_timeout_ms */
	uint64_t timeout_ms;
	app_exec_answer_fn *done;
	void *arg;
};

static const char *
method_of(const struct app_ask *a)
{
	return a->network ? "network/approval" : "exec/approval";
}

static bool
is_approver(const struct app_conn *c)
{
	return c->initialized && app_conn_can(c, AUTH_SCOPE_APPROVE);
}

static void
send_to(struct app_conn *c, const struct app_ask *a)
{
	app_send_request(c, a->id, method_of(a), json_deep_copy(a->params));
}

static void
broadcast(struct app_ask *a)
{
	struct app_conn *c;

	for (c = a->s->conns; c != NULL; c = c->next)
		if (is_approver(c))
			send_to(c, a);
}

static void
link_ask(struct app_server *s, struct app_ask *a)
{
	a->s = s;
	a->next = s->asks;
	if (s->asks != NULL)
		s->asks->prev = a;
	s->asks = a;
}

static void
unlink_ask(struct app_ask *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		a->s->asks = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	a->prev = a->next = NULL;
}

static void
free_timer(uv_handle_t *h)
{
	free(h);
}

static void
ask_free(struct app_ask *a)
{
	if (a->timer != NULL)
		uv_close((uv_handle_t *)a->timer, free_timer);
	json_decref(a->params);
	free(a);
}

/* `{approvalId, decision, answeredBy}` to every approver but the one
 * whose answer settled it. */
static void
tell_resolved(struct app_ask *a, const char *decision, const char *by)
{
	char method[64];
	struct app_conn *c;

	snprintf(method, sizeof(method), "%s/resolved", method_of(a));
	for (c = a->s->conns; c != NULL; c = c->next) {
		if (!is_approver(c) || c == a->answerer)
			continue;
		app_notify(c, method,
			   json_pack("{s:s,s:s,s:s}", "approvalId", a->id,
				     "decision", decision, "answeredBy", by));
	}
}

static char *
answered_by(const struct app_conn *c)
{
	return xasprintf("app-server client \"%s\"", c->name ? c->name : "?");
}

/* --- network asks: the server is the broker's asker ----------------------- */

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void
net_ask(void *arg, const struct approval_request *rq)
{
	struct app_server *s = arg;
	struct app_ask *a = xcalloc(1, sizeof(*a));

	a->network = true;
	a->broker_id = rq->id;
	snprintf(a->id, sizeof(a->id), "net-%llu", (unsigned long long)rq->id);
	a->params = json_pack("{s:s,s:o,s:s,s:s,s:i,s:o,s:s,s:o,s:o,s:o,s:I}",
			      "approvalId", a->id, "processId",
			      str_or_null(rq->process_id), "protocol",
			      rq->protocol, "host", rq->host, "port", rq->port,
			      "method", str_or_null(rq->method), "reason",
			      rq->reason ? rq->reason : "", "message",
			      str_or_null(rq->message), "command",
			      str_or_null(rq->command), "process",
			      str_or_null(rq->process), "timeoutMs",
			      (json_int_t)rq->timeout_ms);
	link_ask(s, a);
	broadcast(a);
}

static struct app_ask *
find_network(struct app_server *s, uint64_t broker_id)
{
	struct app_ask *a;

	for (a = s->asks; a != NULL; a = a->next)
		if (a->network && a->broker_id == broker_id)
			return a;
	return NULL;
}

static void
net_resolved(void *arg, uint64_t id, enum approval_answer ans,
	     const char *by)
{
	struct app_ask *a = find_network(arg, id);

	if (a == NULL)
		return;
	unlink_ask(a);
	tell_resolved(a, approval_answer_str(ans), by);
	ask_free(a);
}

static const struct approval_asker_ops net_ops = {net_ask, net_resolved};

/* --- exec asks ------------------------------------------------------------ */

static const char *
verdict_str(enum app_exec_verdict v)
{
	switch (v) {
	case APP_EXEC_APPROVED:
		return "approve";
	case APP_EXEC_DENIED:
		return "deny";
	case APP_EXEC_TIMEOUT:
		return "timeout";
	case APP_EXEC_CANCELLED:
		break;
	}
	return "cancelled";
}

static void
settle_exec(struct app_ask *a, enum app_exec_verdict v, const char *by)
{
	unlink_ask(a);
	tell_resolved(a, verdict_str(v), by);
	a->done(a->arg, v, by);
	ask_free(a);
}

static void
on_exec_timeout(uv_timer_t *t)
{
	struct app_ask *a = t->data;
	char by[64];

	snprintf(by, sizeof(by), "no answer within %llu ms",
		 (unsigned long long)a->timeout_ms);
	settle_exec(a, APP_EXEC_TIMEOUT, by);
}

void
app_ask_exec(struct app_conn *origin, json_t *params, uint64_t timeout_ms,
	     app_exec_answer_fn *done, void *arg)
{
	struct app_server *s = origin->s;
	struct app_ask *a = xcalloc(1, sizeof(*a));

	snprintf(a->id, sizeof(a->id), "exec-%llu",
		 (unsigned long long)++s->next_ask);
	json_object_set_new(params, "approvalId", json_string(a->id));
	a->params = params;
	a->origin = origin;
	a->done = done;
	a->arg = arg;
	a->timeout_ms = timeout_ms;
	a->timer = xcalloc(1, sizeof(*a->timer));
	uv_timer_init(s->loop, a->timer);
	a->timer->data = a;
	uv_timer_start(a->timer, on_exec_timeout, timeout_ms, 0);
	link_ask(s, a);
	broadcast(a);
}

/* --- answers -------------------------------------------------------------- */

static struct app_ask *
find_id(struct app_server *s, const char *id)
{
	struct app_ask *a;

	for (a = s->asks; a != NULL; a = a->next)
		if (strcmp(a->id, id) == 0)
			return a;
	return NULL;
}

static void
answer_network(struct app_conn *c, const json_t *rid, struct app_ask *a,
	       const char *decision)
{
	enum approval_answer ans;
	char *by;

	if (approval_answer_parse(decision, &ans) == -1) {
		app_send_error(c, rid, RPC_INVALID_PARAMS,
			       "result.decision must be one of allow_once, "
			       "allow_session, allow_always, deny, "
			       "deny_always");
		return;
	}
	by = answered_by(c);
	a->answerer = c;
	/* net_resolved() frees a. */
	approval_answer(c->s->broker, a->broker_id, ans, by);
	free(by);
}

static void
answer_exec(struct app_conn *c, const json_t *rid, struct app_ask *a,
	    const char *decision)
{
	bool approve = decision != NULL && strcmp(decision, "approve") == 0;
	char *by;

	if (!approve && (decision == NULL || strcmp(decision, "deny") != 0)) {
		app_send_error(c, rid, RPC_INVALID_PARAMS,
			       "result.decision must be approve or deny");
		return;
	}
	by = answered_by(c);
	a->answerer = c;
	settle_exec(a, approve ? APP_EXEC_APPROVED : APP_EXEC_DENIED, by);
	free(by);
}

void
app_approval_response(struct app_conn *c, const struct rpc_msg *m)
{
	const json_t *result = json_object_get(m->root, "result");
	struct app_ask *a;

	if (!c->initialized) {
		app_send_error(c, m->id, RPC_INVALID_REQUEST,
			       RPC_MSG_NOT_INITIALIZED);
		return;
	}
	if (!app_conn_can(c, AUTH_SCOPE_APPROVE)) {
		app_send_error(c, m->id, RPC_INVALID_REQUEST,
			       "approval answers need the approve scope; this "
			       "connection's token does not carry it");
		return;
	}
	/* An answer to an ask already settled (another approver was first,
	 * or it timed out) is dropped: its resolved notification said so.
	 * So is an error response: it is no answer. */
	a = json_is_string(m->id) ? find_id(c->s, json_string_value(m->id))
				  : NULL;
	if (a == NULL || result == NULL)
		return;
	if (!json_is_object(result)) {
		app_send_error(c, m->id, RPC_INVALID_PARAMS,
			       "result must be an object with a decision");
		return;
	}
	if (a->network)
		answer_network(c, m->id, a, json_string_value(json_object_get(
						     result, "decision")));
	else
		answer_exec(c, m->id, a, json_string_value(json_object_get(
						  result, "decision")));
}

/* --- connections and life cycle ------------------------------------------- */

void
app_approval_conn_ready(struct app_conn *c)
{
	struct app_ask *a;

	if (!is_approver(c))
		return;
	for (a = c->s->asks; a != NULL; a = a->next)
		send_to(c, a);
}

void
app_approval_conn_gone(struct app_conn *c)
{
	struct app_ask *a, *next;

	for (a = c->s->asks; a != NULL; a = next) {
		next = a->next;
		if (a->answerer == c)
			a->answerer = NULL;
		if (!a->network && a->origin == c)
			settle_exec(a, APP_EXEC_CANCELLED,
				    "the asking client went away");
	}
}

int
app_approval_init(struct app_server *s)
{
	struct approval_broker_opts o = {0};

	o.home = s->base->home;
	o.wait_for_asker = true;
	s->broker = approval_broker_new(s->loop, &o);
	s->asker = approval_asker_add(s->broker, &net_ops, s);
	return 0;
}

void
app_approval_release(struct app_server *s)
{
	struct app_ask *a;

	if (s->broker == NULL)
		return;
	approval_asker_remove(s->broker, s->asker);
	s->asker = NULL;
	approval_broker_close(s->broker);
	approval_broker_unref(s->broker);
	s->broker = NULL;
	while ((a = s->asks) != NULL) {
		unlink_ask(a);
		if (!a->network)
			a->done(a->arg, APP_EXEC_CANCELLED, "shut down");
		ask_free(a);
	}
}
