/* workspace.c — the workspace rule shared by `airlock run` and the
 * app-server's command/exec (see workspace.h). */
#include "sandbox/workspace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/passwd.h"
#include "lib/xalloc.h"

/* Refused as exactly these directories: projects below them are common. */
static const char *const system_exact[] = {
	"/usr", "/usr/local", "/usr/src", "/var", "/var/lib", "/opt", "/srv",
	"/mnt", "/media", "/snap", NULL,
};

/* Refused with everything below them. */
static const char *const system_tree[] = {
	"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	"/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64",
	"/usr/libx32", "/usr/libexec", "/usr/include", "/usr/share",
	"/usr/local/bin", "/usr/local/sbin", "/usr/local/lib",
	"/boot", "/dev", "/etc", "/proc", "/run", "/sys", NULL,
};

/* dir is base or below it. */
static bool
within(const char *dir, const char *base)
{
	size_t n = strlen(base);

	if (strcmp(base, "/") == 0)
		return true;
	return strncmp(dir, base, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

static bool
listed(const char *dir, const char *const *list, bool tree)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (tree ? within(dir, list[i]) : strcmp(dir, list[i]) == 0)
			return true;
	return false;
}

static enum workspace_verdict
judge_broad(const char *dir, const struct workspace_rules *r,
	    const char **which)
{
	size_t i;

	if (strcmp(dir, "/") == 0)
		return WORKSPACE_ROOT;
	for (i = 0; i < 2; i++) {
		const char *h = r->homes[i];

		if (h == NULL || strcmp(h, "/") == 0)
			continue;
		*which = h;
		if (strcmp(dir, h) == 0)
			return WORKSPACE_HOME;
		if (within(h, dir))
			return WORKSPACE_ABOVE_HOME;
	}
	*which = NULL;
	return WORKSPACE_OK;
}

enum workspace_verdict
workspace_judge(const char *dir, const struct workspace_rules *r,
		const char **which)
{
	enum workspace_verdict v;
	size_t i;

	*which = NULL;
	if (r->writable) {
		if (r->airlock_home != NULL && within(dir, r->airlock_home))
			return WORKSPACE_AIRLOCK_HOME;
		if (listed(dir, system_exact, false) ||
		    listed(dir, system_tree, true))
			return WORKSPACE_SYSTEM;
		v = judge_broad(dir, r, which);
		if (v != WORKSPACE_OK && !r->allow_broad)
			return v;
		*which = NULL;
	}
	if (r->roots == NULL)
		return WORKSPACE_OK;
	for (i = 0; i < r->n_roots; i++)
		if (within(dir, r->roots[i]))
			return WORKSPACE_OK;
	return WORKSPACE_NOT_IN_ROOTS;
}

/* --- the impure part ------------------------------------------------------------ */

/* The canonical form of path, or a copy of it when it cannot be had
 * (missing): a missing directory is compared as written. */
static char *
canon(const char *path)
{
	char *r;

	if (path == NULL || path[0] == '\0')
		return NULL;
	r = realpath(path, NULL);
	return r != NULL ? r : xstrdup(path);
}

static char *
canon_passwd_home(void)
{
	char *pw = passwd_home(getuid()), *r = canon(pw);

	free(pw);
	return r;
}

static void
refusal(struct errbuf *err, enum workspace_verdict v, const char *dir,
	const char *which, const struct workspace_opts *o)
{
	const char *broad = o->broad_flag ? " (or --allow-broad-workspace)" : "";

	switch (v) {
	case WORKSPACE_ROOT:
		errbuf_add(err, "refusing `/` as the workspace: every file "
			   "would be writable; %s%s", o->hint, broad);
		break;
	case WORKSPACE_HOME:
		errbuf_add(err, "refusing %s as the workspace: it is the home "
			   "directory (~/.ssh and shell start-up files would "
			   "be writable); %s%s", dir, o->hint, broad);
		break;
	case WORKSPACE_ABOVE_HOME:
		errbuf_add(err, "refusing %s as the workspace: it holds the "
			   "home directory %s; %s%s", dir, which, o->hint,
			   broad);
		break;
	case WORKSPACE_SYSTEM:
		errbuf_add(err, "refusing %s as the workspace: a system "
			   "directory; %s", dir, o->hint);
		break;
	case WORKSPACE_AIRLOCK_HOME:
		errbuf_add(err, "refusing %s as the workspace: it is in "
			   "$AIRLOCK_HOME (airlock's config, keys and tokens); "
			   "%s", dir, o->hint);
		break;
	case WORKSPACE_NOT_IN_ROOTS:
	case WORKSPACE_OK:
		break;
	}
}

static void
roots_refusal(struct errbuf *err, const char *dir, const struct req_list *l)
{
	struct buf b;
	size_t i;

	buf_init(&b, 64 * 1024);
	for (i = 0; i < l->n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", l->items[i]);
	errbuf_add(err, "refusing %s as the workspace: not under "
		   "allowed_workspace_roots (%s) (%s)", dir,
		   b.len ? b.p : "none", l->origin ? l->origin : "requirements");
	buf_release(&b);
}

int
workspace_check(const char *dir, const struct workspace_opts *o,
		struct errbuf *err)
{
	const struct req_list *l = o->req ? &o->req->workspace_roots : NULL;
	struct workspace_rules r = {{NULL, NULL}, NULL, NULL, 0, false, false};
	char **roots = NULL, *d = realpath(dir, NULL);
	enum workspace_verdict v = WORKSPACE_OK;
	const char *which;
	size_t i;

	if (d == NULL) {
		errbuf_add(err, "workspace %s: %s", dir, strerror(errno));
		return -1;
	}
	r.homes[0] = canon(getenv("HOME"));
	r.homes[1] = canon_passwd_home();
	r.airlock_home = canon(o->airlock_home);
	r.writable = o->writable;
	r.allow_broad = o->allow_broad;
	if (l != NULL && l->set) {
		roots = xcalloc(l->n + 1, sizeof(*roots));
		for (i = 0; i < l->n; i++)
			roots[i] = canon(l->items[i]);
		r.roots = (const char *const *)roots;
		r.n_roots = l->n;
	}
	v = workspace_judge(d, &r, &which);
	if (v == WORKSPACE_NOT_IN_ROOTS)
		roots_refusal(err, d, l);
	else
		refusal(err, v, d, which, o);
	for (i = 0; roots != NULL && i < l->n; i++)
		free(roots[i]);
	free(roots);
	free((char *)r.homes[0]);
	free((char *)r.homes[1]);
	free((char *)r.airlock_home);
	free(d);
	return v == WORKSPACE_OK ? 0 : -1;
}
