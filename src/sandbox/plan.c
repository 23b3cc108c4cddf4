/* plan.c — config + argv → the steps of one sandboxed run. See plan.h. */
#include "sandbox/plan.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "sandbox/netns.h"

/* Bounds the list of writable and protected paths: config and flags are
 * local input, but a plan that long would be a mistake. */
#define PLAN_MAX_PATHS 256

int
sandbox_fs_parse(const char *mode)
{
	if (mode == NULL)
		return -1;
	if (strcmp(mode, "read-only") == 0)
		return SANDBOX_FS_READ_ONLY;
	if (strcmp(mode, "workspace-write") == 0)
		return SANDBOX_FS_WORKSPACE_WRITE;
	if (strcmp(mode, "danger-full-access") == 0)
		return SANDBOX_FS_FULL_ACCESS;
	return -1;
}

static void
add_step(struct sandbox_plan *p, enum sandbox_step_kind kind,
	 const char *path, uint16_t port, const char *what)
{
	struct sandbox_step *s;

	p->steps = xreallocarray(p->steps, p->n_steps + 1, sizeof(*p->steps));
	s = &p->steps[p->n_steps++];
	s->kind = kind;
	s->path = path;
	s->port = port;
	s->what = what;
}

static bool
has_path(char *const *v, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], path) == 0)
			return true;
	return false;
}

