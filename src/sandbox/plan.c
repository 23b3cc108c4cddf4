/* plan.c — config + argv → the steps of one sandboxed run. See plan.h. */
#include "sandbox/plan.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "sandbox/hidden.h"
#include "sandbox/netns.h"
#include "sandbox/protect.h"
#include "sandbox/walkcache.h"

/* Bounds the list of writable roots: config and flags are local input,
 * but a plan that long would be a mistake. */
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

static void
add_writable(struct sandbox_plan *p, const struct sandbox_probe *pr,
	     const char *path)
{
	char *c = pr->resolve(pr->arg, path);

	if (c != NULL && pr->kind(pr->arg, c) != 'd') {
		free(c);
		return;
	}
	protect_push(&p->writable, &p->n_writable, c, PLAN_MAX_PATHS);
}

static int
collect_writable(struct sandbox_plan *p, const struct sandbox_input *in,
		 const struct sandbox_probe *pr, struct errbuf *err)
{
	size_t i;

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
	p->n_own_roots = p->n_writable;
	if (!in->exclude_slash_tmp)
		add_writable(p, pr, "/tmp");
	if (!in->exclude_tmpdir_env_var && in->tmpdir != NULL &&
	    in->tmpdir[0] == '/')
		add_writable(p, pr, in->tmpdir);
	protect_collect(p, in, pr);
	return 0;
}

/* The host sockets the supervisor lets the command reach: given as
 * absolute paths (the config checks them) and resolved by the launcher. */
static void
copy_unix_sockets(struct sandbox_plan *p, const struct sandbox_input *in)
{
	size_t i;

	p->unix_sockets_all = in->unix_sockets_all;
	for (i = 0; i < in->n_unix_sockets; i++)
		if (in->unix_sockets[i][0] == '/')
			protect_push(&p->unix_sockets, &p->n_unix_sockets,
				     xstrdup(in->unix_sockets[i]),
				     PLAN_MAX_PATHS);
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
add_path_steps(struct sandbox_plan *p, enum sandbox_step_kind kind,
	       char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		add_step(p, kind, v[i], 0, NULL);
}

/* The mount namespace, in an order that works: placeholders before the
 * tree turns read-only; the writable roots back before the chains and
 * the protected binds that sit on them; masks last, on top of all. */
static void
add_mount_steps(struct sandbox_plan *p)
{
	char **rw = xreallocarray(NULL, p->n_writable + 1, sizeof(*rw));

	if (p->n_writable > 0)
		memcpy(rw, p->writable, p->n_writable * sizeof(*rw));
	add_step(p, SANDBOX_STEP_MOUNT_PRIVATE, NULL, 0, NULL);
	if (p->make_home != NULL)
		add_step(p, SANDBOX_STEP_MKDIR, p->make_home, 0, NULL);
	add_path_steps(p, SANDBOX_STEP_PLACEHOLDER, p->placeholders,
		       p->n_placeholders);
	add_step(p, SANDBOX_STEP_ROOT_RO, NULL, 0, NULL);
	protect_sort(rw, p->n_writable);
	add_path_steps(p, SANDBOX_STEP_BIND_RW, rw, p->n_writable);
	free(rw);
	add_path_steps(p, SANDBOX_STEP_BIND_SELF, p->chain, p->n_chain);
	add_path_steps(p, SANDBOX_STEP_BIND_RO, p->protected, p->n_protected);
	add_path_steps(p, SANDBOX_STEP_HIDE, p->hidden, p->n_hidden);
	if (p->resolv_conf != NULL)
		add_step(p, SANDBOX_STEP_RESOLV_CONF, p->resolv_conf, 0, NULL);
	add_step(p, SANDBOX_STEP_MOUNT_PROC, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_MOUNT_SHM, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_MOUNT_DEVPTS, NULL, 0, NULL);
}

/* Port 0 asks for any free port. The namespace is the sandbox's own, so
 * every port is free there: the plan picks a fixed one, and the parent
 * knows it before the sandbox exists (the environment and Landlock's
 * rules name it, and they are made before the clone). */
static void
choose_ports(struct sandbox_plan *p, const struct sandbox_input *in)
{
	uint16_t http = in->http_port, socks = in->socks_port;

	if (http == 0)
		http = socks == SANDBOX_PORT_HTTP ? SANDBOX_PORT_HTTP + 1
						  : SANDBOX_PORT_HTTP;
	if (in->socks5 && socks == 0)
		socks = http == SANDBOX_PORT_SOCKS ? SANDBOX_PORT_SOCKS + 1
						   : SANDBOX_PORT_SOCKS;
	p->ports[p->n_ports++] = http;
	if (in->socks5)
		p->ports[p->n_ports++] = socks;
	p->transparent_port = SANDBOX_PORT_TRANSPARENT;
	while (p->transparent_port == http ||
	       (in->socks5 && p->transparent_port == socks))
		p->transparent_port--;
	p->n_forwards = in->n_forwards < PROXY_FORWARDS_MAX
				? in->n_forwards
				: PROXY_FORWARDS_MAX;
	memcpy(p->forwards, in->forwards,
	       p->n_forwards * sizeof(p->forwards[0]));
}

static void
add_sandbox_steps(struct sandbox_plan *p, const struct sandbox_input *in)
{
	add_step(p, SANDBOX_STEP_UNSHARE, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_MAP_IDS, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_LO_UP, NULL, 0, NULL);
	if (p->net == SANDBOX_NET_PROXY) {
		add_step(p, SANDBOX_STEP_LISTEN, NULL, p->ports[0], "http");
		if (in->socks5)
			add_step(p, SANDBOX_STEP_LISTEN, NULL, p->ports[1],
				 "socks5");
		add_step(p, SANDBOX_STEP_DNS, NULL, NETNS_DNS_PORT, "dns");
		add_step(p, SANDBOX_STEP_TRANSPARENT, NULL,
			 p->transparent_port, "transparent");
		if (in->socks5 && in->socks5_udp)
			add_step(p, SANDBOX_STEP_UDP_POOL, NULL,
				 SANDBOX_UDP_POOL, "udp");
		add_step(p, SANDBOX_STEP_NET_RULES, NULL, p->transparent_port,
			 "rules");
	}
	add_step(p, SANDBOX_STEP_UNIX_DIAG, NULL, 0, NULL);
	add_mount_steps(p);
	add_step(p, SANDBOX_STEP_NO_NEW_PRIVS, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_DROP_CAPS, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_SECCOMP, NULL, 0, NULL);
	add_step(p, SANDBOX_STEP_LANDLOCK, NULL, 0, NULL);
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
	if (hidden_collect(p, in, probe, err) == -1) {
		sandbox_plan_release(p);
		return -1;
	}
	if (p->net == SANDBOX_NET_PROXY)
		choose_ports(p, in);
	copy_unix_sockets(p, in);
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
	free_paths(p->placeholders, p->n_placeholders);
	free_paths(p->chain, p->n_chain);
	free_paths(p->hidden, p->n_hidden);
	free(p->hidden_why);
	free_paths(p->reveal, p->n_reveal);
	free_paths(p->unix_sockets, p->n_unix_sockets);
	free(p->make_home);
	free(p->steps);
	free(p->cwd);
	sandbox_plan_save_walk(p);
	walkcache_free(p->walk_cache);
	memset(p, 0, sizeof(*p));
}

void
sandbox_plan_save_walk(const struct sandbox_plan *p)
{
	(void)walkcache_save(p->walk_cache);
}
