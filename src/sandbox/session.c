/* session.c — one sandboxed command on a libuv loop. See session.h.
 *
 * States, in order: REPORTING (cloned; waiting for the report, with the
 * deadline timer running) → RUNNING (go sent) → EXITED (reaped; the proxy
 * draining) → DONE (on_done called). The end's work (the supervisor's
 * summary, the placeholders, the proxy's stop) starts when pid 1 says the
 * command ended (SANDBOX_MSG_EXITED, apply.h), while its exit tears the
 * namespaces down, or at the reap without that message; DONE waits for
 * the reap either way. A failure found on the way is kept in
 * fail/message, the first one winning, and the child is killed; the
 * session still ends through the child's exit, so every path reaps. */
#include "sandbox/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "proxy/proxy.h"
#include "sandbox/apply.h"
#include "sandbox/jobctl.h"
#include "sandbox/netns.h"
#include "sandbox/placeholder.h"
#include "sandbox/pty.h"
#include "sandbox/session_int.h"
#include "sandbox/sigfwd.h"
#include "sandbox/unotify.h"
#include "sandbox/whois.h"

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET)

enum state { ST_REPORTING, ST_RUNNING, ST_EXITED, ST_DONE };

struct sandbox_session {
	uv_loop_t *loop;
	struct sandbox_session_opts o;
	struct session_prep prep;
	enum state state;
	bool plain;           /* danger-full-access: no namespaces */
	pid_t pid;            /* -1 before the clone and once reaped */
	int pidfd, sock;
	uv_poll_t pid_poll, sock_poll;
	uv_timer_t timer;     /* the report's deadline; a deferred done */
	uv_signal_t sigcont;  /* terminal only */
	bool polling_pid, polling_sock, has_sigcont;
	int handles;          /* open handles; freed at 0 once freeing */
	bool killed;          /* sandbox_session_kill: no failure, 137 */
	bool freeing, proxy_stopping, proxy_down;
	bool ended;           /* pid 1 said the command ended (its status
			       * is result.status); pid 1 is exiting */
	bool wound_down;      /* wind_down() done */
	struct jobctl job;
	struct proxy *proxy;
	int diag_fd;          /* the sandbox's sock_diag socket, until the
			       * supervisor takes it */
	struct whois who;     /* who asks, for the prompt: a copy of it */
	struct unotify *unotify;
	char *stash;          /* placeholders kept between runs, or NULL */
	struct buf refusals;  /* result.refusals */
	struct sandbox_result result;
	char *message;        /* result.message when a failure */
};

/* The most the refusal lines of one sandbox take. */
#define REFUSALS_MAX (64 * 1024)

/* Keeps the first failure. */
static void
set_fail(struct sandbox_session *s, enum sandbox_fail f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_fail(struct sandbox_session *s, enum sandbox_fail f, const char *fmt, ...)
{
	va_list ap;

	if (s->result.fail != SANDBOX_OK)
		return;
	s->result.fail = f;
	va_start(ap, fmt);
	if (vasprintf(&s->message, fmt, ap) < 0)
		s->message = NULL;
	va_end(ap);
}

/* --- handles ------------------------------------------------------------------- */

static void
release(struct sandbox_session *s)
{
	if (!s->freeing || s->handles > 0 || (s->proxy && !s->proxy_down))
		return;
	proxy_free(s->proxy);
	unotify_stop(s->unotify);
	if (s->diag_fd >= 0)
		close(s->diag_fd);
	whois_close(&s->who);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->sock >= 0)
		close(s->sock);
	session_prep_release(&s->prep);
	free(s->stash);
	buf_release(&s->refusals);
	free(s->message);
	free(s);
}

static void
on_closed(uv_handle_t *h)
{
	struct sandbox_session *s = h->data;

	s->handles--;
	release(s);
}

static void
close_handle(uv_handle_t *h)
{
	if (uv_is_closing(h))
		return;
	uv_close(h, on_closed);
}

/* --- the end -------------------------------------------------------------------- */

