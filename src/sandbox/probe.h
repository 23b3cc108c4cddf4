/* probe.h — answers the plan's file-system questions from the disk (see
 * struct sandbox_probe in plan.h). The only I/O the plan depends on. */
#ifndef AIRLOCK_SANDBOX_PROBE_H
#define AIRLOCK_SANDBOX_PROBE_H

#include "sandbox/plan.h"

struct walkahead;

/* A probe reading the real file system (realpath, lstat, `.git` files). */
void sandbox_probe_disk(struct sandbox_probe *p);
/* The walk cache of home (walkcache.h) loaded, and the directories it
 * records under cwd, /tmp and $TMPDIR looked at, on a thread of its own
 * (walkahead.h) while the caller goes on to read its config; NULL when
 * home is not absolute. For sandbox_plan_build_disk(), which ends it. */
struct walkahead *sandbox_walk_ahead(const char *home, const char *cwd);
/* sandbox_plan_build() with the disk probe and the walk cache of
 * in->home: directories unchanged since an earlier walk are not read
 * again, and what the walk learnt is saved. ahead: from
 * sandbox_walk_ahead() (taken over), or NULL to load the cache here. */
int sandbox_plan_build_disk(const struct sandbox_input *in,
			    struct walkahead *ahead, struct sandbox_plan *p,
			    struct errbuf *err);

/* Pure: the directory a `.git` file's text names (`gitdir: PATH`), made
 * absolute against dir when relative; heap string, or NULL when the text
 * has no gitdir line. */
char *sandbox_gitdir_parse(const char *text, size_t n, const char *dir);

#endif
