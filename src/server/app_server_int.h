/* app_server_int.h — what the app-server's files share (app_server.c:
 * connections, dispatch, initialize; app_server_exec.c: command/exec and
 * command/kill; app_server_exec_prep.c: what a command/exec runs, from
 * its params; app_server_escalate.c: what command/exec needs approved;
 * app_server_approval.c: approval requests to approver clients;
 * app_server_policy.c: the network and approval policy methods and
 * config/read; app_server_feed.c: network/decision, command/list, an
 * approver's command/kill, approvals/list|revoke). Not for use outside
 * src/server/.
 *
 * Every handler gets the request's id and params. It answers either at
 * once (app_reply / app_reply_error, which also end the request's
 * in-flight count) or later (exec): then it keeps a copy of the id and
 * calls app_request_done() when it answers or gives up. */
#ifndef AIRLOCK_APP_SERVER_INT_H
#define AIRLOCK_APP_SERVER_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/conf.h"
#include "proxy/audit.h"
#include "sandbox/plan.h"
#include "sandbox/setup.h"
#include "server/app_server.h"

struct app_exec;
struct app_stdio;
struct app_ask;
struct approval_broker;
struct approval_asker;
struct rpc_msg;
struct exec_params;

struct app_server {
	uv_loop_t *loop;
	const struct conf_opts *base;
	/* base plus the runtime policy as -c overrides (owned strings) */
	struct conf_opts opts;
	char *ov_allow, *ov_deny, *ov_mode, *ov_approval;
	json_t *allowed, *denied;   /* the runtime user lists */
	char *mode;                 /* runtime mode, or NULL for config's */
	size_t in_flight, max_in_flight;
	struct app_conn *conns;
	struct app_exec *execs;
	struct audit_ring ring;     /* blocked requests of every command */
	char *const *envp;
	uint64_t next_exec;
	struct app_stdio *stdio;    /* the stdio transport, or NULL */
	bool allow_escalation;      /* --allow-escalation */
	/* Approvals: one broker for every command's proxy (so a session
	 * answer covers all of them), the server as its one asker, and the
	 * requests waiting for an approver's answer. */
	struct approval_broker *broker;
	struct approval_asker *asker;
	struct app_ask *asks;
	uint64_t next_ask;
};

struct app_conn {
	struct app_conn *prev, *next;
	struct app_server *s;
	app_send_fn *send;
	void *arg;
	bool initialized;
	json_t *opt_out;            /* array of method names, or NULL */
	unsigned scope;             /* AUTH_SCOPE_* (server/auth.h) */
	char *name;                 /* clientInfo.name, once initialized */
};

/* Whether c may do what scope needs (AUTH_SCOPE_EXEC / _APPROVE). */
bool app_conn_can(const struct app_conn *c, unsigned scope);
/* Sends the server's own request {id, method, params} to c (steals
 * params). */
void app_send_request(struct app_conn *c, const char *id, const char *method,
		      json_t *params);

/* Sends to c and ends the in-flight count of the request. */
void app_reply(struct app_conn *c, const json_t *id, json_t *result);
void app_reply_error(struct app_conn *c, const json_t *id, int code,
		     const char *msg);
/* Sends without touching the count (a deferred answer counts itself). */
void app_send_result(struct app_conn *c, const json_t *id, json_t *result);
void app_send_error(struct app_conn *c, const json_t *id, int code,
		    const char *msg);
void app_request_done(struct app_server *s);
/* Whether c is initialized and did not opt out of notification method. */
bool app_conn_wants(const struct app_conn *c, const char *method);
/* Sends a notification to c unless c opted out of it; steals params. */
void app_notify(struct app_conn *c, const char *method, json_t *params);
/* To every initialized connection; steals params. */
void app_broadcast(struct app_server *s, const char *method, json_t *params);

/* The effective config with the runtime policy; NULL with err filled. */
struct conf *app_load_conf(struct app_server *s, struct errbuf *err);

/* Handlers. */
void app_exec_start(struct app_conn *c, const json_t *id,
		    const json_t *params);
void app_exec_kill(struct app_conn *c, const json_t *id,
		   const json_t *params);
/* Kills and detaches every command of c (c NULL: of the server). */
void app_exec_drop(struct app_server *s, struct app_conn *c);

