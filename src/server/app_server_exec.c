/* app_server_exec.c — command/exec and command/kill.
 *
 * A command runs exactly as under `airlock run`: the same sandbox plan
 * (sandbox/plan.h) built from the config with the runtime policy, and
 * the same sandbox session (sandbox/session.h) on this server's loop:
 * the same clone, the same embedded proxy when network is granted, the
 * same deadline on the child's report, so a launch that fails or hangs
 * fails that one command with a JSON-RPC error (the session's table) and
 * never stalls the loop. Requirements apply to the sandbox and network
 * params as they apply to `airlock run`'s flags. The child's stdin is
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

#include "config/conf_rules.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "sandbox/childenv.h"
#include "sandbox/input.h"
#include "sandbox/launch.h"
#include "sandbox/plan.h"
#include "sandbox/probe.h"
#include "sandbox/session.h"
#include "sandbox/setup.h"
#include "sandbox/workspace.h"
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
	bool stream;
	struct sandbox_session *session; /* NULL once done */
	int status;             /* -1 while running */
	enum sandbox_fail fail; /* the session's result */
	char *fail_message;
	struct exec_stream out, err;
	uv_timer_t timer;
	bool timed_out;
	int handles;            /* open uv handles; freed at 0 */
	bool answered;
	struct sandbox_plan plan;
	char **argv;            /* the plan borrows it */
	char **envp;
	char *ca_bundle;        /* limited mode: the interception trust bundle */
	bool allow_local;
	/* The setup phase (sandbox/setup.h): phases[0..n_phases) run first,
	 * one sandbox each; phase == n_phases is the command's. */
	struct setup_phase *phases;
	size_t n_phases, phase;
	json_t *setup_results;  /* [{command, exitCode}] */
	char *failed_setup;     /* the setup command that failed */
	bool stopped;           /* killed or timed out: no next phase */
	bool done;              /* the last sandbox ended */
	int stdio[3];           /* every sandbox's 0, 1, 2; -1 once closed */
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

/* Until clients' requests can be approved by a person, asking for more
 * than the server's config gives is refused unless the server was
 * started with --allow-escalation: a wider sandbox mode than
 * sandbox_mode (danger-full-access above all), or network when
 * sandbox_workspace_write.network_access is off. */
static int
check_escalation(const struct app_server *s, const struct conf *c,
		 const struct exec_params *x, struct errbuf *err)
{
	const char *mode = conf_str(c, "sandbox_mode");

	if (s->allow_escalation)
		return 0;
	if (x->sandbox != NULL &&
	    sandbox_fs_parse(x->sandbox) > sandbox_fs_parse(mode)) {
		errbuf_add(err, "sandbox %s is wider than the server's "
			   "sandbox_mode %s (an escalation); start the server "
			   "with --allow-escalation to let clients ask for it",
			   x->sandbox, mode);
		return -1;
	}
	if (x->network == 1 &&
	    !conf_bool(c, "sandbox_workspace_write.network_access")) {
		errbuf_add(err, "network is off in the server's config "
			   "(sandbox_workspace_write.network_access = false); "
			   "asking for it is an escalation; start the server "
			   "with --allow-escalation to let clients ask for it");
		return -1;
	}
	return 0;
}

/* The setup phase follows the server's setup.* config, which a client
 * cannot change; but setup commands from a client of a server whose
 * config gives no network (or a narrower mode) would get what the
 * setup.* defaults give — an escalation, unless the config sets those
 * keys itself. */
