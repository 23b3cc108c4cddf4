/* apply.c — inside the namespaces: ids, network side, mounts, the init
 * process and the command's own restrictions. See apply.h.
 *
 * Everything in this file runs in a child cloned from a process with
 * other threads, before exec: system calls and sigsafe.h only. */
#include "sandbox/apply.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/fdutil.h"
#include "lib/sigsafe.h"
#include "sandbox/ctty.h"
#include "sandbox/landlock.h"
#include "sandbox/netns.h"
#include "sandbox/netrules.h"
#include "sandbox/sigfwd.h"

/* The socket failures are reported on; -1 before the child starts. */
static int fail_sock = -1;

/* The init's answer on chan once the parent has the listener and the
 * sandbox is ready for the command's remaining steps: mounts built, go
 * received, terminal made. */
#define INIT_READY 'N'

void
sandbox_child_fail(const char *fmt, ...)
{
	static struct netns_msg m; /* static: large, and one per process */
	size_t len = 0;
	va_list ap;

	memset(&m, 0, sizeof(m));
	va_start(ap, fmt);
	sigsafe_vfmt(m.error, sizeof(m.error), &len, fmt, ap);
	va_end(ap);
	if (len == 0)
		sigsafe_fmt(m.error, sizeof(m.error), &len, "failed");
	if (fail_sock < 0 || netns_send(fail_sock, &m, NULL) == -1)
		sigsafe_dprintf(2, "airlock: error: run: cannot set up the "
				   "sandbox: %s\n",
				m.error);
	_exit(SANDBOX_EXIT_SETUP);
}

/* --- namespace setup (pid 1, before go) ------------------------------------ */

static int
write_proc(const char *path, const char *text, struct errbuf *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc = -1;

	if (fd != -1)
		rc = write_all(fd, text, strlen(text));
	if (rc == -1)
		errbuf_add(err, "user namespace: write %s: %m", path);
	if (fd != -1)
		close(fd);
	return rc;
}

static int
map_ids(const struct sandbox_child_opts *o, struct errbuf *err)
{
	if (write_proc("/proc/self/setgroups", "deny", err) == -1 ||
	    write_proc("/proc/self/uid_map", o->uid_map, err) == -1)
		return -1;
	return write_proc("/proc/self/gid_map", o->gid_map, err);
}

/* Adds fd (of kind, bound to port) to the report; false when it is
 * full (cannot happen: NETNS_MAX_FDS counts every kind), fd closed. */
static bool
pass_fd(struct netns_msg *m, int *fds, int fd, enum netns_fd_kind kind,
	uint16_t port)
{
	if (m->nfds >= NETNS_MAX_FDS) {
		close(fd);
		return false;
	}
	m->ports[m->nfds] = port;
	m->kinds[m->nfds] = (uint8_t)kind;
	fds[m->nfds++] = fd;
	return true;
}

/* The transparent listeners (one or two) and the SOCKS5 UDP pool. */
static int
pass_many(const struct sandbox_step *s, struct netns_msg *m, int *fds,
	  struct errbuf *err)
{
	int two[2], i, n, fd;

	if (s->kind == SANDBOX_STEP_TRANSPARENT) {
		n = netns_listen_transparent(s->port, two, err);
		for (i = 0; i < n; i++)
			pass_fd(m, fds, two[i], NETNS_FD_TRANSPARENT, s->port);
		return n < 0 ? -1 : 0;
	}
	for (i = 0; i < s->port; i++) {
		fd = netns_udp(err);
		if (fd == -1)
			return -1;
		pass_fd(m, fds, fd, NETNS_FD_UDP, 0);
	}
	return 0;
}

static int
pass_one(const struct sandbox_step *s, struct netns_msg *m, int *fds,
	 struct errbuf *err)
{
	uint16_t bound = 0;
	int fd;

