/* test_walkcache.c — the repository walk's cache (sandbox/walkcache.h):
 * its file format, and the real walk (sandbox/gitscan.h) on a real tree
 * finding with the cache exactly what it finds without, after every kind
 * of change to the tree, also when the directories' lstat is taken ahead
 * (sandbox/walkahead.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "sandbox/gitscan.h"
#include "sandbox/walkahead.h"
#include "sandbox/walkcache.h"
#include "tree_fixture.h"

/* --- the file format --------------------------------------------------------- */

static uint64_t
fnv(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A file around body[0..n) with a right header; parsed. */
static struct walkcache *
parse_body(const char *body, size_t n)
{
	struct buf b;
	size_t len;
	char *text;

	buf_init(&b, 1 << 20);
	buf_printf(&b, "airlock-walk-cache 1 %zu %016" PRIx64 "\n", n,
		   fnv(body, n));
	buf_add(&b, body, n);
	text = buf_detach(&b, &len);
	return walkcache_parse(text, len);
}

#define BODY(s) parse_body(s, sizeof(s) - 1)

static void
test_walkcache_parse_takes_good_records_only(void **state)
{
	struct walkcache *c;

	(void)state;
	c = BODY("R 1 2 3 4\0/a\0dsub\0d.git\0f.airlock\0\0"
		 "P 1 5 3 0\0/a/sub\0l.git\0\0"
		 "R 0 0 0 0\0/\0\0");
	assert_non_null(c);
	walkcache_free(c);
	assert_non_null(c = BODY(""));
	walkcache_free(c);
	/* Each of these is refused whole. */
	assert_null(BODY("R 1 2 3 4\0a\0\0"));              /* relative */
	assert_null(BODY("R 1 2 3 4\0/a\0da/b\0\0"));       /* slash */
	assert_null(BODY("R 1 2 3 4\0/a\0d..\0\0"));        /* dot-dot */
	assert_null(BODY("R 1 2 3 4\0/a\0ffile\0\0"));      /* not a mark */
	assert_null(BODY("R 1 2 3 4\0/a\0x.git\0\0"));      /* kind */
	assert_null(BODY("P 1 2 3 4\0/a\0dsub\0\0"));       /* probed: marks */
	assert_null(BODY("R 01 2 3 4\0/a\0\0"));            /* leading 0 */
	assert_null(BODY("R 1 2 3 1000000000\0/a\0\0"));    /* ns */
	assert_null(BODY("R 1 2 -3 4\0/a\0\0"));            /* sign */
	assert_null(BODY("R 1 2 3 4\0/a\0\0R 1 2 3 4\0/a\0\0")); /* twice */
	assert_null(BODY("R 1 2 3 4\0/a\0d.git\0"));        /* unended */
	assert_null(BODY("Q 1 2 3 4\0/a\0\0"));             /* record kind */
	assert_null(BODY("R 1 2 3 99999999999999999999\0/a\0\0"));
}

static void
test_walkcache_parse_refuses_damaged_files(void **state)
{
	static const char body[] = "R 1 2 3 4\0/a\0dsub\0\0";
	char good[128], *text;
	int n;

	(void)state;
	n = snprintf(good, sizeof(good), "airlock-walk-cache 1 %zu %016" PRIx64
					 "\n",
		     sizeof(body) - 1, fnv(body, sizeof(body) - 1));
	memcpy(good + n, body, sizeof(body) - 1);
	n += (int)sizeof(body) - 1;
	text = xmalloc((size_t)n);
	memcpy(text, good, (size_t)n);
	walkcache_free(walkcache_parse(text, (size_t)n)); /* takes text */
	/* a byte changed, a byte short, a byte more, another version */
	text = xmalloc((size_t)n);
	memcpy(text, good, (size_t)n);
	text[n - 3] = 'e';
	assert_null(walkcache_parse(text, (size_t)n));
	text = xmalloc((size_t)n);
	memcpy(text, good, (size_t)n);
	assert_null(walkcache_parse(text, (size_t)n - 1));
	text = xmalloc((size_t)n + 1);
	memcpy(text, good, (size_t)n);
	text[n] = '\0';
	assert_null(walkcache_parse(text, (size_t)n + 1));
	text = xmalloc((size_t)n);
	memcpy(text, good, (size_t)n);
	text[19] = '2';
	assert_null(walkcache_parse(text, (size_t)n));
}

/* --- the walk with the cache --------------------------------------------------- */

struct found {
	struct buf list; /* "kind path\n" lines, in the walk's order */
};

static int
note(void *ctx, const char *path, int kind)
{
	struct found *f = ctx;

	buf_printf(&f->list, "%c %s\n", kind, path);
	return 0;
}

/* What the walk of root finds (sorted lines; heap), with cache or
 * without; *cached gets how many directories the cache answered. */
static char *
walk(const char *root, unsigned depth, struct walkcache *cache,
     size_t *cached)
{
	struct sandbox_scan sc;
	struct found f;
	size_t len;

	buf_init(&f.list, 1 << 20);
	memset(&sc, 0, sizeof(sc));
	sc.max_dirs = 1000;
	sc.max_ms = 60000;
	sc.max_depth = depth;
	sc.found = note;
	sc.ctx = &f;
	gitscan_walk(root, &sc, cache, NULL);
	assert_null(sc.stopped);
	if (cached != NULL)
		*cached = sc.cached;
	return buf_detach(&f.list, &len);
}

/* A clock far enough ahead that every directory made by the test counts
 * as old (the racy cut-off is tested on its own below). */
static struct timespec
ahead(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 100;
	return t;
}

/* The walk with c finds plain; how many directories c answered. */
static size_t
walk_same(const char *root, unsigned depth, struct walkcache *c,
	  const char *plain)
{
	char *found;
	size_t cached;

	found = walk(root, depth, c, &cached);
	assert_string_equal(found, plain);
	free(found);
	return cached;
}

/* The walk with a cache loaded from file must find what a walk without
 * one finds — also with every lstat taken ahead before the walk, and
 * with the thread taking them while it walks; returns how many
 * directories the cache answered, and saves what it learnt. */
static size_t
check_walk(const char *root, unsigned depth, const char *file)
{
	struct timespec now = ahead();
	const char *roots[] = {root};
	struct walkcache *c = walkcache_load(file, &now);
	char *plain = walk(root, depth, NULL, NULL);
	struct walkcache *early = walkcache_load(file, &now);
	struct walkahead *a;
	atomic_bool go_on;
	size_t cached;

	cached = walk_same(root, depth, c, plain);
	(void)walkcache_ahead_select(early, roots, 1, 0);
	atomic_init(&go_on, false);
	walkcache_ahead_run(early, &go_on);
	assert_int_equal(walk_same(root, depth, early, plain), cached);
	walkcache_free(early);
	a = walkahead_start(file, roots, 1);
	assert_int_equal(walk_same(root, depth, walkahead_cache(a), plain),
			 cached);
	walkcache_free(walkahead_end(a));
	assert_int_equal(walkcache_save(c), 0);
	walkcache_free(c);
	free(plain);
	return cached;
}

static void
make_tree(const char *root)
{
	char rel[32];
	int i;

	mk(root, "a/.git/hooks");
	mk(root, "b/c");
	touch(root, "b/c/.git");
	mk(root, "d/e");
	mk(root, "f/g/h/.airlock");
	mk(root, "node_modules/x/.git");
	mk(root, "deep/1/2/3/4");
	/* Enough directories for walkahead_start() to start its thread. */
	for (i = 0; i < 70; i++) {
		snprintf(rel, sizeof(rel), "many/d%d", i);
		mk(root, rel);
	}
}

/* A second walk is answered by the cache for every directory, and finds
 * the same; with a depth limit too. */
static void
test_walk_with_cache_finds_what_a_walk_without_finds(void **state)
{
	char root[] = "/tmp/airlock-walkcache-XXXXXX", file[64];
	size_t first;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(file, sizeof(file), "%s.walk", root);
	make_tree(root);
	assert_int_equal(check_walk(root, 0, file), 0);
	first = check_walk(root, 0, file);
	assert_true(first >= 10);
	assert_int_equal(check_walk(root, 0, file), first);
	assert_true(check_walk(root, 2, file) > 0);
	rm_rf(root);
	unlink(file);
}

/* On a single processor there is no thread ahead, and the walk with the
 * cache still finds what a walk without finds. */
static void
test_walk_on_one_processor_finds_the_same(void **state)
{
	char root[] = "/tmp/airlock-walkcache-XXXXXX", file[64];
	cpu_set_t all, one;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_non_null(mkdtemp(root));
	snprintf(file, sizeof(file), "%s.walk", root);
	make_tree(root);
	check_walk(root, 0, file);
	assert_true(check_walk(root, 0, file) >= 10);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	rm_rf(root);
	unlink(file);
}

/* Every change the sandbox could make between two runs shows: a mark
 * made in a directory the cache knows without one (even with its
 * modification time put back), a new directory holding a repository, a
 * directory renamed, one replaced by a symbolic link, a mark removed. */
static void
test_walk_cache_sees_every_change(void **state)
{
	char root[] = "/tmp/airlock-walkcache-XXXXXX", file[64], a[64],
	     b[64];
	struct timespec nap = {0, 20 * 1000 * 1000};
	struct timespec times[2];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(file, sizeof(file), "%s.walk", root);
	make_tree(root);
	check_walk(root, 0, file);
	assert_true(check_walk(root, 0, file) > 0);
	/* Past the clock tick of the walk, on kernels whose change times are
	 * coarse (the real walk has the racy cut-off for this). */
	nanosleep(&nap, NULL);
	snprintf(a, sizeof(a), "%s/d/e", root);
	assert_int_equal(lstat(a, &st), 0);
	mk(root, "d/e/.git");
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, a, times, AT_SYMLINK_NOFOLLOW),
			 0);
	check_walk(root, 0, file);
	mk(root, "new/x/.git");
	check_walk(root, 0, file);
	snprintf(a, sizeof(a), "%s/f", root);
	snprintf(b, sizeof(b), "%s/f2", root);
	assert_int_equal(rename(a, b), 0);
	check_walk(root, 0, file);
	rm_rf(b);
	assert_int_equal(symlink("a", a), 0);
	check_walk(root, 0, file);
	snprintf(a, sizeof(a), "%s/b/c/.git", root);
	assert_int_equal(unlink(a), 0);
	mk(root, "b/c/.airlock");
	check_walk(root, 0, file);
	rm_rf(root);
	unlink(file);
}

