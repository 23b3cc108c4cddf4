#include "net/dial.h"
#include "lib/xalloc.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* A dial owns at most one connecting socket at a time, its connect request
 * (embedded: only one is ever in flight) and the deadline timer. Sockets
 * of failed or abandoned attempts close asynchronously and are freed in
 * their close callback; `busy` counts every callback libuv still owes us
 * (timer close, connect callback, socket closes), and the dial is freed
 * when it is finished and busy drops to zero. `finished` means cb has run
 * or dial_cancel() came first: nothing reaches the caller after that.
 *
 * After cb has run the dial frees itself; calling dial_cancel() from
 * inside cb is a no-op, calling it after cb returned is a use after free
 * (the caller forgets the dial when cb runs). */
struct dial {
	uv_loop_t *loop;
	uv_timer_t timer;
	uv_connect_t creq;
	uv_tcp_t *tcp;		/* the attempt in flight, or NULL */
	struct sockaddr_storage *addrs;
	size_t n, next;
	uint16_t port;
	int last_err;
	int busy;
	dial_cb *cb;
	void *arg;
	unsigned finished : 1;
	unsigned timer_closing : 1;
};

static void
dial_maybe_free(struct dial *d)
{
	if (!d->finished || d->busy > 0)
		return;
	free(d->addrs);
	free(d);
}

static void
dial_tcp_closed(uv_handle_t *h)
{
	struct dial *d = h->data;

	free(h);
	d->busy--;
	dial_maybe_free(d);
}

static void
dial_timer_closed(uv_handle_t *h)
{
	struct dial *d = h->data;

	d->busy--;
	dial_maybe_free(d);
}

/* Closes the attempt in flight, if any. Its connect callback (UV_ECANCELED)
 * runs before the close callback. */
static void
dial_drop_attempt(struct dial *d)
{
	if (d->tcp == NULL)
		return;
	uv_close((uv_handle_t *)d->tcp, dial_tcp_closed);
	d->tcp = NULL;
}

/* Lets go of everything; the caller is told nothing. */
static void
dial_release(struct dial *d)
{
	d->finished = 1;
	dial_drop_attempt(d);
	if (!d->timer_closing) {
		d->timer_closing = 1;
		uv_close((uv_handle_t *)&d->timer, dial_timer_closed);
	}
}

static void
dial_finish(struct dial *d, uv_tcp_t *tcp, int status)
{
	dial_release(d);
	d->cb(d->arg, tcp, status);
	dial_maybe_free(d);
}

static void dial_connected(uv_connect_t *req, int status);

static int
dial_set_port(struct sockaddr_storage *sa, uint16_t port)
{
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else if (sa->ss_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
	else
		return UV_EAFNOSUPPORT;
	return 0;
}

/* Starts one attempt on addrs[i]; returns 0 or a libuv error (the socket,
 * if one was made, is then already closing). */
static int
dial_attempt(struct dial *d, size_t i)
{
	struct sockaddr_storage sa = d->addrs[i];
	uv_tcp_t *tcp;
	int rc;

	rc = dial_set_port(&sa, d->port);
	if (rc != 0)
		return rc;
	tcp = xmalloc(sizeof(*tcp));
	rc = uv_tcp_init(d->loop, tcp);
	if (rc != 0) {
		free(tcp);
		return rc;
	}
	tcp->data = d;
	d->busy++;
	d->tcp = tcp;
	rc = uv_tcp_connect(&d->creq, tcp, (const struct sockaddr *)&sa,
			    dial_connected);
	if (rc != 0) {
		dial_drop_attempt(d);
		return rc;
	}
	d->busy++;		/* the connect callback */
	return 0;
}

/* Tries the remaining addresses until one attempt is in flight. Returns 0
 * then, or -1 when none is left (last_err says why). */
static int
dial_next(struct dial *d)
{
	int rc;

	while (d->next < d->n) {
		rc = dial_attempt(d, d->next++);
		if (rc == 0)
			return 0;
		d->last_err = rc;
	}
	return -1;
}

static void
dial_connected(uv_connect_t *req, int status)
{
	struct dial *d = req->data;
	uv_tcp_t *tcp = d->tcp;

	d->busy--;
	if (d->finished) {	/* cancelled or timed out: socket closing */
		dial_maybe_free(d);
		return;
	}
	if (status == 0) {
		/* The socket is the caller's now: no longer ours to close. */
		d->tcp = NULL;
		d->busy--;
		tcp->data = NULL;
		uv_tcp_nodelay(tcp, 1);
		dial_finish(d, tcp, 0);
		return;
	}
	d->last_err = status;
	dial_drop_attempt(d);
	if (dial_next(d) == -1)
		dial_finish(d, NULL, d->last_err);
}

static void
dial_deadline(uv_timer_t *t)
{
	struct dial *d = t->data;

	if (d->finished)
		return;
	/* No attempt in flight means every address failed while starting;
	 * dial_start() reports that through the timer. */
	dial_finish(d, NULL, d->tcp != NULL ? UV_ETIMEDOUT : d->last_err);
}

struct dial *
dial_start(uv_loop_t *loop, const struct sockaddr_storage *addrs, size_t n,
	   uint16_t port, int timeout_ms, dial_cb *cb, void *arg)
{
	struct dial *d;

	if (n == 0)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->loop = loop;
	d->addrs = xreallocarray(NULL, n, sizeof(*addrs));
	memcpy(d->addrs, addrs, n * sizeof(*addrs));
	d->n = n;
	d->port = port;
	d->cb = cb;
	d->arg = arg;
	d->creq.data = d;
	d->timer.data = d;
	uv_timer_init(loop, &d->timer);
	d->busy = 1;		/* the timer's close */
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (dial_next(d) == -1)
		timeout_ms = 0;	/* report from the loop, not from here */
	uv_timer_start(&d->timer, dial_deadline, (uint64_t)timeout_ms, 0);
	return d;
}

void
dial_cancel(struct dial *d)
{
	if (d == NULL || d->finished)
		return;
	dial_release(d);
	dial_maybe_free(d);
}
