/* session.h — one sandboxed command, from clone to reaping, on a libuv
 * loop: the one way airlock starts a sandbox. `airlock run` (launch.h)
 * and the app-server's command/exec both go through it, so they share one
 * clone path, one embedded-proxy start and one error vocabulary.
 *
 * sandbox_session_start() prepares in the parent everything the child
 * would otherwise need memory or a library for (the environment, the
 * seccomp filter as a BPF program, the id maps, the mount preparations:
 * the child is cloned from a process whose other threads may hold any
 * lock, see apply.h), clones the child into new user, mount, pid and
 * network namespaces with a pidfd, and returns at once. The rest happens
 * on the loop:
 *   - the child's report (its listeners, or why it failed) is awaited
 *     with a deadline (SANDBOX_SESSION_REPORT_MS): a child that never
 *     reports is killed and the session fails, and nothing ever blocks
 *     the loop;
 *   - when network is granted, the embedded proxy (no admin listener)
 *     starts on the child's listeners and stub-resolver socket, asking
 *     the approvals broker about allowlist misses when one is given, and
 *     its blocked requests go to on_blocked as they happen;
 *   - the go is sent (the child builds its mounts meanwhile, and forks
 *     the command only once it has the go); the child may still report
 *     a failure (mounts, Landlock, seccomp: the session then fails), and,
 *     with a terminal, its stops (jobctl.h);
 *   - the command's seccomp listener comes (a NETNS_FD_NOTIFY descriptor,
 *     apply.h): the supervisor of its connect() and sends (unotify.h)
 *     serves it on the loop, judging unix paths with the sandbox's
 *     sock_diag socket (which came with the report) and the plan's
 *     unix_sockets; until then the command's trapped calls wait;
 *   - when the child exits (its pidfd), it is reaped, the supervisor
 *     stopped (its refusals go into the result), the plan's placeholders
 *     removed, the proxy drained, and on_done called once with the
 *     result.
 * With terminal set (`airlock run`), the session also forwards the
 * signals airlock gets to the sandbox (sigfwd.h), hands it the terminal
 * and follows its stops (jobctl.h); otherwise (the app-server) the
 * sandbox gets a session of its own and the given stdio. With terminal
 * and a pty (pty.h), the sandbox gets a session of its own whose
 * controlling terminal is a pty it makes from its own devpts (ctty.h; the
 * caller marks the descriptors that get it SANDBOX_STDIO_PTY in stdio,
 * descriptor 0 at least): the session attaches the master the child
 * sends (pty_attach) and only then sends the second go that lets the
 * command run; its stops are followed as before, around pty_suspend()
 * and pty_resume().
 *
 * Adding a descriptor the child sends after the report: give it a
 * netns_fd_kind, send it from the child in a struct netns_msg
 * (netns_send), and serve it in take_fd() in session.c, which gets every
 * such descriptor on the loop (as it does the seccomp listener).
 *
 * Failures: one table (session.c) maps each enum sandbox_fail to the
 * exit status of `airlock run` (sandbox_fail_exit) and the JSON-RPC error
 * code of command/exec (sandbox_fail_rpc); the message says what and why
 * in words both print.
 *
 * Ownership: the session borrows opts' pointers (plan, conf, extra, envp,
 * ca_bundle, log_prefix) until on_done has been called; the proxy copies
 * command and process_id and takes its own reference to approvals. sandbox_session_free() may be
 * called from on_done or later; it frees once its handles are closed. */
#ifndef AIRLOCK_SANDBOX_SESSION_H
#define AIRLOCK_SANDBOX_SESSION_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "config/conf.h"
#include "policy/netpolicy.h"
#include "lib/errbuf.h"
#include "proxy/audit.h"
#include "sandbox/plan.h"

/* How long the child has to report after it was cloned. */
#define SANDBOX_SESSION_REPORT_MS 5000

enum sandbox_fail {
	SANDBOX_OK,              /* the command ran; status is its own */
	SANDBOX_FAIL_PREPARE,    /* the parent could not prepare the child */
	SANDBOX_FAIL_NAMESPACES, /* the kernel refused the namespaces */
	SANDBOX_FAIL_SETUP,      /* the sandbox reported a failure */
	SANDBOX_FAIL_VANISHED,   /* the sandbox ended before reporting */
	SANDBOX_FAIL_TIMEOUT,    /* no report before the deadline */
	SANDBOX_FAIL_PROXY,      /* the embedded proxy would not start */
};