	if (s->kind == SANDBOX_STEP_UNIX_DIAG) {
		fd = netns_diag(err);
		if (fd >= 0)
			pass_fd(m, fds, fd, NETNS_FD_DIAG, 0);
	} else if (s->kind == SANDBOX_STEP_DNS) {
		fd = netns_bind_dns(err);
		if (fd >= 0)
			pass_fd(m, fds, fd, NETNS_FD_DNS, s->port);
	} else {
		fd = netns_listen(s->port, &bound, err);
		if (fd >= 0)
			pass_fd(m, fds, fd,
				strcmp(s->what, "socks5") == 0 ? NETNS_FD_SOCKS
							       : NETNS_FD_HTTP,
				bound);
	}
	return fd == -1 ? -1 : 0;
}

/* Runs the NS steps; fills m and fds (the listeners, the stub
 * resolver's socket and the sock_diag socket, to be closed by the caller
 * after the report, even on error). */
static int
setup_namespace(const struct sandbox_child_opts *o, struct netns_msg *m,
		int *fds, struct errbuf *err)
{
	const struct sandbox_plan *p = o->plan;
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n_steps && rc == 0; i++) {
		const struct sandbox_step *s = &p->steps[i];

		switch (s->kind) {
		case SANDBOX_STEP_MAP_IDS:
			rc = map_ids(o, err);
			break;
		case SANDBOX_STEP_LO_UP:
			rc = netns_lo_up(err);
			break;
		case SANDBOX_STEP_LISTEN:
		case SANDBOX_STEP_DNS:
		case SANDBOX_STEP_UNIX_DIAG:
			rc = pass_one(s, m, fds, err);
			break;
		case SANDBOX_STEP_TRANSPARENT:
		case SANDBOX_STEP_UDP_POOL:
			rc = pass_many(s, m, fds, err);
			break;
		case SANDBOX_STEP_NET_RULES:
			rc = netrules_apply(o->rules, err);
			break;
		default:
			break;
		}
	}
	return rc;
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
			sandbox_child_fail("drop capability %d: %m", cap);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) == -1)
		sandbox_child_fail("drop capabilities: %m");
}

/* Every handler back to the default (the parent's libuv and forwarding
 * handlers mean nothing here) and no signal blocked. */
static void
reset_signals(void)
{
	struct sigaction dfl;
	sigset_t none;
	int sig;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Hands the seccomp listener to the init (take_listener below), which
 * passes it on to the parent: write() and read() on chan, because
 * sendmsg() is now one of the calls the filter hands to a supervisor that
 * does not have the listener yet (and the init, whose calls are not
 * filtered, can take the descriptor with pidfd_getfd). The command must
 * never keep its own listener: it could answer its own notifications. It
 * is closed before a failure is reported, so that the report's sendmsg
 * fails at once (ENOSYS) rather than wait for a supervisor that never
 * comes; sandbox_child_fail then prints it on stderr.
 *
 * This is also where the command waits for the rest of the sandbox: the
 * init answers only once the mounts are built, the parent said go and
 * the terminal is made (sandbox_child_main). No answer at all (end of
 * file, or ECONNRESET: the init closed chan with the number unread)
 * means the init is gone — a mount failed, or the parent killed it —
 * and whichever failed has said why: the command leaves without a
 * word. */
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
	close(listener);
	close(chan);
	if (n != 1)
		_exit(SANDBOX_EXIT_SETUP);
	if (ack != INIT_READY)
		sandbox_child_fail("seccomp: cannot hand the notification "
				   "listener to airlock");
}

/* The command's steps that resolve paths in the finished mount tree;
 * the steps before them (no_new_privs, capabilities, seccomp) need
 * neither it nor the terminal, and without ctty the command takes them
 * while the init is still building the mounts. */
static bool
needs_ready(enum sandbox_step_kind kind)
{
	return kind == SANDBOX_STEP_LANDLOCK || kind == SANDBOX_STEP_CHDIR;
}

/* ready: whether the init has let the command go on (the seccomp step's
 * hand-over); a step that needs the finished sandbox never runs before,
 * whatever order a plan would put them in. */
