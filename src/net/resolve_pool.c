/* resolve_pool.c — the event-loop form of resolve.h: host names looked up
 * by a pool of threads of our own, with caps, so that a name that never
 * answers cannot hold up the others.
 *
 * Why not libuv's pool: it has four threads shared with everything else;
 * eight lookups of names whose server never answers filled it, and every
 * other lookup then waited behind them until its own deadline. Why not an
 * asynchronous DNS library: it would bypass the C library's resolver
 * (nsswitch, /etc/hosts, and the interposed resolver of the tests).
 *
 * Shape. A job is one getaddrinfo() call for one (host, port); requests
 * for the same pair while it is queued or running wait on the same job
 * (coalescing). Jobs wait in a FIFO queue for a thread; up to
 * threads_max threads exist (made on demand, gone after RESOLVE_IDLE_MS
 * without work). A request has its own deadline: when it passes, the
 * caller gets `timed out` at once, whatever the thread is doing.
 *
 * Caps, so one client cannot take the pool from the others:
 *   - a client (the proxy passes the peer's address: one sandbox is one
 *     client) may have client_max distinct jobs queued or running; a
 *     request past that fails at once (`too many lookups in flight`);
 *   - at most RESOLVE_JOBS_MAX jobs exist in all (`resolver busy`).
 * getaddrinfo() cannot be interrupted, so a job whose requests all gave up
 * keeps its thread until the C library returns (its own resolv.conf
 * timeouts normally see to that). Such an abandoned job stops counting
 * against its client RESOLVE_ABANDON_MS after it was abandoned, so a
 * lookup that truly never returns does not hold the client's slot
 * forever; its thread still counts against threads_max, which bounds how
 * many threads can ever be stuck. Known shortcut: the caps and coalescing
 * scan the list of jobs (at most RESOLVE_JOBS_MAX) under the lock.
 *
 * Threads and the loop. The pool lock guards every job and the waiter
 * lists. A finished job wakes each waiting request through the request's
 * own uv_async_t, sent under the lock; a request detaches itself under the
 * same lock before it closes that handle, so no thread ever signals a
 * closed handle. Results are read on the loop thread. */
#include "net/resolve.h"
#include "net/resolve_int.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "lib/xalloc.h"

#define RESOLVE_JOBS_MAX 256
#define RESOLVE_IDLE_MS 10000
#define RESOLVE_ABANDON_MS 30000
#define RESOLVE_CLIENT_TEXT 64

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
	struct job *next;	/* pool.jobs: queued or running */
	struct job *qnext;	/* pool queue while queued */
	char *host;
	char service[8];
	char client[RESOLVE_CLIENT_TEXT];
	bool charged;		/* counts against its client */
	enum job_state state;
	int rc;
	struct addrinfo *res;
	struct resolve_req *waiters;
	int refs;		/* waiters + the thread running it */
	uint64_t abandoned_ms;	/* when the last waiter left (running) */
};

struct resolve_req {
	uv_async_t async;
	uv_timer_t timer;
	uv_loop_t *loop;
	resolve_cb *cb;
	void *arg;
	char *host;
	int timeout_ms;
	struct job *job;	/* attached job, or NULL */
	struct resolve_req *wnext; /* in job->waiters */
	char fail[160];		/* a refusal reported from the timer */
	int handles;		/* async and timer, until closed */
	bool finished;		/* cb ran or was cancelled */
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work;
	pthread_cond_t gone;	/* a thread left */
	struct job *jobs;
	size_t njobs;
	struct job *qhead, **qtail;
	unsigned nqueued;
	unsigned threads, idle;
	unsigned threads_max, client_max;
	uint64_t abandon_ms;
} pool = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.gone = PTHREAD_COND_INITIALIZER,
	.qtail = &pool.qhead,
	.threads_max = RESOLVE_THREADS_MAX,
	.client_max = RESOLVE_CLIENT_MAX,
	.abandon_ms = RESOLVE_ABANDON_MS,
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
resolve_pool_limits(unsigned threads_max, unsigned client_max, int abandon_ms)
{
	struct timespec ts;

	pthread_mutex_lock(&pool.mu);
	pool.threads_max = threads_max ? threads_max : RESOLVE_THREADS_MAX;
	pool.client_max = client_max ? client_max : RESOLVE_CLIENT_MAX;
	pool.abandon_ms = abandon_ms >= 0 ? (uint64_t)abandon_ms
					  : RESOLVE_ABANDON_MS;
	/* Idle threads past the new cap leave; wait (bounded) for them, so
	 * the cap holds from the next lookup on. */
	pthread_cond_broadcast(&pool.work);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 2;
	while (pool.threads > pool.threads_max &&
	       pthread_cond_clockwait(&pool.gone, &pool.mu, CLOCK_MONOTONIC,
				      &ts) == 0)
		;
	pthread_mutex_unlock(&pool.mu);
}

