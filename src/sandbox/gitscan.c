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

#include "lib/fdutil.h"
#include "lib/xalloc.h"
#include "sandbox/mountinfo.h"

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
	char **mounts;    /* mount points below the root: not entered */
	size_t n_mounts;
	char **queue;
	unsigned *depth;  /* of each queued directory below the root */
	size_t head, n;
	struct timespec start;
	unsigned ms0;   /* sc->ms when this walk started */
	bool full;      /* a directory was left out for the budget */
	bool leaf_links; /* the root's file system counts subdirectories in a
			  * directory's link count (leaf_dir) */
	char buf[32768] __attribute__((aligned(8)));
};

bool
gitscan_pruned(const char *name)
{
	size_t i;

	for (i = 0; pruned[i] != NULL; i++)
		if (strcmp(name, pruned[i]) == 0)
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

/* The mount points strictly below root, from /proc/self/mountinfo. */
static void
load_mounts(struct walk *w, const char *root)
{
	size_t i, n = 0, len = 0, rn = strlen(root);
	char *text = read_file_capped("/proc/self/mountinfo", 1 << 20, &len,
				      NULL);
	char **v = text ? mountinfo_points(text, len, &n) : NULL;

	for (i = 0; i < n; i++) {
		bool below = strcmp(root, "/") == 0
				     ? strcmp(v[i], "/") != 0
				     : strncmp(v[i], root, rn) == 0 &&
					       v[i][rn] == '/';

		if (below) {
			w->mounts = xreallocarray(w->mounts, w->n_mounts + 1,
						  sizeof(*w->mounts));
			w->mounts[w->n_mounts++] = v[i];
		} else {
			free(v[i]);
		}
	}
	free(v);
	free(text);
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

static void
enqueue(struct walk *w, char *path, unsigned depth)
{
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
	w->depth[w->n] = depth;
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

/* A directory at the deepest level the walk reads is only looked into
 * for .git and .airlock: two fstatat calls instead of reading what may
 * be thousands of entries (a /tmp full of build trees). -1 when found()
 * asked to stop. */
static int
probe(struct walk *w, int dfd, const char *name, const char *path)
{
	static const char *const marks[] = {".git", ".airlock"};
	size_t i;
	int kind, rc = 0;
	char *p;

	w->sc->dirs++;
	for (i = 0; i < 2 && rc == 0; i++) {
		kind = kind_at(dfd, name, marks[i]);
		if (kind == 0)
			continue;
		p = xasprintf("%s/%s", path, marks[i]);
		rc = w->sc->found(w->sc->ctx, p, kind);
		free(p);
	}
	return rc;
}

/* File systems whose directories have 2 + (number of subdirectories)
 * links, always: ext2/3/4 (but for one with more than 65000, which has 1),
 * tmpfs and XFS. Others (btrfs, overlayfs, FUSE, network file systems)
 * may say anything, so their directories are always read. */
static bool
counts_subdirs(const char *root)
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

/* Whether the directory name of dfd has no subdirectory (its link count
 * says so, where the file system keeps that count): then only its .git
 * and .airlock matter, and two lookups replace reading it. */
static bool
leaf_dir(const struct walk *w, int dfd, const char *name)
{
	struct stat st;

	if (!w->leaf_links ||
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return false;
	return S_ISDIR(st.st_mode) && st.st_nlink == 2;
}

/* Reports or queues one entry of dir (at depth below the root); -1 when
 * found() asked to stop. */
static int
visit(struct walk *w, int dfd, const char *dir, unsigned depth,
      const struct dirent64 *de)
{
	const char *name = de->d_name;
	int kind;
	char *path;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	kind = entry_kind(dfd, de);
	if (kind == 0)
		return 0;
	if (strcmp(name, ".git") == 0 || strcmp(name, ".airlock") == 0) {
		int rc;

		path = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", name);
		rc = w->sc->found(w->sc->ctx, path, kind);
		free(path);
		return rc;
	}
	if (kind != 'd' ||
	    (w->sc->max_depth > 0 && depth + 1 > w->sc->max_depth) ||
	    gitscan_pruned(name))
		return 0;
	path = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", name);
	if (skipped(w, path)) {
		free(path);
		return 0;
	}
	if ((w->sc->max_depth > 0 && depth + 1 == w->sc->max_depth) ||
	    leaf_dir(w, dfd, name)) {
		int rc = probe(w, dfd, name, path);

		free(path);
		return rc;
	}
	enqueue(w, path, depth + 1);
	return 0;
}

/* getdents64 straight into a buffer: half the system calls of
 * opendir/readdir, which matters at start-up. */
static void
read_dir(struct walk *w, const char *dir, unsigned depth)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent64 *de;
	long n, off;

	if (fd == -1)
		return;
	w->sc->dirs++;
	while ((n = syscall(SYS_getdents64, fd, w->buf, sizeof(w->buf))) > 0) {
		for (off = 0; off < n; off += de->d_reclen) {
			de = (struct dirent64 *)(w->buf + off);
			if (visit(w, fd, dir, depth, de) == -1) {
				if (w->sc->stopped == NULL)
					w->sc->stopped = "stopped";
				close(fd);
				return;
			}
		}
	}
	close(fd);
}

void
gitscan_walk(const char *root, struct sandbox_scan *sc)
{
	struct walk *w = xcalloc(1, sizeof(*w));
	size_t i;

	w->sc = sc;
	w->ms0 = sc->ms;
	clock_gettime(CLOCK_MONOTONIC, &w->start);
	load_mounts(w, root);
	w->leaf_links = counts_subdirs(root);
	enqueue(w, xstrdup(root), 0);
	while (w->head < w->n && sc->stopped == NULL) {
		if (w->head % GITSCAN_CLOCK_EVERY == 0 &&
		    w->ms0 + elapsed_ms(w) >= sc->max_ms) {
			sc->stopped = "time limit";
			break;
		}
		read_dir(w, w->queue[w->head], w->depth[w->head]);
		free(w->queue[w->head]);
		w->queue[w->head++] = NULL;
	}
	sc->ms = w->ms0 + elapsed_ms(w);
	if (w->full && sc->stopped == NULL)
		sc->stopped = "directory limit";
	while (w->head < w->n)
		free(w->queue[w->head++]);
	for (i = 0; i < w->n_mounts; i++)
		free(w->mounts[i]);
	free(w->mounts);
	free(w->queue);
	free(w->depth);
	free(w);
}
