/* launch.c — clone the sandbox, serve it with the embedded proxy, forward
 * signals, wait, summarise. See launch.h. */
#include "sandbox/launch.h"
#include "proxy/ca.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "lib/errbuf.h"
#include "lib/log.h"
#include "proxy/approval.h"
#include "proxy/proxy.h"
#include "sandbox/apply.h"
#include "sandbox/jobctl.h"
#include "sandbox/netns.h"
#include "sandbox/placeholder.h"
#include "sandbox/sigfwd.h"
#include "sandbox/summary.h"
#include "sandbox/unotify.h"

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET)

struct launch {
	uv_loop_t loop;
	uv_signal_t sigchld;
	uv_signal_t sigcont;
	uv_poll_t stops;   /* the init's stop reports on sock */
	int sock;
	struct jobctl job;
	struct proxy *proxy;
	const struct sandbox_plan *plan;
	int diag_fd;       /* the sandbox's sock_diag socket, until unotify */
	struct unotify *unotify;
	struct approval_broker *approvals; /* who is asked about misses */
	pid_t pid;
	int status; /* exit status for airlock, -1 while running */
};

/* --- the child's end ---------------------------------------------------------- */

static int
wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return SANDBOX_EXIT_SETUP;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void
on_proxy_done(void *arg)
{
	struct launch *l = arg;

	(void)l;
}

static void
print_unix_refusals(struct launch *l)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	unotify_summary(l->unotify, &b);
	if (b.len > 0)
		fputs(b.p, stderr);
	buf_release(&b);
}

/* The command's seccomp listener arrived (SANDBOX_MSG_NOTIFY): serve it. */
static void
start_unotify(uv_loop_t *loop, const struct sandbox_plan *p, int fd,
	      int *diag_fd, struct unotify **u, const char *prefix)
{
	struct unotify_policy up;
	struct errbuf warn, err;

	errbuf_init(&warn);
	errbuf_init(&err);
	unotify_policy_of_plan(p, &up);
	*u = unotify_start(loop, fd, *diag_fd, &up, &warn, &err);
	*diag_fd = -1;
	if (warn.count > 0)
		log_warn("%s%s", prefix, errbuf_str(&warn));
	if (*u == NULL)
		log_error("%s%s", prefix, errbuf_str(&err));
	errbuf_release(&warn);
	errbuf_release(&err);
}

int
sandbox_init_message(int sock, uv_loop_t *loop, const struct sandbox_plan *p,
		     int *diag_fd, struct unotify **u, unsigned char msg[2],
		     const char *prefix)
{
	int n, fd;

	n = netns_recv_tagged(sock, msg, &fd);
	if (n == 2 && msg[0] == SANDBOX_MSG_NOTIFY && fd >= 0 && *u == NULL) {
		start_unotify(loop, p, fd, diag_fd, u, prefix);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

static void
on_sigchld(uv_signal_t *h, int signum)
{
	struct launch *l = h->data;
	int st;
	pid_t w;

	(void)signum;
	w = waitpid(l->pid, &st, WNOHANG);
	if (w != l->pid)
		return;
	l->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	sigfwd_target(0);
	print_unix_refusals(l);
	unotify_stop(l->unotify);
	l->unotify = NULL;
	uv_close((uv_handle_t *)h, NULL);
	uv_close((uv_handle_t *)&l->sigcont, NULL);
	uv_close((uv_handle_t *)&l->stops, NULL);
	if (l->proxy != NULL)
		proxy_shutdown(l->proxy, 100, on_proxy_done, l);
}

/* The command stopped (SANDBOX_MSG_STOPPED): so does airlock, until the
 * shell continues its job. */
static void
on_stop_report(uv_poll_t *h, int status, int events)
{
	struct launch *l = h->data;
	unsigned char msg[2];
	int n;

	(void)events;
	n = status < 0 ? -1
		       : sandbox_init_message(l->sock, &l->loop, l->plan,
					      &l->diag_fd, &l->unotify, msg,
					      "run: ");
	if (n == -1 && status == 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != 2) {
		uv_poll_stop(h); /* EOF: the init is gone */
		return;
	}
	if (msg[0] == SANDBOX_MSG_STOPPED)
		jobctl_stopped(&l->job, msg[1]);
}

static void
on_sigcont(uv_signal_t *h, int signum)
{
	struct launch *l = h->data;

	(void)signum;
	jobctl_continued(&l->job);
}

/* --- cloning ------------------------------------------------------------------ */

static void
print_clone_failure(int e)
{
	log_error("run: cannot create the sandbox's user, mount, pid and "
		  "network namespaces: %s", strerror(e));
	log_error("run: refusing to run without a sandbox. User namespaces "
		  "must be enabled: `sysctl -w user.max_user_namespaces=15000`, "
		  "`sysctl -w kernel.unprivileged_userns_clone=1` (Debian "
		  "kernels), or `sysctl -w "
		  "kernel.apparmor_restrict_unprivileged_userns=0` (AppArmor); "
		  "in a container, allow unshare/clone in its seccomp profile");
}

static pid_t
clone_child(const struct sandbox_launch_opts *o, int sv[2])
{
	struct sandbox_child_opts co;
	pid_t pid;

	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL,
			     NULL);
	if (pid != 0)
		return pid;
	close(sv[0]);
	memset(&co, 0, sizeof(co));
	co.plan = o->plan;
	co.sock = sv[1];
	co.allow_local_binding = o->allow_local_binding;
	co.envp = o->envp;
	co.ca_bundle = o->ca_bundle;
	sandbox_child_main(&co);
}

/* The broker the embedded proxy asks about allowlist misses. Its front-end
 * is the terminal airlock runs on; without one, no one can be asked, and
 * approval_policy behaves as never — the blocked summary says "not asked:
 * no terminal". */
static struct approval_broker *
new_broker(struct launch *l, const struct sandbox_launch_opts *o)
{
	struct approval_broker_opts bo = {0};
	bool tty = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);

	bo.home = o->conf->home;
	bo.wait_for_asker = false;
	bo.no_asker_why = tty ? "no prompt on this terminal" : "no terminal";
	return approval_broker_new(&l->loop, &bo);
}