static void
apply_step(const struct sandbox_child_opts *o, int chan,
	   const struct sandbox_step *s, bool *ready)
{
	const struct sandbox_plan *p = o->plan;
	char text[SANDBOX_FAIL_MAX];
	struct errbuf err;
	int fd;

	if (!*ready && needs_ready(s->kind))
		sandbox_child_fail("the plan puts Landlock or chdir before "
				   "seccomp");
	errbuf_init_fixed(&err, text, sizeof(text));
	switch (s->kind) {
	case SANDBOX_STEP_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			errbuf_add(&err, "no_new_privs: %m");
		break;
	case SANDBOX_STEP_LANDLOCK:
		landlock_apply(p->landlock_abi, p->writable, p->n_writable,
			       &err);
		break;
	case SANDBOX_STEP_DROP_CAPS:
		drop_caps();
		break;
	case SANDBOX_STEP_SECCOMP:
		fd = seccomp_prog_load(o->seccomp, &err);
		if (fd >= 0) {
			hand_over_listener(chan, fd);
			*ready = true;
		}
		break;
	case SANDBOX_STEP_CHDIR:
		if (chdir(s->path) == -1)
			errbuf_add(&err, "chdir %s: %m", s->path);
		break;
	default:
		break;
	}
	if (err.count > 0)
		sandbox_child_fail("%s", text);
}

static __attribute__((noreturn)) void
exec_command(char *const *argv, char *const *env)
{
	/* glibc's execvpe searches PATH with stack buffers only. */
	execvpe(argv[0], argv, env);
	sigsafe_dprintf(2, "airlock: run: %s: %m\n", argv[0]);
	_exit(errno == ENOENT ? 127 : 126);
}

/* The socket stays open until exec (close-on-exec), so that a failure
 * here still reaches the parent (after the seccomp step, its sendmsg goes
 * through the supervisor, which has the listener by then); the command
 * never holds it. chan: to the init, for the seccomp listener. */
static __attribute__((noreturn)) void
run_command(const struct sandbox_child_opts *o, int chan)
{
	const struct sandbox_plan *p = o->plan;
	bool ready = false;
	size_t i;

	reset_signals();
	for (i = 0; i < p->n_steps; i++)
		if (p->steps[i].kind != SANDBOX_STEP_EXEC)
			apply_step(o, chan, &p->steps[i], &ready);
	if (!ready)
		sandbox_child_fail("the plan has no seccomp step");
	exec_command(p->argv, o->env);
}

/* --- init ------------------------------------------------------------------------ */

/* The parent's descriptors for stdin, stdout and stderr go on 0, 1, 2
 * (those that get the pty keep what they are until ctty_make). */
static int
take_stdio(const struct sandbox_child_opts *o)
{
	int i;

	for (i = 0; i < 3; i++)
		if (o->stdio[i] >= 0 && o->stdio[i] != i &&
		    dup2(o->stdio[i], i) == -1)
			return -1;
	return 0;
}

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
	if (take_stdio(o) == -1) {
		errbuf_add(err, "standard descriptors: %m");
		return -1;
	}
	if (close_inherited(o->sock) == -1) {
		errbuf_add(err, "close inherited descriptors: %m");
		return -1;
	}
	if ((o->own_session ? setsid() : setpgid(0, 0)) == -1) {
		errbuf_add(err, "cannot give the sandbox its own %s: %m",
			   o->own_session ? "session" : "process group");
		return -1;
	}
	return 0;
}

/* ctty: the command's process leads its own group, the terminal's
 * foreground one (apply.h). SIGTTOU is blocked for tcsetpgrp from what is
 * still a background group; run_command() unblocks it. Done here, before
 * exec, rather than by the init, which could otherwise take the terminal
 * back from a job the command (a shell) has since put in front. */
static void
take_terminal(void)
{
	sigset_t ttou;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, NULL);
	if (setpgid(0, 0) == -1 || tcsetpgrp(STDIN_FILENO, getpid()) == -1)
		sandbox_child_fail("cannot give the command the sandbox's "
				   "terminal: %m");
}

