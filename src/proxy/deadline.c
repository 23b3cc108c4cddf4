/* deadline.c — see deadline.h. */
#include "proxy/deadline.h"

#include <stdlib.h>

#include "lib/xalloc.h"

uint64_t
deadline_ms(enum deadline_wait wait, const struct proxy_state *st)
{
	switch (wait) {
	case DL_HEAD:
		return st->header_timeout_ms;
	case DL_KEEPALIVE:
		return st->keepalive_timeout_ms;
	case DL_CONNECT:
		return st->connect_timeout_ms * 2 + 1000;
	case DL_TRANSFER:
		return st->idle_timeout_ms;
	case DL_NONE:
	case DL_CLIENT_TLS:
	case DL_DECIDE:
	case DL_APPROVAL:
		break;
	}
	return 0;
}

static void
on_timer(uv_timer_t *t)
{
	struct deadline *d = t->data;
	uint64_t quiet;

	if (d->wait == DL_TRANSFER) {
		quiet = uv_now(t->loop) - d->last;
		if (quiet < d->idle_ms) {
			uv_timer_start(t, on_timer, d->idle_ms - quiet, 0);
			return;
		}
	}
	d->fire(d->arg);
}

void
deadline_init(struct deadline *d, uv_loop_t *loop)
{
	d->timer = xcalloc(1, sizeof(*d->timer));
	uv_timer_init(loop, d->timer);
	d->timer->data = d;
	d->wait = DL_NONE;
}

void
deadline_set(struct deadline *d, enum deadline_wait wait,
	     const struct proxy_state *st, deadline_fn *fire, void *arg)
{
	uint64_t ms = deadline_ms(wait, st);

	d->wait = wait;
	d->fire = fire;
	d->arg = arg;
	if (d->timer == NULL)
		return;
	if (ms == 0) {
		uv_timer_stop(d->timer);
		return;
	}
	if (wait == DL_TRANSFER) {
		d->idle_ms = ms;
		d->last = uv_now(d->timer->loop);
	}
	uv_timer_start(d->timer, on_timer, ms, 0);
}

void
deadline_touch(struct deadline *d)
{
	if (d->timer != NULL)
		d->last = uv_now(d->timer->loop);
}

static void
on_closed(uv_handle_t *h)
{
	struct deadline *d = h->data;
	void (*released)(void *) = d->released;
	void *arg = d->released_arg;

	free(h);
	if (released != NULL)
		released(arg);
}

void
deadline_release(struct deadline *d, void (*released)(void *arg), void *arg)
{
	uv_timer_t *t = d->timer;

	if (t == NULL)
		return;
	d->timer = NULL;
	d->wait = DL_NONE;
	d->released = released;
	d->released_arg = arg;
	uv_close((uv_handle_t *)t, on_closed);
}