static void
finish(struct sandbox_session *s)
{
	if (s->state == ST_DONE)
		return;
	s->state = ST_DONE;
	if (s->result.fail != SANDBOX_OK) {
		s->result.status = sandbox_fail_exit(s->result.fail);
		s->result.message = s->message ? s->message : "failed";
	} else {
		s->result.message = "";
	}
	s->result.refusals = s->refusals.len > 0 ? s->refusals.p : "";
	s->o.on_done(s->o.arg, s, &s->result);
}

static void
on_proxy_down(void *arg)
{
	struct sandbox_session *s = arg;

	s->proxy_down = true;
	/* After pid 1's word, on_done waits for its reap (exited). */
	if (!s->ended || s->pid <= 0)
		finish(s);
	release(s);
}

static void
stop_proxy(struct sandbox_session *s, int grace_ms)
{
	if (s->proxy_stopping)
		return;
	s->proxy_stopping = true;
	proxy_observe_blocked(s->proxy, NULL, NULL);
	proxy_observe_decisions(s->proxy, NULL, NULL);
	proxy_shutdown(s->proxy, grace_ms, on_proxy_down, s);
}

static void
stop_watching(struct sandbox_session *s)
{
	if (s->polling_pid)
		uv_poll_stop(&s->pid_poll);
	if (s->polling_sock)
		uv_poll_stop(&s->sock_poll);
	s->polling_pid = s->polling_sock = false;
	uv_timer_stop(&s->timer);
	if (s->has_sigcont)
		uv_signal_stop(&s->sigcont);
}

static void drain(struct sandbox_session *s);

/* The sandbox is gone: nothing is left to supervise. What was refused
 * goes into the result. */
static void
stop_supervisor(struct sandbox_session *s)
{
	unotify_summary(s->unotify, &s->refusals);
	unotify_stop(s->unotify);
	s->unotify = NULL;
	if (s->diag_fd >= 0)
		close(s->diag_fd);
	s->diag_fd = -1;
	whois_close(&s->who);
}

/* What follows the end of everything in the sandbox but pid 1's exit:
 * what was refused goes into the result, the placeholders go (pid 1
 * holds their locks no more), the proxy drains. Once. */
static void
wind_down(struct sandbox_session *s)
{
	if (s->wound_down)
		return;
	s->wound_down = true;
	stop_supervisor(s);
	if (!s->plain)
		placeholder_cleanup(s->o.plan, s->stash);
	if (s->proxy != NULL)
		stop_proxy(s, s->o.grace_ms);
}

/* Pid 1's last words (apply.h): the command ended with status, every
 * other process of the sandbox is gone and reaped, the placeholders are
 * unlocked. The end's work starts now, while pid 1 exits. */
static void
ended(struct sandbox_session *s, int status)
{
	if (s->state != ST_RUNNING || s->plain || s->ended || s->pid <= 0)
		return;
	s->ended = true;
	s->result.status = status;
	wind_down(s);
}

/* The child is reaped with status st: what follows its exit. */
static void
exited(struct sandbox_session *s, int st)
{
	drain(s); /* a failure it reported just before exiting */
	s->pid = -1;
	if (s->state == ST_REPORTING && !s->killed)
		set_fail(s, SANDBOX_FAIL_VANISHED,
			 "cannot set up the sandbox: it ended while being set "
			 "up");
	if (!s->ended)
		s->result.status = WIFSIGNALED(st) ? 128 + WTERMSIG(st)
						   : WEXITSTATUS(st);
	stop_watching(s);
	if (s->o.terminal) {
		sigfwd_target(0);
		jobctl_release(&s->job);
	}
	s->state = ST_EXITED;
	wind_down(s);
	if (s->proxy == NULL || s->proxy_down)
		finish(s);
}

static void
on_pidfd(uv_poll_t *h, int status, int events)
{
	struct sandbox_session *s = h->data;
	int st;

	(void)status;
	(void)events;
	if (s->pid > 0 && waitpid(s->pid, &st, WNOHANG) == s->pid)
		exited(s, st);
}

/* --- the child's messages ------------------------------------------------------- */

static void
kill_child(struct sandbox_session *s)
{
	if (s->pid <= 0)
		return;
	if (s->plain)
		kill(-s->pid, SIGKILL);
	/* The pidfd names this child even if its pid were reused. */
	if (syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0) == -1)
		kill(s->pid, SIGKILL);
}

