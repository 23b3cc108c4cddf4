/* protect.c — the paths a run protects, creates, pins and hides. See
 * protect.h. */
#include "sandbox/protect.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "sandbox/gitmodules.h"

/* Bounds every list: a plan longer than this would be a mistake, and each
 * entry costs a mount at start-up. */
#define PROTECT_MAX_PATHS 2048

struct collect {
	struct sandbox_plan *p;
	const struct sandbox_probe *pr;
	size_t found;
};

bool
protect_push(char ***v, size_t *n, char *path, size_t max)
{
	size_t i;

	if (path == NULL)
		return true;
	for (i = 0; i < *n; i++) {
		if (strcmp((*v)[i], path) == 0) {
			free(path);
			return true;
		}
	}
	if (*n >= max) {
		free(path);
		return false;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = path;
	return true;
}

bool
protect_under(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	return strncmp(root, path, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

size_t
protect_depth(const char *path)
{
	size_t d = 0;

	for (; *path != '\0'; path++)
		d += *path == '/';
	return d;
}

static int
cmp_depth(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t dx = protect_depth(x), dy = protect_depth(y);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(x, y);
}

void
protect_sort(char **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_depth);
}

static char *
join(const char *dir, const char *name)
{
	return xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
}

char *
protect_resolve_partial(const struct sandbox_probe *pr, const char *path)
{
	char *c, *parent, *slash, *rc = NULL;
	const char *name;
	size_t n = strlen(path);

	if (path[0] != '/')
		return NULL;
	while (n > 1 && path[n - 1] == '/')
		n--;
	parent = xstrndup(path, n);
	c = pr->resolve(pr->arg, parent);
	if (c != NULL || n == 1) {
		free(parent);
		return c;
	}
	slash = strrchr(parent, '/');
	name = slash + 1;
	if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
		*slash = '\0';
		c = protect_resolve_partial(pr, slash == parent ? "/" : parent);
		if (c != NULL)
			rc = join(c, name);
		free(c);
	}
	free(parent);
	return rc;
}

/* The outermost writable root that path lies under, or NULL. */
static const char *
outer_root(const struct sandbox_plan *p, const char *path)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < p->n_writable; i++)
		if (protect_under(p->writable[i], path) &&
		    (best == NULL || strlen(p->writable[i]) < strlen(best)))
			best = p->writable[i];
	return best;
}

static bool
is_writable_root(const struct sandbox_plan *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->n_writable; i++)
		if (strcmp(p->writable[i], path) == 0)
			return true;
	return false;
}

static bool
push_protected(struct sandbox_plan *p, char *path)
{
	return protect_push(&p->protected, &p->n_protected, path,
			    PROTECT_MAX_PATHS);
}

/* A placeholder at path (canonical, missing), protected too. */
static void
push_placeholder(struct sandbox_plan *p, const char *path)
{
	if (p->make_home != NULL && strcmp(p->make_home, path) == 0)
		return;
	if (protect_push(&p->placeholders, &p->n_placeholders, xstrdup(path),
			 PROTECT_MAX_PLACEHOLDERS))
		push_protected(p, xstrdup(path));
}

static bool protect_entry(struct sandbox_plan *p,
			  const struct sandbox_probe *pr, const char *path,
			  int kind);
static char *first_missing(const struct sandbox_probe *pr, const char *path);
static const char *outer_root(const struct sandbox_plan *p,
			      const char *path);

/* The submodules of the repository whose `.git` is at gitpath: each
 * `.git` the `.gitmodules` beside it lists is protected, or, when missing,
 * gets a placeholder (at the first missing name of its path) if it lies
 * under a writable root. Paths that leave the repository are skipped. */