/* --- jobs (pool.mu held) ---------------------------------------------------- */

static void
job_free(struct job *j)
{
	if (j->res != NULL)
		freeaddrinfo(j->res);
	free(j->host);
	free(j);
}

static void
jobs_unlink(struct job *j)
{
	struct job **pp;

	for (pp = &pool.jobs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			pool.njobs--;
			return;
		}
	}
}

static void
queue_unlink(struct job *j)
{
	struct job **pp;

	for (pp = &pool.qhead; *pp != NULL; pp = &(*pp)->qnext) {
		if (*pp == j) {
			*pp = j->qnext;
			pool.nqueued--;
			break;
		}
	}
	pool.qtail = &pool.qhead;
	while (*pool.qtail != NULL)
		pool.qtail = &(*pool.qtail)->qnext;
}

static struct job *
job_find(const char *host, const char *service)
{
	struct job *j;

	for (j = pool.jobs; j != NULL; j = j->next)
		if (strcmp(j->host, host) == 0 &&
		    strcmp(j->service, service) == 0)
			return j;
	return NULL;
}

/* Jobs charged to client, after writing off the long-abandoned ones. */
static unsigned
client_load(const char *client)
{
	uint64_t now = now_ms();
	unsigned n = 0;
	struct job *j;

	for (j = pool.jobs; j != NULL; j = j->next) {
		if (j->charged && j->waiters == NULL &&
		    j->state == JOB_RUNNING &&
		    now - j->abandoned_ms >= pool.abandon_ms)
			j->charged = false;
		if (j->charged && strcmp(j->client, client) == 0)
			n++;
	}
	return n;
}

static void *pool_thread(void *arg);

/* Makes sure a thread will pick up the queue. 0, or an errno value when
 * no thread exists and none can be made. */
static int
pool_wake(void)
{
	pthread_attr_t ta;
	pthread_t tid;
	int rc;

	/* A signalled thread counts as idle until it runs, so compare the
	 * queue with the idle threads rather than trust one signal per job. */
	if (pool.idle > 0)
		pthread_cond_signal(&pool.work);
	if (pool.nqueued <= pool.idle || pool.threads >= pool.threads_max)
		return 0; /* an idle thread will come, or a busy one will */
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &ta, pool_thread, NULL);
	pthread_attr_destroy(&ta);
	if (rc != 0)
		return pool.threads > 0 ? 0 : rc;
	pool.threads++;
	return 0;
}

/* A new job for host:service charged to client, queued; NULL with a
 * reason in why when a cap refuses it. */
