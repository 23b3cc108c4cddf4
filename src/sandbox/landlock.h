/* landlock.h — Landlock for the sandboxed command (raw syscalls).
 *
 * Reads are never restricted; writes are (every write-like right the
 * running ABI knows). The command may write under the writable roots and
 * to the /dev/null-style devices only. TCP ports are left alone (the
 * network namespace is the boundary: its loopback is the sandbox's own);
 * from ABI 6 abstract unix sockets and signals are scoped to the sandbox.
 * A Landlock domain also forbids mount and umount. */
#ifndef AIRLOCK_SANDBOX_LANDLOCK_H
#define AIRLOCK_SANDBOX_LANDLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"

/* The ABI version the kernel offers; 0 when Landlock is unavailable. */
int landlock_abi(void);

/* Restricts the calling thread (no_new_privs must already be set).
 * -1 with `landlock: problem` in err; a path that cannot be opened is
 * skipped (it may have vanished since the plan). */
int landlock_apply(int abi, char *const *writable, size_t n_writable,
		   struct errbuf *err);

#endif
