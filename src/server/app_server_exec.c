/* app_server_exec.c — command/exec and command/kill.
 *
 * A command runs exactly as under `airlock run`: the same sandbox plan
 * (sandbox/plan.h) built from the config with the runtime policy, the
 * same child (sandbox/apply.h) cloned into new user, mount, pid and
 * network namespaces, and, when network is granted, an embedded proxy on
 * this server's loop serving the listeners the child made inside its
 * namespace. Requirements apply to the sandbox and network params as they
 * apply to `airlock run`'s flags. The child's stdin is /dev/null; stdout
 * and stderr come back through pipes, each kept up to
 * APP_SERVER_MAX_OUTPUT bytes (the rest is read and dropped, `truncated`
 * says so), and streamed as command/exec/outputDelta when asked.
 *
 * Known shortcut: the parent waits for the child's set-up report
 * (netns_recv) synchronously, as `airlock run` does; it takes a few
 * milliseconds and blocks the loop meanwhile. The child is the pid 1 of
 * its pid namespace, so SIGKILL to it ends the whole command. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/conf_rules.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "policy/netpolicy.h"
#include "proxy/proxy.h"
#include "sandbox/apply.h"
#include "sandbox/input.h"
#include "sandbox/launch.h"
#include "sandbox/netns.h"
#include "sandbox/plan.h"
#include "sandbox/placeholder.h"
#include "sandbox/probe.h"
#include "sandbox/unotify.h"
#include "sandbox/workspace.h"
#include "server/app_server_int.h"
#include "server/rpc.h"

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET)

struct exec_stream {
	uv_pipe_t pipe;
	struct buf data;
	bool truncated, eof;
	const char *name; /* "stdout" / "stderr" */
	struct app_exec *e;
};

struct app_exec {
	struct app_exec *prev, *next;
	struct app_server *s;
	struct app_conn *conn;  /* NULL once its client is gone */
	json_t *id;
	char *process_id;
	bool stream;
	pid_t pid;
	bool full_access;
	int status;             /* -1 while running */
	struct exec_stream out, err;
	uv_timer_t timer;
	bool timed_out;
	struct proxy *proxy;
	int diag_fd;            /* the sandbox's sock_diag socket, until
				 * the supervisor takes it */
	uv_poll_t notify;       /* waits for the seccomp listener */
	int notify_sock;        /* the init's socket; -1 once closed */
	struct unotify *unotify;
	int handles;            /* open uv handles; freed at 0 */
	bool answered;
	struct sandbox_plan plan;
	char **argv;            /* the plan borrows it */
	char **envp;
	char *ca_bundle;        /* limited mode: the interception trust bundle */
	bool allow_local;       /* permissions.network.allow_local_binding */
	enum exec_gate gate;    /* RUN, or ASK an approver first */
	struct exec_escalation esc;
	uint64_t approval_timeout_ms;
	json_int_t timeout_ms;  /* params.timeoutMs, 0 when none */
};

/* --- the plan ------------------------------------------------------------------ */

/* Requirements bound params exactly as they bound `airlock run` flags. */
static int
check_params(const struct conf *c, const struct exec_params *x,
	     struct errbuf *err)
{
	const struct requirements *r = conf_requirements(c);

	if (x->sandbox != NULL &&
	    requirements_check_change(r, "sandbox_mode", x->sandbox, err) == -1)
		return -1;
	if (x->network == 1 &&
	    requirements_check_change(
		    r, "sandbox_workspace_write.network_access", "true",
		    err) == -1)
		return -1;
	return exec_check_managed(c, x, err);
}

/* The same workspace rule as `airlock run`'s, without its override. */
static int
check_workspace(const struct app_server *s, const struct conf *c,
		const struct sandbox_plan *p, struct errbuf *err)
{
	struct workspace_opts wo = {0};

	wo.airlock_home = s->base->home;
	wo.req = conf_requirements(c);
	wo.writable = p->fs == SANDBOX_FS_WORKSPACE_WRITE;
	wo.hint = "pass a project directory as cwd";
	return workspace_check(p->cwd, &wo, err);
}