static struct job *
job_new(const char *host, const char *service, const char *client,
	char *why, size_t whyn)
{
	struct job *j;
	unsigned load;
	int rc;

	if (pool.njobs >= RESOLVE_JOBS_MAX) {
		snprintf(why, whyn, "resolver busy (%u lookups in flight)",
			 (unsigned)pool.njobs);
		return NULL;
	}
	load = client_load(client);
	if (load >= pool.client_max) {
		snprintf(why, whyn,
			 "too many lookups in flight (%u for this client)",
			 load);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->host = xstrdup(host);
	snprintf(j->service, sizeof(j->service), "%s", service);
	snprintf(j->client, sizeof(j->client), "%s", client);
	j->charged = true;
	j->state = JOB_QUEUED;
	j->next = pool.jobs;
	pool.jobs = j;
	pool.njobs++;
	*pool.qtail = j;
	pool.qtail = &j->qnext;
	pool.nqueued++;
	rc = pool_wake();
	if (rc != 0) {
		queue_unlink(j);
		jobs_unlink(j);
		job_free(j);
		snprintf(why, whyn, "cannot start a resolver thread: %s",
			 strerror(rc));
		return NULL;
	}
	return j;
}

/* Takes r off its job's waiters; a queued job nobody waits for is
 * dropped, a finished one freed once nobody holds it. */
static void
job_detach(struct resolve_req *r)
{
	struct job *j = r->job;
	struct resolve_req **pp;

	if (j == NULL)
		return;
	r->job = NULL;
	for (pp = &j->waiters; *pp != NULL; pp = &(*pp)->wnext) {
		if (*pp == r) {
			*pp = r->wnext;
			break;
		}
	}
	j->refs--;
	if (j->waiters == NULL && j->state == JOB_QUEUED) {
		queue_unlink(j);
		jobs_unlink(j);
		job_free(j);
	} else if (j->waiters == NULL && j->state == JOB_RUNNING) {
		j->abandoned_ms = now_ms();
	} else if (j->state == JOB_DONE && j->refs == 0) {
		job_free(j);
	}
}

/* --- threads ------------------------------------------------------------------ */

static void
job_run(struct job *j)
{
	struct addrinfo hints, *res = NULL;
	struct resolve_req *w;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(j->host, j->service, &hints, &res);
	pthread_mutex_lock(&pool.mu);
	j->rc = rc;
	j->res = rc == 0 ? res : NULL;
	j->state = JOB_DONE;
	j->charged = false;
	jobs_unlink(j);
	for (w = j->waiters; w != NULL; w = w->wnext)
		uv_async_send(&w->async);
	if (--j->refs == 0)
		job_free(j);
}

static bool
wait_for_work(void)
{
	struct timespec ts;

	/* Monotonic: a step of the wall clock neither ends the wait early
	 * nor makes it last. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += RESOLVE_IDLE_MS / 1000;
	while (pool.qhead == NULL) {
		if (pool.threads > pool.threads_max)
			return false; /* the cap was lowered */
		pool.idle++;
		if (pthread_cond_clockwait(&pool.work, &pool.mu,
					   CLOCK_MONOTONIC, &ts) == ETIMEDOUT &&
		    pool.qhead == NULL) {
			pool.idle--;
			return false;
		}
		pool.idle--;
	}
	return true;
}

static void *
pool_thread(void *arg)
{
	struct job *j;

	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		if (!wait_for_work())
			break;
		j = pool.qhead;
		pool.qhead = j->qnext;
		if (pool.qhead == NULL)
			pool.qtail = &pool.qhead;
		pool.nqueued--;
		j->state = JOB_RUNNING;
		j->refs++;
		pthread_mutex_unlock(&pool.mu);
		job_run(j); /* returns with pool.mu held */
	}
	pool.threads--;
	pthread_cond_broadcast(&pool.gone);
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

/* --- requests (loop thread) ----------------------------------------------------- */

static void
req_closed(uv_handle_t *h)
{
	struct resolve_req *r = h->data;

	if (--r->handles > 0)
		return;
	free(r->host);
	free(r);
}

/* Detaches, closes both handles; r is freed in the last close callback. */
static void
req_release(struct resolve_req *r)
{
	r->finished = true;
	pthread_mutex_lock(&pool.mu);
	job_detach(r);
	pthread_mutex_unlock(&pool.mu);
	uv_close((uv_handle_t *)&r->async, req_closed);
	uv_close((uv_handle_t *)&r->timer, req_closed);
}

