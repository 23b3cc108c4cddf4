/* walkahead.c — the walk cache's thread. See walkahead.h. */
#include "sandbox/walkahead.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "lib/xalloc.h"

/* Fewer directories to look at than this: no thread. */
#define WALKAHEAD_MIN 64

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

/* The processors other than the one this thread runs on: a new thread
 * left free to share it would wait, on an idle machine too, until this
 * one sleeps (milliseconds: the walk would be over). false on a single
 * processor, where a thread ahead could only slow the walk down. */
static bool
other_cpus(cpu_set_t *set)
{
	int cpu = sched_getcpu();

	if (cpu < 0 || sched_getaffinity(0, sizeof(*set), set) == -1)
		return false;
	CPU_CLR(cpu, set);
	return CPU_COUNT(set) > 0;
}

/* The thread takes no signal: they stay the main thread's (the session's
 * handlers, a terminal's SIGINT). */
static bool
spawn(struct walkahead *a)
{
	pthread_attr_t attr;
	sigset_t all, old;
	cpu_set_t cpus;
	bool ok;

	if (!other_cpus(&cpus) || pthread_attr_init(&attr) != 0)
		return false;
	ok = pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus) == 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = ok && pthread_create(&a->thread, &attr, ahead_main, a) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return ok;
}

struct walkahead *
walkahead_start(const char *file, const char *const *roots, size_t n_roots)
{
	struct walkahead *a = xcalloc(1, sizeof(*a));
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	a->cache = walkcache_load(file, &now);
	atomic_init(&a->stop, false);
	/* A thread costs about what fifty lstat calls do. */
	if (walkcache_ahead_select(a->cache, roots, n_roots, WALKAHEAD_MIN) >
	    0)
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
