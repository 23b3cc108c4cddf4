/* gitscan.h — the bounded walk for repositories under a writable root.
 *
 * gitscan_walk() reads the directories under root breadth first (the
 * shallow ones, where a workspace's own repositories are, come first),
 * never following a symbolic link, and calls sc->found for every entry
 * named `.git` (directory, `gitdir:` file or link) or `.airlock`; it does
 * not enter them. It prunes the directories gitscan_pruned() names
 * (dependency trees and caches, which hold no repository of the user's
 * worth the time), those in sc->skip, and every mount point below root
 * (mountinfo.h: it stays on root's own file system, never touching a
 * network, FUSE or automounted one), and stops when the budget in sc
 * (directories read, milliseconds, shared by every call) runs out, saying
 * why in sc->stopped. Unreadable directories are passed over. */
#ifndef AIRLOCK_SANDBOX_GITSCAN_H
#define AIRLOCK_SANDBOX_GITSCAN_H

#include <stdbool.h>

#include "sandbox/plan.h"

struct walkcache;

/* The mount points of the caller's mount namespace, read once for the
 * walks of one plan (reading /proc/self/mountinfo costs about as much as
 * a hundred lstat calls). */
struct gitscan_mounts {
	char **points;
	size_t n;
};

void gitscan_mounts_read(struct gitscan_mounts *m);
void gitscan_mounts_release(struct gitscan_mounts *m);

/* cache (walkcache.h), when not NULL, answers for the directories it knows
 * unchanged and learns the others; sc->cached counts its answers. mounts:
 * from gitscan_mounts_read(), or NULL to read them for this walk. */
void gitscan_walk(const char *root, struct sandbox_scan *sc,
		  struct walkcache *cache, const struct gitscan_mounts *mounts);

/* Pure: whether a directory of this name is not walked (node_modules,
 * .venv, venv, __pycache__, target, ...; see doc/sandbox.md). */
bool gitscan_pruned(const char *name);

#endif
