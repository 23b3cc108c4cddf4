/* app_server.h — the app-server's JSON-RPC control plane, independent of
 * the transport (reference §19.4–19.5, DESIGN §7).
 *
 * One struct app_server serves any number of connections on one libuv
 * loop. A transport (app_server_ws.c, app_server_stdio.c) creates one
 * struct app_conn per client with a send function, hands it every text
 * message it receives (app_conn_message) and frees it when the client
 * goes away. State is per connection: the initialize handshake, the
 * opted-out notification methods; responses go only to the connection
 * that asked, so two clients may use the same ids.
 *
 * Requests in flight are counted over the whole server; past
 * max_in_flight a request is answered at once with -32001 `Server
 * overloaded; retry later.`. Notifications and responses from clients
 * are never refused. Unparseable messages are ignored (reference §19.4).
 *
 * Methods: initialize, command/exec, command/kill, command/list,
 * network/policy/read, network/policy/update, network/blocked/list,
 * config/read, approval/policy/read, approval/policy/update,
 * approvals/list, approvals/revoke; notifications sent:
 * command/exec/outputDelta (to the requesting client), network/blocked and
 * network/decision (to every initialized client), network/approval/resolved and
 * exec/approval/resolved (to approvers); requests sent: network/approval
 * and exec/approval (to approvers). Each connection has roles (exec,
 * approve; server/auth.h) that gate the methods. doc/app-server.md and
 * doc/approvals.md describe each.
 *
 * Ownership: app_server_new() borrows loop and o->conf for the server's
 * life. A conn's send function may be called from app_conn_message() and
 * later from loop callbacks, until app_conn_free(); it must not free the
 * conn. app_conn_free() kills the commands that conn started.
 * app_server_free() kills every command and lets go of every conn, which
 * its transport still frees with app_conn_free() (also after the server is
 * gone); run the loop afterwards so the handles close. */
#ifndef AIRLOCK_APP_SERVER_H
#define AIRLOCK_APP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "config/conf.h"
#include "lib/errbuf.h"

#define APP_SERVER_MAX_IN_FLIGHT 128
#define APP_SERVER_MAX_OUTPUT (1024 * 1024) /* per stream of command/exec */

struct app_server_opts {
	const struct conf_opts *conf; /* where config comes from */
	size_t max_in_flight;         /* 0 = APP_SERVER_MAX_IN_FLIGHT */
	char *const *envp;            /* the base environment of commands */
	/* --allow-escalation: a command/exec that asks for a wider sandbox
	 * mode than the config's, or for network when the config has it off,
	 * is approved at once instead of put to an approver */
	bool allow_escalation;
};

struct app_server;
struct app_conn;

/* Loads the config once to check it. NULL with the problems in err. */
struct app_server *app_server_new(uv_loop_t *loop,
				  const struct app_server_opts *o,
				  struct errbuf *err);
void app_server_free(struct app_server *s);
/* True while a command started by any client is still running. */
bool app_server_busy(const struct app_server *s);

typedef void app_send_fn(void *arg, const char *msg, size_t n);

struct app_conn *app_conn_new(struct app_server *s, app_send_fn *send,
			      void *arg);
/* The roles of c's client (AUTH_SCOPE_* of server/auth.h: exec, approve);
 * a new conn has both. Set before its first message. */
void app_conn_set_scope(struct app_conn *c, unsigned scope);
/* One message (a WebSocket text frame or a stdio line). */
void app_conn_message(struct app_conn *c, const char *p, size_t n);
void app_conn_free(struct app_conn *c);

/* --- transports (app_server_ws.c, app_server_stdio.c) --------------------- */

struct auth;
struct sockaddr;
struct app_ws;

/* Listens for WebSocket clients on addr (the HTTP surface of ws.h),
 * authenticating upgrades with a (borrowed), and serving the web console
 * (server/console.h; borrowed, NULL for none) on the same port. bound
 * gets `ip:port` as bound (port 0 resolved). NULL with the reason in
 * err. */
struct console;
struct app_ws *app_ws_listen(struct app_server *s, const struct sockaddr *addr,
			     const struct auth *a, struct console *console,
			     char *bound, size_t cap, struct errbuf *err);
/* Stops listening and closes every client (their commands are killed). */
void app_ws_close(struct app_ws *w);

typedef void app_eof_fn(void *arg);
/* Serves one client as newline-delimited JSON on in_fd (a pipe, socket,
 * terminal, regular file or device such as /dev/null) and out_fd; calls
 * on_eof once in_fd ends. -1 with err. Known shortcut: replies are
 * written to out_fd with blocking writes. */
int app_stdio_start(struct app_server *s, int in_fd, int out_fd,
		    app_eof_fn *on_eof, void *arg, struct errbuf *err);
void app_stdio_stop(struct app_server *s);

#endif
