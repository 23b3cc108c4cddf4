/* app_server_feed.c — what the web console (and any client) needs beyond
 * the approval and policy methods: the `network/decision` live feed,
 * command/list and an approver's command/kill, and the approvals file
 * (approvals/list, approvals/revoke). See app_server_int.h; shapes in
 * doc/app-server.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/approvals.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "server/app_server_int.h"
#include "server/auth.h"
#include "server/rpc.h"

#define FEED_COMMAND_MAX 512 /* bytes of a command line in the feed */

json_t *
app_argv_json(char *const *argv)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

/* --- network/decision ---------------------------------------------------- */

/* Whether any connection would be sent method (so that a busy proxy
 * builds no JSON for nobody). */
static bool
anyone_wants(const struct app_server *s, const char *method)
{
	const struct app_conn *c;

	for (c = s->conns; c != NULL; c = c->next) {
		if (app_conn_wants(c, method))
			return true;
	}
	return false;
}

/* argv joined by spaces, cut at FEED_COMMAND_MAX bytes. */
static json_t *
command_text(char *const *argv)
{
	struct buf b;
	json_t *j;
	size_t i;

	buf_init(&b, FEED_COMMAND_MAX);
	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		if ((i > 0 && buf_addch(&b, ' ') == -1) ||
		    buf_addstr(&b, argv[i]) == -1)
			break;
	}
	/* A cut may split a UTF-8 sequence: json_stringn refuses that, so
	 * the text is then shortened to what is valid. */
	j = json_stringn(b.p ? b.p : "", b.len);
	while (j == NULL && b.len > 0)
		j = json_stringn(b.p, --b.len);
	buf_release(&b);
	return j != NULL ? j : json_string("");
}

static void
set_opt(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, json_string(v));
}

void
app_feed_decision(struct app_server *s, const char *process_id,
		  char *const *argv, const struct audit_event *ev)
{
	bool allow = ev->decision != NULL && strcmp(ev->decision, "allow") == 0;
	json_t *p;

	if (!anyone_wants(s, "network/decision"))
		return;
	p = json_pack("{s:s,s:s?,s:s?,s:i,s:s?,s:o,s:s?,s:o,s:I}", "decision",
		      allow ? "allow" : "deny", "reason", ev->reason, "host",
		      ev->host, "port", (int)ev->port, "protocol",
		      ev->protocol, "method",
		      ev->method ? json_string(ev->method) : json_null(),
		      "processId", process_id, "command", command_text(argv),
		      "timestampMs",
		      (json_int_t)(ev->ts_ms ? ev->ts_ms : audit_now_ms()));
	if (p == NULL)
		return; /* a string that is not UTF-8: nothing to show */
	set_opt(p, "client", ev->client);
	set_opt(p, "source", ev->source);
	set_opt(p, "matched", ev->matched);
	if (ev->approval != NULL) {
		set_opt(p, "approval", ev->approval);
		set_opt(p, "answeredBy", ev->answered_by);
	}
	app_broadcast(s, "network/decision", p);
}

/* --- command/list, command/kill --------------------------------------------- */

void
app_command_list(struct app_conn *c, const json_t *id, const json_t *params)
{
	const struct app_conn *only =
		app_conn_can(c, AUTH_SCOPE_APPROVE) ? NULL : c;

	(void)params;
	app_reply(c, id, json_pack("{s:o}", "commands",
				   app_exec_list(c->s, only)));
}

void
app_command_kill(struct app_conn *c, const json_t *id, const json_t *params)
{
	json_int_t pid = 0;
	char why[RPC_WHY_MAX], *msg;

	if (json_object_get(params, "pid") == NULL) {
		if (!app_conn_can(c, AUTH_SCOPE_EXEC))
			app_reply_scope(c, id, "command/kill", AUTH_SCOPE_EXEC);
		else
			app_exec_kill(c, id, params);
		return;
	}
	if (!app_conn_can(c, AUTH_SCOPE_APPROVE)) {
		app_reply_scope(c, id, "command/kill with a pid",
				AUTH_SCOPE_APPROVE);
		return;
	}
	if (rpc_param_int(params, "pid", 1, INT32_MAX, &pid, why) == -1) {
		app_reply_error(c, id, RPC_INVALID_PARAMS, why);
		return;
	}
	if (app_exec_kill_pid(c->s, pid) == -1) {
		msg = xasprintf("no running command has pid %lld",
				(long long)pid);
		app_reply_error(c, id, RPC_INVALID_PARAMS, msg);
		free(msg);
		return;
	}
	app_reply(c, id, json_object());
}

/* --- approvals/list, approvals/revoke ---------------------------------------- */

static void
add_entries(json_t *a, const char *decision, char **v, const int *line,
	    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:i}", "decision",
						   decision, "entry", v[i],
						   "line", line[i]));
}

void
app_approvals_list(struct app_conn *c, const json_t *id, const json_t *params)
{
	char *path = approvals_path(c->s->base->home);
	struct approvals ap;
	struct errbuf err;
	json_t *a;

	(void)params;
	errbuf_init(&err);
	if (approvals_load(path, &ap, &err) == -1) {
		app_reply_error(c, id, RPC_INTERNAL_ERROR, errbuf_str(&err));
	} else {
		a = json_array();
		add_entries(a, "allow", ap.allow, ap.allow_line, ap.n_allow);
		add_entries(a, "deny", ap.deny, ap.deny_line, ap.n_deny);
		app_reply(c, id, json_pack("{s:s,s:o}", "file", path,
					   "approvals", a));
		approvals_release(&ap);
	}
	errbuf_release(&err);
	free(path);
}

static void
add_revoked(void *arg, const char *entry)
{
	json_array_append_new(arg, json_string(entry));
}

static void
revoke_pattern(struct app_conn *c, const json_t *id, const char *pattern,
       const char *path)
{
	const char *home = c->s->base->home;
	json_t *revoked = json_array();
	struct errbuf err;
	char *msg;

	errbuf_init(&err);
	approvals_revoke(home, pattern, add_revoked, revoked, &err);
	if (err.count > 0) {
		app_reply_error(c, id, RPC_INTERNAL_ERROR, errbuf_str(&err));
		json_decref(revoked);
	} else if (json_array_size(revoked) == 0) {
		msg = xasprintf("no approval for %s in %s", pattern, path);
		app_reply_error(c, id, RPC_INVALID_PARAMS, msg);
		free(msg);
		json_decref(revoked);
	} else {
		/* The running commands' proxies load the file afresh. */
		app_exec_reload(c->s);
		app_reply(c, id, json_pack("{s:o}", "revoked", revoked));
	}
	errbuf_release(&err);
}

void
app_approvals_revoke(struct app_conn *c, const json_t *id,
		     const json_t *params)
{
	const char *pattern = NULL;
	char why[RPC_WHY_MAX], *path;

	if (rpc_param_str(params, "pattern", &pattern, why) == -1 ||
	    pattern == NULL || pattern[0] == '\0') {
		app_reply_error(c, id, RPC_INVALID_PARAMS,
				"pattern must be a host:port or a host");
		return;
	}
	path = approvals_path(c->s->base->home);
	revoke_pattern(c, id, pattern, path);
	free(path);
}
