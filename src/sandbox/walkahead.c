/* walkahead.c — the walk cache's thread. See walkahead.h. */
#include "sandbox/walkahead.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "lib/xalloc.h"

struct walkahead {
	pthread_t thread;
	bool threaded;
	struct walkcache *cache;
	atomic_bool stop;
};

static void *
ahead_main(void *arg)
{
	struct walkahead *a = arg;

	walkcache_ahead_run(a->cache, &a->stop);
	return NULL;
}

/* The thread takes no signal: they stay the main thread's (the session's
 * handlers, a terminal's SIGINT). */
static bool
spawn(struct walkahead *a)
{
	sigset_t all, old;
	bool ok;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(&a->thread, NULL, ahead_main, a) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

struct walkahead *
walkahead_start(const char *file, const char *const *roots, size_t n_roots)
{
	struct walkahead *a = xcalloc(1, sizeof(*a));
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	a->cache = walkcache_load(file, &now);
	walkcache_ahead_select(a->cache, roots, n_roots);
	atomic_init(&a->stop, false);
	a->threaded = spawn(a);
	return a;
}

struct walkcache *
walkahead_cache(struct walkahead *a)
{
	return a->cache;
}

struct walkcache *
walkahead_end(struct walkahead *a)
{
	struct walkcache *c;

	if (a == NULL)
		return NULL;
	atomic_store(&a->stop, true);
	if (a->threaded)
		pthread_join(a->thread, NULL);
	c = a->cache;
	free(a);
	return c;
}
