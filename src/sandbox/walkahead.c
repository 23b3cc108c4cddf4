/* walkahead.c — the walk cache's thread. See walkahead.h. */
#include "sandbox/walkahead.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "lib/xalloc.h"

#define WALKAHEAD_ROOTS 4

struct walkahead {
	pthread_t thread;
	bool threaded;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct walkcache *cache; /* set once loaded, under mu */
	atomic_bool stop;
	char *file;
	char *roots[WALKAHEAD_ROOTS];
	size_t n_roots;
};

static struct walkcache *
load(struct walkahead *a)
{
	struct timespec now;
	struct walkcache *c;

	clock_gettime(CLOCK_REALTIME, &now);
	c = walkcache_load(a->file, &now);
	walkcache_ahead_select(c, (const char *const *)a->roots, a->n_roots);
	return c;
}

static void *
ahead_main(void *arg)
{
	struct walkahead *a = arg;
	struct walkcache *c = load(a);

	pthread_mutex_lock(&a->mu);
	a->cache = c;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	walkcache_ahead_run(c, &a->stop);
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
	size_t i;

	a->file = file != NULL ? xstrdup(file) : NULL;
	for (i = 0; i < n_roots && i < WALKAHEAD_ROOTS; i++)
		if (roots[i] != NULL && roots[i][0] == '/')
			a->roots[a->n_roots++] = xstrdup(roots[i]);
	atomic_init(&a->stop, false);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->threaded = spawn(a);
	if (!a->threaded)
		a->cache = load(a);
	return a;
}

struct walkcache *
walkahead_cache(struct walkahead *a)
{
	struct walkcache *c;

	pthread_mutex_lock(&a->mu);
	while (a->cache == NULL)
		pthread_cond_wait(&a->cv, &a->mu);
	c = a->cache;
	pthread_mutex_unlock(&a->mu);
	return c;
}

struct walkcache *
walkahead_end(struct walkahead *a)
{
	struct walkcache *c;
	size_t i;

	if (a == NULL)
		return NULL;
	atomic_store(&a->stop, true);
	if (a->threaded)
		pthread_join(a->thread, NULL);
	c = a->cache;
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	for (i = 0; i < a->n_roots; i++)
		free(a->roots[i]);
	free(a->file);
	free(a);
	return c;
}
