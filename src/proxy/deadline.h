/* deadline.h — the one deadline of a proxy connection, and the one table
 * that says how long each wait may last. Not for use outside src/proxy/.
 *
 * A connection holds one timer whatever it is doing; what it waits for
 * picks the time from the table below, from the proxy state in force for
 * the request (permissions.network.*_timeout_ms):
 *
 *   wait            deadline                    why
 *   HEAD            header_timeout_ms           a whole request head, from
 *                                               its first byte (armed once
 *                                               per head, never extended)
 *   KEEPALIVE       keepalive_timeout_ms        idle between requests
 *   CLIENT_TLS      none                        the TLS stream bounds the
 *                                               client's handshake itself
 *   DECIDE          none                        proxy_decide calls back in
 *                                               bounded time (resolver
 *                                               deadline; an approval's
 *                                               own timeout)
 *   APPROVAL        none                        likewise
 *   CONNECT         2 × connect_timeout_ms + 1 s backstop: dial, upstream
 *                                               and TLS each bound
 *                                               themselves by connect
 *   TRANSFER        idle_timeout_ms             no byte either way; checked
 *                                               lazily (deadline_touch only
 *                                               notes the time)
 *
 * So a request waiting for a decision, for as long as that takes, costs
 * no timer operation at all, and a busy transfer none per byte. */
#ifndef AIRLOCK_PROXY_DEADLINE_H
#define AIRLOCK_PROXY_DEADLINE_H

#include <stdint.h>
#include <uv.h>

#include "proxy/proxy_int.h"

enum deadline_wait {
	DL_NONE,
	DL_HEAD,
	DL_KEEPALIVE,
	DL_CLIENT_TLS,
	DL_DECIDE,
	DL_APPROVAL,
	DL_CONNECT,
	DL_TRANSFER,
};

typedef void deadline_fn(void *arg);

struct deadline {
	uv_timer_t *timer;
	enum deadline_wait wait;
	uint64_t idle_ms;	/* TRANSFER: the allowed quiet time */
	uint64_t last;		/* TRANSFER: uv_now() of the last byte */
	deadline_fn *fire;
	void *arg;
	void (*released)(void *arg);
	void *released_arg;
};

/* The table above: ms for wait under st, 0 for none. */
uint64_t deadline_ms(enum deadline_wait wait, const struct proxy_state *st);

void deadline_init(struct deadline *d, uv_loop_t *loop);
/* Waits for wait now: fire(arg) runs when its time from the table has
 * passed (never, for a wait without one). Replaces any earlier wait. */
void deadline_set(struct deadline *d, enum deadline_wait wait,
		  const struct proxy_state *st, deadline_fn *fire, void *arg);
/* A byte moved (TRANSFER). */
void deadline_touch(struct deadline *d);
/* Closes the timer; released(arg) runs once it is closed. */
void deadline_release(struct deadline *d, void (*released)(void *arg),
		      void *arg);

#endif
