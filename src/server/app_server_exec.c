/* app_server_exec.c — command/exec and command/kill.
 *
 * A command runs exactly as under `airlock run`: the same sandbox plan
 * (sandbox/plan.h) built from the config with the runtime policy
 * (app_server_exec_prep.c), and the same sandbox session
 * (sandbox/session.h) on this server's loop: the same clone, the same
 * embedded proxy when network is granted, the same supervisor of the
 * command's connect() and sends, the same deadline on the child's report,
 * so a launch that fails or hangs fails that one command with a JSON-RPC
 * error (the session's table) and never stalls the loop. Every command's
 * proxy asks the server's one approvals broker about allowlist misses,
 * and takes the runtime policy when it changes (app_exec_reload). A
 * command that asks for more than the config gives waits for an
 * approver's answer first (app_server_escalate.c). The child's stdin is
 * /dev/null; stdout and stderr come back through pipes, each kept up to
 * APP_SERVER_MAX_OUTPUT bytes (the rest is read and dropped, `truncated`
 * says so), and streamed as command/exec/outputDelta when asked. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "sandbox/session.h"
#include "server/app_server_int.h"
#include "server/rpc.h"

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
	char *command;          /* argv joined: what an approver is shown */
	bool stream;
	json_int_t timeout_ms;  /* params.timeoutMs, 0 when none */
	struct exec_prep p;     /* the plan, phases, environment, gate */
	struct sandbox_session *session; /* NULL once done */
	int status;             /* -1 while running */
	enum sandbox_fail fail; /* the session's result */
	char *fail_message;
	struct buf refusals;    /* the supervisor's, of every sandbox */
	struct exec_stream out, err;
	uv_timer_t timer;
	bool timed_out;
	int handles;            /* open uv handles; freed at 0 */
	bool answered;
	/* The setup phase (sandbox/setup.h): p.phases[0..p.n_phases) run
	 * first, one sandbox each; phase == p.n_phases is the command's. */
	size_t phase;
	json_t *setup_results;  /* [{command, exitCode}] */
	char *failed_setup;     /* the setup command that failed */
	bool stopped;           /* killed or timed out: no next phase */
	bool done;              /* the last sandbox ended */
	int stdio[3];           /* every sandbox's 0, 1, 2; -1 once closed */
};

/* --- the session ---------------------------------------------------------------- */

static void maybe_finish(struct app_exec *e);

static void
on_blocked(void *arg, const struct audit_event *ev)
{
	struct app_exec *e = arg;

	app_policy_blocked(e->s, ev);
}

static void
on_decision(void *arg, const struct audit_event *ev)
{
	struct app_exec *e = arg;

	app_feed_decision(e->s, e->process_id, e->p.argv, ev);
}

static void start_phase(struct app_exec *e);

static void
close_stdio(struct app_exec *e)
{
	int i;

	for (i = 0; i < 3; i++)
		if (e->stdio[i] >= 0)
			close(e->stdio[i]);
	e->stdio[0] = e->stdio[1] = e->stdio[2] = -1;
}

/* A sandbox ended: the next phase, or the end. The pipes reach EOF once
 * the last sandbox is gone and our write ends are closed. */
static void
on_done(void *arg, struct sandbox_session *ss, const struct sandbox_result *r)
{
	struct app_exec *e = arg;
	const char *setup = NULL;

	e->session = NULL;
	buf_addstr(&e->refusals, r->refusals);
	sandbox_session_free(ss);
	if (e->phase < e->p.n_phases) {
		setup = e->p.phases[e->phase].command;
		json_array_append_new(e->setup_results,
				      json_pack("{s:s,s:i}", "command", setup,
						"exitCode", r->status));
		if (r->fail == SANDBOX_OK && r->status == 0 && !e->stopped) {
			e->phase++;
			start_phase(e);
			return;
		}
		if (r->fail == SANDBOX_OK)
			e->failed_setup = xstrdup(setup);
	}
	e->status = r->status;
	e->fail = r->fail;
	if (r->fail != SANDBOX_OK && setup != NULL)
		e->fail_message = xasprintf("setup `%s`: %s", setup, r->message);
	else if (r->fail != SANDBOX_OK)
		e->fail_message = xstrdup(r->message);
	e->done = true;
	close_stdio(e);
	maybe_finish(e);
}

