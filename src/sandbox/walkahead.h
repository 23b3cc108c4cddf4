/* walkahead.h — the walk cache loaded and looked at ahead, on a thread.
 *
 * `airlock run` spends most of its start-up in the repository walk, and
 * with the walk cache (walkcache.h) that is one lstat per directory.
 * walkahead_start() loads the cache, then starts a thread that takes the
 * lstat of the directories the cache records under the given roots, from
 * the last one backwards (walkcache_ahead_run()), while the caller reads
 * its config and then walks from the first. The walk finds exactly what
 * it finds without: the thread only takes, a moment earlier, the lstat
 * the walk would take.
 *
 * walkahead_cache() lends the cache to the walk; walkahead_end() stops
 * the thread, waits for it and gives the cache to the caller (to save and
 * free). The thread runs on another processor than the caller's; on a
 * single one, for a cache of fewer than 64 directories under the roots,
 * or when it cannot be made, there is none and the walk takes every
 * lstat itself. */
#ifndef AIRLOCK_SANDBOX_WALKAHEAD_H
#define AIRLOCK_SANDBOX_WALKAHEAD_H

#include <stddef.h>

#include "sandbox/walkcache.h"

struct walkahead;

/* file: the cache's path (walkcache_load()). roots: absolute, where the
 * walk will go (walkcache_ahead_select()). */
struct walkahead *walkahead_start(const char *file, const char *const *roots,
				  size_t n_roots);
struct walkcache *walkahead_cache(struct walkahead *a);
struct walkcache *walkahead_end(struct walkahead *a);

#endif