void app_policy_read(struct app_conn *c, const json_t *id,
		     const json_t *params);
void app_policy_update(struct app_conn *c, const json_t *id,
		       const json_t *params);
void app_blocked_list(struct app_conn *c, const json_t *id,
		      const json_t *params);
void app_config_read(struct app_conn *c, const json_t *id,
		     const json_t *params);
void app_approval_policy_read(struct app_conn *c, const json_t *id,
			      const json_t *params);
void app_approval_policy_update(struct app_conn *c, const json_t *id,
				const json_t *params);
/* Loads the runtime lists from config; -1 with err. */
int app_policy_init(struct app_server *s, struct errbuf *err);
void app_policy_release(struct app_server *s);
/* Records a blocked request and tells every initialized client. */
void app_policy_blocked(struct app_server *s, const struct audit_event *ev);

/* Swaps the current runtime policy into every running command's proxy,
 * as a reload does (app_server_exec.c); problems are logged. */
void app_exec_reload(struct app_server *s);

/* --- the web console's methods (app_server_feed.c) ------------------------
 *
 * network/decision: every decision the proxies of the server's commands
 * record, allowed and refused, to every initialized connection (opt-out-
 * able). command/list: the running commands (an approver sees every one,
 * an exec-only client its own). command/kill {pid}: an approver ends any
 * command of the server ({processId} stays the exec client's own).
 * approvals/list, approvals/revoke: the approvals file, approvers only. */
void app_feed_decision(struct app_server *s, const char *process_id,
		       char *const *argv, const struct audit_event *ev);
void app_command_list(struct app_conn *c, const json_t *id,
		      const json_t *params);
void app_command_kill(struct app_conn *c, const json_t *id,
		      const json_t *params);
void app_approvals_list(struct app_conn *c, const json_t *id,
			const json_t *params);
void app_approvals_revoke(struct app_conn *c, const json_t *id,
			  const json_t *params);
/* argv as a JSON array of strings. */
json_t *app_argv_json(char *const *argv);
/* Hooks in app_server_exec.c: the running commands (only: of that
 * connection; NULL: all) as command/list entries, and SIGKILL to the one
 * whose child has pid (-1 when none runs). */
json_t *app_exec_list(struct app_server *s, const struct app_conn *only);
int app_exec_kill_pid(struct app_server *s, json_int_t pid);
/* Answers the `<method> needs the <role> scope` refusal. */
void app_reply_scope(struct app_conn *c, const json_t *id, const char *method,
		     unsigned needs);

/* --- approvals (app_server_approval.c) ------------------------------------
 *
 * The server registers itself as the broker's one asker (proxy/approval.h)
 * and fans every ask out as a JSON-RPC request to each approver
 * connection (initialized, scope approve): `network/approval` for the
 * proxies' allowlist misses, `exec/approval` for command/exec. The
 * request's id is its approvalId ("net-N", "exec-N"). The first valid
 * answer (a response to that id from an approver) wins; every other
 * approver gets `network/approval/resolved` / `exec/approval/resolved`
 * {approvalId, decision, answeredBy} (a notification, so it may be opted
 * out of). An approver that connects later is sent what is pending. With
 * no approver connected, asks wait for one, up to approval_timeout_ms. A
 * response from a connection without the approve scope is answered with
 * an error. */
enum app_exec_verdict {
	APP_EXEC_APPROVED,
	APP_EXEC_DENIED,
	APP_EXEC_TIMEOUT,
	APP_EXEC_CANCELLED, /* the asking connection went away */
};
typedef void app_exec_answer_fn(void *arg, enum app_exec_verdict v,
				const char *answered_by);
int app_approval_init(struct app_server *s);
void app_approval_release(struct app_server *s);
/* c has just been initialized: an approver is sent every pending ask. */
void app_approval_conn_ready(struct app_conn *c);
/* c is going away: the exec asks it made end as cancelled. */
void app_approval_conn_gone(struct app_conn *c);
/* A JSON-RPC response from c: an answer to one of the server's asks. */
void app_approval_response(struct app_conn *c, const struct rpc_msg *m);
/* Asks the approvers about a command/exec of origin (params stolen: the
 * exec/approval params without approvalId, which is added). done is
 * called exactly once: with the answer, after timeout_ms, or cancelled
 * when origin goes away. */