static int
build_plan(struct app_exec *e, const struct conf *c,
	   const struct exec_params *x, char **argv, struct errbuf *err)
{
	struct sandbox_probe probe;
	struct sandbox_input in;
	const char **secret_files;
	size_t n_secret_files;
	int rc;

	sandbox_input_from_conf(&in, c, x->sandbox, x->network,
				x->cwd ? x->cwd : e->s->base->cwd, argv, err);
	in.home = e->s->opts.home;
	in.system_dir = e->s->opts.system_dir;
	in.config_file = e->s->opts.config_file;
	/* The files request actions read secrets from stay the proxy's. */
	secret_files = conf_request_secret_files(c, &n_secret_files);
	sandbox_input_hide_files(&in, secret_files, n_secret_files);
	sandbox_probe_disk(&probe);
	rc = err->count > 0 ||
	     sandbox_plan_build(&in, &probe, &e->plan, err) == -1;
	free(secret_files);
	if (rc)
		return -1;
	if (e->plan.fs != SANDBOX_FS_FULL_ACCESS && e->plan.landlock_abi < 1) {
		errbuf_add(err, "Landlock is not available in this kernel; "
				"refusing to run without a sandbox");
		return -1;
	}
	e->full_access = e->plan.fs == SANDBOX_FS_FULL_ACCESS;
	return 0;
}

/* --- the child ------------------------------------------------------------------ */

static void
child_stdio(int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	if (null >= 0 && null != 0) {
		dup2(null, 0);
		close(null);
	}
	dup2(out, 1);
	dup2(err, 2);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

static __attribute__((noreturn)) void
child_full_access(const struct app_exec *e)
{
	/* No sandbox, but not the server's descriptors either. */
	close_range(3, ~0U, 0);
	setpgid(0, 0);
	if (e->plan.cwd != NULL && chdir(e->plan.cwd) == -1) {
		fprintf(stderr, "airlock: chdir %s: %s\n", e->plan.cwd,
			strerror(errno));
		_exit(SANDBOX_EXIT_SETUP);
	}
	execvpe(e->argv[0], e->argv, e->envp);
	fprintf(stderr, "airlock: %s: %s\n", e->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Clones the child with its stdout/stderr on the pipes; -1 on failure. */
static pid_t
clone_child(struct app_exec *e, bool allow_local, int sock, int out, int err)
{
	struct sandbox_child_opts co;
	pid_t pid;

	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone,
			     (e->full_access ? 0 : NS_FLAGS) | SIGCHLD, NULL,
			     NULL, NULL, NULL);
	if (pid != 0)
		return pid;
	child_stdio(out, err);
	if (e->full_access)
		child_full_access(e);
	memset(&co, 0, sizeof(co));
	co.plan = &e->plan;
	co.sock = sock;
	co.own_session = true; /* stdin is /dev/null: no terminal to share */
	co.allow_local_binding = allow_local;
	co.envp = e->envp;
	co.ca_bundle = e->ca_bundle;
	sandbox_child_main(&co);
}

static void
on_blocked(void *arg, const struct audit_event *ev)
{
	struct app_exec *e = arg;

	app_policy_blocked(e->s, ev);
}

/* The command line an approver is shown: argv joined by spaces, cut at
 * 512 bytes. */
static char *
command_line(char *const *argv)
{
	struct buf b;
	size_t i;

	buf_init(&b, 513);
	for (i = 0; argv[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? " " : "", argv[i]);
	return buf_detach(&b, NULL);
}

/* Receives the child's report and starts the embedded proxy on its
 * listeners. -1 with err (the child is then killed by the caller). */
static int
start_proxy(struct app_exec *e, int sock, struct errbuf *err)
{
	struct proxy_opts po = {0};
	struct netns_msg m;
	int fds[NETNS_MAX_FDS];
	char *cmd;

	if (netns_recv(sock, &m, fds) == -1) {
		errbuf_add(err, "the sandbox ended while being set up");
		return -1;
	}
	if (m.error[0] != '\0') {
		errbuf_add(err, "cannot set up the sandbox: %s", m.error);
		return -1;
	}
	e->diag_fd = netns_msg_fd(&m, fds, NETNS_FD_DIAG);
	if (e->plan.net != SANDBOX_NET_PROXY || m.nfds < 1)
		return 0;
	po.conf = &e->s->opts;
	po.http_fd = netns_msg_fd(&m, fds, NETNS_FD_HTTP);
	po.socks_fd = netns_msg_fd(&m, fds, NETNS_FD_SOCKS);
	po.dns_fd = netns_msg_fd(&m, fds, NETNS_FD_DNS);
	po.no_admin = true;
	po.approvals = e->s->broker;
	po.command = cmd = command_line(e->argv);
	po.process_id = e->process_id;
	e->proxy = proxy_new(e->s->loop, &po, err);
	free(cmd);
	if (e->proxy == NULL)
		return -1;
	proxy_observe_blocked(e->proxy, on_blocked, e);
	return 0;
}

/* --- output ---------------------------------------------------------------------- */

static void maybe_finish(struct app_exec *e);

static char *
b64(const char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)p, (int)n);
	return out;
}

static void
delta(struct app_exec *e, const char *stream, const char *p, size_t n)
{
	char *enc;

	if (!e->stream || e->conn == NULL || n == 0)
		return;
	enc = b64(p, n);
	app_notify(e->conn, "command/exec/outputDelta",
		   json_pack("{s:s,s:s,s:s}", "processId", e->process_id,
			     "stream", stream, "dataBase64", enc));
	free(enc);
}

static void
on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	struct exec_stream *st = h->data;
	size_t room, n;

	if (nread < 0) {
		uv_read_stop(h);
		st->eof = true;
		maybe_finish(st->e);
		return;
	}
	n = (size_t)nread;
	room = APP_SERVER_MAX_OUTPUT - st->data.len;
	if (n > room) {
		st->truncated = true;
		n = room;
	}
	buf_add(&st->data, b->base, n);
	delta(st->e, st->name, b->base, n);
}

