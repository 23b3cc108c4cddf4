/* app_server_int.h — what the app-server's files share (app_server.c:
 * connections, dispatch, initialize; app_server_exec.c: command/exec and
 * command/kill; app_server_policy.c: the network methods and config/read). Not for use
 * outside src/server/.
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
#include "server/app_server.h"

struct app_exec;
struct app_stdio;

struct app_server {
	uv_loop_t *loop;
	const struct conf_opts *base;
	/* base plus the runtime policy as -c overrides (owned strings) */
	struct conf_opts opts;
	char *ov_allow, *ov_deny, *ov_mode;
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
};

struct app_conn {
	struct app_conn *prev, *next;
	struct app_server *s;
	app_send_fn *send;
	void *arg;
	bool initialized;
	json_t *opt_out;            /* array of method names, or NULL */
};

/* Sends to c and ends the in-flight count of the request. */
void app_reply(struct app_conn *c, const json_t *id, json_t *result);
void app_reply_error(struct app_conn *c, const json_t *id, int code,
		     const char *msg);
/* Sends without touching the count (a deferred answer counts itself). */
void app_send_result(struct app_conn *c, const json_t *id, json_t *result);
void app_send_error(struct app_conn *c, const json_t *id, int code,
		    const char *msg);
void app_request_done(struct app_server *s);
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
/* Loads the runtime lists from config; -1 with err. */
int app_policy_init(struct app_server *s, struct errbuf *err);
void app_policy_release(struct app_server *s);
/* Records a blocked request and tells every initialized client. */
void app_policy_blocked(struct app_server *s, const struct audit_event *ev);

/* command/exec params (app_server_params.c). Strings and JSON values are
 * borrowed from the request. */
#define EXEC_MAX_TIMEOUT_MS (24LL * 3600 * 1000)
struct exec_params {
	json_t *command, *env;
	json_t *setup;           /* shell command lines, or NULL */
	const char *cwd, *sandbox, *process_id;
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
/* base (an environ) with env's entries on top; a heap array. */
char **exec_build_env(char *const *base, const json_t *env);
void exec_free_env(char **env);

/* The libuv alloc callback of every read of the server: one shared
 * buffer, since each read is consumed before the next (app_server.c). */
void app_alloc_read(uv_handle_t *h, size_t hint, uv_buf_t *b);

#endif