static void
on_blocked(void *arg, const struct audit_event *ev)
{
	struct sandbox_session *s = arg;

	s->o.on_blocked(s->o.arg, ev);
}

static void
on_decision(void *arg, const struct audit_event *ev)
{
	struct sandbox_session *s = arg;

	s->o.on_decision(s->o.arg, ev);
}

/* The report arrived with the listeners: serve them, then go. */
static void
start_proxy(struct sandbox_session *s, const struct netns_msg *m,
	    const int *fds)
{
	struct proxy_opts po = {0};
	int tfds[PROXY_TRANSPARENT_MAX], ufds[PROXY_UDP_POOL_MAX];
	size_t nt = 0, nu = 0;
	struct errbuf err;
	int i;

	errbuf_init(&err);
	po.conf = s->o.conf;
	po.http_fd = netns_msg_fd(m, fds, NETNS_FD_HTTP);
	po.socks_fd = netns_msg_fd(m, fds, NETNS_FD_SOCKS);
	po.dns_fd = netns_msg_fd(m, fds, NETNS_FD_DNS);
	for (i = 0; i < m->nfds; i++) {
		if (m->kinds[i] == NETNS_FD_TRANSPARENT &&
		    nt < PROXY_TRANSPARENT_MAX)
			tfds[nt++] = fds[i];
		else if (m->kinds[i] == NETNS_FD_UDP && nu < PROXY_UDP_POOL_MAX)
			ufds[nu++] = fds[i];
	}
	po.transparent_fds = tfds;
	po.n_transparent_fds = nt;
	po.udp_fds = ufds;
	po.n_udp_fds = nu;
	po.forwards = s->o.plan->forwards;
	po.n_forwards = s->o.plan->n_forwards;
	po.no_admin = true;
	po.extra = s->o.extra;
	po.approvals = s->o.approvals;
	po.command = s->o.command;
	po.process_id = s->o.process_id;
	po.whois = whois_describe;
	po.whois_arg = &s->who;
	s->proxy = proxy_new(s->loop, &po, &err);
	if (s->proxy == NULL) {
		set_fail(s, SANDBOX_FAIL_PROXY,
			 "cannot start the embedded proxy: %s",
			 errbuf_str(&err));
	} else {
		if (s->o.on_blocked != NULL)
			proxy_observe_blocked(s->proxy, on_blocked, s);
		if (s->o.on_decision != NULL)
			proxy_observe_decisions(s->proxy, on_decision, s);
	}
	errbuf_release(&err);
}

static bool
for_proxy(int kind)
{
	return kind == NETNS_FD_HTTP || kind == NETNS_FD_SOCKS ||
	       kind == NETNS_FD_DNS || kind == NETNS_FD_TRANSPARENT ||
	       kind == NETNS_FD_UDP;
}

/* A go byte to the child (apply.h); when it cannot be sent, the child is
 * gone, and its pidfd says so. */
static void
send_go(struct sandbox_session *s)
{
	char go = 'G';

	(void)send(s->sock, &go, 1, MSG_NOSIGNAL);
}

/* The report: the sock_diag socket is kept for the supervisor, the
 * listeners go to the proxy when network is granted. */
static void
on_report(struct sandbox_session *s, const struct netns_msg *m,
	  const int *fds)
{
	bool proxy = s->o.plan->net == SANDBOX_NET_PROXY;
	/* Without its listener the proxy would bind its configured address
	 * on the host instead: never. */
	bool serve = proxy && netns_msg_fd(m, fds, NETNS_FD_HTTP) >= 0;
	int i;

	uv_timer_stop(&s->timer);
	for (i = 0; i < m->nfds; i++) {
		if (m->kinds[i] == NETNS_FD_DIAG && s->diag_fd < 0) {
			s->diag_fd = fds[i];
			whois_open(&s->who, fds[i], s->pid);
		} else if (!serve || !for_proxy(m->kinds[i]))
			close(fds[i]);
	}
	if (serve)
		start_proxy(s, m, fds);
	else if (proxy)
		set_fail(s, SANDBOX_FAIL_SETUP, "cannot set up the sandbox: it "
			 "reported no proxy listener");
	if (s->result.fail != SANDBOX_OK) {
		kill_child(s);
		return;
	}
	s->state = ST_RUNNING;
	send_go(s);
}