/* Appends path (taken over) to the list unless present; frees it then. */
static void
push_path(char ***v, size_t *n, char *path)
{
	if (path == NULL)
		return;
	if (*n >= PLAN_MAX_PATHS || has_path(*v, *n, path)) {
		free(path);
		return;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = path;
}

static void
add_writable(struct sandbox_plan *p, const struct sandbox_probe *pr,
	     const char *path)
{
	char *c = pr->resolve(pr->arg, path);

	if (c != NULL && pr->kind(pr->arg, c) != 'd') {
		free(c);
		return;
	}
	push_path(&p->writable, &p->n_writable, c);
}

/* `.git` (a directory, or a `gitdir:` file and where it points) and
 * `.airlock` under one writable root (reference §15.1). */
static void
add_protected_under(struct sandbox_plan *p, const struct sandbox_probe *pr,
		    const char *root)
{
	char *git = xasprintf("%s/.git", root);
	char *al = xasprintf("%s/.airlock", root);
	int k = pr->kind(pr->arg, git);

	if (k == 'f')
		push_path(&p->protected, &p->n_protected,
			  pr->gitdir(pr->arg, git));
	if (k != 0)
		push_path(&p->protected, &p->n_protected, xstrdup(git));
	if (pr->kind(pr->arg, al) != 0)
		push_path(&p->protected, &p->n_protected, xstrdup(al));
	free(git);
	free(al);
}

static int
collect_writable(struct sandbox_plan *p, const struct sandbox_input *in,
		 const struct sandbox_probe *pr, struct errbuf *err)
{
	size_t i, n;

	for (i = 0; i < in->n_writable_roots; i++) {
		if (in->writable_roots[i][0] != '/') {
			errbuf_add(err,
				   "sandbox_workspace_write.writable_roots: "
				   "%s: not an absolute path",
				   in->writable_roots[i]);
			return -1;
		}
	}
	add_writable(p, pr, in->cwd);
	for (i = 0; i < in->n_writable_roots; i++)
		add_writable(p, pr, in->writable_roots[i]);
	if (!in->exclude_slash_tmp)
		add_writable(p, pr, "/tmp");
	if (!in->exclude_tmpdir_env_var && in->tmpdir != NULL &&
	    in->tmpdir[0] == '/')
		add_writable(p, pr, in->tmpdir);
	n = p->n_writable;
	for (i = 0; i < n; i++)
		add_protected_under(p, pr, p->writable[i]);
	return 0;
}

/* The file /etc/resolv.conf is, through any symlinks (systemd-resolved
 * makes it one), when it exists and is not a directory. */
static void
find_resolv_conf(struct sandbox_plan *p, const struct sandbox_probe *pr)
{
	char *c = pr->resolve(pr->arg, "/etc/resolv.conf");

	if (c != NULL && pr->kind(pr->arg, c) != 'f') {
		free(c);
		c = NULL;
	}
	p->resolv_conf = c;
}

static void
add_sandbox_steps(struct sandbox_plan *p, const struct sandbox_input *in)
{
	size_t i;

	add_step(p, SANDBOX_STEP_UNSHARE, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_MAP_IDS, NULL, 0, NULL);
	if (p->net == SANDBOX_NET_PROXY) {
		add_step(p, SANDBOX_STEP_LO_UP, NULL, 0, NULL);
		add_step(p, SANDBOX_STEP_LISTEN, NULL, in->http_port, "http");
		if (in->socks5)
			add_step(p, SANDBOX_STEP_LISTEN, NULL, in->socks_port,
				 "socks5");
		add_step(p, SANDBOX_STEP_DNS, NULL, NETNS_DNS_PORT, "dns");
	}
	add_step(p, SANDBOX_STEP_MOUNT_PRIVATE, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_MOUNT_PROC, NULL, 0, NULL);
	for (i = 0; i < p->n_protected; i++)
		add_step(p, SANDBOX_STEP_BIND_RO, p->protected[i], 0, NULL);
	if (p->resolv_conf != NULL)
		add_step(p, SANDBOX_STEP_RESOLV_CONF, p->resolv_conf, 0, NULL);
	add_step(p, SANDBOX_STEP_NO_NEW_PRIVS, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_LANDLOCK, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_DROP_CAPS, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_SECCOMP, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_ENV, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_CHDIR, p->cwd, 0, NULL);
}

int
sandbox_plan_build(const struct sandbox_input *in,
		   const struct sandbox_probe *probe, struct sandbox_plan *p,
		   struct errbuf *err)
{
	int fs = sandbox_fs_parse(in->mode);

	memset(p, 0, sizeof(*p));
	if (fs < 0) {
		errbuf_add(err, "sandbox_mode: %s: expected read-only, "
				"workspace-write or danger-full-access",
			   in->mode ? in->mode : "(none)");
		return -1;
	}
	if (in->argv == NULL || in->argv[0] == NULL) {
		errbuf_add(err, "run: no command given (airlock run -- CMD...)");
		return -1;
	}
	p->fs = (enum sandbox_fs)fs;
	p->argv = in->argv;
	p->cwd = xstrdup(in->cwd);
	p->uid = in->uid;
	p->gid = in->gid;
	p->landlock_abi = in->landlock_abi;
	if (p->fs == SANDBOX_FS_FULL_ACCESS) {
		p->net = SANDBOX_NET_HOST;
		add_step(p, SANDBOX_STEP_EXEC, NULL, 0, NULL);
		return 0;
	}
	p->net = in->network ? SANDBOX_NET_PROXY : SANDBOX_NET_OFF;
	if (p->fs == SANDBOX_FS_WORKSPACE_WRITE &&
	    collect_writable(p, in, probe, err) == -1) {
		sandbox_plan_release(p);
		return -1;
	}
	if (p->net == SANDBOX_NET_PROXY) {
		p->ports[p->n_ports++] = in->http_port;
		if (in->socks5)
			p->ports[p->n_ports++] = in->socks_port;
	}
	find_resolv_conf(p, probe);
	add_sandbox_steps(p, in);
	add_step(p, SANDBOX_STEP_EXEC, NULL, 0, NULL);
	return 0;
}

static void
free_paths(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
sandbox_plan_release(struct sandbox_plan *p)
{
	free_paths(p->writable, p->n_writable);
	free_paths(p->protected, p->n_protected);
	free(p->resolv_conf);
	free(p->steps);
	free(p->cwd);
	memset(p, 0, sizeof(*p));
}
