/* mounts.h — the sandbox's mount namespace, built from the plan's mount
 * steps by the namespace's pid 1 (apply.h) after the parent's go.
 *
 * In plan order: every mount private; AIRLOCK_HOME created when the plan
 * says so; placeholders claimed (placeholder.h); the writable roots
 * cloned, then every mount made read-only (recursively, as bubblewrap's
 * `--ro-bind / /`: a flag can be added to a mount inherited from the
 * outer namespace even where it cannot be cleared), then the clones put
 * back read-write with nosuid and nodev; the chain directories bound onto
 * themselves; the protected paths bound read-only; the hidden paths
 * masked (an empty read-only tmpfs of mode 0 over a directory, a
 * read-only /dev/null over a file; a hidden path that is missing or
 * unreachable is passed over; a directory holding a file of the plan's
 * reveal list gets a tmpfs of mode 0111 instead, in which that file,
 * cloned before the mask, is bound back read-only at its place before
 * the tmpfs turns read-only);
 * a fresh /proc, a private tmpfs on /dev/shm, and a new devpts instance
 * on /dev/pts with /dev/ptmx bound to its ptmx, so that no terminal of the
 * host can be opened by path.
 *
 * Paths are opened with openat2(RESOLVE_NO_SYMLINKS): the plan's paths
 * are canonical, so a symbolic link met on the way means the tree was
 * changed since the plan, and the run stops. Any failure is reported to
 * the parent and exits 125 (sandbox_child_fail): a half-built namespace
 * never runs a command. Needs Linux 5.12 (open_tree, move_mount,
 * mount_setattr).
 *
 * mounts_setup() runs in the cloned child, which may not allocate or take
 * a lock: whatever needs memory or a library call is done beforehand, in
 * the parent, by mounts_prepare(). */
#ifndef AIRLOCK_SANDBOX_MOUNTS_H
#define AIRLOCK_SANDBOX_MOUNTS_H

#include "sandbox/placeholder.h"
#include "sandbox/plan.h"

/* What the child needs ready-made: room for the writable roots' clones,
 * and each hidden path with its symbolic links resolved (NULL when it is
 * missing: nothing to hide), indexed by step; each reveal resolved the
 * same way, and room for its clone, indexed as p->reveal. */
struct mounts_prep {
	int *fds;
	char **real;
	size_t n; /* p->n_steps */
	char **reveal_real;
	int *trees;
	size_t n_reveal; /* p->n_reveal */
};

/* In the parent, once the files to hide exist (the CA key is created
 * after the plan). 0; the strings and arrays are heap. */
int mounts_prepare(const struct sandbox_plan *p, struct mounts_prep *prep);
void mounts_prep_release(struct mounts_prep *prep);

/* In the child: applies every mount step of p; the claimed placeholders
 * go to ph. */
void mounts_setup(const struct sandbox_plan *p,
		  const struct mounts_prep *prep, struct placeholders *ph);

#endif