/* The supervisor refused UDP to dst: recorded like every refusal. */
static void
on_udp_refused(void *arg, const struct sockaddr *dst)
{
	struct sandbox_session *s = arg;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)dst;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)dst;
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;

	if (s->proxy == NULL)
		return;
	if (dst->sa_family == AF_INET) {
		inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip));
		port = ntohs(a4->sin_port);
	} else {
		inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof(ip));
		port = ntohs(a6->sin6_port);
	}
	proxy_note_refusal(s->proxy, ip, port, "udp", "udp_not_proxied", NULL);
}

/* The command's seccomp listener: the supervisor serves it from now on
 * (and owns the sock_diag socket). It cannot start only when the loop
 * cannot poll; the sandbox then fails rather than run with every
 * connect() failing. */
static void
supervise(struct sandbox_session *s, int fd)
{
	const char *prefix = s->o.log_prefix ? s->o.log_prefix : "";
	struct unotify_policy up;
	struct errbuf warn, err;

	errbuf_init(&warn);
	errbuf_init(&err);
	unotify_policy_of_plan(s->o.plan, &up);
	up.refuse_udp = s->o.plan->net == SANDBOX_NET_PROXY;
	up.on_udp = on_udp_refused;
	up.udp_arg = s;
	s->unotify = unotify_start(s->loop, fd, s->diag_fd, &up, &warn, &err);
	s->diag_fd = -1;
	if (warn.count > 0)
		log_warn("%s%s", prefix, errbuf_str(&warn));
	if (s->unotify == NULL) {
		set_fail(s, SANDBOX_FAIL_SETUP, "cannot set up the sandbox: %s",
			 errbuf_str(&err));
		kill_child(s);
	}
	errbuf_release(&warn);
	errbuf_release(&err);
}

/* The master of the sandbox's pty (ctty.h): on the pty with the caller's
 * modes, then the second go, which lets the command run. */
static void
take_pty(struct sandbox_session *s, int fd)
{
	struct errbuf err;

	errbuf_init(&err);
	if (pty_attach(s->o.pty, fd, s->loop, &err) == -1) {
		set_fail(s, SANDBOX_FAIL_SETUP, "cannot set up the sandbox: %s",
			 errbuf_str(&err));
		kill_child(s);
	} else {
		send_go(s);
	}
	errbuf_release(&err);
}

/* A descriptor the child sent after its report (see session.h). */
static void
take_fd(struct sandbox_session *s, int kind, int fd)
{
	if (s->state != ST_RUNNING || s->pid <= 0)
		close(fd);
	else if (kind == NETNS_FD_NOTIFY && s->unotify == NULL)
		supervise(s, fd);
	else if (kind == NETNS_FD_PTY && s->o.pty != NULL && !s->plain)
		take_pty(s, fd);
	else
		close(fd);
}

static void
on_message(struct sandbox_session *s, const struct netns_msg *m,
	   const int *fds)
{
	int i;

	if (m->error[0] != '\0') {
		set_fail(s, SANDBOX_FAIL_SETUP, "cannot set up the sandbox: %s",
			 m->error);
		for (i = 0; i < m->nfds; i++)
			close(fds[i]);
		kill_child(s);
		return;
	}
	if (s->state == ST_REPORTING) {
		on_report(s, m, fds);
		return;
	}
	for (i = 0; i < m->nfds; i++)
		take_fd(s, m->kinds[i], fds[i]);
}

/* The command stopped with sig: airlock stops likewise, giving the
 * caller's terminal its modes back first when it has a pty in front. */
static void
stopped(struct sandbox_session *s, int sig)
{
	if (s->o.pty != NULL)
		pty_suspend(s->o.pty);
	jobctl_stopped(&s->job, sig);
}

