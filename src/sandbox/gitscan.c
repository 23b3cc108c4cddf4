/* gitscan.c — the bounded walk for repositories. See gitscan.h. */
#include "sandbox/gitscan.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fdutil.h"
#include "lib/xalloc.h"
#include "sandbox/mountinfo.h"
#include "sandbox/protect.h"
#include "sandbox/walkcache.h"

/* Directories that hold installed dependencies, build output or caches:
 * large, rebuilt by tools, and not where a user's repositories live. */
static const char *const pruned[] = {
	"node_modules", "bower_components", ".venv", "venv", "__pycache__",
	".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
	".cache", ".npm", ".cargo", ".rustup", "target", ".gradle", ".m2",
	NULL};

/* Time is read once per this many directories. */
#define GITSCAN_CLOCK_EVERY 32

struct walk {
	struct sandbox_scan *sc;
	const char **mounts; /* mount points below the root: not entered */
	size_t n_mounts;
	char **queue;
	unsigned *depth;  /* of each queued directory below the root */
	const struct walkcache_rec **rec; /* of each: its cached listing */
	size_t head, n;
	struct timespec start;
	unsigned ms0;   /* sc->ms when this walk started */
	bool full;      /* a directory was left out for the budget */
	bool leaf_links; /* the root's file system counts subdirectories in a
			  * directory's link count, and keeps exact change
			  * times (exact_fs) */
	struct walkcache *cache; /* NULL: every directory is read */
	struct buf ents;         /* the entries of the directory being read,
				  * for its record */
	struct buf marks;        /* those of the directory being probed */
	char buf[32768] __attribute__((aligned(8)));
};

bool
gitscan_pruned(const char *name)
{
	size_t i;

	/* The first byte first: most names are not in the list. */
	for (i = 0; pruned[i] != NULL; i++)
		if (name[0] == pruned[i][0] && strcmp(name, pruned[i]) == 0)
			return true;
	return false;
}

static unsigned
elapsed_ms(const struct walk *w)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - w->start.tv_sec) * 1000 +
	     (now.tv_nsec - w->start.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (unsigned)ms;
}

/* dir/name (heap); "/name" under the root directory. */
static char *
child_path(const char *dir, const char *name)
{
	size_t dn = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
	size_t nn = strlen(name);
	char *path = xmalloc(dn + nn + 2);

	memcpy(path, dir, dn);
	path[dn] = '/';
	memcpy(path + dn + 1, name, nn + 1);
	return path;
}

static bool
skipped(const struct walk *w, const char *path)
{
	size_t i;

	for (i = 0; i < w->sc->n_skip; i++)
		if (strcmp(w->sc->skip[i], path) == 0)
			return true;
	for (i = 0; i < w->n_mounts; i++)
		if (strcmp(w->mounts[i], path) == 0)
			return true;
	return false;
}

void
gitscan_mounts_read(struct gitscan_mounts *m)
{
	size_t len = 0;
	char *text = read_file_capped("/proc/self/mountinfo", 1 << 20, &len,
				      NULL);

	m->n = 0;
	m->points = text ? mountinfo_points(text, len, &m->n) : NULL;
	free(text);
}

void
gitscan_mounts_release(struct gitscan_mounts *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->points[i]);
	free(m->points);
	m->points = NULL;
	m->n = 0;
}

/* The mount points strictly below root (borrowed from m). */
static void
load_mounts(struct walk *w, const char *root, const struct gitscan_mounts *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const char *v = m->points[i];

		if (!protect_under(root, v) || strcmp(v, root) == 0)
			continue;
		w->mounts = xreallocarray(w->mounts, w->n_mounts + 1,
					  sizeof(*w->mounts));
		w->mounts[w->n_mounts++] = v;
	}
}

static int
entry_kind(int dfd, const struct dirent64 *de)
{
	struct stat st;

	switch (de->d_type) {
	case DT_DIR:
		return 'd';
	case DT_LNK:
		return 'l';
	case DT_UNKNOWN:
		break;
	default:
		return 'f';
	}
	if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (S_ISDIR(st.st_mode))
		return 'd';
	return S_ISLNK(st.st_mode) ? 'l' : 'f';
}

/* Queues path to be read; rec, a cached record of it, is read instead
 * when it holds the whole listing. Takes path. */
static void
enqueue(struct walk *w, char *path, unsigned depth,
	const struct walkcache_rec *rec)
{
	if (rec != NULL && rec->kind != WALKCACHE_READ)
		rec = NULL;
	if (w->sc->max_depth > 0 && depth > w->sc->max_depth) {
		free(path);
		return;
	}
	if (w->n - w->head + w->sc->dirs >= w->sc->max_dirs) {
		w->full = true;
		free(path);
		return;
	}
	w->queue = xreallocarray(w->queue, w->n + 1, sizeof(*w->queue));
	w->depth = xreallocarray(w->depth, w->n + 1, sizeof(*w->depth));
	w->rec = xreallocarray(w->rec, w->n + 1, sizeof(*w->rec));
	w->depth[w->n] = depth;
	w->rec[w->n] = rec;
	w->queue[w->n++] = path;
}