static void
req_report_fail(struct resolve_req *r, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "could not resolve host %s: %s", r->host,
		 why);
	r->finished = true;
	r->cb(r->arg, -1, NULL, msg);
}

/* Reports the job's outcome if it is done, else (deadline) a timeout. */
static void
req_complete(struct resolve_req *r, bool deadline)
{
	struct resolve_result out;
	char why[128];
	int rc = -1;

	out.n = 0;
	why[0] = '\0';
	pthread_mutex_lock(&pool.mu);
	if (r->job != NULL && r->job->state == JOB_DONE) {
		rc = r->job->rc;
		if (rc == 0)
			resolve_collect(&out, r->job->res);
		else
			snprintf(why, sizeof(why), "%s", gai_strerror(rc));
	} else if (!deadline) {
		pthread_mutex_unlock(&pool.mu);
		return; /* a stale wake-up */
	}
	job_detach(r);
	pthread_mutex_unlock(&pool.mu);
	if (rc == 0 && out.n > 0) {
		r->finished = true;
		r->cb(r->arg, 0, &out, NULL);
	} else if (rc == 0) {
		req_report_fail(r, "no addresses");
	} else if (why[0] != '\0') {
		req_report_fail(r, why);
	} else {
		snprintf(why, sizeof(why), "timed out after %d ms",
			 r->timeout_ms);
		req_report_fail(r, why);
	}
	req_release(r);
}

static void
on_async(uv_async_t *a)
{
	struct resolve_req *r = a->data;

	if (!r->finished)
		req_complete(r, false);
}

static void
on_deadline(uv_timer_t *t)
{
	struct resolve_req *r = t->data;

	if (r->finished)
		return;
	if (r->fail[0] != '\0') {
		req_report_fail(r, r->fail);
		req_release(r);
		return;
	}
	req_complete(r, true);
}

/* Attaches r to a job for its host and port (an existing one, or a new
 * one charged to client); on refusal r->fail says why. */
static void
req_attach(struct resolve_req *r, uint16_t port, const char *client)
{
	char service[8];
	struct job *j;

	snprintf(service, sizeof(service), "%u", (unsigned)port);
	pthread_mutex_lock(&pool.mu);
	j = job_find(r->host, service);
	if (j == NULL)
		j = job_new(r->host, service, client, r->fail,
			    sizeof(r->fail));
	if (j != NULL) {
		r->job = j;
		r->wnext = j->waiters;
		j->waiters = r;
		j->refs++;
	}
	pthread_mutex_unlock(&pool.mu);
}

struct resolve_req *
resolve_start_for(struct uv_loop_s *loop, const char *host, uint16_t port,
		  int timeout_ms, const char *client, resolve_cb *cb, void *arg)
{
	struct resolve_req *r = xcalloc(1, sizeof(*r));

	r->loop = loop;
	r->cb = cb;
	r->arg = arg;
	r->host = xstrdup(host);
	r->timeout_ms = timeout_ms < 0 ? RESOLVE_TIMEOUT_MS : timeout_ms;
	uv_async_init(loop, &r->async, on_async);
	r->async.data = r;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	r->handles = 2;
	req_attach(r, port, client != NULL ? client : "");
	/* A refusal is reported from the timer, so that cb never runs
	 * inside resolve_start(). */
	uv_timer_start(&r->timer, on_deadline,
		       r->fail[0] != '\0' ? 0 : (uint64_t)r->timeout_ms, 0);
	return r;
}

struct resolve_req *
resolve_start(struct uv_loop_s *loop, const char *host, uint16_t port,
	      int timeout_ms, resolve_cb *cb, void *arg)
{
	return resolve_start_for(loop, host, port, timeout_ms, NULL, cb, arg);
}

void
resolve_cancel(struct resolve_req *r)
{
	/* From inside cb the request is already finished and frees itself
	 * when its handles have closed. */
	if (r == NULL || r->finished)
		return;
	req_release(r);
}