/* Reads every message waiting on the socket. */
static void
drain(struct sandbox_session *s)
{
	struct netns_msg m;
	int fds[NETNS_MAX_FDS];
	unsigned char *b = (unsigned char *)&m;
	ssize_t n;

	while (s->sock >= 0) {
		n = netns_recv(s->sock, &m, fds);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == 0 || (n == -1 && errno != EBADMSG)) {
			if (s->polling_sock)
				uv_poll_stop(&s->sock_poll);
			s->polling_sock = false;
			return;
		}
		if (n == (ssize_t)sizeof(m))
			on_message(s, &m, fds);
		else if (n == 2 && b[0] == SANDBOX_MSG_STOPPED && s->o.terminal)
			stopped(s, b[1]);
		else if (n == 2 && b[0] == SANDBOX_MSG_EXITED)
			ended(s, b[1]);
		else if (n == -1 && s->state == ST_REPORTING) {
			set_fail(s, SANDBOX_FAIL_SETUP,
				 "cannot set up the sandbox: a malformed "
				 "report");
			kill_child(s);
		}
	}
}

static void
on_sock(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	drain(h->data);
}

static void
on_deadline(uv_timer_t *t)
{
	struct sandbox_session *s = t->data;

	if (s->pid <= 0) {
		finish(s); /* a failure before the clone */
		return;
	}
	/* A busy loop runs expired timers before it polls: a report that
	 * came in time may be waiting unread. */
	drain(s);
	if (s->state == ST_REPORTING && s->result.fail == SANDBOX_OK) {
		set_fail(s, SANDBOX_FAIL_TIMEOUT,
			 "cannot set up the sandbox: it did not report within "
			 "%u ms; killed it",
			 s->o.report_ms);
		kill_child(s);
	}
}

static void
on_sigcont(uv_signal_t *h, int signum)
{
	struct sandbox_session *s = h->data;

	(void)signum;
	if (s->o.pty != NULL)
		pty_resume(s->o.pty);
	jobctl_continued(&s->job);
}

/* --- the start ------------------------------------------------------------------- */

static pid_t
clone_child(struct sandbox_session *s, int sock)
{
	struct sandbox_child_opts co;
	int pidfd = -1;
	pid_t pid;

	/* Made before the clone: the child only reads it. */
	memset(&co, 0, sizeof(co));
	co.plan = s->o.plan;
	co.sock = sock;
	memcpy(co.stdio, s->o.stdio, sizeof(co.stdio));
	co.own_session = !s->o.terminal || s->o.pty != NULL;
	co.ctty = s->o.pty != NULL && !s->plain;
	co.env = s->prep.env;
	co.seccomp = &s->prep.seccomp;
	co.mounts = &s->prep.mounts;
	co.uid_map = s->prep.uid_map;
	co.gid_map = s->prep.gid_map;
	co.rules = &s->prep.rules;
	co.stash = s->stash;
	pid = (pid_t)syscall(SYS_clone,
			     (s->plain ? 0 : NS_FLAGS) | CLONE_PIDFD | SIGCHLD,
			     NULL, &pidfd, NULL, NULL);
	if (pid == 0) {
		if (s->plain)
			sandbox_child_plain(&co);
		sandbox_child_main(&co);
	}
	s->pidfd = pidfd;
	return pid;
}

static void
init_handles(struct sandbox_session *s)
{
	uv_timer_init(s->loop, &s->timer);
	s->timer.data = s;
	s->handles = 1;
}

static void
watch(struct sandbox_session *s)
{
	uv_poll_init(s->loop, &s->pid_poll, s->pidfd);
	s->pid_poll.data = s;
	uv_poll_start(&s->pid_poll, UV_READABLE, on_pidfd);
	uv_poll_init(s->loop, &s->sock_poll, s->sock);
	s->sock_poll.data = s;
	uv_poll_start(&s->sock_poll, UV_READABLE, on_sock);
	s->polling_pid = s->polling_sock = true;
	s->handles += 2;
	if (s->o.terminal) {
		uv_signal_init(s->loop, &s->sigcont);
		s->sigcont.data = s;
		uv_signal_start(&s->sigcont, on_sigcont, SIGCONT);
		s->has_sigcont = true;
		s->handles++;
	}
}

/* The terminal's side of a run (airlock run): the sandbox's process
 * group gets the terminal, airlock's signals go to it. With a pty, the
 * sandbox has a terminal of its own, and setpgid from here would make
 * its setsid fail. */
