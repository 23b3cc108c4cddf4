/* relay.h — copy bytes both ways between two connected streams.
 *
 * A relay owns both streams from relay_start() on: it closes them when the
 * tunnel ends and frees them (they must have been allocated with malloc
 * and must not be in the middle of a uv_close). Bytes the caller already
 * read from either side are passed in and written first.
 *
 * Flow control: a side stops being read while the other side's write
 * queue holds more than RELAY_HIGH_WATER bytes, and resumes below
 * RELAY_LOW_WATER, so a fast sender cannot grow memory through a slow
 * receiver. EOF on one side is passed on as a write shutdown of the other
 * (half-close); the relay ends when both directions are done, on any
 * error, when no byte moved for idle_ms, or on relay_stop(). done is
 * called exactly once, after both streams are closed, with the byte
 * counts. */
#ifndef AIRLOCK_RELAY_H
#define AIRLOCK_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define RELAY_HIGH_WATER (256 * 1024)
#define RELAY_LOW_WATER (64 * 1024)
#define RELAY_READ_SIZE (64 * 1024)
/* Between two TCP sockets the relay moves bytes with splice(2) through a
 * kernel pipe per direction instead (no copy through user space); the
 * pipe is that direction's queue, so its size replaces the water marks
 * as the bound: at most RELAY_PIPE_SIZE bytes per direction sit in the
 * relay, on top of the sockets' own kernel buffers. */
#define RELAY_PIPE_SIZE (1024 * 1024)

struct relay;

struct relay_stats {
	uint64_t up;          /* client → server bytes */
	uint64_t down;        /* server → client bytes */
	uint64_t duration_ms;
	int error;            /* 0, UV_ETIMEDOUT (idle), or the first error */
};

typedef void relay_done_fn(void *arg, const struct relay_stats *st);

/* Starts relaying between client and server. pre_up[0..n_up) is sent to
 * the server and pre_down[0..n_down) to the client before anything else
 * (both are copied). */
struct relay *relay_start(uv_loop_t *loop, uv_stream_t *client,
			  uv_stream_t *server, const char *pre_up, size_t n_up,
			  const char *pre_down, size_t n_down, int idle_ms,
			  relay_done_fn *done, void *arg);
/* Holding the client's first bytes. A relay started with a hold passes
 * nothing from the client to the server until fn has judged the client's
 * first bytes: fn is called with all of them held so far (the caller's
 * pre_up first) each time more arrive and answers RELAY_HOLD_MORE (keep
 * them, read on), RELAY_HOLD_PASS (send them on and relay as usual from
 * now on) or RELAY_HOLD_REFUSE (close the tunnel; done reports error
 * UV_EACCES). Meanwhile the server's bytes flow to the client as usual,
 * so protocols where the server speaks first are not held up. At most
 * max bytes are held: fn is last called with a full buffer, and MORE
 * then is a refusal. deadline_ms counts from the first held byte; if it
 * passes the tunnel is closed (UV_ETIMEDOUT). A client that ends its
 * side with bytes held is refused; one that ends it having sent nothing
 * is not judged. A held relay starts on the copy path and moves to
 * splice(2) once passed. fn must not stop the relay. */
enum { RELAY_HOLD_REFUSE = -1, RELAY_HOLD_MORE = 0, RELAY_HOLD_PASS = 1 };
typedef int relay_hold_fn(void *arg, const char *p, size_t n);
struct relay_hold {
	relay_hold_fn *fn;
	void *arg;
	size_t max;
	int deadline_ms;
};

/* relay_start with the client's first bytes held for hold->fn (copied;
 * NULL is relay_start). */
struct relay *relay_start_held(uv_loop_t *loop, uv_stream_t *client,
			       uv_stream_t *server, const char *pre_up,
			       size_t n_up, const char *pre_down, size_t n_down,
			       int idle_ms, const struct relay_hold *hold,
			       relay_done_fn *done, void *arg);
/* Ends the relay now (both streams closed; done still called). The relay
 * frees itself after done returns: calling relay_stop inside done is a
 * no-op, after it a use-after-free, so drop the pointer in done. */
void relay_stop(struct relay *r);
/* Bytes written but not yet flushed, both directions (for tests). */
size_t relay_queued_bytes(const struct relay *r);
/* True when r moves bytes with splice(2) (for tests). */
bool relay_spliced(const struct relay *r);
/* Makes relays started from now on use the read/write copy path even
 * between TCP sockets (for tests and measurements). */
void relay_force_copy(bool on);

#endif
