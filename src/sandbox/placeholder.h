/* placeholder.h — empty directories that stand in for missing protected
 * paths (the workspace root's `.git` and `.airlock`, a missing system
 * directory) for the length of a run.
 *
 * A mount needs an existing path, and a command must not be able to
 * create these names. So the sandbox's pid 1 creates an empty directory
 * of mode PLACEHOLDER_MODE (sticky and read-only: nobody makes such a
 * `.git` by hand, which is how a leftover is recognised; readable, so
 * that tools listing the workspace, git status among them, see an empty
 * directory rather than an error) before the tree turns read-only, and
 * binds it read-only. Several runs may share one placeholder (the
 * app-server runs commands side by side in one workspace): the sandbox's
 * pid 1 of each holds a shared flock(2) on it until it exits. Then the
 * run's parent, outside the sandbox's mount namespace (where the path is
 * no mount point, so no unmount is needed), removes it if it gets the
 * exclusive lock (no other run holds it) and it is still an empty
 * placeholder. One left by a run that was killed is taken over and
 * removed by the next run at that path.
 *
 * Removing means moving it to the stash, AIRLOCK_HOME/placeholders, when
 * it is empty and the stash can take it (same file system, a free slot,
 * and a parent running as root: see stash_one), and the next run's pid 1
 * takes a placeholder from there before it makes one. Making and
 * removing a directory writes to the disk each time, and freeing one
 * waits for it (on a file system mounted with discard, a discard of up
 * to several ms): a run in a workspace without .git and .airlock did
 * both twice. AIRLOCK_HOME is hidden in every sandbox, so no command can
 * reach the stash; everything in it is an empty placeholder a run made
 * and was done with. Otherwise the placeholder is removed (rmdir).
 *
 * Ownership: struct placeholders holds the locked descriptors (closed by
 * exit); paths and stash are borrowed from the plan and the session. */
#ifndef AIRLOCK_SANDBOX_PLACEHOLDER_H
#define AIRLOCK_SANDBOX_PLACEHOLDER_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/plan.h"

#define PLACEHOLDER_MAX 64
#define PLACEHOLDER_MODE 01555
/* The stash: its directory under AIRLOCK_HOME, and how many it keeps. */
#define PLACEHOLDER_STASH "placeholders"
#define PLACEHOLDER_STASH_SLOTS 16

struct placeholders {
	const char *path[PLACEHOLDER_MAX];
	int fd[PLACEHOLDER_MAX];
	size_t n;
	const char *stash;   /* the stash directory, or NULL for none */
};

/* Creates (takes from ph->stash, else makes), or joins, the placeholder
 * at path and locks it shared. 0 when something now exists at path (a
 * placeholder, or a directory someone made since the plan: protected
 * all the same); -1 when the caller may
 * not create it (EACCES, EPERM, EROFS: then neither may the command, and
 * there is nothing to mount). Anything else fails the sandbox
 * (sandbox_child_fail). Runs in the cloned child: system calls only. */
int placeholder_claim(struct placeholders *ph, const char *path);

/* Lets go of ph's locks: pid 1 once every other process of the sandbox
 * is gone (apply.h). System calls only. */
void placeholder_release(struct placeholders *ph);

/* Outside the sandbox, once nothing of it runs any more (its pid 1 was
 * reaped, or told the parent it killed and reaped everything else and
 * let go of its locks): removes each placeholder of p that no other run
 * holds, into stash (or NULL) when it can. Best effort, never fails;
 * nothing to do for most plans. */
void placeholder_cleanup(const struct sandbox_plan *p, const char *stash);

/* Whether mode is that of a placeholder directory. */
bool placeholder_mode(unsigned mode);

#endif