/* Starts the sandbox of the current phase. */
static void
start_phase(struct app_exec *e)
{
	const struct setup_phase *ph =
		e->phase < e->p.n_phases ? &e->p.phases[e->phase] : NULL;
	struct sandbox_session_opts so;

	memset(&so, 0, sizeof(so));
	so.plan = ph ? &ph->plan : &e->p.plan;
	so.envp = e->p.envp;
	so.ca_bundle = ph ? ph->ca_bundle : e->p.ca_bundle;
	so.allow_local_binding =
		ph ? ph->allow_local_binding : e->p.allow_local;
	so.conf = &e->s->opts;
	so.extra = ph ? &ph->extra : NULL;
	so.approvals = e->s->broker;
	so.command = ph ? ph->command : e->command;
	so.process_id = e->process_id;
	so.log_prefix = "command/exec: ";
	memcpy(so.stdio, e->stdio, sizeof(so.stdio));
	so.on_blocked = on_blocked;
	so.on_decision = on_decision;
	so.on_done = on_done;
	so.arg = e;
	e->session = sandbox_session_start(e->s->loop, &so);
}

/* --- output ---------------------------------------------------------------------- */

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

/* airlock's own lines at the end of the command's stderr, as `airlock
 * run` prints them on its own. */
static void
add_stderr(struct app_exec *e, const char *text, size_t n)
{
	if (n > APP_SERVER_MAX_OUTPUT - e->err.data.len) {
		e->err.truncated = true;
		n = APP_SERVER_MAX_OUTPUT - e->err.data.len;
	}
	buf_add(&e->err.data, text, n);
	delta(e, "stderr", text, n);
}

/* The unix sockets the supervisor refused, then the setup command that
 * failed, which says so last. */