/* --- life cycle ---------------------------------------------------------------- */

static void
unlink_exec(struct app_exec *e)
{
	struct app_server *s = e->s;

	if (e->prev != NULL)
		e->prev->next = e->next;
	else if (s->execs == e)
		s->execs = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
}

static void
exec_free(struct app_exec *e)
{
	if (e->diag_fd >= 0)
		close(e->diag_fd);
	proxy_free(e->proxy);
	buf_release(&e->out.data);
	buf_release(&e->err.data);
	json_decref(e->id);
	free(e->process_id);
	sandbox_plan_release(&e->plan);
	exec_free_env(e->argv);
	exec_free_env(e->envp);
	free(e->ca_bundle);
	free(e);
}

static void
release_one(struct app_exec *e)
{
	if (--e->handles == 0)
		exec_free(e);
}

static void
on_pipe_closed(uv_handle_t *h)
{
	release_one(((struct exec_stream *)h->data)->e);
}

static void
on_timer_closed(uv_handle_t *h)
{
	release_one(h->data);
}

static void
on_proxy_done(void *arg)
{
	release_one(arg);
}

static void
on_notify_closed(uv_handle_t *h)
{
	struct app_exec *e = h->data;

	close(e->notify_sock);
	e->notify_sock = -1;
	release_one(e);
}

static void
answer(struct app_exec *e)
{
	json_t *r;

	e->answered = true;
	if (e->conn != NULL) {
		r = json_pack("{s:s,s:i,s:o,s:o,s:b,s:b}", "processId",
			      e->process_id, "exitCode", e->status, "stdout",
			      exec_text_json(&e->out.data), "stderr",
			      exec_text_json(&e->err.data), "truncated",
			      e->out.truncated || e->err.truncated, "timedOut",
			      e->timed_out);
		app_send_result(e->conn, e->id, r);
	}
	app_request_done(e->s);
}

static void
teardown(struct app_exec *e)
{
	unlink_exec(e);
	e->handles = 3 + (e->proxy != NULL) + (e->notify_sock >= 0);
	unotify_stop(e->unotify);
	e->unotify = NULL;
	if (e->notify_sock >= 0)
		uv_close((uv_handle_t *)&e->notify, on_notify_closed);
	uv_close((uv_handle_t *)&e->out.pipe, on_pipe_closed);
	uv_close((uv_handle_t *)&e->err.pipe, on_pipe_closed);
	uv_close((uv_handle_t *)&e->timer, on_timer_closed);
	if (e->proxy != NULL) {
		proxy_observe_blocked(e->proxy, NULL, NULL);
		proxy_shutdown(e->proxy, 0, on_proxy_done, e);
	}
}

