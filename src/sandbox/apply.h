/* apply.h — the sandbox's side of a run: everything that happens inside
 * the new namespaces (launch.h is the parent's side).
 *
 * sandbox_child_main() runs in the process cloned into new user, mount,
 * pid and network namespaces; it is pid 1 there. It closes every
 * descriptor but 0, 1, 2 and sock, makes itself the leader of a new
 * process group (own_session: a new session), maps the caller's uid and
 * gid, sets up the network side (netns.h) and reports to the parent over
 * sock, waits for the parent's go, builds the mount namespace (mounts.h),
 * then forks the
 * command and stays as its init: it forwards the signals the parent
 * forwards (sigfwd.h), tells the parent over sock when the command stops
 * (SANDBOX_MSG_STOPPED), reaps orphans, and exits with the command's
 * status (128+signal when the command was killed). When it exits, the
 * kernel kills everything left in the pid namespace, and the caller,
 * once it has reaped it, removes the run's placeholders with
 * placeholder_cleanup() (placeholder.h).
 *
 * The command's process applies the rest of the plan in order —
 * no_new_privs, Landlock, capabilities dropped, seccomp (whose
 * notification listener goes to the parent through the init:
 * SANDBOX_MSG_NOTIFY), environment, chdir — and execs. Any failure before exec prints `airlock: error: ...`
 * and exits 125: a half-applied sandbox never execs. exec failures exit
 * 127 (not found) or 126. */
#ifndef AIRLOCK_SANDBOX_APPLY_H
#define AIRLOCK_SANDBOX_APPLY_H

#include <stdbool.h>

#include "sandbox/plan.h"

#define SANDBOX_EXIT_SETUP 125

/* After the go, each time the command stops the init sends the parent
 * two bytes on sock: this, then the stop signal's number. */
#define SANDBOX_MSG_STOPPED 'S'
/* Once, before the command execs: {this, 1} with the command's seccomp
 * listener attached (SCM_RIGHTS), for the parent's supervisor
 * (unotify.h); {this, 0} when it could not be had (the command then exits
 * 125 without exec). The parent must read sock until this arrives: until
 * a supervisor serves the listener, the command's connect() and sends
 * wait. (netns_send_tagged / netns_recv_tagged.) */
#define SANDBOX_MSG_NOTIFY 'N'

struct sandbox_child_opts {
	const struct sandbox_plan *plan;
	int sock;                 /* to the parent; closed before exec */
	bool own_session;         /* setsid (no terminal) instead of setpgid */
	bool allow_local_binding; /* for AIRLOCK_NETWORK_ALLOW_LOCAL_BINDING */
	char *const *envp;        /* the caller's environment */
	const char *ca_bundle;    /* CA variables point here, or NULL */
};

__attribute__((noreturn)) void
sandbox_child_main(const struct sandbox_child_opts *o);

#endif