static int
check_setup_escalation(const struct app_server *s, const struct conf *c,
		       const struct exec_params *x, struct errbuf *err)
{
	if (s->allow_escalation || json_array_size(x->setup) == 0)
		return 0;
	if (conf_bool(c, "setup.network_access") &&
	    !conf_is_set(c, "setup.network_access") &&
	    !conf_bool(c, "sandbox_workspace_write.network_access")) {
		errbuf_add(err, "setup commands would get network "
			   "(setup.network_access, by default) while the "
			   "server's network is off (an escalation); set "
			   "setup.network_access in the server's config, or "
			   "start it with --allow-escalation");
		return -1;
	}
	if (!conf_is_set(c, "setup.sandbox_mode") &&
	    sandbox_fs_parse(conf_str(c, "setup.sandbox_mode")) >
		    sandbox_fs_parse(conf_str(c, "sandbox_mode"))) {
		errbuf_add(err, "setup commands would run %s (setup.sandbox_mode, "
			   "by default), wider than the server's sandbox_mode "
			   "%s (an escalation); set setup.sandbox_mode in the "
			   "server's config, or start it with "
			   "--allow-escalation",
			   conf_str(c, "setup.sandbox_mode"),
			   conf_str(c, "sandbox_mode"));
		return -1;
	}
	return 0;
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

/* The server's environment without the variables that hold request-rule
 * secrets (they stay airlock's, as under `airlock run`), with the env
 * param on top. */
static char **
command_env(const struct app_server *s, const struct conf *c,
	    const struct exec_params *x)
{
	const char **secret_vars;
	char **base, **env;
	size_t nvars;

	secret_vars = conf_request_env_vars(c, &nvars);
	base = childenv_without_secrets((const char *const *)s->envp,
					secret_vars, nvars);
	free(secret_vars);
	env = exec_build_env(base, x->env);
	childenv_free_array(base);
	return env;
}

/* One setup phase per command of the setup param, in the command's
 * workspace, each judged by the workspace rule. */
static int
build_phases(struct app_exec *e, const struct conf *c,
	     const struct exec_params *x, struct errbuf *err)
{
	struct setup_where w = {e->plan.cwd, e->s->opts.home,
				e->s->opts.system_dir, e->s->opts.config_file};
	size_t i, n = json_array_size(x->setup);

	e->phases = xcalloc(n + 1, sizeof(*e->phases));
	e->setup_results = json_array();
	for (i = 0; i < n; i++) {
		const char *cmd = json_string_value(json_array_get(x->setup, i));

		e->n_phases++;
		if (setup_phase_build(&e->phases[i], c, cmd, &w, NULL, 0,
				      err) == -1 ||
		    check_workspace(e->s, c, &e->phases[i].plan, err) == -1)
			return -1;
	}
	return 0;
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
	return 0;
}

/* --- the session ---------------------------------------------------------------- */

static void maybe_finish(struct app_exec *e);

static void
on_blocked(void *arg, const struct audit_event *ev)
{
	struct app_exec *e = arg;

	app_policy_blocked(e->s, ev);
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
	sandbox_session_free(ss);
	if (e->phase < e->n_phases) {
		setup = e->phases[e->phase].command;
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
		e->phase < e->n_phases ? &e->phases[e->phase] : NULL;
	struct sandbox_session_opts so;

	memset(&so, 0, sizeof(so));
	so.plan = ph ? &ph->plan : &e->plan;
	so.envp = e->envp;
	so.ca_bundle = ph ? ph->ca_bundle : e->ca_bundle;
	so.allow_local_binding = ph ? ph->allow_local_binding : e->allow_local;
	so.conf = &e->s->opts;
	so.extra = ph ? &ph->extra : NULL;
	memcpy(so.stdio, e->stdio, sizeof(so.stdio));
	so.on_blocked = on_blocked;
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
	size_t i;

	for (i = 0; i < e->n_phases; i++)
		setup_phase_release(&e->phases[i]);
	free(e->phases);
	json_decref(e->setup_results);
	free(e->failed_setup);
	close_stdio(e);
	free(e->fail_message);
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

/* Bytes as a JSON string: invalid UTF-8 sequences become U+FFFD. */
static json_t *
text_json(const struct buf *b)
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

/* The setup command that failed says so last on stderr. */
static void
note_failed_setup(struct app_exec *e)
{
	char *note;
	size_t n;

	if (e->failed_setup == NULL)
		return;
	note = xasprintf("airlock: setup `%s` failed with exit status %d; the "
			 "command did not run\n",
			 e->failed_setup, e->status);
	n = strlen(note);
	if (n > APP_SERVER_MAX_OUTPUT - e->err.data.len) {
		e->err.truncated = true;
		n = APP_SERVER_MAX_OUTPUT - e->err.data.len;
	}
	buf_add(&e->err.data, note, n);
	delta(e, "stderr", note, n);
	free(note);
}

static void
answer(struct app_exec *e)
{
	json_t *r;

	e->answered = true;
	note_failed_setup(e);
	if (e->conn != NULL && e->fail != SANDBOX_OK) {
		char *msg = xasprintf("command/exec failed: %s",
				      e->fail_message);

		app_send_error(e->conn, e->id, sandbox_fail_rpc(e->fail), msg);
		free(msg);
	} else if (e->conn != NULL) {
		r = json_pack("{s:s,s:i,s:o,s:o,s:b,s:b}", "processId",
			      e->process_id, "exitCode", e->status, "stdout",
			      text_json(&e->out.data), "stderr",
			      text_json(&e->err.data), "truncated",
			      e->out.truncated || e->err.truncated, "timedOut",
			      e->timed_out);
		if (e->n_phases > 0)
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

static int
prepare(struct app_exec *e, const struct exec_params *x, struct errbuf *err,
	int *code)
{
	struct conf *c = app_load_conf(e->s, err);
	int rc = -1;

	*code = RPC_INTERNAL_ERROR;
	if (c == NULL)
		goto out;
	*code = RPC_INVALID_REQUEST;
	if (check_params(c, x, err) == -1 ||
	    check_escalation(e->s, c, x, err) == -1 ||
	    check_setup_escalation(e->s, c, x, err) == -1)
		goto out;
	*code = RPC_INVALID_PARAMS;
	e->argv = argv_of(x->command);
	if (build_plan(e, c, x, e->argv, err) == -1)
		goto out;
	*code = RPC_INVALID_REQUEST;
	if (check_workspace(e->s, c, &e->plan, err) == -1)
		goto out;
	if (build_phases(e, c, x, err) == -1)
		goto out;
	e->envp = command_env(e->s, c, x);
	e->allow_local = conf_bool(c, "permissions.network.allow_local_binding");
	*code = RPC_INTERNAL_ERROR;
	e->ca_bundle = sandbox_ca_bundle(e->s->opts.home, &e->plan,
					 conf_str(c, "permissions.network.mode"),
					 err);
	if (err->count > 0)
		goto out;
	rc = 0;
out:
	conf_free(c);
	return rc;
}

static void
start(struct app_conn *c, const json_t *id, const struct exec_params *x)
{
	struct app_exec *e = xcalloc(1, sizeof(*e));
	struct errbuf err;
	char *msg;
	int code;

	e->s = c->s;
	e->status = -1;
	e->stdio[0] = e->stdio[1] = e->stdio[2] = -1;
	errbuf_init(&err);
	if (prepare(e, x, &err, &code) == -1 ||
	    (code = RPC_INTERNAL_ERROR, spawn(e, &err) == -1)) {
		msg = xasprintf("command/exec refused: %s", errbuf_str(&err));
		app_reply_error(c, id, code, msg);
		free(msg);
		exec_free(e);
		errbuf_release(&err);
		return;
	}
	errbuf_release(&err);
	e->conn = c;
	e->id = json_deep_copy(id);
	e->stream = x->stream;
	e->process_id = x->process_id ? xstrdup(x->process_id)
				      : xasprintf("exec-%llu",
						  (unsigned long long)++c->s->next_exec);
	uv_timer_init(c->s->loop, &e->timer);
	e->timer.data = e;
	if (x->timeout_ms > 0)
		uv_timer_start(&e->timer, on_timeout, (uint64_t)x->timeout_ms, 0);
	e->next = c->s->execs;
	if (e->next != NULL)
		e->next->prev = e;
	c->s->execs = e;
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
