/* launch.h — `airlock run`'s side of a sandbox (apply.h is the child's).
 *
 * sandbox_launch() runs a built plan to completion and returns the exit
 * status for airlock: the command's own (128+signal when killed), or, when
 * the sandbox could not be set up, the status session.h's table gives
 * (125; 2 when the embedded proxy's config is invalid) after printing
 * why (the message names the missing mechanism and the fix).
 *
 * danger-full-access execs the command in place (no sandbox, no proxy).
 * Otherwise one sandbox session (session.h) runs on a libuv loop of its
 * own, with the terminal: it forwards the signals airlock gets
 * (sigfwd.h), hands the terminal to the sandbox's own process group and
 * follows its stops (jobctl.h). With network granted, the embedded
 * proxy asks an approvals broker of the run's (proxy/approval.h) about
 * allowlist misses: its front-end is the terminal; without one no one can
 * be asked, and the summary says "not asked: no terminal". When a person
 * may be asked (airlock's stdin and stderr are terminals, may_ask), the
 * sandbox gets a pseudo-terminal of its own (pty.h) instead of the
 * caller's terminal, and the prompt (prompt.h) asks on the caller's
 * terminal, which the command then cannot read. At the end the
 * unix-socket refusals of the supervisor (unotify.h) and the
 * blocked-request summary (summary.h) go to stderr. */
#ifndef AIRLOCK_SANDBOX_LAUNCH_H
#define AIRLOCK_SANDBOX_LAUNCH_H

#include <stdbool.h>

#include "config/conf.h"
#include "policy/netpolicy.h"
#include "lib/errbuf.h"
#include "sandbox/apply.h"
#include "sandbox/plan.h"

struct sandbox_launch_opts {
	const struct sandbox_plan *plan;
	const struct conf_opts *conf;       /* for the embedded proxy */
	const struct netpolicy_extra *extra; /* --allow/--deny/--mode */
	bool allow_local_binding;
	/* The approval policy may put allowlist misses to a person
	 * (netpolicy_may_ask_as()). */
	bool may_ask;
	char *const *envp;
	const char *ca_bundle; /* interception on: trust bundle for the child */
	/* A setup command's sandbox (setup.h): its summary says so, and
	 * danger-full-access runs it in a child (airlock goes on after). */
	const char *setup;
};

int sandbox_launch(const struct sandbox_launch_opts *o);

/* The trust bundle a sandboxed command must be pointed at: in limited
 * mode with network granted, the embedded proxy intercepts HTTPS to port
 * 443, and with request rules (rules true: the config defines some) it
 * intercepts the hosts that have rules in any mode; so the CA under
 * home/proxy is created (once) and the bundle (system roots + the CA)
 * written before the sandbox starts. Returns its path (heap), or NULL:
 * either nothing is intercepted (err untouched) or the CA cannot be had
 * (a line added to err — refuse to run then). */
char *sandbox_ca_bundle(const char *home, const struct sandbox_plan *p,
			const char *mode, bool rules, struct errbuf *err);

#endif
