/* protect.h — which paths a sandboxed run keeps read-only, creates,
 * pins in place or hides, decided before anything is done (plan.h).
 *
 * Inside the sandbox every mount is read-only except the writable roots,
 * which are bound back read-write. Under them, protect_collect() keeps
 * read-only (a read-only bind of the path onto itself):
 *   - every `.git` (directory, `gitdir:` file and the directory it names)
 *     and `.airlock` found by a bounded walk of the writable roots
 *     (gitscan.h: the workspace first, /tmp and $TMPDIR only
 *     PROTECT_SCAN_TMP_DEPTH levels deep), in the workspace root and in
 *     each of its ancestors that lies under a writable root;
 *   - AIRLOCK_HOME (created first when missing: the user layer of the
 *     next run lives there), the system directory and the --config file.
 * The workspace root's `.git` and `.airlock`, the `.git` of each
 * submodule a found repository's `.gitmodules` lists that is not checked
 * out, and a missing system directory get an empty placeholder directory
 * (placeholder.h) for the run, so that the command cannot create them;
 * it is removed after the run.
 * The directories between each protected path and the outermost writable
 * root above it go to chain: bound onto themselves they become mount
 * points, which rename(2) refuses (EBUSY), so nobody can swap a workspace
 * and its protected `.git` for another one at the same path.
 * The paths hidden in every mode are hidden.h's.
 *
 * Pure: the file system is asked through struct sandbox_probe. The lists
 * are deduplicated and capped; the plan owns every string. */
#ifndef AIRLOCK_SANDBOX_PROTECT_H
#define AIRLOCK_SANDBOX_PROTECT_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/plan.h"

/* The walk's budget: directories read, and milliseconds, over all roots;
 * and how deep the shared temporary directories (/tmp, $TMPDIR) are read,
 * which hold other tools' trees by the thousand (test runs, builds). */
#define PROTECT_SCAN_MAX_DIRS 4096
#define PROTECT_SCAN_MAX_MS 25
#define PROTECT_SCAN_TMP_DEPTH 2
/* Protected paths the walk may add before it stops; placeholders. */
#define PROTECT_MAX_FOUND 512
#define PROTECT_MAX_PLACEHOLDERS 48

/* Fills protected, placeholders, chain, make_home and scan of a
 * workspace-write plan whose writable list is final. */
void protect_collect(struct sandbox_plan *p, const struct sandbox_input *in,
		     const struct sandbox_probe *pr);

/* The canonical form of path, which may not exist: its deepest existing
 * ancestor resolved, the missing names appended. NULL for relative paths
 * and for `.` or `..` among the missing names. Heap string. */
char *protect_resolve_partial(const struct sandbox_probe *pr,
			      const char *path);

/* Appends path (taken over) to the list unless present or the list holds
 * max entries; frees it then. false when the cap dropped it. */
bool protect_push(char ***v, size_t *n, char *path, size_t max);

/* Whether path is root or lies beneath it (both canonical). */
bool protect_under(const char *root, const char *path);

/* Sorts paths parents first (by depth, then by name). */
/* How many '/' path has: its depth, for ordering parents first. Pure. */
size_t protect_depth(const char *path);
void protect_sort(char **v, size_t n);

#endif