static void
protect_submodules(struct sandbox_plan *p, const struct sandbox_probe *pr,
		   const char *gitpath)
{
	char *dir = xstrndup(gitpath, strlen(gitpath) - 5);
	char *file = xasprintf("%s/.gitmodules", dir), *text, *sub, *ph;
	char **v = NULL;
	size_t i, n = 0, len = 0;

	text = pr->read != NULL ? pr->read(pr->arg, file, &len) : NULL;
	if (text != NULL)
		v = gitmodules_paths(text, len, &n);
	for (i = 0; i < n; i++) {
		char *want = xasprintf("%s/%s/.git", dir, v[i]);

		sub = protect_resolve_partial(pr, want);
		free(want);
		if (sub != NULL && protect_under(dir, sub) &&
		    outer_root(p, sub) != NULL) {
			int k = pr->kind(pr->arg, sub);

			if (k != 0) {
				protect_entry(p, pr, sub, k);
			} else {
				ph = first_missing(pr, sub);
				push_placeholder(p, ph);
				free(ph);
			}
		}
		free(sub);
		free(v[i]);
	}
	free(v);
	free(text);
	free(file);
	free(dir);
}

/* One existing `.git` / `.airlock`: the path itself, and for a `gitdir:`
 * file the directory it names. A symbolic link cannot take a mount: its
 * target is protected instead (the link itself can still be replaced). */
static bool
protect_entry(struct sandbox_plan *p, const struct sandbox_probe *pr,
	      const char *path, int kind)
{
	const char *base = strrchr(path, '/');

	if (kind == 'p') {
		push_placeholder(p, path);
		return true;
	}
	if (kind == 'l') {
		char *t = pr->resolve(pr->arg, path);

		return t == NULL || push_protected(p, t);
	}
	if (base == NULL || strcmp(base, "/.git") != 0)
		return push_protected(p, xstrdup(path));
	if (kind == 'f')
		push_protected(p, pr->gitdir(pr->arg, path));
	if (!push_protected(p, xstrdup(path)))
		return false;
	protect_submodules(p, pr, path);
	return true;
}

static int
on_found(void *ctx, const char *path, int kind)
{
	struct collect *c = ctx;

	if (c->found >= PROTECT_MAX_FOUND ||
	    !protect_entry(c->p, c->pr, path, kind)) {
		c->p->scan.stopped = "too many repositories";
		return -1;
	}
	c->found++;
	return 0;
}

/* Walks every writable root, the workspace (writable[0]) first, within
 * one budget; a root nested in another is walked once; /tmp and $TMPDIR
 * only a few levels deep. */
static void
scan_roots(struct sandbox_plan *p, const struct sandbox_probe *pr)
{
	struct sandbox_scan sc;
	struct collect c = {p, pr, 0};
	size_t i;

	memset(&sc, 0, sizeof(sc));
	sc.max_dirs = PROTECT_SCAN_MAX_DIRS;
	sc.max_ms = PROTECT_SCAN_MAX_MS;
	sc.skip = p->writable;
	sc.n_skip = p->n_writable;
	sc.found = on_found;
	sc.ctx = &c;
	for (i = 0; i < p->n_writable && pr->scan != NULL; i++) {
		sc.max_depth = i < p->n_own_roots ? 0 : PROTECT_SCAN_TMP_DEPTH;
		pr->scan(pr->arg, p->writable[i], &sc);
		if (sc.stopped != NULL || p->scan.stopped != NULL)
			break;
	}
	p->scan.dirs = sc.dirs;
	p->scan.cached = sc.cached;
	p->scan.ms = sc.ms;
	p->scan.tmp_depth = p->n_writable > p->n_own_roots
				    ? PROTECT_SCAN_TMP_DEPTH
				    : 0;
	p->scan.found = c.found;
	if (p->scan.stopped == NULL)
		p->scan.stopped = sc.stopped;
}

/* `.git` and `.airlock` of dir: protected when present; with placeholder,
 * created when missing (the workspace root). */
static void
protect_dir(struct sandbox_plan *p, const struct sandbox_probe *pr,
	    const char *dir, bool placeholder)
{
	static const char *const names[] = {".git", ".airlock"};
	size_t i;
	char *path;
	int k;

	for (i = 0; i < 2; i++) {
		path = join(dir, names[i]);
		k = pr->kind(pr->arg, path);
		if (k != 0)
			protect_entry(p, pr, path, k);
		else if (placeholder)
			push_placeholder(p, path);
		free(path);
	}
}

