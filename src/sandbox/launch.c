/* launch.c — `airlock run`'s sandbox: one session on a loop of its own,
 * then the blocked summary. See launch.h. */
#include "sandbox/launch.h"
#include "proxy/ca.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/log.h"
#include "proxy/approval.h"
#include "sandbox/ctty.h"
#include "sandbox/prompt.h"
#include "sandbox/pty.h"
#include "sandbox/session.h"
#include "sandbox/summary.h"

struct launch {
	int status;
	const char *setup;
	struct pty *pty;
};

/* The sandbox's own pseudo-terminal (pty.h), when a person at the
 * terminal may be asked: airlock's stdin and stderr are terminals, the
 * network is granted and the approval policy may ask. Otherwise NULL —
 * the command shares the caller's terminal as ever (jobctl.h) — and *why
 * says why no one can be asked, for the blocked summary. */
static struct pty *
open_pty(const struct sandbox_launch_opts *o, char *why, size_t n)
{
	struct errbuf err;
	struct pty *p;

	snprintf(why, n, "no terminal");
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return NULL;
	snprintf(why, n, "no prompt on this terminal");
	if (!o->may_ask || o->plan->net != SANDBOX_NET_PROXY ||
	    o->plan->fs == SANDBOX_FS_FULL_ACCESS)
		return NULL;
	errbuf_init(&err);
	p = pty_open(&err);
	if (p == NULL) {
		snprintf(why, n, "no prompt: %s", errbuf_str(&err));
		log_warn("run: %s; network requests that would be asked about "
			 "are denied",
			 why);
	}
	errbuf_release(&err);
	return p;
}

/* The broker the embedded proxy asks about allowlist misses. Its
 * front-end is the prompt on the terminal airlock runs on (prompt.h);
 * without one, no one can be asked, and approval_policy behaves as never
 * — the blocked summary says "not asked: no terminal". */
static struct approval_broker *
new_broker(uv_loop_t *loop, const struct sandbox_launch_opts *o,
	   const char *why)
{
	struct approval_broker_opts bo = {0};

	bo.home = o->conf->home;
	bo.wait_for_asker = false;
	bo.no_asker_why = why;
	return approval_broker_new(loop, &bo);
}

/* The sandbox's pty (ctty.h) goes on each of the command's standard
 * descriptors that is a terminal for airlock; the others (a redirection)
 * are inherited. The session attaches the pty once the sandbox made it. */
static void
use_pty(struct sandbox_session_opts *so, struct pty *p)
{
	int i;

	for (i = 0; i < 3; i++)
		so->stdio[i] = isatty(i) ? SANDBOX_STDIO_PTY : -1;
	so->pty = p;
}

static void
print_summary(const struct audit_ring *r, const char *setup)
{
	struct buf b;

	if (r == NULL)
		return;
	buf_init(&b, 1 << 20);
	if (setup != NULL)
		summary_format_setup(r, setup, &b);
	else
		summary_format(r, &b);
	if (b.len > 0)
		fputs(b.p, stderr);
	buf_release(&b);
}

static void
on_done(void *arg, struct sandbox_session *s, const struct sandbox_result *r)
{
	struct launch *l = arg;

	/* The rest of the command's output, and the caller's modes, before
	 * anything of airlock's. */
	pty_finish(l->pty);
	if (r->fail != SANDBOX_OK && l->setup != NULL)
		log_error("run: setup `%s`: %s", l->setup, r->message);
	else if (r->fail != SANDBOX_OK)
		log_error("run: %s", r->message);
	fputs(r->refusals, stderr);
	print_summary(sandbox_session_blocked(s), l->setup);
	l->status = r->status;
	sandbox_session_free(s);
}

int
sandbox_launch(const struct sandbox_launch_opts *o)
{
	struct sandbox_session_opts so;
	struct launch l = {SANDBOX_EXIT_SETUP, o->setup, NULL};
	struct approval_broker *broker = NULL;
	struct prompt *prompt = NULL;
	char why[256];
	uv_loop_t loop;

	if (o->plan->fs == SANDBOX_FS_FULL_ACCESS && o->setup == NULL) {
		sandbox_plan_save_walk(o->plan);
		execvp(o->plan->argv[0], o->plan->argv);
		log_error("run: %s: %s", o->plan->argv[0], strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}
	memset(&so, 0, sizeof(so));
	so.plan = o->plan;
	so.envp = o->envp;
	so.ca_bundle = o->ca_bundle;
	so.allow_local_binding = o->allow_local_binding;
	so.conf = o->conf;
	so.extra = o->extra;
	so.stdio[0] = so.stdio[1] = so.stdio[2] = -1;
	so.terminal = true;
	so.grace_ms = 100;
	so.command = o->setup != NULL ? o->setup : o->plan->argv[0];
	so.log_prefix = "run: ";
	so.on_done = on_done;
	so.arg = &l;
	/* The embedded proxy writes to sockets its peers may close. */
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	if (o->plan->net == SANDBOX_NET_PROXY) {
		l.pty = open_pty(o, why, sizeof(why));
		so.approvals = broker = new_broker(&loop, o, why);
	}
	if (l.pty != NULL) {
		prompt = prompt_new(broker, l.pty);
		use_pty(&so, l.pty);
	}
	sandbox_session_start(&loop, &so);
	/* The sandbox builds itself on another processor meanwhile. */
	sandbox_plan_save_walk(o->plan);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* The session and its proxy are gone: the broker's last reference
	 * goes, and its timers close. */
	prompt_free(prompt);
	approval_broker_close(broker);
	approval_broker_unref(broker);
	pty_free(l.pty);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return l.status;
}

char *
sandbox_ca_bundle(const char *home, const struct sandbox_plan *p,
		  const char *mode, bool rules, struct errbuf *err)
{
	struct ca *ca;
	char *dir, *bundle = NULL;

	if (p->net != SANDBOX_NET_PROXY ||
	    (strcmp(mode, "limited") != 0 && !rules))
		return NULL;
	dir = ca_dir_for_home(home);
	bundle = ca_bundle_fast(dir, err);
	if (bundle != NULL || err->count > 0) {
		free(dir);
		return bundle;
	}
	ca = ca_load_or_create(dir, err);
	if (ca != NULL)
		bundle = ca_write_bundle(ca, dir, err);
	ca_free(ca);
	free(dir);
	return bundle;
}
