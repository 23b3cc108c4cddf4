/* launch.h — the parent's side of `airlock run` (apply.h is the child's).
 *
 * sandbox_launch() runs a built plan to completion and returns the exit
 * status for airlock: the command's own (128+signal when killed), 125 when
 * the sandbox could not be set up (the message names the missing
 * mechanism and the fix), 2 when the embedded proxy's config is invalid.
 *
 * danger-full-access execs the command in place (no sandbox, no proxy).
 * Otherwise the parent clones a child into new user, mount, pid and
 * network namespaces (fail closed: no fallback), receives the listening
 * sockets the child made inside its namespace when network is granted,
 * serves them with an embedded proxy (no admin listener) on a libuv loop
 * in this process, forwards the signals airlock gets (sigfwd.h), hands
 * the terminal to the sandbox's own process group and follows its stops
 * (jobctl.h), and at the end prints the blocked-request summary
 * (summary.h) to stderr. */
#ifndef AIRLOCK_SANDBOX_LAUNCH_H
#define AIRLOCK_SANDBOX_LAUNCH_H

#include <stdbool.h>
#include <uv.h>

#include "config/conf.h"
#include "policy/netpolicy.h"
#include "lib/errbuf.h"
#include "sandbox/plan.h"

struct sandbox_launch_opts {
	const struct sandbox_plan *plan;
	const struct conf_opts *conf;       /* for the embedded proxy */
	const struct netpolicy_extra *extra; /* --allow/--deny/--mode */
	bool allow_local_binding;
	char *const *envp;
	const char *ca_bundle; /* interception on: trust bundle for the child */
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

struct unotify;

/* The hook the parent runs when sock, its socket to the sandbox's init,
 * is readable after the go (`airlock run` and command/exec alike): reads
 * one message into msg; when it carries the command's seccomp listener
 * (SANDBOX_MSG_NOTIFY) and *u is NULL, starts the supervisor on loop with
 * p's policy, taking *diag_fd (set to -1). Warnings and a failure to start
 * are logged with prefix. Returns 2, 0 at EOF, -1 with errno (EAGAIN:
 * nothing yet). */
int sandbox_init_message(int sock, uv_loop_t *loop,
			 const struct sandbox_plan *p, int *diag_fd,
			 struct unotify **u, unsigned char msg[2],
			 const char *prefix);

#endif