/* The workspace root and each ancestor under a writable root: git looks
 * for a repository upwards from the working directory, and the project
 * config is the nearest `.airlock` upwards. */
static void
protect_workspace(struct sandbox_plan *p, const struct sandbox_probe *pr,
		  const char *cwd)
{
	char *dir = pr->resolve(pr->arg, cwd), *slash;

	if (dir == NULL || !is_writable_root(p, dir)) {
		free(dir);
		return;
	}
	protect_dir(p, pr, dir, true);
	for (;;) {
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			break;
		*slash = '\0';
		if (outer_root(p, dir) == NULL)
			break;
		protect_dir(p, pr, dir, false);
	}
	free(dir);
}

/* The first missing name of path (canonical), for a placeholder. */
static char *
first_missing(const struct sandbox_probe *pr, const char *path)
{
	char *cur = xstrdup(path), *slash;
	int k;

	for (;;) {
		slash = strrchr(cur, '/');
		if (slash == NULL || slash == cur)
			return cur;
		*slash = '\0';
		k = pr->kind(pr->arg, cur);
		if (k != 0 && k != 'p') {
			*slash = '/';
			return cur;
		}
	}
}

/* airlock's own files: AIRLOCK_HOME (created when missing, so that the
 * command cannot create it), the system directory (a placeholder when
 * missing) and the --config file, when they lie under a writable root. */
static void
protect_airlock(struct sandbox_plan *p, const struct sandbox_input *in,
		const struct sandbox_probe *pr)
{
	char *home = in->home ? protect_resolve_partial(pr, in->home) : NULL;
	char *sys = in->system_dir
			    ? protect_resolve_partial(pr, in->system_dir)
			    : NULL;
	char *conf = in->config_file ? pr->resolve(pr->arg, in->config_file)
				     : NULL;

	if (home != NULL && outer_root(p, home) != NULL) {
		if (pr->kind(pr->arg, home) == 0)
			p->make_home = xstrdup(home);
		push_protected(p, home);
		home = NULL;
	}
	if (sys != NULL && outer_root(p, sys) != NULL) {
		int k = pr->kind(pr->arg, sys);

		if (k == 0 || k == 'p') {
			char *ph = first_missing(pr, sys);

			push_placeholder(p, ph);
			free(ph);
		} else {
			push_protected(p, sys);
			sys = NULL;
		}
	}
	if (conf != NULL && outer_root(p, conf) != NULL) {
		push_protected(p, conf);
		conf = NULL;
	}
	free(home);
	free(sys);
	free(conf);
}

/* Whether dir lies inside a protected path: read-only, so nothing in it
 * can be renamed, and a mount there would only be copied by the
 * protected bind. */
static bool
inside_protected(const struct sandbox_plan *p, const char *dir)
{
	size_t i;

	for (i = 0; i < p->n_protected; i++)
		if (protect_under(p->protected[i], dir))
			return true;
	return false;
}

/* The directories strictly between path and the outermost writable root
 * above it, writable roots excepted (they are mount points already), and
 * those inside a protected path. */
static void
add_chain(struct sandbox_plan *p, const char *path)
{
	const char *root = outer_root(p, path);
	char *dir, *slash;

	if (root == NULL)
		return;
	dir = xstrdup(path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			break;
		*slash = '\0';
		if (strlen(dir) <= strlen(root))
			break;
		if (!is_writable_root(p, dir) && !inside_protected(p, dir))
			protect_push(&p->chain, &p->n_chain, xstrdup(dir),
				     PROTECT_MAX_PATHS);
	}
	free(dir);
}

void
protect_collect(struct sandbox_plan *p, const struct sandbox_input *in,
		const struct sandbox_probe *pr)
{
	size_t i;

	protect_airlock(p, in, pr);
	protect_workspace(p, pr, in->cwd);
	scan_roots(p, pr);
	for (i = 0; i < p->n_protected; i++)
		add_chain(p, p->protected[i]);
	protect_sort(p->protected, p->n_protected);
	protect_sort(p->chain, p->n_chain);
	protect_sort(p->placeholders, p->n_placeholders);
}