/* The kind (as entry_kind) of name inside the directory sub of dfd, or
 * 0 when there is none. */
static int
kind_at(int dfd, const char *sub, const char *name)
{
	char rel[NAME_MAX * 2 + 2];
	struct stat st;

	snprintf(rel, sizeof(rel), "%s/%s", sub, name);
	if (fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (S_ISDIR(st.st_mode))
		return 'd';
	return S_ISLNK(st.st_mode) ? 'l' : 'f';
}

static bool
is_mark(const char *name)
{
	return strcmp(name, ".git") == 0 || strcmp(name, ".airlock") == 0;
}

/* Reports the mark name (of kind) in dir to found(); its answer. */
static int
report(struct walk *w, const char *dir, const char *name, int kind)
{
	char *path = child_path(dir, name);
	int rc = w->sc->found(w->sc->ctx, path, kind);

	free(path);
	return rc;
}

/* Reports the marks of a directory the cache knows unchanged. */
static int
probe_cached(struct walk *w, const char *path, const struct walkcache_rec *r)
{
	const char *e = r->entries, *name;
	char kind;
	int rc = 0;

	w->sc->cached++;
	walkcache_put_copy(w->cache, r);
	while (rc == 0 && walkcache_next(&e, &kind, &name))
		if (is_mark(name))
			rc = report(w, path, name, kind);
	return rc;
}

/* A directory at the deepest level the walk reads, or one without
 * subdirectories, is only looked into for .git and .airlock: two lookups
 * instead of reading what may be thousands of entries (a /tmp full of
 * build trees); or none when the cache knows it unchanged. rel: the
 * directory's path relative to dfd; st: its lstat when taken (what the
 * cache records). -1 when found() asked to stop. */
static int
probe(struct walk *w, int dfd, const char *rel, const char *path,
      const struct stat *st, const struct walkcache_rec *r)
{
	static const char *const marks[] = {".git", ".airlock"};
	size_t i;
	int kind, rc = 0;

	w->sc->dirs++;
	if (r != NULL)
		return probe_cached(w, path, r);
	buf_reset(&w->marks);
	for (i = 0; i < 2 && rc == 0; i++) {
		kind = kind_at(dfd, rel, marks[i]);
		if (kind == 0)
			continue;
		(void)walkcache_entry_add(&w->marks, (char)kind, marks[i]);
		rc = report(w, path, marks[i], kind);
	}
	if (rc == 0 && st != NULL && buf_addch(&w->marks, '\0') == 0)
		walkcache_put(w->cache, WALKCACHE_PROBED, path, st,
			      w->marks.p, w->marks.len);
	return rc;
}

/* File systems whose directories have 2 + (number of subdirectories)
 * links, always (ext2/3/4 but for one with more than 65000, which has
 * 1), and whose change times follow every change of a directory, to the
 * nanosecond where the kernel has multigrain timestamps: ext2/3/4, tmpfs
 * and XFS. Others (btrfs, overlayfs, FUSE, network file systems) may say
 * anything, so their directories are always read, and never cached. */
static bool
exact_fs(const char *root)
{
	struct statfs sf;

	if (statfs(root, &sf) == -1)
		return false;
	switch ((unsigned long)sf.f_type) {
	case 0xEF53UL:      /* EXT2/3/4_SUPER_MAGIC */
	case 0x01021994UL:  /* TMPFS_MAGIC */
	case 0x58465342UL:  /* XFS_SUPER_MAGIC */
		return true;
	default:
		return false;
	}
}

/* A subdirectory (path; rel to dfd) at depth + 1: probed when it is at
 * the deepest level or has no subdirectory (its link count says so,
 * where the file system keeps that count), else queued to be read — from
 * the cache when it knows it unchanged. Takes path. */
static int
visit_dir(struct walk *w, int dfd, const char *rel, char *path,
	  unsigned depth)
{
	const struct walkcache_rec *r = NULL;
	bool deepest = w->sc->max_depth > 0 && depth + 1 == w->sc->max_depth;
	bool have = false;
	struct stat st;
	int rc = 0;

	if (w->cache != NULL || (w->leaf_links && !deepest)) {
		have = walkcache_lstat(w->cache, dfd, rel, path, &st, &r) == 0 &&
		       S_ISDIR(st.st_mode);
		if (!have) {
			free(path);
			return 0;
		}
	}
	if (deepest || (have && w->leaf_links && st.st_nlink == 2)) {
		rc = probe(w, dfd, rel, path, have ? &st : NULL, r);
		free(path);
		return rc;
	}
	enqueue(w, path, depth + 1, r);
	return 0;
}

/* Reports or queues one entry (name, of kind as entry_kind) of dir (at
 * depth below the root); dfd is dir open, or AT_FDCWD when dir was not
 * read (cached). -1 when found() asked to stop. */
static int
visit(struct walk *w, int dfd, const char *dir, unsigned depth,
      const char *name, int kind)
{
	char *path;

	if (is_mark(name))
		return report(w, dir, name, kind);
	if (kind != 'd' ||
	    (w->sc->max_depth > 0 && depth + 1 > w->sc->max_depth) ||
	    gitscan_pruned(name))
		return 0;
	path = child_path(dir, name);
	if (skipped(w, path)) {
		free(path);
		return 0;
	}
	return visit_dir(w, dfd, dfd == AT_FDCWD ? path : name, path, depth);
}

/* A directory the cache knows unchanged: its entries as they were read. */
static int
read_cached(struct walk *w, const char *dir, unsigned depth,
	    const struct walkcache_rec *r)
{
	const char *e = r->entries, *name;
	char kind;

	w->sc->dirs++;
	w->sc->cached++;
	walkcache_put_copy(w->cache, r);
	while (walkcache_next(&e, &kind, &name))
		if (visit(w, AT_FDCWD, dir, depth, name, kind) == -1)
			return -1;
	return 0;
}

/* getdents64 straight into a buffer: half the system calls of
 * opendir/readdir, which matters at start-up. What it finds goes into
 * the cache, with the change time from before the first entry was read. */
static int
read_disk(struct walk *w, const char *dir, unsigned depth)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	bool keep = w->cache != NULL;
	struct dirent64 *de;
	struct stat st;
	long n = 0, off;
	int kind, rc = 0;

	if (fd == -1)
		return 0;
	w->sc->dirs++;
	buf_reset(&w->ents);
	keep = keep && fstat(fd, &st) == 0;
	while (rc == 0 &&
	       (n = syscall(SYS_getdents64, fd, w->buf, sizeof(w->buf))) > 0) {
		for (off = 0; off < n && rc == 0; off += de->d_reclen) {
			de = (struct dirent64 *)(w->buf + off);
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			kind = entry_kind(fd, de);
			if (keep && (kind == 'd' ||
				     (kind != 0 && is_mark(de->d_name))))
				keep = walkcache_entry_add(&w->ents, (char)kind,
							   de->d_name) == 0;
			if (kind != 0)
				rc = visit(w, fd, dir, depth, de->d_name, kind);
		}
	}
	if (keep && rc == 0 && n == 0 && buf_addch(&w->ents, '\0') == 0)
		walkcache_put(w->cache, WALKCACHE_READ, dir, &st, w->ents.p,
			      w->ents.len);
	close(fd);
	return rc;
}

