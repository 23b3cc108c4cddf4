/* apply.c — inside the namespaces: ids, network side, mounts, the init
 * process and the command's own restrictions. See apply.h. */
#include "sandbox/apply.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fdutil.h"
#include "lib/log.h"
#include "sandbox/childenv.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"
#include "sandbox/netns.h"
#include "sandbox/resolv.h"
#include "sandbox/seccomp.h"
#include "sandbox/sigfwd.h"


/* --- namespace setup (pid 1, before go) ------------------------------------ */

static int
write_proc(const char *path, const char *text, struct errbuf *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc = -1;

	if (fd != -1)
		rc = write_all(fd, text, strlen(text));
	if (rc == -1)
		errbuf_add(err, "user namespace: write %s: %s", path,
			   strerror(errno));
	if (fd != -1)
		close(fd);
	return rc;
}

static int
map_ids(const struct sandbox_plan *p, struct errbuf *err)
{
	char line[64];

	if (write_proc("/proc/self/setgroups", "deny", err) == -1)
		return -1;
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)p->uid,
		 (unsigned)p->uid);
	if (write_proc("/proc/self/uid_map", line, err) == -1)
		return -1;
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)p->gid,
		 (unsigned)p->gid);
	return write_proc("/proc/self/gid_map", line, err);
}

/* Runs the NS steps; fills m and fds (the listeners, the stub resolver's
 * socket and the sock_diag socket, owned by the caller after the call,
 * even on error)
 * and ports[0..*nports) (the TCP listeners' ports, for Landlock and the
 * environment). */
static int
setup_namespace(const struct sandbox_plan *p, struct netns_msg *m, int *fds,
		uint16_t *ports, size_t *nports, struct errbuf *err)
{
	size_t i;
	int fd;

	for (i = 0; i < p->n_steps; i++) {
		const struct sandbox_step *s = &p->steps[i];

		if (s->kind == SANDBOX_STEP_MAP_IDS && map_ids(p, err) == -1)
			return -1;
		if (s->kind == SANDBOX_STEP_LO_UP && netns_lo_up(err) == -1)
			return -1;
		if ((s->kind != SANDBOX_STEP_LISTEN &&
		     s->kind != SANDBOX_STEP_DNS &&
		     s->kind != SANDBOX_STEP_UNIX_DIAG) ||
		    m->nfds >= NETNS_MAX_FDS)
			continue;
		if (s->kind == SANDBOX_STEP_UNIX_DIAG) {
			fd = netns_diag(err);
			m->ports[m->nfds] = 0;
			m->kinds[m->nfds] = NETNS_FD_DIAG;
		} else if (s->kind == SANDBOX_STEP_DNS) {
			fd = netns_bind_dns(err);
			m->ports[m->nfds] = s->port;
			m->kinds[m->nfds] = NETNS_FD_DNS;
		} else {
			fd = netns_listen(s->port, &m->ports[m->nfds], err);
			m->kinds[m->nfds] = strcmp(s->what, "socks5") == 0
						    ? NETNS_FD_SOCKS
						    : NETNS_FD_HTTP;
			if (fd != -1)
				ports[(*nports)++] = m->ports[m->nfds];
		}
		if (fd == -1)
			return -1;
		fds[m->nfds++] = fd;
	}
	return 0;
}

/* --- the command's process ---------------------------------------------------- */

static void
drop_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL)
			die(SANDBOX_EXIT_SETUP, "run: drop capability %d: %s",
			    cap, strerror(errno));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) == -1)
		die(SANDBOX_EXIT_SETUP, "run: drop capabilities: %s",
		    strerror(errno));
}

static char **
build_env(const struct sandbox_child_opts *o, const uint16_t *ports,
	  size_t nports)
{
	struct childenv e;
	struct childenv_proxy px = {0};
	char http[32], socks[32];

	childenv_init(&e, (const char *const *)o->envp);
	if (o->plan->net == SANDBOX_NET_PROXY) {
		snprintf(http, sizeof(http), "127.0.0.1:%u", (unsigned)ports[0]);
		snprintf(socks, sizeof(socks), "127.0.0.1:%u",
			 (unsigned)(nports > 1 ? ports[1] : 0));
		px.http_addr = http;
		px.socks_addr = nports > 1 ? socks : NULL;
		px.allow_local_binding = o->allow_local_binding;
		childenv_apply_proxy(&e, &px);
		if (o->ca_bundle != NULL)
			childenv_set_ca_bundle(&e, o->ca_bundle);
	} else {
		childenv_apply_network_off(&e);
	}
	return childenv_detach(&e);
}

