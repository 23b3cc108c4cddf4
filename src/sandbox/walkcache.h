/* walkcache.h — what the repository walk saw, kept between runs.
 *
 * The walk for repositories (gitscan.h) reads every directory under the
 * writable roots before each run; most of them have not changed since
 * the last run. The cache keeps, per directory, what the walk needs of
 * it: the names of its subdirectories and its `.git`/`.airlock` entries
 * (a record "read"), or only the latter (a record "probed", for a
 * directory the walk only looks into). A record holds only while the
 * directory is the same inode with the same change time (st_ctime),
 * which every creation, removal or rename of an entry in it advances and
 * which no process can set back: utimensat sets the other two times, and
 * the change time follows the clock, which only a privileged process of
 * the host can move. A directory whose change time is within
 * WALKCACHE_RACY_S seconds of the walk is not recorded: on a file system
 * with coarse timestamps a change in the same clock tick would leave the
 * time as it was (the racy-clean rule of git's index).
 *
 * The file ($AIRLOCK_HOME/cache/walk, owner-only, hidden from sandboxes
 * like the rest of that directory) carries its length and checksum; any
 * damage or a format it does not know drops the whole cache, and the walk
 * reads the disk as if there were none. Only file systems with exact
 * change times are cached (ext2/3/4, tmpfs, XFS): gitscan decides. */
#ifndef AIRLOCK_SANDBOX_WALKCACHE_H
#define AIRLOCK_SANDBOX_WALKCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "lib/buf.h"

#define WALKCACHE_RACY_S 2
#define WALKCACHE_MAX_RECORDS 32768
#define WALKCACHE_MAX_BYTES (8u << 20)
/* Records looked at ahead, at most (the walk reads 4096 directories). */
#define WALKCACHE_AHEAD_MAX 4096

enum walkcache_kind {
	WALKCACHE_READ = 'R',   /* every subdirectory and mark */
	WALKCACHE_PROBED = 'P', /* the marks only */
};

struct walkcache_rec {
	char kind;              /* enum walkcache_kind */
	uint64_t dev, ino;
	int64_t ctime_s;
	uint32_t ctime_ns;
	const char *path;
	/* The entries: each a kind byte ('d', 'f' or 'l') and a name, NUL
	 * terminated; an empty one ends the list. */
	const char *entries;
	size_t entries_len;     /* up to and including the empty one */
	const char *raw;        /* a record read from the file: its bytes */
	size_t raw_len;
	bool used;              /* looked up by this run */
};

struct walkcache;

/* The cache in file, or an empty one when it is missing or damaged;
 * never NULL. now: CLOCK_REALTIME at the walk's start (the racy cut-off).
 * file NULL: an empty cache that is never saved. */
struct walkcache *walkcache_load(const char *file, const struct timespec *now);
/* Pure: the cache in text[0..len) (the file's bytes; taken over), or
 * NULL when the text is not a whole, undamaged cache. */
struct walkcache *walkcache_parse(char *text, size_t len);
void walkcache_free(struct walkcache *c);

/* The walk's one system call per directory, and its lookup:
 * walkcache_lstat is fstatat(dfd, rel, AT_SYMLINK_NOFOLLOW) for path,
 * with *rec set to path's record when the lstat shows the directory it
 * recorded unchanged (same device, inode and change time), else NULL.
 * c may be NULL (no cache: *rec is NULL).
 *
 * Looking ahead: that lstat taken on a second thread while the caller is
 * busy elsewhere. select (before the walk and before run starts) picks
 * the records of directories under roots, in the file's order, which is
 * the order of the walk that wrote it (roots that are NULL or not
 * absolute are passed over), and says how many: none when fewer than
 * min. run takes their lstat from the last one backwards, on the thread
 * ahead, until stop is set or it meets one the walk has taken.
 * walkcache_lstat then uses path's lstat taken ahead when the thread got
 * there first, and takes it itself otherwise. A lstat taken ahead is one
 * taken a moment earlier during the same walk: what the walk concludes
 * from it is what it would conclude from a walk started that moment
 * earlier. */
size_t walkcache_ahead_select(struct walkcache *c, const char *const *roots,
			      size_t n_roots, size_t min);
void walkcache_ahead_run(struct walkcache *c, const atomic_bool *stop);
int walkcache_lstat(struct walkcache *c, int dfd, const char *rel,
		    const char *path, struct stat *st,
		    const struct walkcache_rec **rec);

/* Iterates a record's entries: *p starts at rec->entries; 0 at the end,
 * else 1 with *kind and *name set. */
int walkcache_next(const char **p, char *kind, const char **name);

/* The records of this run, in the order the walk made them. put keeps
 * one for path (st: its stat taken before it was read; entries as in
 * struct walkcache_rec, len counting the empty end), unless it changed
 * too recently to be trusted. put_copy keeps a record found.
 * entry_add appends one entry to a list being made (-1: b is full). */
void walkcache_put(struct walkcache *c, char kind, const char *path,
		   const struct stat *st, const char *entries, size_t len);
void walkcache_put_copy(struct walkcache *c, const struct walkcache_rec *r);
int walkcache_entry_add(struct buf *b, char kind, const char *name);
/* root was walked by this run: records below it that the run did not
 * make again are of directories gone or no longer walked. */
void walkcache_walked(struct walkcache *c, const char *root);

/* The file's bytes for this run's records and the old ones kept (heap;
 * *len set). Pure, for tests and the fuzz target. */
char *walkcache_render(struct walkcache *c, size_t *len);
/* Writes the file when it would change (a sibling temporary file renamed
 * into place; no fsync: a torn file fails its checksum and is dropped);
 * once per cache, later calls do nothing. 0, or -1 with errno. */
int walkcache_save(struct walkcache *c);

#endif
