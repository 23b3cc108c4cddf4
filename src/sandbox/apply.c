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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fdutil.h"
#include "lib/log.h"
#include "sandbox/childenv.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"
#include "sandbox/netns.h"
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

/* Runs the NS steps; fills m and fds (the listeners, owned by the caller
 * after the call, even on error). */
static int
setup_namespace(const struct sandbox_plan *p, struct netns_msg *m, int *fds,
		uint16_t *ports, struct errbuf *err)
{
	size_t i;
	int fd;

	for (i = 0; i < p->n_steps; i++) {
		const struct sandbox_step *s = &p->steps[i];

		if (s->kind == SANDBOX_STEP_MAP_IDS && map_ids(p, err) == -1)
			return -1;
		if (s->kind == SANDBOX_STEP_LO_UP && netns_lo_up(err) == -1)
			return -1;
		if (s->kind != SANDBOX_STEP_LISTEN || m->nfds >= NETNS_MAX_FDS)
			continue;
		fd = netns_listen(s->port, &m->ports[m->nfds], err);
		if (fd == -1)
			return -1;
		ports[m->nfds] = m->ports[m->nfds];
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

static void
apply_step(const struct sandbox_child_opts *o, const struct sandbox_step *s,
	   const uint16_t *ports, size_t nports, char ***env)
{
	const struct sandbox_plan *p = o->plan;
	struct errbuf err;

	errbuf_init(&err);
	switch (s->kind) {
	case SANDBOX_STEP_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			errbuf_add(&err, "no_new_privs: %s", strerror(errno));
		break;
	case SANDBOX_STEP_LANDLOCK:
		landlock_apply(p->landlock_abi, p->writable, p->n_writable,
			       ports, nports, &err);
		break;
	case SANDBOX_STEP_DROP_CAPS:
		drop_caps();
		break;
	case SANDBOX_STEP_SECCOMP:
		seccomp_apply(p->net == SANDBOX_NET_PROXY, &err);
		break;
	case SANDBOX_STEP_ENV:
		*env = build_env(o, ports, nports);
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
	    size_t nports)
{
	const struct sandbox_plan *p = o->plan;
	char **env = NULL;
	size_t i;

	reset_signals();
	close(o->sock);
	for (i = 0; i < p->n_steps; i++)
		apply_step(o, &p->steps[i], ports, nports, &env);
	execvpe(p->argv[0], p->argv, env);
	fprintf(stderr, "airlock: run: %s: %s\n", p->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* --- init ------------------------------------------------------------------------ */

static __attribute__((noreturn)) void
init_loop(pid_t cmd)
{
	int st;
	pid_t w;

	for (;;) {
		w = waitpid(-1, &st, 0);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			_exit(SANDBOX_EXIT_SETUP);
		if (w != cmd)
			continue;
		if (WIFSIGNALED(st))
			_exit(128 + WTERMSIG(st));
		_exit(WEXITSTATUS(st));
	}
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
	size_t nports;
	char go;
	pid_t pid;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	memset(&m, 0, sizeof(m));
	errbuf_init(&err);
	setup_namespace(o->plan, &m, fds, ports, &err);
	report(o->sock, &m, fds, &err);
	nports = (size_t)m.nfds;
	for (i = 0; i < m.nfds; i++)
		close(fds[i]);
	/* The parent says go once its proxy owns the listeners; EOF means
	 * it failed or died, and nothing may run. */
	if (read(o->sock, &go, 1) != 1)
		_exit(SANDBOX_EXIT_SETUP);
	mounts_setup(o->plan, &ph);
	sigfwd_install();
	pid = fork();
	if (pid == -1)
		die(SANDBOX_EXIT_SETUP, "run: fork: %s", strerror(errno));
	if (pid == 0)
		run_command(o, ports, nports);
	sigfwd_target(pid);
	close(o->sock);
	init_loop(pid);
}