static void
add_notes(struct app_exec *e)
{
	char *note;

	add_stderr(e, e->refusals.p ? e->refusals.p : "", e->refusals.len);
	if (e->failed_setup == NULL)
		return;
	note = xasprintf("airlock: setup `%s` failed with exit status %d; the "
			 "command did not run\n",
			 e->failed_setup, e->status);
	add_stderr(e, note, strlen(note));
	free(note);
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
	exec_prep_release(&e->p);
	json_decref(e->setup_results);
	free(e->failed_setup);
	close_stdio(e);
	free(e->fail_message);
	buf_release(&e->refusals);
	buf_release(&e->out.data);
	buf_release(&e->err.data);
	json_decref(e->id);
	free(e->process_id);
	free(e->command);
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
answer(struct app_exec *e)
{
	json_t *r;

	e->answered = true;
	add_notes(e);
	if (e->conn != NULL && e->fail != SANDBOX_OK) {
		char *msg = xasprintf("command/exec failed: %s",
				      e->fail_message);

		app_send_error(e->conn, e->id, sandbox_fail_rpc(e->fail), msg);
		free(msg);
	} else if (e->conn != NULL) {
		r = json_pack("{s:s,s:i,s:o,s:o,s:b,s:b}", "processId",
			      e->process_id, "exitCode", e->status, "stdout",
			      exec_text_json(&e->out.data), "stderr",
			      exec_text_json(&e->err.data), "truncated",
			      e->out.truncated || e->err.truncated, "timedOut",
			      e->timed_out);
		if (e->p.n_phases > 0)
			json_object_set(r, "setup", e->setup_results);
		app_send_result(e->conn, e->id, r);
	}
	app_request_done(e->s);
}

static void
teardown(struct app_exec *e)
{
	unlink_exec(e);
	e->handles = 3;
	uv_close((uv_handle_t *)&e->out.pipe, on_pipe_closed);
	uv_close((uv_handle_t *)&e->err.pipe, on_pipe_closed);
	uv_close((uv_handle_t *)&e->timer, on_timer_closed);
}

static void
maybe_finish(struct app_exec *e)
{
	if (!e->done || !e->out.eof || !e->err.eof || e->answered)
		return;
	answer(e);
	teardown(e);
}

static void
kill_exec(struct app_exec *e)
{
	e->stopped = true;
	if (e->session != NULL)
		sandbox_session_kill(e->session);
}

static void
on_timeout(uv_timer_t *t)
{
	struct app_exec *e = t->data;

	e->timed_out = true;
	kill_exec(e);
}

/* Kills c's commands (every command when c is NULL) and forgets their
 * clients. At server end (c NULL) each sandbox is reaped here and its
 * command finished at once, since the server goes away. */
void
app_exec_drop(struct app_server *s, struct app_conn *c)
{
	struct app_exec *e, *next;

	for (e = s->execs; e != NULL; e = next) {
		next = e->next;
		if (c != NULL && e->conn != c)
			continue;
		e->conn = NULL;
		if (c != NULL) {
			kill_exec(e);
			continue;
		}
		e->out.eof = e->err.eof = true;
		e->stopped = true;
		if (e->session != NULL)
			sandbox_session_abort(e->session);
		else
			maybe_finish(e);
	}
}

void
app_exec_reload(struct app_server *s)
{
	struct app_exec *e;
	struct errbuf err;

	for (e = s->execs; e != NULL; e = e->next) {
		if (e->session == NULL)
			continue;
		errbuf_init(&err);
		if (sandbox_session_reload(e->session, &err) == -1)
			log_warn("app-server: %s: policy not applied: %s",
				 e->process_id, errbuf_first(&err));
		errbuf_release(&err);
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

/* Starts the first sandbox with stdin /dev/null and stdout, stderr on
 * pipes; 0, or -1 with err (nothing started). What happens to the
 * sandboxes afterwards, failures included, comes to on_done. */
static int
spawn(struct app_exec *e, struct errbuf *err)
{
	int fds[5] = {-1, -1, -1, -1, -1};

	if (pipe2(fds, O_CLOEXEC) == -1 || pipe2(fds + 2, O_CLOEXEC) == -1 ||
	    (fds[4] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		errbuf_add(err, "pipe: %s", strerror(errno));
		close_fds(fds, 5);
		return -1;
	}
	e->stdio[0] = fds[4];
	e->stdio[1] = fds[1];
	e->stdio[2] = fds[3];
	stream_init(e, &e->out, "stdout", fds[0]);
	stream_init(e, &e->err, "stderr", fds[2]);
	start_phase(e);
	return 0;
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
	if (spawn(e, &err) == -1) {
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

/* exec/approval {processId, command, cwd, escalation, justification,
 * setup (when there are setup commands)}. */
static json_t *
ask_params(const struct app_exec *e, const struct exec_params *x)
{
	json_t *p = json_pack("{s:s,s:O,s:s?,s:o,s:s?}", "processId",
			      e->process_id, "command", x->command, "cwd",
			      e->p.plan.cwd, "escalation",
			      exec_escalation_json(&e->p.esc), "justification",
			      x->justification);

	if (json_array_size(x->setup) > 0)
		json_object_set(p, "setup", x->setup);
	return p;
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

static void
start(struct app_conn *c, const json_t *id, const struct exec_params *x)
{
	struct app_exec *e = xcalloc(1, sizeof(*e));
	struct errbuf err;
	int code;

	e->s = c->s;
	e->status = -1;
	e->stdio[0] = e->stdio[1] = e->stdio[2] = -1;
	buf_init(&e->refusals, APP_SERVER_MAX_OUTPUT);
	errbuf_init(&err);
	if (exec_prepare(c->s, x, &e->p, &err, &code) == -1) {
		refuse(e, c, id, code, errbuf_str(&err));
		errbuf_release(&err);
		return;
	}
	errbuf_release(&err);
	e->conn = c;
	e->id = json_deep_copy(id);
	e->stream = x->stream;
	e->timeout_ms = x->timeout_ms;
	e->setup_results = json_array();
	e->command = command_line(e->p.argv);
	e->process_id = x->process_id ? xstrdup(x->process_id)
				      : xasprintf("exec-%llu",
						  (unsigned long long)++c->s->next_exec);
	if (e->p.gate == EXEC_GATE_ASK)
		app_ask_exec(c, ask_params(e, x), e->p.approval_timeout_ms,
			     on_approval, e);
	else
		go(e);
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

/* --- command/list and an approver's kill (app_server_feed.c) -------------- */

json_t *
app_exec_list(struct app_server *s, const struct app_conn *only)
{
	static const char *const fs[] = {"read-only", "workspace-write",
					 "danger-full-access"};
	json_t *a = json_array();
	struct app_exec *e;

	for (e = s->execs; e != NULL; e = e->next) {
		if (e->status >= 0 || e->session == NULL ||
		    (only != NULL && e->conn != only))
			continue;
		json_array_append_new(
			a, json_pack("{s:s,s:I,s:o,s:s?,s:s?,s:s,s:b}",
				     "processId", e->process_id, "pid",
				     (json_int_t)sandbox_session_pid(e->session),
				     "command", app_argv_json(e->p.argv), "cwd",
				     e->p.plan.cwd, "client",
				     e->conn ? e->conn->name : NULL, "sandbox",
				     fs[e->p.plan.fs % 3], "network",
				     e->p.plan.net == SANDBOX_NET_PROXY));
	}
	return a;
}

int
app_exec_kill_pid(struct app_server *s, json_int_t pid)
{
	struct app_exec *e;

	for (e = s->execs; e != NULL; e = e->next) {
		if (e->status < 0 && e->session != NULL &&
		    (json_int_t)sandbox_session_pid(e->session) == pid) {
			kill_exec(e);
			return 0;
		}
	}
	return -1;
}