void app_ask_exec(struct app_conn *origin, json_t *params, uint64_t timeout_ms,
		  app_exec_answer_fn *done, void *arg);

/* --- escalations (app_server_escalate.c) ---------------------------------- */

/* What a command/exec asks beyond the config (each NULL/false when not). */
struct exec_escalation {
	const char *sandbox; /* a wider sandbox mode than sandbox_mode */
	bool network;        /* network while network_access is off */
	bool command;        /* untrusted: argv is not on the known-safe list,
			      * or there are setup commands */
};
enum exec_gate { EXEC_GATE_RUN, EXEC_GATE_ASK, EXEC_GATE_REFUSE };
/* Judges x under c's approval_policy: RUN (nothing to approve, or
 * --allow-escalation approves it), ASK (an approver must), or REFUSE with
 * the reason in err (never, or granular without sandbox_approval, naming
 * the policy's origin). esc gets what is asked. */
enum exec_gate exec_gate(const struct app_server *s, const struct conf *c,
			 const struct exec_params *x,
			 struct exec_escalation *esc, struct errbuf *err);
/* True when argv is on the known-safe, read-only list (doc/approvals.md)
 * and env does not set PATH. */
bool exec_known_safe(const json_t *command, const json_t *env);
/* The exec/approval `escalation` object for esc. */
json_t *exec_escalation_json(const struct exec_escalation *esc);

/* command/exec params (app_server_params.c). Strings and JSON values are
 * borrowed from the request. */
#define EXEC_MAX_TIMEOUT_MS (24LL * 3600 * 1000)
struct exec_params {
	json_t *command, *env;
	json_t *setup;           /* shell command lines, or NULL */
	const char *cwd, *sandbox, *process_id;
	const char *justification; /* why, for an approver; may be NULL */
	int network; /* -1 config, 0, 1 */
	bool stream;
	json_int_t timeout_ms;
};
/* Reads and checks p; -1 with the reason in why[RPC_WHY_MAX]. */
int exec_read_params(const json_t *p, struct exec_params *x, char *why);
/* Managed config beats a client's params as it beats `airlock run`'s
 * flags: -1 with `KEY = VALUE is set by the managed config FILE:LINE` in
 * err when x asks for another sandbox mode or network than a managed
 * layer sets. */
int exec_check_managed(const struct conf *c, const struct exec_params *x,
		       struct errbuf *err);
/* Output bytes as a JSON string; invalid UTF-8 becomes U+FFFD. */
struct buf;
json_t *exec_text_json(const struct buf *b);
/* base (an environ) with env's entries on top; a heap array. */
char **exec_build_env(char *const *base, const json_t *env);
void exec_free_env(char **env);

/* --- what a command/exec runs (app_server_exec_prep.c) --------------------
 *
 * Everything is decided before anything runs: requirements and managed
 * config bound the params as they bound `airlock run`'s flags, the
 * escalation gate says whether an approver must be asked, the plan is
 * built (with the workspace rule and the loopback-entry refusal of `airlock
 * run`), and one setup phase (sandbox/setup.h) per command of the setup
 * param. The command's environment is the server's without the variables
 * that hold request-rule secrets, with the env param on top. */
struct exec_prep {
	struct sandbox_plan plan;
	char **argv;            /* the plan borrows it */
	char **envp;
	char *ca_bundle;        /* limited mode: the interception trust bundle */
	bool allow_local;       /* permissions.network.allow_local_binding */
	struct setup_phase *phases; /* run first, one sandbox each */
	size_t n_phases;
	enum exec_gate gate;    /* RUN, or ASK an approver first */
	struct exec_escalation esc;
	uint64_t approval_timeout_ms;
};
/* Fills p from x (p zeroed first); -1 with err and the JSON-RPC error
 * code in *code. p is to be released either way. */
int exec_prepare(struct app_server *s, const struct exec_params *x,
		 struct exec_prep *p, struct errbuf *err, int *code);
void exec_prep_release(struct exec_prep *p);

/* The libuv alloc callback of every read of the server: one shared
 * buffer, since each read is consumed before the next (app_server.c). */
void app_alloc_read(uv_handle_t *h, size_t hint, uv_buf_t *b);

#endif