static void
adopt(struct sandbox_session *s)
{
	if (s->o.pty != NULL) {
		jobctl_follow(&s->job, s->pid);
	} else {
		jobctl_init(&s->job);
		jobctl_adopt(&s->job, s->pid);
	}
	sigfwd_target(s->pid);
	sigfwd_install(s->o.pty != NULL ? SIGFWD_PTY : SIGFWD_ALL);
}

static int
spawn(struct sandbox_session *s)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		set_fail(s, SANDBOX_FAIL_PREPARE,
			 "cannot set up the sandbox: socketpair: %s",
			 strerror(errno));
		return -1;
	}
	s->pid = clone_child(s, sv[1]);
	close(sv[1]);
	if (s->pid == -1) {
		set_fail(s, s->plain ? SANDBOX_FAIL_PREPARE
				     : SANDBOX_FAIL_NAMESPACES,
			 s->plain ? "cannot start the command: %s"
				  : SESSION_NAMESPACES_HINT,
			 strerror(errno));
		close(sv[0]);
		return -1;
	}
	s->sock = sv[0];
	(void)fcntl(s->sock, F_SETFL, O_NONBLOCK);
	return 0;
}

struct sandbox_session *
sandbox_session_start(uv_loop_t *loop, const struct sandbox_session_opts *o)
{
	struct sandbox_session *s = xcalloc(1, sizeof(*s));
	struct errbuf err;

	s->loop = loop;
	s->o = *o;
	if (s->o.report_ms == 0)
		s->o.report_ms = SANDBOX_SESSION_REPORT_MS;
	s->plain = o->plan->fs == SANDBOX_FS_FULL_ACCESS;
	if (o->conf != NULL && o->conf->home != NULL)
		s->stash = xasprintf("%s/%s", o->conf->home, PLACEHOLDER_STASH);
	s->pid = -1;
	s->pidfd = s->sock = -1;
	s->diag_fd = s->who.diag_fd = s->who.init = -1;
	buf_init(&s->refusals, REFUSALS_MAX);
	s->state = s->plain ? ST_RUNNING : ST_REPORTING;
	init_handles(s);
	errbuf_init(&err);
	if (session_prep_build(&s->prep, o, &err) == -1) {
		set_fail(s, SANDBOX_FAIL_PREPARE, "cannot set up the sandbox: %s",
			 errbuf_str(&err));
	}
	errbuf_release(&err);
	if (s->result.fail != SANDBOX_OK || spawn(s) == -1) {
		uv_timer_start(&s->timer, on_deadline, 0, 0);
		return s;
	}
	watch(s);
	if (o->terminal)
		adopt(s);
	if (!s->plain)
		uv_timer_start(&s->timer, on_deadline, s->o.report_ms, 0);
	return s;
}

void
sandbox_session_kill(struct sandbox_session *s)
{
	s->killed = true;
	kill_child(s);
}

void
sandbox_session_abort(struct sandbox_session *s)
{
	int st;

	if (s->pid > 0) {
		kill_child(s);
		while (waitpid(s->pid, &st, 0) == -1)
			if (errno != EINTR) {
				st = SIGKILL; /* as if killed: gone anyway */
				break;
			}
		exited(s, st);
	}
	finish(s);
}

int
sandbox_session_reload(struct sandbox_session *s, struct errbuf *err)
{
	if (s->proxy == NULL || s->proxy_stopping)
		return 0;
	return proxy_reload(s->proxy, err);
}

pid_t
sandbox_session_pid(const struct sandbox_session *s)
{
	return s->pid;
}

const struct audit_ring *
sandbox_session_blocked(const struct sandbox_session *s)
{
	return s->proxy != NULL ? proxy_blocked(s->proxy) : NULL;
}

void
sandbox_session_free(struct sandbox_session *s)
{
	if (s == NULL)
		return;
	s->freeing = true;
	stop_watching(s);
	close_handle((uv_handle_t *)&s->timer);
	if (s->pidfd >= 0) {
		close_handle((uv_handle_t *)&s->pid_poll);
		close_handle((uv_handle_t *)&s->sock_poll);
	}
	if (s->has_sigcont)
		close_handle((uv_handle_t *)&s->sigcont);
	if (s->proxy != NULL)
		stop_proxy(s, 0);
	release(s);
}