/* Directories changed within the racy cut-off are not kept: with the real
 * clock, a tree made just now leaves the cache empty. */
static void
test_walk_cache_keeps_no_recent_directory(void **state)
{
	char root[] = "/tmp/airlock-walkcache-XXXXXX";
	struct timespec now;
	struct walkcache *c;
	char *text, *plain;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(root));
	make_tree(root);
	clock_gettime(CLOCK_REALTIME, &now);
	c = walkcache_load(NULL, &now);
	plain = walk(root, 0, c, NULL);
	text = walkcache_render(c, &len);
	assert_non_null(strstr(text, "\n"));
	assert_int_equal(strlen(strchr(text, '\n') + 1), 0);
	assert_int_equal((size_t)(strchr(text, '\n') + 1 - text), len);
	free(text);
	free(plain);
	walkcache_free(c);
	rm_rf(root);
}

/* Records of a root this run did not walk (another workspace) stay;
 * those of directories gone from a root it walked go. */
static void
test_walk_cache_forgets_only_what_is_gone(void **state)
{
	char root[] = "/tmp/airlock-walkcache-XXXXXX", r1[64], r2[64],
	     file[64], gone[128];
	struct timespec now = ahead();
	struct walkcache *c;
	size_t len;
	char *text, *found;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(r1, sizeof(r1), "%s/one", root);
	snprintf(r2, sizeof(r2), "%s/two", root);
	snprintf(file, sizeof(file), "%s/walk", root);
	assert_int_equal(mkdir(r1, 0755), 0);
	assert_int_equal(mkdir(r2, 0755), 0);
	make_tree(r1);
	make_tree(r2);
	check_walk(r1, 0, file);
	check_walk(r2, 0, file);
	snprintf(gone, sizeof(gone), "%s/deep", r1);
	rm_rf(gone);
	check_walk(r1, 0, file);
	c = walkcache_load(file, &now);
	text = walkcache_render(c, &len);
	snprintf(gone, sizeof(gone), "%s/deep/1", r1);
	assert_null(memmem(text, len, gone, strlen(gone) + 1));
	snprintf(gone, sizeof(gone), "%s/deep/1", r2);
	assert_non_null(memmem(text, len, gone, strlen(gone) + 1));
	free(text);
	found = walk(r2, 0, c, &len);
	assert_true(len >= 10);
	free(found);
	walkcache_free(c);
	rm_rf(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walkcache_parse_takes_good_records_only),
		cmocka_unit_test(test_walkcache_parse_refuses_damaged_files),
		cmocka_unit_test(test_walk_with_cache_finds_what_a_walk_without_finds),
		cmocka_unit_test(test_walk_on_one_processor_finds_the_same),
		cmocka_unit_test(test_walk_cache_sees_every_change),
		cmocka_unit_test(test_walk_cache_keeps_no_recent_directory),
		cmocka_unit_test(test_walk_cache_forgets_only_what_is_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