struct sandbox_result {
	enum sandbox_fail fail;
	int status;        /* the command's exit status (128+signal); for a
			    * failure, sandbox_fail_exit(fail) */
	const char *message; /* a failure: `what: why` (may hold several
			      * lines); "" when fail is SANDBOX_OK */
	const char *refusals; /* the supervisor's refused unix paths, as
			       * lines (unotify_summary), or "" */
};

struct sandbox_session;
struct approval_broker;
struct pty;

typedef void sandbox_session_done_fn(void *arg, struct sandbox_session *s,
				     const struct sandbox_result *r);
typedef void sandbox_session_blocked_fn(void *arg,
					const struct audit_event *ev);

struct sandbox_session_opts {
	const struct sandbox_plan *plan;
	char *const *envp;         /* the command's environment, before the
				    * proxy variables are rewritten */
	const char *ca_bundle;     /* interception: CA variables point here */
	bool allow_local_binding;  /* AIRLOCK_NETWORK_ALLOW_LOCAL_BINDING */
	const struct conf_opts *conf;          /* the embedded proxy's */
	const struct netpolicy_extra *extra;   /* or NULL */
	struct approval_broker *approvals;     /* who is asked, or NULL */
	const char *command;       /* what an approver is shown, or NULL */
	const char *process_id;    /* the app-server's processId, or NULL */
	const char *log_prefix;    /* for the supervisor's warnings: "run: " */
	int stdio[3];              /* the sandbox's 0, 1, 2; -1 inherits;
				    * SANDBOX_STDIO_PTY (ctty.h): the pty */
	bool terminal;             /* airlock run: see above */
	struct pty *pty;           /* with terminal: the sandbox's own, or
				    * NULL for the caller's terminal */
	int grace_ms;              /* for the proxy's connections at the end */
	unsigned report_ms;        /* 0: SANDBOX_SESSION_REPORT_MS */
	sandbox_session_blocked_fn *on_blocked; /* or NULL */
	/* Every decision of the embedded proxy, allowed or refused, as it is
	 * recorded (the app-server's live feed), or NULL. */
	sandbox_session_blocked_fn *on_decision;
	sandbox_session_done_fn *on_done;
	void *arg;
};

/* Starts the session (see above); never NULL. A failure before the child
 * exists (preparing, cloning) is reported through on_done too, from the
 * loop. */
struct sandbox_session *sandbox_session_start(uv_loop_t *loop,
					      const struct sandbox_session_opts *o);
/* SIGKILL to the sandbox (its whole pid namespace, or the process group
 * of a danger-full-access command); on_done follows, with status 137 and
 * no failure even when the sandbox was still being set up. */
void sandbox_session_kill(struct sandbox_session *s);
/* For a server that stops: kills the sandbox, waits for it here (it is
 * dying) and calls on_done before returning, without draining the
 * proxy. */
void sandbox_session_abort(struct sandbox_session *s);
/* Swaps the current policy into the embedded proxy, as a reload does
 * (its conf opts carry the change); 0 without a proxy. -1 with err (the
 * old policy stays). */
int sandbox_session_reload(struct sandbox_session *s, struct errbuf *err);
/* The sandbox's first process (its init), or -1 before the clone and
 * once it is reaped. */
pid_t sandbox_session_pid(const struct sandbox_session *s);
/* The embedded proxy's blocked ring, or NULL without one; valid until
 * sandbox_session_free(). */
const struct audit_ring *sandbox_session_blocked(const struct sandbox_session *s);
/* Frees s once its handles are closed (and its proxy, if any). */
void sandbox_session_free(struct sandbox_session *s);

/* The table: `airlock run`'s exit status (125, or 2 for a proxy config
 * that does not load) and command/exec's JSON-RPC error code. */
int sandbox_fail_exit(enum sandbox_fail f);
int sandbox_fail_rpc(enum sandbox_fail f);

#endif