/* ctty: the command's group, continued on every SIGCONT the init gets. */
static volatile sig_atomic_t cont_group;

static void
on_cont(int sig)
{
	int saved = errno;

	(void)sig;
	if (cont_group > 0)
		kill(-(pid_t)cont_group, SIGCONT);
	errno = saved;
}

static void
follow_continue(pid_t cmd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_cont;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	cont_group = cmd;
	(void)sigaction(SIGCONT, &sa, NULL);
}

static void
tell_stopped(int sock, int sig)
{
	unsigned char msg[2] = {SANDBOX_MSG_STOPPED, (unsigned char)sig};

	(void)send(sock, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The command ended with status: every other process of the sandbox is
 * killed and reaped (SIGKILL from its init reaches every process of the
 * pid namespace, nested ones included, and an init has no children left
 * only once each of them and their orphans are gone), the placeholders'
 * locks are let go, and the parent is told (SANDBOX_MSG_EXITED): from
 * then on nothing of the sandbox runs but this exit, so the parent does
 * its part of the end while the kernel tears the namespaces down. */
static __attribute__((noreturn)) void
end_sandbox(int sock, struct placeholders *ph, int status)
{
	unsigned char msg[2] = {SANDBOX_MSG_EXITED, (unsigned char)status};

	if (getpid() != 1) /* never outside a pid namespace of its own */
		_exit(status);
	(void)kill(-1, SIGKILL);
	while (waitpid(-1, NULL, __WALL) != -1 || errno == EINTR)
		;
	placeholder_release(ph);
	(void)send(sock, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	_exit(status);
}

static __attribute__((noreturn)) void
init_loop(pid_t cmd, int sock, struct placeholders *ph)
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
		end_sandbox(sock, ph, WIFSIGNALED(st) ? 128 + WTERMSIG(st)
						      : WEXITSTATUS(st));
	}
}

/* Whether the command's process has ended (it is not reaped here:
 * init_loop() takes its status); errno is kept. */
static bool
ended(pid_t cmd)
{
	int saved = errno;
	siginfo_t si;
	bool rc;

	memset(&si, 0, sizeof(si));
	rc = waitid(P_PID, (id_t)cmd, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	     si.si_pid == cmd;
	errno = saved;
	return rc;
}

/* The command's seccomp listener, taken from its process with
 * pidfd_getfd(2) (the init holds capabilities over the command, which
 * holds none) and sent to the parent as a NETNS_FD_NOTIFY descriptor; or
 * a failure report when it could not be had (the command then exits 125
 * without exec). The answer on chan lets the command go on: called once
 * the sandbox is ready for it. Nothing comes on chan when the command
 * ended before its seccomp step: it reported why. Nor is anything
 * reported when it ended after it, waiting for this answer: killed by a
 * signal (the terminal's Ctrl-C while the mounts were built, say), it
 * has no listener left to take, and its status is the run's. */
static void
take_listener(pid_t cmd, int chan, int sock)
{
	static struct netns_msg m; /* static: large, and one per process */
	char ack = 0;
	int num = -1, fd = -1, pidfd;
	size_t len = 0;
	ssize_t n;

	do
		n = read(chan, &num, sizeof(num));
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(num)) {
		close(chan);
		return;
	}
	memset(&m, 0, sizeof(m));
	pidfd = (int)syscall(SYS_pidfd_open, cmd, 0);
	if (pidfd >= 0) {
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
		close(pidfd);
	}
	if (fd >= 0) {
		m.nfds = 1;
		m.kinds[0] = NETNS_FD_NOTIFY;
	} else if (ended(cmd)) {
		close(chan);
		return;
	} else {
		sigsafe_fmt(m.error, sizeof(m.error), &len,
			    "seccomp: cannot take the notification listener "
			    "from the command: %m");
	}
	if (netns_send(sock, &m, &fd) == 0 && fd >= 0)
		ack = INIT_READY;
	if (fd >= 0)
		close(fd);
	(void)send(chan, &ack, 1, MSG_NOSIGNAL);
	close(chan);
}

static void
report(int sock, struct netns_msg *m, const int *fds, struct errbuf *err)
{
	if (err->count > 0) {
		memcpy(m->error, err->text,
		       err->len < sizeof(m->error) ? err->len
						   : sizeof(m->error) - 1);
		m->nfds = 0;
	}
	if (netns_send(sock, m, fds) == -1 || err->count > 0)
		_exit(SANDBOX_EXIT_SETUP);
}

/* The command's process, on a socket pair of their own (chan: the
 * init's end; the command's is closed here). _Fork: no atfork handler
 * runs. The parent's libraries registered some (libuv re-creates its
 * signal lock pipe in the child, closing whatever now has the numbers its
 * pipe had in airlock: the command's end), and they may allocate or
 * lock. */
static pid_t
fork_command(const struct sandbox_child_opts *o, int *chan)
{
	int pair[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == -1)
		sandbox_child_fail("socketpair: %m");
	pid = _Fork();
	if (pid == -1)
		sandbox_child_fail("fork: %m");
	if (pid == 0) {
		close(pair[0]);
		if (o->ctty)
			take_terminal();
		run_command(o, pair[1]);
	}
	close(pair[1]);
	*chan = pair[0];
	return pid;
}

void
sandbox_child_main(const struct sandbox_child_opts *o)
{
	/* Holds the placeholders' locks until the command ends (end_sandbox). */
	static struct placeholders ph;
	static struct netns_msg m;
	char text[SANDBOX_FAIL_MAX];
	struct errbuf err;
	int fds[NETNS_MAX_FDS];
	int chan = -1;
	pid_t pid = -1;
	char go;
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
	fail_sock = o->sock;
	reset_signals();
	ph.stash = o->stash;
	memset(&m, 0, sizeof(m));
	errbuf_init_fixed(&err, text, sizeof(text));
	if (isolate(o, &err) == 0)
		setup_namespace(o, &m, fds, &err);
	report(o->sock, &m, fds, &err);
	for (i = 0; i < m.nfds; i++)
		close(fds[i]);
	/* Without a terminal, the command's process restricts itself (its
	 * steps up to seccomp) while this one builds the mounts; it goes on
	 * only when take_listener() answers, below. With one it is forked
	 * after ctty_make(): a process gets its controlling terminal from
	 * its parent at fork, and takes the terminal's group before exec. */
	if (!o->ctty)
		pid = fork_command(o, &chan);
	/* The mount namespace is built while the parent starts its proxy
	 * on the listeners: nothing of the command runs before the go, and
	 * a failure here reaches the parent like one after it (the
	 * command's process dies with this one: it is in its pid
	 * namespace). */
	mounts_setup(o->plan, o->mounts, &ph);
	/* The parent says go once its proxy owns the listeners; EOF means
	 * it failed or died, and nothing may run. */
	if (read(o->sock, &go, 1) != 1)
		_exit(SANDBOX_EXIT_SETUP);
	if (o->ctty) {
		ctty_make(o->stdio, o->sock);
		pid = fork_command(o, &chan);
	}
	sigfwd_install(SIGFWD_SENT);
	sigfwd_target(pid);
	if (o->ctty)
		follow_continue(pid);
	take_listener(pid, chan, o->sock);
	init_loop(pid, o->sock, &ph);
}

void
sandbox_child_plain(const struct sandbox_child_opts *o)
{
	char text[SANDBOX_FAIL_MAX];
	struct errbuf err;

	fail_sock = o->sock;
	reset_signals();
	errbuf_init_fixed(&err, text, sizeof(text));
	if (isolate(o, &err) == -1)
		sandbox_child_fail("%s", text);
	if (o->plan->cwd != NULL && chdir(o->plan->cwd) == -1)
		sandbox_child_fail("chdir %s: %m", o->plan->cwd);
	exec_command(o->plan->argv, o->env);
}
