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
#include "sandbox/session.h"
#include "sandbox/summary.h"

struct launch {
	int status;
	const char *setup;
};

/* The broker the embedded proxy asks about allowlist misses. Its
 * front-end is the terminal airlock runs on; without one, no one can be
 * asked, and approval_policy behaves as never — the blocked summary says
 * "not asked: no terminal". */
static struct approval_broker *
new_broker(uv_loop_t *loop, const struct sandbox_launch_opts *o)
{
	struct approval_broker_opts bo = {0};
	bool tty = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);

	bo.home = o->conf->home;
	bo.wait_for_asker = false;
	bo.no_asker_why = tty ? "no prompt on this terminal" : "no terminal";
	return approval_broker_new(loop, &bo);
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
	struct launch l = {SANDBOX_EXIT_SETUP, o->setup};
	struct approval_broker *broker = NULL;
	uv_loop_t loop;

	if (o->plan->fs == SANDBOX_FS_FULL_ACCESS && o->setup == NULL) {
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
	if (o->plan->net == SANDBOX_NET_PROXY)
		so.approvals = broker = new_broker(&loop, o);
	sandbox_session_start(&loop, &so);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* The session and its proxy are gone: the broker's last reference
	 * goes, and its timers close. */
	approval_broker_close(broker);
	approval_broker_unref(broker);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return l.status;
}

char *
sandbox_ca_bundle(const char *home, const struct sandbox_plan *p,
		  const char *mode, struct errbuf *err)
{
	struct ca *ca;
	char *dir, *bundle = NULL;

	if (p->net != SANDBOX_NET_PROXY || strcmp(mode, "limited") != 0)
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
