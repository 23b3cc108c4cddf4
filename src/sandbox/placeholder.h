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
 * Ownership: struct placeholders holds the locked descriptors (closed by
 * exit); paths are borrowed from the plan. */
#ifndef AIRLOCK_SANDBOX_PLACEHOLDER_H
#define AIRLOCK_SANDBOX_PLACEHOLDER_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/plan.h"

#define PLACEHOLDER_MAX 64
#define PLACEHOLDER_MODE 01555

struct placeholders {
	const char *path[PLACEHOLDER_MAX];
	int fd[PLACEHOLDER_MAX];
	size_t n;
};

/* Creates, or joins, the placeholder at path and locks it shared. 0 when
 * something now exists at path (a placeholder, or a directory someone
 * made since the plan: protected all the same); -1 when the caller may
 * not create it (EACCES, EPERM, EROFS: then neither may the command, and
 * there is nothing to mount). Anything else fails the sandbox
 * (sandbox_child_fail). Runs in the cloned child: system calls only. */
int placeholder_claim(struct placeholders *ph, const char *path);

/* Outside the sandbox, after its pid 1 was reaped (everything in it is
 * gone then): removes each placeholder of p that no other run holds.
 * Best effort, never fails; nothing to do for most plans. */
void placeholder_cleanup(const struct sandbox_plan *p);

/* Whether mode is that of a placeholder directory. */
bool placeholder_mode(unsigned mode);

#endif
