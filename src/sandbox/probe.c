/* probe.c — the plan's questions answered from the disk. See probe.h. */
#include "sandbox/probe.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/fdutil.h"
#include "lib/xalloc.h"
#include "sandbox/gitscan.h"
#include "sandbox/placeholder.h"
#include "sandbox/walkahead.h"
#include "sandbox/walkcache.h"

static char *
disk_resolve(void *arg, const char *path)
{
	(void)arg;
	return realpath(path, NULL);
}

static int
disk_kind(void *arg, const char *path)
{
	struct stat st;

	(void)arg;
	if (lstat(path, &st) == -1)
		return 0;
	if (S_ISLNK(st.st_mode))
		return 'l';
	if (placeholder_mode(st.st_mode))
		return 'p';
	return S_ISDIR(st.st_mode) ? 'd' : 'f';
}

char *
sandbox_gitdir_parse(const char *text, size_t n, const char *dir)
{
	const char *p, *end;

	if (n < 7 || strncmp(text, "gitdir:", 7) != 0)
		return NULL;
	p = text + 7;
	end = text + n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && strchr(" \t\r\n", end[-1]) != NULL)
		end--;
	if (end == p || memchr(p, '\n', (size_t)(end - p)) != NULL ||
	    memchr(p, '\0', (size_t)(end - p)) != NULL)
		return NULL;
	if (*p == '/')
		return xstrndup(p, (size_t)(end - p));
	return xasprintf("%s/%.*s", dir, (int)(end - p), p);
}

static char *
disk_gitdir(void *arg, const char *gitfile)
{
	char *text, *dir, *slash, *target, *real = NULL;
	size_t n = 0;

	(void)arg;
	text = read_file_capped(gitfile, 4096, &n, NULL);
	if (text == NULL)
		return NULL;
	dir = xstrdup(gitfile);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	target = sandbox_gitdir_parse(text, n, dir);
	if (target != NULL)
		real = realpath(target, NULL);
	free(target);
	free(dir);
	free(text);
	return real;
}

static char *
disk_read(void *arg, const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), big = 0;
	char *text;

	(void)arg;
	if (fd == -1)
		return NULL;
	text = read_fd_capped(fd, 65536, n, &big);
	close(fd);
	return text;
}

/* What the walks of one plan share: the cache and the mount points. */
struct disk_walks {
	struct walkcache *cache;
	struct gitscan_mounts mounts;
	bool mounts_read;
};

static void
disk_scan(void *arg, const char *root, struct sandbox_scan *sc)
{
	struct disk_walks *d = arg;

	if (d == NULL) {
		gitscan_walk(root, sc, NULL, NULL);
		return;
	}
	if (!d->mounts_read)
		gitscan_mounts_read(&d->mounts);
	d->mounts_read = true;
	gitscan_walk(root, sc, d->cache, &d->mounts);
}

void
sandbox_probe_disk(struct sandbox_probe *p)
{
	p->resolve = disk_resolve;
	p->kind = disk_kind;
	p->gitdir = disk_gitdir;
	p->scan = disk_scan;
	p->read = disk_read;
	p->arg = NULL;
}

/* Where the walk cache of home is: home/cache/walk (heap), or NULL for a
 * home that is not absolute. */
static char *
walkcache_file(const char *home)
{
	return home != NULL && home[0] == '/'
		       ? xasprintf("%s/cache/walk", home)
		       : NULL;
}

/* The walk cache of home loaded, and looked at ahead under roots
 * (walkahead.h); NULL for a home that is not absolute. */
static struct walkahead *
start_ahead(const char *home, const char *const *roots, size_t n_roots)
{
	char *file = walkcache_file(home);
	struct walkahead *a = NULL;

	if (file != NULL)
		a = walkahead_start(file, roots, n_roots);
	free(file);
	return a;
}

struct walkahead *
sandbox_walk_ahead(const char *home, const char *cwd)
{
	const char *roots[] = {cwd, "/tmp", getenv("TMPDIR")};

	return start_ahead(home, roots, 3);
}

int
sandbox_plan_build_disk(const struct sandbox_input *in,
			struct walkahead *ahead, struct sandbox_plan *p,
			struct errbuf *err)
{
	struct sandbox_probe probe;
	struct disk_walks d = {0};
	int rc;

	sandbox_probe_disk(&probe);
	/* Without one from the caller: the cache loaded here, no thread. */
	if (ahead == NULL)
		ahead = start_ahead(in->home, NULL, 0);
	d.cache = ahead != NULL ? walkahead_cache(ahead) : NULL;
	probe.arg = &d;
	rc = sandbox_plan_build(in, &probe, p, err);
	d.cache = walkahead_end(ahead);
	if (rc == 0) {
		p->walk_cache = d.cache; /* written once the sandbox starts */
	} else {
		(void)walkcache_save(d.cache);
		walkcache_free(d.cache);
	}
	gitscan_mounts_release(&d.mounts);
	return rc;
}
