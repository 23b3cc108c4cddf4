/* gitmodules.h — the submodule paths a `.gitmodules` file names.
 *
 * A repository's submodules live at the paths its `.gitmodules` lists
 * (`path = sub/dir` under `[submodule "name"]`). A submodule that is not
 * checked out has no `.git` there yet, and one planted during a run would
 * be used by the user's own `git status`; protect.h stands a placeholder
 * in for it. Pure: bytes in, paths out, no I/O. Only what git-config
 * syntax needs for this is read: section headers, `key = value` lines,
 * comments, double-quoted values with `\"` and `\\`. A path that is
 * absolute, empty, or has `.` or `..` among its names is left out, as git
 * refuses such submodule paths too. */
#ifndef AIRLOCK_SANDBOX_GITMODULES_H
#define AIRLOCK_SANDBOX_GITMODULES_H

#include <stddef.h>

/* At most this many paths are returned; a path at most this long. */
#define GITMODULES_MAX_PATHS 64
#define GITMODULES_MAX_PATH 1024

/* The submodule paths of text[0..n), in file order, without duplicates:
 * a heap array of heap strings (free each, then the array); *count gets
 * their number. NULL when there is none. */
char **gitmodules_paths(const char *text, size_t n, size_t *count);

#endif
