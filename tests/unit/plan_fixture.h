/* plan_fixture.h — a fake file system for the sandbox plan tests
 * (test_plan_fs.c, test_plan_net.c): the probe the plan reads the disk
 * through, a base input and a step counter. Header-only: each test program
 * includes it once. */
#ifndef AIRLOCK_TEST_PLAN_FIXTURE_H
#define AIRLOCK_TEST_PLAN_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/xalloc.h"
#include "sandbox/plan.h"
#include "sandbox/probe.h"

/* The fake disk: "d:/path" directories, "f:/path" files; "l:/a=/b" makes
 * /a resolve to /b; "g:/x/.git=/y" a gitdir file pointing at /y; "s:/a=/b"
 * a symbolic link /a to /b. The fake walk reports every `.git` and
 * `.airlock` under the root, or stops at once with scan_stop. "p:/x" is a
 * placeholder directory another run holds or left behind. */
static const char *const *disk;
static const char *scan_stop;

static inline const char *
lookup(char type, const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; disk[i] != NULL; i++)
		if (disk[i][0] == type && strncmp(disk[i] + 2, path, n) == 0 &&
		    (disk[i][2 + n] == '\0' || disk[i][2 + n] == '='))
			return disk[i];
	return NULL;
}

static inline int
fake_kind(void *arg, const char *path)
{
	(void)arg;
	if (lookup('s', path) != NULL)
		return 'l';
	if (lookup('p', path) != NULL)
		return 'p';
	if (lookup('d', path) != NULL)
		return 'd';
	if (lookup('f', path) != NULL || lookup('g', path) != NULL)
		return 'f';
	return 0;
}

static inline char *
fake_resolve(void *arg, const char *path)
{
	const char *l = lookup('l', path);

	if (l == NULL)
		l = lookup('s', path);
	if (l != NULL)
		return xstrdup(strchr(l, '=') + 1);
	return fake_kind(arg, path) ? xstrdup(path) : NULL;
}

static inline char *
fake_gitdir(void *arg, const char *gitfile)
{
	const char *g = lookup('g', gitfile);

	(void)arg;
	return g ? xstrdup(strchr(g, '=') + 1) : NULL;
}

static inline void
fake_scan(void *arg, const char *root, struct sandbox_scan *sc)
{
	size_t i, n = strlen(root);
	const char *base;
	char path[256];

	if (scan_stop != NULL) {
		sc->stopped = scan_stop;
		return;
	}
	for (i = 0; disk[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%.*s",
			 (int)strcspn(disk[i] + 2, "="), disk[i] + 2);
		base = strrchr(path, '/');
		if (disk[i][0] == 'l' || disk[i][0] == 'm' ||
		    strncmp(path, root, n) != 0 ||
		    path[n] != '/' ||
		    (strcmp(base, "/.git") != 0 && strcmp(base, "/.airlock")))
			continue;
		sc->dirs++;
		if (sc->found(sc->ctx, path, fake_kind(arg, path)) == -1)
			return;
	}
}

/* "m:/x/.gitmodules=TEXT": a file's contents for read(). */
static inline char *
fake_read(void *arg, const char *path, size_t *n)
{
	const char *m = lookup('m', path);

	(void)arg;
	if (m == NULL)
		return NULL;
	m = strchr(m, '=') + 1;
	*n = strlen(m);
	return xstrdup(m);
}

static const struct sandbox_probe probe = {fake_resolve, fake_kind,
					   fake_gitdir, fake_scan, fake_read,
					   NULL};
static char *argv_true[] = {"true", NULL};

static inline void
base_input(struct sandbox_input *in, const char *mode)
{
	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->cwd = "/work";
	in->http_port = 43128;
	in->socks_port = 43130;
	in->uid = 1000;
	in->gid = 1000;
	in->landlock_abi = 7;
	in->argv = argv_true;
}

static inline size_t
count_steps(const struct sandbox_plan *p, enum sandbox_step_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_steps; i++)
		n += p->steps[i].kind == k;
	return n;
}

#endif /* AIRLOCK_TEST_PLAN_FIXTURE_H */