static void
maybe_finish(struct app_exec *e)
{
	if (e->status < 0 || !e->out.eof || !e->err.eof || e->answered)
		return;
	placeholder_cleanup(&e->plan);
	unotify_summary(e->unotify, &e->err.data);
	answer(e);
	teardown(e);
}

static void
kill_exec(struct app_exec *e)
{
	if (e->status >= 0)
		return;
	kill(e->full_access ? -e->pid : e->pid, SIGKILL);
}

static void
on_timeout(uv_timer_t *t)
{
	struct app_exec *e = t->data;

	e->timed_out = true;
	kill_exec(e);
}

static void
on_sigchld(uv_signal_t *h, int signum)
{
	struct app_server *s = h->data;
	struct app_exec *e, *next;
	int st;

	(void)signum;
	for (e = s->execs; e != NULL; e = next) {
		next = e->next;
		if (e->status >= 0 || waitpid(e->pid, &st, WNOHANG) != e->pid)
			continue;
		e->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st)
					    : WEXITSTATUS(st);
		maybe_finish(e);
	}
}

int
app_exec_init(struct app_server *s)
{
	s->sigchld = xcalloc(1, sizeof(*s->sigchld));
	uv_signal_init(s->loop, s->sigchld);
	s->sigchld->data = s;
	uv_signal_start(s->sigchld, on_sigchld, SIGCHLD);
	return 0;
}

static void
free_handle(uv_handle_t *h)
{
	free(h);
}

void
app_exec_release(struct app_server *s)
{
	if (s->sigchld != NULL)
		uv_close((uv_handle_t *)s->sigchld, free_handle);
	s->sigchld = NULL;
}

/* Kills c's commands (every command when c is NULL) and forgets their
 * clients. At server end (c NULL) the children are reaped here, since the
 * SIGCHLD watcher is about to go. */
void
app_exec_drop(struct app_server *s, struct app_conn *c)
{
	struct app_exec *e, *next;
	int st;

	for (e = s->execs; e != NULL; e = next) {
		next = e->next;
		if (c != NULL && e->conn != c)
			continue;
		e->conn = NULL;
		kill_exec(e);
		if (c == NULL && e->status < 0 &&
		    waitpid(e->pid, &st, 0) == e->pid) {
			e->status = 128 + SIGKILL;
			e->out.eof = e->err.eof = true;
			maybe_finish(e);
		}
	}
}

/* --- command/exec ------------------------------------------------------------- */

static struct app_exec *
find_exec(struct app_server *s, const struct app_conn *c, const char *pid)
{
	struct app_exec *e;

	for (e = s->execs; e != NULL; e = e->next)
		if (e->conn == c && strcmp(e->process_id, pid) == 0)
			return e;
	return NULL;
}

static char **
argv_of(const json_t *command)
{
	size_t i, n = json_array_size(command);
	char **argv = xreallocarray(NULL, n + 1, sizeof(*argv));

	for (i = 0; i < n; i++)
		argv[i] = xstrdup(json_string_value(json_array_get(command, i)));
	argv[n] = NULL;
	return argv;
}

static void
stream_init(struct app_exec *e, struct exec_stream *st, const char *name,
	    int fd)
{
	st->e = e;
	st->name = name;
	buf_init(&st->data, APP_SERVER_MAX_OUTPUT);
	uv_pipe_init(e->s->loop, &st->pipe, 0);
	st->pipe.data = st;
	uv_pipe_open(&st->pipe, fd);
	uv_read_start((uv_stream_t *)&st->pipe, app_alloc_read, on_read);
}

static void
close_fds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The init's messages after go: only the command's seccomp listener
 * matters here (SANDBOX_MSG_NOTIFY); the socket is closed once it came,
 * or at EOF. */
static void
on_init_message(uv_poll_t *h, int status, int events)
{
	struct app_exec *e = h->data;
	unsigned char msg[2];
	int n;

	(void)events;
	n = status < 0 ? -1
		       : sandbox_init_message(e->notify_sock, e->s->loop,
					      &e->plan, &e->diag_fd,
					      &e->unotify, msg,
					      "command/exec: ");
	if (n == -1 && status == 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 2 && msg[0] != SANDBOX_MSG_NOTIFY)
		return;
	uv_poll_stop(h);
}

