/* relay_int.h — the relay's private state, shared by relay.c (the libuv
 * read/write copy path, life cycle) and relay_splice.c (the zero-copy
 * path for TCP pairs). Not for use outside src/net/relay*.c.
 *
 * A relay runs in one of two modes, chosen once in relay_start():
 * - RELAY_COPY: uv_read_start on both streams, uv_write to the other side;
 *   bytes in flight are counted in relay_side.queued.
 * - RELAY_SPLICE: both streams are TCP sockets; their uv_tcp reads are
 *   stopped and a uv_poll_t per socket fd drives splice(2) through a
 *   kernel pipe per direction (relay_flow). The bytes sitting in a flow's
 *   pipe (or its fallback buffer) are that direction's queue.
 * RELAY_SPLICE_PENDING is the moment between the two: pre-read bytes are
 *   being written through the copy path's uv_write; once both write
 *   queues are empty the relay switches to RELAY_SPLICE (or back to
 *   RELAY_COPY if a poll handle cannot be set up). */
#ifndef AIRLOCK_RELAY_INT_H
#define AIRLOCK_RELAY_INT_H

#include "net/relay.h"

#include <stdbool.h>

enum relay_mode {
	RELAY_COPY,
	RELAY_SPLICE_PENDING,
	RELAY_SPLICE,
};

struct chunk;
struct relay;

/* Bytes read from one side on their way to the other (splice mode). The
 * holder is a pipe taken from a process-wide pool while it holds bytes
 * and given back once empty, or, when no pipe can be had (fd limit), a
 * heap buffer of RELAY_READ_SIZE bytes. The source is read only while
 * the holder is empty, so n never exceeds the holder's capacity. */
struct relay_flow {
	int pipe[2];		/* -1 when no pipe is held */
	size_t pipe_cap;
	char *buf;		/* fallback holder, allocated on first need */
	size_t off;		/* buf: first unsent byte */
	size_t n;		/* bytes held, not yet written to dst */
	unsigned eof : 1;	/* EOF read from the source */
	unsigned shut : 1;	/* destination's write side shut down */
};

/* One stream of the tunnel. Bytes read here are written to peer. */
struct relay_side {
	struct relay *r;
	uv_stream_t *s;
	struct relay_side *peer;
	size_t queued;		/* written to s, callback outstanding */
	uv_shutdown_t shut;
	unsigned reading : 1;
	unsigned eof : 1;	/* EOF read from s */
	unsigned shut_done : 1;	/* s's write side shut down and flushed */
	/* splice mode */
	int fd;
	uv_poll_t *poll;	/* NULL until splice mode; freed on close */
	int events;		/* UV_READABLE|UV_WRITABLE being polled */
	struct relay_flow flow;	/* bytes read from this side */
};

/* The relay dies one way: relay_close() closes every handle; the last
 * close callback reports and frees. */
struct relay {
	uv_loop_t *loop;
	struct relay_side c;	/* client */
	struct relay_side s;	/* server */
	uv_timer_t idle;
	uint64_t idle_ms;
	uint64_t last_activity;	/* uv_now() when a byte last moved */
	uint64_t started_ns;
	uint64_t up, down;
	relay_done_fn *done;
	void *arg;
	struct chunk *free;
	int nfree;
	int open;		/* handles not yet closed */
	int error;
	enum relay_mode mode;
	unsigned closing : 1;
	/* The client's first bytes, held for hold.fn (relay.h). */
	struct relay_hold hold;
	char *held;		/* hold.max bytes, while holding */
	size_t nheld;
	uv_timer_t *hold_timer;	/* deadline, armed by the first held byte */
	unsigned holding : 1;
	unsigned splice_after_hold : 1;
};

/* relay.c */
void relay_close(struct relay *r, int error);
void relay_touch(struct relay *r);
/* Starts the copy path's reads on both sides (mode becomes RELAY_COPY). */
void relay_copy_begin(struct relay *r);

/* relay_splice.c */
/* True when both streams are TCP sockets with usable fds, a pipe can be
 * had and the copy path is not forced; records the fds. */
bool relay_splice_possible(struct relay *r);
/* Switches a relay whose write queues are empty to splice mode; falls
 * back to relay_copy_begin() if the poll handles cannot be set up. */
void relay_splice_begin(struct relay *r);
/* Part of relay_close(): gives back or closes the pipes, frees the
 * fallback buffers and uv_closes the poll handles (counted in r->open). */
void relay_splice_close(struct relay *r);
/* Closes the pipes kept in the process-wide pool (tests use it to make
 * flows fall back to their buffer; harmless at any time). */
void relay_splice_pool_flush(void);
/* Closes the handle h, counted in r->open, from relay_close(). */
void relay_handle_closed(uv_handle_t *h);

#endif
