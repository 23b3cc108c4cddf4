/* probe.h — answers the plan's file-system questions from the disk (see
 * struct sandbox_probe in plan.h). The only I/O the plan depends on. */
#ifndef AIRLOCK_SANDBOX_PROBE_H
#define AIRLOCK_SANDBOX_PROBE_H

#include "sandbox/plan.h"

/* A probe reading the real file system (realpath, lstat, `.git` files). */
void sandbox_probe_disk(struct sandbox_probe *p);
/* The same, with the walk cache of AIRLOCK_HOME home (walkcache.h):
 * directories unchanged since an earlier walk are not read again. The
 * probe must then be released, which saves what the walk learnt. */
void sandbox_probe_disk_cached(struct sandbox_probe *p, const char *home);
void sandbox_probe_disk_release(struct sandbox_probe *p);
/* Where: home/cache/walk (heap), or NULL for a home that is not
 * absolute. */
char *sandbox_walkcache_file(const char *home);

/* Pure: the directory a `.git` file's text names (`gitdir: PATH`), made
 * absolute against dir when relative; heap string, or NULL when the text
 * has no gitdir line. */
char *sandbox_gitdir_parse(const char *text, size_t n, const char *dir);

#endif