static void
wait_listener(struct app_exec *e, int sock)
{
	if (uv_poll_init(e->s->loop, &e->notify, sock) != 0) {
		close(sock); /* the command's calls then fail: ENOSYS */
		return;
	}
	e->notify_sock = sock;
	e->notify.data = e;
	uv_poll_start(&e->notify, UV_READABLE, on_init_message);
}

/* Starts the child; 0, or -1 with err (nothing left running). fds:
 * out[0..1], err[0..1], sock[0..1]. */
static int
spawn(struct app_exec *e, bool allow_local, struct errbuf *err)
{
	int fds[6] = {-1, -1, -1, -1, -1, -1};
	char go = 'G';

	if (pipe2(fds, O_CLOEXEC) == -1 || pipe2(fds + 2, O_CLOEXEC) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds + 4)) {
		errbuf_add(err, "pipe: %s", strerror(errno));
		close_fds(fds, 6);
		return -1;
	}
	e->pid = clone_child(e, allow_local, fds[5], fds[1], fds[3]);
	if (e->pid == -1) {
		errbuf_add(err, "cannot create the sandbox's namespaces: %s",
			   strerror(errno));
		close_fds(fds, 6);
		return -1;
	}
	close(fds[1]);
	close(fds[3]);
	close(fds[5]);
	if (!e->full_access && start_proxy(e, fds[4], err) == -1) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
		close_fds((int[]){fds[0], fds[2], fds[4]}, 3);
		return -1;
	}
	if (!e->full_access && write(fds[4], &go, 1) != 1) {
		/* The child is gone; SIGCHLD reports its status. */
	}
	if (e->full_access)
		close(fds[4]);
	else
		wait_listener(e, fds[4]);
	stream_init(e, &e->out, "stdout", fds[0]);
	stream_init(e, &e->err, "stderr", fds[2]);
	return 0;
}

static int
prepare(struct app_exec *e, const struct exec_params *x, struct errbuf *err,
	int *code)
{
	struct conf *c = app_load_conf(e->s, err);
	const struct conf_reqrule *rules;
	int rc = -1;

	*code = RPC_INTERNAL_ERROR;
	if (c == NULL)
		goto out;
	*code = RPC_INVALID_REQUEST;
	if (check_params(c, x, err) == -1)
		goto out;
	e->gate = exec_gate(e->s, c, x, &e->esc, err);
	if (e->gate == EXEC_GATE_REFUSE)
		goto out;
	e->approval_timeout_ms = (uint64_t)conf_int(c, "approval_timeout_ms");
	*code = RPC_INVALID_PARAMS;
	e->argv = argv_of(x->command);
	if (build_plan(e, c, x, e->argv, err) == -1)
		goto out;
	*code = RPC_INVALID_REQUEST;
	if (check_workspace(e->s, c, &e->plan, err) == -1 ||
	    (e->plan.net == SANDBOX_NET_PROXY &&
	     netpolicy_check_loopback(c, NULL, err) == -1))
		goto out;
	e->allow_local =
		conf_bool(c, "permissions.network.allow_local_binding");
	*code = RPC_INTERNAL_ERROR;
	e->ca_bundle = sandbox_ca_bundle(e->s->opts.home, &e->plan,
					 conf_str(c, "permissions.network.mode"),
					 conf_request_rules(c, &rules) > 0, err);
	if (err->count > 0)
		goto out;
	rc = 0;
out:
	conf_free(c);
	return rc;
}

/* Answers e's request with `command/exec refused: <why>` and frees e
 * (nothing of it runs yet). */
static void
refuse(struct app_exec *e, struct app_conn *c, const json_t *id, int code,
       const char *why)
{
	char *msg = xasprintf("command/exec refused: %s", why);

	app_reply_error(c, id, code, msg);
	free(msg);
	exec_free(e);
}

/* Spawns e (prepared, and approved when it had to be) and registers it. */
static void
go(struct app_exec *e)
{
	struct app_server *s = e->s;
	struct errbuf err;

	errbuf_init(&err);
	if (spawn(e, e->allow_local, &err) == -1) {
		refuse(e, e->conn, e->id, RPC_INTERNAL_ERROR,
		       errbuf_str(&err));
		errbuf_release(&err);
		return;
	}
	errbuf_release(&err);
	uv_timer_init(s->loop, &e->timer);
	e->timer.data = e;
	if (e->timeout_ms > 0)
		uv_timer_start(&e->timer, on_timeout, (uint64_t)e->timeout_ms,
			       0);
	e->next = s->execs;
	if (e->next != NULL)
		e->next->prev = e;
	s->execs = e;
	on_sigchld(s->sigchld, SIGCHLD);
}