/* Receives the child's report; starts the proxy on its listeners. Returns
 * 0, or an exit status for airlock after killing the child. */
static int
start(struct launch *l, const struct sandbox_launch_opts *o, int sock)
{
	struct proxy_opts po = {0};
	struct netns_msg m;
	struct errbuf err;
	int fds[NETNS_MAX_FDS];

	if (netns_recv(sock, &m, fds) == -1) {
		wait_status(l->pid);
		log_error("run: the sandbox ended while being set up");
		return SANDBOX_EXIT_SETUP;
	}
	if (m.error[0] != '\0') {
		log_error("run: cannot set up the sandbox: %s", m.error);
		wait_status(l->pid);
		return SANDBOX_EXIT_SETUP;
	}
	l->diag_fd = netns_msg_fd(&m, fds, NETNS_FD_DIAG);
	if (o->plan->net != SANDBOX_NET_PROXY || m.nfds < 1)
		return 0;
	errbuf_init(&err);
	po.conf = o->conf;
	po.http_fd = netns_msg_fd(&m, fds, NETNS_FD_HTTP);
	po.socks_fd = netns_msg_fd(&m, fds, NETNS_FD_SOCKS);
	po.dns_fd = netns_msg_fd(&m, fds, NETNS_FD_DNS);
	po.no_admin = true;
	po.extra = o->extra;
	l->approvals = new_broker(l, o);
	po.approvals = l->approvals;
	po.command = o->plan->argv != NULL ? o->plan->argv[0] : NULL;
	l->proxy = proxy_new(&l->loop, &po, &err);
	if (l->proxy == NULL) {
		log_error("run: cannot start the embedded proxy: %s",
			  errbuf_str(&err));
		errbuf_release(&err);
		close(l->diag_fd);
		l->diag_fd = -1;
		kill(l->pid, SIGKILL);
		wait_status(l->pid);
		return 2;
	}
	errbuf_release(&err);
	return 0;
}

static void
print_summary(struct launch *l)
{
	struct buf b;

	if (l->proxy == NULL)
		return;
	buf_init(&b, 1 << 20);
	summary_format(proxy_blocked(l->proxy), &b);
	if (b.len > 0)
		fputs(b.p, stderr);
	buf_release(&b);
}

static int
serve(struct launch *l, int sock)
{
	char go = 'G';

	uv_signal_init(&l->loop, &l->sigchld);
	l->sigchld.data = l;
	uv_signal_start(&l->sigchld, on_sigchld, SIGCHLD);
	signal(SIGPIPE, SIG_IGN);
	if (write(sock, &go, 1) != 1) {
		/* The child is gone; its status is collected below. */
	}
	uv_signal_init(&l->loop, &l->sigcont);
	l->sigcont.data = l;
	uv_signal_start(&l->sigcont, on_sigcont, SIGCONT);
	l->sock = sock;
	uv_poll_init(&l->loop, &l->stops, sock);
	l->stops.data = l;
	uv_poll_start(&l->stops, UV_READABLE, on_stop_report);
	on_sigchld(&l->sigchld, SIGCHLD);
	uv_run(&l->loop, UV_RUN_DEFAULT);
	jobctl_release(&l->job);
	close(sock);
	print_summary(l);
	proxy_free(l->proxy);
	approval_broker_close(l->approvals);
	approval_broker_unref(l->approvals);
	uv_run(&l->loop, UV_RUN_DEFAULT);
	return l->status;
}

int
sandbox_launch(const struct sandbox_launch_opts *o)
{
	struct launch l;
	int sv[2], rc;

	if (o->plan->fs == SANDBOX_FS_FULL_ACCESS) {
		execvp(o->plan->argv[0], o->plan->argv);
		log_error("run: %s: %s", o->plan->argv[0], strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}
	memset(&l, 0, sizeof(l));
	l.status = -1;
	l.plan = o->plan;
	l.diag_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("run: socketpair: %s", strerror(errno));
		return SANDBOX_EXIT_SETUP;
	}
	l.pid = clone_child(o, sv);
	if (l.pid == -1) {
		print_clone_failure(errno);
		close(sv[0]);
		close(sv[1]);
		return SANDBOX_EXIT_SETUP;
	}
	close(sv[1]);
	jobctl_init(&l.job);
	jobctl_adopt(&l.job, l.pid);
	sigfwd_target(l.pid);
	sigfwd_install(SIGFWD_ALL);
	uv_loop_init(&l.loop);
	rc = start(&l, o, sv[0]);
	if (rc == 0) {
		rc = serve(&l, sv[0]);
	} else {
		jobctl_release(&l.job);
		close(sv[0]);
		approval_broker_unref(l.approvals); /* no timer started */
	}
	if (l.diag_fd >= 0)
		close(l.diag_fd);
	uv_loop_close(&l.loop);
	placeholder_cleanup(o->plan);
	return rc;
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
