/* tree_fixture.h — real directory trees for the walk tests
 * (test_plan_probe.c, test_walkcache.c): make a directory with its
 * parents, an empty file, and remove a tree. Header-only: each test
 * program includes it once, after cmocka.h. */
#ifndef AIRLOCK_TEST_TREE_FIXTURE_H
#define AIRLOCK_TEST_TREE_FIXTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* root/rel and every directory between them. */
static inline void
mk(const char *root, const char *rel)
{
	char path[512];
	char *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

/* An empty file root/rel. */
static inline void
touch(const char *root, const char *rel)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static inline void
rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

#endif