static void
reset_signals(void)
{
	sigset_t all;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* Hands the seccomp listener to the init (take_listener below), which
 * passes it on to airlock. write() and read(), because sendmsg() is one
 * of the calls the filter now hands to a supervisor that does not have
 * the listener yet. The command must never hold its own listener: it
 * could answer its own notifications. */
static void
hand_over_listener(int chan, int listener)
{
	char ack = 0;
	ssize_t n;

	do
		n = write(chan, &listener, sizeof(listener));
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(listener))
		do
			n = read(chan, &ack, 1);
		while (n == -1 && errno == EINTR);
	if (n != 1 || ack != SANDBOX_MSG_NOTIFY)
		die(SANDBOX_EXIT_SETUP, "run: seccomp: cannot hand the "
					"notification listener to airlock");
	close(listener);
	close(chan);
}

struct cmd_ctx {
	const struct sandbox_child_opts *o;
	const uint16_t *ports;
	size_t nports;
	int chan;   /* to the init, for the seccomp listener */
	char **env;
};

static void
apply_step(struct cmd_ctx *x, const struct sandbox_step *s)
{
	const struct sandbox_plan *p = x->o->plan;
	struct errbuf err;
	int fd;

	errbuf_init(&err);
	switch (s->kind) {
	case SANDBOX_STEP_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			errbuf_add(&err, "no_new_privs: %s", strerror(errno));
		break;
	case SANDBOX_STEP_LANDLOCK:
		landlock_apply(p->landlock_abi, p->writable, p->n_writable,
			       &err);
		break;
	case SANDBOX_STEP_DROP_CAPS:
		drop_caps();
		break;
	case SANDBOX_STEP_SECCOMP:
		fd = seccomp_apply(&err);
		if (fd >= 0)
			hand_over_listener(x->chan, fd);
		break;
	case SANDBOX_STEP_ENV:
		x->env = build_env(x->o, x->ports, x->nports);
		break;
	case SANDBOX_STEP_CHDIR:
		if (chdir(s->path) == -1)
			errbuf_add(&err, "chdir %s: %s", s->path,
				   strerror(errno));
		break;
	default:
		break;
	}
	if (err.count > 0)
		die(SANDBOX_EXIT_SETUP, "run: %s", errbuf_str(&err));
	errbuf_release(&err);
}

