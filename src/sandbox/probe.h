/* probe.h — answers the plan's file-system questions from the disk (see
 * struct sandbox_probe in plan.h). The only I/O the plan depends on. */
#ifndef AIRLOCK_SANDBOX_PROBE_H
#define AIRLOCK_SANDBOX_PROBE_H

#include "sandbox/plan.h"

/* A probe reading the real file system (realpath, lstat, `.git` files). */
void sandbox_probe_disk(struct sandbox_probe *p);
/* sandbox_plan_build() with the disk probe and the walk cache of
 * in->home (walkcache.h): directories unchanged since an earlier walk are
 * not read again, and what the walk learnt is saved. */
int sandbox_plan_build_disk(const struct sandbox_input *in,
			    struct sandbox_plan *p, struct errbuf *err);

/* Pure: the directory a `.git` file's text names (`gitdir: PATH`), made
 * absolute against dir when relative; heap string, or NULL when the text
 * has no gitdir line. */
char *sandbox_gitdir_parse(const char *text, size_t n, const char *dir);

#endif