static void
read_dir(struct walk *w, size_t i)
{
	int rc = w->rec[i] != NULL
			 ? read_cached(w, w->queue[i], w->depth[i], w->rec[i])
			 : read_disk(w, w->queue[i], w->depth[i]);

	if (rc == -1 && w->sc->stopped == NULL)
		w->sc->stopped = "stopped";
}

/* The root, from the cache when it knows it unchanged. */
static void
enqueue_root(struct walk *w, const char *root)
{
	const struct walkcache_rec *r = NULL;
	struct stat st;

	if (w->cache != NULL &&
	    (walkcache_lstat(w->cache, AT_FDCWD, root, root, &st, &r) == -1 ||
	     !S_ISDIR(st.st_mode)))
		r = NULL;
	enqueue(w, xstrdup(root), 0, r);
}

void
gitscan_walk(const char *root, struct sandbox_scan *sc,
	     struct walkcache *cache, const struct gitscan_mounts *mounts)
{
	struct walk *w = xcalloc(1, sizeof(*w));
	struct gitscan_mounts own = {0};

	w->sc = sc;
	w->ms0 = sc->ms;
	clock_gettime(CLOCK_MONOTONIC, &w->start);
	if (mounts == NULL) {
		gitscan_mounts_read(&own);
		mounts = &own;
	}
	load_mounts(w, root, mounts);
	w->leaf_links = exact_fs(root);
	w->cache = w->leaf_links ? cache : NULL;
	buf_init(&w->ents, 1 << 20);
	buf_init(&w->marks, 64);
	enqueue_root(w, root);
	while (w->head < w->n && sc->stopped == NULL) {
		if (w->head % GITSCAN_CLOCK_EVERY == 0 &&
		    w->ms0 + elapsed_ms(w) >= sc->max_ms) {
			sc->stopped = "time limit";
			break;
		}
		read_dir(w, w->head);
		free(w->queue[w->head]);
		w->queue[w->head++] = NULL;
	}
	sc->ms = w->ms0 + elapsed_ms(w);
	if (w->full && sc->stopped == NULL)
		sc->stopped = "directory limit";
	if (sc->stopped == NULL)
		walkcache_walked(w->cache, root);
	while (w->head < w->n)
		free(w->queue[w->head++]);
	gitscan_mounts_release(&own);
	buf_release(&w->ents);
	buf_release(&w->marks);
	free(w->mounts);
	free(w->queue);
	free(w->depth);
	free(w->rec);
	free(w);
}