static void
on_approval(void *arg, enum app_exec_verdict v, const char *by)
{
	struct app_exec *e = arg;
	char *why;

	switch (v) {
	case APP_EXEC_APPROVED:
		go(e);
		return;
	case APP_EXEC_CANCELLED: /* its client is gone: no one to answer */
		app_request_done(e->s);
		exec_free(e);
		return;
	case APP_EXEC_DENIED:
		why = xasprintf("denied by %s", by);
		break;
	case APP_EXEC_TIMEOUT:
	default:
		why = xasprintf("not approved: %s", by);
		break;
	}
	refuse(e, e->conn, e->id, RPC_INVALID_REQUEST, why);
	free(why);
}

/* exec/approval {processId, command, cwd, escalation, justification}. */
static json_t *
ask_params(const struct app_exec *e, const struct exec_params *x)
{
	return json_pack("{s:s,s:O,s:s?,s:o,s:s?}", "processId", e->process_id,
			 "command", x->command, "cwd", e->plan.cwd,
			 "escalation", exec_escalation_json(&e->esc),
			 "justification", x->justification);
}

static void
start(struct app_conn *c, const json_t *id, const struct exec_params *x)
{
	struct app_exec *e = xcalloc(1, sizeof(*e));
	struct errbuf err;
	int code;

	e->s = c->s;
	e->status = -1;
	e->diag_fd = -1;
	e->notify_sock = -1;
	errbuf_init(&err);
	if (prepare(e, x, &err, &code) == -1) {
		refuse(e, c, id, code, errbuf_str(&err));
		errbuf_release(&err);
		return;
	}
	errbuf_release(&err);
	e->envp = exec_build_env(c->s->envp, x->env);
	e->conn = c;
	e->id = json_deep_copy(id);
	e->stream = x->stream;
	e->timeout_ms = x->timeout_ms;
	e->process_id = x->process_id ? xstrdup(x->process_id)
				      : xasprintf("exec-%llu",
						  (unsigned long long)++c->s->next_exec);
	if (e->gate == EXEC_GATE_ASK)
		app_ask_exec(c, ask_params(e, x), e->approval_timeout_ms,
			     on_approval, e);
	else
		go(e);
}

void
app_exec_reload(struct app_server *s)
{
	struct app_exec *e;
	struct errbuf err;

	for (e = s->execs; e != NULL; e = e->next) {
		if (e->proxy == NULL)
			continue;
		errbuf_init(&err);
		if (proxy_reload(e->proxy, &err) == -1)
			log_warn("app-server: %s: policy not applied: %s",
				 e->process_id, errbuf_first(&err));
		errbuf_release(&err);
	}
}

void
app_exec_start(struct app_conn *c, const json_t *id, const json_t *params)
{
	struct exec_params x;
	char why[RPC_WHY_MAX];

	if (exec_read_params(params, &x, why) == -1) {
		app_reply_error(c, id, RPC_INVALID_PARAMS, why);
		return;
	}
	if (x.process_id != NULL && find_exec(c->s, c, x.process_id) != NULL) {
		app_reply_error(c, id, RPC_INVALID_PARAMS,
				"processId is already in use");
		return;
	}
	start(c, id, &x);
}

void
app_exec_kill(struct app_conn *c, const json_t *id, const json_t *params)
{
	const char *pid = NULL;
	char why[RPC_WHY_MAX];
	struct app_exec *e;

	if (rpc_param_str(params, "processId", &pid, why) == -1 || pid == NULL) {
		app_reply_error(c, id, RPC_INVALID_PARAMS,
				"processId must be a string");
		return;
	}
	e = find_exec(c->s, c, pid);
	if (e == NULL) {
		app_reply_error(c, id, RPC_INVALID_PARAMS, "no such processId");
		return;
	}
	kill_exec(e);
	app_reply(c, id, json_object());
}
