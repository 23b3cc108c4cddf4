/* resolve.c — the synchronous lookup and the helpers both forms share;
 * the event-loop form is resolve_pool.c. */
#include "net/resolve.h"
#include "net/resolve_int.h"
#include "lib/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
addr_seen(const struct resolve_result *r, const struct sockaddr *sa,
	  socklen_t len)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (memcmp(&r->addrs[i], sa, len) == 0)
			return 1;
	return 0;
}

void
resolve_collect(struct resolve_result *out, const struct addrinfo *ai)
{
	for (; ai != NULL && out->n < RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (ai->ai_addrlen > sizeof(out->addrs[0]))
			continue;
		if (addr_seen(out, ai->ai_addr, ai->ai_addrlen))
			continue;
		memset(&out->addrs[out->n], 0, sizeof(out->addrs[0]));
		memcpy(&out->addrs[out->n], ai->ai_addr, ai->ai_addrlen);
		out->n++;
	}
}

/* One lookup handed to a helper thread. Both sides hold a reference; the
 * last one out frees it, so a lookup that outlives its deadline never
 * writes into freed memory. getaddrinfo runs in a thread of our own rather
 * than through getaddrinfo_a so that interposed resolvers (nss_wrapper in
 * the tests) see the call. */
struct lookup {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	int done;
	int rc;
	char *host;
	char service[8];
	struct addrinfo *res;
};

static void
lookup_unref(struct lookup *l)
{
	int last;

	pthread_mutex_lock(&l->mu);
	last = --l->refs == 0;
	pthread_mutex_unlock(&l->mu);
	if (!last)
		return;
	if (l->res)
		freeaddrinfo(l->res);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l->host);
	free(l);
}

static void *
lookup_thread(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(l->host, l->service, &hints, &res);
	pthread_mutex_lock(&l->mu);
	l->rc = rc;
	l->res = rc == 0 ? res : NULL;
	l->done = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	lookup_unref(l);
	return NULL;
}

static int
lookup_wait(struct lookup *l, int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&l->mu);
	while (!l->done && rc == 0)
		rc = pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	rc = l->done ? 0 : -1;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static struct lookup *
lookup_start(const char *host, uint16_t port)
{
	struct lookup *l = xcalloc(1, sizeof(*l));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t tid;

	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	l->refs = 2;
	l->host = xstrdup(host);
	snprintf(l->service, sizeof(l->service), "%u", (unsigned)port);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &ta, lookup_thread, l) != 0) {
		l->refs = 1;
		lookup_unref(l);
		l = NULL;
	}
	pthread_attr_destroy(&ta);
	return l;
}

int
resolve_sync(const char *host, uint16_t port, int timeout_ms,
	     struct resolve_result *out, struct errbuf *err)
{
	struct lookup *l;
	int rc = -1;

	out->n = 0;
	l = lookup_start(host, port);
	if (l == NULL) {
		errbuf_add(err, "could not resolve host %s: %s", host,
			   strerror(errno));
		return -1;
	}
	if (lookup_wait(l, timeout_ms) == -1)
		errbuf_add(err, "could not resolve host %s: timed out after %d ms",
			   host, timeout_ms);
	else if (l->rc != 0)
		errbuf_add(err, "could not resolve host %s: %s", host,
			   gai_strerror(l->rc));
	else {
		resolve_collect(out, l->res);
		if (out->n == 0)
			errbuf_add(err, "could not resolve host %s: no addresses",
				   host);
		else
			rc = 0;
	}
	lookup_unref(l);
	return rc;
}

const char *
resolve_addr_str(const struct sockaddr_storage *a, char *out, size_t outsz)
{
	const void *p = NULL;

	if (a->ss_family == AF_INET)
		p = &((const struct sockaddr_in *)a)->sin_addr;
	else if (a->ss_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)a)->sin6_addr;
	if (p == NULL || inet_ntop(a->ss_family, p, out, (socklen_t)outsz) == NULL)
		snprintf(out, outsz, "?");
	return out;
}