static __attribute__((noreturn)) void
run_command(const struct sandbox_child_opts *o, const uint16_t *ports,
	    size_t nports, int chan)
{
	const struct sandbox_plan *p = o->plan;
	struct cmd_ctx x = {o, ports, nports, chan, NULL};
	size_t i;

	reset_signals();
	close(o->sock);
	for (i = 0; i < p->n_steps; i++)
		apply_step(&x, &p->steps[i]);
	execvpe(p->argv[0], p->argv, x.env);
	fprintf(stderr, "airlock: run: %s: %s\n", p->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* --- init ------------------------------------------------------------------------ */

/* The init holds only stdin, stdout, stderr and keep (its socket to the
 * parent): whatever else the parent held — an app-server's listeners and
 * clients, descriptors airlock inherited — is none of the sandbox's
 * business, close-on-exec or not (the init never execs). */
static int
close_inherited(int keep)
{
	if (keep > 3 && close_range(3, (unsigned)keep - 1, 0) == -1)
		return -1;
	return close_range(keep >= 3 ? (unsigned)keep + 1 : 3, ~0U, 0);
}

/* A process group of the sandbox's own (and a session with the
 * app-server), so that kill(0, ...) inside cannot reach the caller's
 * group even where Landlock has no signal scope. */
static int
isolate(const struct sandbox_child_opts *o, struct errbuf *err)
{
	if (close_inherited(o->sock) == -1) {
		errbuf_add(err, "close inherited descriptors: %s",
			   strerror(errno));
		return -1;
	}
	if ((o->own_session ? setsid() : setpgid(0, 0)) == -1) {
		errbuf_add(err, "cannot give the sandbox its own %s: %s",
			   o->own_session ? "session" : "process group",
			   strerror(errno));
		return -1;
	}
	return 0;
}

/* Nobody may be listening (the app-server closes its end after go). */
static void
tell_stopped(int sock, int sig)
{
	unsigned char msg[2] = {SANDBOX_MSG_STOPPED, (unsigned char)sig};

	(void)send(sock, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static __attribute__((noreturn)) void
init_loop(pid_t cmd, int sock)
{
	int st;
	pid_t w;

	for (;;) {
		w = waitpid(-1, &st, WUNTRACED);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			_exit(SANDBOX_EXIT_SETUP);
		if (w != cmd)
			continue;
		if (WIFSTOPPED(st)) {
			tell_stopped(sock, WSTOPSIG(st));
			continue;
		}
		if (WIFSIGNALED(st))
			_exit(128 + WTERMSIG(st));
		_exit(WEXITSTATUS(st));
	}
}

/* The command's seccomp listener, taken from its process with
 * pidfd_getfd(2) (the init holds capabilities over the command, which
 * holds none) and sent to airlock as SANDBOX_MSG_NOTIFY with the
 * descriptor attached — or without one when it could not be had, and the
 * command then exits before exec. */
static void
take_listener(pid_t cmd, int chan, int sock)
{
	char ack = SANDBOX_MSG_NOTIFY;
	int num = -1, fd = -1, pidfd;
	ssize_t n;

	do
		n = read(chan, &num, sizeof(num));
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(num)) {
		pidfd = (int)syscall(SYS_pidfd_open, cmd, 0);
		if (pidfd >= 0) {
			fd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
			close(pidfd);
		}
	}
	if (netns_send_tagged(sock, SANDBOX_MSG_NOTIFY, fd) == -1 ||
	    fd == -1)
		ack = 0;
	if (fd >= 0)
		close(fd);
	(void)send(chan, &ack, 1, MSG_NOSIGNAL);
	close(chan);
}

static void
report(int sock, struct netns_msg *m, const int *fds, struct errbuf *err)
{
	if (err->count > 0) {
		snprintf(m->error, sizeof(m->error), "%s", errbuf_first(err));
		m->nfds = 0;
	}
	if (netns_send(sock, m, fds) == -1 || err->count > 0)
		_exit(SANDBOX_EXIT_SETUP);
}

void
sandbox_child_main(const struct sandbox_child_opts *o)
{
	/* Holds the placeholders' locks until pid 1 exits. */
	struct placeholders ph = {0};
	struct netns_msg m;
	struct errbuf err;
	int fds[NETNS_MAX_FDS];
	uint16_t ports[NETNS_MAX_FDS] = {0};
	size_t nports = 0;
	int chan[2];
	char go;
	pid_t pid;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* A parent that holds request-rule secrets is not dumpable
	 * (lib/secret.h), and a clone inherits that: its /proc/self files
	 * would belong to root, and an unprivileged child could not write
	 * its own id maps. Dumpable again: the secrets' pages read as zeros
	 * here (MADV_WIPEONFORK), the command cannot read this process's
	 * memory (it holds none of the capabilities this process holds in
	 * the sandbox's user namespace), and the command's exec would reset
	 * the flag anyway. A plain system call, safe after clone. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	memset(&m, 0, sizeof(m));
	errbuf_init(&err);
	if (isolate(o, &err) == 0)
		setup_namespace(o->plan, &m, fds, ports, &nports, &err);
	report(o->sock, &m, fds, &err);
	for (i = 0; i < m.nfds; i++)
		close(fds[i]);
	/* The parent says go once its proxy owns the listeners; EOF means
	 * it failed or died, and nothing may run. */
	if (read(o->sock, &go, 1) != 1)
		_exit(SANDBOX_EXIT_SETUP);
	mounts_setup(o->plan, &ph);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) == -1)
		die(SANDBOX_EXIT_SETUP, "run: socketpair: %s", strerror(errno));
	sigfwd_install(SIGFWD_SENT);
	/* _Fork: no atfork handler runs. The parent's libraries registered
	 * some (libuv re-creates its signal lock pipe in the child, closing
	 * whatever now has the numbers its pipe had in airlock: chan[1]). */
	pid = _Fork();
	if (pid == -1)
		die(SANDBOX_EXIT_SETUP, "run: fork: %s", strerror(errno));
	if (pid == 0) {
		close(chan[0]);
		run_command(o, ports, nports, chan[1]);
	}
	close(chan[1]);
	sigfwd_target(pid);
	take_listener(pid, chan[0], o->sock);
	init_loop(pid, o->sock);
}
