/* conf_tree.h — a throw-away directory tree holding config layers, for
 * the config unit tests (test_conf.c, test_conf_managed.c). Header-only:
 * each test program includes it once.
 *
 * tree_init() makes /tmp/airlock-conf-XXXXXX with home/ (AIRLOCK_HOME),
 * sys/ (AIRLOCK_SYSTEM_DIR) and the working directory proj/sub/, and fills
 * t->o to match; tree_release() removes it all. */
#ifndef AIRLOCK_TEST_CONF_TREE_H
#define AIRLOCK_TEST_CONF_TREE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/conf.h"
#include "lib/xalloc.h"

struct tree {
	char root[64];
	struct conf_opts o;
};

/* The path of rel inside t. Heap string. */
static inline char *
tree_path(const struct tree *t, const char *rel)
{
	return xasprintf("%s/%s", t->root, rel);
}

/* Writes text to rel inside t, making the directories on the way. */
static inline void
put(struct tree *t, const char *rel, const char *text)
{
	char *path = tree_path(t, rel), *p;
	FILE *f;

	for (p = path + strlen(t->root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static inline void
tree_init(struct tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/airlock-conf-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	memset(&t->o, 0, sizeof(t->o));
	t->o.home = xasprintf("%s/home", t->root);
	t->o.system_dir = xasprintf("%s/sys", t->root);
	t->o.cwd = xasprintf("%s/proj/sub", t->root);
	put(t, "proj/sub/.keep", "");
}

static inline void
tree_release(struct tree *t)
{
	char *cmd = xasprintf("rm -rf '%s'", t->root);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	conf_opts_release(&t->o);
}

/* conf_load() of t, failing the test on error. */
static inline struct conf *
tree_load(struct tree *t, struct errbuf *warn)
{
	struct errbuf err;
	struct conf *c;

	errbuf_init(&err);
	c = conf_load(&t->o, warn, &err);
	if (c == NULL)
		fail_msg("%s", errbuf_str(&err));
	errbuf_release(&err);
	return c;
}

#endif
